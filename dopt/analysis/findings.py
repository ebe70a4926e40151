"""Findings: what ``dopt analyze`` reports about a Dockerfile, with stable rule IDs.

Each rule is declared header first, hadolint-style -- ID, default severity, title, the pass that
fixes it, the hadolint / BuildKit-check equivalents -- and its check follows the header. Every
check reads the same precomputed :class:`Facts` (each RUN is shell-parsed once, before any rule
runs) and emits :class:`Finding` s through :meth:`Facts.emit`, which locates them exactly: a
finding about one command of a long ``RUN`` points at the physical line (and column) where that
command is written, not at the RUN's first line.

Savings are *estimates*: base-image swaps use the base-image table (``dopt/data/base_images.toml``,
compressed linux/amd64 sizes), caches use the heuristic sizes in :data:`CACHE_HEURISTIC_MB`; only
findings from a built image (``--build``) carry measured figures. ``savings_basis`` says which.

Example::

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("FROM debian:bookworm\\nRUN apt-get update \\\\\\n && apt-get install -y curl\\n")
    >>> [(f.rule, f.line) for f in analyze_dockerfile(df) if f.rule in ("DO201", "DO207")]
    [('DO201', 3), ('DO207', 3)]
"""

from __future__ import annotations

import fnmatch
import re
from typing import Callable, Iterable

import attrs
from attrs import field, frozen

from dopt import ir

# Most severe first; "none" (a threshold only) is below everything.
SEVERITIES = ("error", "warning", "info", "style")
THRESHOLDS = SEVERITIES + ("none",)


def severity_rank(severity: str) -> int:
    """Higher is more severe; ``none`` is 0.

    >>> severity_rank("error") > severity_rank("style") > severity_rank("none")
    True
    """
    return {"error": 4, "warning": 3, "info": 2, "style": 1}.get(severity, 0)


# Heuristic sizes (MB, uncompressed) of what a cache finding would remove; documented in
# docs/OPTIMIZATION_GUIDE.md. They only feed estimates.
CACHE_HEURISTIC_MB = {
    "apt-lists": 20.0,      # Debian bookworm main + updates + security package lists
    "apk-cache": 2.5,       # APKINDEX files of main + community
    "rpm-cache": 80.0,      # yum/dnf repository metadata
    "pip-per-package": 10.0,
    "pip-per-requirements-file": 50.0,
    "npm-cache": 30.0,
    "yarn-cache": 30.0,
}
# Wheels whose download cache is far above the per-package heuristic.
_PIP_LARGE = {"torch": 750.0, "tensorflow": 480.0, "tensorflow-cpu": 200.0, "jaxlib": 80.0,
              "scipy": 38.0, "numpy": 18.0, "pandas": 12.0, "opencv-python": 60.0}
# Installed sizes (MB, Debian bookworm amd64, rounded) of common build tools, for DO102 estimates.
BUILD_TOOL_HEURISTIC_MB = {
    "build-essential": 220.0, "gcc": 100.0, "g++": 60.0, "clang": 300.0, "cmake": 40.0,
    "make": 1.5, "autoconf": 2.0, "automake": 2.0, "pkg-config": 1.0, "git": 40.0,
    "maven": 150.0, "gradle": 200.0, "cargo": 400.0, "rustc": 400.0,
}
_DEV_PACKAGE_MB = 5.0
HEURISTIC_BASIS = "heuristic size (estimate; see docs/OPTIMIZATION_GUIDE.md)"


# --------------------------------------------------------------------------
# Rules and findings


@frozen
class Rule:
    """A rule's header: what it finds, how bad, what fixes it, what other linters call it."""

    id: str
    severity: str
    title: str
    help: str
    fixed_by: str | None = None
    hadolint: tuple[str, ...] = ()
    buildkit: tuple[str, ...] = ()
    needs_build: bool = False
    category: str = "hygiene"

    def to_dict(self) -> dict:
        return {"id": self.id, "severity": self.severity, "title": self.title, "help": self.help,
                "fixed_by": self.fixed_by, "hadolint": list(self.hadolint), "buildkit": list(self.buildkit),
                "needs_build": self.needs_build, "category": self.category}


@frozen(kw_only=True)
class Finding:
    """One finding, located in its file (1-based lines and columns, end inclusive).

    ``savings_mb`` is an estimate unless ``savings_basis`` says "measured"; ``rebuild_seconds`` is
    the measured duration of a step a finding makes re-run needlessly (``--build`` only), with
    ``rebuild_note`` saying what re-runs. ``snippet`` is the offending source line, secrets masked.
    """

    rule: str
    severity: str
    message: str
    path: str | None = None
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    fixed_by: str | None = None
    savings_mb: float | None = None
    savings_basis: str | None = None
    rebuild_seconds: float | None = None
    rebuild_note: str | None = None
    hadolint: tuple[str, ...] = ()
    buildkit: tuple[str, ...] = ()
    snippet: str = ""
    instruction_line: int | None = field(default=None, eq=False)

    def to_dict(self) -> dict:
        """The JSON shape of one finding (``dopt.analyze/1``, docs/REPORTS.md)."""
        return {
            "rule": self.rule, "severity": self.severity, "message": self.message,
            "line": self.line, "column": self.column,
            "end_line": self.end_line if self.end_line is not None else self.line,
            "end_column": self.end_column,
            "fixed_by": self.fixed_by,
            "savings_mb": None if self.savings_mb is None else round(self.savings_mb, 1),
            "savings_basis": self.savings_basis,
            "rebuild_seconds": None if self.rebuild_seconds is None else round(self.rebuild_seconds, 2),
            "rebuild_note": self.rebuild_note,
            "hadolint": list(self.hadolint), "buildkit": list(self.buildkit),
            "snippet": self.snippet,
        }


RULES: dict[str, Rule] = {}
_CHECKS: list[tuple[tuple[Rule, ...], Callable]] = []


def _rule(id: str, severity: str, title: str, help: str, **kw) -> Rule:
    r = Rule(id=id, severity=severity, title=title, help=help, **kw)
    RULES[id] = r
    return r


def _check(*rules: Rule):
    """Register the check that follows as the one that emits ``rules``."""
    def register(fn):
        _CHECKS.append((rules, fn))
        return fn
    return register


def rules_for_hadolint(code: str) -> list[str]:
    """dopt rule IDs equivalent to a hadolint code.

    >>> rules_for_hadolint("DL3009")
    ['DO201']
    """
    return [r.id for r in RULES.values() if code.upper() in r.hadolint]


# --------------------------------------------------------------------------
# Facts: everything the checks read, computed once per Dockerfile


@frozen
class RunFacts:
    """One RUN: its stage, the SHELL in force, its script model and package ops (None when the
    shell is not POSIX or the script is exec form)."""

    ins: ir.Run
    stage: int
    index: int                  # position in the stage's instructions
    posix: bool
    script: object | None       # dopt.shell.Script of the shell text (or of the heredoc body)
    heredoc: int | None         # index of the heredoc whose body is ``script``, else None
    ops: tuple = ()
    mounted: tuple[str, ...] = ()   # cache/tmpfs mount targets: files there never reach the layer

    def is_mounted(self, path: str) -> bool:
        path = path.rstrip("/*") or "/"
        return any(path == t or path.startswith(t.rstrip("/") + "/") for t in self.mounted)

    def has(self, manager: str, *actions: str) -> bool:
        return any(o.manager == manager and (not actions or o.action in actions) for o in self.ops)


class Masker:
    """Replaces secret values (ARG/ENV with secret-like names) with ``****`` in any text.

    >>> m = Masker({"DB_PASSWORD": "hunter2"})
    >>> m.mask("ENV DB_PASSWORD=hunter2 # and echo hunter2")
    'ENV DB_PASSWORD=**** # and echo ****'
    """

    def __init__(self, secrets: dict[str, str]):
        self.secrets = {k: v for k, v in secrets.items()}
        self._values = sorted({v for v in secrets.values() if len(v) >= 3}, key=len, reverse=True)
        self._keyed = [re.compile(r"(?<![\w${])(" + re.escape(k) + r")(\s*=\s*|\s+)(\"[^\"]*\"|'[^']*'|\S+)")
                       for k in secrets]

    def mask(self, text: str, *, keyed: bool = True) -> str:
        """``keyed`` also masks whatever follows ``NAME=`` / ``NAME `` (source text); messages,
        which never quote values, only need the literal values replaced."""
        if not self.secrets or not text:
            return text
        if keyed:
            for rx in self._keyed:
                text = rx.sub(lambda m: m.group(1) + m.group(2) + "****", text)
        for v in self._values:
            text = text.replace(v, "****")
        return text


_SECRET_WORDS = {"password", "passwd", "pword", "pwd", "token", "secret", "secrets", "apikey",
                 "credential", "credentials", "auth"}
_SECRET_PAIRS = ("api_key", "apikey", "private_key", "access_key", "secret_key", "client_secret")
_NOT_SECRET = re.compile(r"(?i)(^|_)(public|file|path|dir|url|length|id|name|user|username|type)$")


def is_secret_name(name: str) -> bool:
    """BuildKit's SecretsUsedInArgOrEnv idea: a name word that says password/token/secret/key.

    >>> [is_secret_name(n) for n in ("DB_PASSWORD", "GITHUB_TOKEN", "API_KEY", "TOKEN_FILE", "KEYBOARD")]
    [True, True, True, False, False]
    """
    low = name.lower().replace("-", "_")
    if _NOT_SECRET.search(low):
        return False
    if any(p in low for p in _SECRET_PAIRS):
        return True
    return any(w in _SECRET_WORDS for w in re.split(r"[_.]+", low))


class Facts:
    """The precomputed view of one Dockerfile that every check reads."""

    def __init__(self, df: ir.Dockerfile, *, path: str | None = None, config=None, image=None,
                 build=None):
        from dopt.rewrite import shell_is_posix, stage_shells
        from dopt.variables import resolve_stages

        self.df = df
        self.path = path if path is not None else df.path
        self.config = config
        self.image = image          # dopt.images.ImageReport of the built image, or None
        self.build = build          # dopt.engine.build.BuildResult, or None
        self.escape = df.escape
        self.findings: list[Finding] = []
        self.resolved = resolve_stages(df)
        self.shells = stage_shells(df)
        self.chain = self._runtime_chain()
        self.runs: list[RunFacts] = []
        self.run_by_id: dict[int, RunFacts] = {}
        for s, stage in enumerate(df.stages):
            for i, ins in enumerate(stage.instructions):
                if isinstance(ins, ir.Run):
                    rf = self._run_facts(ins, s, i, shell_is_posix(self.shells[s][i]))
                    self.runs.append(rf)
                    self.run_by_id[id(ins)] = rf
        secrets: dict[str, str] = {}
        for ins in df.instructions():
            if isinstance(ins, ir.Arg):
                for d in ins.decls:
                    if is_secret_name(d.name) and d.default:
                        secrets[d.name] = d.default
            elif isinstance(ins, ir.Env):
                for kv in ins.pairs:
                    if is_secret_name(kv.key) and kv.value:
                        secrets[kv.key] = kv.value
        self.masker = Masker(secrets)

    # -- structure -------------------------------------------------------
    def _runtime_chain(self) -> list[int]:
        """Stage indices whose files end up in the final image, root (external base) first."""
        if not self.df.stages:
            return []
        chain = [len(self.df.stages) - 1]
        while self.resolved[chain[-1]].parent_index is not None and len(chain) <= len(self.df.stages):
            chain.append(self.resolved[chain[-1]].parent_index)
        chain.reverse()
        return chain

    def in_final_image(self, stage: int) -> bool:
        return stage in self.chain

    def _run_facts(self, ins: ir.Run, stage: int, index: int, posix: bool) -> RunFacts:
        from dopt.packages import package_ops
        from dopt.shell import parse_script

        mounted = tuple((m.target or "").rstrip("/") or "/" for m in ins.mounts
                        if m.type in ("cache", "tmpfs") and m.target)
        if not posix or not isinstance(ins.command, ir.ShellForm):
            return RunFacts(ins, stage, index, posix, None, None, (), mounted)
        text, heredoc = ins.command.text, None
        words = [w for w in text.split() if not w.startswith("<<")]
        if ins.heredocs and (not words or (len(words) == 1 and words[0].rsplit("/", 1)[-1]
                                           in ("sh", "bash", "ash", "dash"))):
            text, heredoc = ins.heredocs[0].content, 0
        script = parse_script(text)
        ops = () if script.opaque else package_ops(script)
        return RunFacts(ins, stage, index, posix, script, heredoc, ops, mounted)

    # -- locating --------------------------------------------------------
    def locate(self, ins: ir.Instruction, offset: int | None = None, end: int | None = None,
               heredoc: int | None = None) -> tuple[int, int, int, int | None]:
        """``(line, column, end_line, end_column)`` of shell offsets ``offset..end`` of a RUN's
        text (or of heredoc ``heredoc``'s body), else of the whole instruction."""
        span = ins.span or ir.Span(1, 1)
        if offset is None or ins.source is None:
            return span.start_line, 1, span.end_line, None
        if heredoc is not None:
            return _locate_in_heredoc(ins, heredoc, offset, end)
        text = ins.command.text if isinstance(getattr(ins, "command", None), ir.ShellForm) else None
        if text is None:
            return span.start_line, 1, span.end_line, None
        mapping = _logical_map(ins.source, span.start_line, self.escape)
        if mapping is None:
            return span.start_line, 1, span.end_line, None
        logical, pieces = mapping
        base = len(logical.rstrip()) - len(text.rstrip())
        if base < 0 or logical[base:].rstrip() != text.rstrip():
            return span.start_line, 1, span.end_line, None
        line, col = _position(pieces, base + offset)
        if end is None:
            return line, col, line, None
        end_line, end_col = _position(pieces, base + max(end - 1, offset))
        return line, col, end_line, end_col

    def snippet(self, line: int) -> str:
        lines = _file_lines(self.df)
        if 1 <= line <= len(lines):
            return self.masker.mask(lines[line - 1].rstrip("\r\n"))
        return ""

    def emit(self, rule: Rule, ins: ir.Instruction | None, message: str, *, offset: int | None = None,
             end: int | None = None, heredoc: int | None = None, line: int | None = None,
             column: int | None = None, severity: str | None = None, **extra) -> None:
        """Record a finding of ``rule`` at ``ins`` (or at ``offset`` inside a RUN's shell text)."""
        if ins is not None:
            start, col, end_line, end_col = self.locate(ins, offset, end, heredoc)
            owner = ins.span.start_line if ins.span else start
        else:
            start, col, end_line, end_col, owner = line or 1, 1, line or 1, None, line or 1
        if line is not None and ins is not None and offset is None:
            start = end_line = line
        if column is not None:
            col = column
        self.findings.append(Finding(
            rule=rule.id, severity=severity or rule.severity, message=self.masker.mask(message, keyed=False),
            path=self.path, line=start, column=col, end_line=end_line, end_column=end_col,
            fixed_by=extra.pop("fixed_by", rule.fixed_by), hadolint=rule.hadolint, buildkit=rule.buildkit,
            snippet=self.snippet(start), instruction_line=owner, **extra))

    def emit_op(self, rule: Rule, rf: RunFacts, op, message: str, **extra) -> None:
        cmd = op.command
        self.emit(rule, rf.ins, message, offset=cmd.start, end=cmd.end, heredoc=rf.heredoc, **extra)


def _file_lines(df: ir.Dockerfile) -> list[str]:
    from dopt.printer import print_ir

    cached = _LINES_CACHE.get(id(df))
    if cached is not None and cached[0] is df:
        return cached[1]
    lines = print_ir(df).splitlines(keepends=True)
    _LINES_CACHE.clear()
    _LINES_CACHE[id(df)] = (df, lines)
    return lines


_LINES_CACHE: dict[int, tuple] = {}


def _logical_map(source: str, start_line: int, escape: str):
    """The logical line of an instruction (continuations joined, comment and blank continuation
    lines dropped, as the front end does) and where each piece of it sits in the file:
    ``(logical, [(logical_offset, line, column0), ...])``."""
    cont = re.compile(re.escape(escape) + r"[ \t]*$")
    pieces: list[tuple[int, int, int]] = []
    parts: list[str] = []
    pos = 0
    for i, raw in enumerate(source.splitlines(keepends=True)):
        body = raw.rstrip("\r\n")
        if i == 0:
            col0 = len(body) - len(body.lstrip())
            content = body[col0:]
        else:
            if body.lstrip().startswith("#") or body.strip() == "":
                continue
            col0, content = 0, body
        m = cont.search(content)
        if m:
            content = content[:m.start()]
        pieces.append((pos, start_line + i, col0))
        parts.append(content)
        pos += len(content)
        if not m:
            return "".join(parts), pieces
    return ("".join(parts), pieces) if pieces else None


def _position(pieces, logical_offset: int) -> tuple[int, int]:
    chosen = pieces[0]
    for p in pieces:
        if p[0] <= logical_offset:
            chosen = p
        else:
            break
    return chosen[1], chosen[2] + (logical_offset - chosen[0]) + 1


def _locate_in_heredoc(ins, index: int, offset: int, end: int | None):
    """Heredoc bodies start on the line after the opener's logical line; tab stripping removes
    characters but never lines, so line numbers are exact and columns approximate."""
    span = ins.span
    source = ins.source or ""
    lines = source.splitlines(keepends=True)
    doc = ins.heredocs[index]
    # the body of heredoc `index` starts after the logical line and the earlier bodies + terminators
    first_body = 0
    for i, raw in enumerate(lines):
        if not re.search(r"\\[ \t]*\r?\n?$", raw.rstrip("\r\n") + "\n") or i == len(lines) - 1:
            first_body = i + 1
            break
    for earlier in ins.heredocs[:index]:
        first_body += earlier.content.count("\n") + 1
    before = doc.content[:offset]
    line = span.start_line + first_body + before.count("\n")
    col = offset - (before.rfind("\n") + 1) + 1
    if end is None:
        return line, col, line, None
    upto = doc.content[:max(end - 1, offset)]
    end_line = span.start_line + first_body + upto.count("\n")
    return line, col, end_line, max(end - 1, offset) - (upto.rfind("\n") + 1) + 1


# --------------------------------------------------------------------------
# Pragmas: `# dopt ignore=DO201` (next instruction), `# dopt global ignore=...`,
# and hadolint's `# hadolint ignore=DL3008` / `# hadolint global ignore=...` for mapped rules.

_PRAGMA = re.compile(r"^[ \t]*#[ \t]*(?P<tool>dopt|hadolint):?[ \t]+(?:(?P<scope>global)[ \t]+)?"
                     r"ignore[ \t]*=[ \t]*(?P<names>[\w, \t-]+)", re.M | re.I)


def _pragma_ids(tool: str, names: str) -> set[str]:
    out: set[str] = set()
    for name in re.split(r"[,\s]+", names.strip()):
        if not name:
            continue
        name = name.upper()
        if tool.lower() == "hadolint" or name.startswith("DL"):
            out.update(rules_for_hadolint(name))
        else:
            out.add(name)
    return out


def pragma_ignores(df: ir.Dockerfile) -> tuple[set[str], dict[int, set[str]]]:
    """``(global ignored IDs, {instruction start line: ignored IDs})``.

    >>> from dopt.frontend import parse_text
    >>> pragma_ignores(parse_text("FROM a\\n# hadolint ignore=DL3059\\nRUN x\\n"))
    (set(), {3: {'DO310'}})
    """
    global_ids: set[str] = set()
    by_line: dict[int, set[str]] = {}
    texts = [(ins.leading, ins.span.start_line if ins.span else None) for ins in df.instructions()]
    texts.append((df.trailer, None))
    for text, line in texts:
        for m in _PRAGMA.finditer(text or ""):
            ids = _pragma_ids(m.group("tool"), m.group("names"))
            if m.group("scope") or line is None:
                global_ids |= ids
            else:
                by_line.setdefault(line, set()).update(ids)
    return global_ids, by_line


# --------------------------------------------------------------------------
# Entry point


def analyze_dockerfile(df: ir.Dockerfile, *, path: str | None = None, config=None, image=None,
                       build=None) -> list[Finding]:
    """Every finding for ``df``, sorted by line, after pragmas and ``config`` (a
    :class:`dopt.config.Config`: ignored rules, severity overrides, extra base images).

    ``image`` is the :class:`dopt.images.ImageReport` of the built image and ``build`` its
    :class:`dopt.engine.build.BuildResult` (both only with ``--build``).

    >>> from dopt.frontend import parse_text
    >>> [f.rule for f in analyze_dockerfile(parse_text("FROM alpine:3.19\\nMAINTAINER me\\n"))]
    ['DO305', 'DO308']
    """
    facts = Facts(df, path=path, config=config, image=image, build=build)
    for rules, check in _CHECKS:
        if any(r.needs_build for r in rules) and image is None:
            continue
        check(facts)
    global_ids, by_line = pragma_ignores(df)
    ignored = set(global_ids)
    overrides: dict[str, str] = {}
    if config is not None:
        ignored |= set(config.ignore)
        overrides = dict(config.severity)
    out = []
    for f in facts.findings:
        if f.rule in ignored or f.rule in by_line.get(f.instruction_line or -1, ()):
            continue
        if f.rule in overrides:
            f = attrs.evolve(f, severity=overrides[f.rule])
        out.append(f)
    out.sort(key=lambda f: (f.line, f.column, f.rule))
    return out


# ==========================================================================
# DO1xx: image structure and size
# ==========================================================================

DO101 = _rule(
    "DO101", "warning", "single-stage build that should be multi-stage",
    "The only stage installs or runs build tools, so compilers, headers and build caches ship in the "
    "image. Build in a builder stage and COPY --from only what runs (pass split).",
    fixed_by="split", category="size")

DO102 = _rule(
    "DO102", "warning", "build tools in the final image",
    "The final image installs or runs build tools (compilers, -dev headers, build systems). Move that "
    "work into a builder stage and copy the artifacts (pass split).",
    fixed_by="split", category="size")


def _tool_ops(facts: Facts, stages: Iterable[int]):
    from dopt.packages import build_tools

    wanted = set(stages)
    for rf in facts.runs:
        if rf.stage in wanted and rf.ops:
            for op in rf.ops:
                tools = build_tools([op])
                if tools:
                    yield rf, op, tools


def _tools_estimate(tools: Iterable[str]) -> float | None:
    total, known = 0.0, False
    for t in tools:
        if t in BUILD_TOOL_HEURISTIC_MB:
            total += BUILD_TOOL_HEURISTIC_MB[t]
            known = True
        elif t.endswith(("-dev", "-devel")):
            total += _DEV_PACKAGE_MB
            known = True
    return total if known else None


@_check(DO101, DO102)
def _build_tools_in_final_image(facts: Facts) -> None:
    if not facts.chain:
        return
    found = list(_tool_ops(facts, facts.chain))
    if not found:
        return
    tools = list(dict.fromkeys(t for _, _, ts in found for t in ts))
    rf, op, _ = found[0]
    copies_from_stage = any(isinstance(src, int) for s in facts.chain
                            for _, src in facts.resolved[s].copy_sources)
    single = len(facts.df.stages) == 1 or (len(facts.chain) == len(facts.df.stages) and not copies_from_stage)
    estimate = _tools_estimate(tools)
    basis = HEURISTIC_BASIS if estimate is not None else None
    if single:
        from dopt.data import base_images

        root = facts.resolved[facts.chain[0]].image
        target = base_images.lower_reference(root.name, root.tag, "slim") if root.repository else None
        base_saving = None
        if isinstance(target, base_images.Target):
            base_saving = base_images.estimated_savings_mb(str(root), str(target))
        if base_saving:
            estimate = (estimate or 0.0) + base_saving
            basis = (f"estimate: a runtime stage on {target} (base-image table, "
                     f"{base_images.table()['meta']['sizes_as_of']}) plus heuristic tool sizes")
        facts.emit_op(DO101, rf, op,
                      f"single-stage build installs or runs build tools ({', '.join(tools[:6])}"
                      f"{', ...' if len(tools) > 6 else ''}); build in a separate stage and copy only "
                      f"the result into a small runtime stage", savings_mb=estimate, savings_basis=basis)
    else:
        facts.emit_op(DO102, rf, op,
                      f"the final image installs or runs build tools ({', '.join(tools[:6])}"
                      f"{', ...' if len(tools) > 6 else ''}); do that in a builder stage",
                      savings_mb=estimate, savings_basis=basis)


DO103 = _rule(
    "DO103", "warning", "source copied before dependency install",
    "`COPY . .` (the whole build context) comes before a dependency install in the same stage, so every "
    "source change invalidates the install layer and re-runs it. Copy only the manifests "
    "(requirements.txt, package.json, go.mod ...) first, install, then copy the rest (pass reorder).",
    fixed_by="reorder", category="cache")

_DEPENDENCY_ACTIONS = {
    "pip": {"install"}, "npm": {"install", "ci"}, "yarn": {"install"}, "pnpm": {"install"},
    "go": {"download"}, "maven": {"download"}, "gradle": {"download"}, "bundle": {"install"},
    "poetry": {"install"}, "pipenv": {"install", "sync"}, "uv": {"install", "sync"},
    "cargo": {"download"}, "conda": {"install", "create"},
}


def _whole_context(src: str) -> bool:
    return src.rstrip("/") in (".", "./", "*", "./*", "") or src in (".", "./")


@_check(DO103)
def _copy_before_install(facts: Facts) -> None:
    for s, stage in enumerate(facts.df.stages):
        copy_at = None
        for i, ins in enumerate(stage.instructions):
            if isinstance(ins, ir.CopyLike) and not ins.from_stage and not ins.heredocs \
                    and any(_whole_context(src) for src in ins.sources):
                copy_at = copy_at or ins
                continue
            if copy_at is None or not isinstance(ins, ir.Run):
                continue
            rf = facts.run_by_id.get(id(ins))
            if rf is None:
                continue
            for op in rf.ops:
                if op.action not in _DEPENDENCY_ACTIONS.get(op.manager, ()):
                    continue
                if op.manager == "pip" and not op.requirement_files:
                    continue  # named packages do not read the context: only manifests matter
                if op.editable or any(p in (".", "./") for p in op.local_paths):
                    continue  # the install reads the whole tree: reordering cannot help (B73)
                seconds = _step_seconds(facts, ins)
                what = ", ".join(op.requirement_files) or {
                    "npm": "package.json", "yarn": "package.json", "pnpm": "package.json",
                    "go": "go.mod", "maven": "pom.xml", "gradle": "build.gradle", "bundle": "Gemfile",
                    "poetry": "pyproject.toml", "pipenv": "Pipfile", "cargo": "Cargo.toml",
                }.get(op.manager, "the dependency manifest")
                copy_line = copy_at.span.start_line if copy_at.span else 0
                facts.emit(DO103, copy_at,
                           f"COPY of the whole context (line {copy_line}) comes before `{op.tool or op.manager} "
                           f"{op.subcommand or op.action}` (line {facts.locate(ins, op.command.start, heredoc=rf.heredoc)[0]}); "
                           f"copy {what} first, install, then copy the rest",
                           rebuild_seconds=seconds,
                           rebuild_note=f"the {op.manager} install re-runs on every source change")
                copy_at = None
                break
            if copy_at is None:
                break


def _step_seconds(facts: Facts, ins) -> float | None:
    """Measured duration of the build step of ``ins`` (``--build`` only)."""
    if facts.build is None:
        return None
    text = " ".join((ins.source or "").split())
    for step in getattr(facts.build, "steps", ()):
        shown = " ".join((step.instruction or "").split())
        if shown and step.duration_s is not None and (shown in text or text[:60] in shown):
            return step.duration_s
    return None


DO104 = _rule(
    "DO104", "warning", "large files left in an intermediate layer",
    "A file written by one layer and deleted, overwritten or re-permissioned by a later one still "
    "ships in the earlier layer. Remove it in the instruction that creates it (pass cleanup), or "
    "change its mode in the same RUN (pass fuse). Needs --build.",
    fixed_by="cleanup", needs_build=True, category="size")

DO106 = _rule(
    "DO106", "info", "removable files in the final image",
    "Package caches, lists, temporary files or documentation remain in the built image. Needs --build.",
    fixed_by="cleanup", needs_build=True, category="size")

_LARGE_BYTES = 1 << 20


def _layer_line(facts: Facts, layer_index: int) -> int | None:
    layers = facts.image.layers
    if 0 <= layer_index < len(layers):
        return layers[layer_index].dockerfile_line
    return None


def _instruction_at_line(facts: Facts, line: int | None):
    if line is None:
        return None
    for ins in facts.df.instructions():
        if ins.span and ins.span.start_line <= line <= ins.span.end_line:
            return ins
    return None


@_check(DO104)
def _wasted_in_layers(facts: Facts) -> None:
    for w in facts.image.wasted:
        if w.bytes < _LARGE_BYTES:
            continue
        created = _layer_line(facts, w.created_in[0]) if w.created_in else None
        removed = _layer_line(facts, w.removed_in)
        ins = _instruction_at_line(facts, created) or _instruction_at_line(facts, removed)
        if ins is None:
            continue  # a base-image layer: not this Dockerfile's doing
        how = {"deleted": "deleted", "overwritten": "overwritten", "metadata-changed": "re-permissioned",
               "replaced": "replaced"}.get(w.action, w.action)
        later = f" at line {removed}" if removed else " in a later layer"
        facts.emit(DO104, ins,
                   f"{w.path}: {w.bytes / (1 << 20):.1f} MB written here and {how}{later} still ships in "
                   f"this layer ({w.hint})",
                   savings_mb=w.bytes / (1 << 20), savings_basis="measured from the built image",
                   fixed_by="fuse" if w.action == "metadata-changed" else "cleanup")


@_check(DO106)
def _removable_in_image(facts: Facts) -> None:
    for r in facts.image.removable:
        if r.bytes < _LARGE_BYTES:
            continue
        line = None
        for layer in r.layers:
            line = _layer_line(facts, layer)
            if line:
                break
        ins = _instruction_at_line(facts, line)
        if ins is None:
            continue
        facts.emit(DO106, ins, f"{r.category} ({r.path}): {r.bytes / (1 << 20):.1f} MB in the image; {r.hint}",
                   savings_mb=r.bytes / (1 << 20), savings_basis="measured from the built image")


DO107 = _rule(
    "DO107", "warning", "build tools found in the built image",
    "The built image contains compiler or build-system packages (from the base image or installed "
    "here). Use a smaller runtime base or a builder stage. Needs --build.",
    fixed_by="split", needs_build=True, category="size")


@_check(DO107)
def _image_build_tools(facts: Facts) -> None:
    tools = facts.image.build_tools
    if not tools or not facts.chain:
        return
    if any(f.rule in ("DO101", "DO102") for f in facts.findings):
        return
    total = sum(p.installed_bytes for p in tools)
    names = ", ".join(p.name for p in tools[:6]) + (", ..." if len(tools) > 6 else "")
    final = facts.df.stages[facts.chain[-1]].from_
    facts.emit(DO107, final, f"the built image contains build tools ({names}; {total / (1 << 20):.0f} MB "
                             f"installed)", savings_mb=total / (1 << 20) or None,
               savings_basis="measured from the built image (installed package sizes)")


DO105 = _rule(
    "DO105", "warning", "a smaller base image is available",
    "The final image is based on a full image that has a smaller compatible variant (slim, JRE, "
    "distroless) in the base-image table or in [tool.dopt.base-images] (pass lower).",
    fixed_by="lower", category="size")


@_check(DO105)
def _smaller_base(facts: Facts) -> None:
    from dopt.data import base_images

    if not facts.chain:
        return
    root = facts.chain[0]
    resolved = facts.resolved[root]
    image = resolved.image
    from_ = facts.df.stages[root].from_
    shown = str(image)
    if "$" in resolved.base or not image.repository or image.name.lower() == "scratch":
        return
    extra = getattr(facts.config, "base_images", None) or {}
    for pattern, entry in extra.items():
        if fnmatch.fnmatch(shown, pattern) or fnmatch.fnmatch(image.name, pattern):
            saved = entry.get("savings_mb")
            facts.emit(DO105, from_, f"{shown} has a smaller variant {entry['to']} (from the project's "
                                     f"base-image table)",
                       savings_mb=saved, savings_basis="estimate from [tool.dopt.base-images]" if saved else None,
                       fixed_by=None)
            return
    if base_images.is_minimal(image.name, image.tag):
        return
    target = base_images.lower_reference(image.name, image.tag, "slim")
    if not isinstance(target, base_images.Target):
        return
    saved = base_images.estimated_savings_mb(shown, str(target))
    meta = base_images.table()["meta"]
    facts.emit(DO105, from_,
               f"{shown} has a smaller compatible variant {target}"
               + (f" (about {saved:.0f} MB smaller compressed)" if saved else ""),
               savings_mb=saved,
               savings_basis=(f"estimate from the base-image table ({meta['sizes_platform']}, compressed, "
                              f"sizes as of {meta['sizes_as_of']})") if saved else None)


# ==========================================================================
# DO2xx: package-manager hygiene (POSIX shells only, B50; cache mounts exempt, B58)
# ==========================================================================

DO201 = _rule(
    "DO201", "warning", "apt lists left in the layer",
    "apt-get update downloads package lists to /var/lib/apt/lists; without `rm -rf "
    "/var/lib/apt/lists/*` in the same RUN they ship in the image (pass cleanup). Not reported when "
    "the path is a cache mount.",
    fixed_by="cleanup", hadolint=("DL3009",))


def _cleans(rf: RunFacts, manager: str, *actions: str) -> bool:
    return any(o.manager == manager and o.action in actions for o in rf.ops)


@_check(DO201)
def _apt_lists(facts: Facts) -> None:
    for rf in facts.runs:
        if not facts.in_final_image(rf.stage) or not rf.ops:
            continue
        installs = [o for o in rf.ops if o.manager == "apt" and o.action in ("install", "upgrade",
                                                                             "dist-upgrade", "build-dep")]
        updates = [o for o in rf.ops if o.manager == "apt" and o.action == "update"]
        # the lists land in the layer of the RUN that ran `apt-get update`; an install in a
        # later RUN adds none, so it is reported once, where removing them saves space
        if not updates or rf.is_mounted("/var/lib/apt/lists"):
            continue
        if _cleans(rf, "apt", "clean-lists"):
            continue
        op = updates[0]
        later = "" if installs else " (and join the install that follows to it)"
        facts.emit_op(DO201, rf, op, f"`{_show(op)}` leaves /var/lib/apt/lists in the layer; add "
                                     f"`rm -rf /var/lib/apt/lists/*` to this RUN{later}",
                      savings_mb=CACHE_HEURISTIC_MB["apt-lists"], savings_basis=HEURISTIC_BASIS)


def _show(op, limit: int = 60) -> str:
    text = " ".join(op.command.words)
    return text if len(text) <= limit else text[:limit - 3] + "..."


DO202 = _rule(
    "DO202", "warning", "apk cache left in the layer",
    "`apk add` without `--no-cache` keeps the package index in /var/cache/apk (pass cleanup).",
    fixed_by="cleanup", hadolint=("DL3019",))


@_check(DO202)
def _apk_cache(facts: Facts) -> None:
    for rf in facts.runs:
        if not facts.in_final_image(rf.stage) or rf.is_mounted("/var/cache/apk"):
            continue
        cleaned = _cleans(rf, "apk", "clean") or any(
            o.manager == "rm" and any(p.startswith("/var/cache/apk") for p in o.paths) for o in rf.ops)
        for op in rf.ops:
            if op.manager == "apk" and op.action in ("install", "upgrade") and not op.no_cache and not cleaned:
                facts.emit_op(DO202, rf, op, f"`{_show(op)}` keeps the apk index; use `apk add --no-cache`",
                              savings_mb=CACHE_HEURISTIC_MB["apk-cache"], savings_basis=HEURISTIC_BASIS)
                break


DO203 = _rule(
    "DO203", "warning", "yum/dnf/zypper cache left in the layer",
    "yum, dnf, microdnf and zypper keep repository metadata and packages in /var/cache; run "
    "`<manager> clean all` in the same RUN (pass cleanup).",
    fixed_by="cleanup", hadolint=("DL3032", "DL3040", "DL3036", "DL3041"))

_RPM = ("yum", "dnf", "microdnf", "tdnf", "zypper")


@_check(DO203)
def _rpm_cache(facts: Facts) -> None:
    for rf in facts.runs:
        if not facts.in_final_image(rf.stage):
            continue
        for op in rf.ops:
            if op.manager not in _RPM or op.action not in ("install", "upgrade"):
                continue
            cache = "/var/cache/zypp" if op.manager == "zypper" else f"/var/cache/{'dnf' if op.manager != 'yum' else 'yum'}"
            if rf.is_mounted(cache) or _cleans(rf, op.manager, "clean") or op.no_cache or any(
                    o.manager == "rm" and any(p.startswith("/var/cache") for p in o.paths) for o in rf.ops):
                continue
            facts.emit_op(DO203, rf, op, f"`{_show(op)}` keeps repository metadata in {cache}; add "
                                         f"`{op.manager} clean all` to this RUN",
                          savings_mb=CACHE_HEURISTIC_MB["rpm-cache"], savings_basis=HEURISTIC_BASIS)
            break


DO204 = _rule(
    "DO204", "warning", "pip cache left in the layer",
    "`pip install` without `--no-cache-dir` (or PIP_NO_CACHE_DIR) keeps every downloaded wheel in "
    "~/.cache/pip (pass cleanup). Not reported when that path is a cache mount.",
    fixed_by="cleanup", hadolint=("DL3042",))


def _env_set(facts: Facts, stage: int, index: int, name: str) -> bool:
    for s in facts.chain if stage in facts.chain else [stage]:
        instructions = facts.df.stages[s].instructions
        limit = index if s == stage else len(instructions)
        for ins in instructions[:limit]:
            if isinstance(ins, ir.Env) and any(kv.key == name and kv.value for kv in ins.pairs):
                return True
        if s == stage:
            break
    return False


def _pip_estimate(op) -> float:
    from dopt.packages import package_name

    total = CACHE_HEURISTIC_MB["pip-per-requirements-file"] * len(op.requirement_files)
    for spec in op.packages:
        total += _PIP_LARGE.get(package_name("pip", spec).lower(), CACHE_HEURISTIC_MB["pip-per-package"])
    return total


@_check(DO204)
def _pip_cache(facts: Facts) -> None:
    for rf in facts.runs:
        if not facts.in_final_image(rf.stage) or rf.is_mounted("/root/.cache/pip"):
            continue
        if _cleans(rf, "pip", "clean") or _env_set(facts, rf.stage, rf.index, "PIP_NO_CACHE_DIR"):
            continue
        for op in rf.ops:
            if op.manager == "pip" and op.action == "install" and op.tool != "uv" and not op.no_cache \
                    and not op.env_value("PIP_NO_CACHE_DIR") and (
                        op.packages or op.requirement_files
                        or any(not p.endswith(".whl") for p in op.local_paths)):  # local wheels: no download
                facts.emit_op(DO204, rf, op, f"`{_show(op)}` keeps downloaded wheels in ~/.cache/pip; add "
                                             f"`--no-cache-dir`",
                              savings_mb=_pip_estimate(op), savings_basis=HEURISTIC_BASIS)


DO205 = _rule(
    "DO205", "info", "npm/yarn cache left in the layer",
    "npm and yarn keep a download cache (~/.npm, the yarn cache folder); clean it in the same RUN "
    "(`npm cache clean --force`, `yarn cache clean`) or use a cache mount (pass cleanup).",
    fixed_by="cleanup", hadolint=("DL3060",))


@_check(DO205)
def _js_cache(facts: Facts) -> None:
    paths = {"npm": "/root/.npm", "yarn": "/usr/local/share/.cache/yarn"}
    for rf in facts.runs:
        if not facts.in_final_image(rf.stage):
            continue
        for op in rf.ops:
            if op.manager not in paths or op.action not in ("install", "ci"):
                continue
            if rf.is_mounted(paths[op.manager]) or _cleans(rf, op.manager, "clean") or any(
                    o.manager == "rm" and any(".npm" in p or "yarn" in p for p in o.paths) for o in rf.ops):
                continue
            fix = "npm cache clean --force" if op.manager == "npm" else "yarn cache clean"
            facts.emit_op(DO205, rf, op, f"`{_show(op)}` keeps its download cache; add `{fix}` to this RUN",
                          savings_mb=CACHE_HEURISTIC_MB[f"{op.manager}-cache"], savings_basis=HEURISTIC_BASIS)
            break


DO206 = _rule(
    "DO206", "warning", "apt-get update in its own layer",
    "A RUN that only runs `apt-get update` is cached on its own: a later change to the install line "
    "reuses stale package lists (and the lists ship in that layer). Update and install in one RUN "
    "(pass cleanup joins them).",
    fixed_by="cleanup")


@_check(DO206)
def _lone_update(facts: Facts) -> None:
    for rf in facts.runs:
        if not rf.ops:
            continue
        apt = [o for o in rf.ops if o.manager == "apt"]
        if apt and all(o.action == "update" for o in apt):
            facts.emit_op(DO206, rf, apt[0], "`apt-get update` runs in a RUN of its own; run it in the same "
                                             "RUN as `apt-get install`")


DO207 = _rule(
    "DO207", "info", "apt-get install without --no-install-recommends",
    "Recommended packages are installed too, often tens of MB the program never uses. Add "
    "`--no-install-recommends` (pass cleanup<no-recommends>; verify the image, it changes which "
    "packages get installed).",
    fixed_by="cleanup<no-recommends>", hadolint=("DL3015",))


@_check(DO207)
def _recommends(facts: Facts) -> None:
    for rf in facts.runs:
        for op in rf.ops:
            if op.manager == "apt" and op.action == "install" and not op.no_install_recommends \
                    and op.packages:
                facts.emit_op(DO207, rf, op, f"`{_show(op)}` installs recommended packages too; add "
                                             f"`--no-install-recommends`")


DO208 = _rule(
    "DO208", "info", "apt packages without pinned versions",
    "`apt-get install pkg` takes whatever version the lists have today, so two builds of the same "
    "Dockerfile can differ. Pin with `pkg=version` when reproducibility matters.",
    hadolint=("DL3008",), category="reproducibility")


@_check(DO208)
def _apt_unpinned(facts: Facts) -> None:
    for rf in facts.runs:
        for op in rf.ops:
            if op.manager != "apt" or op.action != "install":
                continue
            loose = [p for p in op.packages if "=" not in p and not p.endswith(".deb") and "$" not in p
                     and not p.startswith(("/", "."))]
            if loose:
                facts.emit_op(DO208, rf, op, f"unpinned apt packages: {', '.join(loose[:8])}"
                                             f"{', ...' if len(loose) > 8 else ''}")


# ==========================================================================
# DO3xx: correctness, security and runtime configuration
# ==========================================================================

DO301 = _rule(
    "DO301", "warning", "base image without a tag",
    "`FROM image` without a tag or digest means `latest`: the build changes whenever the image does. "
    "Pin a tag (and ideally a digest).",
    hadolint=("DL3006",), category="reproducibility")

DO302 = _rule(
    "DO302", "warning", "base image tagged latest",
    "`:latest` moves; pin a version tag (and ideally a digest).",
    hadolint=("DL3007",), category="reproducibility")


@_check(DO301, DO302)
def _unpinned_base(facts: Facts) -> None:
    for s, stage in enumerate(facts.df.stages):
        resolved = facts.resolved[s]
        if resolved.parent_index is not None or "$" in resolved.base:
            continue
        image = resolved.image
        if image.name.lower() == "scratch" or not image.repository:
            continue
        column = max((stage.from_.source or "").find(stage.from_.image.raw), 0) + 1
        if image.tag is None and image.digest is None:
            facts.emit(DO301, stage.from_, f"{image.name} has no tag, so it means {image.name}:latest; pin a "
                                           f"version", column=column)
        elif image.tag == "latest" and image.digest is None:
            facts.emit(DO302, stage.from_, f"{image} moves with every release; pin a version", column=column)


DO303 = _rule(
    "DO303", "warning", "shell-form CMD or ENTRYPOINT",
    "Shell form runs the program under `/bin/sh -c`, so it is not PID 1 and does not get SIGTERM. "
    "Use the JSON array form.",
    hadolint=("DL3025",), buildkit=("JSONArgsRecommended",), category="runtime")

DO304 = _rule(
    "DO304", "error", "exec form with single quotes is shell form",
    "`CMD ['python', 'app.py']` is not JSON (JSON strings use double quotes), so Docker runs "
    "`/bin/sh -c \"['python', 'app.py']\"`, which fails at start. Use double quotes.",
    hadolint=("DL3025",), buildkit=("JSONArgsRecommended",), category="runtime")


@_check(DO303, DO304)
def _shell_form_entry(facts: Facts) -> None:
    for ins in facts.df.instructions():
        if not isinstance(ins, (ir.Cmd, ir.Entrypoint)) or not isinstance(ins.command, ir.ShellForm):
            continue
        text = ins.command.text.strip()
        if text.startswith("[") and text.endswith("]"):
            facts.emit(DO304, ins, f"{ins.KIND} {text} is not valid JSON, so it is shell form and runs "
                                   f"`/bin/sh -c \"{text}\"`; write it with double quotes")
        else:
            facts.emit(DO303, ins, f"{ins.KIND} in shell form runs under /bin/sh -c (no signals to the "
                                   f"program); use the JSON form, e.g. {ins.KIND} {_json_form(text)}")


def _json_form(text: str) -> str:
    import json
    import shlex

    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return json.dumps(words[:6])


DO305 = _rule(
    "DO305", "warning", "the image runs as root",
    "The last USER of the final image is root (or there is none, and the base runs as root). Create "
    "an unprivileged user and switch to it with USER.",
    hadolint=("DL3002",), category="security")


@_check(DO305)
def _root_user(facts: Facts) -> None:
    if not facts.chain:
        return
    last = None
    for s in facts.chain:
        for ins in facts.df.stages[s].instructions:
            if isinstance(ins, ir.User):
                last = ins
    if last is not None:
        name = last.user.split(":", 1)[0].strip().strip("\"'")
        if name in ("root", "0"):
            facts.emit(DO305, last, f"USER {last.user} is the last USER, so the container runs as root")
        return
    root = facts.resolved[facts.chain[0]].image
    if root.name.lower() == "scratch" or "nonroot" in (root.tag or "") or "$" in root.raw:
        return
    facts.emit(DO305, facts.df.stages[facts.chain[-1]].from_,
               "no USER in the final image, so it runs as the base image's user (usually root)",
               severity="info")


DO306 = _rule(
    "DO306", "warning", "secret in ARG or ENV",
    "ARG and ENV values are stored in the image configuration and history, readable by anyone who "
    "can pull the image. Pass secrets with `RUN --mount=type=secret`. dopt masks the values as **** "
    "in every report.",
    buildkit=("SecretsUsedInArgOrEnv",), category="security")


@_check(DO306)
def _secrets(facts: Facts) -> None:
    for ins in facts.df.instructions():
        if isinstance(ins, ir.Arg):
            for d in ins.decls:
                if is_secret_name(d.name):
                    value = "=****" if d.default else ""
                    facts.emit(DO306, ins, f"ARG {d.name}{value}: build arguments are recorded in the image "
                                           f"history; use RUN --mount=type=secret,id={d.name.lower()}")
        elif isinstance(ins, ir.Env):
            for kv in ins.pairs:
                if is_secret_name(kv.key):
                    facts.emit(DO306, ins, f"ENV {kv.key}=****: ENV values are stored in the image "
                                           f"configuration; use RUN --mount=type=secret,id={kv.key.lower()}")


DO307 = _rule(
    "DO307", "warning", "ADD for local files",
    "ADD also fetches URLs and unpacks archives; for plain local files COPY says what it does.",
    hadolint=("DL3020",), category="clarity")

_URL = re.compile(r"^(https?://|git@|git://|ssh://)|\.git(#|$)")
_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|gz|bz2|xz)$", re.I)


@_check(DO307)
def _add_local(facts: Facts) -> None:
    for ins in facts.df.instructions():
        if isinstance(ins, ir.Add) and not ins.heredocs:
            local = [s for s in ins.sources if not _URL.search(s) and not _ARCHIVE.search(s)]
            if local and len(local) == len(ins.sources):
                facts.emit(DO307, ins, f"ADD {' '.join(local)}: use COPY for local files (ADD is for URLs "
                                       f"and archives it should unpack)")


DO308 = _rule(
    "DO308", "warning", "MAINTAINER is deprecated",
    "Use `LABEL org.opencontainers.image.authors=\"...\"` instead.",
    hadolint=("DL4000",), buildkit=("MaintainerDeprecated",), category="clarity")


@_check(DO308)
def _maintainer(facts: Facts) -> None:
    for ins in facts.df.instructions():
        if isinstance(ins, ir.Maintainer):
            facts.emit(DO308, ins, "MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors")


DO309 = _rule(
    "DO309", "warning", "relative WORKDIR",
    "A relative WORKDIR depends on the previous one (or the base image's); use an absolute path.",
    hadolint=("DL3000",), buildkit=("WorkdirRelativePath",), category="clarity")


@_check(DO309)
def _relative_workdir(facts: Facts) -> None:
    from dopt.variables import WordError, process_word

    for ins in facts.df.instructions():
        if not isinstance(ins, ir.Workdir):
            continue
        try:
            path = process_word(ins.path, {}, escape=facts.escape, skip_unset=True)
        except WordError:
            continue
        if path.startswith(("/", "$")) or re.match(r"^[A-Za-z]:[\\/]", path) or path.startswith("\\"):
            continue
        facts.emit(DO309, ins, f"WORKDIR {ins.path} is relative; use an absolute path")


DO310 = _rule(
    "DO310", "info", "consecutive RUN instructions",
    "Each RUN makes a layer; consecutive RUNs (comments between them do not count) can be joined "
    "with && (pass fuse). Not reported when their flags differ or the SHELL is not POSIX.",
    fixed_by="fuse", hadolint=("DL3059",), category="size")


@_check(DO310)
def _consecutive_runs(facts: Facts) -> None:
    for s, stage in enumerate(facts.df.stages):
        for prev, ins in zip(stage.instructions, stage.instructions[1:]):
            if not (isinstance(prev, ir.Run) and isinstance(ins, ir.Run)):
                continue
            a, b = facts.run_by_id[id(prev)], facts.run_by_id[id(ins)]
            if not (a.posix and b.posix) or prev.flags != ins.flags or prev.is_exec or ins.is_exec:
                continue
            line = prev.span.start_line if prev.span else "?"
            facts.emit(DO310, ins, f"this RUN directly follows the RUN at line {line}; join them with && "
                                   f"to save a layer")


DO311 = _rule(
    "DO311", "style", "FROM and AS keywords in different case",
    "`FROM image as name`: BuildKit warns when the FROM and AS keywords do not share their case.",
    buildkit=("FromAsCasing",), category="clarity")


@_check(DO311)
def _from_as_casing(facts: Facts) -> None:
    for stage in facts.df.stages:
        f = stage.from_
        if f.stage_name and f.keyword and f.as_keyword and f.keyword.isupper() != f.as_keyword.isupper():
            facts.emit(DO311, f, f"'{f.as_keyword}' and '{f.keyword}' keywords' casing do not match")


# ==========================================================================
# DO4xx: syntax traps and parser diagnostics
# ==========================================================================

DO000 = _rule(
    "DO000", "error", "file could not be analysed",
    "The file could not be read, or its --build failed; the message says why. Other files are still "
    "analysed.",
    category="syntax")

DO400 = _rule(
    "DO400", "error", "Dockerfile syntax error",
    "The file does not parse; the message names the line, the column and what was expected.",
    category="syntax")

DO401 = _rule(
    "DO401", "error", "unbalanced quote in a JSON-form argument",
    "JSON-form VOLUME/COPY/ADD arguments still go through BuildKit's word processing after JSON "
    "decoding, so a lone quote fails the build (\"unexpected end of statement while looking for "
    "matching single-quote\"). Escape or remove it.",
    category="syntax")


@_check(DO401)
def _json_quotes(facts: Facts) -> None:
    from dopt.variables import WordError, process_word

    for ins in facts.df.instructions():
        if isinstance(ins, ir.Volume) and ins.json:
            words = ins.paths
        elif isinstance(ins, ir.CopyLike) and ins.json:
            words = (*ins.sources, ins.dest)
        else:
            continue
        for word in words:
            try:
                process_word(word, {}, escape=facts.escape, skip_unset=True)
            except WordError as e:
                facts.emit(DO401, ins, f"{ins.KIND} element {word!r}: the build fails with \"{e}\"")
                break


DO402 = _rule(
    "DO402", "warning", "parser directive after a comment is ignored",
    "Parser directives (`# escape=`, `# syntax=`, `# check=`) count only before any comment, blank "
    "line or instruction; later they are plain comments.",
    category="syntax")

DO403 = _rule(
    "DO403", "warning", "trailing # is not a comment",
    "`#` starts a comment only at the beginning of a line. After ARG, ENV or EXPOSE arguments the "
    "`# ...` words are arguments: extra build args, part of the value, extra ports.",
    category="syntax")


@_check(DO403)
def _trailing_hash(facts: Facts) -> None:
    for ins in facts.df.instructions():
        first = (ins.source or "").splitlines()[0] if ins.source else ""
        column = None
        m = re.search(r"\s#", first)
        if m:
            column = m.start() + 2
        if isinstance(ins, ir.Arg):
            extra = [d.name for d in ins.decls if d.name.startswith("#")]
            if extra:
                words = [d.name for d in ins.decls[[d.name for d in ins.decls].index(extra[0]):]]
                facts.emit(DO403, ins, f"ARG: '{' '.join(words)}' is not a comment; it declares "
                                       f"{len(words)} more build arguments", column=column)
        elif isinstance(ins, ir.Env) and ins.legacy:
            for kv in ins.pairs:
                if re.search(r"\s#", kv.value):
                    facts.emit(DO403, ins, f"ENV {kv.key}: the value includes the trailing "
                                           f"'#{kv.value.split('#', 1)[1]}' (not a comment)", column=column)
        elif isinstance(ins, ir.Expose) and any(p.startswith("#") for p in ins.ports):
            facts.emit(DO403, ins, "EXPOSE: the trailing '# ...' words are read as ports", column=column)


DO404 = _rule(
    "DO404", "warning", "empty continuation line",
    "A blank line inside a backslash continuation is deprecated and will become an error in BuildKit.",
    buildkit=("NoEmptyContinuation",), category="syntax")

DO405 = _rule(
    "DO405", "info", "parser warning",
    "A non-fatal diagnostic of the parser (its code is in the message).",
    category="syntax")

DO501 = _rule(
    "DO501", "info", "architecture-specific download or package",
    "A URL, ADD source or package with amd64/x86_64 baked in is the wrong architecture on an arm64 build; "
    "use $TARGETARCH (or `dpkg --print-architecture`) in the name.",
    category="platform")

DO502 = _rule(
    "DO502", "info", "base image without an ARM64 variant",
    "The base-image table knows this image has no linux/arm64 build; pick one that is multi-arch, "
    "or pin `--platform=linux/amd64` deliberately.",
    category="platform")


@_check(DO501, DO502)
def _platform(facts: Facts) -> None:
    from dopt.analysis.platform import platform_findings

    rules = {"DO501": DO501, "DO502": DO502}
    by_line = {}
    for ins in facts.df.instructions():
        if ins.span:
            by_line.setdefault(ins.span.start_line, ins)
    for rule_id, message, span in platform_findings(facts.df):
        ins = by_line.get(span.start_line) if span else None
        facts.emit(rules[rule_id], ins, message, line=span.start_line if span else None)


_WARNING_RULES = {"IgnoredDirective": DO402, "NoEmptyContinuation": DO404}


@_check(DO402, DO404, DO405)
def _parser_warnings(facts: Facts) -> None:
    for w in facts.df.warnings:
        rule = _WARNING_RULES.get(w.code, DO405)
        ins = _instruction_at_line(facts, w.line)
        message = w.message if rule is not DO405 else f"{w.code}: {w.message}"
        if ins is not None:
            facts.emit(rule, ins, message, line=w.line)
        else:
            facts.emit(rule, None, message, line=w.line)


def syntax_error_finding(error, path: str | None = None) -> Finding:
    """The DO400 finding for a :class:`dopt.errors.DockerfileSyntaxError`.

    >>> from dopt.errors import DockerfileSyntaxError
    >>> syntax_error_finding(DockerfileSyntaxError("bad", path="D", line=2, column=5)).line
    2
    """
    return Finding(rule="DO400", severity="error", message=error.message, path=path or error.path,
                   line=max(error.line, 1), column=max(error.column, 1), end_line=max(error.line, 1),
                   snippet=(error.line_text or "").rstrip("\r\n"),
                   hadolint=(), buildkit=(), instruction_line=error.line)


# ==========================================================================
# One file, end to end (what `dopt analyze` runs per file, possibly in a worker process)


@attrs.define
class FileResult:
    """The outcome for one Dockerfile: findings, or a located error (``exit_code`` 2 for bad
    input, 4 for a failed ``--build``), the masked source text and, with ``--build``, image figures."""

    path: str
    findings: list = attrs.field(factory=list)
    error: dict | None = None
    exit_code: int = 0
    masked_text: str = ""
    image: dict | None = None
    threshold: str = "warning"
    threshold_source: str = "default"
    pipeline: str | None = None
    seconds: float = 0.0

    def failing(self) -> list:
        """Findings at or above this file's failure threshold."""
        limit = severity_rank(self.threshold)
        if limit == 0:
            return []
        return [f for f in self.findings if severity_rank(f.severity) >= limit]


def analyze_file(path: str, *, config=None, build: bool = False, context: str | None = None,
                 backend=None, engine=None) -> FileResult:
    """Read, parse and analyse one Dockerfile; never raises for bad input (the error is in the result).

    >>> r = analyze_file("/no/such/Dockerfile")
    >>> r.exit_code, r.error["message"]
    (2, '/no/such/Dockerfile: no such file')
    """
    import time

    from dopt.errors import BuildFailed, DockerfileSyntaxError, DoptError, EngineUnavailable

    started = time.monotonic()
    threshold = getattr(config, "failure_threshold", "warning")
    result = FileResult(path=path, threshold=threshold,
                        threshold_source=getattr(config, "threshold_source", "default"),
                        pipeline=getattr(config, "pipeline", None))
    try:
        from dopt.files import read_dockerfile
        from dopt.frontend import parse_text

        text = read_dockerfile(path)
        df = parse_text(text, path=path)
    except DockerfileSyntaxError as e:
        # No IR to read secrets from: mask ARG/ENV lines of the raw text instead.
        masker = raw_masker(locals().get("text", ""))
        f = syntax_error_finding(e, path)
        f = attrs.evolve(f, message=masker.mask(f.message, keyed=False), snippet=masker.mask(f.snippet))
        result.error = {"rule": "DO400", "message": masker.mask(e.message, keyed=False), "line": f.line, "column": f.column,
                        "expected": e.expected, "rendered": masker.mask(e.render()), "exit_code": e.exit_code}
        result.exit_code = e.exit_code
        result.findings = [f]
        result.masked_text = masker.mask(locals().get("text", ""))
        result.seconds = time.monotonic() - started
        return result
    except DoptError as e:
        result.error = {"rule": None, "message": str(e), "line": None, "column": None, "expected": None,
                        "rendered": e.render(), "exit_code": e.exit_code}
        result.exit_code = e.exit_code
        result.seconds = time.monotonic() - started
        return result

    image_report = build_result = None
    if build:
        try:
            image_report, build_result = _build_and_inspect(path, context, backend=backend, engine=engine)
            result.image = _image_summary(image_report, build_result)
        except EngineUnavailable:
            raise
        except (BuildFailed, DoptError) as e:
            code = e.exit_code if isinstance(e, BuildFailed) else 4
            result.error = {"rule": None, "message": str(e).splitlines()[0] if str(e) else "build failed",
                            "line": None, "column": None, "expected": None, "rendered": e.render(),
                            "exit_code": code}
            result.exit_code = code
    result.findings = analyze_dockerfile(df, path=path, config=config, image=image_report, build=build_result)
    result.masked_text = Facts(df, path=path).masker.mask(text)
    result.seconds = time.monotonic() - started
    return result


def raw_masker(text: str) -> Masker:
    """A :class:`Masker` for text that did not parse: ``ARG``/``ENV`` lines read with a regex.

    >>> raw_masker("ARG X=1\\nENV API_TOKEN=abc123 OTHER=1\\nFROM a b c\\n").secrets
    {'API_TOKEN': 'abc123'}
    """
    secrets: dict[str, str] = {}
    for m in re.finditer(r"(?im)^[ \t]*(?:ARG|ENV)[ \t]+(.*)$", text or ""):
        for name, value in re.findall(r"([A-Za-z_][\w.-]*)[ \t]*=[ \t]*(\"[^\"]*\"|'[^']*'|\S+)", m.group(1)):
            if is_secret_name(name):
                secrets[name] = value.strip("\"'")
    return Masker(secrets)


def _build_and_inspect(path: str, context: str | None, *, backend=None, engine=None):
    import hashlib
    import os

    from dopt.engine.build import build
    from dopt.images import analyze

    ctx = context or os.path.dirname(os.path.abspath(path))
    key = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:12]
    tag = f"dopt-analyze:{key}"
    result = build(path, ctx, tag, backend=backend, engine=engine)
    client = getattr(engine, "client", None)
    report = analyze(tag, dockerfile=path, client=client)
    return report, result


def _image_summary(report, build_result) -> dict:
    return {
        "reference": report.reference, "layers": len(report.layers), "total_bytes": report.total_bytes,
        "final_bytes": report.final_bytes, "wasted_bytes": report.wasted_bytes,
        "efficiency": round(report.efficiency, 4),
        "build_seconds": round(build_result.duration_s, 2) if build_result is not None else None,
        "layer_sizes": [{"index": l.index, "size": l.size, "line": l.dockerfile_line, "kind": l.kind,
                         "is_base": l.is_base} for l in report.layers],
    }


# Rules in ID order for every listing (SARIF, docs), whatever order the headers above are in.
_ordered = sorted(RULES.items())
RULES.clear()
RULES.update(_ordered)
