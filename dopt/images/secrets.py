"""Files that look like secrets, judged by path and (for a few kinds) the first bytes.

Only a reason leaves this module, never content: reports carry the path and
why it looks secret, so a report can be shared without leaking the secret.

Example::

    >>> classify("app/.env", b"DB_PASSWORD=hunter2\\n")
    'dotenv file'
    >>> classify("etc/ssl/certs/ca.pem", b"-----BEGIN CERTIFICATE-----") is None
    True
"""

from __future__ import annotations

import posixpath
import re

HEAD_LIMIT = 64 * 1024  # enough to see a key header or a token line

SSH_KEYS = {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
DOTENV_SAMPLES = {".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults"}
KEY_SUFFIXES = (".pem", ".key", ".priv")
KEYSTORE_SUFFIXES = (".p12", ".pfx", ".jks", ".keystore")

_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----")
_NPM_TOKEN = re.compile(rb"(_authToken|_auth|_password)\s*=\s*\S")
_AWS_SECRET = re.compile(rb"aws_secret_access_key\s*=\s*\S", re.I)
_PASSWORD_LINE = re.compile(rb"^\s*password\s*[=:]?\s*\S", re.I | re.M)
_NETRC_PASSWORD = re.compile(rb"\bpassword\s+\S")
_DOCKER_AUTH = re.compile(rb'"auth"\s*:\s*"[^"]+"')
_ASSIGNMENT = re.compile(rb"^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=", re.M)

# Package test suites ship throwaway keys (tornado, cryptography, node modules);
# they are not the image owner's secrets.
_VENDORED_TESTS = re.compile(r"(site-packages|dist-packages|node_modules)/.*/(tests?|testing|fixtures)/")


def is_candidate(path: str) -> bool:
    """Whether ``path`` (normalized, no leading slash) is worth reading the head of.

    >>> is_candidate("root/.ssh/id_rsa"), is_candidate("usr/bin/env")
    (True, False)
    """
    base = posixpath.basename(path)
    if base in SSH_KEYS or base in (".npmrc", ".pypirc", ".netrc", ".git-credentials", ".dockercfg"):
        return True
    if base == ".env" or (base.startswith(".env.") and base not in DOTENV_SAMPLES):
        return True
    if base == "credentials" and path.endswith(".aws/credentials"):
        return True
    if base == "config.json" and path.endswith(".docker/config.json"):
        return True
    if base.endswith(KEY_SUFFIXES) or base.endswith(KEYSTORE_SUFFIXES):
        return not path.startswith(("usr/share/ca-certificates/", "etc/ssl/certs/", "usr/share/doc/"))
    return False


def classify(path: str, head: bytes) -> str | None:
    """Why the file at ``path`` with first bytes ``head`` looks like a secret, or None.

    >>> classify("root/.npmrc", b"//registry.npmjs.org/:_authToken=npm_abc\\n")
    'npm registry token'
    >>> classify("root/.npmrc", b"registry=https://example.org/\\n") is None
    True
    """
    if not is_candidate(path) or _VENDORED_TESTS.search(path):
        return None
    base = posixpath.basename(path)
    if base in SSH_KEYS:
        return "SSH private key"
    if base == ".npmrc":
        return "npm registry token" if _NPM_TOKEN.search(head) else None
    if base == ".pypirc":
        return "PyPI credentials" if _PASSWORD_LINE.search(head) else None
    if base == ".netrc":
        return "netrc password" if _NETRC_PASSWORD.search(head) else None
    if base == ".git-credentials":
        return "git credentials" if head.strip() else None
    if base in ("config.json", ".dockercfg"):
        return "Docker registry credentials" if _DOCKER_AUTH.search(head) else None
    if base == "credentials":
        return "AWS credentials" if _AWS_SECRET.search(head) else None
    if base.startswith(".env"):
        return "dotenv file" if _ASSIGNMENT.search(head) else None
    if base.endswith(KEYSTORE_SUFFIXES):
        return "keystore"
    if base.endswith(KEY_SUFFIXES):
        return "PEM private key" if _PRIVATE_KEY.search(head) else None
    return None
