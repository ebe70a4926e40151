"""Per-ecosystem knowledge for the ``split`` pass: which language a stage builds, which Debian release
an image stands for, which base a compiled program runs on, which packages are build-only helpers.

The facts are data (``dopt/data/ecosystems.toml``); this module reads them and answers questions
about image references and package operations. It knows nothing about stages or the IR.

Example::

    >>> codename_of("golang", "1.22-bookworm"), codename_of("golang", "1.17"), codename_of("rust", "1")
    ('bookworm', 'bullseye', 'bookworm')
    >>> debian_slim("bookworm")
    'debian:bookworm-slim'
    >>> ecosystem_of_image("eclipse-temurin")
    'java'
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

ECOSYSTEMS = ("python", "node", "java", "go", "rust")
CODENAMES = ("stretch", "buster", "bullseye", "bookworm", "trixie")
_CODENAME_RE = re.compile(r"(?:^|-)(" + "|".join(CODENAMES) + r")(?:-|$)")


@functools.lru_cache(maxsize=1)
def data() -> dict:
    """The parsed ``ecosystems.toml`` (cached)."""
    import tomllib
    from importlib import resources

    text = resources.files("dopt.data").joinpath("ecosystems.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def ecosystem(name: str) -> dict:
    """The table of one ecosystem (``python``, ``node``, ``java``, ``go``, ``rust``).

    >>> ecosystem("python")["venv"]
    '/opt/venv'
    """
    return data()["ecosystems"][name]


def repository_name(image_name: str) -> str:
    """The repository of an image name without Docker Hub prefixes.

    >>> repository_name("docker.io/library/python"), repository_name("gcr.io/distroless/static-debian12")
    ('python', 'gcr.io/distroless/static-debian12')
    """
    name = image_name.lower()
    for prefix in ("docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/",
                   "docker.io/", "library/", "mirror.gcr.io/library/", "public.ecr.aws/docker/library/"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def ecosystem_of_image(image_name: str) -> str | None:
    """The ecosystem whose official toolchain image this is, else None.

    >>> ecosystem_of_image("node"), ecosystem_of_image("debian")
    ('node', None)
    """
    repo = repository_name(image_name)
    for name in ECOSYSTEMS:
        if repo in ecosystem(name).get("repositories", ()):
            return name
    return None


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def codename_of(image_name: str, tag: str | None) -> str | None:
    """The Debian codename an image tag stands for, or None when it is not Debian or unknown.

    A codename in the tag wins; ``alpine``/``slim``-less tags of a known repository use the
    table's defaults by version; ``debian:12`` maps the release number.

    >>> codename_of("debian", "12-slim"), codename_of("golang", "1.22-alpine"), codename_of("ubuntu", "22.04")
    ('bookworm', None, None)
    >>> codename_of("node", "18")
    'bookworm'
    """
    repo = repository_name(image_name)
    tag = tag or "latest"
    m = _CODENAME_RE.search(tag)
    if m:
        return m.group(1)
    if "alpine" in tag or "windowsservercore" in tag or "nanoserver" in tag:
        return None
    if repo == "debian":
        number = re.match(r"(\d+)", tag)
        if number:
            return data()["debian"]["codenames"].get(number.group(1))
        return "bookworm" if tag in ("latest", "stable", "stable-slim", "slim") else None
    table = data().get("default_codename", {}).get(repo)
    if table is None:
        return None
    version = _version_tuple(tag)
    if not version:
        return table["latest"]
    for max_version, codename in table.get("rows", ()):
        limit = _version_tuple(max_version)
        # a short tag ("1", "3.11") names the newest release it prefixes
        if len(version) < len(limit):
            if version < limit[: len(version)]:
                return codename
        elif version[: len(limit)] <= limit:
            return codename
    return table["latest"]


def is_alpine(tag: str | None) -> bool:
    return bool(tag and "alpine" in tag)


def debian_slim(codename: str) -> str:
    """The Debian slim image of a release.

    >>> debian_slim("bullseye")
    'debian:bullseye-slim'
    """
    return data()["debian"]["slim"].format(codename=codename)


def distroless_version(codename: str) -> str | None:
    """Distroless's Debian suffix number for a codename, None when distroless has no such release.

    >>> distroless_version("bookworm"), distroless_version("bullseye")
    ('12', None)
    """
    suffix = data()["debian"].get("distroless", {}).get(codename)
    return suffix.removeprefix("debian") if suffix else None


def build_helpers(name: str) -> frozenset[str]:
    """Packages an ecosystem's build needs that its runtime does not (unless the runtime calls them).

    >>> "python3" in build_helpers("node")
    True
    """
    return frozenset(ecosystem(name).get("build_helpers", ()))


def commands_of(package: str) -> tuple[str, ...]:
    """The commands a package provides (its own name when the table does not say).

    >>> commands_of("xz-utils")[0], commands_of("curl")
    ('xz', ('curl',))
    """
    return tuple(data().get("commands", {}).get(package, (package,)))


def run_command_class(argv0: str) -> str | None:
    """``account`` (useradd ...), ``harmless`` (echo, ls ...) or None.

    >>> run_command_class("useradd"), run_command_class("echo"), run_command_class("mkdir")
    ('account', 'harmless', None)
    """
    table = data().get("run_commands", {})
    for kind in ("account", "harmless"):
        if argv0 in table.get(kind, ()):
            return kind
    return None


def runtime_files(packages: Iterable[str] = ()) -> list[str]:
    """Files a package-manager-less runtime copies from a Debian builder: always CA roots and zoneinfo.

    >>> runtime_files()
    ['/usr/share/zoneinfo', '/etc/ssl/certs/ca-certificates.crt']
    """
    table = data()["runtime_files"]
    wanted = list(dict.fromkeys([*table.get("always", ()), *packages]))
    out: list[str] = []
    for package in wanted:
        for path in table.get(package, ()):
            if path not in out:
                out.append(path)
    return out


def file_packages() -> frozenset[str]:
    """Packages whose files :func:`runtime_files` copies instead of installing them.

    >>> sorted(file_packages())
    ['ca-certificates', 'tzdata']
    """
    return frozenset(k for k in data()["runtime_files"] if k != "always")


def node_prune_command(tool: str, node_tag: str | None) -> str:
    """The command that drops dev dependencies from ``node_modules`` after the build.

    >>> node_prune_command("npm", "18"), node_prune_command("npm", "14-buster")
    ('npm prune --omit=dev', 'npm prune --production')
    >>> node_prune_command("pnpm", "20")
    'pnpm prune --prod'
    """
    table = ecosystem("node")
    prune = table["prune"]
    if tool == "npm":
        version = _version_tuple(node_tag or "")
        if version and version[0] < table["omit_dev_since_node"]:
            return prune["npm_legacy"]
        return prune["npm"]
    return prune[tool]


def java_output_glob(tool: str) -> str:
    """Where maven/gradle write their jars, relative to the project directory.

    >>> java_output_glob("maven")
    'target/*.jar'
    """
    return ecosystem("java")["outputs"][tool]


def rust_runtime_packages(codename: str) -> list[str]:
    """Libraries a Rust binary from the official image commonly loads that debian slim lacks.

    >>> rust_runtime_packages("bookworm")
    ['ca-certificates', 'libssl3']
    """
    return list(ecosystem("rust").get("runtime_packages", {}).get(codename, ("ca-certificates",)))


def alpine_runtime_packages(build_packages: Iterable[str]) -> tuple[list[str], list[str]]:
    """Alpine runtime libraries for build packages, and the ``-dev`` packages the table does not know.

    >>> alpine_runtime_packages(["gcc", "musl-dev", "libffi-dev", "libfoo-dev"])
    (['libffi'], ['libfoo-dev'])
    """
    table = data().get("alpine_runtime", {})
    out: dict[str, None] = {}
    unknown: list[str] = []
    for name in build_packages:
        if name in table:
            for p in table[name]:
                out.setdefault(p, None)
        elif name.endswith("-dev"):
            unknown.append(name)
    return list(out), unknown
