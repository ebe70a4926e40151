"""Root filesystems for the stand-in base images, made with debootstrap.

One ``debootstrap --variant=minbase bookworm`` run feeds every rootfs image:
``debian:bookworm`` (as bootstrapped, apt caches removed), ``debian:bookworm-slim``
(docs, man pages, locales trimmed *before* import, plus dpkg excludes so later
installs stay slim) and the two distroless look-alikes (files copied out of the
same tree; no shell, no package manager).

The host's own Debian apt sources give the mirror, so the images fetch packages
from wherever this machine does (a local mirror, a proxy, deb.debian.org).
The host CA bundle goes in so TLS through an intercepting proxy works inside
builds, as it does on the host.

This module is imported by ``build.py``; its text is part of the recipe hash of
every rootfs image, so editing it rebuilds them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
SUITE = "bookworm"
DEBIAN_SUITES = {SUITE, f"{SUITE}-updates", f"{SUITE}-security"}
# tzdata is not in minbase but official debian images and distroless carry it.
INCLUDE = ["ca-certificates", "tzdata"]
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The same excludes the official slim images install, so `apt-get install` in a
# derived image does not bring the docs back.
SLIM_DPKG_EXCLUDES = """\
# Installed by dopt's stand-in debian:bookworm-slim, like the official slim image.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""


class RootfsError(RuntimeError):
    pass


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a command, failing with its output tail (the caller prints it)."""
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        raise RootfsError(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{tail}")
    return proc


# ---------------------------------------------------------------- host apt sources

def _deb822_stanzas(text: str) -> list[dict[str, str]]:
    stanzas, cur, key = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if cur:
                stanzas.append(cur)
            cur, key = {}, None
            continue
        if line.startswith("#"):
            continue
        if line[0] in " \t" and key:
            cur[key] += "\n" + line.strip()
            continue
        key, _, value = line.partition(":")
        key = key.strip()
        cur[key] = value.strip()
    if cur:
        stanzas.append(cur)
    return stanzas


def host_debian_sources() -> list[dict[str, str]]:
    """The host's enabled Debian entries for bookworm, as deb822 stanzas.

    Third-party repositories (other suites such as ``nodistro``) are left out:
    the images must hold Debian's packages only.

    >>> all(set(s["Suites"].split()) <= DEBIAN_SUITES for s in host_debian_sources())
    True
    """
    found: list[dict[str, str]] = []
    files = [Path("/etc/apt/sources.list")]
    d = Path("/etc/apt/sources.list.d")
    if d.is_dir():
        files += sorted(d.iterdir())
    for f in files:
        if not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if f.suffix == ".sources":
            for st in _deb822_stanzas(text):
                if st.get("Enabled", "yes").lower() == "no" or "deb" not in st.get("Types", "").split():
                    continue
                suites = [s for s in st.get("Suites", "").split() if s in DEBIAN_SUITES]
                if suites:
                    found.append({"Types": "deb", "URIs": st["URIs"].split()[0],
                                  "Suites": " ".join(suites),
                                  "Components": st.get("Components", "main"),
                                  "Signed-By": "/usr/share/keyrings/debian-archive-keyring.gpg"})
        elif f.name == "sources.list" or f.suffix == ".list":
            for line in text.splitlines():
                m = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)", line)
                if m and m.group(2) in DEBIAN_SUITES:
                    found.append({"Types": "deb", "URIs": m.group(1), "Suites": m.group(2),
                                  "Components": m.group(3) or "main",
                                  "Signed-By": "/usr/share/keyrings/debian-archive-keyring.gpg"})
    return found


def host_mirror() -> str:
    """The URI the host fetches bookworm from (what debootstrap should use)."""
    for st in host_debian_sources():
        if SUITE in st["Suites"].split():
            return st["URIs"]
    raise RootfsError(
        "no enabled 'bookworm' Debian entry in /etc/apt/sources.list*; the stand-in images use the "
        "host's Debian mirror (add one, e.g. Types: deb / URIs: <your mirror> / Suites: bookworm)")


def sources_text() -> str:
    return "\n".join("".join(f"{k}: {v}\n" for k, v in st.items()) for st in host_debian_sources())


def recipe_inputs() -> list[tuple[str, bytes]]:
    """Host facts baked into the rootfs images; part of their recipe hash."""
    ca = HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.exists() else b""
    return [("host:sources", sources_text().encode()), ("host:ca-bundle", ca)]


# ---------------------------------------------------------------- the debian rootfs

def _pem_blocks(text: str) -> list[str]:
    return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)


def bootstrap(root: Path, log) -> None:
    """debootstrap bookworm into ``root`` and configure apt sources and CAs."""
    mirror = host_mirror()
    log(f"debootstrap --variant=minbase {SUITE} from {mirror}")
    run(["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", SUITE, str(root), mirror])
    # Debian's own layout: a deb822 file, not debootstrap's one-line sources.list.
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    (root / "etc/apt/sources.list.d/debian.sources").write_text(sources_text())
    install_host_cas(root)
    # What `docker run` finds and what apt must not keep.
    for p in ("etc/hostname", "etc/resolv.conf"):
        (root / p).unlink(missing_ok=True)
    run(["chroot", str(root), "apt-get", "clean"])
    _empty(root / "var/lib/apt/lists", keep={"lock", "partial"})
    for bin_cache in (root / "var/cache/apt").glob("*.bin"):
        bin_cache.unlink()
    _empty(root / "var/log", keep=set())
    (root / "var/log/apt").mkdir(exist_ok=True)


def install_host_cas(root: Path) -> None:
    """Add the host's extra CAs the Debian way, then run update-ca-certificates.

    Only certificates the image's Debian bundle lacks are added (the proxy's),
    each as its own file in /usr/local/share/ca-certificates, so the result
    is what an admin would get with ``update-ca-certificates``: bundle and
    hashed links both include them.
    """
    if not HOST_CA_BUNDLE.exists():
        return
    have = set(_pem_blocks((root / "etc/ssl/certs/ca-certificates.crt").read_text()))
    extra = [b for b in _pem_blocks(HOST_CA_BUNDLE.read_text()) if b not in have]
    local = root / "usr/local/share/ca-certificates"
    local.mkdir(parents=True, exist_ok=True)
    for i, pem in enumerate(extra):
        (local / f"host-ca-{i:02d}.crt").write_text(pem + "\n")
    run(["chroot", str(root), "update-ca-certificates"])
    bundle = (root / "etc/ssl/certs/ca-certificates.crt").read_text()
    missing = [b for b in extra if b not in bundle]
    if missing:
        raise RootfsError(f"{len(missing)} host CA certificates did not reach the image bundle")


def trim_for_slim(root: Path) -> None:
    """Remove what the official slim images remove, before ``docker import``."""
    for d in ("usr/share/man", "usr/share/info", "usr/share/groff", "usr/share/lintian",
              "usr/share/linda"):
        _empty(root / d, keep=set())
    doc = root / "usr/share/doc"
    for pkg in doc.iterdir() if doc.is_dir() else ():
        if pkg.is_dir() and not pkg.is_symlink():
            for entry in pkg.iterdir():
                if entry.name != "copyright":
                    _remove(entry)
    locale = root / "usr/share/locale"
    for entry in locale.iterdir() if locale.is_dir() else ():
        if entry.name != "locale.alias":
            _remove(entry)
    _empty(root / "var/cache/debconf", keep={"config.dat", "passwords.dat", "templates.dat"})
    cfg = root / "etc/dpkg/dpkg.cfg.d"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "docker-slim").write_text(SLIM_DPKG_EXCLUDES)


# ---------------------------------------------------------------- distroless look-alikes

PASSWD = """\
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
"""
GROUP = """\
root:x:0:
tty:x:5:
staff:x:50:
nobody:x:65534:
nonroot:x:65532:
"""
NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n" \
           "protocols: files\nservices: files\nethers: files\nrpc: files\n"


def distroless_static(src: Path, dst: Path) -> None:
    """The files of gcr.io/distroless/static-debian12: CAs, tzdata, users, /tmp.

    No shell, no libc: only statically linked programs run in it.
    """
    for d in ("etc/ssl/certs", "usr/share", "tmp", "home/nonroot", "root", "var/lib", "bin", "sbin"):
        (dst / d).mkdir(parents=True, exist_ok=True)
    os.chmod(dst / "tmp", 0o1777)
    os.chmod(dst / "root", 0o700)
    os.chown(dst / "home/nonroot", 65532, 65532)
    os.chmod(dst / "home/nonroot", 0o700)
    shutil.copy2(src / "etc/ssl/certs/ca-certificates.crt", dst / "etc/ssl/certs/ca-certificates.crt")
    shutil.copytree(src / "usr/share/zoneinfo", dst / "usr/share/zoneinfo", symlinks=True)
    (dst / "etc/passwd").write_text(PASSWD)
    (dst / "etc/group").write_text(GROUP)
    (dst / "etc/nsswitch.conf").write_text(NSSWITCH)
    os_release = (src / "usr/lib/os-release").read_text()
    os_release = re.sub(r'^PRETTY_NAME=.*$', 'PRETTY_NAME="Distroless"', os_release, flags=re.M)
    (dst / "etc/os-release").write_text(os_release)
    # Copy, not link: zoneinfo's links are relative inside the tree already.
    shutil.copy2(src / "usr/share/zoneinfo/UTC", dst / "etc/localtime", follow_symlinks=True)


def distroless_base(src: Path, dst: Path) -> None:
    """static plus glibc and OpenSSL (gcr.io/distroless/base-debian12)."""
    distroless_static(src, dst)
    # Merged-/usr like bookworm: /lib and /lib64 point into /usr.
    for d in ("lib", "lib64"):
        (dst / "usr" / d).mkdir(parents=True, exist_ok=True)
        (dst / d).symlink_to(f"usr/{d}")
    files = run(["chroot", str(src), "dpkg", "-L", "libc6", "libssl3"]).stdout.split()
    for f in files:
        rel = f.lstrip("/")
        s = src / rel
        if not os.path.lexists(s) or (s.is_dir() and not s.is_symlink()):
            continue
        if rel.startswith("usr/share/"):
            continue  # docs and locales: distroless does not ship them
        # Resolve the parent through merged-/usr so /lib/x.so lands in /usr/lib.
        parent = Path(os.path.realpath(s.parent)).relative_to(os.path.realpath(src))
        target = dst / parent / s.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(s, target, follow_symlinks=False)
    run(["ldconfig", "-r", str(dst)])


# ---------------------------------------------------------------- helpers

def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    else:
        p.unlink(missing_ok=True)


def _empty(d: Path, keep: set[str]) -> None:
    if not d.is_dir():
        return
    for entry in d.iterdir():
        if entry.name not in keep:
            _remove(entry)
