"""crossbuild: run builder stages that cross-compile on the build platform instead of under emulation.

A multi-platform build (``--platform linux/amd64,linux/arm64``) runs every stage on each target
platform, so on an amd64 machine the arm64 builder runs its compiler under qemu, often ten times
slower. A builder whose toolchain cross-compiles can instead run natively with
``FROM --platform=$BUILDPLATFORM`` and produce the target's files:

* **go** -- ``go build`` with ``CGO_ENABLED=0`` (command prefix or ``ENV``): the pass adds
  ``ARG TARGETOS TARGETARCH`` before the first such RUN of the stage and prefixes each
  ``go build`` with ``GOOS=$TARGETOS GOARCH=$TARGETARCH`` (only ``go build``: ``go vet`` and
  ``go test`` keep running natively);
* **rust** -- ``cargo build --target <triple>`` whose triple comes from ``$TARGETARCH`` /
  ``$TARGETPLATFORM`` (the Dockerfile already maps the platform to a target);
* **java** -- maven, gradle, ``javac`` and ``jar`` make JVM bytecode, the same on every platform;
* **node** -- npm/yarn/pnpm builds whose copied output holds no native module (only a build
  folder such as ``dist`` is copied, or ``package-lock.json`` in the context lists no package
  with install scripts, ``gypfile`` or ``cpu``/``os`` limits).

Only *builders* are touched: stages (with the stages built ``FROM`` them) whose files a later
stage copies (``COPY --from``, ``RUN --mount=from=``) and that are not part of the image the build
produces. The builder stays on the target platform, with the reason as a decline, when what it
makes is native to the machine it runs on: pip installs (wheels and C extensions are per
architecture), node modules with native addons, cgo, ``make``/``gcc``, a RUN that runs the program
it built, asks the machine's architecture (``uname -m``, ``dpkg --print-architecture``), pins
``GOARCH``, downloads files, or when a later stage copies anything but the cross-compiled output
and architecture-independent data (zoneinfo, CA roots, ``/etc/passwd``). A FROM that already has
``--platform`` is left as written (B35).

Example::

    >>> from dopt import parse_text
    >>> from dopt.pipeline import run_pipeline
    >>> text = ("FROM golang:1.22 AS build\\nWORKDIR /src\\nCOPY . .\\n"
    ...         "RUN CGO_ENABLED=0 go build -o /app .\\n"
    ...         "FROM gcr.io/distroless/static-debian12\\nCOPY --from=build /app /app\\n")
    >>> print(run_pipeline(parse_text(text), "crossbuild").text, end="")
    FROM --platform=$BUILDPLATFORM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    ARG TARGETOS TARGETARCH
    RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .
    FROM gcr.io/distroless/static-debian12
    COPY --from=build /app /app
"""

from __future__ import annotations

import json
import os
import posixpath
import re

from attrs import define, field

from dopt.ir import Arg, ArgDecl, Dockerfile, Env, Flag, Run, Workdir

NAME = "crossbuild"
DESCRIPTION = "run builder stages that cross-compile (Go, Rust --target, JVM, pure JS) on $BUILDPLATFORM"
OPTIONS = {}
PRESERVES = ()

PLATFORM_ARGS = ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT")
# Files a builder may hand to a runtime of another architecture: they are data, not code.
DATA_PATHS = ("/usr/share/zoneinfo", "/etc/ssl/certs", "/usr/share/ca-certificates", "/etc/passwd",
              "/etc/group", "/etc/nsswitch.conf", "/etc/mime.types")
# Commands that change files but make nothing architecture-specific.
_NEUTRAL = frozenset({
    "mkdir", "cp", "mv", "ln", "rm", "chmod", "chown", "chgrp", "touch", "echo", "printf", "cat", "ls",
    "cd", "export", "set", "true", ":", "false", "test", "[", "pwd", "env", "printenv", "which", "id",
    "whoami", "sleep", "date", "sed", "find", "git", "tee", "grep", "head", "tail", "sort", "wc",
    "useradd", "adduser", "groupadd", "addgroup", "usermod", "update-ca-certificates", "install",
    "unset", "umask", "nproc", "du", "df",
})
# Commands whose answer is the machine's architecture: on $BUILDPLATFORM they would name the wrong one.
_ARCH_PROBES = frozenset({"uname", "arch", "dpkg-architecture", "lscpu"})
_NATIVE_JAVA = frozenset({"jlink", "jpackage", "native-image"})
_WHY = {
    "go": "go build cross-compiles for $TARGETOS/$TARGETARCH",
    "rust": "cargo builds for the target's triple",
    "java": "the JVM build makes bytecode, the same on every platform",
    "node": "the JavaScript it makes is the same on every platform",
}
# Cross-compiling wrappers (tonistiigi/xx): they read $TARGETPLATFORM themselves.
_XX = {"xx-cargo": "rust", "xx-go": "go"}
_XX_NEUTRAL = frozenset({"xx-apt-get", "xx-apt", "xx-apk", "xx-info", "xx-verify", "xx-clang", "xx-c++", "xx-cc",
                         "xx-windres", "xx-ld-shas"})
_SYSTEM = frozenset({"apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})


class _Keep(Exception):
    """The builder stays on the target platform, for ``message``."""

    def __init__(self, message: str, span=None):
        super().__init__(message)
        self.message = message
        self.span = span


@define
class _Item:
    stage: int
    pos: int
    ins: Run
    script: object
    ops: tuple
    scope: dict
    workdir: str | None
    declared: frozenset = frozenset()     # names the stage's ARGs declare before this RUN
    raw: dict = field(factory=dict)       # ARG/ENV name -> its value as written (variables unexpanded)


@define
class _Plan:
    ecosystems: list = field(factory=list)
    outputs: list = field(factory=list)          # paths the cross-compiled build writes
    go_builds: list = field(factory=list)        # (item, command, missing prefix words)
    args: dict = field(factory=dict)             # stage index -> (pos, names) ARG to add before pos
    node_dirs: list = field(factory=list)        # folders npm/yarn/pnpm install into or build in


def run(df: Dockerfile, ctx) -> Dockerfile:
    if len(df.stages) < 2:
        return df
    from dopt.variables import resolve_stages

    resolved = resolve_stages(df, ctx.settings.get("build_args") or {})
    runtime = _runtime_chain(df, resolved, ctx)
    families = _families(resolved)
    out = df
    native = {i for i, st in enumerate(df.stages) if "BUILDPLATFORM" in (st.platform or "")}
    for root, members in families.items():
        if members & runtime:
            continue
        copies = _consumers(df, resolved, members)
        if not copies:
            continue
        stage = df.stages[root]
        label = f"stage {root}" + (f" ({stage.name})" if stage.name else "")
        span = stage.from_.span
        if stage.platform is not None:
            ctx.note(f"{label} already has --platform={stage.platform}; left as written", span)
            continue
        if any(ctx.is_skipped(i) for m in members for i in df.stages[m].all()):
            ctx.note(f"{label}: protected by '# dopt: skip=crossbuild'", span)
            continue
        try:
            _check_inputs(df, resolved, members, native)
            plan = _plan(df, resolved, sorted(members), copies, ctx)
        except _Keep as k:
            ctx.decline(f"keeping {label} on the target platform: {k.message}", k.span or span)
            continue
        out = _apply(out, root, plan)
        native |= members
        what = "; ".join(_WHY[e] for e in plan.ecosystems)
        extra = "; go build gets GOOS=$TARGETOS GOARCH=$TARGETARCH" if any(m for _, _, m in plan.go_builds) else ""
        ctx.changed(f"{label} runs on the build platform (FROM --platform=$BUILDPLATFORM): {what}, so a "
                    f"multi-platform build runs it natively instead of under emulation{extra}", span)
    return out


# --------------------------------------------------------------------------
# Which stages are builders


def _runtime_chain(df, resolved, ctx) -> set[int]:
    target = ctx.settings.get("target")
    final = len(df.stages) - 1
    if target:
        final = next((i for i, s in enumerate(df.stages) if (s.name or "").lower() == str(target).lower()), final)
    chain = {final}
    at = final
    while resolved[at].parent_index is not None:
        at = resolved[at].parent_index
        chain.add(at)
    return chain


def _families(resolved) -> dict[int, set[int]]:
    """root stage (external image) -> it and every stage built FROM it, directly or not."""
    out: dict[int, set[int]] = {}
    for r in resolved:
        root = r.index
        while resolved[root].parent_index is not None:
            root = resolved[root].parent_index
        out.setdefault(root, set()).add(r.index)
    return out


def _consumers(df, resolved, members: set[int]) -> list[tuple[str, object]]:
    """(source path in the builder, instruction) for every copy out of ``members`` by another stage."""
    names = {(s.name or "").lower(): i for i, s in enumerate(df.stages) if s.name}
    out = []
    for r in resolved:
        if r.index in members:
            continue
        stage = df.stages[r.index]
        for pos, src in r.copy_sources:
            if isinstance(src, int) and src in members:
                ins = stage.instructions[pos]
                out.extend(("/" + s.lstrip("/"), ins) for s in ins.sources)
        for ins in stage.instructions:
            if isinstance(ins, Run):
                for m in ins.mounts:
                    ref = m.get("from")
                    if ref is None:
                        continue
                    index = int(ref) if ref.isdigit() else names.get(ref.lower())
                    if index in members:
                        out.append(("/" + (m.get("source") or "").lstrip("/"), ins))
    return out


def _check_inputs(df, resolved, members: set[int], native: set[int]) -> None:
    """Files the builder takes from a stage that stays on the target platform may be programs it then runs
    (node_modules, a compiler): on the build platform they would not run."""
    names = {(s.name or "").lower(): i for i, s in enumerate(df.stages) if s.name}
    for index in sorted(members):
        stage = df.stages[index]
        sources = [(stage.instructions[pos], src) for pos, src in resolved[index].copy_sources
                   if isinstance(src, int)]
        for ins in stage.instructions:
            if isinstance(ins, Run):
                for m in ins.mounts:
                    ref = m.get("from")
                    src = (int(ref) if ref.isdigit() else names.get(ref.lower())) if ref else None
                    if src is not None:
                        sources.append((ins, src))
        for ins, src in sources:
            if src not in members and src not in native:
                other = df.stages[src]
                label = f"stage {src}" + (f" ({other.name})" if other.name else "")
                raise _Keep(f"{ins.KIND} at {ins.span} takes files from {label}, which runs on the target platform; "
                            "programs among them would not run on the build platform", ins.span)


# --------------------------------------------------------------------------
# Reading the builder


def _resolve(path: str, scope: dict, cwd: str | None) -> str | None:
    from dopt.variables import WordError, expand, references

    if "$" in path:
        if not references(path) <= set(scope):
            return None
        try:
            path = expand(path, scope)
        except WordError:
            return None
    if not path.startswith("/"):
        if cwd is None:
            return None
        path = posixpath.join(cwd, path)
    return "/" + posixpath.normpath(path).lstrip("/")


def _under(path: str, root: str) -> bool:
    path, root = path.rstrip("/") or "/", root.rstrip("/") or "/"
    return path == root or root == "/" or path.startswith(root + "/")


def _items(df, resolved, members: list[int], ctx) -> list[_Item]:
    from dopt.packages import package_ops
    from dopt.rewrite import run_text, shell_is_posix, stage_shells
    from dopt.shell import parse_script
    from dopt.variables import scope_at

    shells = stage_shells(df)
    build_args = ctx.settings.get("build_args") or {}
    items = []
    workdirs: dict[int, str | None] = {}
    raws: dict[int, dict] = {}
    for index in members:
        parent = resolved[index].parent_index
        workdir = workdirs.get(parent, "/") if parent is not None else "/"
        declared: set[str] = set()
        raw = dict(raws.get(parent, {})) if parent is not None else {}
        for pos, ins in enumerate(df.stages[index].instructions):
            if isinstance(ins, Arg):
                declared.update(d.name for d in ins.decls)
                raw.update({d.name: d.default for d in ins.decls if d.default is not None})
            elif isinstance(ins, Env):
                raw.update({kv.key: kv.value for kv in ins.pairs})
            if isinstance(ins, Workdir):
                workdir = _resolve(ins.path, scope_at(df, index, pos, build_args), workdir)
            if not isinstance(ins, Run):
                continue
            text = run_text(ins)
            if text is None:
                raise _Keep(f"the {'exec-form' if ins.is_exec else 'heredoc'} RUN at {ins.span} cannot be "
                            "analysed", ins.span)
            if not shell_is_posix(shells[index][pos]):
                raise _Keep(f"the RUN at {ins.span} runs under a non-POSIX SHELL", ins.span)
            script = parse_script(text)
            if script.opaque:
                raise _Keep(f"the RUN at {ins.span} cannot be analysed ({script.error})", ins.span)
            items.append(_Item(index, pos, ins, script, package_ops(script),
                               scope_at(df, index, pos, build_args), workdir, frozenset(declared), dict(raw)))
        workdirs[index] = workdir
        raws[index] = raw
    return items


def _cwd(item: _Item, cmd) -> str | None:
    cwd = item.workdir
    for other in item.script.commands:
        if other.start >= cmd.start:
            break
        if other.argv0 == "cd" and not other.isolated:
            cwd = _resolve(other.words[1], item.scope, cwd) if len(other.words) > 1 else None
    return cwd


def _value(item: _Item, op, name: str) -> str | None:
    value = op.env_value(name) if op is not None else None
    if value is None:
        value = item.scope.get(name)
    return None if value is None else value.strip("'\"")


def _mentions_platform(word: str, item: _Item, depth: int = 0) -> bool:
    """True when ``word`` refers to a TARGET* argument, directly or through an ARG/ENV set from one."""
    from dopt.variables import references

    refs = references(word) if "$" in word else set()
    if refs & set(PLATFORM_ARGS):
        return True
    if depth > 3:
        return False
    return any(_mentions_platform(item.raw.get(r, ""), item, depth + 1) for r in refs if r in item.raw)


# --------------------------------------------------------------------------
# Deciding


def _plan(df, resolved, members: list[int], copies, ctx) -> _Plan:
    items = _items(df, resolved, members, ctx)
    plan = _Plan()
    for item in items:
        _check_commands(item, plan)
    for item in items:
        for op in item.ops:
            _check_op(item, op, plan, ctx)
    if not plan.ecosystems:
        raise _Keep("no cross-compiling toolchain recognised in it (go build with CGO_ENABLED=0, cargo build "
                    "--target from $TARGETARCH, maven/gradle/javac, npm/yarn/pnpm builds)")
    _check_runs_outputs(items, plan)
    _check_copies(copies, plan, ctx)
    return plan


def _check_commands(item: _Item, plan: _Plan) -> None:
    known = {id(op.command) for op in item.ops}
    text = item.script.text
    if "/proc/cpuinfo" in text:
        raise _Keep(f"the RUN at {item.ins.span} reads /proc/cpuinfo, which would describe the build machine",
                    item.ins.span)
    for cmd in item.script.commands:
        argv = cmd.effective_argv
        if not argv:
            continue
        name = posixpath.basename(argv[0])
        if name in _ARCH_PROBES or (name == "dpkg" and "--print-architecture" in argv):
            raise _Keep(f"the RUN at {item.ins.span} asks the machine's architecture ({name}), which would be "
                        "the build platform's", item.ins.span)
        if name in _NATIVE_JAVA:
            raise _Keep(f"{name} at {item.ins.span} makes a native runtime or executable for the platform it "
                        "runs on", item.ins.span)
        if name in ("curl", "wget"):
            raise _Keep(f"the RUN at {item.ins.span} downloads with {name}; a downloaded program is for one "
                        "architecture", item.ins.span)
        if name in _XX:
            _xx_build(item, cmd, name, plan)
            continue
        if id(cmd) in known or name in _NEUTRAL or name in _XX_NEUTRAL:
            continue
        if name in ("go", "cargo", "npm", "npx", "yarn", "pnpm", "mvn", "mvnw", "gradle", "gradlew", "java",
                    "node", "rustup", "rustc"):
            continue
        if "/" in argv[0] or name.startswith("."):
            continue  # a built program run in place: checked against the outputs below
        raise _Keep(f"the RUN at {item.ins.span} runs `{name}`; dopt cannot tell whether what it makes is "
                    "the same on every platform", item.ins.span)


def _xx_build(item: _Item, cmd, name: str, plan: _Plan) -> None:
    """``xx-cargo build`` / ``xx-go build``: the wrapper passes the target's triple or GOOS/GOARCH itself."""
    argv = list(cmd.effective_argv)
    if len(argv) < 2 or argv[1] not in ("build", "b", "install"):
        return
    cwd = _cwd(item, cmd)
    if name == "xx-go":
        if argv[1] == "install":
            raise _Keep(f"xx-go install at {item.ins.span} puts binaries in $GOPATH/bin/<os>_<arch>; use -o",
                        item.ins.span)
        out = argv[argv.index("-o") + 1] if "-o" in argv[:-1] else None
        path = _resolve(out, item.scope, cwd) if out else cwd
    else:
        target_dir = argv[argv.index("--target-dir") + 1] if "--target-dir" in argv[:-1] else \
            item.scope.get("CARGO_TARGET_DIR") or "target"
        path = _resolve(target_dir, item.scope, cwd)
    if path:
        plan.outputs.append(path)
    _add(plan, _XX[name])


def _add(plan: _Plan, ecosystem: str) -> None:
    if ecosystem not in plan.ecosystems:
        plan.ecosystems.append(ecosystem)


def _check_op(item: _Item, op, plan: _Plan, ctx) -> None:
    span = item.ins.span
    m = op.manager
    if m in _SYSTEM or m == "rm":
        return
    if m == "pip" or m in ("uv", "poetry", "pipenv", "conda", "mamba", "micromamba"):
        if op.action in ("list", "show", "freeze", "check", "config", "none", "cache"):
            return
        raise _Keep(f"{op.tool} at {span} installs Python packages, whose wheels (and C extensions built from "
                    "sdists) are for the platform pip runs on; the copied files must be the target's", span)
    if m == "native":
        raise _Keep(f"{op.tool} at {span} compiles native code for the platform it runs on", span)
    if m in ("gem", "bundle"):
        raise _Keep(f"{op.tool} at {span} installs gems, whose native extensions are per architecture", span)
    if posixpath.basename(op.command.effective_argv[0]) in _XX:
        return  # read by _xx_build
    if m == "go":
        _check_go(item, op, plan)
    elif m == "cargo":
        _check_cargo(item, op, plan)
    elif m in ("maven", "gradle", "java"):
        words = " ".join(op.command.effective_argv)
        if re.search(r"nativeCompile|native:compile|-Pnative\b|-Dpackaging=native", words):
            raise _Keep(f"{op.tool} at {span} builds a native image for the platform it runs on", span)
        _check_pom(ctx, span)
        _add(plan, "java")
        cwd = _cwd(item, op.command)
        if op.output:
            out = _resolve(op.output, item.scope, cwd)
            if out:
                plan.outputs.append(out)
        if cwd and m in ("maven", "gradle"):
            plan.outputs.extend(posixpath.join(cwd, d) for d in ("target", "build"))
        elif cwd and op.tool == "javac" and op.output is None:
            plan.outputs.append(cwd)
    elif m in ("npm", "yarn", "pnpm"):
        if not op.global_install:
            cwd = _cwd(item, op.command)
            if op.prefix:
                cwd = _resolve(op.prefix, item.scope, cwd)
            if cwd is None:
                raise _Keep(f"cannot tell the folder {op.tool} runs in at {span}", span)
            plan.node_dirs.append(cwd)   # installs and builds: node_modules may be there
        _add(plan, "node")


def _check_go(item: _Item, op, plan: _Plan) -> None:
    span = item.ins.span
    if op.action not in ("build", "install"):
        return
    cgo = _value(item, op, "CGO_ENABLED")
    goarch, goos = _value(item, op, "GOARCH"), _value(item, op, "GOOS")
    for name, value in (("GOARCH", goarch), ("GOOS", goos)):
        if value and not _mentions_platform(value, item):
            raise _Keep(f"go {op.action} at {span} pins {name}={value}: the binary is that platform's on every "
                        "platform", span)
    if op.action == "install":
        raise _Keep(f"go install at {span} puts cross-compiled binaries in $GOPATH/bin/<os>_<arch> (and refuses "
                    "with GOBIN set); use go build -o", span)
    if cgo != "0":
        raise _Keep(f"go build at {span} may use cgo (CGO_ENABLED is {cgo or 'not set'}): cgo needs a C "
                    "cross-compiler, and Go turns cgo off by itself when cross-compiling, so the binary would "
                    "differ between platforms; set CGO_ENABLED=0 for a static build", span)
    cwd = _cwd(item, op.command)
    if op.output:
        out = _resolve(op.output, item.scope, cwd)
        if out is None:
            raise _Keep(f"cannot resolve go build -o {op.output} at {span}", span)
        plan.outputs.append(out)
    elif cwd:
        plan.outputs.append(cwd)  # the binary lands in the package folder, named after it
    missing = [w for w, v in (("GOOS=$TARGETOS", goos), ("GOARCH=$TARGETARCH", goarch)) if not v]
    plan.go_builds.append((item, op.command, missing))
    names = [n for n in ("TARGETOS", "TARGETARCH") if n not in item.declared]
    if missing and names:
        at = plan.args.get(item.stage)
        if at is None or item.pos < at[0]:
            plan.args[item.stage] = (item.pos, names)
    _add(plan, "go")


def _check_cargo(item: _Item, op, plan: _Plan) -> None:
    span = item.ins.span
    if op.action not in ("build", "install"):
        return
    if op.action == "install":
        raise _Keep(f"cargo install at {span} builds for the platform it runs on", span)
    if not op.target or not _mentions_platform(op.target, item):
        raise _Keep(f"cargo build at {span} builds for the platform it runs on (no --target from $TARGETARCH): "
                    "cross-compiling Rust needs `rustup target add <triple>`, a linker for that triple and "
                    "--target per platform", span)
    cwd = _cwd(item, op.command)
    target_dir = op.env_value("CARGO_TARGET_DIR") or item.scope.get("CARGO_TARGET_DIR") or "target"
    out = _resolve(target_dir, item.scope, cwd)
    if out:
        plan.outputs.append(out)
    names = sorted(n for n in PLATFORM_ARGS if f"${n}" in op.target or "${" + n in op.target)
    missing = [n for n in names if n not in item.declared]
    if missing:
        at = plan.args.get(item.stage)
        if at is None or item.pos < at[0]:
            plan.args[item.stage] = (item.pos, missing)
    _add(plan, "rust")


def _check_pom(ctx, span) -> None:
    context = ctx.settings.get("context_dir")
    if not context:
        return
    for name in ("pom.xml", "build.gradle", "build.gradle.kts"):
        path = os.path.join(str(context), name)
        if os.path.isfile(path):
            text = open(path, encoding="utf-8", errors="replace").read()
            if re.search(r"os-maven-plugin|os\.detected|osdetector", text):
                raise _Keep(f"{name} picks native libraries for the machine that builds (os-maven-plugin / "
                            "osdetector); on $BUILDPLATFORM they would be the build machine's", span)


def _check_runs_outputs(items: list[_Item], plan: _Plan) -> None:
    """A RUN that executes what the build made would run a target binary on the build machine.

    Files that ``cp``/``mv``/``install`` move out of an output count as outputs too."""
    if "go" not in plan.ecosystems and "rust" not in plan.ecosystems:
        return
    for item in items:
        for cmd in item.script.commands:
            argv = cmd.effective_argv
            if argv and posixpath.basename(argv[0]) in ("cp", "mv", "install") and len(argv) >= 3:
                words = [w for w in argv[1:] if not w.startswith("-")]
                sources = [_resolve(w.split("$(", 1)[0] or ".", item.scope, _cwd(item, cmd)) for w in words[:-1]]
                if sources and all(s and any(_under(s, o) for o in plan.outputs) for s in sources):
                    dest = _resolve(words[-1], item.scope, _cwd(item, cmd))
                    if dest:
                        plan.outputs.append(dest)
                continue
            if not argv or ("/" not in argv[0] and not argv[0].startswith(".")):
                continue
            path = _resolve(argv[0], item.scope, _cwd(item, cmd))
            if path and any(_under(path, o) for o in plan.outputs):
                raise _Keep(f"the RUN at {item.ins.span} runs {argv[0]}, which the build made: a "
                            "cross-compiled program does not run on the build machine", item.ins.span)


def _check_copies(copies, plan: _Plan, ctx) -> None:
    node_copied = []
    for path, ins in copies:
        if any(_under(path, d) for d in DATA_PATHS):
            continue
        if any(_under(path, o) for o in plan.outputs):
            continue
        if "node" in plan.ecosystems:
            if "node_modules" in path.split("/") or any(_under(d, path) for d in plan.node_dirs):
                node_copied.append((path, ins))
                continue
            if not any(_under(path, d) or _under(d, path) for d in plan.node_dirs):
                raise _Keep(f"{ins.KIND} at {ins.span} copies {path}, which is not what the build writes", ins.span)
            continue  # a build folder (dist, build) under the app folder: JavaScript
        if "java" in plan.ecosystems and re.search(r"\.(jar|war|ear)$", path):
            continue
        raise _Keep(f"{ins.KIND} at {ins.span} copies {path}, which is not the cross-compiled output (it would "
                    "be the build platform's file)", ins.span)
    if node_copied:
        path, ins = node_copied[0]
        native = _native_node_modules(ctx)
        if native is None:
            raise _Keep(f"{ins.KIND} at {ins.span} copies node_modules ({path}) and there is no package-lock.json "
                        "in the context to tell whether it holds native modules", ins.span)
        if native:
            raise _Keep(f"{ins.KIND} at {ins.span} copies node_modules, which holds native modules "
                        f"({', '.join(native[:3])}) built for the platform npm runs on", ins.span)


def _native_node_modules(ctx) -> list[str] | None:
    """Packages of package-lock.json with install scripts, gyp files or cpu/os limits; None without a lock."""
    context = ctx.settings.get("context_dir")
    path = os.path.join(str(context), "package-lock.json") if context else None
    if not path or not os.path.isfile(path):
        return None
    try:
        data = json.loads(open(path, encoding="utf-8").read())
    except (OSError, ValueError):
        return None
    out = []
    for key, entry in (data.get("packages") or {}).items():
        if key and isinstance(entry, dict) and (entry.get("hasInstallScript") or entry.get("gypfile")
                                                or entry.get("cpu") or entry.get("os")):
            out.append(key.rsplit("node_modules/", 1)[-1])
    return sorted(out)


# --------------------------------------------------------------------------
# Rewriting


def _apply(df: Dockerfile, root: int, plan: _Plan) -> Dockerfile:
    stages = list(df.stages)
    from_ = stages[root].from_
    stages[root] = stages[root].edit(from_=from_.edit(flags=(Flag("platform", "$BUILDPLATFORM"), *from_.flags)))
    edits: dict[tuple[int, int], list] = {}
    for item, cmd, missing in plan.go_builds:
        if missing:
            edits.setdefault((item.stage, item.pos), []).append((cmd.start, " ".join(missing) + " "))
    for (index, pos), inserts in edits.items():
        ins = stages[index].instructions[pos]
        new = _insert_text(ins, inserts, df.escape)
        instructions = list(stages[index].instructions)
        instructions[pos] = new
        stages[index] = stages[index].edit(instructions=tuple(instructions))
    for index, (pos, names) in plan.args.items():
        instructions = list(stages[index].instructions)
        instructions.insert(pos, Arg(keyword="ARG", decls=tuple(ArgDecl(n) for n in names)))
        stages[index] = stages[index].edit(instructions=tuple(instructions))
    return df.edit(stages=tuple(stages))


def _insert_text(ins: Run, inserts: list[tuple[int, str]], escape: str) -> Run:
    """Insert words into the RUN's shell text at logical offsets, keeping its line layout when possible."""
    from dopt.ir import ShellForm

    text = ins.command.text
    new_text = text
    for offset, word in sorted(inserts, reverse=True):
        at = _word_start(new_text, offset)
        new_text = new_text[:at] + word + new_text[at:]
    source = ins.source
    mapping = _align(source, text, escape) if source is not None else None
    if mapping is None:
        return ins.edit(command=ShellForm(new_text))
    new_source = source
    for offset, word in sorted(inserts, reverse=True):
        at = mapping[_word_start(text, offset)]
        new_source = new_source[:at] + word + new_source[at:]
    return ins.edit(command=ShellForm(new_text), source=new_source)


def _word_start(text: str, offset: int) -> int:
    """Where the program word of the command at ``offset`` starts (after its ``X=1`` prefixes)."""
    m = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|[^\s;&|]*)\s+)*").match(text, offset)
    return m.end() if m else offset


def _align(source: str, text: str, escape: str) -> list[int] | None:
    """For each offset of the logical ``text`` (and its end), the offset in ``source``, skipping line
    continuations and the comment or blank lines inside them; None when the two do not match."""
    continuation = re.compile(re.escape(escape) + r"[ \t]*\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*")
    for start in range(len(source)):
        if not text or source[start] != text[0]:
            continue
        mapping, i, j = [], start, 0
        while j < len(text) and i < len(source):
            m = continuation.match(source, i)
            if m:
                i = m.end()
                continue
            if source[i] != text[j]:
                break
            mapping.append(i)
            i += 1
            j += 1
        if j == len(text):
            mapping.append(i)
            return mapping
    return None
