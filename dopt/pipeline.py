"""The pass manager: pipeline text, pass context, pragmas, dumps.

A pipeline is text in the LLVM/MLIR style::

    fuse,split,reorder
    cleanup<mounts>,fuse
    lower<distroless=true;variant=slim>
    repeat<2>(fuse,cleanup)

``parse_pipeline(text)`` reads it into a :class:`Pipeline`; ``str(pipeline)``
prints the normalized form, and reading that back gives an equal pipeline.

Example::

    >>> from dopt.pipeline import parse_pipeline
    >>> str(parse_pipeline("fuse , cleanup<mounts>"))
    'fuse,cleanup<mounts>'
"""

from __future__ import annotations

import difflib
import re
from typing import Callable, Iterable

import attrs
from attrs import define, field, frozen

from dopt.errors import DoptError, UsageError
from dopt.ir import Dockerfile, Instruction, Span

# --------------------------------------------------------------------------
# Pipeline text


@frozen
class PassSpec:
    """One pass in a pipeline with its options (``True`` for a bare flag)."""

    name: str
    options: tuple[tuple[str, str | bool], ...] = ()

    def option_dict(self) -> dict[str, str | bool]:
        return dict(self.options)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        parts = [k if v is True else f"{k}={v}" for k, v in self.options]
        return f"{self.name}<{';'.join(parts)}>"


@frozen
class Repeat:
    """``repeat<N>(...)``: run the inner pipeline N times (stops early at a fixed point)."""

    count: int
    body: "Pipeline"

    def __str__(self) -> str:
        return f"repeat<{self.count}>({self.body})"


@frozen
class Pipeline:
    elements: tuple[PassSpec | Repeat, ...] = ()

    def __str__(self) -> str:
        return ",".join(str(e) for e in self.elements)

    def flat_names(self) -> list[str]:
        out: list[str] = []
        for e in self.elements:
            out.extend(e.body.flat_names() if isinstance(e, Repeat) else [e.name])
        return out

    def without(self, names: Iterable[str]) -> "Pipeline":
        drop = set(names)
        kept: list[PassSpec | Repeat] = []
        for e in self.elements:
            if isinstance(e, Repeat):
                body = e.body.without(drop)
                if body.elements:
                    kept.append(Repeat(e.count, body))
            elif e.name not in drop:
                kept.append(e)
        return Pipeline(tuple(kept))


class PipelineSyntaxError(UsageError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][\w-]*)(?![^\s<>(),;=])|(?P<punct>[<>(),;=])|(?P<num>\d+)(?![^\s<>(),;=])"
    r"|(?P<word>[^\s<>(),;=]+))"
)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise PipelineSyntaxError(f"pipeline: unexpected character {text[pos]!r} at column {pos + 1}: {text}")
        kind = m.lastgroup or "punct"
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


def parse_pipeline(text: str, *, known: Iterable[str] | None = None) -> Pipeline:
    """Parse pipeline text; unknown pass names fail with a suggestion.

    >>> parse_pipeline("repeat<2>(fuse)").elements[0].count
    2
    """
    known_names = list(known) if known is not None else _registry_names()
    tokens = _tokenize(text)
    pos = 0

    def peek(value: str | None = None):
        if pos < len(tokens) and (value is None or tokens[pos][1] == value):
            return tokens[pos]
        return None

    def expect(value: str):
        nonlocal pos
        tok = peek()
        if tok is None or tok[1] != value:
            got = "end of text" if tok is None else repr(tok[1])
            raise PipelineSyntaxError(f"pipeline: expected {value!r}, got {got}: {text}")
        pos += 1
        return tok

    def option_value() -> str:
        # a value runs until ';' or '>' (values may contain '-', '.', '/', ':')
        nonlocal pos
        start = tokens[pos][2] if pos < len(tokens) else len(text)
        depth_end = text.find(">", start)
        semi = text.find(";", start)
        end = min(x for x in (depth_end, semi) if x != -1) if (depth_end != -1 or semi != -1) else len(text)
        value = text[start:end].strip()
        while pos < len(tokens) and tokens[pos][2] < end:
            pos += 1
        return value

    def element() -> PassSpec | Repeat:
        nonlocal pos
        tok = peek()
        if tok is None or tok[0] != "name":
            got = "end of text" if tok is None else repr(tok[1])
            raise PipelineSyntaxError(f"pipeline: expected a pass name, got {got}: {text}")
        pos += 1
        name = tok[1]
        if name == "repeat":
            expect("<")
            num = peek()
            if num is None or num[0] != "num":
                raise PipelineSyntaxError(f"pipeline: repeat<N> needs a number: {text}")
            pos += 1
            expect(">")
            expect("(")
            body = sequence(")")
            expect(")")
            return Repeat(int(num[1]), body)
        if name not in known_names:
            hint = difflib.get_close_matches(name, known_names, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise PipelineSyntaxError(
                f"unknown pass {name!r}{extra} (known: {', '.join(known_names)})"
            )
        options: list[tuple[str, str | bool]] = []
        if peek("<"):
            pos += 1
            while not peek(">"):
                key = peek()
                if key is None or key[0] != "name":
                    raise PipelineSyntaxError(f"pipeline: expected an option name in {name}<...>: {text}")
                pos += 1
                if peek("="):
                    pos += 1
                    options.append((key[1], option_value()))
                else:
                    options.append((key[1], True))
                if peek(";"):
                    pos += 1
                elif not peek(">"):
                    raise PipelineSyntaxError(f"pipeline: expected ';' or '>' in {name}<...>: {text}")
            expect(">")
        return PassSpec(name, tuple(options))

    def sequence(end: str | None) -> Pipeline:
        nonlocal pos
        elems = []
        if peek(end) if end else pos >= len(tokens):
            return Pipeline(())
        elems.append(element())
        while peek(","):
            pos += 1
            elems.append(element())
        return Pipeline(tuple(elems))

    pipeline = sequence(None)
    if pos < len(tokens):
        raise PipelineSyntaxError(f"pipeline: unexpected {tokens[pos][1]!r} at column {tokens[pos][2] + 1}: {text}")
    return pipeline


def validate_pipeline(pipeline: "Pipeline") -> None:
    """Fail on options a pass does not have (``cleanup<mount>`` is a typo of ``cleanup<mounts>``).

    >>> validate_pipeline(parse_pipeline("cleanup<mount>"))
    Traceback (most recent call last):
    ...
    dopt.pipeline.PipelineSyntaxError: pass 'cleanup' has no option 'mount'; did you mean 'mounts'? (options: mounts, no-recommends)
    """
    from passes import by_name

    for element in pipeline.elements:
        if isinstance(element, Repeat):
            validate_pipeline(element.body)
            continue
        known = list(getattr(by_name(element.name), "OPTIONS", {}) or {})
        for key, _ in element.options:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                listing = f" (options: {', '.join(known)})" if known else " (it takes no options)"
                raise PipelineSyntaxError(f"pass {element.name!r} has no option {key!r}{extra}{listing}")


def _registry_names() -> list[str]:
    from passes import PASSES

    return [p.NAME for p in PASSES]


# The documented -O levels (docs/DESIGN.md explains the order).
OPT_LEVELS: dict[str, str] = {
    "0": "noop",
    "1": "fuse,cleanup",
    "2": "reorder,split,lower,fuse,cleanup<no-recommends>",
    "3": "reorder,split,crossbuild,lower<distroless>,fuse,cleanup<no-recommends;mounts>",
}


def level_pipeline(level: str) -> str:
    """Pipeline text for an -O level, restricted to the passes that exist."""
    names = set(_registry_names())
    text = OPT_LEVELS[level]
    kept = [p for p in text.split(",") if p.split("<")[0] in names]
    return ",".join(kept) or "noop"


# --------------------------------------------------------------------------
# Diagnostics and context


@frozen
class Diagnostic:
    """A message from a pass: ``kind`` is ``changed``, ``declined``, ``warning`` or ``note``."""

    pass_name: str
    kind: str
    message: str
    span: Span | None = None

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        return f"[{self.pass_name}] {where}{self.message}"


@define
class PassContext:
    """What a pass gets besides the IR: options, analyses, diagnostics, settings.

    ``settings`` carries run-wide inputs (``runtime_deps``, ``platform``,
    ``context_dir``, ...) that several passes read.
    """

    settings: dict = field(factory=dict)
    options: dict = field(factory=dict)
    diagnostics: list[Diagnostic] = field(factory=list)
    pass_name: str = ""
    _analysis_cache: dict = field(factory=dict)
    _skip: Callable[[Instruction, str], bool] | None = None

    # -- reporting -----------------------------------------------------
    def changed(self, message: str, span: Span | None = None) -> None:
        self.diagnostics.append(Diagnostic(self.pass_name, "changed", message, span))

    def decline(self, message: str, span: Span | None = None) -> None:
        self.diagnostics.append(Diagnostic(self.pass_name, "declined", message, span))

    def warn(self, message: str, span: Span | None = None) -> None:
        self.diagnostics.append(Diagnostic(self.pass_name, "warning", message, span))

    def note(self, message: str, span: Span | None = None) -> None:
        self.diagnostics.append(Diagnostic(self.pass_name, "note", message, span))

    # -- options -------------------------------------------------------
    def option(self, key: str, default=None):
        value = self.options.get(key, default)
        if isinstance(default, bool) and isinstance(value, str):
            return value.lower() in ("1", "true", "yes", "on")
        if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                raise UsageError(f"{self.pass_name}<{key}=...> must be a number, got {value!r}") from None
        return value

    # -- pragmas -------------------------------------------------------
    def is_skipped(self, instruction: Instruction) -> bool:
        """True when a ``# dopt: skip=`` pragma protects this instruction from this pass."""
        return bool(self._skip and self._skip(instruction, self.pass_name))

    # -- analyses ------------------------------------------------------
    def analysis(self, name: str, df: Dockerfile):
        """Compute (or reuse) an analysis of ``df`` (see ``dopt/analysis/__init__.py``)."""
        key = (name, id(df))
        hit = self._analysis_cache.get(key)
        if hit is not None and hit[0] is df:
            return hit[1]
        from dopt.analysis import ANALYSES

        result = ANALYSES[name](df)
        self._analysis_cache[key] = (df, result)
        return result

    def invalidate(self, keep: Iterable[str] = ()) -> None:
        keep = set(keep)
        self._analysis_cache = {k: v for k, v in self._analysis_cache.items() if k[0] in keep}


# --------------------------------------------------------------------------
# Pragmas: ``# dopt: skip=fuse,reorder`` / ``# dopt: stage skip=...`` / ``# dopt: global skip=...``

_PRAGMA = re.compile(r"^[ \t]*#[ \t]*dopt:?[ \t]+(?:(?P<scope>stage|global)[ \t]+)?skip=(?P<names>[\w,\- ]+)", re.M)


def _pragmas(text: str) -> list[tuple[str, set[str]]]:
    return [
        (m.group("scope") or "next", {n.strip() for n in m.group("names").split(",") if n.strip()})
        for m in _PRAGMA.finditer(text)
    ]


@frozen
class Pragmas:
    global_skip: frozenset[str]
    # instruction source text + start line -> skipped passes
    by_instruction: dict = attrs.field(factory=dict, eq=False)

    @classmethod
    def collect(cls, df: Dockerfile) -> "Pragmas":
        global_skip: set[str] = set()
        table: dict[tuple, set[str]] = {}
        for ins in df.preamble:
            for scope, names in _pragmas(ins.leading):
                if scope == "global":
                    global_skip |= names
                else:
                    table.setdefault(_key(ins), set()).update(names)
        for stage in df.stages:
            stage_skip: set[str] = set()
            for scope, names in _pragmas(stage.from_.leading):
                if scope == "global":
                    global_skip |= names
                elif scope == "stage":
                    stage_skip |= names
                else:
                    table.setdefault(_key(stage.from_), set()).update(names)
            for ins in stage.instructions:
                names_here = set(stage_skip)
                for scope, names in _pragmas(ins.leading):
                    if scope == "global":
                        global_skip |= names
                    else:
                        names_here |= names
                if names_here:
                    table.setdefault(_key(ins), set()).update(names_here)
            if stage_skip:
                table.setdefault(_key(stage.from_), set()).update(stage_skip)
        for scope, names in _pragmas(df.trailer):
            if scope == "global":
                global_skip |= names
        return cls(frozenset(global_skip), table)

    def skips(self, instruction: Instruction, pass_name: str) -> bool:
        if pass_name in self.global_skip or "all" in self.global_skip:
            return True
        names = self.by_instruction.get(_key(instruction), ())
        return pass_name in names or "all" in names


def _warn_unknown_pragma_names(df: Dockerfile, ctx: "PassContext") -> None:
    names = set(_registry_names()) | {"all"}
    texts = [ins.leading for ins in df.instructions()] + [df.trailer]
    saved = ctx.pass_name
    ctx.pass_name = "pipeline"
    for text in texts:
        for _, skipped in _pragmas(text):
            for name in sorted(skipped - names):
                hint = difflib.get_close_matches(name, sorted(names), n=1)
                ctx.warn(f"'# dopt: skip={name}' names no pass" + (f"; did you mean {hint[0]!r}?" if hint else ""))
    ctx.pass_name = saved


def _key(ins: Instruction) -> tuple:
    return (ins.source, ins.span.start_line if ins.span else None)


# --------------------------------------------------------------------------
# Running


@frozen
class Dump:
    """The IR after one pass (``index`` 0 is the input)."""

    index: int
    pass_name: str
    text: str
    changed: bool


@define
class PipelineResult:
    dockerfile: Dockerfile
    text: str
    diagnostics: list[Diagnostic]
    dumps: list[Dump]
    pipeline: Pipeline

    @property
    def applied(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.kind == "changed"]

    @property
    def declined(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.kind == "declined"]

    @property
    def changed_passes(self) -> list[str]:
        seen: list[str] = []
        for d in self.dumps[1:]:
            if d.changed and d.pass_name not in seen:
                seen.append(d.pass_name)
        return seen


class PassFailed(DoptError):
    exit_code = 1


def banner(pass_name: str, index: int) -> str:
    return f"# *** dopt: IR dump after pass {index}: {pass_name} ***"


def with_banner(text: str, df: Dockerfile, title: str) -> str:
    """Insert a comment banner after the parser directives, so the dump still parses the same."""
    nl = df.newline
    head = "".join(d.source for d in df.directives)
    rest = text[len(head):]
    return f"{head}{title}{nl}{rest}"


def run_pipeline(
    df: Dockerfile,
    pipeline: Pipeline | str,
    *,
    settings: dict | None = None,
    verify_each: bool = False,
    keep_dumps: bool = True,
) -> PipelineResult:
    """Run ``pipeline`` over ``df``.

    Returns the new IR, its text, every diagnostic and (when ``keep_dumps``)
    the text after each pass. With ``verify_each`` the IR verifier runs after
    every pass and a broken invariant raises :class:`PassFailed` naming the pass.

    >>> from dopt import parse_text
    >>> r = run_pipeline(parse_text("FROM a\\n"), "noop")
    >>> r.text
    'FROM a\\n'
    """
    from dopt.printer import print_ir
    from passes import by_name

    if isinstance(pipeline, str):
        pipeline = parse_pipeline(pipeline)
    validate_pipeline(pipeline)
    _check_settings(settings or {})
    ctx = PassContext(settings=dict(settings or {}))
    dumps: list[Dump] = []
    text = print_ir(df)
    if keep_dumps:
        dumps.append(Dump(0, "input", text, False))
    counter = [0]

    def run_elements(current: Dockerfile, elements) -> Dockerfile:
        for element in elements:
            if isinstance(element, Repeat):
                for _ in range(element.count):
                    before = current
                    current = run_elements(current, element.body.elements)
                    if current == before:
                        break
                continue
            current = run_one(current, element)
        return current

    def run_one(current: Dockerfile, spec: PassSpec) -> Dockerfile:
        module = by_name(spec.name)
        pragmas = Pragmas.collect(current)
        counter[0] += 1
        ctx.pass_name = spec.name
        ctx.options = spec.option_dict()
        ctx._skip = pragmas.skips
        if counter[0] == 1:
            _warn_unknown_pragma_names(current, ctx)
        if spec.name in pragmas.global_skip or "all" in pragmas.global_skip:
            ctx.note(f"skipped: '# dopt: global skip={spec.name}'")
            if keep_dumps:
                dumps.append(Dump(counter[0], spec.name, print_ir(current), False))
            return current
        result = module.run(current, ctx)
        result = _enforce_pragmas(current, result, pragmas, spec.name, ctx)
        changed = result != current
        if changed:
            ctx.invalidate(getattr(module, "PRESERVES", ()))
        if verify_each:
            from dopt.verify import verify

            problems = verify(result)
            if problems:
                raise PassFailed(f"pass {spec.name!r} broke IR invariants: " + "; ".join(problems))
        if keep_dumps:
            dumps.append(Dump(counter[0], spec.name, print_ir(result), changed))
        return result

    out = run_elements(df, pipeline.elements)
    return PipelineResult(out, print_ir(out), ctx.diagnostics, dumps, pipeline)


# Every settings key a pass reads; a misspelt key ("context" for "context_dir") would silently do nothing.
SETTINGS_KEYS = frozenset({"runtime_deps", "path", "context_dir", "build_args", "target", "platform"})


def _check_settings(settings: dict) -> None:
    unknown = sorted(set(settings) - SETTINGS_KEYS)
    if unknown:
        hints = [difflib.get_close_matches(k, sorted(SETTINGS_KEYS), n=1) for k in unknown]
        said = ", ".join(f"{k!r}" + (f" (did you mean {h[0]!r}?)" if h else "") for k, h in zip(unknown, hints))
        raise UsageError(f"unknown pipeline settings {said}; known: {', '.join(sorted(SETTINGS_KEYS))}")


def _enforce_pragmas(before: Dockerfile, after: Dockerfile, pragmas: Pragmas, name: str,
                     ctx: PassContext) -> Dockerfile:
    """A pass must leave pragma-protected instructions exactly as they were; else its result is dropped."""
    protected = [
        ins for ins in before.instructions()
        if ins.source is not None and pragmas.skips(ins, name)
    ]
    if not protected or after == before:
        return after
    remaining = {(i.source, i.span.start_line if i.span else None) for i in after.instructions()}
    broken = [ins for ins in protected if _key(ins) not in remaining]
    if not broken:
        return after
    first = broken[0]
    ctx.warn(
        f"pass changed an instruction protected by '# dopt: skip={name}'; its changes were reverted",
        first.span,
    )
    ctx.diagnostics[:] = [d for d in ctx.diagnostics if not (d.pass_name == name and d.kind == "changed")]
    return before


def compile_text(text: str, pipeline: Pipeline | str = "noop", *, path: str | None = None,
                 settings: dict | None = None, verify_each: bool = False) -> PipelineResult:
    """Parse ``text``, run ``pipeline``, return the result.

    >>> compile_text("FROM a\\nRUN x\\nRUN y\\n", "noop").text
    'FROM a\\nRUN x\\nRUN y\\n'
    """
    from dopt.frontend import parse_text

    return run_pipeline(parse_text(text, path=path), pipeline, settings=settings, verify_each=verify_each)


def diff_text(a: str, b: str, from_name: str = "before", to_name: str = "after") -> str:
    return "".join(
        difflib.unified_diff(a.splitlines(True), b.splitlines(True), fromfile=from_name, tofile=to_name)
    )
