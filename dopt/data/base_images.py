"""The base-image table (``base_images.toml``): which smaller variant a base image has, what it lacks,
and roughly how big each is.

This module knows image references only, never the Dockerfile: ``passes/lower.py`` asks it for the
smaller counterpart of one reference and decides itself whether the stage can live with it.

Example::

    >>> t = lower_reference("python", "3.11-bookworm")
    >>> t.name, t.tag
    ('python', '3.11-slim-bookworm')
    >>> lower_reference("python", "3.11-slim").reason
    'python:3.11-slim is already a small variant'
    >>> estimated_savings_mb("python:3.12", "python:3.12-slim")
    335.0
"""

from __future__ import annotations

import fnmatch
import functools
import re
from importlib import resources

from attrs import field, frozen

# Target.variant values
VARIANTS = ("slim", "alpine", "distroless")


@frozen
class Target:
    """The smaller counterpart of a reference, as the table spells it.

    ``name`` is ``[registry/]repository`` (the official-image prefix of the input is kept when the
    repository stays on Docker Hub); ``tag`` is None for images addressed by name only (distroless).
    ``apt`` says missing packages can be added with apt-get; ``cross_vendor`` that the new image is
    a different build or distribution (only safe for stages without RUN).
    """

    family: str
    kind: str
    variant: str
    name: str
    tag: str | None
    apt: bool = True
    cross_vendor: bool = False
    env_old: dict = field(factory=dict, eq=False)
    env_new: dict = field(factory=dict, eq=False)
    note: str = ""

    def __str__(self) -> str:
        return f"{self.name}:{self.tag}" if self.tag else self.name


@frozen
class Refusal:
    """No smaller counterpart. ``minimal`` is True when the reference is already a small variant
    (nothing to do, not a decline); otherwise ``reason`` explains why lowering is refused."""

    family: str | None
    reason: str
    minimal: bool = False


@functools.lru_cache(maxsize=1)
def table() -> dict:
    """The parsed TOML table (cached).

    >>> table()["meta"]["sizes_as_of"]
    '2024-06'
    """
    import tomllib

    text = resources.files("dopt.data").joinpath("base_images.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def family(name: str) -> dict | None:
    """The table entry of one family (``python``, ``node``, ...), or None.

    >>> family("node")["slim"]
    ['{version}', '{codename}', 'slim']
    """
    return table()["families"].get(name)


def split_name(name: str) -> tuple[str, str]:
    """``(prefix, repository)`` of ``[registry/][path/]repository``.

    >>> split_name("docker.io/library/python")
    ('docker.io/library', 'python')
    >>> split_name("python")
    ('', 'python')
    """
    prefix, _, repo = name.rpartition("/")
    return prefix, repo


def is_official(prefix: str) -> bool:
    """True when an image under ``prefix`` is the Docker Hub official image (or a mirror of it).

    >>> is_official("docker.io/library"), is_official("ghcr.io/acme")
    (True, False)
    """
    allowed = table()["meta"]["official_prefixes"]
    return prefix.lower() in allowed or prefix.lower().endswith("/library")


def family_of(name: str) -> tuple[str, dict] | None:
    """``(family name, entry)`` for an image name, or None when it is not an official image we know.

    >>> family_of("library/node")[0]
    'node'
    >>> family_of("ghcr.io/acme/node") is None
    True
    """
    prefix, repo = split_name(name)
    if not is_official(prefix):
        return None
    for key, entry in table()["families"].items():
        if repo.lower() in entry.get("repositories", ()):
            return key, entry
    return None


def is_minimal(name: str, tag: str | None) -> bool:
    """Already-minimal images (scratch, alpine, distroless ...), never lowered.

    >>> is_minimal("gcr.io/distroless/static-debian12", None), is_minimal("python", "3.11")
    (True, False)
    """
    text = f"{name}:{tag}" if tag else name
    return any(fnmatch.fnmatch(text.lower(), pat) for pat in table()["meta"]["minimal"]) or \
        _distroless_owner(name) is not None


def _distroless_owner(name: str) -> str | None:
    for key, entry in table()["families"].items():
        if name in entry.get("distroless", {}).values():
            return key
    return None


def _join(parts: list[str], values: dict) -> str:
    out = [p.format(**values) for p in parts]
    return "-".join(p for p in out if p)


def lower_reference(name: str, tag: str | None, variant: str = "slim") -> Target | Refusal | None:
    """The smaller counterpart of ``name:tag`` in ``variant`` (``slim``, ``alpine``, ``distroless``).

    Returns a :class:`Target`, a :class:`Refusal` (known image, but no such variant or not safe to
    swap by name alone), or None for an image the table does not know.

    >>> str(lower_reference("node", "20-bookworm"))
    'node:20-bookworm-slim'
    >>> str(lower_reference("node", "20", "alpine"))
    'node:20-alpine'
    >>> str(lower_reference("eclipse-temurin", "17-jdk-jammy"))
    'eclipse-temurin:17-jre-jammy'
    >>> lower_reference("golang", "1.22").reason.startswith("a Go toolchain")
    True
    """
    if variant not in VARIANTS:
        from dopt.errors import UsageError

        raise UsageError(f"lower<variant={variant}>: expected one of {', '.join(VARIANTS)}")
    found = family_of(name)
    if found is None:
        return None
    key, entry = found
    prefix, repo = split_name(name)
    shown = f"{name}:{tag}" if tag else name
    tag_text = "" if tag in (None, "latest") else tag
    kind = entry["kind"]
    if kind == "decline":
        return Refusal(key, entry["reason"])
    for pattern in entry.get("already", ()):
        if re.search(pattern, tag_text):
            return Refusal(key, f"{shown} is already a small variant", minimal=True)
    m = re.match(entry["tag"], tag_text) if "tag" in entry else None
    if m is None:
        if "decline_other" in entry:
            return Refusal(key, f"{shown}: {entry['decline_other']}")
        return Refusal(key, f"tag {tag_text or 'latest'!r} of {repo} is not in the base-image table")
    values = {k: (v or "") for k, v in m.groupdict().items()}
    if not values.get("version") and entry.get("default_version"):
        values["version"] = entry["default_version"]
    env_old = _env(entry.get("env", {}), values)
    env_new = _env(entry.get("lowered_env", {}), values)

    def same_repo(new_tag: str, **kw) -> Target:
        return Target(key, kind, kw.pop("variant", "slim"), name, new_tag or None,
                      env_old=env_old, env_new=env_new, **kw)

    if variant == "distroless":
        images = entry.get("distroless")
        if not images:
            reason = entry.get("distroless_decline", f"{repo} has no distroless variant in the table")
            return Refusal(key, reason)
        major = values.get("version", "").split(".")[0].split("_")[0]
        if major not in images:
            return Refusal(key, f"no distroless image for {repo} {values.get('version') or 'latest'}")
        return Target(key, kind, "distroless", images[major], None, apt=False,
                      env_old=env_old, env_new=env_new)
    if variant == "alpine":
        if "alpine" not in entry:
            return Refusal(key, f"{repo} has no alpine variant in the table")
        if values.get("codename"):
            return Refusal(key, f"{shown} pins the Debian release {values['codename']}; alpine would drop it")
        return same_repo(_join(entry["alpine"], values), variant="alpine", apt=False)

    # slim (the default)
    if kind == "cross-distro":
        glibc = entry["glibc"].get(values.get("version", ""), entry["glibc"].get(""))
        if _version(glibc) > _version(entry["target_glibc"]):
            return Refusal(key, f"{shown} has glibc {glibc}, newer than {entry['to']} "
                                f"({entry['target_glibc']}); binaries built for it may not run there")
        return _other_repo(key, entry, prefix, entry["to"].format(**values), env_old, env_new,
                           cross_vendor=True)
    if key == "openjdk":
        major = values["version"].split(".")[0]
        row = entry["by_version"].get(major)
        if row is None:
            return Refusal(key, f"no JRE known for openjdk {values['version']}")
        return _other_repo(key, entry, prefix, row["to"], env_old, _env(row["lowered_env"], values),
                           cross_vendor=row["cross_vendor"])
    if "to" in entry:
        return _other_repo(key, entry, prefix, entry["to"].format(**values), env_old, env_new,
                           cross_vendor=False)
    apt = entry.get("apt", True)
    if "apt_os" in entry:
        apt = values.get("os", "") in entry["apt_os"]
    return same_repo(_join(entry["slim"], values), apt=apt)


def _other_repo(key: str, entry: dict, prefix: str, to: str, env_old: dict, env_new: dict, *,
                cross_vendor: bool) -> Target:
    """A target in another repository; an official-image prefix (``docker.io/library``) is kept."""
    new_name, _, new_tag = to.partition(":")
    full = f"{prefix}/{new_name}" if prefix else new_name
    target_family = family_of(new_name)
    apt = entry.get("apt", True)
    if target_family and "apt_os" in target_family[1]:
        apt = True
    return Target(key, entry["kind"], "slim", full, new_tag or None, apt=apt, cross_vendor=cross_vendor,
                  env_old=env_old, env_new=env_new)


def _env(env: dict, values: dict) -> dict:
    return {k: v.format(**values) for k, v in env.items()}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text))


# --------------------------------------------------------------------------
# Sizes


def size_class(ref: str) -> tuple[str, str] | None:
    """``(family, class)`` of a reference text, class one of full/slim/alpine/distroless.

    >>> size_class("python:3.11-slim-bookworm"), size_class("gcr.io/distroless/java17-debian12")
    (('python', 'slim'), ('eclipse-temurin', 'distroless'))
    """
    name, tag = _split_ref(ref)
    owner = _distroless_owner(name)
    if owner:
        return owner, "distroless"
    found = family_of(name)
    if found is None:
        return None
    key, entry = found
    tag_text = "" if tag in (None, "latest") else tag
    if "alpine" in tag_text:
        return key, "alpine"
    if any(re.search(p, tag_text) for p in entry.get("already", ())):
        return key, "slim"
    return key, "full"


def size_mb(ref: str, *, compressed: bool = True) -> float | None:
    """Approximate size of ``ref`` in MB (linux/amd64, see ``[meta].sizes_as_of``), or None.

    >>> size_mb("node:20-slim")
    70.0
    """
    cls = size_class(ref)
    if cls is None:
        return None
    entry = table()["families"][cls[0]]
    sizes = entry.get("sizes", {}).get(cls[1])
    if sizes is None:
        return None
    return float(sizes["compressed_mb" if compressed else "uncompressed_mb"])


def estimated_savings_mb(from_ref: str, to_ref: str, *, compressed: bool = True) -> float | None:
    """Approximate MB saved by swapping base ``from_ref`` for ``to_ref`` (None when either is unknown).

    >>> estimated_savings_mb("eclipse-temurin:17-jdk", "eclipse-temurin:17-jre", compressed=False)
    210.0
    >>> estimated_savings_mb("python:3.11", "ghcr.io/acme/app") is None
    True
    """
    a = size_mb(str(from_ref), compressed=compressed)
    b = size_mb(str(to_ref), compressed=compressed)
    if a is None or b is None:
        return None
    return a - b


def _split_ref(ref: str) -> tuple[str, str | None]:
    ref = ref.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    if ":" in last:
        last, _, tag = last.partition(":")
        return (f"{head}/{last}" if head else last), tag
    return ref, None
