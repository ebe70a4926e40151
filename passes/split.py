"""split: turn a stage that builds into a builder stage and a runtime stage that receives only the results.

The stage split is the final stage (or the one ``settings["target"]`` names). It is split when it
carries build tools (compilers, ``-dev`` packages, ``pip --no-binary``, go/cargo/maven/gradle/javac
builds, npm/yarn/pnpm installs) and builds with exactly one known ecosystem:

* **python** -- pip installs go into a virtualenv made in the builder (``/opt/venv``, option
  ``venv``) that the runtime copies to the same path and puts on ``PATH``; ``pip install --user``
  copies ``$HOME/.local`` (to the runtime user's HOME when that user is not the installer, B61);
  ``--prefix``/``--target`` and an existing venv are copied as they are;
* **node** -- the builder installs, builds, then prunes dev dependencies; the runtime copies the app
  folder;
* **java** -- the runtime copies the jar(s) that ENTRYPOINT/CMD run (else the jar/maven/gradle
  outputs) to the same path;
* **go** -- the binary (``-o``), plus CA roots and zoneinfo (B67), on distroless static for
  ``CGO_ENABLED=0`` builds (``scratch`` with ``distroless=false``), else on debian slim of the
  builder's release (B65);
* **rust** -- the ``target/<profile>/<bin>`` binaries on debian slim of the builder's release
  (``distroless`` gives distroless/cc).

Python, node and java runtimes start FROM the same image as the builder (the ``lower`` pass then
slims the final stage); go and rust runtimes are chosen here. Every ENV, WORKDIR, USER and the
image metadata of the original stage are kept in the runtime (B68); ARGs are re-declared in the
runtime when something there uses them (B22); system packages become their runtime libraries
(``libyaml-dev`` -> ``libyaml-0-2``) plus ``settings["runtime_deps"]``, installed with one RUN.
Anything else is declined with a reason (docs/passes/split.md has the placement rules).

Example::

    >>> from dopt import parse_text
    >>> from dopt.pipeline import run_pipeline
    >>> text = "FROM golang:1.22\\nWORKDIR /src\\nCOPY . .\\nRUN CGO_ENABLED=0 go build -o /app .\\nCMD [\\"/app\\"]\\n"
    >>> print(run_pipeline(parse_text(text), "split").text, end="")
    FROM golang:1.22 AS builder
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /app .
    <BLANKLINE>
    FROM gcr.io/distroless/static-debian12
    COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo
    COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
    COPY --from=builder /app /app
    WORKDIR /src
    CMD ["/app"]
"""

from __future__ import annotations

import posixpath
import re

from attrs import define, field

from dopt import ecosystems as eco_data
from dopt.ir import (Copy, CopyLike, Dockerfile, Env, ExecForm, Flag, From, Instruction, KeyValue, Run,
                     ShellForm, Stage, User, Workdir)
from dopt.rewrite import run_text, shell_is_posix, stage_shells

NAME = "split"
DESCRIPTION = "split a stage that builds into a builder stage and a runtime stage that gets only the results"
OPTIONS = {
    "distroless": "go/rust runtime on distroless (default on for static Go builds: distroless/static; "
                  "off gives scratch; for cgo and Rust on gives distroless/base or cc instead of debian slim)",
    "venv": "python: path of the virtualenv made in the builder (default /opt/venv)",
    "name": "name of the builder stage (default builder; builder-2 ... when taken)",
}
PRESERVES = ()

SYSTEM_MANAGERS = frozenset({"apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})
UNSUPPORTED = {
    "poetry": "poetry installs into its own virtualenv; split would need POETRY_VIRTUALENVS_IN_PROJECT=true "
              "or an exported requirements.txt",
    "pipenv": "pipenv manages its own virtualenv; split would need `pipenv install --system` into a venv "
              "or an exported requirements.txt",
    "conda": "conda environments live under the conda prefix; split would need conda-pack or a copied prefix",
    "mamba": "conda environments live under the conda prefix; split would need conda-pack or a copied prefix",
    "micromamba": "conda environments live under the conda prefix; split would need a copied prefix",
    "uv": "uv sync/add manage the project's .venv; split would need UV_PROJECT_ENVIRONMENT at a fixed path",
    "gem": "ruby gems: split would need the bundle path (BUNDLE_PATH) to copy",
    "bundle": "ruby gems: split would need the bundle path (BUNDLE_PATH) to copy",
}
# Instructions that describe the image, not the filesystem: runtime only.
RUNTIME_ONLY = frozenset({"EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "LABEL", "VOLUME",
                          "MAINTAINER", "ONBUILD"})
_PYTHON = re.compile(r"(pypy|python)(\d+(\.\d+)?)?")
_ROOT_USERS = frozenset({"", "root", "0", "0:0", "root:root"})


class _Decline(Exception):
    """Raised inside planning to give up on the stage with a reason (and the span it is about)."""

    def __init__(self, message: str, span=None):
        super().__init__(message)
        self.message = message
        self.span = span


# --------------------------------------------------------------------------
# What the stage does


@define
class Item:
    """One instruction of the stage with what split needs to know about it."""

    pos: int
    ins: Instruction
    workdir: str | None = None          # resolved working directory in force (None: unknown)
    user: str = ""                      # USER in force
    scope: dict = field(factory=dict)   # ARG/ENV visible to it
    ops: tuple = ()
    script: object = None
    role: str = ""                      # RUN: build | system | setup | harmless
    ecosystems: frozenset = frozenset()
    account: bool = False               # RUN creates or changes accounts
    phase: str = "A"                    # A before the first build step, B among them, C after the last

    @property
    def kind(self) -> str:
        return self.ins.KIND

    @property
    def span(self):
        return self.ins.span


@define
class Facts:
    index: int
    stage: Stage
    items: list[Item]
    base: object                        # ImageRef of the FROM (resolved)
    ops: list = field(factory=list)
    build_tools: tuple = ()
    first_build: int | None = None
    last_build: int | None = None
    final_user: str = ""
    final_workdir: str | None = "/"
    settings: dict = field(factory=dict)

    def builds(self, ecosystem: str | None = None) -> list[Item]:
        return [i for i in self.items if i.role == "build" and (ecosystem is None or ecosystem in i.ecosystems)]

    def runs(self) -> list[Item]:
        return [i for i in self.items if i.kind == "RUN"]


@define
class Artifact:
    """``COPY --from=<builder> [--chown=user] src dest`` in the runtime."""

    src: str
    dest: str
    chown: str | None = None
    why: str = ""


@define
class Plan:
    ecosystem: str
    summary: str
    runtime_from: From
    place: dict = field(factory=dict)              # item pos -> builder | runtime | both
    builder_new: list = field(factory=list)        # (item pos, [instructions]) inserted before that item
    builder_tail: list = field(factory=list)       # appended to the builder
    artifacts: list = field(factory=list)
    artifacts_after: int = -1                      # artifacts may not go before this item pos
    runtime_env: list = field(factory=list)        # KeyValue set after the artifacts
    packages: list = field(factory=list)
    package_manager: str | None = None
    notes: list = field(factory=list)
    warnings: list = field(factory=list)


# --------------------------------------------------------------------------
# Entry point


def run(df: Dockerfile, ctx) -> Dockerfile:
    if not df.stages:
        return df
    from dopt.variables import resolve_stages

    build_args = ctx.settings.get("build_args") or {}
    resolved = resolve_stages(df, build_args)
    index = _target_index(df, ctx)
    if index is None:
        return df
    stage = df.stages[index]
    span = stage.from_.span
    if len(df.stages) > 1:
        _note_unreachable(df, resolved, index, ctx)
    if any(ctx.is_skipped(i) for i in stage.all()):
        ctx.note(f"not splitting stage {index}: protected by '# dopt: skip=split'", span)
        return df
    try:
        facts = _collect(df, index, resolved, ctx)
        if not _needs_split(facts):
            ctx.note(f"stage {index} ({resolved[index].base}) carries no build tools: nothing to split", span)
            if len(df.stages) > 1:
                _lint_multistage(df, resolved, index, ctx)
            return df
        ecosystem = _ecosystem(facts)
        plan = PLANNERS[ecosystem](facts, df, resolved, ctx)
    except _Decline as d:
        ctx.decline(f"not splitting stage {index}: {d.message}", d.span or span)
        return df
    name = _builder_name(df, ctx)
    out = _assemble(df, facts, plan, name)
    ctx.changed(f"split stage {index} into {name} + runtime ({plan.summary})", span)
    for message in plan.notes:
        ctx.note(message, span)
    for message, where in plan.warnings:
        ctx.warn(message, where or span)
    return out


def _target_index(df: Dockerfile, ctx) -> int | None:
    target = ctx.settings.get("target")
    if not target:
        return len(df.stages) - 1
    for i, s in enumerate(df.stages):
        if (s.name or "").lower() == str(target).lower():
            return i
    return None


def _builder_name(df: Dockerfile, ctx) -> str:
    base = str(ctx.option("name", "builder") or "builder")
    taken = {(s.name or "").lower() for s in df.stages}
    if base.lower() not in taken:
        return base
    n = 2
    while f"{base}-{n}".lower() in taken:
        n += 1
    return f"{base}-{n}"


# --------------------------------------------------------------------------
# Reading the stage


def _resolve(path: str, scope: dict, cwd: str | None) -> str | None:
    """An absolute, normalized path for a word as written, None when a variable has no value."""
    from dopt.variables import WordError, expand, references

    if "$" in path:
        if not references(path) <= set(scope):
            return None
        try:
            path = expand(path, scope)
        except WordError:
            return None
    trailing = path.endswith("/") and path != "/"
    if not path.startswith("/"):
        if cwd is None:
            return None
        path = posixpath.join(cwd, path)
    out = posixpath.normpath(path)
    out = "/" + out.lstrip("/")
    return out + "/" if trailing and out != "/" else out


def _under(path: str, root: str) -> bool:
    path, root = path.rstrip("/") or "/", root.rstrip("/") or "/"
    return path == root or root == "/" or path.startswith(root + "/")


def _initial_state(df: Dockerfile, resolved, index: int) -> tuple[str | None, str]:
    """Working directory and USER a stage starts with (the parent stage's, or the image default)."""
    parent = resolved[index].parent_index
    if parent is None:
        repo = eco_data.repository_name(resolved[index].image.name)
        return ("/go" if repo == "golang" else "/"), ""
    workdir, user = _initial_state(df, resolved, parent)
    from dopt.variables import scope_at

    stage = df.stages[parent]
    for pos, ins in enumerate(stage.instructions):
        if isinstance(ins, Workdir):
            workdir = _resolve(ins.path, scope_at(df, parent, pos), workdir)
        elif isinstance(ins, User):
            user = ins.user
    return workdir, user


def _collect(df: Dockerfile, index: int, resolved, ctx) -> Facts:
    from dopt.packages import build_tools, package_ops
    from dopt.shell import parse_script
    from dopt.variables import scope_at

    stage = df.stages[index]
    shells = stage_shells(df)[index]
    build_args = ctx.settings.get("build_args") or {}
    workdir, user = _initial_state(df, resolved, index)
    facts = Facts(index=index, stage=stage, items=[], base=resolved[index].image, settings=ctx.settings)
    for pos, ins in enumerate(stage.instructions):
        scope = scope_at(df, index, pos, build_args)
        item = Item(pos=pos, ins=ins, workdir=workdir, user=user, scope=scope)
        if isinstance(ins, Workdir):
            workdir = _resolve(ins.path, scope, workdir)
        elif isinstance(ins, User):
            user = ins.user
        elif isinstance(ins, Run):
            text = run_text(ins)
            if text is None:
                form = "exec-form" if ins.is_exec else "heredoc"
                raise _Decline(f"{form} RUN at {ins.span}: split reads shell-form scripts only", ins.span)
            if not shell_is_posix(shells[pos]):
                raise _Decline(f"RUN at {ins.span} runs under SHELL {list(shells[pos])}, not a POSIX shell",
                               ins.span)
            script = parse_script(text)
            if script.opaque:
                raise _Decline(f"the RUN at {ins.span} cannot be analysed ({script.error})", ins.span)
            item.script = script
            item.ops = package_ops(script)
            facts.ops.extend(item.ops)
            _classify_run(item)
        facts.items.append(item)
    facts.final_user = user
    facts.final_workdir = workdir
    facts.build_tools = build_tools(facts.ops)
    builds = [i.pos for i in facts.items if i.role == "build"]
    if builds:
        facts.first_build, facts.last_build = builds[0], builds[-1]
        for item in facts.items:
            item.phase = "A" if item.pos < builds[0] else ("C" if item.pos > builds[-1] else "B")
    return facts


def _op_ecosystem(op) -> str | None:
    m = op.manager
    if m == "pip":
        return None if op.action in ("list", "show", "freeze", "check", "config", "none") else "python"
    if m in ("npm", "yarn", "pnpm"):
        return None if op.action in ("clean", "cache-verify", "config", "none") else "node"
    if m in ("maven", "gradle", "java"):
        return "java"
    if m == "go":
        return None if op.action in ("env", "version", "none") else "go"
    if m == "cargo":
        return None if op.action in ("none",) else "rust"
    if m in UNSUPPORTED:
        return m
    return None


def _python_command(words: tuple[str, ...]) -> str | None:
    """``venv`` for ``python -m venv X``/``virtualenv X``, ``setup`` for ``python setup.py <verb>``."""
    if not words:
        return None
    name = posixpath.basename(words[0])
    if name == "virtualenv":
        return "venv"
    if not _PYTHON.fullmatch(name):
        return None
    args = list(words[1:])
    if len(args) >= 2 and args[0] == "-m" and args[1] in ("venv", "virtualenv"):
        return "venv"
    if args and args[0].endswith("setup.py") and len(args) > 1 and args[1] in (
            "install", "develop", "build", "build_ext", "bdist_wheel", "sdist", "egg_info"):
        return "setup"
    return None


def _writes_file(cmd) -> bool:
    return any(r.op in (">", ">>", "&>", ">|", "&>>") and r.target not in ("/dev/null", "/dev/stderr",
                                                                             "/dev/stdout")
               for r in cmd.redirects if not r.target.isdigit())


def _classify_run(item: Item) -> None:
    """Set the RUN's role from what each of its commands does."""
    script = item.script
    by_command: dict[int, list] = {}
    for op in item.ops:
        by_command.setdefault(id(op.command), []).append(op)
    kinds: list[str] = []
    ecos: set[str] = set()
    for cmd in script.commands:
        ops = by_command.get(id(cmd), [])
        argv = cmd.effective_argv
        name = posixpath.basename(argv[0]) if argv else ""
        python_kind = _python_command(argv)
        op_ecos = {e for e in (_op_ecosystem(op) for op in ops) if e}
        if op_ecos or any(op.manager == "native" for op in ops) or python_kind:
            ecos |= op_ecos
            if python_kind:
                ecos.add("python")
            kinds.append("build")
        elif any(op.manager in SYSTEM_MANAGERS for op in ops):
            kinds.append("system")
        elif any(op.manager == "rm" for op in ops) and any(op.tool == "rm" and op.manager != "rm" for op in ops):
            kinds.append("system")      # rm -rf /var/lib/apt/lists/* and other cache removal
        elif ops and all(op.manager in ("npm", "yarn", "pnpm", "pip") for op in ops):
            kinds.append("harmless")    # cache cleaning, config queries
        elif not argv:
            kinds.append("harmless")    # `X=1`: a shell variable, gone when the RUN ends
        else:
            klass = eco_data.run_command_class(name)
            if name in ("cd", "export", "set", "umask", "unset") or (klass == "harmless" and not _writes_file(cmd)):
                kinds.append("harmless")
            elif klass == "account":
                item.account = True
                kinds.append("setup")
            else:
                kinds.append("setup")
    item.ecosystems = frozenset(ecos)
    if "build" in kinds:
        item.role = "build"
    elif "setup" in kinds:
        item.role = "setup"
    elif "system" in kinds:
        item.role = "system"
    else:
        item.role = "harmless"


def _needs_split(facts: Facts) -> bool:
    if facts.build_tools:
        return True
    for op in facts.ops:
        if op.manager == "pip" and op.action == "install":
            if any(o.startswith("--no-binary") for o in op.options):
                return True
            if any(re.search(r"(^git\+|\.(tar\.gz|tgz|tar\.bz2|zip)$)", p) for p in op.packages):
                return True
        if op.manager in ("npm", "yarn", "pnpm") and op.action in ("install", "ci") and not op.global_install \
                and not _small_base(facts.base):
            # on a full image native addons may compile: the build belongs in a builder
            return True
    return any(_python_command(c.effective_argv) == "setup" for i in facts.runs() for c in i.script.commands)


def _small_base(image) -> bool:
    from dopt.data import base_images

    tag = (image.tag or "").lower()
    return base_images.is_minimal(image.name, image.tag) or "slim" in tag or "alpine" in tag


def _ecosystem(facts: Facts) -> str:
    found: dict[str, Item] = {}
    for item in facts.builds():
        for e in item.ecosystems:
            found.setdefault(e, item)
    for name, item in found.items():
        if name in UNSUPPORTED:
            raise _Decline(f"{name} at {item.span}: {UNSUPPORTED[name]}", item.span)
    known = [e for e in found if e in PLANNERS]
    if not known:
        tools = ", ".join(facts.build_tools) or "build tools"
        raise _Decline(f"the stage uses {tools} but builds with no ecosystem split knows (python, node, java, go, "
                       "rust), so which files the build produces is unknown; write the builder and runtime "
                       "stages by hand (COPY --from the outputs)")
    if len(known) > 1:
        image_eco = eco_data.ecosystem_of_image(facts.base.name)
        where = ", ".join(f"{e} at {found[e].span}" for e in known)
        raise _Decline(f"the stage builds with several ecosystems ({where}); split moves one"
                       + (f" (the image is {image_eco})" if image_eco else ""))
    return known[0]


# --------------------------------------------------------------------------
# Shared planning helpers


def _cwd_at(item: Item, cmd) -> str | None:
    """Working directory when ``cmd`` of the RUN starts: WORKDIR, then top-level ``cd`` before it."""
    cwd = item.workdir
    for other in item.script.commands:
        if other.start >= cmd.start:
            break
        if other.argv0 == "cd" and not other.isolated and other.depth_kind in ("top", "group"):
            target = other.words[1] if len(other.words) > 1 else None
            if target is None or target == "-":
                return None
            cwd = _resolve(target, item.scope, cwd)
            if cwd is None:
                return None
    return cwd


def _entry_argv(facts: Facts) -> tuple[tuple[str, ...], bool]:
    """The ENTRYPOINT + CMD argv the image runs (words of shell forms), and whether it is exec form."""
    entry: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    exec_form = True
    for item in facts.items:
        if item.kind in ("ENTRYPOINT", "CMD"):
            command = item.ins.command
            if isinstance(command, ExecForm):
                words = tuple(command.args)
            else:
                from dopt.shell import parse_script

                script = parse_script(command.text)
                words = tuple(w for c in script.commands[:1] for w in c.effective_argv)
                exec_form = False
            if item.kind == "ENTRYPOINT":
                entry, cmd = words, ()
            else:
                cmd = words
    return entry + cmd if entry else cmd, exec_form


def _runtime_commands(facts: Facts, plan: Plan) -> set[str]:
    """Programs the runtime runs: in RUNs placed there, CMD/ENTRYPOINT and HEALTHCHECK."""
    from dopt.shell import parse_script

    names: set[str] = set()

    # Every word counts, not only argv[0]: wrappers (tini, dumb-init, xvfb-run, su-exec, gosu,
    # a script's arguments) run the program they are given. Over-counting only keeps something
    # in the runtime that was not needed; under-counting breaks it.
    def add_script(text: str) -> None:
        script = parse_script(text)
        for c in script.commands:
            for w in (c.argv0, c.effective_argv0, *c.words):
                if w:
                    names.add(posixpath.basename(w))

    for item in facts.items:
        where = plan.place.get(item.pos)
        if item.kind == "RUN" and where in ("runtime", "both"):
            add_script(item.script.text)
        elif item.kind in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            command = item.ins.command
            if command is None:
                continue
            if isinstance(command, ExecForm):
                if command.args:
                    names.update(posixpath.basename(a) for a in command.args if a)
                    if posixpath.basename(command.args[0]) in ("sh", "bash", "ash", "dash") and "-c" in command.args:
                        at = list(command.args).index("-c")
                        if at + 1 < len(command.args):
                            add_script(command.args[at + 1])
            else:
                add_script(command.text)
    return names


def _system_packages(facts: Facts) -> tuple[list[tuple[str, str, Item]], set[str], str | None]:
    """(name, manager, item) of every system package the stage installs and keeps; the manager used."""
    from dopt.packages import package_name

    installed: list[tuple[str, str, Item]] = []
    removed: set[str] = set()
    virtual: dict[str, list[str]] = {}
    manager = None
    for item in facts.runs():
        for op in item.ops:
            if op.manager not in SYSTEM_MANAGERS:
                continue
            manager = manager or ("apt" if op.manager == "apt" else op.manager)
            names = [package_name(op.manager, p) for p in op.packages]
            if op.action in ("install", "build-dep"):
                if op.virtual:
                    virtual[op.virtual] = names
                for n in names:
                    installed.append((n, op.manager, item))
            elif op.action in ("remove", "purge"):
                for n in names:
                    removed.update(virtual.get(n, [n]))
    keep = [(n, m, i) for n, m, i in installed if n not in removed and not n.startswith("$")]
    seen: set[str] = set()
    out = []
    for n, m, i in keep:
        if n not in seen:
            seen.add(n)
            out.append((n, m, i))
    return out, removed, manager


def _is_build_package(name: str) -> bool:
    from dopt.packages import _BUILD_PACKAGE_PATTERN, _BUILD_PACKAGES, build_only_packages

    return name in _BUILD_PACKAGES or name in build_only_packages() or bool(_BUILD_PACKAGE_PATTERN.fullmatch(name))


def _runtime_deps_setting(settings: dict) -> list[str]:
    value = settings.get("runtime_deps") or []
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    return [v for v in (str(x).strip() for x in value) if v]


def _plan_packages(facts: Facts, plan: Plan, ecosystem: str, *, can_install: bool,
                   replayed: set[str] = frozenset(), extra: list[str] = ()) -> list[str]:
    """Decide which system packages the runtime installs; record what is dropped and why."""
    from dopt.packages import ambiguous_tools, runtime_packages_for, unmapped_build_packages

    installed, _, manager = _system_packages(facts)
    used = _runtime_commands(facts, plan)
    helpers = eco_data.build_helpers(ecosystem)
    ambiguous = set(ambiguous_tools())
    build, keep, dropped = [], [], []
    file_packages = eco_data.file_packages() if not can_install or ecosystem in ("go",) else frozenset()
    for name, _, _ in installed:
        if name in replayed:
            continue
        calls = set(eco_data.commands_of(name)) & used
        if _is_build_package(name):
            build.append(name)
        elif name in file_packages:
            continue
        elif name in helpers or name in ambiguous:
            (keep if calls else dropped).append(name)
        else:
            keep.append(name)
    if manager == "apk":
        runtime_libs, unmapped = eco_data.alpine_runtime_packages(build)
    else:
        runtime_libs, unmapped = runtime_packages_for(build), unmapped_build_packages(build)
    deps = _runtime_deps_setting(facts.settings)
    if unmapped and not deps:
        table = "ecosystems.toml [alpine_runtime]" if manager == "apk" else "runtime_libs.toml"
        raise _Decline(f"no runtime library is known for {', '.join(unmapped)} (dopt/data/{table}); "
                       "pass the packages the program loads in runtime_deps")
    if unmapped:
        plan.warnings.append((f"runtime libraries of {', '.join(unmapped)} are not known; trusting runtime_deps "
                              f"({', '.join(deps)})", None))
    if dropped:
        plan.notes.append(f"not installed in the runtime (nothing there calls them): {', '.join(dropped)}")
    if build:
        plan.notes.append(f"build packages left in the builder: {', '.join(build)}"
                          + (f"; runtime libraries installed instead: {', '.join(runtime_libs)}" if runtime_libs else ""))
    packages = list(dict.fromkeys([*keep, *runtime_libs, *extra, *deps]))
    packages = [p for p in packages if p not in replayed]
    if packages and not can_install:
        raise _Decline(f"the runtime has no package manager but needs {', '.join(packages)}")
    plan.package_manager = manager if manager in ("apt", "apk") else ("apt" if manager is None else manager)
    if packages and plan.package_manager not in ("apt", "apk"):
        raise _Decline(f"runtime packages ({', '.join(packages)}) would need {plan.package_manager}; "
                       "split installs them with apt-get or apk only")
    return packages


def _install_text(manager: str, packages: list[str]) -> str:
    if manager == "apk":
        return f"apk add --no-cache {' '.join(packages)}"
    from dopt.data import base_images

    template = base_images.table().get("meta", {}).get("apt_install") or (
        "apt-get update && apt-get install -y --no-install-recommends {packages} && rm -rf /var/lib/apt/lists/*")
    return template.format(packages=" ".join(packages))


def _place_common(item: Item) -> str | None:
    if item.kind in RUNTIME_ONLY:
        return "runtime"
    if item.kind in ("ENV", "WORKDIR", "USER", "SHELL"):
        return "both"
    if item.kind == "ARG":
        return "builder"    # re-declared in the runtime when used there (see _assemble)
    return None


def _copy_dest(item: Item) -> str | None:
    ins = item.ins
    return _resolve(ins.dest, item.scope, item.workdir)


def _first_context_copy(facts: Facts) -> int | None:
    for item in facts.items:
        if isinstance(item.ins, CopyLike) and not item.ins.from_stage:
            return item.pos
    return None


def _place_compiled(facts: Facts, plan: Plan, roots: list[str], *, shell: bool, keep_dirs: list[str] = ()) -> None:
    """Placement for ecosystems whose runtime receives only artifacts (node, java, go, rust)."""
    first_copy = _first_context_copy(facts)
    for item in facts.items:
        common = _place_common(item)
        if common is not None:
            plan.place[item.pos] = common
            continue
        if isinstance(item.ins, CopyLike):
            dest = _copy_dest(item)
            inside = dest is None or any(_under(dest, r) for r in roots)
            if keep_dirs and dest is not None and any(_under(dest, d) for d in keep_dirs):
                plan.place[item.pos] = "builder"
            elif item.phase == "C" and not keep_dirs:
                plan.place[item.pos] = "both"
            else:
                plan.place[item.pos] = "builder" if inside else "both"
            continue
        if item.kind != "RUN":
            plan.place[item.pos] = "builder"
            continue
        if item.role != "setup":
            plan.place[item.pos] = "builder"
            continue
        early = first_copy is None or item.pos < first_copy
        if item.account or (item.phase == "A" and early):
            if shell:
                plan.place[item.pos] = "both"
            else:
                plan.place[item.pos] = "builder"
                if not item.account:
                    plan.warnings.append((f"the RUN at {item.span} is not repeated in the runtime (it has no shell); "
                                          "what it changes outside the copied files is not there", item.span))
        else:
            plan.place[item.pos] = "builder"


def _check_replayed(facts: Facts, plan: Plan) -> set[str]:
    """Packages installed by RUNs the runtime repeats; a repeated RUN must not install build tools."""
    from dopt.packages import package_name

    names: set[str] = set()
    for item in facts.runs():
        if plan.place.get(item.pos) not in ("both", "runtime"):
            continue
        for op in item.ops:
            if op.manager in SYSTEM_MANAGERS and op.action == "install":
                for p in op.packages:
                    n = package_name(op.manager, p)
                    if _is_build_package(n):
                        raise _Decline(f"the RUN at {item.span} installs {n} together with other setup the runtime "
                                       "needs; split cannot move only part of it", item.span)
                    names.add(n)
    return names


def _runtime_from(facts: Facts, image: str | None) -> From:
    """The runtime's FROM: the original image (python/node/java) or another one, flags and name kept."""
    original = facts.stage.from_
    if image is None:
        return original.edit(leading="\n")
    from dopt.variables import parse_image_ref

    return original.edit(image=parse_image_ref(image), leading="\n")


def _cmd_paths(facts: Facts, roots: list[str], artifacts: list[Artifact], plan: Plan) -> None:
    """Warn about files ENTRYPOINT/CMD name under the build folders that the runtime does not get."""
    argv, _ = _entry_argv(facts)
    covered = [a.dest.rstrip("/") for a in artifacts]
    for word in argv[1:]:
        if word.startswith("-") or "$" in word or "://" in word:
            continue
        if "/" not in word and not re.search(r"\.(ya?ml|json|toml|conf|cfg|ini|properties|xml|env|sh|py|js)$", word):
            continue
        path = _resolve(word, {}, facts.final_workdir)
        if path is None or not any(_under(path, r) for r in roots):
            continue
        if any(_under(path, c) or path == c for c in covered):
            continue
        plan.warnings.append((f"ENTRYPOINT/CMD names {word}, which is in the build folder and not copied to the "
                              "runtime; COPY it after the build step to keep it", None))


# --------------------------------------------------------------------------
# Python


def _plan_python(facts: Facts, df: Dockerfile, resolved, ctx) -> Plan:
    image_eco = eco_data.ecosystem_of_image(facts.base.name)
    plan = Plan("python", "", _runtime_from(facts, None))
    pip_items: list[tuple[Item, object]] = []
    venvs: dict[str, Item] = {}
    local_dirs: list[str] = []
    for item in facts.builds("python"):
        for cmd in item.script.commands:
            kind = _python_command(cmd.effective_argv)
            if kind == "venv":
                args = [w for w in cmd.effective_argv[1:] if not w.startswith("-") and w not in ("venv", "virtualenv")]
                if not args:
                    raise _Decline(f"cannot tell the virtualenv path at {item.span}", item.span)
                path = _resolve(args[-1], item.scope, _cwd_at(item, cmd))
                if path is None:
                    raise _Decline(f"cannot resolve the virtualenv path {args[-1]} at {item.span}", item.span)
                venvs[path.rstrip("/")] = item
            elif kind == "setup":
                cwd = _cwd_at(item, cmd)
                if cwd is None:
                    raise _Decline(f"cannot tell the folder of setup.py at {item.span}", item.span)
                local_dirs.append(cwd)
        for op in item.ops:
            if op.manager == "pip" and _op_ecosystem(op) == "python":
                pip_items.append((item, op))
        # a build RUN that does more than install (collectstatic, code generation) leaves files in its folder
        if any(_command_kind(c, item) == "setup" for c in item.script.commands) and item.workdir:
            local_dirs.append(item.workdir)

    modes: dict[str, list] = {"user": [], "prefix": [], "target": [], "venv": [], "system": []}
    for item, op in pip_items:
        words = op.command.effective_argv
        launcher = words[0]
        cwd = _cwd_at(item, op.command)
        for spec in op.local_paths:
            if re.search(r"\.(whl|tar\.gz|tgz|zip|tar\.bz2)$", spec) or spec.startswith("file:"):
                continue
            spec_path = re.sub(r"\[.*\]$", "", spec)
            path = _resolve(spec_path, item.scope, cwd)
            if path is None:
                raise _Decline(f"cannot resolve the local package {spec} at {item.span}", item.span)
            local_dirs.append(path)
        if op.user:
            modes["user"].append((item, op))
        elif op.prefix or op.target:
            key = "prefix" if op.prefix else "target"
            path = _resolve(op.prefix or op.target, item.scope, cwd)
            if path is None:
                raise _Decline(f"cannot resolve --{key} at {item.span}", item.span)
            modes[key].append((item, op, path))
        elif op.global_install:
            raise _Decline(f"pip at {item.span} installs into the system interpreter ({' '.join(sorted(o for o in op.options if o in ('--system', '--break-system-packages')))}); "
                           "split would need it to install into a virtualenv", item.span)
        elif launcher.startswith("/") and not any(_under(launcher, v) for v in venvs):
            raise _Decline(f"pip is called by absolute path {launcher} at {item.span}, which a virtualenv on PATH "
                           "does not redirect", item.span)
        elif any(_under(launcher, v) for v in venvs) or _venv_on_path(item, venvs):
            modes["venv"].append((item, op))
        else:
            modes["system"].append((item, op))

    if modes["system"] and (modes["user"] or venvs):
        raise _Decline("the stage mixes system-wide pip installs with --user or virtualenv installs; split moves "
                       "one install location")
    artifacts: list[Artifact] = []
    summary: list[str] = []
    runtime_env: list[KeyValue] = []
    if modes["system"]:
        for item, op in modes["system"]:
            if _user_name(item.user) not in _ROOT_USERS:
                raise _Decline(f"pip at {item.span} runs as USER {item.user}: it falls back to a --user install "
                               "when site-packages is not writable, and a virtualenv made by root would not be",
                               item.span)
        for item in facts.items:
            if plan_place_is_runtime(item) and re.search(r"/usr/local/lib/python|site-packages|"
                                                         r"/usr/local/bin/(?!python|pip)\w", _text(item.ins)):
                raise _Decline(f"{item.kind} at {item.span} names a path of the system interpreter's packages; "
                               "in the runtime they live in the virtualenv", item.span)
        venv = str(ctx.option("venv", eco_data.ecosystem("python")["venv"]))
        if not venv.startswith("/"):
            from dopt.errors import UsageError

            raise UsageError(f"split<venv={venv}>: the virtualenv path must be absolute")
        for item in facts.items:
            if venv in _text(item.ins):
                raise _Decline(f"{venv} is already used at {item.span}; choose another path with split<venv=...>",
                               item.span)
        interpreter = "python" if image_eco == "python" else "python3"
        if image_eco != "python":
            installed = {n for n, _, _ in _system_packages(facts)[0]}
            if not any(re.fullmatch(r"python3(\.\d+)?-venv|virtualenv|python3-virtualenv", n) for n in installed):
                raise _Decline(f"the image {facts.base} is not the python image family and the stage installs no "
                               "python3-venv: the builder cannot make a virtualenv whose interpreter the runtime "
                               "has at the same path (B62)")
        first = modes["system"][0][0]
        plan.builder_new.append((first.pos, [
            Run(keyword="RUN", command=ShellForm(f"{interpreter} -m venv {venv}")),
            Env(keyword="ENV", pairs=(KeyValue("PATH", f"{venv}/bin:$PATH"),)),
        ]))
        artifacts.append(Artifact(venv, venv, why="virtualenv"))
        runtime_env.append(KeyValue("PATH", f"{venv}/bin:$PATH"))
        summary.append(f"venv {venv}")
    for path, item in venvs.items():
        artifacts.append(Artifact(path, path, why="virtualenv"))
        summary.append(f"venv {path}")
    if modes["user"]:
        installers = {item.user for item, _ in modes["user"]}
        if len(installers) > 1:
            raise _Decline("pip --user installs run as several users; split copies one user's ~/.local")
        installer = installers.pop()
        src_home = _home_of(facts, installer)
        final = facts.final_user
        chown = None
        if final not in _ROOT_USERS and _user_name(final) != _user_name(installer):
            dest_home = _home_of(facts, final)
            chown = final
            summary.append(f"pip --user: {src_home}/.local -> {dest_home}/.local for USER {final} (B61)")
        else:
            dest_home = src_home
            chown = installer if installer not in _ROOT_USERS else None
            summary.append(f"pip --user: {src_home}/.local")
        if src_home is None or dest_home is None:
            raise _Decline("cannot tell the HOME of the user pip --user installs for")
        artifacts.append(Artifact(f"{src_home}/.local", f"{dest_home}/.local", chown=chown, why="pip --user"))
        runtime_env.append(KeyValue("PATH", f"{dest_home}/.local/bin:$PATH"))
        if chown:
            creator = _account_item(facts, chown)
            if creator is not None:
                plan.artifacts_after = max(plan.artifacts_after, creator.pos)
    for key in ("prefix", "target"):
        for item, op, path in modes[key]:
            if not any(a.src == path for a in artifacts):
                artifacts.append(Artifact(path, path, why=f"pip --{key}"))
                summary.append(f"pip --{key} {path}")
    for path in _outermost(local_dirs):
        artifacts.append(Artifact(path, path, why="built in place"))
    if not artifacts:
        raise _Decline("found no pip install to move to the builder")

    covered_dirs = [a.dest for a in artifacts if a.why == "built in place"]
    for item in facts.items:
        common = _place_common(item)
        if common is not None:
            plan.place[item.pos] = common
        elif isinstance(item.ins, CopyLike):
            dest = _copy_dest(item)
            if item.phase == "C":
                plan.place[item.pos] = "runtime"
            elif dest is not None and any(_under(dest, d) for d in covered_dirs):
                plan.place[item.pos] = "builder"
            else:
                plan.place[item.pos] = "both"
        elif item.role in ("build", "system"):
            plan.place[item.pos] = "builder"
        elif item.phase == "C":
            plan.place[item.pos] = "runtime"
        elif item.role == "harmless":
            plan.place[item.pos] = "builder"
        else:
            plan.place[item.pos] = "both"
    _drop_covered_copies(facts, plan)
    replayed = _check_replayed(facts, plan)
    plan.packages = _plan_packages(facts, plan, "python", can_install=True, replayed=replayed)
    plan.artifacts = artifacts
    plan.runtime_env = runtime_env
    plan.summary = "python: " + ", ".join(summary or [a.src for a in artifacts])
    return plan


def plan_place_is_runtime(item: Item) -> bool:
    """Instructions whose text the runtime will run or describe (anything but builds and installs)."""
    return item.kind in RUNTIME_ONLY or item.kind in ("ENV", "WORKDIR") or (
        item.kind == "RUN" and item.role not in ("build", "system"))


def _text(ins: Instruction) -> str:
    from dopt.printer import print_instruction

    return ins.source if ins.source is not None else print_instruction(ins)


def _command_kind(cmd, item: Item) -> str:
    """Rough kind of one command in a build RUN: install/system steps vs anything else."""
    argv = cmd.effective_argv
    if not argv:
        return "harmless"
    ops = [op for op in item.ops if op.command is cmd]
    if ops or _python_command(argv):
        return "install"
    name = posixpath.basename(argv[0])
    if name in ("cd", "export", "set", "rm") or eco_data.run_command_class(name) in ("harmless",):
        return "harmless"
    return "setup"


def _venv_on_path(item: Item, venvs: dict) -> bool:
    path = item.scope.get("PATH", "")
    return any(f"{v}/bin" in path.split(":") for v in venvs)


def _user_name(user: str) -> str:
    return user.split(":", 1)[0]


def _account_item(facts: Facts, user: str) -> Item | None:
    name = _user_name(user)
    for item in facts.runs():
        for cmd in item.script.commands:
            if cmd.argv0 in ("useradd", "adduser") and name in cmd.words[1:]:
                return item
    return None


def _home_of(facts: Facts, user: str) -> str | None:
    name = _user_name(user)
    if name in _ROOT_USERS:
        return "/root"
    item = _account_item(facts, user)
    if item is not None:
        for cmd in item.script.commands:
            if cmd.argv0 in ("useradd", "adduser") and name in cmd.words[1:]:
                words = list(cmd.words[1:])
                for flag in ("-d", "--home-dir", "--home"):
                    if flag in words and words.index(flag) + 1 < len(words):
                        return words[words.index(flag) + 1].rstrip("/")
                    for w in words:
                        if w.startswith(flag + "="):
                            return w.split("=", 1)[1].rstrip("/")
    if name.isdigit():
        return None
    return f"/home/{name}"


def _outermost(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in sorted({p.rstrip("/") or "/" for p in paths}, key=len):
        if not any(_under(p, q) for q in out):
            out.append(p)
    return out


def _looks_like_file(source: str, settings: dict) -> bool | None:
    context = settings.get("context_dir")
    if context:
        import os

        full = os.path.join(str(context), source)
        if os.path.isdir(full):
            return False
        if os.path.isfile(full):
            return True
    if source.endswith("/"):
        return False
    base = posixpath.basename(source)
    if re.fullmatch(r"[^.].*\.[A-Za-z0-9]+", base) or base in ("Makefile", "Dockerfile", "Gemfile", "Procfile"):
        return True
    return None


def _drop_covered_copies(facts: Facts, plan: Plan) -> None:
    """In the runtime, drop an early COPY whose files a later ``COPY . <dir>`` copies again unchanged."""
    items = facts.items
    for n, item in enumerate(items):
        ins = item.ins
        if plan.place.get(item.pos) != "both" or not isinstance(ins, Copy) or ins.from_stage or ins.heredocs:
            continue
        if any(f.name != "link" for f in ins.flags):
            continue
        dest = _copy_dest(item)
        if dest is None:
            continue
        for later in items[n + 1:]:
            where = plan.place.get(later.pos)
            if later.kind == "RUN" and where in ("runtime", "both"):
                break
            if not (isinstance(later.ins, Copy) and where in ("runtime", "both") and not later.ins.from_stage
                    and not later.ins.heredocs and tuple(s.rstrip("/") for s in later.ins.sources) in ((".",), ("./",))):
                continue
            later_dest = _copy_dest(later)
            if later_dest is None:
                continue
            if all(_source_covered(s, ins, dest, later_dest, facts.settings) for s in ins.sources):
                plan.place[item.pos] = "builder"
            break


def _source_covered(source: str, ins, dest: str, later_dest: str, settings: dict) -> bool:
    s = source[2:] if source.startswith("./") else source
    if not s or any(ch in s for ch in "*?[$") or s.startswith("/") or ".." in s.split("/"):
        return False
    is_file = _looks_like_file(s, settings)
    s = s.rstrip("/")
    into_dir = ins.dest.endswith("/") or ins.dest in (".", "./") or len(ins.sources) > 1
    base = later_dest.rstrip("/")
    if is_file is True:
        target = posixpath.join(dest.rstrip("/"), posixpath.basename(s)) if into_dir else dest.rstrip("/")
        return target == posixpath.join(base, s)
    if is_file is False:
        return dest.rstrip("/") == posixpath.join(base, s)
    return False


# --------------------------------------------------------------------------
# Node


def _plan_node(facts: Facts, df: Dockerfile, resolved, ctx) -> Plan:
    from dopt.packages import package_name

    plan = Plan("node", "", _runtime_from(facts, None))
    app_dir = None
    tool = None
    production = True
    globals_: list[tuple[Item, object]] = []
    for item in facts.builds("node"):
        for op in item.ops:
            if op.manager not in ("npm", "yarn", "pnpm") or _op_ecosystem(op) != "node":
                continue
            if op.global_install:
                globals_.append((item, op))
                continue
            cwd = _cwd_at(item, op.command)
            if op.prefix:
                cwd = _resolve(op.prefix, item.scope, cwd)
            if cwd is None:
                raise _Decline(f"cannot tell the folder {op.tool} runs in at {item.span}", item.span)
            if app_dir is None and op.action in ("install", "ci"):
                app_dir, tool = cwd, op.manager
            if op.action in ("install", "ci") and not op.production and not op.packages:
                production = False
            if op.action in ("install", "ci") and op.packages and not op.production:
                production = False
    if app_dir is None:
        raise _Decline("found no npm/yarn/pnpm install of the app's dependencies")
    for item in facts.builds("node"):
        for op in item.ops:
            if op.manager in ("npm", "yarn", "pnpm") and not op.global_install and _op_ecosystem(op) == "node":
                cwd = _cwd_at(item, op.command)
                if cwd is not None and not _under(cwd, app_dir):
                    raise _Decline(f"{op.tool} runs in {cwd} at {item.span}, outside the app folder {app_dir}; "
                                   "split copies one folder", item.span)
    if app_dir == "/":
        raise _Decline("the app is installed in / ; split would copy the whole filesystem (set a WORKDIR)")
    _place_compiled(facts, plan, [app_dir], shell=True, keep_dirs=[app_dir])
    used = _runtime_commands(facts, plan)
    for item, op in globals_:
        names = {package_name("npm", p).rsplit("/", 1)[-1] for p in op.packages}
        if names and names <= used and all(o.manager in ("npm", "yarn", "pnpm") for o in item.ops):
            plan.place[item.pos] = "both"
            plan.notes.append(f"global install at {item.span} repeated in the runtime (it runs {', '.join(sorted(names))})")
        elif names:
            plan.notes.append(f"global install at {item.span} ({', '.join(sorted(names))}) stays in the builder")
    runners = used & {"npm", "npx", "yarn", "pnpm", "pnpx"}
    if not production and runners:
        production = True
        plan.notes.append(f"dev dependencies kept: the runtime runs {', '.join(sorted(runners))}, whose scripts "
                          "may need them")
    if not production:
        prune = eco_data.node_prune_command(tool, facts.base.tag if eco_data.ecosystem_of_image(facts.base.name) == "node" else None)
        if facts.final_workdir != app_dir:
            prune = f"cd {app_dir} && {prune}"
        plan.builder_tail.append(Run(keyword="RUN", command=ShellForm(prune)))
    replayed = _check_replayed(facts, plan)
    plan.packages = _plan_packages(facts, plan, "node", can_install=True, replayed=replayed)
    plan.artifacts = [Artifact(app_dir, app_dir, why="app folder")]
    plan.summary = f"node: {app_dir}" + (", dev dependencies pruned" if plan.builder_tail else "")
    return plan


# --------------------------------------------------------------------------
# Java


def _plan_java(facts: Facts, df: Dockerfile, resolved, ctx) -> Plan:
    plan = Plan("java", "", _runtime_from(facts, None))
    roots: list[str] = []
    outputs: list[str] = []
    for item in facts.builds("java"):
        for op in item.ops:
            if op.manager not in ("maven", "gradle", "java"):
                continue
            cwd = _cwd_at(item, op.command)
            if cwd is None:
                raise _Decline(f"cannot tell the folder the build runs in at {item.span}", item.span)
            project = cwd
            if op.requirement_files:
                spec = _resolve(op.requirement_files[-1], item.scope, cwd)
                if spec:
                    project = posixpath.dirname(spec.rstrip("/")) if spec.endswith((".xml", ".gradle", ".kts")) else spec
            roots.append(project)
            if op.manager == "java" and op.tool == "jar" and op.output:
                out = _resolve(op.output, item.scope, cwd)
                if out:
                    outputs.append(out)
            elif op.manager in ("maven", "gradle") and op.action == "build":
                outputs.append(posixpath.join(project, eco_data.java_output_glob(op.manager)))
    argv, _ = _entry_argv(facts)
    wanted: list[str] = []
    for n, word in enumerate(argv):
        if word == "-jar" and n + 1 < len(argv):
            wanted.append(argv[n + 1])
        elif word in ("-cp", "-classpath", "--class-path") and n + 1 < len(argv):
            wanted.extend(p for p in argv[n + 1].split(":") if p)
    artifacts: list[Artifact] = []
    for word in wanted:
        path = _resolve(word, {}, facts.final_workdir)
        if path is None or "$" in word:
            continue
        artifacts.append(_path_artifact(path, "run by ENTRYPOINT/CMD"))
    if not artifacts:
        artifacts = [_path_artifact(p, "build output") for p in dict.fromkeys(outputs)]
    if not artifacts:
        raise _Decline("cannot tell which jar the image runs: ENTRYPOINT/CMD has no `java -jar <file>` or "
                       "`-cp <path>` and the build writes no known jar (jar --file, maven, gradle)")
    roots = _outermost(roots)
    _place_compiled(facts, plan, roots, shell=True)
    replayed = _check_replayed(facts, plan)
    plan.packages = _plan_packages(facts, plan, "java", can_install=True, replayed=replayed)
    plan.artifacts = artifacts
    _cmd_paths(facts, roots, artifacts, plan)
    plan.summary = "java: " + ", ".join(a.src for a in artifacts)
    return plan


def _path_artifact(path: str, why: str) -> Artifact:
    if any(ch in path for ch in "*?["):
        return Artifact(path, posixpath.dirname(path) + "/", why=why)
    return Artifact(path.rstrip("/"), path.rstrip("/"), why=why)


# --------------------------------------------------------------------------
# Go and Rust


def _binary_names(facts: Facts, manifest: str) -> list[str]:
    """Names of the binaries: from the context's Cargo.toml / go.mod, else ENTRYPOINT/CMD's program."""
    context = facts.settings.get("context_dir")
    if context:
        import os

        path = os.path.join(str(context), manifest)
        if os.path.isfile(path):
            text = open(path, encoding="utf-8", errors="replace").read()
            if manifest == "Cargo.toml":
                import tomllib

                try:
                    data = tomllib.loads(text)
                except tomllib.TOMLDecodeError:
                    data = {}
                bins = [b.get("name") for b in data.get("bin", ()) if b.get("name")]
                if bins:
                    return bins
                if data.get("package", {}).get("name"):
                    return [data["package"]["name"]]
            else:
                m = re.search(r"^module\s+(\S+)", text, re.M)
                if m:
                    return [m.group(1).rstrip("/").rsplit("/", 1)[-1]]
    argv, _ = _entry_argv(facts)
    if argv and "$" not in argv[0]:
        return [posixpath.basename(argv[0])]
    return []


def _codename(facts: Facts) -> str | None:
    return eco_data.codename_of(facts.base.name, facts.base.tag)


def _plan_compiled_runtime(facts: Facts, plan: Plan, ecosystem: str, static: bool, ctx) -> tuple[str, bool]:
    """Pick the Go/Rust runtime image: (image, has a shell and a package manager)."""
    table = eco_data.ecosystem(ecosystem)
    distroless = ctx.option("distroless", None)
    if isinstance(distroless, str):
        distroless = distroless.lower() in ("1", "true", "yes", "on")
    codename = _codename(facts)
    alpine = eco_data.is_alpine(facts.base.tag)
    if static:
        if distroless is None or distroless:
            return table["static_runtime"], False
        return table["static_runtime_no_distroless"], False
    if alpine:
        raise _Decline(f"{facts.base} is Alpine (musl) and the build links libc dynamically; split would need an "
                       "alpine runtime of the same release (pin it by hand) or CGO_ENABLED=0")
    if codename is None:
        raise _Decline(f"cannot tell the Debian release of {facts.base}: the dynamically linked program needs a "
                       "runtime of the same release (B65); use a tag with a codename such as -bookworm")
    if distroless:
        version = eco_data.distroless_version(codename)
        key = "cgo_distroless" if ecosystem == "go" else "distroless_runtime"
        if version is None:
            plan.notes.append(f"distroless has no {codename} image; using {eco_data.debian_slim(codename)}")
        else:
            return table[key].format(version=version), False
    return eco_data.debian_slim(codename), True


def _plan_go(facts: Facts, df: Dockerfile, resolved, ctx) -> Plan:
    artifacts: list[Artifact] = []
    roots: list[str] = []
    env: list[KeyValue] = []
    static = True
    for item in facts.builds("go"):
        for op in item.ops:
            if op.manager != "go" or op.action not in ("build", "install"):
                if op.manager == "go":
                    cwd = _cwd_at(item, op.command)
                    if cwd:
                        roots.append(cwd)
                continue
            cwd = _cwd_at(item, op.command)
            if cwd is None:
                raise _Decline(f"cannot tell the folder go {op.action} runs in at {item.span}", item.span)
            roots.append(cwd)
            cgo = op.cgo_enabled
            if cgo is None:
                cgo = item.scope.get("CGO_ENABLED")
            if (cgo or "").strip("'\"") != "0":
                static = False
            if op.action == "install":
                gobin = item.scope.get("GOBIN") or posixpath.join(item.scope.get("GOPATH") or
                                                                  eco_data.ecosystem("go")["gopath"], "bin")
                if not any(a.src == gobin for a in artifacts):
                    artifacts.append(Artifact(gobin, gobin, why="go install"))
                    env.append(KeyValue("PATH", f"{gobin}:$PATH"))
                continue
            if op.output:
                out = _resolve(op.output, item.scope, cwd)
                if out is None:
                    raise _Decline(f"cannot resolve go build -o {op.output} at {item.span}", item.span)
            else:
                names = _binary_names(facts, "go.mod")
                argv, _ = _entry_argv(facts)
                if argv and "/" in argv[0] and "$" not in argv[0]:
                    out = _resolve(argv[0], {}, facts.final_workdir)
                elif names:
                    out = posixpath.join(cwd, names[0])
                else:
                    raise _Decline(f"go build at {item.span} has no -o and the binary's name is unknown; add -o",
                                   item.span)
            artifacts.append(_path_artifact(out, "go build"))
    if not artifacts:
        raise _Decline("found no go build or go install to take the binary from")
    plan = Plan("go", "", _runtime_from(facts, "scratch"))
    image, shell = _plan_compiled_runtime(facts, plan, "go", static, ctx)
    plan.runtime_from = _runtime_from(facts, image)
    roots = _outermost(roots)
    _place_compiled(facts, plan, roots, shell=shell)
    installed = {n for n, _, _ in _system_packages(facts)[0]}
    if not shell:
        try:
            probe = Plan("go", "", plan.runtime_from, place=dict(plan.place))
            needed = _plan_packages(facts, probe, "go", can_install=True)
        except _Decline:
            needed = ["?"]
        if needed:
            codename = _codename(facts)
            if codename is None or eco_data.is_alpine(facts.base.tag):
                raise _Decline(f"the runtime needs packages ({', '.join(needed)}) and {facts.base} has no Debian "
                               "release to match a debian slim runtime to")
            image, shell = eco_data.debian_slim(codename), True
            plan.runtime_from = _runtime_from(facts, image)
            plan.notes.append(f"runtime needs packages ({', '.join(needed)}): {image} instead of a distroless image")
            plan.place.clear()
            plan.warnings.clear()
            _place_compiled(facts, plan, roots, shell=True)
    replayed = _check_replayed(facts, plan) if shell else set()
    plan.packages = _plan_packages(facts, plan, "go", can_install=shell, replayed=replayed)
    files = _builder_files(facts, installed)
    plan.artifacts = files + _account_files(facts, plan, shell) + artifacts
    plan.runtime_env = env
    _cmd_paths(facts, roots, artifacts, plan)
    kind = "static" if static else "cgo"
    plan.summary = f"go ({kind}): {', '.join(a.src for a in artifacts)} on {image}"
    return plan


def _builder_files(facts: Facts, installed: set[str]) -> list[Artifact]:
    """CA roots and zoneinfo from the builder (B67): present in Debian builders, in Alpine when installed."""
    alpine = eco_data.is_alpine(facts.base.tag)
    out = []
    for path in eco_data.runtime_files():
        if alpine and path.startswith("/usr/share/zoneinfo") and "tzdata" not in installed:
            continue
        out.append(Artifact(path, path, why="B67"))
    return out


def _account_files(facts: Facts, plan: Plan, shell: bool) -> list[Artifact]:
    """Without a shell in the runtime, users the stage creates come with the builder's passwd and group."""
    if shell:
        return []
    creates = any(i.account for i in facts.runs())
    names = {_user_name(i.ins.user) for i in facts.items if isinstance(i.ins, User)}
    named = {n for n in names if n not in _ROOT_USERS and not n.isdigit() and "$" not in n}
    scratch = plan.runtime_from.image.name == "scratch"
    if named and (creates or scratch):
        return [Artifact("/etc/passwd", "/etc/passwd", why="users"), Artifact("/etc/group", "/etc/group", why="users")]
    return []


def _plan_rust(facts: Facts, df: Dockerfile, resolved, ctx) -> Plan:
    artifacts: list[Artifact] = []
    roots: list[str] = []
    env: list[KeyValue] = []
    static = True
    names = _binary_names(facts, "Cargo.toml")
    for item in facts.builds("rust"):
        for op in item.ops:
            if op.manager != "cargo":
                continue
            cwd = _cwd_at(item, op.command)
            if cwd is None:
                raise _Decline(f"cannot tell the folder cargo runs in at {item.span}", item.span)
            roots.append(cwd)
            if op.action not in ("build", "install"):
                continue
            if not (op.target and "musl" in op.target):
                static = False
            if not names:
                raise _Decline(f"cargo {op.action} at {item.span}: the binary's name is unknown (no Cargo.toml in "
                               "the context and no program in ENTRYPOINT/CMD)", item.span)
            if op.action == "install":
                root = op.prefix or item.scope.get("CARGO_INSTALL_ROOT") or item.scope.get("CARGO_HOME") or \
                    eco_data.ecosystem("rust")["cargo_home"]
                bindir = posixpath.join(_resolve(root, item.scope, cwd) or root, "bin")
                for name in names:
                    artifacts.append(Artifact(f"{bindir}/{name}", f"{bindir}/{name}", why="cargo install"))
                if bindir not in ("/usr/local/bin", "/usr/bin", "/bin"):
                    env.append(KeyValue("PATH", f"{bindir}:$PATH"))
                continue
            target_dir = next((o.split("=", 1)[1] for o in op.options if o.startswith("--target-dir=")), None) \
                or op.env_value("CARGO_TARGET_DIR") or item.scope.get("CARGO_TARGET_DIR") or "target"
            base = _resolve(target_dir, item.scope, cwd)
            if base is None:
                raise _Decline(f"cannot resolve cargo's target folder at {item.span}", item.span)
            profile = next((o.split("=", 1)[1] for o in op.options if o.startswith("--profile=")), None) or \
                ("release" if op.production else "debug")
            folder = posixpath.join(base, op.target, profile) if op.target else posixpath.join(base, profile)
            for name in names:
                artifacts.append(Artifact(f"{folder}/{name}", f"{folder}/{name}", why="cargo build"))
    if not artifacts:
        raise _Decline("found no cargo build or cargo install to take the binary from")
    argv, _ = _entry_argv(facts)
    plan = Plan("rust", "", _runtime_from(facts, "scratch"))
    image, shell = _plan_compiled_runtime(facts, plan, "rust", static, ctx)
    plan.runtime_from = _runtime_from(facts, image)
    roots = _outermost(roots)
    _place_compiled(facts, plan, roots, shell=shell)
    installed = {n for n, _, _ in _system_packages(facts)[0]}
    replayed = _check_replayed(facts, plan) if shell else set()
    extra = eco_data.rust_runtime_packages(_codename(facts) or "") if shell else []
    plan.packages = _plan_packages(facts, plan, "rust", can_install=shell, replayed=replayed, extra=extra)
    plan.artifacts = (_builder_files(facts, installed) if not shell else []) + _account_files(facts, plan, shell) + artifacts
    plan.runtime_env = env
    _cmd_paths(facts, roots, artifacts, plan)
    plan.summary = f"rust: {', '.join(a.src for a in artifacts)} on {image}"
    return plan


PLANNERS = {"python": _plan_python, "node": _plan_node, "java": _plan_java, "go": _plan_go, "rust": _plan_rust}


# --------------------------------------------------------------------------
# Building the two stages


_HOIST_OVER = frozenset({"WORKDIR", "COPY", "ADD"})


def _hoist(entries: list, at: int, floor: int, blocked) -> int:
    """Move an insertion point up over WORKDIR/COPY/ADD entries (better layer caching), not above ``floor``."""
    while at > floor and at > 0:
        pos, prev = entries[at - 1][0], entries[at - 1][1]
        if prev.KIND not in _HOIST_OVER or blocked(pos, prev):
            break
        at -= 1
    return at


def _assemble(df: Dockerfile, facts: Facts, plan: Plan, name: str) -> Dockerfile:
    from dopt.printer import print_instruction
    from dopt.variables import references

    builder: list[tuple[int, Instruction]] = []
    runtime: list[tuple[int, Instruction, bool]] = []   # (item pos, instruction, ARG candidate)
    new_before = dict(plan.builder_new)
    for item in facts.items:
        where = plan.place.get(item.pos, "builder")
        if item.pos in new_before:
            at = _hoist(builder, len(builder), 0, lambda pos, ins: pos < 0)
            builder[at:at] = [(-1, ins) for ins in new_before[item.pos]]
        if where in ("builder", "both"):
            builder.append((item.pos, item.ins))
        if where == "runtime":
            runtime.append((item.pos, item.ins, False))
        elif where == "both":
            runtime.append((item.pos, item.ins.edit(leading=""), False))
        if item.kind == "ARG":
            runtime.append((item.pos, item.ins.edit(leading=""), True))
    builder.extend((-1, ins) for ins in plan.builder_tail)
    # ENV/USER/WORKDIR/ARG after the builder's last step change nothing anyone copies
    while (len(builder) > 1 and builder[-1][1].KIND in ("ENV", "USER", "WORKDIR", "ARG", "SHELL")
           and not builder[-1][1].leading.strip()):
        builder.pop()

    # artifacts: where the first build step was, moved above WORKDIR/COPY that do not touch them
    copies: list[Instruction] = []
    for a in plan.artifacts:
        flags = [Flag("from", name)]
        if a.chown:
            flags.append(Flag("chown", a.chown))
        copies.append(Copy(keyword="COPY", flags=tuple(flags), sources=(a.src,), dest=a.dest))
    if plan.runtime_env:
        copies.append(Env(keyword="ENV", pairs=tuple(plan.runtime_env)))
    first = facts.first_build if facts.first_build is not None else len(facts.items)
    at = next((n for n, e in enumerate(runtime) if e[0] >= first), len(runtime))
    floor = next((n + 1 for n, e in reversed(list(enumerate(runtime))) if 0 <= e[0] <= plan.artifacts_after), 0)
    if floor > at:
        at = floor
    dests = [a.dest.rstrip("/") for a in plan.artifacts]

    def overlaps(pos: int, ins: Instruction) -> bool:
        if pos < 0:
            return True
        if not isinstance(ins, CopyLike):
            return False
        target = _copy_dest(facts.items[pos])
        return target is None or any(_under(d, target) or _under(target, d) for d in dests)

    at = _hoist([(e[0], e[1]) for e in runtime], at, floor, overlaps)
    block = [(-1, c, False) for c in copies]
    packages_run = None
    if plan.packages:
        packages_run = Run(keyword="RUN", command=ShellForm(_install_text(plan.package_manager or "apt", plan.packages)))
    runtime[at:at] = block
    if packages_run is not None:
        system_positions = [i.pos for i in facts.runs() if i.role == "system"]
        if system_positions:
            first_sys = system_positions[0]
            p = next((n for n, e in enumerate(runtime) if e[0] >= first_sys or e[0] == -1), len(runtime))
        else:
            p = at
        runtime.insert(p, (-1, packages_run, False))

    # ARGs: kept where something after them in the runtime refers to them (B22)
    referenced: set[str] = set()
    kept: list[Instruction] = []
    for pos, ins, candidate in reversed(runtime):
        if candidate:
            names = {d.name for d in ins.decls}
            if names & referenced:
                kept.append(ins)
                for d in ins.decls:
                    referenced |= references(d.raw or d.default or "")
            continue
        text = ins.source if ins.source is not None else print_instruction(ins, escape=df.escape)
        referenced |= references(text)
        kept.append(ins)
    kept.reverse()

    builder_from = facts.stage.from_.edit(stage_name=name, as_keyword="AS")
    builder_stage = Stage(builder_from, tuple(ins for _, ins in builder))
    runtime_stage = Stage(plan.runtime_from, tuple(kept))
    return _insert_stage(df, facts.index, builder_stage, runtime_stage)


def _insert_stage(df: Dockerfile, index: int, builder: Stage, runtime: Stage) -> Dockerfile:
    """Replace stage ``index`` by builder + runtime; numeric ``--from`` of later stages past it shift by one (B49)."""
    stages = list(df.stages)
    later = []
    for stage in stages[index + 1:]:
        later.append(_renumber(stage, index))
    new = stages[:index] + [builder, runtime] + later
    return df.edit(stages=tuple(new))


def _renumber(stage: Stage, index: int) -> Stage:
    out = []
    changed = False
    for ins in stage.instructions:
        new = ins
        if isinstance(ins, CopyLike) and ins.from_stage and ins.from_stage.isdigit() and int(ins.from_stage) >= index:
            flags = tuple(Flag("from", str(int(f.value) + 1)) if f.name == "from" else f for f in ins.flags)
            new = ins.edit(flags=flags)
        elif isinstance(ins, Run) and any(f.name == "mount" for f in ins.flags):
            flags = []
            for f in ins.flags:
                if f.name == "mount" and f.value:
                    value = re.sub(r"(?<![\w-])(from=)(\d+)(?=,|$)",
                                   lambda m: m.group(1) + (str(int(m.group(2)) + 1) if int(m.group(2)) >= index
                                                           else m.group(2)), f.value)
                    f = Flag("mount", value) if value != f.value else f
                flags.append(f)
            if tuple(flags) != ins.flags:
                new = ins.edit(flags=tuple(flags))
        changed |= new is not ins
        out.append(new)
    return stage.edit(instructions=tuple(out)) if changed else stage


# --------------------------------------------------------------------------
# Multi-stage files that are not split: notes and warnings


def _note_unreachable(df: Dockerfile, resolved, index: int, ctx) -> None:
    reach = {index}
    pending = [index]
    names = {(s.name or "").lower(): i for i, s in enumerate(df.stages) if s.name}
    while pending:
        i = pending.pop()
        deps = []
        if resolved[i].parent_index is not None:
            deps.append(resolved[i].parent_index)
        deps.extend(src for _, src in resolved[i].copy_sources if isinstance(src, int))
        for ins in df.stages[i].instructions:
            if isinstance(ins, Run):
                for m in ins.mounts:
                    ref = m.get("from")
                    if ref and ref.isdigit():
                        deps.append(int(ref))
                    elif ref and ref.lower() in names:
                        deps.append(names[ref.lower()])
        for d in deps:
            if d not in reach:
                reach.add(d)
                pending.append(d)
    for i, stage in enumerate(df.stages):
        if i not in reach:
            label = f"stage {i}" + (f" ({stage.name})" if stage.name else "")
            ctx.note(f"{label} is not reachable from the stage that is built (BuildKit skips it)", stage.from_.span)


def _lint_multistage(df: Dockerfile, resolved, index: int, ctx) -> None:
    """Warn about known faults of hand-written splits (B61, B62, B65, B67) without changing anything."""
    from dopt.packages import package_ops
    from dopt.shell import parse_script

    final = df.stages[index]
    user = ""
    for ins in final.instructions:
        if isinstance(ins, User):
            user = ins.user
    final_image = resolved[index].image
    final_repo = eco_data.repository_name(final_image.name)
    copies = [(final.instructions[pos], src) for pos, src in resolved[index].copy_sources if isinstance(src, int)]
    has_zoneinfo = any(any("zoneinfo" in s for s in ins.sources) for ins, _ in copies)

    def stage_commands(i: int) -> list:
        out = []
        for ins in df.stages[i].instructions:
            text = run_text(ins) if isinstance(ins, Run) else None
            if text:
                script = parse_script(text)
                out.append((script, package_ops(script)))
        return out

    final_env = {kv.key for ins in final.instructions if isinstance(ins, Env) for kv in ins.pairs}

    def source_packages(i: int) -> set[str]:
        from dopt.packages import package_name

        return {package_name(op.manager, p) for _, ops in stage_commands(i) for op in ops
                if op.manager in SYSTEM_MANAGERS and op.action == "install" for p in op.packages}

    for ins, src in copies:
        root = src
        while resolved[root].parent_index is not None:
            root = resolved[root].parent_index
        src_image = resolved[root].image
        sources = [s.rstrip("/") for s in ins.sources]
        # B61: ~/.local of root copied into a stage that runs as another user
        if any(re.fullmatch(r"/root/\.local(/.*)?", s) for s in sources) and _user_name(user) not in _ROOT_USERS:
            ctx.warn(f"{ins.span}: /root/.local is copied but the image runs as USER {user}, who cannot read /root "
                     f"and has another HOME (B61): copy it to /home/{_user_name(user)}/.local with --chown and put "
                     "its bin on PATH, or install into a virtualenv", ins.span)
        # B62: a virtualenv made by another interpreter
        venvs = set()
        for script, _ in stage_commands(src):
            for c in script.commands:
                if _python_command(c.effective_argv) == "venv":
                    args = [w for w in c.effective_argv[1:] if not w.startswith("-") and w not in ("venv", "virtualenv")]
                    if args:
                        venvs.add(args[-1].rstrip("/"))
        if venvs & set(sources) and _python_family(src_image) != _python_family(final_image):
            ctx.warn(f"{ins.span}: the virtualenv comes from {src_image}, whose python is not the one "
                     f"{final_image} has at the same path (B62); build it on the {final_repo} image family "
                     "of the same version", ins.span)
        # B65: compiled in one Debian release, run on another
        src_codename = eco_data.codename_of(src_image.name, src_image.tag)
        final_codename = eco_data.codename_of(final_image.name, final_image.tag)
        compiles = any(op.manager in ("cargo", "go", "native") and op.action in ("build", "install")
                       for _, ops in stage_commands(src) for op in ops)
        if compiles and src_codename and final_codename and src_codename != final_codename:
            ctx.warn(f"{ins.span}: built on Debian {src_codename} ({src_image}) but run on {final_codename} "
                     f"({final_image}); shared libraries such as libssl differ (B65): use "
                     f"{eco_data.debian_slim(src_codename)}", ins.span)
        # B67: a Go binary on an image without time-zone data
        go_build = any(op.manager == "go" and op.action in ("build", "install")
                       for _, ops in stage_commands(src) for op in ops)
        minimal = final_repo == "scratch" or final_repo.startswith("alpine")
        wants_zones = final_repo == "scratch" or "TZ" in final_env or "tzdata" in source_packages(src)
        if go_build and minimal and wants_zones and not has_zoneinfo and "tzdata" not in source_packages(index):
            ctx.warn(f"{ins.span}: {final_image} has no /usr/share/zoneinfo (and scratch no CA roots): named time "
                     "zones fail to load (B67); COPY --from the builder /usr/share/zoneinfo and "
                     "/etc/ssl/certs/ca-certificates.crt", ins.span)
            has_zoneinfo = True


def _python_family(image) -> tuple[str, str] | None:
    if eco_data.repository_name(image.name) not in ("python", "pypy"):
        return (eco_data.repository_name(image.name), "")
    m = re.match(r"(\d+\.\d+)", image.tag or "")
    return ("python", m.group(1) if m else "")
