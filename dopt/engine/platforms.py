"""Target platforms: parsing ``--platform`` lists and telling whether this host can run a platform's images.

A foreign-architecture image runs through the kernel's binfmt_misc handler for its machine type
(Debian's ``qemu-user-static`` + ``binfmt-support``); without one, its programs fail with
``exec format error``. :func:`emulation_problem` says which, before anything is run.

    >>> parse_platforms("linux/amd64, linux/arm64/v8")
    ['linux/amd64', 'linux/arm64']
    >>> arch_of("linux/arm/v7"), qemu_name("linux/arm64")
    ('arm', 'aarch64')
"""

from __future__ import annotations

import platform as _host
import re
from pathlib import Path

from dopt.errors import UsageError

_PLATFORM = re.compile(r"^(linux|windows|darwin|freebsd)/([a-z0-9_]+)(?:/(v[0-9]+))?$")
# Python's machine names -> OCI architecture names
_MACHINE = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
            "armv6l": "arm", "i686": "386", "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x",
            "riscv64": "riscv64"}
_QEMU = {"arm64": "aarch64", "arm": "arm", "386": "i386", "ppc64le": "ppc64le", "s390x": "s390x",
         "riscv64": "riscv64", "amd64": "x86_64", "mips64le": "mips64el"}
# Architectures a host runs without emulation.
_NATIVE_ALSO = {"amd64": {"386"}, "arm64": {"arm"}}
BINFMT = Path("/proc/sys/fs/binfmt_misc")


def parse_platforms(text: str) -> list[str]:
    """``os/arch[/variant]`` items of a comma-separated list, normalized (``arm64/v8`` is ``arm64``),
    without duplicates; a bad item is a :class:`UsageError`.

    >>> parse_platforms("linux/arm/v7,linux/arm/v7")
    ['linux/arm/v7']
    """
    out: list[str] = []
    for item in (p.strip().lower() for p in text.split(",")):
        m = _PLATFORM.match(item)
        if not m:
            raise UsageError(f"--platform {item or text!r}: expected os/arch[/variant], e.g. linux/arm64")
        value = item[:-3] if item.endswith("arm64/v8") else item
        if value not in out:
            out.append(value)
    if not out:
        raise UsageError("--platform needs at least one os/arch")
    return out


def arch_of(platform: str) -> str:
    """The architecture part of ``os/arch[/variant]``."""
    return platform.split("/")[1]


def qemu_name(platform: str) -> str:
    """The machine name qemu and binfmt-support use for a platform's architecture."""
    return _QEMU.get(arch_of(platform), arch_of(platform))


def host_arch() -> str:
    """This machine's architecture in OCI spelling (``amd64``, ``arm64``)."""
    machine = _host.machine().lower()
    return _MACHINE.get(machine, machine)


def host_platform() -> str:
    return f"linux/{host_arch()}"


def emulation_problem(platform: str, *, binfmt: Path = BINFMT) -> str | None:
    """None when this host can run ``platform``'s programs (natively or through an enabled binfmt
    handler), else why not and how to fix it.

    >>> emulation_problem(host_platform()) is None
    True
    """
    arch, host = arch_of(platform), host_arch()
    if arch == host or arch in _NATIVE_ALSO.get(host, ()):
        return None
    name = qemu_name(platform)
    handler = binfmt / f"qemu-{name}"
    try:
        state = handler.read_text().splitlines()[0].strip()
    except OSError:
        return (f"this {host} host has no binfmt_misc handler for {name} ({handler}), so {platform} programs "
                f"cannot run here: as root, apt-get install qemu-user-static binfmt-support; "
                f"mount -t binfmt_misc binfmt_misc {binfmt}; update-binfmts --enable qemu-{name}")
    if state != "enabled":
        return f"the binfmt_misc handler {handler} is {state}: update-binfmts --enable qemu-{name}"
    return None
