"""Platform findings: what keeps a Dockerfile from building for another architecture (ARM64 above all).

``platform_findings(df)`` returns ``(rule_id, message, span)`` tuples, for ``dopt analyze`` to wire in:

* ``DO501`` -- an architecture-specific download or package: a URL, ``ADD`` source or package name with
  ``amd64``/``x86_64``/``x64`` baked in (``kubectl-linux-amd64``, ``libc6:amd64``), or ``GOARCH=amd64``. On an
  arm64 build the file is the wrong architecture (or ``exec format error`` at run time). Words that use
  ``$TARGETARCH`` / ``$(uname -m)`` / ``$(dpkg --print-architecture)`` are not reported.
* ``DO502`` -- a base image the platform table (``dopt/data/platforms.toml``) knows has no linux/arm64 image
  (``mcr.microsoft.com/mssql/server``, ``openjdk:8-jdk-alpine``, ``mysql:5.7``). Unknown images are not
  reported, and neither is a FROM pinned with ``--platform=linux/amd64`` (the author chose it).

Example::

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("FROM mysql:5.7\\nRUN curl -fsSLo /usr/local/bin/jq https://x.io/jq-linux-amd64\\n")
    >>> [(rule, span.start_line) for rule, _, span in platform_findings(df)]
    [('DO502', 1), ('DO501', 2)]
"""

from __future__ import annotations

import fnmatch
import functools
import re

from dopt.ir import CopyLike, Dockerfile, Run, Span

RULES = {
    "DO501": "architecture-specific download or package",
    "DO502": "base image without an ARM64 variant",
}
# amd64 spelled the ways release files spell it, as a word of a URL, file or package name.
_X86 = re.compile(r"(?<![A-Za-z0-9])(amd64|x86_64|x86-64|x64|linux64)(?![A-Za-z0-9])", re.I)
_URL = re.compile(r"(?:https?|ftp)://[^\s'\"|;&)]+")
# A package for one architecture: Debian multiarch ``name:amd64`` or a flavour package ``linux-image-amd64``.
# (Cross-compiler packages such as gcc-x86-64-linux-gnu exist on arm64 too, so they are not reported.)
_ARCH_PACKAGE = re.compile(r"(?::|-)(amd64|i386)$")
_SYSTEM = frozenset({"apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})


def platform_findings(df: Dockerfile) -> list[tuple[str, str, Span | None]]:
    """Findings about building ``df`` for linux/arm64, in file order.

    >>> from dopt.frontend import parse_text
    >>> platform_findings(parse_text("FROM python:3.11\\nARG TARGETARCH\\nRUN curl -O https://x/t-$TARGETARCH\\n"))
    []
    """
    from dopt.variables import resolve_stages

    out: list[tuple[str, str, Span | None]] = []
    resolved = resolve_stages(df)
    for index, stage in enumerate(df.stages):
        r = resolved[index]
        if r.parent_index is None and "$" not in r.base:
            arches = architectures(r.image.name, r.image.tag)
            platform = (stage.platform or "").lower()
            if arches is not None and not _has_arm64(arches) and not platform.startswith("linux/amd64"):
                out.append(("DO502", f"{r.base} is not published for linux/arm64 (platforms table: "
                                     f"{', '.join(arches)}); an arm64 build of this stage fails to pull it"
                                     + _note(r.image.name, r.image.tag), stage.from_.span))
        for ins in stage.instructions:
            out.extend(_instruction_findings(ins))
    return out


def _instruction_findings(ins) -> list[tuple[str, str, Span | None]]:
    found: list[tuple[str, str, Span | None]] = []
    if isinstance(ins, CopyLike) and ins.KIND == "ADD":
        for src in ins.sources:
            if "://" in src and _X86.search(src):
                found.append(("DO501", f"ADD {src} downloads an {_X86.search(src).group(1)} file; an arm64 "
                                       "build gets the wrong architecture (use $TARGETARCH in the URL)", ins.span))
    if isinstance(ins, Run):
        from dopt.rewrite import run_text

        text = run_text(ins)
        if text is None:
            return found
        for url in _URL.findall(text):
            m = _X86.search(url)
            if m:
                found.append(("DO501", f"{url} is an {m.group(1)} download; an arm64 build gets the wrong "
                                       "architecture (use $TARGETARCH, or $(dpkg --print-architecture))", ins.span))
        found.extend(_package_findings(ins, text))
    return found


def _package_findings(ins: Run, text: str) -> list[tuple[str, str, Span | None]]:
    from dopt.packages import package_ops
    from dopt.shell import parse_script

    script = parse_script(text)
    if script.opaque:
        return []
    found = []
    for op in package_ops(script):
        if op.manager in _SYSTEM and op.action == "install":
            for p in op.packages:
                m = _ARCH_PACKAGE.search(p)
                if m and "$" not in p:
                    found.append(("DO501", f"package {p} is for {m.group(1)} only; an arm64 build cannot "
                                           "install it", ins.span))
        if op.manager == "go" and op.action in ("build", "install"):
            arch = op.env_value("GOARCH")
            if arch and "$" not in arch and arch.strip("'\"") != "arm64":
                found.append(("DO501", f"GOARCH={arch} pins the binary to {arch} on every platform (use "
                                       "GOARCH=$TARGETARCH with ARG TARGETARCH)", ins.span))
    return found


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    import tomllib
    from importlib import resources

    return tomllib.loads(resources.files("dopt.data").joinpath("platforms.toml").read_text(encoding="utf-8"))


def _entry(name: str, tag: str | None) -> dict | None:
    from dopt.ecosystems import repository_name

    repo = repository_name(name)
    text = f"{repo}:{tag or 'latest'}"
    for entry in _table()["images"]:
        for pattern in entry.get("patterns") or [entry["pattern"]]:
            if ":" not in pattern and "*" not in pattern:
                pattern = pattern + ":*"
            if fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(repo, pattern):
                return entry
    return None


def architectures(name: str, tag: str | None) -> list[str] | None:
    """The architectures an image is published for, per the table; None when it is not in the table.

    >>> architectures("mcr.microsoft.com/mssql/server", "2022-latest"), architectures("ghcr.io/acme/app", "1")
    (['amd64'], None)
    >>> "arm64" in architectures("docker.io/library/python", "3.11-slim")
    True
    """
    entry = _entry(name, tag)
    return None if entry is None else list(entry["architectures"])


def _has_arm64(arches: list[str]) -> bool:
    return "*" in arches or any(a.split("/")[0] in ("arm64", "aarch64") for a in arches)


def _note(name: str, tag: str | None) -> str:
    entry = _entry(name, tag) or {}
    return f" ({entry['note']})" if entry.get("note") else ""
