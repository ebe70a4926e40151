"""reorder: what changes least comes first, so a source edit rebuilds as few layers as possible.

Two transformations per stage, both driven by the dependency graph
(:mod:`dopt.analysis.graph`):

1. **Manifest first.** ``COPY . .`` (or ``COPY . /app``, ``ADD . .``) followed,
   possibly after other instructions, by a dependency install becomes
   ``COPY <manifests> ./``, the install, then ``COPY . .``. The manifests are
   the files the install reads (``requirements.txt`` and its ``-r``/``-c``
   includes, ``package.json`` + lock files, ``go.mod`` + ``go.sum``, ...) that
   exist in the build context (``settings["context_dir"]``) and that
   ``.dockerignore`` does not exclude. It is done only when the install
   provably reads nothing else (B73); otherwise the pass declines and names the
   file: ``pip install .``/``-e``, local paths in requirements, npm lifecycle
   scripts, ``file:`` dependencies, workspaces, ``replace => ./dir``,
   ``poetry install`` without ``--no-root`` ... Steps between the COPY and the
   install that use the copied files move after the new ``COPY . .`` (when the
   install does not depend on them), the others stay where they are.
2. **Stable topological sort** keyed by change frequency: system packages <
   dependency manifests < dependency installation < source copy < build steps
   < metadata; ties keep the original order, and nothing moves before an
   instruction it depends on. Nothing crosses a FROM, an ARG (B22), WORKDIR,
   USER, SHELL, an instruction pinned with ``# dopt: skip=reorder``, or an ENV
   (or other metadata) that a later instruction uses; so metadata moves only
   from among the last build steps to the end.

Comments and pragmas travel with the instruction they sit above (B46).

Example::

    >>> from dopt import parse_text
    >>> from dopt.pipeline import run_pipeline
    >>> run_pipeline(parse_text("FROM debian\\nCOPY app.sh /app.sh\\nRUN apt-get update && apt-get install -y curl\\n"),
    ...              "reorder").text
    'FROM debian\\nRUN apt-get update && apt-get install -y curl\\nCOPY app.sh /app.sh\\n'
"""

from __future__ import annotations

import json
import posixpath
import re

import attrs

from dopt.ir import (Arg, CopyLike, Copy, Dockerfile, Flag, Instruction, Run, Shell, Span, User,
                     Workdir)
from dopt.rewrite import replace_stage

NAME = "reorder"
DESCRIPTION = "copy dependency manifests before the sources, order each stage by how often its steps change"
OPTIONS = {
    "manifests": "rewrite COPY . . + install into manifests, install, sources (default true)",
    "sort": "stable topological sort by change frequency (default true)",
}
PRESERVES = ()

# Change-frequency classes (lower = changes less often = earlier).
SYSTEM, MANIFEST, DEPS, SOURCE, BUILD, META = range(6)
CLASS_NAMES = ("system packages", "dependency manifests", "dependency installation", "source copy",
               "build steps", "metadata")

METADATA_KINDS = frozenset({"LABEL", "EXPOSE", "ENV", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL",
                            "MAINTAINER", "ONBUILD"})
MANIFEST_NAMES = frozenset({
    "requirements.txt", "constraints.txt", "package.json", "package-lock.json", "npm-shrinkwrap.json",
    "yarn.lock", "pnpm-lock.yaml", "pnpm-workspace.yaml", ".npmrc", ".yarnrc", ".yarnrc.yml", "pom.xml",
    "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "gradle.properties",
    "go.mod", "go.sum", "go.work", "go.work.sum", "Gemfile", "Gemfile.lock", "Cargo.toml", "Cargo.lock",
    "pyproject.toml", "poetry.lock", "poetry.toml", "uv.lock", "Pipfile", "Pipfile.lock", "setup.cfg",
    "composer.json", "composer.lock", "environment.yml", "mix.exs", "mix.lock", ".python-version",
})
_REQUIREMENTS_NAME = re.compile(r"requirements[\w.-]*\.(txt|in)|constraints[\w.-]*\.txt")
_COPY_FLAGS_KEPT = ("chown", "chmod", "link")


def run(df: Dockerfile, ctx) -> Dockerfile:
    state = _Run(ctx)
    for index in range(len(df.stages)):
        if ctx.option("manifests", True):
            df = _manifest_first(df, index, state)
        if ctx.option("sort", True):
            df = _sort_stage(df, index, state)
    return df


class _Run:
    """Per-invocation helpers: the build context (loaded once) and de-duplicated declines."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._declined: set[tuple[str, object]] = set()
        self._context = None
        self._context_loaded = False

    def decline(self, message: str, span: Span | None) -> None:
        key = (message, span)
        if key not in self._declined:
            self._declined.add(key)
            self.ctx.decline(message, span)

    @property
    def context(self):
        if not self._context_loaded:
            self._context_loaded = True
            directory = self.ctx.settings.get("context_dir")
            if directory:
                from dopt.dockerignore import BuildContext

                self._context = BuildContext(directory, self.ctx.settings.get("path"))
        return self._context

    def graph(self, df: Dockerfile):
        return self.ctx.analysis("graph", df)


# ---------------------------------------------------------------------------
# Manifest first


def _is_copy_all(ins: Instruction) -> bool:
    from dopt.analysis.graph import is_context_root

    return (isinstance(ins, CopyLike) and not ins.from_stage and not ins.heredocs
            and len(ins.sources) == 1 and is_context_root(ins.sources[0]))


@attrs.frozen
class _Manifests:
    files: tuple[str, ...] = ()   # context paths, in the order they are copied
    dirs: tuple[str, ...] = ()    # context directories copied whole (.mvn, gradle, .yarn)
    reason: str | None = None     # why the install may read more than these


def _manifest_first(df: Dockerfile, s: int, run_state: _Run) -> Dockerfile:
    # Each rewrite moves a COPY . . past one install; repeat to a fixed point (idempotence).
    for _ in range(len(df.stages[s].instructions) + 1):
        new = _rewrite_once(df, s, run_state)
        if new is None:
            return df
        df = new
    return df


def _rewrite_once(df: Dockerfile, s: int, rs: _Run) -> Dockerfile | None:
    instrs = list(df.stages[s].instructions)
    for i, ins in enumerate(instrs):
        if not _is_copy_all(ins) or rs.ctx.is_skipped(ins):
            continue
        found = _find_install(df, s, i, rs)
        if found is None:
            continue
        j, installs = found
        result = _try_rewrite(df, s, i, j, installs, rs)
        if result is not None:
            return result
    return None


def _install_ops(run: Run, node) -> list:
    """(CommandFacts, op) pairs of the RUN that install dependencies from manifests in the project dir."""
    from dopt.analysis.graph import run_effects

    _, parts = run_effects(run, node["state"])
    out = []
    for part in parts:
        for op in part.ops:
            if _reads_manifests(op):
                out.append((part, op))
    return out


def _reads_manifests(op) -> bool:
    m, a = op.manager, op.action
    if m == "pip":
        return a == "install" and bool(op.requirement_files or op.constraint_files or op.local_paths)
    if m in ("npm", "yarn", "pnpm"):
        return a in ("install", "ci", "download") and not op.global_install
    if m == "go":
        return a == "download"
    if m in ("maven", "gradle"):
        return a == "download"
    if m == "bundle":
        return a == "install"
    if m == "cargo":
        return a in ("download",)
    if m == "poetry":
        return a == "install" and op.subcommand in ("install", "sync")
    if m == "uv":
        return a == "install" and op.subcommand == "sync"
    if m == "pipenv":
        return a == "install"
    return False


def _find_install(df, s, i, rs) -> tuple[int, list] | None:
    graph = rs.graph(df)
    instrs = df.stages[s].instructions
    for k in range(i + 1, len(instrs)):
        other = instrs[k]
        if _is_copy_all(other):
            return None  # a later full copy: that one is the candidate
        if isinstance(other, Run):
            installs = _install_ops(other, graph.nodes[(s, k + 1)])
            if installs:
                return k, installs
    return None


def _where(ins: Instruction) -> str:
    return f"{ins.KIND} at {ins.span}" if ins.span else ins.KIND


def _try_rewrite(df: Dockerfile, s: int, i: int, j: int, installs: list, rs: _Run) -> Dockerfile | None:
    from dopt.analysis.graph import (FS, conflicts, join_path, package_areas, path_within, paths_overlap,
                                     resolve_word)

    ctx = rs.ctx
    instrs = list(df.stages[s].instructions)
    copy_all, install = instrs[i], instrs[j]
    span = copy_all.span
    head = f"not copying manifests first for {_where(copy_all)}"
    if ctx.is_skipped(install):
        rs.decline(f"{head}: the install at {install.span} is pinned by '# dopt: skip=reorder'", span)
        return None
    context = rs.context
    if context is None:
        rs.decline(f"{head}: no build context is known (context_dir), so the manifests cannot be checked", span)
        return None
    extra_flags = [f.name for f in copy_all.flags if f.name not in _COPY_FLAGS_KEPT]
    if extra_flags:
        rs.decline(f"{head}: --{extra_flags[0]} is not supported by the rewrite", span)
        return None
    if "$" in copy_all.dest or any("$" in (f.value or "") for f in copy_all.flags):
        rs.decline(f"{head}: the destination or flags use variables", span)
        return None
    graph = rs.graph(df)
    node_i = graph.nodes[(s, i + 1)]
    dests = resolve_word(copy_all.dest, [node_i["cwd"]], node_i["state"].env)
    if len(dests) != 1 or dests[0] == "/":
        rs.decline(f"{head}: its destination {copy_all.dest!r} cannot be resolved", span)
        return None
    dest = dests[0]
    for k in range(i + 1, j + 1):
        if ctx.is_skipped(instrs[k]):
            rs.decline(f"{head}: the {_where(instrs[k])} is pinned by '# dopt: skip=reorder'", span)
            return None

    # 1. the manifests of every install in the RUN, and what the installs write in the copied tree
    files: list[str] = []
    dirs: list[str] = []
    install_commands = set()
    for part, op in installs:
        install_commands.add(id(part.command))
        if part.project is None:
            rs.decline(f"{head}: the working directory of '{op.tool} {op.subcommand}' at {install.span} "
                       "is not known", span)
            return None
        if not path_within(part.project, dest):
            rs.decline(f"{head}: the install at {install.span} runs in {part.project}, outside {dest}", span)
            return None
        sub = _relpath(part.project, dest)
        found = _manifests_for(op, sub, context)
        if found.reason:
            rs.decline(f"{head}: {found.reason}", span)
            return None
        files.extend(f for f in found.files if f not in files)
        dirs.extend(d for d in found.dirs if d not in dirs)
        effects, why = package_areas(op, part.project, graph.nodes[(s, j + 1)]["state"],
                                     lambda w, p=part: resolve_word(w, p.cwds, graph.nodes[(s, j + 1)]["state"].env))
        if effects is None:
            rs.decline(f"{head}: {why}", span)
            return None
        for kind, path in effects.writes:
            if kind != FS or not paths_overlap(path, dest):
                continue
            if path_within(dest, path):
                rs.decline(f"{head}: the install at {install.span} may write anywhere in {dest}", span)
                return None
            rel = _relpath(path, dest)
            if rel in files or any(rel == d or rel.startswith(d + "/") for d in dirs):
                continue  # a manifest the install may rewrite (npm install and its lock file)
            if context.includes(rel):
                rs.decline(f"{head}: {rel} in the build context would replace what the install writes there "
                           f"(add it to .dockerignore)", span)
                return None
    # 2. the rest of the install RUN must not touch the copied tree
    _, parts = _run_parts(install, graph.nodes[(s, j + 1)]["state"])
    for part in parts:
        if id(part.command) in install_commands:
            continue
        e = part.effects
        if e.barrier:
            rs.decline(f"{head}: the install RUN at {install.span} also runs a command that may read any "
                       f"file ({e.barrier})", span)
            return None
        touched = [p for k, p in e.reads | e.writes if k == FS and paths_overlap(p, dest)]
        if touched:
            rs.decline(f"{head}: the install RUN at {install.span} also uses {sorted(touched)[0]}", span)
            return None

    # 3. steps between the COPY and the install that use the copied files move after the new COPY . .
    copy_fs = _fs_only(node_i["effects"])
    created = {dest} | {posixpath.dirname(join_path(dest, f)) for f in files} | {join_path(dest, d) for d in dirs}
    moved: list[int] = []
    for k in range(i + 1, j):
        node_k = graph.nodes[(s, k + 1)]
        other = instrs[k]
        if isinstance(other, Workdir) and _workdir_created(node_k, dest, created):
            continue  # WORKDIR /app: the manifest COPY has created /app just the same
        kinds, _ = conflicts(copy_fs, _fs_only(node_k["effects"]))
        if kinds or any(graph.has_edge((s, m + 1), (s, k + 1)) for m in moved):
            moved.append(k)
    for m in moved:
        # the graph decides, even where it is cruder than the manifest proof ("an install reads everything")
        if graph.has_edge((s, m + 1), (s, j + 1)):
            rs.decline(f"{head}: the {_where(instrs[m])} uses the copied files and the install at "
                       f"{install.span} depends on it", span)
            return None

    # 4. the full copy lands after the install: its relative destination must mean the same there
    new_copy_all = copy_all
    cwd_after = graph.nodes[(s, j + 1)]["cwd"]
    if not copy_all.dest.startswith("/") and cwd_after != node_i["cwd"]:
        if not dest.startswith("/"):
            rs.decline(f"{head}: a WORKDIR in between changes what {copy_all.dest!r} means", span)
            return None
        new_copy_all = copy_all.edit(dest=dest if not copy_all.dest.endswith("/") else dest.rstrip("/") + "/",
                                     json=False)
    if not files and not dirs:
        rs.decline(f"{head}: the install at {install.span} reads no manifest found in the build context", span)
        return None

    # 5. rebuild the stage
    blank, comments = _split_leading(copy_all.leading)
    manifest_copies = _manifest_copies(copy_all, files, dirs, blank)
    new_copy_all = attrs.evolve(new_copy_all, leading=comments)
    out: list[Instruction] = instrs[:i] + manifest_copies
    out += [instrs[k] for k in range(i + 1, j) if k not in moved]
    out += [install, new_copy_all]
    out += [instrs[k] for k in moved]
    out += instrs[j + 1:]
    names = " ".join(files + dirs)
    ctx.changed(f"copied {names} before the install at {install.span} and {_where(copy_all)} after it "
                f"(a source edit no longer reruns the install)", span)
    if moved:
        ctx.note(f"moved {', '.join(_where(instrs[k]) for k in moved)} after the full copy: "
                 "it uses the copied files", span)
    stage = df.stages[s]
    return replace_stage(df, s, stage.edit(instructions=tuple(out)))


def _run_parts(run: Run, state):
    from dopt.analysis.graph import run_effects

    return run_effects(run, state)


def _fs_only(effects):
    from dopt.analysis.graph import FS, Effects

    return Effects(frozenset(r for r in effects.reads if r[0] == FS),
                   frozenset(w for w in effects.writes if w[0] == FS))


def _workdir_created(node, dest: str, created: set[str]) -> bool:
    """A WORKDIR between the COPY and the install that names the destination, one of its parents, or a
    folder the manifest COPY creates: it finds the folder there before and after the rewrite."""
    from dopt.analysis.graph import path_within

    paths = [p for k, p in node["effects"].writes if k == "fs"]
    return bool(paths) and all(path_within(dest, p) or any(path_within(c, p) for c in created) for p in paths)


def _relpath(path: str, base: str) -> str:
    if path == base:
        return "."
    prefix = base.rstrip("/") + "/" if base != "/" else "/"
    return path[len(prefix):] if path.startswith(prefix) else path


def _split_leading(leading: str) -> tuple[str, str]:
    """(blank lines on top, the rest): comments and pragmas stay with their instruction."""
    lines = leading.splitlines(keepends=True)
    n = 0
    while n < len(lines) and not lines[n].strip():
        n += 1
    return "".join(lines[:n]), "".join(lines[n:])


def _dest_for(copy_all: CopyLike, subdir: str) -> str:
    base = copy_all.dest
    if subdir not in (".", ""):
        base = posixpath.join(base, subdir)
    return base if base.endswith("/") else base + "/"


def _manifest_copies(copy_all: CopyLike, files: list[str], dirs: list[str], leading: str) -> list[Instruction]:
    flags = tuple(Flag(f.name, f.value) for f in copy_all.flags if f.name in _COPY_FLAGS_KEPT)
    groups: dict[str, list[str]] = {}
    for f in files:
        groups.setdefault(posixpath.dirname(f) or ".", []).append(f)
    out: list[Instruction] = []
    for subdir, members in groups.items():
        out.append(Copy(keyword="COPY", flags=flags, sources=tuple(members), dest=_dest_for(copy_all, subdir),
                        leading="", source=None, span=copy_all.span))
    for d in dirs:
        out.append(Copy(keyword="COPY", flags=flags, sources=(d,), dest=_dest_for(copy_all, d),
                        leading="", source=None, span=copy_all.span))
    if out:
        out[0] = attrs.evolve(out[0], leading=leading)
    return out


# ---------------------------------------------------------------------------
# What each ecosystem's install reads


def _join(sub: str, name: str) -> str:
    from dopt.dockerignore import go_clean

    return go_clean(f"{sub}/{name}")


def _optional(context, sub: str, names) -> list[str]:
    return [p for p in (_join(sub, n) for n in names) if context.includes(p) and context.is_file(p)]


def _required(context, sub: str, name: str) -> tuple[str | None, str | None]:
    path = _join(sub, name)
    if context.is_file(path) and context.includes(path):
        return path, None
    if context.exists(path):
        return None, f"{path} is excluded by .dockerignore (the install cannot read it)"
    return None, f"{path} is not in the build context"


def _manifests_for(op, sub: str, context) -> _Manifests:
    m = op.manager
    if m == "pip":
        return _pip_manifests(op, sub, context)
    if m in ("npm", "yarn", "pnpm"):
        return _node_manifests(op, sub, context)
    if m == "go":
        return _go_manifests(op, sub, context)
    if m == "maven":
        return _maven_manifests(op, sub, context)
    if m == "gradle":
        return _gradle_manifests(op, sub, context)
    if m == "bundle":
        return _bundle_manifests(op, sub, context)
    if m in ("poetry", "uv", "pipenv"):
        return _python_project_manifests(op, sub, context)
    if m == "cargo":
        return _Manifests(reason="cargo reads the crate's targets (src/main.rs or src/lib.rs) with Cargo.toml; "
                                 "use cargo-chef for a dependency layer")
    return _Manifests(reason=f"{op.tool} is not supported")


# -- pip ----------------------------------------------------------------------


def _pip_manifests(op, sub: str, context) -> _Manifests:
    from dopt.packages import is_local_path

    if op.editable:
        return _Manifests(reason=f"'{op.tool} install -e {op.local_paths[0] if op.local_paths else ''}' "
                                 "reads local sources")
    if op.local_paths:
        return _Manifests(reason=f"'{op.tool} install {op.local_paths[0]}' installs a local path "
                                 "(it reads the whole directory)")
    for option in op.options:
        for key in ("-f=", "--find-links=", "--src="):
            if option.startswith(key) and is_local_path(option[len(key):]):
                return _Manifests(reason=f"'{option}' reads a local directory")
    files: list[str] = []
    for name in op.requirement_files + op.constraint_files:
        if "://" in name:
            continue
        if "$" in name or name.startswith("/"):
            return _Manifests(reason=f"requirement file {name!r} is not a plain relative path")
        reason = _requirements(context, _join(sub, name), files)
        if reason:
            return _Manifests(reason=reason)
    return _Manifests(files=tuple(files))


_REQ_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=-r)|(?<=-c))(\S+)")


def _requirements(context, path: str, files: list[str]) -> str | None:
    """Add ``path`` and its nested includes to ``files``; a reason when they read other local files."""
    from dopt.packages import is_local_path

    if path in files:
        return None
    if path.startswith("../") or path == "..":
        return f"{path} lies outside the build context"
    present, reason = _required(context, ".", path)
    if present is None:
        return reason
    files.append(path)
    text = context.read_text(path) or ""
    logical = re.sub(r"\\\r?\n", " ", text)
    for lineno, raw in enumerate(logical.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        include = _REQ_INCLUDE.match(line)
        if include:
            target = include.group(1)
            if "://" in target:
                continue
            nested = _join(posixpath.dirname(path) or ".", target)
            reason = _requirements(context, nested, files)
            if reason:
                return reason
            continue
        if line.startswith(("-e", "--editable")):
            return f"{path} line {lineno}: editable requirement {line!r} reads local files"
        if line.startswith(("-f", "--find-links")):
            value = re.split(r"[=\s]+", line, maxsplit=1)[-1]
            if is_local_path(value):
                return f"{path} line {lineno}: {line!r} reads a local directory"
            continue
        if line.startswith("-"):
            continue  # --index-url, --extra-index-url, --trusted-host, --no-binary, --pre ...
        spec = re.split(r"\s+--|\s*;", line, maxsplit=1)[0].strip()
        if is_local_path(spec):
            return f"{path} line {lineno}: {spec!r} is a local path"
    return None


# -- node ---------------------------------------------------------------------

_LIFECYCLE = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")
_HARMLESS_SCRIPT = frozenset({"echo", "true", "exit", ":", "printf"})
_DEP_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies",
                 "overrides", "resolutions")


def _local_spec(spec) -> bool:
    if not isinstance(spec, str):
        return False
    s = spec.strip()
    if s.startswith(("file:", "link:", "portal:", "patch:", "./", "../", "/", "~/")):
        return True
    return "://" not in s and bool(re.search(r"\.(tgz|tar\.gz)$", s))


def _harmless(script: str) -> bool:
    from dopt.shell import parse_script

    parsed = parse_script(script)
    return not parsed.opaque and all(c.effective_argv0 in _HARMLESS_SCRIPT for c in parsed.commands)


def _package_json_reason(context, path: str, manager: str) -> str | None:
    text = context.read_text(path) or ""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return f"{path} is not valid JSON ({exc})"
    if not isinstance(data, dict):
        return f"{path} is not a JSON object"
    if data.get("workspaces"):
        return f"{path} declares workspaces (the install reads every workspace's package.json)"
    scripts = data.get("scripts") or {}
    if isinstance(scripts, dict):
        for name in _LIFECYCLE:
            body = scripts.get(name)
            if isinstance(body, str) and body.strip() and not _harmless(body):
                return f"{path}: the {name!r} script ({body!r}) runs during the install and may read sources"
    for section in _DEP_SECTIONS:
        deps = data.get(section) or {}
        if isinstance(deps, dict):
            for dep, spec in deps.items():
                if _local_spec(spec):
                    return f"{path}: {section} {dep!r} is a local path ({spec})"
    pnpm = data.get("pnpm") or {}
    if isinstance(pnpm, dict) and pnpm.get("patchedDependencies"):
        return f"{path}: pnpm.patchedDependencies reads patch files"
    return None


def _node_manifests(op, sub: str, context) -> _Manifests:
    if op.local_paths:
        return _Manifests(reason=f"'{op.tool} {op.subcommand} {op.local_paths[0]}' installs a local folder")
    tool = op.manager
    if tool == "pnpm" and op.action == "download":  # pnpm fetch reads only the lock file
        lock, reason = _required(context, sub, "pnpm-lock.yaml")
        if lock is None:
            return _Manifests(reason=reason)
        return _Manifests(files=(lock, *_optional(context, sub, (".npmrc", "pnpm-workspace.yaml"))))
    pkg, reason = _required(context, sub, "package.json")
    if pkg is None:
        return _Manifests(reason=reason)
    reason = _package_json_reason(context, pkg, tool)
    if reason:
        return _Manifests(reason=reason)
    gyp = _join(sub, "binding.gyp")
    if context.includes(gyp):
        return _Manifests(reason=f"{gyp}: the install builds the project's own native addon from its sources")
    if tool == "npm":
        # npm install also reads (and updates) a yarn.lock; npm ci reads only its own lock files
        names = ("package-lock.json", "npm-shrinkwrap.json", ".npmrc") + (("yarn.lock",) if op.action == "install" else ())
    elif tool == "yarn":
        names = ("yarn.lock", ".yarnrc", ".yarnrc.yml", ".npmrc", ".pnp.cjs")
    else:
        if context.includes(_join(sub, "pnpm-workspace.yaml")):
            return _Manifests(reason=f"{_join(sub, 'pnpm-workspace.yaml')} declares a workspace")
        names = ("pnpm-lock.yaml", ".npmrc", ".pnpmfile.cjs")
    dirs = ()
    if tool == "yarn" and context.includes(_join(sub, ".yarn")) and context.is_dir(_join(sub, ".yarn")):
        dirs = (_join(sub, ".yarn"),)  # yarn berry: releases, plugins, patches, the offline cache
    return _Manifests(files=(pkg, *_optional(context, sub, names)), dirs=dirs)


# -- go, maven, gradle, bundler, python projects ------------------------------


def _go_manifests(op, sub: str, context) -> _Manifests:
    if any(o.startswith(("-modfile", "-C")) for o in op.options):
        return _Manifests(reason="'go mod download' with -modfile/-C is not supported")
    mod, reason = _required(context, sub, "go.mod")
    if mod is None:
        return _Manifests(reason=reason)
    if context.includes(_join(sub, "go.work")):
        return _Manifests(reason=f"{_join(sub, 'go.work')}: a workspace reads other modules' go.mod files")
    text = context.read_text(mod) or ""
    local = re.search(r"=>\s*(\.{1,2}/\S*|/\S*)", text)
    if local:
        return _Manifests(reason=f"{mod}: 'replace ... => {local.group(1)}' reads a local module")
    return _Manifests(files=(mod, *_optional(context, sub, ("go.sum",))))


def _wrapper_files(op, sub: str, context, script: str, folder: str) -> tuple[list[str], list[str], str | None]:
    files, dirs = [], []
    if op.tool == script:
        path, reason = _required(context, sub, script)
        if path is None:
            return [], [], reason
        files.append(path)
    d = _join(sub, folder)
    if context.includes(d) and context.is_dir(d):
        dirs.append(d)
    return files, dirs, None


def _maven_manifests(op, sub: str, context) -> _Manifests:
    if op.requirement_files:
        return _Manifests(reason="'mvn -f' is not supported")
    pom, reason = _required(context, sub, "pom.xml")
    if pom is None:
        return _Manifests(reason=reason)
    if "<modules>" in (context.read_text(pom) or ""):
        return _Manifests(reason=f"{pom} has <modules> (the build reads every module's pom.xml)")
    files, dirs, reason = _wrapper_files(op, sub, context, "mvnw", ".mvn")
    if reason:
        return _Manifests(reason=reason)
    return _Manifests(files=(pom, *files), dirs=tuple(dirs))


def _gradle_manifests(op, sub: str, context) -> _Manifests:
    if op.requirement_files or any(o.startswith(("-p", "--project-dir", "-c", "--settings-file")) for o in op.options):
        return _Manifests(reason="gradle with -p/-b/-c is not supported")
    if context.includes(_join(sub, "buildSrc")):
        return _Manifests(reason=f"{_join(sub, 'buildSrc')} is compiled from sources by every build")
    found = _optional(context, sub, ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts",
                                     "gradle.properties"))
    if not any(posixpath.basename(f).startswith(("build.gradle", "settings.gradle")) for f in found):
        return _Manifests(reason=f"no build.gradle or settings.gradle in {sub}")
    for f in found:
        if f.endswith((".gradle", ".kts")) and re.search(r"^\s*include(Build)?\b", context.read_text(f) or "", re.M):
            return _Manifests(reason=f"{f} includes other projects (their build files are read too)")
    files, dirs, reason = _wrapper_files(op, sub, context, "gradlew", "gradle")
    if reason:
        return _Manifests(reason=reason)
    return _Manifests(files=tuple(found + files), dirs=tuple(dirs))


def _bundle_manifests(op, sub: str, context) -> _Manifests:
    if op.requirement_files:
        return _Manifests(reason="'bundle install --gemfile' is not supported")
    gemfile, reason = _required(context, sub, "Gemfile")
    if gemfile is None:
        return _Manifests(reason=reason)
    text = context.read_text(gemfile) or ""
    hit = re.search(r"^\s*(gemspec|eval_gemfile)\b|\bpath\s*(:|=>)", text, re.M)
    if hit:
        return _Manifests(reason=f"{gemfile}: {hit.group(0).strip()!r} reads local files")
    dirs = [d for d in (_join(sub, ".bundle"),) if context.includes(d) and context.is_dir(d)]
    return _Manifests(files=(gemfile, *_optional(context, sub, ("Gemfile.lock",))), dirs=tuple(dirs))


def _python_project_manifests(op, sub: str, context) -> _Manifests:
    import tomllib

    m = op.manager
    main_name = "Pipfile" if m == "pipenv" else "pyproject.toml"
    main, reason = _required(context, sub, main_name)
    if main is None:
        return _Manifests(reason=reason)
    text = context.read_text(main) or ""
    if m == "pipenv":
        if re.search(r"\bpath\s*=|\beditable\s*=\s*true", text):
            return _Manifests(reason=f"{main} has a path or editable dependency")
        return _Manifests(files=(main, *_optional(context, sub, ("Pipfile.lock",))))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return _Manifests(reason=f"{main} is not valid TOML ({exc})")
    if re.search(r"\bpath\s*=", text):
        return _Manifests(reason=f"{main} has a path dependency")
    tool = data.get("tool") or {}
    if m == "poetry":
        package_mode = (tool.get("poetry") or {}).get("package-mode", True)
        if "--no-root" not in op.options and package_mode is not False:
            return _Manifests(reason="'poetry install' also installs the project itself from its sources "
                                     "(add --no-root)")
        return _Manifests(files=(main, *_optional(context, sub, ("poetry.lock", "poetry.toml"))))
    uv = tool.get("uv") or {}
    if uv.get("workspace"):
        return _Manifests(reason=f"{main} declares a uv workspace")
    installs_project = "build-system" in data and uv.get("package", True) is not False
    if installs_project and not ({"--no-install-project", "--no-install-workspace"} & set(op.options)):
        return _Manifests(reason="'uv sync' also installs the project itself from its sources "
                                 "(add --no-install-project)")
    return _Manifests(files=(main, *_optional(context, sub, ("uv.lock", ".python-version", "uv.toml"))))


# ---------------------------------------------------------------------------
# The sort


def change_class(ins: Instruction, node) -> int | None:
    """The change-frequency class of an instruction, None for one that never moves.

    >>> from dopt import parse_text
    >>> from dopt.analysis.graph import build_graph
    >>> df = parse_text("FROM a\\nRUN apt-get install -y x\\nCOPY package.json ./\\nRUN npm ci\\nCOPY . .\\n"
    ...                 "RUN make\\nEXPOSE 80\\n")
    >>> g = build_graph(df)
    >>> [CLASS_NAMES[change_class(i, g.nodes[(0, n)])] for n, i in enumerate(df.stages[0].instructions, 1)]
    ['system packages', 'dependency manifests', 'dependency installation', 'source copy', 'build steps', 'metadata']
    """
    from dopt.analysis.graph import run_effects

    if isinstance(ins, (Arg, Workdir, User, Shell)):
        return None
    if ins.KIND in METADATA_KINDS:
        return META
    if isinstance(ins, Run):
        effects, parts = run_effects(ins, node["state"])
        if effects.barrier:
            return BUILD
        managers = {op.manager for p in parts for op in p.ops if op.manager != "rm" and op.tool != "rm"}
        deps = any(_reads_manifests(op) or (op.manager in _DEP_MANAGERS and op.action in _DEP_ACTIONS)
                   for p in parts for op in p.ops)
        if deps:
            return DEPS
        if managers and managers <= _SYSTEM:
            return SYSTEM
        return BUILD
    if isinstance(ins, CopyLike):
        if not ins.from_stage and ins.sources and all(_is_manifest_name(src) for src in ins.sources):
            return MANIFEST
        return SOURCE
    return BUILD


_SYSTEM = frozenset({"apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})
_DEP_MANAGERS = frozenset({"pip", "uv", "poetry", "pipenv", "conda", "npm", "yarn", "pnpm", "gem", "bundle",
                           "go", "cargo", "maven", "gradle"})
_DEP_ACTIONS = frozenset({"install", "ci", "download", "create"})


def _is_manifest_name(src: str) -> bool:
    if "$" in src or "://" in src or src.startswith("<<"):
        return False
    name = posixpath.basename(src.rstrip("/"))
    return name in MANIFEST_NAMES or bool(_REQUIREMENTS_NAME.fullmatch(name)) or name in (".mvn", "gradle")


def _sort_stage(df: Dockerfile, s: int, rs: _Run) -> Dockerfile:
    instrs = list(df.stages[s].instructions)
    if len(instrs) < 2:
        return df
    graph = rs.graph(df)
    n = len(instrs)
    node = [(s, k + 1) for k in range(n)]
    classes = [change_class(ins, graph.nodes[node[k]]) for k, ins in enumerate(instrs)]
    for k, ins in enumerate(instrs):
        if classes[k] == META:
            # metadata a later build step uses (an ENV a RUN reads) stays where it is
            if any(b[0] == s and b[1] - 1 > k and instrs[b[1] - 1].KIND not in METADATA_KINDS
                   for b in graph.successors(node[k])):
                classes[k] = None
        if rs.ctx.is_skipped(ins):
            classes[k] = None
    order: list[int] = []
    segment: list[int] = []
    for k in range(n):
        if classes[k] is None:
            order.extend(_topo(segment, classes, graph, node))
            order.append(k)
            segment = []
        else:
            segment.append(k)
    order.extend(_topo(segment, classes, graph, node))
    if order == list(range(n)):
        return df
    _report(instrs, order, classes, rs.ctx)
    stage = df.stages[s]
    return replace_stage(df, s, stage.edit(instructions=tuple(instrs[k] for k in order)))


def _topo(segment: list[int], classes, graph, node) -> list[int]:
    """Kahn's algorithm, always taking the ready instruction of lowest (class, original position)."""
    preds = {k: {p for p in segment if p < k and graph.has_edge(node[p], node[k])} for k in segment}
    placed: list[int] = []
    done: set[int] = set()
    remaining = list(segment)
    while remaining:
        ready = [k for k in remaining if preds[k] <= done]
        pick = min(ready, key=lambda k: (classes[k], k))
        placed.append(pick)
        done.add(pick)
        remaining.remove(pick)
    return placed


def _report(instrs, order, classes, ctx) -> None:
    """One diagnostic per instruction that moved: earlier past a step that changes more often, or metadata last."""
    position = {k: pos for pos, k in enumerate(order)}
    for pos, k in enumerate(order):
        ins = instrs[k]
        if classes[k] == META:
            passed = [x for x in order[:pos] if x > k]
            if passed:
                last = max(passed, key=position.get)
                ctx.changed(f"moved {_where(ins)} after {_where(instrs[last])} (metadata goes last)", ins.span)
            continue
        jumped = [x for x in order[pos + 1:] if x < k and classes[x] != META]
        if jumped:
            first = min(jumped, key=position.get)
            ctx.changed(f"moved {_where(ins)} before {_where(instrs[first])} ({CLASS_NAMES[classes[k]]} before "
                        f"{CLASS_NAMES[classes[first]]})", ins.span)
