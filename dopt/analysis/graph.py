"""The dependency graph of a Dockerfile: which instruction must stay after which.

:func:`build_graph` gives a networkx ``DiGraph``. Nodes are ``(stage_index,
instruction_index)`` where instruction 0 of a stage is its FROM and the global
ARGs before the first FROM are stage ``-1``. Each node carries ``kind``,
``line``, ``text`` (a one-line summary), ``effects`` (:class:`Effects`),
``cwd`` (the WORKDIR in force, see below), ``state`` (:class:`StageState`
before the instruction) and ``barrier`` (why the
instruction reads and writes everything, else None).

An edge ``a -> b`` (``a`` earlier) means ``b`` must stay after ``a``. Its
``kinds`` say why: ``flow`` (b reads what a writes), ``output`` (both write
it: the later write wins), ``anti`` (a reads what b writes: moving b first
would change what a sees), ``stage`` (b uses stage a: ``FROM <stage>``,
``COPY --from``, ``RUN --mount=from=``); ``why`` lists the resources.

What each instruction reads and writes (resources are ``fs`` paths, ``var``
names, ``state`` workdir/user/shell, image-config ``meta`` keys):

* **FROM** writes everything: the file system, every variable, the state and
  the image config. Its image reference reads global ARGs (``gvar``).
* **RUN** reads every variable: every ENV/ARG is in the environment of every
  later RUN and a program may read any of them (PATH, PIP_*, NODE_*,
  npm_config_*, GO*, CGO_ENABLED, JAVA_*, LANG, LC_*, DEBIAN_FRONTEND ... are
  read without being named; see :data:`IMPLICIT_ENV`). This is deliberately
  conservative: no RUN is proven independent of an earlier ENV.
  Its file effects come from the shell model (:mod:`dopt.shell`) and the
  package facts (:mod:`dopt.packages`): system package managers read and
  write :data:`SYSTEM_AREAS`; a dependency install (pip, npm, yarn, pnpm,
  poetry, uv, bundle, go mod download, cargo, maven) reads everything (a
  manifest may name any file) and writes its install locations (site-packages
  and venvs, ``node_modules``, module caches, the tool homes named by ENV);
  file utilities (mkdir, cp, rm, chmod, ln, tar, curl -o, redirects ...)
  read and write the paths they name, resolved against WORKDIR and ``cd``.
  A RUN that cannot be analysed (opaque script, non-POSIX SHELL, unknown
  program, build tools that run project code) is a **barrier**: it reads and
  writes everything. Assumption: package build scripts write only below the
  manager's install locations, /tmp and caches.
* **COPY/ADD** write their destination (a file when the source is a known
  file, else the whole destination directory), read the variables they name
  and, with ``--chown``, /etc/passwd and /etc/group.
* **ENV/ARG** write their variable and read the ones their values name.
* **WORKDIR/USER/SHELL** write their state; *every* later instruction reads
  all three, so nothing crosses them.
* **LABEL, EXPOSE, CMD, ENTRYPOINT, HEALTHCHECK, STOPSIGNAL, ONBUILD,
  MAINTAINER** write only image-config keys (no RUN can see those);
  VOLUME also writes its paths.

Paths relative to an unknown base-image WORKDIR are kept symbolic
(``<wd0>/app``): they compare precisely with each other and overlap every
absolute path. A path with an unknown variable, a glob, ``~`` or ``$( )`` is
widened (to its literal directory prefix, or to ``/``).

Example::

    >>> from dopt import parse_text
    >>> g = build_graph(parse_text("FROM python:3.11\\nWORKDIR /app\\nCOPY . .\\n"
    ...                            "RUN pip install -r requirements.txt\\nEXPOSE 80\\n"))
    >>> sorted(g.edges[(0, 2), (0, 3)]["kinds"])
    ['flow']
    >>> g.has_edge((0, 3), (0, 4)), g.nodes[(0, 2)]["text"]
    (False, 'COPY . .')
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Iterable, Mapping

from attrs import evolve, field, frozen

from dopt import ir

FS, VAR, GVAR, STATE, META, CACHE = "fs", "var", "gvar", "state", "meta", "cache"
ALL = "*"
STATES = ("workdir", "user", "shell")

# Where a system package manager (and its maintainer scripts) reads and writes.
SYSTEM_AREAS = ("/usr", "/etc", "/var", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/opt",
                "/run", "/root", "/tmp", "/boot")
# User databases (useradd, addgroup ...): /etc plus home and mail directories.
USERDB_AREAS = ("/etc", "/home", "/var/mail", "/var/spool/mail")
# Where Python installers write besides venvs and --prefix/--target.
# Temporary build folders an installer creates and removes again (/tmp/pip-*) are not effects.
PYTHON_AREAS = ("/usr/local", "/usr/lib", "/usr/lib64", "/usr/bin", "/usr/share", "/usr/include", "/opt",
                "/root", "/home")
HOME_AREAS = ("/root", "/home")
NODE_GLOBAL = ("/usr/local", "/usr/lib/node_modules", "/usr/bin")
GO_AREAS = ("/go", "/usr/local/go") + HOME_AREAS
RUBY_AREAS = ("/usr/local", "/var/lib/gems", "/usr/lib/ruby") + HOME_AREAS
CARGO_AREAS = ("/usr/local/cargo", "/usr/local/rustup") + HOME_AREAS
JVM_AREAS = ("/usr/share/maven-ref",) + HOME_AREAS

# ENV names programs read without the Dockerfile naming them (documentation and
# edge labels; the rule itself is stricter: a RUN reads every variable).
IMPLICIT_ENV = re.compile(
    r"PATH|HOME|SHELL|USER|LANG|LANGUAGE|LC_\w+|TZ|DEBIAN_FRONTEND|PIP_\w+|PYTHON\w*|VIRTUAL_ENV|UV_\w+|"
    r"POETRY_\w+|PIPENV_\w+|CONDA_\w+|NODE_\w+|npm_config_\w+|NPM_CONFIG_\w+|YARN_\w+|PNPM_\w+|GO\w*|"
    r"CGO_\w+|CC|CXX|CFLAGS|CXXFLAGS|LDFLAGS|PKG_CONFIG_PATH|LD_LIBRARY_PATH|JAVA_\w+|MAVEN_\w+|"
    r"GRADLE_\w+|CARGO_\w+|RUSTUP_\w+|RUSTFLAGS|GEM_\w+|BUNDLE_\w+|http_proxy|https_proxy|no_proxy|"
    r"HTTP_PROXY|HTTPS_PROXY|NO_PROXY|SSL_CERT_\w+|REQUESTS_CA_BUNDLE")

# ENV variables naming tool homes, venvs and caches: installers write there.
TOOL_DIR_ENV = frozenset({
    "PATH", "HOME", "VIRTUAL_ENV", "PIP_TARGET", "PIP_PREFIX", "PYTHONUSERBASE", "CONDA_PREFIX",
    "UV_PROJECT_ENVIRONMENT", "UV_CACHE_DIR", "POETRY_VIRTUALENVS_PATH", "POETRY_CACHE_DIR",
    "POETRY_HOME", "WORKON_HOME", "PIPENV_CACHE_DIR", "GOPATH", "GOMODCACHE", "GOCACHE", "GOBIN",
    "CARGO_HOME", "RUSTUP_HOME", "CARGO_TARGET_DIR", "NPM_CONFIG_PREFIX", "npm_config_prefix",
    "npm_config_cache", "NPM_CONFIG_CACHE", "YARN_CACHE_FOLDER", "PNPM_HOME", "GEM_HOME", "BUNDLE_PATH",
    "BUNDLE_APP_CONFIG", "MAVEN_CONFIG", "GRADLE_USER_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME",
})

Resource = tuple[str, str]


@frozen
class Effects:
    """What one instruction (or one command of a RUN) reads and writes.

    ``context`` lists build-context paths it reads (COPY sources, bind
    mounts); the context never changes during a build, so these make no edges.

    >>> e = Effects(reads=frozenset({(FS, "/app/a")})) | Effects(writes=frozenset({(FS, "/tmp")}))
    >>> sorted(e.reads), sorted(e.writes)
    ([('fs', '/app/a')], [('fs', '/tmp')])
    """

    reads: frozenset = frozenset()
    writes: frozenset = frozenset()
    barrier: str | None = None
    context: tuple[str, ...] = ()

    def __or__(self, other: "Effects") -> "Effects":
        return Effects(self.reads | other.reads, self.writes | other.writes,
                       self.barrier or other.barrier, self.context + other.context)

    def fs_writes(self) -> tuple[str, ...]:
        return tuple(sorted(v for k, v in self.writes if k == FS))

    def fs_reads(self) -> tuple[str, ...]:
        return tuple(sorted(v for k, v in self.reads if k == FS))


def _fs(*paths: str) -> frozenset:
    return frozenset((FS, p) for p in paths)


BARRIER_READS = frozenset({(FS, "/"), (VAR, ALL), (CACHE, ALL)})
BARRIER_WRITES = frozenset({(FS, "/"), (CACHE, ALL)})


def barrier(reason: str) -> Effects:
    """Effects of something that may read and write any file."""
    return Effects(BARRIER_READS, BARRIER_WRITES, reason)


# ---------------------------------------------------------------------------
# Paths


def _clean(path: str) -> str:
    from dopt.dockerignore import go_clean

    return go_clean(path)


def _root(path: str) -> str:
    return path.split("/", 1)[0] if path.startswith("<") else ""


def paths_overlap(a: str, b: str) -> bool:
    """True when one path is the other or lies below it (``/`` overlaps all).

    Symbolic paths (``<wd0>/x``) overlap every absolute path: the base
    image's WORKDIR is unknown.

    >>> paths_overlap("/app", "/app/x"), paths_overlap("/app", "/application"), paths_overlap("<wd0>/a", "/etc")
    (True, False, True)
    """
    if a == "/" or b == "/" or _root(a) != _root(b):
        return True
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def path_within(path: str, base: str) -> bool:
    """``path`` is ``base`` or below it (both known and on the same root).

    >>> path_within("/app/req.txt", "/app"), path_within("<wd0>/x", "/")
    (True, False)
    """
    if _root(path) != _root(base):
        return False
    if base == "/":
        return path.startswith("/")
    return path == base or path.startswith(base.rstrip("/") + "/")


def join_path(cwd: str | None, word: str) -> str:
    """Resolve ``word`` against ``cwd``; ``/`` (everything) when that cannot be known.

    >>> join_path("/app", "../etc/x"), join_path("<wd0>", "src/"), join_path(None, "a"), join_path("<wd0>", "../x")
    ('/etc/x', '<wd0>/src', '/', '/')
    """
    if word.startswith("/"):
        return _clean(word)
    if cwd is None:
        return "/"
    joined = _clean(f"{cwd}/{word}")
    if not (joined.startswith("/") or (joined.startswith("<") and _root(joined) == _root(cwd))):
        return "/"  # climbed out of an unknown base directory
    return joined


_GLOB = re.compile(r"[*?\[]")


def resolve_word(word: str, cwds: Iterable[str | None], env: Mapping[str, str]) -> list[str]:
    """The path regions a shell or Dockerfile word may name.

    Variables are expanded from the known ENV values; an unknown variable,
    ``$( )``, backquotes or ``~`` give ``/``; a glob is widened to its literal
    directory prefix.

    >>> resolve_word("$APP/lib/*.so", ["/"], {"APP": "/opt/app"}), resolve_word("$X/y", ["/"], {})
    (['/opt/app/lib'], ['/'])
    """
    w = word
    if "`" in w or "$(" in w or w.startswith("~"):
        return ["/"]
    if "$" in w:
        from dopt.variables import WordError, expand, references

        refs = references(w)
        if not refs or not refs <= set(env):
            return ["/"]
        try:
            w = expand(w, env)
        except WordError:
            return ["/"]
    if _GLOB.search(w):
        parts = w.split("/")
        keep: list[str] = []
        for p in parts:
            if _GLOB.search(p):
                break
            keep.append(p)
        w = "/".join(keep) or ("/" if w.startswith("/") else ".")
        if w == "":
            w = "/"
    return sorted({join_path(c, w) for c in cwds}) if not w.startswith("/") else [_clean(w)]


# ---------------------------------------------------------------------------
# Per-stage state while walking


@frozen
class StageState:
    """What the walk knows at one instruction: WORKDIR, known ENV values, tool dirs, SHELL."""

    cwd: str | None
    env: Mapping[str, str] = field(factory=dict)
    tool_dirs: tuple[str, ...] = ()
    shell: tuple[str, ...] = ("/bin/sh", "-c")


def _tool_dirs_from(name: str, raw: str, cwd: str | None) -> list[str]:
    out = []
    for part in raw.split(":"):
        part = part.strip().strip('"\'')
        if not part or "$" in part:
            continue
        path = join_path(cwd, part)
        if name == "PATH" and path.endswith("/bin"):
            path = path[: -len("/bin")] or "/"
        if path not in ("/", "/usr", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/sbin"):
            out.append(path)
    return out


# ---------------------------------------------------------------------------
# RUN effects


_NOOPS = frozenset({
    "true", "false", ":", "echo", "printf", "sleep", "exit", "set", "export", "unset", "umask", "pwd",
    "id", "whoami", "uname", "nproc", "date", "env", "which", "type", "hash", "shopt", "trap", "return",
    "break", "continue", "local", "readonly", "declare", "typeset", "wait", "getconf", "arch", "locale",
    "basename", "dirname", "seq", "yes", "read", "shift", "getent", "printenv", "command", "tty",
})
_READERS = frozenset({
    "cat", "ls", "test", "[", "stat", "file", "head", "tail", "grep", "egrep", "fgrep", "wc", "sha256sum",
    "sha1sum", "sha512sum", "md5sum", "b2sum", "cksum", "diff", "cmp", "readlink", "realpath", "du", "df",
    "tree", "sort", "uniq", "cut", "tr", "xxd", "od", "strings", "nl", "tac", "rev", "column", "jq",
})
_WRITERS_ALL = frozenset({"mkdir", "touch", "rm", "rmdir", "unlink", "shred", "truncate", "mkfifo"})
_MODE_FIRST = frozenset({"chmod", "chown", "chgrp"})
_USERDB = frozenset({"useradd", "adduser", "groupadd", "addgroup", "usermod", "groupmod", "userdel",
                     "groupdel", "deluser", "delgroup", "chpasswd", "passwd", "chsh"})
_SYSTEM_TOOLS = frozenset({
    "dpkg", "dpkg-reconfigure", "rpm", "update-alternatives", "locale-gen", "localedef", "ldconfig",
    "update-ca-certificates", "debconf-set-selections", "apt-key", "add-apt-repository", "apt-mark",
    "apt-cache", "dpkg-query", "update-locale", "gpg", "gpgconf", "update-rc.d", "systemctl", "rc-update",
    "ln-s", "setcap", "update-mime-database", "fc-cache", "dpkg-divert",
})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "busybox", "zsh"})
_LANG_MANAGERS = frozenset({"pip", "uv", "poetry", "pipenv", "conda", "npm", "yarn", "pnpm", "gem", "bundle",
                            "go", "cargo", "maven", "gradle"})
_SYSTEM_MANAGERS = frozenset({"apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})


def _positionals(words: Iterable[str], takes_value: Iterable[str] = ()) -> list[str]:
    takes = set(takes_value)
    out: list[str] = []
    it = iter(words)
    for w in it:
        if w == "--":
            out.extend(it)
            break
        if w.startswith("-") and w != "-":
            if w in takes:
                next(it, None)
            continue
        out.append(w)
    return out


def _option_values(words: list[str], names: Iterable[str], short: str = "") -> list[str]:
    """Values of ``--name value``/``--name=value`` and of a short letter in ``-abc value`` groups."""
    names = set(names)
    out: list[str] = []
    for n, w in enumerate(words):
        head, eq, tail = w.partition("=")
        if head in names:
            if eq:
                out.append(tail)
            elif n + 1 < len(words):
                out.append(words[n + 1])
        elif short and re.fullmatch(r"-[A-Za-z]+", w) and w[-1] in short and n + 1 < len(words):
            out.append(words[n + 1])
        elif short and re.fullmatch(r"-[A-Za-z]", w[:2]) and len(w) > 2 and w[1] in short and not w.startswith("--"):
            out.append(w[2:])
    return out


def package_areas(op, project: str | None, state: StageState, resolve) -> tuple[Effects | None, str | None]:
    """(effects, barrier reason) of one package-manager op; ``project`` is its project directory.

    Shared with the ``reorder`` pass, which needs to know what an install writes
    below the project directory (``node_modules``, ``.venv``, ``target``).
    """
    m, a = op.manager, op.action
    tools = tuple(state.tool_dirs)
    everything = frozenset({(FS, "/")})

    def under(*names: str) -> tuple[str, ...]:
        return tuple(join_path(project, n) for n in names)

    if m in _SYSTEM_MANAGERS:
        reads = _fs(*SYSTEM_AREAS)
        for spec in op.packages:
            if spec.startswith((".", "/")):
                reads |= frozenset((FS, p) for p in resolve(spec))
        return Effects(reads, _fs(*SYSTEM_AREAS)), None
    if m == "pip":
        extra = []
        for value in (op.prefix, op.target, *_option_values(list(op.command.effective_argv),
                                                             ("--root", "-d", "--dest", "-w", "--wheel-dir",
                                                              "--src", "-o", "--output-file"))):
            if value:
                extra.extend(resolve(value))
        if a in ("freeze", "list", "show", "check"):
            return Effects(_fs(*PYTHON_AREAS, *tools)), None
        if a not in ("install", "remove", "download", "build", "compile", "config"):
            return None, f"pip {op.subcommand or ''}".strip() + " (not modelled)"
        named_files = op.requirement_files or op.constraint_files or op.local_paths
        reads = everything if named_files or a == "compile" else _fs(*PYTHON_AREAS, *tools)
        if op.tool.startswith("python") and project is not None:
            reads |= _fs(project)  # `python -m pip` puts the working directory on sys.path
        return Effects(reads, _fs(*PYTHON_AREAS, *tools, *extra)), None
    if m in ("uv", "poetry", "pipenv", "conda"):
        if a in ("install", "remove", "lock", "upgrade", "export", "build", "create", "config", "clean"):
            writes = _fs(*PYTHON_AREAS, *tools, *under(".venv", "uv.lock", "poetry.lock", "Pipfile.lock",
                                                       "pyproject.toml", "Pipfile", "dist", "requirements.txt"))
            if m == "conda":
                writes |= _fs("/opt", "/usr/local")
            if op.prefix:
                writes |= frozenset((FS, p) for p in resolve(op.prefix))
            if op.output:
                writes |= frozenset((FS, p) for p in resolve(op.output))
            return Effects(everything, writes), None
        return None, f"{op.tool} {op.subcommand}".strip() + " may run project code"
    if m in ("npm", "yarn", "pnpm"):
        if a in ("install", "ci", "remove", "prune", "download", "build", "dedupe"):
            # what each tool rewrites in the project (npm ci and pnpm fetch: only node_modules)
            project_files = {
                "npm": ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock"),
                "yarn": ("yarn.lock", ".yarn", ".pnp.cjs", ".pnp.loader.mjs"),
                "pnpm": ("pnpm-lock.yaml",),
            }[m] if a not in ("ci", "download") else ()
            if op.packages or a == "remove":
                project_files += ("package.json",)
            writes = _fs(*HOME_AREAS, *tools, *under("node_modules", *project_files))
            if op.global_install:
                writes |= _fs(*NODE_GLOBAL)
            return Effects(everything, writes), None
        if a == "clean":
            return Effects(_fs(*HOME_AREAS, *tools), _fs(*HOME_AREAS, "/usr/local/share/.cache", *tools)), None
        if a in ("config", "set"):
            return Effects(_fs(*HOME_AREAS, *tools), _fs(*HOME_AREAS, *tools, *under(".npmrc", ".yarnrc",
                                                                                     ".yarnrc.yml"))), None
        return None, f"{op.tool} {op.subcommand}".strip() + " runs package scripts"
    if m == "gem":
        if a in ("install", "remove", "upgrade", "clean"):
            return Effects(everything, _fs(*RUBY_AREAS, *tools)), None
        return None, f"gem {op.subcommand}".strip() + " (not modelled)"
    if m == "bundle":
        if a in ("install", "download", "lock", "config", "clean", "upgrade"):
            writes = _fs(*RUBY_AREAS, *tools, *under("Gemfile.lock", ".bundle", "vendor"))
            if op.prefix:
                writes |= frozenset((FS, p) for p in resolve(op.prefix))
            return Effects(everything, writes), None
        return None, f"bundle {op.subcommand}".strip() + " runs project code"
    if m == "go":
        if a in ("download", "tidy", "verify"):
            return Effects(everything, _fs(*GO_AREAS, *tools, *under("go.mod", "go.sum", "vendor"))), None
        if a in ("build", "install", "vet"):
            out = resolve(op.output) if op.output else ([project] if project and a == "build" else [])
            return Effects(everything, _fs(*GO_AREAS, *tools, *out)), None
        return None, f"go {op.subcommand}".strip() + " runs programs"
    if m == "cargo":
        if a in ("download", "build", "install", "check", "clean"):
            return Effects(everything, _fs(*CARGO_AREAS, *tools, *under("target", "Cargo.lock", "vendor"))), None
        return None, f"cargo {op.subcommand}".strip() + " runs programs"
    if m in ("maven", "gradle"):
        if a == "download":
            return Effects(everything, _fs(*JVM_AREAS, *tools, *under("target", "build", ".gradle"))), None
        return None, f"{op.tool} {op.subcommand}".strip() + " runs build plugins"
    return None, f"{op.tool} (not modelled)"


@frozen
class CommandFacts:
    """One command of a RUN: its effects, the working directories it may run in
    (``None`` = unknown), its package ops and their project directory (None
    when not known for certain)."""

    command: object
    effects: Effects
    cwds: tuple = ()
    ops: tuple = ()
    project: str | None = None


class _RunModel:
    """Effects of one shell script, command by command."""

    def __init__(self, state: StageState):
        self.state = state
        self.cwds: list[str | None] = [state.cwd]

    def resolve(self, word: str) -> list[str]:
        return resolve_word(word, self.cwds, self.state.env)

    def paths(self, words: Iterable[str]) -> frozenset:
        out: set = set()
        for w in words:
            out.update((FS, p) for p in self.resolve(w))
        return frozenset(out)

    def script(self, script) -> list[tuple[object, Effects]]:
        from dopt.packages import package_ops

        if script.opaque:
            return [CommandFacts(None, barrier(f"the shell script cannot be analysed ({script.error})"))]
        if script.functions:
            return [CommandFacts(None, barrier("the script defines shell functions"))]
        ops_by_cmd: dict[int, list] = {}
        for op in package_ops(script):
            ops_by_cmd.setdefault(id(op.command), []).append(op)
        out = []
        for cmd in script.commands:
            ops = ops_by_cmd.get(id(cmd), [])
            cwds = tuple(self.cwds)
            project = self._project(ops[0], cwds[-1] if len(cwds) == 1 else None) if ops else None
            effects = self.command(cmd, ops)
            out.append(CommandFacts(cmd, effects, cwds, tuple(ops), project))
        return out

    def redirects(self, cmd) -> Effects:
        reads: set = set()
        writes: set = set()
        for r in cmd.redirects:
            target = r.target
            if not target or target.isdigit() or target.startswith("/dev/") or r.op in ("<<", "<<-", "<<<", ">&", "<&"):
                if r.op in (">&", "<&") and target and not target.isdigit() and target != "-":
                    writes.update((FS, p) for p in self.resolve(target))
                continue
            if r.op in ("<",):
                reads.update((FS, p) for p in self.resolve(target))
            else:
                writes.update((FS, p) for p in self.resolve(target))
        return Effects(frozenset(reads), frozenset(writes))

    def command(self, cmd, ops) -> Effects:
        effects = self.redirects(cmd)
        argv = list(cmd.effective_argv)
        if not argv:
            return effects
        raw0 = argv[0]
        if "$" in raw0 or "`" in raw0:
            return barrier(f"the command name {raw0!r} is computed")
        name = posixpath.basename(raw0)
        args = argv[1:]
        if ops:
            return effects | self.package(cmd, ops, name)
        if name in ("cd", "pushd", "popd"):
            target = _positionals(args)
            if name == "popd" or not target or target[0] == "-":
                self.cwds.append(None)
            else:
                new = self.resolve(target[0])
                self.cwds.extend(None if p == "/" and target[0] != "/" else p for p in new)
            return effects
        if name in _NOOPS:
            return effects
        if name in _READERS:
            return effects | Effects(self.paths(_positionals(args, {"-n", "-c", "-e", "-f", "-d", "-t", "-k",
                                                                    "-m", "-A", "-B", "-C"})))
        if name == "find":
            if any(a in ("-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprintf", "-fls",
                         "-fprint0") for a in args):
                return barrier("find -exec/-delete")
            roots = []
            for a in args:
                if a.startswith(("-", "(", "!", ")")):
                    break
                roots.append(a)
            return effects | Effects(self.paths(roots or ["."]))
        if name in _WRITERS_ALL:
            targets = self.paths(_positionals(args, {"-m", "--mode", "-s", "--size"}))
            return effects | Effects(targets, targets)
        if name in _MODE_FIRST:
            pos = _positionals(args)
            if not any(a.startswith("--reference") for a in args):
                pos = pos[1:]
            targets = self.paths(pos)
            return effects | Effects(targets, targets)
        if name in ("cp", "mv", "ln", "install", "rsync"):
            return effects | self.copy_like(name, args)
        if name in ("tar", "unzip", "gunzip", "gzip", "bunzip2", "bzip2", "xz", "unxz", "zstd", "7z"):
            return effects | self.archive(name, args)
        if name in ("curl", "wget"):
            words = [a for a in args if "://" not in a and not a.startswith("-")]
            out = self.paths(words) | frozenset((FS, p) for c in self.cwds for p in [c or "/"])
            return effects | Effects(frozenset(), out)
        if name == "sed":
            files = self.paths(_positionals(args, {"-e", "-f", "--expression", "--file"}))
            in_place = any(a.startswith(("-i", "--in-place")) or (re.fullmatch(r"-[a-zA-Z]+", a) and "i" in a)
                           for a in args)
            return effects | Effects(files, files if in_place else frozenset())
        if name in _USERDB:
            homes = self.paths(_option_values(args, ("-d", "--home-dir", "--home", "-h")))
            return effects | Effects(_fs(*USERDB_AREAS) | homes, _fs(*USERDB_AREAS) | homes)
        if name in _SYSTEM_TOOLS:
            named = self.paths(w for w in _positionals(args) if w.startswith("/"))
            return effects | Effects(_fs(*SYSTEM_AREAS) | named, _fs(*SYSTEM_AREAS) | named)
        if re.fullmatch(r"python(\d+(\.\d+)?)?", name) and args[:1] == ["-m"] and len(args) > 2 \
                and args[1] in ("venv", "virtualenv"):
            target = self.paths(_positionals(args[2:], {"--prompt"})[:1])
            return effects | Effects(_fs("/usr", "/opt") | target, target)
        if name == "virtualenv":
            target = self.paths(_positionals(args, {"-p", "--python", "--prompt"})[:1])
            return effects | Effects(_fs("/usr", "/opt") | target, target)
        return barrier(f"'{name}' may read or write any file")

    def copy_like(self, name: str, args: list[str]) -> Effects:
        takes = {"-t", "--target-directory", "-S", "--suffix", "-m", "--mode", "-o", "--owner", "-g", "--group",
                 "-e", "--exclude", "--include", "--chmod", "--chown"}
        pos = _positionals(args, takes)
        target_dir = _option_values(args, ("-t", "--target-directory"))
        if name == "install" and any(a in ("-d", "--directory") for a in args):
            t = self.paths(pos)
            return Effects(t, t)
        if target_dir:
            sources, dest = pos, self.paths(target_dir)
        elif name == "ln" and len(pos) == 1:
            sources, dest = pos, frozenset((FS, p) for c in self.cwds for p in [c or "/"])
        else:
            sources, dest = pos[:-1], self.paths(pos[-1:])
        src = self.paths(sources)
        writes = dest | (src if name in ("mv", "rsync") and any(a.startswith("--remove") for a in args) else frozenset())
        if name == "mv":
            writes |= src
        return Effects(src | dest, writes)

    def archive(self, name: str, args: list[str]) -> Effects:
        dirs = _option_values(args, ("-C", "--directory", "-d", "-o"), short="C" if name == "tar" else "d")
        region = self.paths(dirs) if dirs else frozenset((FS, p) for c in self.cwds for p in [c or "/"])
        named = self.paths(w for w in _positionals(args, {"-f", "--file", "-C", "--directory", "-d", "-x",
                                                          "--exclude", "-T", "-X"})
                           if not re.fullmatch(r"[a-zA-Z]+", w) or "." in w or "/" in w)
        files = self.paths(_option_values(args, ("-f", "--file"), short="f" if name == "tar" else ""))
        return Effects(named | files | region, region | named | files)

    def package(self, cmd, ops, name: str) -> Effects:
        project = self.cwds[-1] if len(self.cwds) == 1 or self.cwds[-1] is not None else None
        total = Effects()
        for op in ops:
            if op.tool == "rm" or op.manager == "rm":
                targets = self.paths(op.paths)
                total |= Effects(targets, targets)
                continue
            if op.manager in ("native", "java"):
                return barrier(f"'{op.tool}' runs the project's build")
            effects, why = package_areas(op, self._project(op, project), self.state, self.resolve)
            if effects is None:
                return barrier(why or f"'{name}' (not modelled)")
            total |= effects
        if len(self.cwds) > 1:
            # after a `cd` any of the possible working directories may be the project
            total |= Effects(frozenset(), frozenset((FS, c or "/") for c in self.cwds))
        return total

    def _project(self, op, default: str | None) -> str | None:
        prefix = op.prefix if op.manager in ("npm", "pnpm") else None
        cwd_opt = None
        for o in op.options:
            for key in ("--cwd=", "--dir=", "--directory=", "--project=", "-C="):
                if o.startswith(key):
                    cwd_opt = o[len(key):]
        chosen = prefix or cwd_opt
        if chosen:
            resolved = self.resolve(chosen)
            return resolved[0] if len(resolved) == 1 and resolved[0] != "/" else None
        return default


def run_script_text(run: ir.Run, shell: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(script text to analyse, reason it cannot be) for a RUN under ``shell``."""
    from dopt.rewrite import shell_is_posix

    if isinstance(run.command, ir.ExecForm):
        args = list(run.command.args)
        if not args:
            return None, "empty exec form"
        if posixpath.basename(args[0]) in _SHELLS and len(args) >= 3 and args[1] in ("-c", "-ec", "-exc", "-ce"):
            return args[2], None
        return shlex.join(args), None
    if not shell_is_posix(shell):
        return None, f"SHELL {list(shell)} is not a POSIX shell"
    text = run.command.text
    if run.heredocs:
        openers = {h.opener for h in run.heredocs}
        if text.strip() in openers or all(w in openers for w in text.split()):
            bodies = [h.content for h in run.heredocs]
            if any(b.startswith("#!") and not re.match(r"#!\s*/bin/(ba|da|a)?sh\b", b) for b in bodies):
                return None, "the heredoc script has its own interpreter"
            return "\n".join(bodies), None
    return text, None


def run_effects(run: ir.Run, state: StageState) -> tuple[Effects, list[CommandFacts]]:
    """The effects of a RUN and the :class:`CommandFacts` of each of its commands.

    >>> e, _ = run_effects(parse_run("RUN mkdir -p /srv/x && echo hi > /srv/x/f"), StageState(cwd="/"))
    >>> e.fs_writes(), e.barrier
    (('/srv/x', '/srv/x/f'), None)
    """
    from dopt.shell import parse_script

    base = Effects(frozenset({(VAR, ALL), *((STATE, s) for s in STATES)}))
    for mount in run.mounts:
        kind = mount.type
        if kind == "cache":
            key = mount.get("id") or mount.target or ""
            base |= Effects(frozenset({(CACHE, key)}), frozenset({(CACHE, key)}))
        elif kind == "bind" and not mount.get("from"):
            base |= Effects(context=(mount.get("source") or ".",))
    text, why = run_script_text(run, state.shell)
    if text is None:
        b = barrier(why or "cannot analyse")
        return base | b, [CommandFacts(None, b)]
    model = _RunModel(state)
    parts = model.script(parse_script(text))
    total = base
    for part in parts:
        total |= part.effects
    if total.barrier:
        total = base | barrier(total.barrier)
    return total, parts


def parse_run(text: str) -> ir.Run:
    """The single RUN of ``FROM scratch`` + ``text`` (for examples and tests)."""
    from dopt.frontend import parse_text

    return parse_text("FROM scratch\n" + text + "\n").stages[0].instructions[0]


# ---------------------------------------------------------------------------
# Other instructions


def _var_refs(*words: str | None) -> frozenset:
    from dopt.variables import references

    names: set[str] = set()
    for w in words:
        if w:
            names |= references(w)
    return frozenset((VAR, n) for n in names)


def is_context_root(word: str) -> bool:
    """``.``, ``./``, ``./.`` — the whole build context as a COPY source."""
    return _clean(word) == "."


def copy_destinations(ins: ir.CopyLike, state: StageState, context=None) -> list[tuple[str, str | None]]:
    """(image path region, context path) pairs a COPY/ADD writes.

    A source copied to ``dest/`` writes ``dest/<basename>`` when the source is
    known to be a file (``context`` says so), else the whole destination.

    >>> from dopt import parse_text
    >>> c = parse_text("FROM a\\nCOPY a.txt b/ /app/\\n").stages[0].instructions[0]
    >>> copy_destinations(c, StageState(cwd="/"))
    [('/app', 'a.txt'), ('/app', 'b/')]
    """
    dest_words = resolve_word(ins.dest, [state.cwd], state.env)
    dest_dir_form = ins.dest.endswith("/") or len(ins.sources) > 1 or is_context_root(ins.dest)
    out: list[tuple[str, str | None]] = []
    heredoc_names = {h.opener: h.name for h in ins.heredocs}
    for src in ins.sources:
        if src in heredoc_names:
            for d in dest_words:
                out.append((join_path(d, heredoc_names[src]) if dest_dir_form else d, None))
            continue
        is_file = False
        if context is not None and not ins.from_stage and "$" not in src and not _GLOB.search(src) \
                and isinstance(ins, ir.Copy) and "://" not in src:
            is_file = context.is_file(src)
        for d in dest_words:
            if dest_dir_form and is_file and d != "/":
                out.append((join_path(d, posixpath.basename(_clean(src))), src))
            else:
                out.append((d, src))
    return out


def copy_effects(ins: ir.CopyLike, state: StageState) -> Effects:
    reads = {*((STATE, s) for s in STATES), *_var_refs(ins.dest, *ins.sources, *(f.value for f in ins.flags))}
    if ins.flag("chown"):
        reads |= {(FS, "/etc/passwd"), (FS, "/etc/group")}
    writes = {(FS, region) for region, _ in copy_destinations(ins, state)}
    context = () if ins.from_stage else tuple(s for s in ins.sources if not s.startswith("<<") and "://" not in s)
    return Effects(frozenset(reads), frozenset(writes), None, context)


def instruction_effects(ins: ir.Instruction, state: StageState) -> Effects:
    """Effects of any non-FROM instruction (RUN via :func:`run_effects`)."""
    state_reads = frozenset((STATE, s) for s in STATES)
    if isinstance(ins, ir.Run):
        return run_effects(ins, state)[0]
    if isinstance(ins, ir.CopyLike):
        return copy_effects(ins, state)
    if isinstance(ins, ir.Env):
        reads = _var_refs(*(kv.raw or kv.value for kv in ins.pairs))
        return Effects(state_reads | reads, frozenset((VAR, kv.key) for kv in ins.pairs))
    if isinstance(ins, ir.Arg):
        reads = _var_refs(*(d.raw or d.default for d in ins.decls))
        reads |= frozenset((GVAR, d.name) for d in ins.decls)
        return Effects(state_reads | reads, frozenset((VAR, d.name) for d in ins.decls))
    if isinstance(ins, ir.Label):
        return Effects(state_reads | _var_refs(*(kv.raw or kv.value for kv in ins.pairs)),
                       frozenset((META, f"label:{kv.key}") for kv in ins.pairs))
    if isinstance(ins, ir.Maintainer):
        return Effects(state_reads, frozenset({(META, "label:maintainer")}))
    if isinstance(ins, ir.Expose):
        return Effects(state_reads | _var_refs(*ins.ports), frozenset({(META, "expose")}))
    if isinstance(ins, (ir.Cmd, ir.Entrypoint)):
        return Effects(state_reads, frozenset({(META, "cmd")}))
    if isinstance(ins, ir.Healthcheck):
        return Effects(state_reads, frozenset({(META, "healthcheck")}))
    if isinstance(ins, ir.Stopsignal):
        return Effects(state_reads | _var_refs(ins.signal), frozenset({(META, "stopsignal")}))
    if isinstance(ins, ir.Onbuild):
        return Effects(state_reads, frozenset({(META, "onbuild")}))
    if isinstance(ins, ir.Volume):
        paths = {(FS, p) for w in ins.paths for p in resolve_word(w, [state.cwd], state.env)}
        return Effects(state_reads | _var_refs(*ins.paths) | frozenset(paths),
                       frozenset({(META, "volume"), *paths}))
    if isinstance(ins, ir.Workdir):
        paths = {(FS, p) for p in resolve_word(ins.path, [state.cwd], state.env)}
        return Effects(state_reads | _var_refs(ins.path), frozenset({(STATE, "workdir"), *paths}))
    if isinstance(ins, ir.User):
        return Effects(state_reads | _var_refs(ins.user), frozenset({(STATE, "user")}))
    if isinstance(ins, ir.Shell):
        return Effects(state_reads, frozenset({(STATE, "shell")}))
    return barrier(f"{ins.KIND} (not modelled)")


FROM_WRITES = frozenset({(FS, "/"), (VAR, ALL), (META, ALL), *((STATE, s) for s in STATES)})


def _advance(state: StageState, ins: ir.Instruction) -> StageState:
    """The state after ``ins``."""
    if isinstance(ins, ir.Workdir):
        words = resolve_word(ins.path, [state.cwd], state.env)
        known = len(words) == 1 and (words[0] != "/" or _clean(ins.path) == "/")
        return evolve(state, cwd=words[0] if known else None)
    if isinstance(ins, ir.Shell):
        return evolve(state, shell=tuple(ins.args))
    if isinstance(ins, ir.Env):
        from dopt.variables import WordError, expand, references

        env = dict(state.env)
        tools = list(state.tool_dirs)
        for kv in ins.pairs:
            value = kv.value
            refs = references(kv.raw or value)
            if refs and not refs <= set(state.env):
                env.pop(kv.key, None)
            else:
                try:
                    env[kv.key] = expand(value, state.env) if refs else value
                except WordError:
                    env.pop(kv.key, None)
            if kv.key in TOOL_DIR_ENV:
                tools.extend(_tool_dirs_from(kv.key, kv.value, state.cwd))
        return evolve(state, env=env, tool_dirs=tuple(dict.fromkeys(tools)))
    if isinstance(ins, ir.Arg):
        # --build-arg may override any default: an ARG's value is never known
        env = {k: v for k, v in state.env.items() if k not in {d.name for d in ins.decls}}
        return evolve(state, env=env)
    return state


# ---------------------------------------------------------------------------
# The graph


def _overlap(x: Resource, y: Resource) -> bool:
    if x[0] != y[0]:
        return False
    if x[0] == FS:
        return paths_overlap(x[1], y[1])
    return x[1] == y[1] or ALL in (x[1], y[1])


def conflicts(a: Effects, b: Effects) -> tuple[set[str], list[str]]:
    """Why ``b`` (later) must stay after ``a``: (kinds, resource descriptions).

    >>> conflicts(Effects(writes=_fs("/app")), Effects(reads=_fs("/app/req.txt")))
    ({'flow'}, ['fs /app/req.txt'])
    """
    kinds: set[str] = set()
    why: list[str] = []

    def note(kind: str, x: Resource, y: Resource) -> None:
        kinds.add(kind)
        res = x if x[1] != ALL and not (x[0] == FS and x[1] == "/") else y
        text = f"{res[0]} {res[1]}"
        if text not in why:
            why.append(text)

    for w in a.writes:
        for r in b.reads:
            if _overlap(w, r):
                note("flow", r, w)
        for w2 in b.writes:
            if _overlap(w, w2):
                note("output", w2, w)
    for r in a.reads:
        for w in b.writes:
            if _overlap(r, w):
                note("anti", w, r)
    return kinds, why


def _summary(ins: ir.Instruction, escape: str) -> str:
    from dopt.printer import print_instruction

    text = ins.source if ins.source is not None else print_instruction(ins, escape=escape).lstrip()
    first = " ".join(text.replace(escape + "\n", " ").split())
    return first if len(first) <= 72 else first[:69] + "..."


def build_graph(df: ir.Dockerfile):
    """The dependency graph of ``df`` (see the module docstring).

    ``graph.graph["stages"]`` lists each stage's nodes in order (FROM first),
    ``graph.graph["preamble"]`` the global ARG nodes.

    >>> from dopt import parse_text
    >>> g = build_graph(parse_text("ARG V=1\\nFROM a:$V AS b\\nENV X=1\\nRUN make\\nFROM b\\n"))
    >>> sorted(g.edges[(-1, 0), (0, 0)]["kinds"]), g.nodes[(0, 2)]["barrier"]
    (['flow'], "'make' runs the project's build")
    >>> sorted(g.edges[(0, 2), (1, 0)]["kinds"])
    ['stage']
    """
    import networkx as nx

    from dopt.variables import resolve_stages

    graph = nx.DiGraph()
    graph.graph["stages"] = []
    graph.graph["preamble"] = []
    pre_effects: list[tuple[tuple[int, int], Effects]] = []
    for i, ins in enumerate(df.preamble):
        node = (-1, i)
        eff = Effects(frozenset((GVAR, n) for _, n in _var_refs(*(d.raw or d.default for d in getattr(ins, "decls", ())))),
                      frozenset((GVAR, d.name) for d in getattr(ins, "decls", ())))
        _add_node(graph, node, ins, eff, None, df.escape)
        graph.graph["preamble"].append(node)
        for other, oeff in pre_effects:
            _link(graph, other, oeff, node, eff)
        pre_effects.append((node, eff))

    resolved = resolve_stages(df)
    final_state: list[StageState] = []
    names: dict[str, int] = {}
    for s, stage in enumerate(df.stages):
        parent = resolved[s].parent_index
        if parent is not None:
            state = final_state[parent]
        else:
            state = StageState(cwd=f"<wd{s}>")
        nodes: list[tuple[tuple[int, int], Effects]] = []
        from_node = (s, 0)
        from_reads = frozenset((GVAR, n) for _, n in _var_refs(stage.from_.image.raw,
                                                               stage.from_.flag_value("platform")))
        from_eff = Effects(from_reads, FROM_WRITES)
        _add_node(graph, from_node, stage.from_, from_eff, state, df.escape)
        for pnode, peff in pre_effects:
            _link(graph, pnode, peff, from_node, from_eff)
        if parent is not None:
            _stage_edge(graph, parent, from_node, "FROM")
        nodes.append((from_node, from_eff))
        copy_refs = dict(resolved[s].copy_sources)
        for i, ins in enumerate(stage.instructions, start=1):
            node = (s, i)
            eff = instruction_effects(ins, state)
            _add_node(graph, node, ins, eff, state, df.escape)
            for other, oeff in nodes:
                _link(graph, other, oeff, node, eff)
            if isinstance(ins, ir.Arg):
                for pnode, peff in pre_effects:
                    _link(graph, pnode, peff, node, eff)
            ref = copy_refs.get(i - 1)
            if isinstance(ref, int):
                _stage_edge(graph, ref, node, "COPY --from")
            if isinstance(ins, ir.Run):
                for mount in ins.mounts:
                    source = mount.get("from")
                    if source:
                        idx = int(source) if source.isdigit() else names.get(source.lower())
                        if idx is not None and idx < s:
                            _stage_edge(graph, idx, node, "RUN --mount=from")
            nodes.append((node, eff))
            state = _advance(state, ins)
        final_state.append(state)
        graph.graph["stages"].append([n for n, _ in nodes])
        if stage.name:
            names[stage.name.lower()] = s
    return graph


def _add_node(graph, node, ins: ir.Instruction, effects: Effects, state: StageState | None, escape: str) -> None:
    graph.add_node(node, kind=ins.KIND, line=ins.span.start_line if ins.span else None,
                   text=_summary(ins, escape), effects=effects, cwd=state.cwd if state else None,
                   state=state, barrier=effects.barrier)


def _link(graph, a, a_eff: Effects, b, b_eff: Effects) -> None:
    kinds, why = conflicts(a_eff, b_eff)
    if kinds:
        graph.add_edge(a, b, kinds=kinds, why=why)


def _stage_edge(graph, stage_index: int, node, how: str) -> None:
    nodes = graph.graph["stages"][stage_index] if stage_index < len(graph.graph["stages"]) else []
    if not nodes:
        return
    last = nodes[-1]
    data = graph.get_edge_data(last, node)
    if data:
        data["kinds"].add("stage")
        data["why"].append(how)
    else:
        graph.add_edge(last, node, kinds={"stage"}, why=[how])


def depends_on(graph, later, earlier) -> bool:
    """True when ``later`` (transitively) must stay after ``earlier``.

    >>> from dopt import parse_text
    >>> g = build_graph(parse_text("FROM a\\nWORKDIR /x\\nLABEL a=b\\n"))
    >>> depends_on(g, (0, 2), (0, 1)), depends_on(g, (0, 1), (0, 2))
    (True, False)
    """
    import networkx as nx

    return later != earlier and nx.has_path(graph, earlier, later)


# ---------------------------------------------------------------------------
# DOT


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph) -> str:
    """Graphviz DOT text: one cluster per stage, barrier RUNs shaded, edges labelled with their reasons.

    >>> from dopt import parse_text
    >>> dot = to_dot(build_graph(parse_text('FROM a\\nRUN echo "hi" > /x\\n')))
    >>> dot.splitlines()[0], '"0:1" [label="L2 RUN echo \\\\"hi\\\\" > /x"' in dot
    ('digraph dopt {', True)
    """
    lines = ["digraph dopt {", "  rankdir=TB;", '  node [shape=box, fontname="monospace"];']

    def node_line(node) -> str:
        data = graph.nodes[node]
        label = f"L{data['line']} {data['text']}" if data.get("line") else data["text"]
        style = ', style=filled, fillcolor="#f4cccc"' if data.get("barrier") else ""
        tooltip = f", tooltip={_dot_quote(data['barrier'])}" if data.get("barrier") else ""
        return f"    {_dot_quote(f'{node[0]}:{node[1]}')} [label={_dot_quote(label)}{style}{tooltip}];"

    if graph.graph.get("preamble"):
        lines.append('  subgraph cluster_preamble {\n    label="global ARGs";')
        lines.extend(node_line(n) for n in graph.graph["preamble"])
        lines.append("  }")
    for s, nodes in enumerate(graph.graph.get("stages", [])):
        lines.append(f"  subgraph cluster_s{s} {{")
        head = graph.nodes[nodes[0]]["text"] if nodes else ""
        lines.append(f"    label={_dot_quote(f'stage {s}: {head}')};")
        lines.extend(node_line(n) for n in nodes)
        lines.append("  }")
    for a, b, data in sorted(graph.edges(data=True)):
        label = ", ".join(sorted(data["kinds"]))
        if data.get("why"):
            reasons = "; ".join(data["why"][:3]) + ("; ..." if len(data["why"]) > 3 else "")
            label += f": {reasons}"
        style = ", style=dashed" if data["kinds"] == {"anti"} else ""
        lines.append(f"  {_dot_quote(f'{a[0]}:{a[1]}')} -> {_dot_quote(f'{b[0]}:{b[1]}')} "
                     f"[label={_dot_quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
