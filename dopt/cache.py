"""Build-cache behaviour measured on a real engine: ``dopt cache``.

:func:`measure` builds the Dockerfile twice with BuildKit in a temporary copy
of the context: cold (``--no-cache``), then after a one-line edit of a source
file the Dockerfile copies. The second build's step events say which steps the
cache served, where the first miss is and why, and how much time copying the
dependency manifests first would save. :func:`analyze_events` is the same
analysis over events already recorded (no engine), :func:`find_breakers` the
static part (no build at all), :func:`recommend_dockerignore` the context scan.

Example (the analysis of two recorded builds; ``measure`` does the builds)::

    >>> from dopt.frontend import parse_text
    >>> from dopt.engine.events import parse_buildkit
    >>> df = parse_text("FROM python:3.11\\nWORKDIR /app\\nCOPY . .\\nRUN pip install -r requirements.txt\\n")
    >>> warm = parse_buildkit("#1 [1/4] FROM docker.io/library/python:3.11\\n#1 CACHED\\n"
    ...     "#2 [2/4] WORKDIR /app\\n#2 CACHED\\n#3 [3/4] COPY . .\\n#3 DONE 0.1s\\n"
    ...     "#4 [4/4] RUN pip install -r requirements.txt\\n#4 DONE 41.0s\\n")
    >>> report = analyze_events(df, warm, warm, changed_file="app/main.py")
    >>> report.first_miss.instruction, report.cause.code, report.estimated_saved_s
    ('COPY . .', 'context-copy-before-deps', 41.0)
    >>> round(report.hit_rate)
    33

Conventions: ``FROM`` steps are not counted (BuildKit reports a local base as
resolved, not cached); steps are in Dockerfile order; a step's cause names
the Dockerfile line it comes from.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from dopt.errors import DoptError, UsageError

SCHEMA = "dopt.cache/1"

# Files whose change *should* reinstall dependencies: never the file we edit.
MANIFEST_NAMES = {
    "requirements.txt", "constraints.txt", "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock",
    "setup.py", "setup.cfg", "uv.lock", "package.json", "package-lock.json", "npm-shrinkwrap.json",
    "yarn.lock", "pnpm-lock.yaml", ".npmrc", ".yarnrc", ".yarnrc.yml", "go.mod", "go.sum", "pom.xml",
    "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "gradle.properties",
    "Cargo.toml", "Cargo.lock", "Gemfile", "Gemfile.lock", "composer.json", "composer.lock",
    "mix.exs", "mix.lock", "environment.yml", "Dockerfile", ".dockerignore",
}
_MANIFEST_GLOBS = ("requirements*.txt", "constraints*.txt", "*.Dockerfile", "*.dockerignore", "*.csproj")

# Source extensions we edit, best first, with the line comment that keeps them valid.
EDITABLE = [
    (".py", "#"), (".js", "//"), (".ts", "//"), (".mjs", "//"), (".cjs", "//"), (".java", "//"),
    (".go", "//"), (".kt", "//"), (".rs", "//"), (".rb", "#"), (".php", "//"), (".c", "//"),
    (".cc", "//"), (".cpp", "//"), (".h", "//"), (".cs", "//"), (".scala", "//"), (".sh", "#"),
    (".txt", "#"), (".md", ""), (".yaml", "#"), (".yml", "#"), (".toml", "#"), (".properties", "#"),
    (".html", "<!-- -->"), (".css", "/* */"),
]
PROBE_TEXT = "dopt cache probe: a one-line source change"

# Build-arg names whose value is different on every build (CI passes them fresh).
VOLATILE_ARG = re.compile(r"(DATE|TIME|STAMP|COMMIT|SHA|REVISION|\bREV\b|VCS_REF|GIT_|BUILD_(ID|NUMBER)|"
                          r"CACHE_?BUST|NONCE|RANDOM)", re.I)
# Commands that compute such values inside a RUN.
VOLATILE_COMMAND = re.compile(r"\$\(\s*date\b|`\s*date\b|\bdate\s+\+|git\s+(rev-parse|describe|log)\b|"
                              r"\$RANDOM|uuidgen|/proc/sys/kernel/random/uuid")

DEPENDENCY_ACTIONS = frozenset({"install", "ci", "download"})

# The step title BuildKit prints: "[stage 2/9]", padded "[ 2/10]" / "[builder  2/10]".
_TITLE = re.compile(r"^\[(?:(?P<stage>[^\]\s]+) +)?\s*(?P<step>\d+)/(?P<total>\d+)\] (?P<instr>.*)$")
_VERTEX_KINDS = ("FROM", "RUN", "COPY", "ADD", "WORKDIR")


# ---------------------------------------------------------------------------
# Results


@dataclass
class Step:
    """One Dockerfile step of the measured (second) build."""

    index: int                    # 1-based, Dockerfile order
    stage: str | None             # as BuildKit names it (None in a one-stage file)
    instruction: str              # as BuildKit printed it
    kind: str                     # RUN, COPY, ADD, WORKDIR, FROM
    line: int | None              # Dockerfile line, when mapped
    cached: bool
    duration_s: float             # of the second build (0.0 when cached)
    cold_duration_s: float | None = None
    dependency_install: bool = False
    node: object = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"index": self.index, "stage": self.stage, "line": self.line, "instruction": self.instruction,
                "kind": self.kind, "cached": self.cached, "duration_s": round(self.duration_s, 3),
                "cold_duration_s": None if self.cold_duration_s is None else round(self.cold_duration_s, 3),
                "dependency_install": self.dependency_install}


@dataclass
class Cause:
    """Why a step missed the cache (``code`` is stable, ``message`` for people)."""

    code: str
    message: str
    recommendation: str = ""
    line: int | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "recommendation": self.recommendation,
                "line": self.line}


@dataclass
class Breaker:
    """A statically found cache breaker (no build needed)."""

    code: str
    line: int | None
    instruction: str
    reason: str
    recommendation: str

    def to_dict(self) -> dict:
        return {"code": self.code, "line": self.line, "instruction": self.instruction, "reason": self.reason,
                "recommendation": self.recommendation}


@dataclass
class IgnoreAdvice:
    """One recommended ``.dockerignore`` pattern and what it keeps out of the context."""

    pattern: str
    reason: str
    files: int
    bytes: int
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"pattern": self.pattern, "reason": self.reason, "files": self.files, "bytes": self.bytes,
                "examples": list(self.examples)}


@dataclass
class CacheReport:
    """Everything ``dopt cache`` found; ``to_dict()`` is the ``dopt.cache/1`` JSON."""

    dockerfile: str
    context: str
    changed_file: str | None
    steps: list[Step]
    first_miss: Step | None = None
    cause: Cause | None = None
    estimated_saved_s: float = 0.0
    breakers: list[Breaker] = field(default_factory=list)
    dockerignore: list[IgnoreAdvice] = field(default_factory=list)
    ignore_file: str | None = None
    warnings: list[str] = field(default_factory=list)
    cold_seconds: float | None = None
    warm_seconds: float | None = None
    backend: str = ""
    simulated_args: list[str] = field(default_factory=list)
    logs: tuple[str, str] = field(default=("", ""), repr=False)  # the two builds' progress output

    @property
    def hit_rate(self) -> float:
        """Percent of the second build's steps the cache served (FROM not counted)."""
        counted = [s for s in self.steps if s.kind != "FROM"]
        return 100.0 * sum(s.cached for s in counted) / len(counted) if counted else 0.0

    @property
    def rebuilt(self) -> list[Step]:
        return [s for s in self.steps if s.kind != "FROM" and not s.cached]

    def step_at_line(self, line: int) -> Step | None:
        return next((s for s in self.steps if s.line == line), None)

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "dockerfile": self.dockerfile,
            "context": self.context,
            "backend": self.backend,
            "changed_file": self.changed_file,
            "simulated_build_args": list(self.simulated_args),
            "cold_seconds": None if self.cold_seconds is None else round(self.cold_seconds, 2),
            "warm_seconds": None if self.warm_seconds is None else round(self.warm_seconds, 2),
            "cache_hit_rate": round(self.hit_rate, 1),
            "steps": [s.to_dict() for s in self.steps],
            "first_miss": self.first_miss.to_dict() if self.first_miss else None,
            "cause": self.cause.to_dict() if self.cause else None,
            "estimated_saved_s": round(self.estimated_saved_s, 2),
            "breakers": [b.to_dict() for b in self.breakers],
            "ignore_file": self.ignore_file,
            "dockerignore": [a.to_dict() for a in self.dockerignore],
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------
# Dockerfile facts


def _stage_labels(df) -> list[str | None]:
    """BuildKit's name for each stage in progress titles."""
    if len(df.stages) == 1:
        return [None]
    return [s.name or f"stage-{i}" for i, s in enumerate(df.stages)]


def _script(ins):
    from dopt.ir import Run, ShellForm
    from dopt.shell import parse_script

    if isinstance(ins, Run) and isinstance(ins.command, ShellForm):
        try:
            return parse_script(ins.command.text)
        except DoptError:
            return None
    return None


def _run_text(ins) -> str:
    from dopt.ir import ExecForm, Run

    if not isinstance(ins, Run):
        return ""
    if isinstance(ins.command, ExecForm):
        return " ".join(ins.command.args)
    return ins.command.text


def _ops(ins) -> tuple:
    from dopt.packages import package_ops

    script = _script(ins)
    return package_ops(script) if script is not None else ()


def is_dependency_install(ins) -> bool:
    """Whether a RUN installs packages (apt, pip, npm, go mod download, ...).

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("FROM x\\nRUN npm ci\\nRUN npm run build\\n")
    >>> [is_dependency_install(i) for i in df.stages[0].instructions]
    [True, False]
    """
    return any(op.action in DEPENDENCY_ACTIONS for op in _ops(ins))


def _is_lone_apt_update(ins) -> bool:
    ops = _ops(ins)
    return any(o.manager == "apt" and o.action == "update" for o in ops) and \
        not any(o.manager == "apt" and o.action == "install" for o in ops)


def _context_sources(ins) -> tuple[str, ...]:
    """The context paths a COPY/ADD reads (none for --from, heredocs and URLs)."""
    from dopt.ir import CopyLike

    if not isinstance(ins, CopyLike) or ins.from_stage is not None:
        return ()
    openers = {h.opener for h in ins.heredocs}
    return tuple(s for s in ins.sources if "://" not in s and not s.startswith("<<") and s not in openers
                 and not s.startswith("git@"))


def _is_whole_context(source: str) -> bool:
    return posixpath.normpath(source.strip() or ".") in (".", "/", "*", "./*")


def _urls(ins) -> list[str]:
    from dopt.ir import Add

    return [s for s in ins.sources if "://" in s or s.startswith("git@")] if isinstance(ins, Add) else []


def _instr_text(ins) -> str:
    from dopt.printer import print_instruction

    text = ins.source if ins.source is not None else print_instruction(ins)
    lines = [l.strip() for l in text.strip().splitlines()]
    return " ".join(l.rstrip("\\").strip() for l in lines if l and not l.startswith("#"))


def _line(ins) -> int | None:
    return ins.span.start_line if getattr(ins, "span", None) else None


def _arg_scope(df, stage_index: int, upto) -> list[tuple[str, object]]:
    """ARGs declared in the stage before ``upto`` (name, Arg node); only these reach a RUN's env."""
    from dopt.ir import Arg

    out = []
    for ins in df.stages[stage_index].instructions:
        if ins is upto:
            break
        if isinstance(ins, Arg):
            for decl in ins.decls:
                out.append((decl.name, ins))
    return out


def volatile_args(df) -> list[str]:
    """Names of declared ARGs that look like per-build values (BUILD_DATE, GIT_COMMIT, ...).

    >>> from dopt.frontend import parse_text
    >>> volatile_args(parse_text("FROM x\\nARG GIT_SHA\\nARG PY=3.11\\nRUN echo $GIT_SHA\\n"))
    ['GIT_SHA']
    """
    from dopt.ir import Arg

    names = []
    for ins in df.instructions():
        if isinstance(ins, Arg):
            for decl in ins.decls:
                if VOLATILE_ARG.search(decl.name) and decl.name not in names:
                    names.append(decl.name)
    return names


# ---------------------------------------------------------------------------
# Events -> steps


def _event_title(event) -> tuple[str | None, int, int, str] | None:
    """(stage, step, total, instruction) of an event; recovers titles BuildKit pads (``[ 2/10]``)."""
    if event.step is not None:
        return event.stage, event.step, event.total, event.instruction
    m = _TITLE.match(event.instruction)
    if not m:
        return None
    return m["stage"], int(m["step"]), int(m["total"]), m["instr"].strip()


def _vertex_nodes(df) -> dict[tuple[str | None, int], tuple[int, object]]:
    """(stage label, step number) -> (stage index, instruction) as BuildKit numbers steps."""
    out = {}
    for index, (label, stage) in enumerate(zip(_stage_labels(df), df.stages)):
        n = 0
        for ins in stage.all():
            if ins.KIND in _VERTEX_KINDS:
                n += 1
                out[(label, n)] = (index, ins)
    return out


def _keyword(text: str) -> str:
    return text.split(None, 1)[0].upper() if text.strip() else ""


def steps_from_events(df, events, cold_events=None) -> list[Step]:
    """The Dockerfile steps of ``events`` in file order, mapped to instructions.

    ``cold_events`` (the first build) supplies ``cold_duration_s``.

    >>> from dopt.frontend import parse_text
    >>> from dopt.engine.events import parse_buildkit
    >>> df = parse_text("FROM debian\\nRUN make\\n")
    >>> [(s.kind, s.line, s.cached) for s in steps_from_events(df, parse_buildkit(
    ...     "#1 [1/2] FROM docker.io/library/debian\\n#1 CACHED\\n#2 [2/2] RUN make\\n#2 DONE 3.0s\\n"))]
    [('FROM', 1, True), ('RUN', 2, False)]
    """
    nodes = _vertex_nodes(df)
    cold = {}
    for e in cold_events or ():
        t = _event_title(e)
        if t and not e.cached:  # a step the first build took from the cache has no cold timing
            cold[(t[0], t[1])] = e.duration_s
    order = {label: i for i, label in enumerate(_stage_labels(df))}
    rows = []
    seen = set()
    for e in events:
        t = _event_title(e)
        if t is None:
            continue
        stage, step, _total, instr = t
        key = (stage, step)
        if key in seen:
            continue
        seen.add(key)
        stage_index, node = nodes.get(key, (order.get(stage, len(order)), None))
        if node is not None and node.KIND != _keyword(instr):
            node = None  # the numbering did not line up (ONBUILD triggers, a newer frontend)
        kind = node.KIND if node is not None else _keyword(instr)
        rows.append(((stage_index, step), Step(
            index=0, stage=stage, instruction=instr, kind=kind, line=_line(node) if node is not None else None,
            cached=e.cached, duration_s=0.0 if e.cached else float(e.duration_s or 0.0),
            cold_duration_s=cold.get(key), dependency_install=node is not None and is_dependency_install(node),
            node=node)))
    rows.sort(key=lambda r: r[0])
    steps = [s for _, s in rows]
    for i, s in enumerate(steps, 1):
        s.index = i
    return steps


# ---------------------------------------------------------------------------
# Causes


def _copies_path(ins, rel: str | None) -> bool:
    """Whether a context COPY/ADD's sources cover context path ``rel``."""
    if rel is None:
        return False
    rel = rel.strip("/")
    for src in _context_sources(ins):
        s = posixpath.normpath(src.lstrip("/")) if src.strip("/") else "."
        if s in (".", "*"):
            return True
        if rel == s or rel.startswith(s.rstrip("/") + "/") or fnmatch.fnmatchcase(rel, s):
            return True
        # a glob on the directory part (src/*.py matched against src/a.py)
        if any(ch in s for ch in "*?[") and fnmatch.fnmatchcase(rel.split("/")[0], s.split("/")[0]) and \
                fnmatch.fnmatchcase(rel, s + "/*"):
            return True
    return False


def _later_dependency_installs(df, stage_index: int, ins) -> list:
    after = False
    out = []
    for other in df.stages[stage_index].instructions:
        if other is ins:
            after = True
            continue
        if after and is_dependency_install(other):
            out.append(other)
    return out


def _manifests_read(df, installs) -> list[str]:
    files: list[str] = []
    for ins in installs:
        for op in _ops(ins):
            for f in op.reads_files:
                if f not in files and f not in (".", "./"):
                    files.append(f)
    return files


def classify_miss(df, step: Step, *, changed_file: str | None = None, changed_args: dict | None = None) -> Cause:
    """Why ``step`` (the first miss of a build) was rebuilt.

    ``changed_file`` is the context path edited between the builds and
    ``changed_args`` the build args whose value differed.

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("FROM x\\nADD https://example.com/a.tgz /a.tgz\\n")
    >>> node = df.stages[0].instructions[0]
    >>> classify_miss(df, Step(1, None, "ADD ...", "ADD", 2, False, 1.0, node=node)).code
    'add-url'
    """
    from dopt.ir import Copy, CopyLike, Run

    ins = step.node
    line = step.line
    if ins is None:
        return Cause("unmapped", f"step {step.instruction!r} could not be matched to a Dockerfile line", line=line)
    stage_index = next(i for i, s in enumerate(df.stages) if any(x is ins for x in s.all()))
    if _urls(ins):
        return Cause("add-url", f"ADD of a URL ({_urls(ins)[0]}) is fetched again on every build; when the "
                     "download differs, it and every later step rebuild",
                     "download in a RUN with a pinned version and checksum (curl + sha256sum), or "
                     "ADD --checksum=sha256:...", line)
    if isinstance(ins, CopyLike) and ins.from_stage is None:
        sources = _context_sources(ins)
        if _copies_path(ins, changed_file):
            installs = _later_dependency_installs(df, stage_index, ins)
            whole = any(_is_whole_context(s) for s in sources)
            if installs and whole:
                manifests = _manifests_read(df, installs)
                first = installs[0]
                shown = ", ".join(manifests) if manifests else "the dependency manifests"
                return Cause(
                    "context-copy-before-deps",
                    f"`{_instr_text(ins)}` copies the whole context before the dependency installation "
                    f"at line {_line(first)} (`{_instr_text(first)[:60]}`): editing {changed_file} "
                    "reinstalls every dependency",
                    f"COPY {shown} first, install, then COPY the rest (pass `reorder`)", line)
            if installs:
                return Cause(
                    "copy-before-deps",
                    f"`{_instr_text(ins)}` copies {changed_file} before the dependency installation at line "
                    f"{_line(installs[0])}", "copy only the manifests before installing (pass `reorder`)", line)
            return Cause("changed-file", f"`{_instr_text(ins)}` copies the edited file {changed_file}: this "
                         "miss is expected, and only what follows it rebuilds", "", line)
        if any(s.rstrip("/") in (".git", ".hg", ".svn") for s in sources):
            return Cause("vcs-copied", "the VCS folder is copied: every commit changes it",
                         "keep .git out of the image (.dockerignore) and pass the commit as a LABEL", line)
    if isinstance(ins, Run):
        scope = _arg_scope(df, stage_index, ins)
        for name, arg in scope:
            if changed_args and name in changed_args:
                volatile = bool(VOLATILE_ARG.search(name))
                return Cause(
                    "volatile-build-arg" if volatile else "build-arg",
                    f"ARG {name} (line {_line(arg)}) had a different value in this build; every RUN after the "
                    "ARG in its stage gets it in its environment and rebuilds"
                    + (" — a date or commit hash is new on every build" if volatile else ""),
                    f"declare ARG {name} just before the one step that needs it (a LABEL at the end of the "
                    "final stage needs no RUN), or stop passing it on every build", _line(arg))
        if _is_lone_apt_update(ins):
            return Cause("apt-update-alone", "`apt-get update` alone in a layer is rebuilt or reused "
                         "independently of the install that needs it",
                         "join it with the `apt-get install` in one RUN (pass `fuse`)", line)
    if isinstance(ins, Copy) and ins.from_stage is not None:
        return Cause("upstream-stage", f"stage {ins.from_stage} changed, so its output was copied again", "", line)
    return Cause("upstream", "an earlier step or a changed input invalidated this step", "", line)


# ---------------------------------------------------------------------------
# Static breakers


def find_breakers(df, context: str | os.PathLike | None = None) -> list[Breaker]:
    """Cache breakers visible in the Dockerfile (and context) without building.

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("FROM python:3.11\\nRUN apt-get update\\nCOPY . .\\nRUN pip install -r requirements.txt\\n")
    >>> [b.code for b in find_breakers(df)]
    ['apt-update-alone', 'context-copy-before-deps']
    """
    from dopt.ir import CopyLike, Run

    out: list[Breaker] = []
    for index, stage in enumerate(df.stages):
        for ins in stage.instructions:
            text = _instr_text(ins)
            if isinstance(ins, CopyLike):
                if _urls(ins):
                    out.append(Breaker("add-url", _line(ins), text,
                                       "ADD of a URL is fetched on every build; a changed download rebuilds it "
                                       "and everything after it",
                                       "RUN curl with a pinned version and a checksum, or ADD --checksum"))
                sources = _context_sources(ins)
                if any(_is_whole_context(s) for s in sources):
                    installs = _later_dependency_installs(df, index, ins)
                    if installs:
                        manifests = _manifests_read(df, installs)
                        out.append(Breaker(
                            "context-copy-before-deps", _line(ins), text,
                            f"copies the whole context before the dependency installation at line "
                            f"{_line(installs[0])}: any source edit reinstalls every dependency",
                            f"COPY {', '.join(manifests) or 'the dependency manifests'} first, install, then "
                            "COPY the rest (pass `reorder`)"))
                    if context is not None and _vcs_sent(context):
                        out.append(Breaker("vcs-copied", _line(ins), text,
                                           "the context includes .git: every commit changes what this copies",
                                           "add .git to .dockerignore"))
            elif isinstance(ins, Run):
                if _is_lone_apt_update(ins):
                    out.append(Breaker("apt-update-alone", _line(ins), text,
                                       "apt-get update in its own layer is cached apart from the install: a "
                                       "changed install line reuses stale package lists",
                                       "join it with apt-get install in one RUN (pass `fuse`)"))
                if VOLATILE_COMMAND.search(_run_text(ins)):
                    out.append(Breaker("volatile-value", _line(ins), text,
                                       "computes a date or commit hash: the value is frozen in the cached layer, "
                                       "and passing it in instead (a build arg) would rebuild every time",
                                       "pass it as a build arg consumed by a LABEL at the end of the final stage"))
            from dopt.ir import Arg

            if isinstance(ins, Arg):
                for decl in ins.decls:
                    if VOLATILE_ARG.search(decl.name):
                        later_runs = [i for i in stage.instructions[stage.instructions.index(ins) + 1:]
                                      if isinstance(i, Run)]
                        if later_runs:
                            out.append(Breaker(
                                "volatile-build-arg", _line(ins), text,
                                f"ARG {decl.name} looks like a per-build value (date, commit); every RUN after "
                                f"it ({len(later_runs)} here) rebuilds when it changes",
                                "declare it after the last RUN (e.g. for a LABEL), not before the build steps"))
    out.sort(key=lambda b: (b.line or 0, b.code))
    return out


def _vcs_sent(context) -> bool:
    from dopt.dockerignore import BuildContext

    try:
        ctx = BuildContext(context)
    except DoptError:
        return False
    return any(ctx.exists(v) and not ctx.is_excluded(v) for v in (".git", ".hg", ".svn"))


# ---------------------------------------------------------------------------
# .dockerignore


# (name, kind, reason); kind "dir" needs a directory, "file" a file, "glob" a basename pattern.
IGNORE_RULES = [
    (".git", "dir", "version control history"), (".hg", "dir", "version control history"),
    (".svn", "dir", "version control history"), ("node_modules", "dir", "installed by npm in the image"),
    (".venv", "dir", "a local virtualenv"), ("venv", "venv", "a local virtualenv"),
    ("env", "venv", "a local virtualenv"), ("__pycache__", "dir", "Python bytecode cache"),
    ("*.pyc", "glob", "Python bytecode"), (".pytest_cache", "dir", "test cache"),
    (".mypy_cache", "dir", "type-checker cache"), (".ruff_cache", "dir", "linter cache"),
    (".tox", "dir", "test environments"), (".nox", "dir", "test environments"),
    (".cache", "dir", "tool caches"), (".gradle", "dir", "Gradle cache"), (".nyc_output", "dir", "coverage data"),
    ("coverage", "dir", "coverage reports"), ("htmlcov", "dir", "coverage reports"),
    (".coverage", "file", "coverage data"), ("dist", "dir", "build output"), ("build", "dir", "build output"),
    ("target", "dir", "build output"), ("*.egg-info", "glob-dir", "build metadata"),
    (".next", "dir", "build output"), (".idea", "dir", "editor settings"), (".vscode", "dir", "editor settings"),
    (".DS_Store", "file", "Finder metadata"), ("*.log", "glob", "log files"), ("*.swp", "glob", "editor swap files"),
    (".env", "file", "secrets (environment file)"), (".env.*", "glob", "secrets (environment file)"),
    ("*.pem", "glob", "keys and certificates"), ("*.key", "glob", "private keys"),
    ("id_rsa", "file", "SSH private key"), ("id_ed25519", "file", "SSH private key"),
    ("id_ecdsa", "file", "SSH private key"), (".npmrc", "secret-file", "may hold a registry token"),
]
_KEEP_ENV = {".env.example", ".env.sample", ".env.template", ".env.dist"}


def _rule_hits(root: Path, name: str, kind: str) -> list[str]:
    """Context paths (relative, slash) the rule is about; not descending into what it finds."""
    hits = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel = (lambda n: n if rel_dir == "." else f"{rel_dir}/{n}")
        keep = []
        for d in sorted(dirnames):
            if kind in ("dir", "glob-dir") and fnmatch.fnmatchcase(d, name):
                hits.append(rel(d))
            elif kind == "venv" and d == name and (Path(dirpath, d, "pyvenv.cfg").is_file()):
                hits.append(rel(d))
            elif d in (".git", "node_modules", ".venv") and not (kind == "dir" and name == d):
                continue  # nothing interesting below these for other rules
            else:
                keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if kind == "file" and f == name:
                hits.append(rel(f))
            elif kind == "secret-file" and f == name and "_authToken" in _read_small(Path(dirpath, f)):
                hits.append(rel(f))
            elif kind == "glob" and fnmatch.fnmatchcase(f, name) and f not in _KEEP_ENV:
                hits.append(rel(f))
    return hits


def _read_small(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(65536)
    except OSError:
        return ""


def _size_of(path: Path) -> tuple[int, int]:
    if path.is_file() or path.is_symlink():
        try:
            return 1, path.lstat().st_size
        except OSError:
            return 1, 0
    files = total = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            files += 1
            try:
                total += os.lstat(os.path.join(dirpath, n)).st_size
            except OSError:
                pass
    return files, total


def _explicit_sources(df) -> list[str]:
    """Context paths COPY/ADD name explicitly (not the whole context): never recommended away."""
    out = []
    for ins in df.instructions() if df is not None else ():
        for s in _context_sources(ins):
            if not _is_whole_context(s):
                out.append(posixpath.normpath(s.lstrip("/")))
    return out


def recommend_dockerignore(context: str | os.PathLike, df=None, dockerfile: str | None = None) -> list[IgnoreAdvice]:
    """``.dockerignore`` patterns for what the context holds and the image does not need.

    Patterns are checked with Docker's matcher (:mod:`dopt.dockerignore`); a
    path the ignore file already excludes, or one the Dockerfile copies by
    name, is not recommended.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / ".git").mkdir(); (d / "pkg" / "__pycache__").mkdir(parents=True)
    >>> _ = (d / ".env").write_text("TOKEN=x\\n"); _ = (d / "pkg" / "__pycache__" / "m.pyc").write_bytes(b"0")
    >>> [a.pattern for a in recommend_dockerignore(d)]
    ['.git', '**/__pycache__', '.env']
    """
    from dopt.dockerignore import BuildContext, PatternMatcher

    root = Path(context)
    try:
        ctx = BuildContext(root, dockerfile)
    except DoptError:
        raise
    explicit = _explicit_sources(df)
    out: list[IgnoreAdvice] = []
    recommended: list[str] = []
    for name, kind, reason in IGNORE_RULES:
        covered = PatternMatcher(recommended) if recommended else None
        hits = [h for h in _rule_hits(root, name, kind) if not ctx.is_excluded(h)
                and not (covered and covered.matches(h))]
        hits = [h for h in hits if not any(h == e or h.startswith(e + "/") or e.startswith(h + "/")
                                           for e in explicit)]
        if not hits:
            continue
        # `name` alone matches only at the context root; `**/name` at any depth.
        pattern = f"**/{name}" if any("/" in h for h in hits) else name
        matcher = PatternMatcher([pattern])
        if not all(matcher.matches(h) for h in hits):  # our patterns must mean what we say
            raise AssertionError(f"dockerignore pattern {pattern!r} does not match {hits}")
        recommended.append(pattern)
        files = size = 0
        for h in hits:
            f, b = _size_of(root / h)
            files += f
            size += b
        out.append(IgnoreAdvice(pattern, reason, files, size, hits[:3]))
    return out


def ignored_copies(df, context: str | os.PathLike, dockerfile: str | None = None) -> list[str]:
    """Warnings for context files COPY/ADD name that ``.dockerignore`` excludes (the build will not find them).

    >>> import tempfile, pathlib
    >>> from dopt.frontend import parse_text
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "requirements.txt").write_text("x\\n"); _ = (d / ".dockerignore").write_text("*.txt\\n")
    >>> ignored_copies(parse_text("FROM x\\nCOPY requirements.txt .\\n"), d)[0]
    'line 2: COPY requirements.txt: .dockerignore excludes it (pattern *.txt), so the build cannot find it'
    """
    from dopt.dockerignore import BuildContext, matches

    ctx = BuildContext(context, dockerfile)
    if ctx.ignore_file is None:
        return []
    out = []
    for ins in df.instructions():
        for src in _context_sources(ins):
            if _is_whole_context(src):
                continue
            rel = posixpath.normpath(src.lstrip("/"))
            targets = [rel]
            if any(ch in rel for ch in "*?["):
                targets = [p for p in _glob_context(Path(context), rel)]
            for t in targets:
                if not ctx.exists(t) or ctx.includes(t):
                    continue
                patterns = [p for p in ctx.patterns if not p.startswith("!") and matches(t, [p])]
                why = f" (pattern {', '.join(patterns)})" if patterns else ""
                out.append(f"line {_line(ins)}: {ins.KIND} {src}: {ctx.ignore_file.name} excludes "
                           f"{'it' if t == rel else t}{why}, so the build cannot find it")
    return out


def _glob_context(root: Path, pattern: str) -> list[str]:
    found = []
    for p in root.glob(pattern):
        found.append(str(p.relative_to(root)).replace(os.sep, "/"))
    return sorted(found)


# ---------------------------------------------------------------------------
# The file to edit


def _is_manifest(rel: str, extra: set[str]) -> bool:
    base = rel.rsplit("/", 1)[-1]
    return base in MANIFEST_NAMES or rel in extra or base in extra or \
        any(fnmatch.fnmatchcase(base, g) for g in _MANIFEST_GLOBS)


def copied_files(df, context: str | os.PathLike, dockerfile: str | None = None) -> list[str]:
    """Context files (not ignored) that some COPY/ADD of ``df`` sends to the builder, sorted."""
    from dopt.dockerignore import BuildContext

    ctx = BuildContext(context, dockerfile)
    out: set[str] = set()
    for ins in df.instructions():
        for src in _context_sources(ins):
            rel = "." if _is_whole_context(src) else posixpath.normpath(src.lstrip("/"))
            if any(ch in rel for ch in "*?["):
                for m in _glob_context(Path(context), rel):
                    out.update(ctx.files(m))
            elif ctx.exists(rel):
                out.update(ctx.files(rel))
    return sorted(out)


def choose_change(df, context: str | os.PathLike, dockerfile: str | None = None) -> str:
    """The source file to edit: copied by the Dockerfile, not a dependency manifest, best extension first.

    >>> import tempfile, pathlib
    >>> from dopt.frontend import parse_text
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for n in ("requirements.txt", "README.md", "app/main.py"):
    ...     p = d / n; p.parent.mkdir(exist_ok=True); _ = p.write_text("x\\n")
    >>> choose_change(parse_text("FROM x\\nCOPY . .\\nRUN pip install -r requirements.txt\\n"), d)
    'app/main.py'
    """
    reads: set[str] = set()
    for ins in df.instructions():
        for op in _ops(ins):
            reads.update(posixpath.normpath(f) for f in op.reads_files if f not in (".", "./"))
    candidates = [f for f in copied_files(df, context, dockerfile) if not _is_manifest(f, reads)]
    ranked = []
    for f in candidates:
        ext = os.path.splitext(f)[1].lower()
        rank = next((i for i, (e, _c) in enumerate(EDITABLE) if e == ext), None)
        if rank is None:
            continue
        if "/node_modules/" in f"/{f}" or "/." in f"/{f}":
            continue
        ranked.append((rank, f.count("/"), f))
    if not ranked:
        raise UsageError(f"no source file to edit among what the Dockerfile copies from {context} "
                         "(copied files are all manifests or of unknown types): name one with --change FILE")
    return min(ranked)[2]


def apply_change(path: Path, nonce: str = "") -> str:
    """Append one comment line to ``path`` (replacing a hard link, never editing through it); return the line.

    ``nonce`` makes the edit unique: an edit the cache has seen before (the same
    line appended by an earlier run) would be a cache hit, not a change.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.py"; _ = p.write_text("x = 1")
    >>> apply_change(p, "1f"); p.read_text()
    '# dopt cache probe: a one-line source change 1f'
    'x = 1\\n# dopt cache probe: a one-line source change 1f\\n'
    """
    ext = path.suffix.lower()
    probe = f"{PROBE_TEXT} {nonce}".rstrip()
    comment = next((c for e, c in EDITABLE if e == ext), "#")
    if comment == "<!-- -->":
        line = f"<!-- {probe} -->"
    elif comment == "/* */":
        line = f"/* {probe} */"
    elif comment:
        line = f"{comment} {probe}"
    else:
        line = probe
    data = path.read_bytes()
    sep = b"" if not data or data.endswith(b"\n") else b"\n"
    path.unlink()  # the temporary context hard-links the user's files
    path.write_bytes(data + sep + line.encode() + b"\n")
    return line


def _link_or_copy(src, dst, *, follow_symlinks=True):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# ---------------------------------------------------------------------------
# Analysis and measurement


def analyze_events(df, cold_events, warm_events, *, changed_file: str | None = None,
                   changed_args: dict | None = None, context: str | os.PathLike | None = None,
                   dockerfile: str | None = None) -> CacheReport:
    """The cache report of a build (``warm_events``) that followed ``cold_events`` and an edit of ``changed_file``.

    With ``context``, the static findings include the context scan
    (``.dockerignore`` advice and warnings).
    """
    steps = steps_from_events(df, warm_events, cold_events)
    report = CacheReport(dockerfile=dockerfile or (df.path or ""), context=str(context or ""),
                         changed_file=changed_file, steps=steps)
    report.first_miss = next((s for s in steps if s.kind != "FROM" and not s.cached), None)
    if report.first_miss is not None:
        report.cause = classify_miss(df, report.first_miss, changed_file=changed_file, changed_args=changed_args)
        after = False
        saved = 0.0
        for s in steps:
            if s is report.first_miss:
                after = True
                continue
            # Rebuilt installs after the first miss: with the manifests copied first they
            # would have come from the cache (their inputs did not change).
            if after and not s.cached and s.dependency_install and not _install_reads(s.node, changed_file):
                saved += s.duration_s
        if report.cause.code not in ("context-copy-before-deps", "copy-before-deps"):
            saved = 0.0 if report.cause.code == "changed-file" else saved
        report.estimated_saved_s = saved
    report.breakers = find_breakers(df, context)
    if context is not None:
        from dopt.dockerignore import find_ignore_file

        ignore = find_ignore_file(context, dockerfile)
        report.ignore_file = str(ignore) if ignore else None
        report.dockerignore = recommend_dockerignore(context, df, dockerfile)
        report.warnings.extend(ignored_copies(df, context, dockerfile))
    return report


def _install_reads(ins, changed_file: str | None) -> bool:
    """Whether an install step reads the edited file itself (then no ordering would cache it)."""
    if ins is None or changed_file is None:
        return False
    for op in _ops(ins):
        for f in op.reads_files:
            f = posixpath.normpath(f)
            if f in (".", "./") or changed_file == f or changed_file.startswith(f.rstrip("/") + "/"):
                return True
    return False


def measure(dockerfile: str | os.PathLike, context: str | os.PathLike, *, change: str | None = None,
            build_args: dict[str, str] | None = None, engine=None, backend=None, cold: bool = True,
            keep_images: bool = False, progress=None) -> CacheReport:
    """Build cold, edit one copied source file, build again; the report of the second build.

    ``change`` is the context path to edit (default: :func:`choose_change`).
    ``cold=False`` lets the first build use the cache (its timings are then
    not cold ones; the second build is measured the same). Build args that
    look like per-build values (``BUILD_DATE``, ``GIT_COMMIT``) and were not
    given get a new value in each build, as CI gives them.

    >>> report = measure("Dockerfile", ".")              # doctest: +SKIP
    >>> report.cause.code                                 # doctest: +SKIP
    'context-copy-before-deps'
    """
    from dopt.engine.build import build, detect_builder, require_heredocs
    from dopt.engine.client import connect
    from dopt.files import read_dockerfile
    from dopt.frontend import parse_text

    say = progress or (lambda message: None)
    path = str(dockerfile)
    text = read_dockerfile(path)
    df = parse_text(text, path=path)
    ctx_dir = Path(context)
    if not ctx_dir.is_dir():
        raise UsageError(f"build context {context} is not a directory")
    if change is not None:
        rel = posixpath.normpath(str(change).replace(os.sep, "/"))
        if Path(change).is_absolute():
            try:
                rel = str(Path(change).resolve().relative_to(ctx_dir.resolve())).replace(os.sep, "/")
            except ValueError:
                raise UsageError(f"--change {change}: not inside the build context {context}") from None
        if not (ctx_dir / rel).is_file():
            raise UsageError(f"--change {change}: no such file in the build context {context}")
        change = rel
    else:
        change = choose_change(df, ctx_dir, path)

    engine = engine or connect()
    backend = backend or detect_builder()
    if not backend.uses_buildkit:
        from dopt.errors import EngineUnavailable

        raise EngineUnavailable("dopt cache reads BuildKit's step events, and only the classic builder is "
                                "available: install docker buildx or use a docker CLI that runs BuildKit")
    if any(getattr(i, "heredocs", ()) for i in df.instructions()):
        require_heredocs(backend)

    given = dict(build_args or {})
    simulated = [n for n in volatile_args(df) if n not in given]
    stamp = f"{time.time_ns():x}"
    cold_args = {**given, **{n: f"dopt-cache-{stamp}-1" for n in simulated}}
    warm_args = {**given, **{n: f"dopt-cache-{stamp}-2" for n in simulated}}
    images = []
    with tempfile.TemporaryDirectory(prefix="dopt-cache-") as tmp:
        work = Path(tmp, "context")
        shutil.copytree(ctx_dir, work, symlinks=True, copy_function=_link_or_copy)
        say(f"cold build ({'--no-cache' if cold else 'cache allowed'}, {backend.describe()})")
        first = build(path, work, None, build_args=cold_args, no_cache=cold, backend=backend, engine=engine)
        images.append(first.image_id)
        apply_change(work / change, stamp)
        say(f"edited {change}; building again")
        second = build(path, work, None, build_args=warm_args, backend=backend, engine=engine)
        images.append(second.image_id)
    if not keep_images:
        for image_id in dict.fromkeys(images):
            try:
                engine.remove(image_id)
            except DoptError:
                pass  # tagged elsewhere or in use: leave it
    changed_args = {n: warm_args[n] for n in simulated}
    report = analyze_events(df, first.events, second.events, changed_file=change, changed_args=changed_args,
                            context=ctx_dir, dockerfile=path)
    report.cold_seconds = first.duration_s
    report.warm_seconds = second.duration_s
    report.backend = backend.kind
    report.simulated_args = simulated
    report.logs = (first.log, second.log)
    return report


def measure_rebuild_times(dockerfile: str | os.PathLike, context: str | os.PathLike, *, engine=None,
                          backend=None) -> dict[int, float]:
    """``{step index: seconds}`` of one ``--no-cache`` build (steps in Dockerfile order, FROM included).

    >>> measure_rebuild_times("Dockerfile", ".")    # doctest: +SKIP
    {1: 0.0, 2: 4.5, 3: 41.2}
    """
    from dopt.engine.build import build
    from dopt.files import read_dockerfile
    from dopt.frontend import parse_text

    df = parse_text(read_dockerfile(str(dockerfile)), path=str(dockerfile))
    result = build(dockerfile, context, None, no_cache=True, backend=backend, engine=engine)
    return {s.index: s.duration_s for s in steps_from_events(df, result.events)}


# ---------------------------------------------------------------------------
# Text


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def render_text(report: CacheReport) -> str:
    """The terminal report (plain text; one step a line)."""
    lines = [f"Build cache: {report.dockerfile} (context {report.context})"]
    if report.changed_file:
        lines.append(f"After a one-line change to {report.changed_file}:")
    if report.simulated_args:
        lines.append(f"  (build args {', '.join(report.simulated_args)} given a new value per build, as CI does)")
    width = max((len(s.instruction) for s in report.steps), default=0)
    width = min(width, 64)
    for s in report.steps:
        if s.kind == "FROM":
            status = "base"
        else:
            status = "CACHED " if s.cached else "REBUILT"
        timing = "" if s.cached or s.kind == "FROM" else f"{s.duration_s:7.1f}s"
        cold = f"  (cold {s.cold_duration_s:.1f}s)" if s.cold_duration_s is not None and s.kind != "FROM" else ""
        where = f"{s.line:>3}" if s.line else "  ?"
        instr = s.instruction if len(s.instruction) <= width else s.instruction[:width - 1] + "…"
        lines.append(f"  {where}  {status}  {instr:<{width}} {timing}{cold}")
    lines.append(f"Cache hit rate:   {report.hit_rate:.0f}% of {len([s for s in report.steps if s.kind != 'FROM'])} "
                 "steps")
    if report.cold_seconds is not None:
        lines.append(f"Build time:       cold {report.cold_seconds:.1f}s, after the change {report.warm_seconds:.1f}s")
    if report.first_miss is not None:
        lines.append(f"First miss:       line {report.first_miss.line or '?'}: {report.first_miss.instruction}")
        if report.cause:
            lines.append(f"  cause: {report.cause.message}")
            if report.cause.recommendation:
                lines.append(f"  fix:   {report.cause.recommendation}")
    else:
        lines.append("First miss:       none (every step came from the cache)")
    lines.append(f"Time saved with dependency-first order: ~{report.estimated_saved_s:.1f}s per source edit")
    if report.breakers:
        lines.append("")
        lines.append("Cache breakers:")
        for b in report.breakers:
            lines.append(f"  line {b.line}: {b.reason}")
            lines.append(f"           → {b.recommendation}")
    if report.dockerignore:
        lines.append("")
        where = report.ignore_file or ".dockerignore (none yet)"
        lines.append(f"Add to {where}:")
        for a in report.dockerignore:
            lines.append(f"  {a.pattern:<18} # {a.reason}: {a.files} files, {_mb(a.bytes)}")
    if report.warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  ⚠ {w}" for w in report.warnings)
    return "\n".join(lines)
