"""Installed packages read from the package database inside the image tree (no container run).

* dpkg: ``/var/lib/dpkg/status`` paragraphs (``Package``, ``Status``, ``Installed-Size`` in KiB),
  plus distroless's ``/var/lib/dpkg/status.d/*`` files of the same shape;
* apk: ``/lib/apk/db/installed`` (``P:`` name, ``V:`` version, ``I:`` installed bytes).

Example::

    >>> status = b"Package: make\\nStatus: install ok installed\\nInstalled-Size: 1200\\nVersion: 4.3\\n"
    >>> [(p.name, p.installed_bytes) for p in parse_dpkg_status(status)]
    [('make', 1228800)]
    >>> is_build_tool("gcc-12"), is_build_tool("gcc-12-base"), is_build_tool("libssl-dev")
    (True, False, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_INSTALLED = "lib/apk/db/installed"
DATABASE_LIMIT = 256 << 20


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    installed_bytes: int
    manager: str  # "dpkg" or "apk"


BUILD_TOOL_NAMES = {
    "build-essential", "build-base", "make", "cmake", "ninja-build", "ninja", "meson", "autoconf",
    "automake", "libtool", "libtool-bin", "pkg-config", "pkgconf", "pkgconf-bin", "binutils", "dpkg-dev",
    "bison", "flex", "git", "subversion", "mercurial", "gfortran", "golang", "golang-go", "go", "rustc",
    "cargo", "rust", "musl-dev", "linux-headers", "fortify-headers", "patch", "m4", "swig", "ccache",
}
_BUILD_TOOL_PATTERNS = [
    re.compile(r"^(gcc|g\+\+|cpp|c\+\+|clang|llvm|gfortran)(-\d+(\.\d+)*)?$"),
    re.compile(r"^(gcc|g\+\+|cpp)-\d+-[a-z0-9_]+-linux-gnu[a-z]*$"),  # cross/arch triplet compilers
    re.compile(r"^binutils-.+"),
    re.compile(r"^golang-\d+(\.\d+)*(-go)?$"),
    re.compile(r".+-dev$"),
    re.compile(r".+-headers$"),
]
# Runtime packages whose names look like tools: every Debian image needs gcc-N-base
# (libgcc's base), and cpp-N is only a compiler where gcc-N is.
_NOT_BUILD_TOOLS = [re.compile(r"^gcc-\d+-base$"), re.compile(r"^libgcc.*"), re.compile(r"^.*-dev-bin$")]


def is_build_tool(name: str) -> bool:
    """Whether a package is a compiler, build system, VCS or headers: build-time, not runtime.

    >>> is_build_tool("git"), is_build_tool("libc6"), is_build_tool("build-essential")
    (True, False, True)
    """
    if any(p.match(name) for p in _NOT_BUILD_TOOLS):
        return False
    return name in BUILD_TOOL_NAMES or any(p.match(name) for p in _BUILD_TOOL_PATTERNS)


def _paragraphs(data: bytes):
    text = data.decode("utf-8", "replace")
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t"):
                continue  # continuation lines (Description, Conffiles) are not needed
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        if fields:
            yield fields


def parse_dpkg_status(data: bytes) -> list[Package]:
    """Packages whose Status says installed, with Installed-Size (KiB) turned into bytes.

    >>> parse_dpkg_status(b"Package: x\\nStatus: deinstall ok config-files\\nInstalled-Size: 9\\n")
    []
    """
    out = []
    for f in _paragraphs(data):
        name = f.get("Package")
        status = f.get("Status", "install ok installed").split()
        if not name or status[-1:] != ["installed"]:
            continue
        try:
            kib = int(f.get("Installed-Size", "0") or 0)
        except ValueError:
            kib = 0
        out.append(Package(name, f.get("Version", ""), kib * 1024, "dpkg"))
    return out


def parse_apk_installed(data: bytes) -> list[Package]:
    """Packages of an Alpine ``installed`` database (``I:`` is bytes already).

    >>> [(p.name, p.installed_bytes) for p in parse_apk_installed(b"P:musl\\nV:1.2\\nI:600000\\n\\nP:gcc\\nI:9\\n")]
    [('musl', 600000), ('gcc', 9)]
    """
    out = []
    for block in re.split(rb"\n\s*\n", data):
        name = version = ""
        size = 0
        for line in block.splitlines():
            if line.startswith(b"P:"):
                name = line[2:].decode("utf-8", "replace").strip()
            elif line.startswith(b"V:"):
                version = line[2:].decode("utf-8", "replace").strip()
            elif line.startswith(b"I:"):
                try:
                    size = int(line[2:])
                except ValueError:
                    size = 0
        if name:
            out.append(Package(name, version, size, "apk"))
    return out


def packages_from_files(files: dict[str, bytes]) -> list[Package]:
    """Every installed package found in ``files`` (normalized path -> content of the final tree)."""
    out: list[Package] = []
    if DPKG_STATUS in files:
        out.extend(parse_dpkg_status(files[DPKG_STATUS]))
    for path in sorted(files):
        if path.startswith(DPKG_STATUS_D):
            out.extend(parse_dpkg_status(files[path]))
    if APK_INSTALLED in files:
        out.extend(parse_apk_installed(files[APK_INSTALLED]))
    return out


def wants_content(path: str) -> bool:
    """Whether the layer scanner should keep this file's content (package databases only)."""
    return path in (DPKG_STATUS, APK_INSTALLED) or path.startswith(DPKG_STATUS_D)


def installed_packages(tree) -> dict[str, int]:
    """``{package: installed size in bytes}`` from the package database of an image's final tree.

    ``tree`` is a :class:`~dopt.images.tree.FileTree`, an
    :class:`~dopt.images.report.ImageReport`, or a ``{path: content}`` mapping.

    >>> installed_packages({"var/lib/dpkg/status": b"Package: tzdata\\nStatus: install ok installed\\nInstalled-Size: 2\\n"})
    {'tzdata': 2048}
    """
    files = tree if isinstance(tree, dict) else getattr(tree, "files", None)
    if files is None and hasattr(tree, "tree"):
        files = tree.tree.files
    if files is None:
        raise TypeError(f"installed_packages needs a tree, a report or a mapping, not {type(tree).__name__}")
    result: dict[str, int] = {}
    for p in packages_from_files(files):
        result[p.name] = result.get(p.name, 0) + p.installed_bytes
    return result
