"""Package-manager facts read from the shell script model.

:func:`package_ops` turns every package-manager (and build-tool) command of a
:class:`~dopt.shell.Script` into a :class:`PackageOp`; the helpers above it
answer the questions passes ask: which build tools a stage uses
(:func:`build_tools`), which packages each manager installs
(:func:`extract_package_managers`, the specification's shape), and which
Debian runtime packages replace the ``-dev`` packages of a build stage
(:func:`runtime_packages_for`).

Example::

    >>> from dopt.shell import parse_script
    >>> ops = package_ops(parse_script(
    ...     "apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev"
    ...     " && pip install --no-cache-dir torch==2.0.0"))
    >>> [(o.manager, o.action, o.packages) for o in ops]
    [('apt', 'update', ()), ('apt', 'install', ('gcc', 'libpq-dev')), ('pip', 'install', ('torch==2.0.0',))]
    >>> ops[1].assume_yes, ops[1].no_install_recommends, ops[2].no_cache
    (True, True, True)

Conventions:

* ``packages`` are kept as written (``torch==2.0.0``, ``python3=3.11*``,
  ``$PKGS``); :func:`package_name` strips a version when a name is needed.
* ``options`` holds every option as written without its value (``--omit``)
  and, for an option with a value, also ``name=value`` (``--omit=dev``);
  combined short flags are split too (``-qy`` gives ``-qy``, ``-q``, ``-y``).
* ``action`` is normalised across managers (``apk add`` and ``npm i`` are
  ``install``, ``apk del`` and ``pip uninstall`` are ``remove``, cache
  cleaning is ``clean``); ``subcommand`` keeps the word(s) as written.
* An ``rm`` is one op (manager ``rm``, action ``remove-files``); when it
  removes a package manager's lists or cache a second, derived op follows
  for that manager (``apt``/``clean-lists`` for ``/var/lib/apt/lists``,
  ``clean`` for caches) with ``tool == "rm"``.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable

import attrs
from attrs import frozen

from dopt.shell import Script, SimpleCommand, parse_script


@frozen(kw_only=True)
class PackageOp:
    """One package-manager or build-tool command.

    Fields not meaningful for a manager stay at their defaults.
    ``tool`` is the program as called (``apt-get``, ``pip3``, ``uv``,
    ``mvnw``, ``gcc``); ``arguments`` the positional words that are neither
    packages nor paths (maven goals, make targets, bundle config words);
    ``paths`` the files an ``rm`` removes; ``output`` a build's ``-o``;
    ``script`` the name of an npm/yarn/pnpm script; ``env`` the command's
    assignments (prefix and ``env X=1``).
    """

    manager: str
    action: str
    command: SimpleCommand
    tool: str = ""
    subcommand: str = ""
    packages: tuple[str, ...] = ()
    options: frozenset[str] = frozenset()
    arguments: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()
    constraint_files: tuple[str, ...] = ()
    editable: bool = False
    local_paths: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    user: bool = False
    prefix: str | None = None
    target: str | None = None
    output: str | None = None
    script: str | None = None
    env: tuple[str, ...] = ()
    no_cache: bool = False
    no_install_recommends: bool = False
    assume_yes: bool = False
    virtual: str | None = None
    global_install: bool = False
    production: bool = False

    @property
    def reads_files(self) -> tuple[str, ...]:
        """Build-context files the command reads by name (requirement and
        constraint files, local package paths).  B73: ``pip install -r
        requirements.txt`` reads only ``requirements.txt``; ``pip install .``
        reads the whole directory."""
        return self.requirement_files + self.constraint_files + self.local_paths

    def env_value(self, name: str) -> str | None:
        """The value the command's own assignments give ``name``, else None."""
        value = None
        for a in self.env:
            k, _, v = a.partition("=")
            if k == name:
                value = v
        return value

    @property
    def cgo_enabled(self) -> str | None:
        """``CGO_ENABLED`` as the command sets it (``"0"``/``"1"``), else None."""
        return self.env_value("CGO_ENABLED")


INSTALL_ACTIONS = frozenset({"install", "ci"})


def package_ops(script: Script) -> tuple[PackageOp, ...]:
    """One :class:`PackageOp` per package-manager command, in source order.

    Commands inside ``$( )`` count too (they run).  An opaque script has none.

    >>> from dopt.shell import parse_script
    >>> [(o.manager, o.action, o.virtual) for o in package_ops(parse_script(
    ...     "apk add --no-cache --virtual .build-deps gcc musl-dev && apk del .build-deps"))]
    [('apk', 'install', '.build-deps'), ('apk', 'remove', None)]
    """
    return _package_ops_cached(script)


@functools.lru_cache(maxsize=2048)
def _package_ops_cached(script: Script) -> tuple[PackageOp, ...]:
    ops: list[PackageOp] = []
    for cmd in script.commands:
        ops.extend(_ops_for_command(cmd))
    return tuple(ops)


def _ops_for_command(cmd: SimpleCommand) -> list[PackageOp]:
    argv = list(cmd.effective_argv)
    if not argv:
        return []
    tool = argv[0].rsplit("/", 1)[-1]
    name = _tool_name(argv[0])
    env = cmd.effective_assignments
    # `python -m pip ...` and `uv pip ...` are pip with a different launcher.
    if re.fullmatch(r"python(\d+(\.\d+)?)?", name):
        module = _python_module(argv)
        if module is None:
            return []
        mod, rest = module
        if mod == "pip":
            return [_pip(cmd, tool, rest, env)]
        return []
    if name == "uv":
        if len(argv) > 1 and argv[1] == "pip":
            return [_pip(cmd, "uv", argv[2:], env)]
        return [_uv(cmd, argv[1:], env)]
    handler = _HANDLERS.get(name)
    if handler is None:
        for pattern, h in _PATTERN_HANDLERS:
            if pattern.fullmatch(name):
                handler = h
                break
    if handler is None:
        return []
    result = handler(cmd, name, argv[1:], env)
    if tool != name:  # `xx-apk`: dispatched as apk, reported as called
        result = [attrs.evolve(o, tool=tool) for o in ([result] if isinstance(result, PackageOp) else result)]
    if isinstance(result, PackageOp):
        return [result]
    return list(result)


def _tool_name(word: str) -> str:
    base = word.rsplit("/", 1)[-1]
    # tonistiigi/xx cross-compilation wrappers behave like the wrapped tool.
    if base.startswith("xx-") and base[3:] in ("apk", "apt-get", "apt", "go", "cargo", "clang", "clang++"):
        return base[3:]
    return base


def _python_module(argv: list[str]) -> tuple[str, list[str]] | None:
    i = 1
    while i < len(argv):
        w = argv[i]
        if w == "-m" and i + 1 < len(argv):
            return argv[i + 1], argv[i + 2:]
        if w.startswith("-m") and len(w) > 2:
            return w[2:], argv[i + 1:]
        if not w.startswith("-") or w in ("-c",):
            return None
        i += 1
    return None


# --------------------------------------------------------------------------
# Option parsing shared by the handlers


@frozen
class _Parsed:
    positionals: tuple[str, ...]
    options: frozenset[str]
    values: dict  # option name -> list of values, in order

    def has(self, *names: str) -> bool:
        return any(n in self.options for n in names)

    def value(self, *names: str) -> str | None:
        for n in names:
            if self.values.get(n):
                return self.values[n][-1]
        return None

    def all_values(self, *names: str) -> tuple[str, ...]:
        out: list[str] = []
        for n in names:
            out.extend(self.values.get(n, ()))
        return tuple(out)


def _parse_args(args: Iterable[str], takes_value: Iterable[str] = (), *, combine: bool = True,
                attached: Iterable[str] = ()) -> _Parsed:
    """Split argv into positionals and options.

    ``takes_value``: options whose value is the next word (or ``=value``);
    ``attached``: short options that also take a value written right after
    them (``-Pprod``, ``-j4``); ``combine``: split ``-abc`` into flags.
    """
    takes = set(takes_value)
    glued = tuple(attached)
    positionals: list[str] = []
    options: set[str] = set()
    values: dict[str, list[str]] = {}
    words = list(args)
    i = 0

    def record(name: str, value: str | None) -> None:
        options.add(name)
        if value is not None:
            options.add(f"{name}={value}")
            values.setdefault(name, []).append(value)

    while i < len(words):
        w = words[i]
        i += 1
        if w == "--":
            positionals.extend(words[i:])
            break
        if not w.startswith("-") or w == "-":
            positionals.append(w)
            continue
        if "=" in w and w.startswith("--"):
            name, _, value = w.partition("=")
            record(name, value)
            continue
        if w in takes:
            value = words[i] if i < len(words) else None
            i += 1 if value is not None else 0
            record(w, value)
            continue
        prefix = next((g for g in glued if w.startswith(g) and len(w) > len(g)), None)
        if prefix is not None:  # `-DskipTests`, `-Dx=y`, `-j4`, `-Pprod`
            options.update({prefix, w, w.partition("=")[0]})
            values.setdefault(prefix, []).append(w[len(prefix):])
            continue
        if "=" in w:  # single-dash `-ldflags=...`, `-q=2`
            name, _, value = w.partition("=")
            record(name, value)
            continue
        options.add(w)
        if combine and not w.startswith("--") and len(w) > 2 and w[1:].isalpha():
            options.update(f"-{c}" for c in w[1:])
            # `-Ur req.txt`: the last flag of a group may take the next word
            if f"-{w[-1]}" in takes and i < len(words):
                record(f"-{w[-1]}", words[i])
                i += 1
    return _Parsed(tuple(positionals), frozenset(options), values)


def _op(manager: str, action: str, cmd: SimpleCommand, tool: str, env, parsed: _Parsed | None = None,
        **fields) -> PackageOp:
    fields.setdefault("options", parsed.options if parsed is not None else frozenset())
    return PackageOp(manager=manager, action=action, command=cmd, tool=tool, env=tuple(env), **fields)


def _first(positionals: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    return (positionals[0], positionals[1:]) if positionals else ("", ())


def _env_truthy(env, name: str) -> bool:
    for a in env:
        k, _, v = a.partition("=")
        if k == name and v.strip("'\"").lower() not in ("", "0", "false", "no", "off"):
            return True
    return False


# --------------------------------------------------------------------------
# System package managers

_APT_ACTIONS = {
    "update": "update", "install": "install", "reinstall": "install", "remove": "remove",
    "purge": "purge", "autoremove": "autoremove", "autopurge": "autoremove", "clean": "clean",
    "autoclean": "clean", "upgrade": "upgrade", "dist-upgrade": "dist-upgrade",
    "full-upgrade": "dist-upgrade", "build-dep": "build-dep", "download": "download",
    "source": "download",
}


def _apt(cmd, tool, args, env):
    p = _parse_args(args, {"-o", "--option", "-c", "--config-file", "-t", "--target-release",
                           "--default-release", "-a", "--host-architecture"})
    sub, rest = _first(p.positionals)
    action = _APT_ACTIONS.get(sub, sub or "none")
    if action == "remove" and p.has("--purge"):
        action = "purge"
    apt_opts = p.all_values("-o", "--option")
    quiet = sum(w.count("q") for w in args if re.fullmatch(r"-[a-zA-Z]+", w)) >= 2 or p.has("-q=2", "--quiet=2")
    return _op(
        "apt", action, cmd, tool, env, p, subcommand=sub, packages=rest,
        assume_yes=p.has("-y", "--yes", "--assume-yes", "--force-yes") or quiet,
        no_install_recommends=p.has("--no-install-recommends") or any(
            re.fullmatch(r"APT::Install-Recommends=(false|0|no)", o, re.I) for o in apt_opts),
    )


_APK_ACTIONS = {"add": "install", "del": "remove", "update": "update", "upgrade": "upgrade",
                "fix": "fix", "info": "info", "search": "search"}


def _apk(cmd, tool, args, env):
    p = _parse_args(args, {"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch",
                           "--cache-dir", "--keys-dir", "--repositories-file"}, combine=False)
    sub, rest = _first(p.positionals)
    action = _APK_ACTIONS.get(sub, sub or "none")
    if sub == "cache" and rest and rest[0] in ("clean", "purge"):
        action, sub, rest = "clean", f"cache {rest[0]}", rest[1:]
    return _op("apk", action, cmd, tool, env, p, subcommand=sub,
               packages=rest if action in ("install", "remove", "upgrade") else (),
               arguments=rest if action not in ("install", "remove", "upgrade") else (),
               no_cache=p.has("--no-cache"), virtual=p.value("-t", "--virtual"))


_RPM_ACTIONS = {
    "install": "install", "in": "install", "reinstall": "install", "localinstall": "install",
    "groupinstall": "install", "remove": "remove", "erase": "remove", "rm": "remove",
    "autoremove": "autoremove", "clean": "clean", "cc": "clean", "update": "upgrade",
    "upgrade": "upgrade", "up": "upgrade", "makecache": "update", "refresh": "update",
    "ref": "update", "check-update": "update", "dist-upgrade": "dist-upgrade",
    "dup": "dist-upgrade", "distro-sync": "dist-upgrade",
}


def _rpm_family(cmd, tool, args, env):
    """yum, dnf, microdnf, tdnf and zypper share their verbs closely enough."""
    p = _parse_args(args, {"--setopt", "--enablerepo", "--disablerepo", "--installroot",
                           "--releasever", "-c", "--config", "-x", "--exclude", "--repo",
                           "--repoid", "--from", "-r", "--repofrom"}, combine=True)
    sub, rest = _first(p.positionals)
    if sub == "group" and rest and rest[0] in ("install", "remove"):
        sub, rest = f"group {rest[0]}", rest[1:]
    action = _RPM_ACTIONS.get(sub.split()[-1] if sub else "", sub or "none")
    setopts = p.all_values("--setopt")
    weak_off = any(re.fullmatch(r"install_weak_deps=(false|0|no)", s, re.I) for s in setopts)
    installs = action in ("install", "remove", "upgrade", "autoremove")
    return _op(
        tool, action, cmd, tool, env, p, subcommand=sub,
        packages=rest if installs else (), arguments=() if installs else rest,
        assume_yes=p.has("-y", "--assumeyes", "--yes", "-n", "--non-interactive", "--no-confirm"),
        no_install_recommends=weak_off or p.has("--no-recommends"),
        no_cache=any(re.fullmatch(r"keepcache=(false|0|no)", s, re.I) for s in setopts),
    )


def _rm(cmd, tool, args, env):
    p = _parse_args(args, (), combine=True)
    paths = p.positionals
    ops = [_op("rm", "remove-files", cmd, tool, env, p, paths=paths)]
    for manager, action, pattern in _CLEANUP_PATHS:
        hit = tuple(x for x in paths if pattern.match(x))
        if hit:
            ops.append(_op(manager, action, cmd, tool, env, p, paths=hit))
    return ops


_HOME = r"(?:/root|~|\$HOME|\$\{HOME\}|/home/[^/]+)"
_CLEANUP_PATHS = (
    ("apt", "clean-lists", re.compile(r"/var/lib/apt/lists(/|$)")),
    ("apt", "clean", re.compile(r"/var/cache/apt(/|$)")),
    ("apk", "clean", re.compile(r"/var/cache/apk(/|$)")),
    ("yum", "clean", re.compile(r"/var/cache/yum(/|$)")),
    ("dnf", "clean", re.compile(r"/var/cache/(dnf|libdnf5)(/|$)")),
    ("pip", "clean", re.compile(_HOME + r"/\.cache/pip(/|$)")),
    ("npm", "clean", re.compile(_HOME + r"/\.npm(/|$)")),
    ("yarn", "clean", re.compile(r"(/usr/local/share/\.cache/yarn|" + _HOME + r"/\.cache/yarn)(/|$)")),
    ("conda", "clean", re.compile(r"/opt/conda/pkgs(/|$)")),
    ("gem", "clean", re.compile(r"(/usr/local/bundle/cache|" + _HOME + r"/\.gem)(/|$)")),
)


# --------------------------------------------------------------------------
# Language package managers

_PIP_VALUE_OPTIONS = {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target",
    "--prefix", "--root", "--src", "-i", "--index-url", "--extra-index-url", "-f",
    "--find-links", "--no-binary", "--only-binary", "--platform", "--python-version",
    "--implementation", "--abi", "--progress-bar", "--log", "--cache-dir", "--trusted-host",
    "--upgrade-strategy", "--global-option", "--install-option", "-C", "--config-settings",
    "--python", "-p", "--extra", "--proxy", "--timeout", "--retries", "--exists-action",
    "-d", "--dest", "-w", "--wheel-dir", "--report", "--root-user-action", "--index-strategy",
    "--keyring-provider", "--override", "--group",
}
_PIP_ACTIONS = {"install": "install", "uninstall": "remove", "download": "download",
                "wheel": "build", "sync": "install", "compile": "compile", "freeze": "freeze",
                "list": "list", "show": "show", "check": "check", "config": "config"}


def _pip(cmd, tool, args, env):
    p = _parse_args(args, _PIP_VALUE_OPTIONS, combine=True)
    sub, rest = _first(p.positionals)
    action = _PIP_ACTIONS.get(sub, sub or "none")
    packages: list[str] = []
    local: list[str] = []
    editables = p.all_values("-e", "--editable")
    for spec in rest + editables:
        (local if is_local_path(spec) else packages).append(spec)
    if action == "remove":
        return _op("pip", action, cmd, tool, env, p, subcommand=sub, packages=rest,
                   requirement_files=p.all_values("-r", "--requirement"),
                   assume_yes=p.has("-y", "--yes"))
    if action == "compile":  # `uv pip compile requirements.in -o requirements.txt`
        return _op("pip", action, cmd, tool, env, p, subcommand=sub, requirement_files=rest,
                   output=p.value("-o", "--output-file"))
    return _op(
        "pip", action, cmd, tool, env, p, subcommand=sub,
        packages=tuple(packages), local_paths=tuple(local),
        requirement_files=p.all_values("-r", "--requirement") + (rest if sub == "sync" else ()),
        constraint_files=p.all_values("-c", "--constraint"),
        editable=bool(editables), user=p.has("--user"),
        prefix=p.value("--prefix"), target=p.value("-t", "--target"),
        no_cache=p.has("--no-cache-dir", "--no-cache") or _env_truthy(env, "PIP_NO_CACHE_DIR")
        or _env_truthy(env, "UV_NO_CACHE"),
        global_install=p.has("--system", "--break-system-packages"),
    )


def is_local_path(spec: str) -> bool:
    """Whether a pip install operand names something in the build context.

    >>> [is_local_path(s) for s in (".", "./pkg", "/abs", "dist/app-1.0-py3-none-any.whl",
    ...     "pkg.tar.gz", ".[dev]", "requests", "git+https://x/y.git", "https://x/a.whl")]
    [True, True, True, True, True, True, False, False, False]
    """
    s = spec.strip()
    if re.match(r"^[\w.-]+(\[.*\])?\s*@\s*file:", s):
        return True
    if "://" in s:
        return s.startswith("file://")
    if s.startswith("$("):
        return False
    if s.startswith((".", "/", "~")):
        return True
    if s.startswith("$"):  # `$APP_DIR/pkg` is a path, `$PACKAGES` a list of names
        return "/" in s
    return bool(_ARCHIVE.search(s)) or "/" in s


_ARCHIVE = re.compile(r"\.(whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip)$")


def _npm_is_local(spec: str) -> bool:
    # `user/repo` is GitHub shorthand for npm, not a path
    return spec.startswith((".", "/", "~", "file:")) or bool(re.search(r"\.(tgz|tar\.gz)$", spec))


def _uv(cmd, args, env):
    p = _parse_args(args, {"--python", "-p", "--group", "--extra", "--only-group", "--no-group",
                           "--project", "--directory", "--package", "-o", "--output-file"})
    sub, rest = _first(p.positionals)
    action = {"sync": "install", "add": "install", "remove": "remove", "lock": "lock",
              "build": "build", "export": "export", "run": "run"}.get(sub, sub or "none")
    return _op("uv", action, cmd, "uv", env, p, subcommand=sub,
               packages=rest if sub in ("add", "remove") else (),
               arguments=rest if sub not in ("add", "remove") else (),
               no_cache=p.has("--no-cache") or _env_truthy(env, "UV_NO_CACHE"),
               production=p.has("--no-dev") or "--only-group" in p.options and "dev" not in p.all_values("--only-group"))


def _poetry(cmd, tool, args, env):
    p = _parse_args(args, {"--only", "--without", "--with", "-E", "--extras", "-C", "--directory",
                           "-o", "--output", "-f", "--format", "-G", "--group", "-P", "--project"})
    sub, rest = _first(p.positionals)
    action = {"install": "install", "add": "install", "remove": "remove", "update": "upgrade",
              "lock": "lock", "build": "build", "export": "export", "sync": "install",
              "config": "config"}.get(sub, sub or "none")
    groups_only = {g for v in p.all_values("--only") for g in v.split(",")}
    without = {g for v in p.all_values("--without") for g in v.split(",")}
    return _op(
        "poetry", action, cmd, tool, env, p, subcommand=sub,
        packages=rest if sub in ("add", "remove") else (),
        arguments=rest if sub not in ("add", "remove") else (),
        output=p.value("-o", "--output"),
        production=p.has("--no-dev", "--only-root") or groups_only == {"main"} or "dev" in without,
        assume_yes=p.has("-n", "--no-interaction"),
    )


def _pipenv(cmd, tool, args, env):
    p = _parse_args(args, {"--python", "-r", "--requirements", "--categories", "--extra-pip-args"})
    sub, rest = _first(p.positionals)
    action = {"install": "install", "sync": "install", "uninstall": "remove", "lock": "lock",
              "requirements": "export"}.get(sub, sub or "none")
    return _op(
        "pipenv", action, cmd, tool, env, p, subcommand=sub, packages=rest,
        requirement_files=p.all_values("-r", "--requirements"),
        global_install=p.has("--system"),
        # pipenv installs only [packages] unless --dev is given
        production=action == "install" and not p.has("--dev", "-d"),
        no_cache=_env_truthy(env, "PIP_NO_CACHE_DIR"),
    )


def _conda(cmd, tool, args, env):
    words = list(args)
    sub = ""
    if words and words[0] == "env" and len(words) > 1:
        sub, words = f"env {words[1]}", words[2:]
    elif words and not words[0].startswith("-"):
        sub, words = words[0], words[1:]
    verb = sub.split()[-1] if sub else ""
    # `-f` is --file for install/create but --force-pkgs-dirs for clean.
    takes = {"-c", "--channel", "-n", "--name", "-p", "--prefix", "--repodata-fn"}
    if verb != "clean":
        takes |= {"-f", "--file"}
    p = _parse_args(words, takes, combine=True)
    action = {"install": "install", "create": "create", "update": "upgrade", "upgrade": "upgrade",
              "remove": "remove", "uninstall": "remove", "clean": "clean"}.get(verb, verb or "none")
    return _op(
        "conda", action, cmd, tool, env, p, subcommand=sub,
        packages=p.positionals if action in ("install", "create", "upgrade", "remove") else (),
        arguments=() if action in ("install", "create", "upgrade", "remove") else p.positionals,
        requirement_files=p.all_values("-f", "--file") if verb != "clean" else (),
        prefix=p.value("-p", "--prefix"),
        assume_yes=p.has("-y", "--yes"),
    )


_NPM_INSTALL = {"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal",
                "isntall", "add"}
_NPM_REMOVE = {"uninstall", "un", "unlink", "remove", "rm", "r"}
_NPM_LIFECYCLE = {"start", "test", "t", "stop", "restart", "build"}


def _npm(cmd, tool, args, env):
    p = _parse_args(args, {"--prefix", "--registry", "--omit", "--include", "--cache", "--loglevel",
                           "-w", "--workspace", "--only", "--userconfig", "--tag", "-C"}, combine=False)
    sub, rest = _first(p.positionals)
    common = dict(subcommand=sub, prefix=p.value("--prefix", "-C"),
                  global_install=p.has("-g", "--global", "--location=global"),
                  production=_npm_production(p, env))
    if sub == "ci":
        return _op("npm", "ci", cmd, tool, env, p, **common)
    if sub in _NPM_INSTALL:
        pk = tuple(x for x in rest if not _npm_is_local(x))
        local = tuple(x for x in rest if _npm_is_local(x))
        return _op("npm", "install", cmd, tool, env, p, packages=pk, local_paths=local, **common)
    if sub in _NPM_REMOVE:
        return _op("npm", "remove", cmd, tool, env, p, packages=rest, **common)
    if sub in ("run", "run-script", "rum", "urn"):
        name, extra = _first(rest)
        return _op("npm", "run-script", cmd, tool, env, p, script=name or None, arguments=extra, **common)
    if sub in _NPM_LIFECYCLE:
        return _op("npm", "run-script", cmd, tool, env, p, script={"t": "test"}.get(sub, sub),
                   arguments=rest, **common)
    if sub == "cache" and rest and rest[0] in ("clean", "clear", "rm", "verify"):
        action = "clean" if rest[0] != "verify" else "cache-verify"
        common["subcommand"] = f"cache {rest[0]}"
        return _op("npm", action, cmd, tool, env, p, arguments=rest[1:], **common)
    if sub == "prune":
        return _op("npm", "prune", cmd, tool, env, p, packages=rest, **common)
    if sub == "rebuild":
        return _op("npm", "build", cmd, tool, env, p, packages=rest, **common)
    return _op("npm", sub or "none", cmd, tool, env, p, arguments=rest, **common)


def _npm_production(p: _Parsed, env) -> bool:
    if p.has("--production=false", "--production=0"):
        return False
    if p.has("--production", "--prod", "-P", "--omit=dev", "--only=prod", "--only=production",
             "--production=true"):
        return True
    return any(a.partition("=")[0] == "NODE_ENV" and a.partition("=")[2].strip("'\"") == "production"
               for a in env)


_YARN_BUILTINS = {
    "install", "add", "remove", "upgrade", "up", "cache", "global", "config", "workspace",
    "workspaces", "info", "init", "link", "unlink", "pack", "publish", "why", "dlx", "set",
    "plugin", "audit", "autoclean", "bin", "check", "licenses", "list", "outdated", "owner",
    "team", "version", "versions", "tag", "import", "generate-lock-entry", "create", "exec",
    "node", "policies", "login", "logout", "unplug", "rebuild", "run", "help", "npm", "constraints",
    "explain", "patch", "patch-commit", "search", "stage", "upgrade-interactive", "prune",
}


def _yarn(cmd, tool, args, env):
    p = _parse_args(args, {"--network-timeout", "--cache-folder", "--modules-folder", "--mode",
                           "--cwd", "--registry", "--mutex", "--global-folder", "--link-folder"},
                    combine=False)
    sub, rest = _first(p.positionals)
    glob = False
    if sub == "global":
        glob = True
        sub, rest = _first(rest)
    if sub == "workspaces" and rest[:1] == ("focus",):
        sub, rest = "workspaces focus", rest[1:]
    common = dict(subcommand=sub, production=_npm_production(p, env),
                  global_install=glob)
    if sub in ("", "install", "workspaces focus"):
        return _op("yarn", "install", cmd, tool, env, p, **common)
    if sub == "add":
        return _op("yarn", "install", cmd, tool, env, p, packages=rest, **common)
    if sub == "remove":
        return _op("yarn", "remove", cmd, tool, env, p, packages=rest, **common)
    if sub == "cache" and rest[:1] == ("clean",):
        common["subcommand"] = "cache clean"
        return _op("yarn", "clean", cmd, tool, env, p, arguments=rest[1:], **common)
    if sub == "autoclean":
        return _op("yarn", "clean", cmd, tool, env, p, arguments=rest, **common)
    if sub == "run":
        name, extra = _first(rest)
        return _op("yarn", "run-script", cmd, tool, env, p, script=name or None, arguments=extra, **common)
    if sub not in _YARN_BUILTINS:  # `yarn build` runs the package.json script `build`
        return _op("yarn", "run-script", cmd, tool, env, p, script=sub, arguments=rest, **common)
    return _op("yarn", sub, cmd, tool, env, p, arguments=rest, **common)


_PNPM_BUILTINS = {
    "install", "i", "add", "remove", "rm", "un", "uninstall", "update", "up", "upgrade", "store",
    "prune", "fetch", "run", "exec", "dlx", "deploy", "link", "unlink", "list", "ls", "outdated",
    "pack", "publish", "rebuild", "rb", "import", "install-test", "it", "audit", "why", "config",
    "env", "setup", "patch", "patch-commit", "create", "init", "root", "bin", "licenses", "server",
    "test", "t", "start", "approve-builds", "ignored-builds", "cache",
}


def _pnpm(cmd, tool, args, env):
    p = _parse_args(args, {"--filter", "-F", "-C", "--dir", "--store-dir", "--reporter",
                           "--registry", "-w", "--workspace-root"}, combine=False)
    sub, rest = _first(p.positionals)
    common = dict(subcommand=sub, production=_npm_production(p, env),
                  global_install=p.has("-g", "--global"), prefix=p.value("-C", "--dir"))
    if sub in ("install", "i", ""):
        return _op("pnpm", "install", cmd, tool, env, p, **common)
    if sub == "add":
        return _op("pnpm", "install", cmd, tool, env, p, packages=rest, **common)
    if sub in ("remove", "rm", "un", "uninstall"):
        return _op("pnpm", "remove", cmd, tool, env, p, packages=rest, **common)
    if sub == "store" and rest[:1] == ("prune",):
        common["subcommand"] = "store prune"
        return _op("pnpm", "clean", cmd, tool, env, p, arguments=rest[1:], **common)
    if sub == "prune":
        return _op("pnpm", "prune", cmd, tool, env, p, **common)
    if sub == "fetch":
        return _op("pnpm", "download", cmd, tool, env, p, **common)
    if sub == "run":
        name, extra = _first(rest)
        return _op("pnpm", "run-script", cmd, tool, env, p, script=name or None, arguments=extra, **common)
    if sub in ("test", "t", "start"):
        return _op("pnpm", "run-script", cmd, tool, env, p, script={"t": "test"}.get(sub, sub),
                   arguments=rest, **common)
    if sub not in _PNPM_BUILTINS:
        return _op("pnpm", "run-script", cmd, tool, env, p, script=sub, arguments=rest, **common)
    return _op("pnpm", sub, cmd, tool, env, p, arguments=rest, **common)


def _gem(cmd, tool, args, env):
    p = _parse_args(args, {"-v", "--version", "--source", "-s", "-i", "--install-dir", "-n",
                           "--bindir", "--platform"}, combine=False)
    sub, rest = _first(p.positionals)
    action = {"install": "install", "i": "install", "uninstall": "remove", "update": "upgrade",
              "cleanup": "clean"}.get(sub, sub or "none")
    return _op("gem", action, cmd, tool, env, p, subcommand=sub, packages=rest,
               prefix=p.value("-i", "--install-dir"), user=p.has("--user-install"))


def _bundle(cmd, tool, args, env):
    p = _parse_args(args, {"-j", "--jobs", "--retry", "--path", "--without", "--with", "--gemfile",
                           "--binstubs"}, combine=False, attached=("-j",))
    sub, rest = _first(p.positionals)
    action = {"install": "install", "": "install", "config": "config", "exec": "run",
              "update": "upgrade", "package": "download", "cache": "download", "clean": "clean",
              "lock": "lock"}.get(sub, sub)
    without = " ".join(p.all_values("--without"))
    if sub == "config":
        words = [w for w in rest if w not in ("set", "--local", "--global")]
        if words[:1] == ["without"]:
            without += " " + " ".join(words[1:])
    for a in env:
        k, _, v = a.partition("=")
        if k == "BUNDLE_WITHOUT":
            without += " " + v
    production = bool(re.search(r"\bdevelopment\b", without.replace(":", " "))) or p.has("--deployment")
    return _op("bundle", action, cmd, tool, env, p, subcommand=sub,
               arguments=rest, requirement_files=p.all_values("--gemfile"),
               prefix=p.value("--path"), production=production,
               global_install=p.has("--system"))


_GO_VALUE_OPTIONS = {"-o", "-ldflags", "-gcflags", "-tags", "-mod", "-p", "-pkgdir", "-toolexec",
                     "-asmflags", "-buildmode", "-modfile", "-overlay", "-pgo", "-C", "-gccgoflags",
                     "-installsuffix", "-compiler", "-exec", "-run", "-count", "-timeout", "-coverprofile"}


def _go(cmd, tool, args, env):
    p = _parse_args(args, _GO_VALUE_OPTIONS, combine=False)
    sub, rest = _first(p.positionals)
    if sub == "mod":
        verb, extra = _first(rest)
        action = {"download": "download", "tidy": "tidy", "vendor": "download", "verify": "verify"}.get(verb, verb)
        return _op("go", action, cmd, tool, env, p, subcommand=f"mod {verb}".strip(), arguments=extra)
    action = {"build": "build", "install": "install", "get": "install", "test": "test",
              "run": "run", "generate": "generate", "vet": "vet", "env": "env"}.get(sub, sub or "none")
    if action in ("build", "install", "get", "test", "run", "vet", "generate"):
        # `./cmd/x`, `.`, `main.go` are in the module; `golang.org/x/tool@v1` is fetched
        local = tuple(x for x in rest if x.startswith(".") or x.endswith(".go") or x.startswith("/"))
        pk = tuple(x for x in rest if x not in local)
        return _op("go", action, cmd, tool, env, p, subcommand=sub, packages=pk, local_paths=local,
                   output=p.value("-o"))
    return _op("go", action, cmd, tool, env, p, subcommand=sub, arguments=rest)


def _cargo(cmd, tool, args, env):
    p = _parse_args(args, {"--target", "--bin", "-p", "--package", "--features", "-F", "--manifest-path",
                           "-j", "--jobs", "--target-dir", "--profile", "--path", "--root", "--version",
                           "--git", "--branch", "--tag", "--rev", "--recipe-path", "--example", "-Z",
                           "--config"}, combine=False)
    sub, rest = _first(p.positionals)
    if sub == "chef" and rest:  # cargo-chef: `cook` builds the dependency layer
        verb, rest = rest[0], rest[1:]
        return _op("cargo", "build" if verb == "cook" else verb, cmd, tool, env, p,
                   subcommand=f"chef {verb}", requirement_files=p.all_values("--recipe-path"),
                   target=p.value("--target"), arguments=rest)
    action = {"build": "build", "b": "build", "install": "install", "fetch": "download",
              "vendor": "download", "test": "test", "t": "test", "run": "run", "r": "run",
              "check": "check", "c": "check", "clean": "clean"}.get(sub, sub or "none")
    return _op(
        "cargo", action, cmd, tool, env, p, subcommand=sub,
        packages=rest if action == "install" else (),
        arguments=() if action == "install" else rest,
        local_paths=p.all_values("--path"), prefix=p.value("--root"),
        requirement_files=p.all_values("--manifest-path"),
        target=p.value("--target"), production=p.has("--release") or p.value("--profile") == "release",
    )


_MAVEN_DOWNLOAD_GOALS = re.compile(r"(.*:)?(dependency:)?(go-offline|resolve|resolve-plugins)$")


def _maven(cmd, tool, args, env):
    p = _parse_args(args, {"-f", "--file", "-s", "--settings", "-gs", "--global-settings", "-pl",
                           "--projects", "-T", "--threads", "-rf", "--resume-from", "-l", "--log-file",
                           "-t", "--toolchains", "-b", "--builder"},
                    combine=False, attached=("-D", "-P"))
    goals = p.positionals
    if any(_MAVEN_DOWNLOAD_GOALS.match(g) for g in goals):
        action = "download"
    elif any(g in ("package", "install", "verify", "compile", "deploy", "test-compile", "test")
             or g.endswith(":repackage") or g.endswith(":build") for g in goals):
        action = "build"
    elif goals == ("clean",):
        action = "clean"
    else:
        action = goals[0] if goals else "none"
    return _op("maven", action, cmd, tool, env, p, subcommand=" ".join(goals), arguments=goals,
               requirement_files=p.all_values("-f", "--file"))


_GRADLE_BUILD_TASKS = re.compile(
    r"(:?[\w-]+:)*(build|assemble|bootJar|bootWar|jar|war|shadowJar|installDist|distTar|distZip|"
    r"nativeCompile|compileJava|compileKotlin|classes|buildFatJar|installBootDist|bootDistTar|"
    r"publishToMavenLocal|fatJar|uberJar|quarkusBuild)$")


def _gradle(cmd, tool, args, env):
    p = _parse_args(args, {"-x", "--exclude-task", "-p", "--project-dir", "-b", "--build-file",
                           "-c", "--settings-file", "-g", "--gradle-user-home", "--console", "-I",
                           "--init-script", "--warning-mode", "--max-workers"},
                    combine=False, attached=("-D", "-P"))
    tasks = p.positionals
    if any(_GRADLE_BUILD_TASKS.match(t) for t in tasks):
        action = "build"
    elif any(t in ("dependencies", "downloadDependencies", "resolveDependencies", "androidDependencies")
             for t in tasks) or (not tasks and p.has("--refresh-dependencies")):
        action = "download"
    elif tasks == ("clean",):
        action = "clean"
    elif not tasks and p.has("--version", "-v"):
        action = "version"
    else:
        action = tasks[0] if tasks else "none"
    return _op("gradle", action, cmd, tool, env, p, subcommand=" ".join(tasks), arguments=tasks,
               requirement_files=p.all_values("-b", "--build-file"))


# --------------------------------------------------------------------------
# Native and Java build tools

_C_COMPILERS = re.compile(r"(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|gfortran|rustc)(-\d+(\.\d+)*)?|"
                          r"(x86_64|aarch64|arm|i686)[\w-]*-(gcc|g\+\+)")


def _native(cmd, tool, args, env):
    if tool in ("make", "gmake", "ninja"):
        p = _parse_args(args, {"-C", "--directory", "-f", "--file", "--makefile", "-j", "--jobs",
                               "-l", "--load-average", "-o", "-W"}, combine=False, attached=("-j", "-C"))
        variables = tuple(x for x in p.positionals if "=" in x)
        targets = tuple(x for x in p.positionals if "=" not in x)
        action = "install" if "install" in targets else "build"
        return _op("native", action, cmd, tool, env, p, subcommand=" ".join(targets),
                   arguments=targets + variables, requirement_files=p.all_values("-f", "--file"))
    if tool == "cmake":
        p = _parse_args(args, {"-S", "-B", "-G", "-C", "-T", "-A", "--build", "--install", "--target",
                               "--config", "--prefix", "-j", "--parallel", "--component", "-P"},
                        combine=False, attached=("-D", "-S", "-B", "-G"))
        action = "install" if "--install" in p.options else "build"
        return _op("native", action, cmd, tool, env, p, local_paths=p.positionals,
                   prefix=p.value("--prefix"), output=p.value("-B", "--build"))
    if tool == "configure":
        p = _parse_args(args, (), combine=False)
        return _op("native", "build", cmd, tool, env, p, arguments=p.positionals, prefix=p.value("--prefix"))
    # C/C++/Fortran/Rust compilers: positionals are the source files
    p = _parse_args(args, {"-o", "-I", "-L", "-l", "-x", "-MF", "-MT", "-include", "-isystem",
                           "--target", "--crate-type", "--edition", "--out-dir", "-C"}, combine=False,
                    attached=("-I", "-L", "-l", "-D", "-O", "-W", "-f", "-m", "-std="))
    return _op("native", "build", cmd, tool, env, p, local_paths=p.positionals, output=p.value("-o"))


def _java(cmd, tool, args, env):
    if tool == "jar":
        # `jar cf app.jar -C out .` / `jar --create --file app.jar ...`
        p = _parse_args(args, {"--file", "-f", "-C", "-e", "--main-class", "-m", "--manifest"}, combine=False)
        out = p.value("--file", "-f")
        pos = p.positionals
        if out is None and pos and not pos[0].startswith("-") and "f" in pos[0] and re.fullmatch(r"[ctxuvfm0eMi]+", pos[0]):
            out = pos[1] if len(pos) > 1 else None
            pos = pos[2:]
        return _op("java", "build", cmd, tool, env, p, output=out, local_paths=pos)
    p = _parse_args(args, {"-d", "-cp", "-classpath", "--class-path", "-sourcepath", "--source-path",
                           "--release", "-source", "-target", "-encoding", "-s", "-h", "-p",
                           "--module-path", "--module"}, combine=False)
    return _op("java", "build", cmd, tool, env, p, local_paths=p.positionals, output=p.value("-d"))


Handler = Callable[[SimpleCommand, str, list, tuple], "PackageOp | list[PackageOp]"]

_HANDLERS: dict[str, Handler] = {
    "apt-get": _apt, "apt": _apt, "aptitude": _apt,
    "apk": _apk,
    "yum": _rpm_family, "dnf": _rpm_family, "microdnf": _rpm_family, "tdnf": _rpm_family,
    "zypper": _rpm_family,
    "rm": _rm,
    "poetry": _poetry, "pipenv": _pipenv,
    "conda": _conda, "mamba": _conda, "micromamba": _conda,
    "npm": _npm, "yarn": _yarn, "pnpm": _pnpm,
    "gem": _gem, "bundle": _bundle, "bundler": _bundle,
    "go": _go, "cargo": _cargo,
    "mvn": _maven, "mvnw": _maven,
    "gradle": _gradle, "gradlew": _gradle,
    "make": _native, "gmake": _native, "ninja": _native, "cmake": _native, "configure": _native,
    "javac": _java, "jar": _java,
}
_PATTERN_HANDLERS: tuple[tuple[re.Pattern, Handler], ...] = (
    (re.compile(r"pip(\d+(\.\d+)?)?"), _pip),
    (_C_COMPILERS, _native),
)


# --------------------------------------------------------------------------
# Questions passes ask

_VERSION_SPLIT = {
    "apt": re.compile(r"[=:]"), "apk": re.compile(r"[=~<>]"),
    "pip": re.compile(r"\s*(\[|==|>=|<=|~=|!=|===|<|>|;|@)"), "uv": re.compile(r"\s*(\[|==|>=|<=|~=|!=|<|>|;|@)"),
    "poetry": re.compile(r"\s*(\[|==|>=|<=|~=|!=|<|>|@|\^)"), "pipenv": re.compile(r"\s*(\[|==|>=|<=|~=|!=|<|>)"),
    "conda": re.compile(r"[=<>!]"), "gem": re.compile(r":"), "go": re.compile(r"@"),
    "cargo": re.compile(r"@"),
}


def package_name(manager: str, spec: str) -> str:
    """The package name of an install operand, version and extras removed.

    >>> [package_name(m, s) for m, s in (("apt", "gcc=4:12.2.0-3"), ("pip", "torch==2.0.0"),
    ...     ("pip", "uvicorn[standard]>=0.23"), ("npm", "@types/node@20"), ("npm", "lodash@4"),
    ...     ("apk", "python3~3.11"), ("gem", "rails:7.1"))]
    ['gcc', 'torch', 'uvicorn', '@types/node', 'lodash', 'python3', 'rails']
    """
    s = spec.strip()
    if manager in ("npm", "yarn", "pnpm"):
        at = s.find("@", 1)
        return s if at < 0 else s[:at]
    if manager in ("yum", "dnf", "microdnf", "tdnf", "zypper"):
        m = re.match(r"(.+?)-\d[\w.]*(-[\w.]+)?$", s)
        return m.group(1) if m else s
    pattern = _VERSION_SPLIT.get(manager)
    if pattern is None:
        return s
    return pattern.split(s, maxsplit=1)[0].strip() or s


_SYSTEM_MANAGERS = frozenset({"apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper", "conda"})
_BUILD_PACKAGES = frozenset({
    "gcc", "g++", "gcc-c++", "cpp", "make", "cmake", "build-essential", "build-base", "alpine-sdk",
    "clang", "llvm", "autoconf", "automake", "libtool", "pkg-config", "pkgconf", "pkgconfig",
    "ninja-build", "ninja", "meson", "bison", "flex", "rustc", "cargo", "rust", "golang", "golang-go",
    "go", "maven", "gradle", "default-jdk", "default-jdk-headless", "gfortran", "swig", "nasm", "yasm",
    "linux-headers", "musl-dev", "cython3", "dpkg-dev", "Development Tools", "@development-tools",
    "compilers", "c-compiler", "cxx-compiler", "gxx", "gxx_linux-64", "gcc_linux-64",
})
_BUILD_PACKAGE_PATTERN = re.compile(
    r".+-(dev|devel|headers)|(gcc|g\+\+|clang|llvm)-\d+(\.\d+)?|openjdk-?\d+-jdk(-headless)?|"
    r"java-[\d.]+-openjdk-devel|openjdk\d+(-jdk)?")
_SCRIPT_BUILDS = re.compile(r"(build|compile|dist|bundle|prepare|prepack|package|webpack|tsc)([:\-].*)?")


def build_tools(ops: Iterable[PackageOp]) -> tuple[str, ...]:
    """Names of the build tools the ops install or run, first appearance first.

    System packages that are compilers, build systems or ``-dev``/``-devel``
    headers count by package name; running ``gcc``/``make``/``cmake``/
    ``./configure``/``javac`` counts by tool; ``go build``, ``cargo build``,
    maven/gradle builds and npm/yarn/pnpm build scripts count by manager.

    >>> from dopt.shell import parse_script
    >>> build_tools(package_ops(parse_script(
    ...     "apt-get install -y gcc libpq-dev curl && make -j4 && npm run build && npm ci")))
    ('gcc', 'libpq-dev', 'make', 'npm')
    """
    seen: dict[str, None] = {}
    for op in ops:
        if op.manager in _SYSTEM_MANAGERS and op.action in INSTALL_ACTIONS | {"create", "build-dep"}:
            for spec in op.packages:
                name = package_name(op.manager, spec)
                if name in _BUILD_PACKAGES or _BUILD_PACKAGE_PATTERN.fullmatch(name):
                    seen.setdefault(name, None)
        elif op.manager in ("native", "java"):
            seen.setdefault(op.tool, None)
        elif op.manager in ("maven", "gradle") and op.action in ("build", "download"):
            seen.setdefault(op.manager, None)
        elif op.manager in ("go", "cargo") and op.action in ("build", "install"):
            seen.setdefault(op.manager, None)
        elif op.manager in ("npm", "yarn", "pnpm") and op.action == "run-script" and op.script \
                and _SCRIPT_BUILDS.fullmatch(op.script):
            seen.setdefault(op.manager, None)
        elif op.manager == "npm" and op.action == "build":  # npm rebuild compiles native addons
            seen.setdefault(op.manager, None)
    return tuple(seen)


_NOT_MANAGERS = frozenset({"rm", "native", "java"})


def extract_package_managers(scripts: Iterable[Script | str]) -> dict[str, list[str]]:
    """The specification's shape: manager -> packages it installs, as written.

    Every package manager the scripts use gets a key (so ``pip install -r
    requirements.txt`` gives ``"pip": []``); only install actions add
    packages, in first-appearance order without duplicates.

    >>> extract_package_managers(["apt-get update && apt-get install -y python3 gcc git",
    ...     "pip install torch==2.0.0 transformers", "npm install -g typescript @types/node"])
    {'apt': ['python3', 'gcc', 'git'], 'pip': ['torch==2.0.0', 'transformers'], 'npm': ['typescript', '@types/node']}
    """
    out: dict[str, list[str]] = {}
    for s in scripts:
        script = parse_script(s) if isinstance(s, str) else s
        for op in package_ops(script):
            if op.manager in _NOT_MANAGERS or op.tool == "rm":
                continue
            bucket = out.setdefault(op.manager, [])
            if op.action in INSTALL_ACTIONS | {"create"}:
                for p in op.packages:
                    if p not in bucket:
                        bucket.append(p)
    return out


# --------------------------------------------------------------------------
# -dev -> runtime library map (dopt/data/runtime_libs.toml)


@functools.lru_cache(maxsize=1)
def _runtime_table() -> dict:
    import tomllib
    from importlib import resources

    text = resources.files("dopt.data").joinpath("runtime_libs.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _names(packages: Iterable[str]) -> list[str]:
    return [package_name("apt", p) for p in packages]


def runtime_packages_for(build_packages: Iterable[str], *, compiler_runtimes: bool = False) -> list[str]:
    """Debian bookworm runtime packages that replace the given build packages.

    ``-dev`` packages map through ``dopt/data/runtime_libs.toml``; pure build
    tools map to nothing; with ``compiler_runtimes=True`` compilers add the
    libraries their output links implicitly (``gcc`` -> ``libgomp1``).
    Versions are ignored (``libpq-dev=15.*``).  Order follows the input.

    >>> runtime_packages_for(["gcc", "libpq-dev", "libjpeg-dev", "zlib1g-dev=1:1.2.13*", "curl"])
    ['libpq5', 'libjpeg62-turbo', 'zlib1g']
    >>> runtime_packages_for(["g++"], compiler_runtimes=True)
    ['libgomp1', 'libstdc++6']
    """
    table = _runtime_table()
    runtime = table.get("runtime", {})
    compilers = table.get("compiler_runtime", {}) if compiler_runtimes else {}
    out: dict[str, None] = {}
    for name in _names(build_packages):
        for r in [*runtime.get(name, ()), *compilers.get(name, ())]:
            out.setdefault(r, None)
    return list(out)


def unmapped_build_packages(build_packages: Iterable[str]) -> list[str]:
    """``-dev`` packages the runtime map does not know (a pass should then
    keep them or verify the image, not guess).

    >>> unmapped_build_packages(["libpq-dev", "libfoo-dev", "gcc"])
    ['libfoo-dev']
    """
    runtime = _runtime_table().get("runtime", {})
    return [n for n in _names(build_packages) if n.endswith("-dev") and n not in runtime]


def build_only_packages() -> frozenset[str]:
    """Packages that are pure build tools (nothing needed at runtime).

    >>> "build-essential" in build_only_packages()
    True
    """
    return frozenset(_runtime_table().get("build_only", {}).get("packages", ()))


def ambiguous_tools(packages: Iterable[str] | None = None) -> list[str]:
    """Tools that may be used at runtime as well as during the build (curl,
    git, wget ...): the ones among ``packages``, or all of them.

    >>> ambiguous_tools(["gcc", "curl", "git=1:2.39*"])
    ['curl', 'git']
    """
    known = list(_runtime_table().get("ambiguous", {}).get("packages", ()))
    if packages is None:
        return known
    return [n for n in _names(packages) if n in known]
