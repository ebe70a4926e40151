"""BuildKit's variable model: word processing, ``$VAR`` expansion, ARG/ENV scopes.

BuildKit processes the arguments of most instructions with its own small shell
lexer (``frontend/dockerfile/shell/lex.go``), not with ``/bin/sh``: quotes and the
escape character are removed and ``$VAR``/``${VAR...}`` are substituted from the
build's ARG and ENV values.  This module is a faithful port of that lexer plus
the scoping rules around it:

* ARGs declared before the first FROM (global ARGs) are visible only to FROM
  lines, until a stage redeclares them with ``ARG NAME`` (then the global value
  is the default);
* ARG and ENV values are scoped to their stage; ENV wins over ARG of the same
  name;
* a FROM naming an earlier stage (case-insensitively) builds on that stage, even
  when an image of the same name exists.

Example::

    >>> expand("${PY:-3.11}-slim", {})
    '3.11-slim'
    >>> expand("a\\\\ b '$X'", {"X": "1"})
    'a b $X'
"""

from __future__ import annotations

from typing import Mapping

import attrs

from dopt.errors import DoptError
from dopt import ir


class WordError(DoptError):
    """A word BuildKit's lexer rejects (unbalanced quote, bad substitution)."""

    exit_code = 2


# BuildKit's special parameters: `$@`, `$*`, ... are read as one-character names.
_SPECIAL_PARAMS = set("@*#?-$!0")

# Arguments BuildKit defines for every build without a declaration in FROM lines.
BUILTIN_PLATFORM_ARGS = (
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
)


class _Lexer:
    """Port of BuildKit's ``shell.Lex`` for one word.

    ``raw_quotes``/``raw_escapes`` keep quote and escape characters in the
    output (BuildKit uses that to find heredoc markers); ``skip_unset`` leaves a
    reference to an unset variable as written instead of making it empty.
    """

    def __init__(self, text: str, env: Mapping[str, str] | None, escape: str,
                 raw_quotes: bool, raw_escapes: bool, skip_unset: bool):
        self.s = text
        self.pos = 0
        self.env = env or {}
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset

    # -- scanner ----------------------------------------------------------
    def peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def next(self) -> str:
        if self.pos < len(self.s):
            ch = self.s[self.pos]
            self.pos += 1
            return ch
        return ""

    def get_env(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            return self.env[name], True
        return "", False

    # -- words ------------------------------------------------------------
    def process(self, stop: str = "") -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while self.peek() != "":
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result), words.get()
            if ch == "'":
                tmp = self.single_quote()
                result.append(tmp)
                words.add_raw_string(tmp)
            elif ch == '"':
                tmp = self.double_quote()
                result.append(tmp)
                words.add_raw_string(tmp)
            elif ch == "$":
                tmp = self.dollar()
                result.append(tmp)
                words.add_string(tmp)
            else:
                ch = self.next()
                if ch == self.escape:
                    if self.raw_escapes:
                        words.add_raw_char(ch)
                        result.append(ch)
                    ch = self.next()
                    if ch == "":
                        break
                    words.add_raw_char(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop:
            raise WordError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.get()

    def single_quote(self) -> str:
        out = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            ch = self.next()
            if ch == "":
                raise WordError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double_quote(self) -> str:
        out = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            p = self.peek()
            if p == "":
                raise WordError("unexpected end of statement while looking for matching double-quote")
            if p == '"':
                ch = self.next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if p == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                if self.raw_escapes:
                    out.append(ch)
                nxt = self.peek()
                if nxt == "":
                    continue
                if nxt in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        out = []
        while self.peek() != "":
            ch = self.peek()
            if not out and ch.isdigit():
                while self.peek() != "" and self.peek().isdigit():
                    out.append(self.next())
                return "".join(out)
            if not out and ch in _SPECIAL_PARAMS:
                return self.next()
            if not (ch.isalpha() or ch.isdigit() or ch == "_"):
                break
            out.append(self.next())
        return "".join(out)

    def _word_until_brace(self) -> str:
        try:
            word, _ = self.process("}")
        except WordError:
            if self.peek() == "":
                raise WordError("syntax error: missing '}'") from None
            raise
        return word

    def dollar(self) -> str:
        self.next()  # the $
        if self.peek() != "{":
            name = self.name()
            if name == "":
                return "$"
            value, found = self.get_env(name)
            if not found and self.skip_unset:
                return "$" + name
            return value
        self.next()  # the {
        p = self.peek()
        if p == "":
            raise WordError("syntax error: missing '}'")
        if p in "{}:":
            raise WordError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            value, found = self.get_env(name)
            if not found and self.skip_unset:
                return "${%s}" % name
            return value
        if ch == "?":
            word = self._word_until_brace()
            value, found = self.get_env(name)
            if not found:
                if self.skip_unset:
                    return "${%s?%s}" % (name, word)
                raise WordError(f"{name}: {word or 'is not allowed to be unset'}")
            return value
        if ch == ":":
            modifier = self.next()
            word = self._word_until_brace()
            value, found = self.get_env(name)
            if self.skip_unset and not found:
                return "${%s:%s%s}" % (name, modifier, word)
            if modifier == "+":
                return word if value != "" else ""
            if modifier == "-":
                return word if value == "" else value
            if modifier == "?":
                if not found or value == "":
                    raise WordError(f"{name}: {word or 'is not allowed to be empty'}")
                return value
            raise WordError(f"unsupported modifier ({modifier}) in substitution")
        if ch in "+-":
            word = self._word_until_brace()
            value, found = self.get_env(name)
            if self.skip_unset and not found:
                return "${%s%s%s}" % (name, ch, word)
            if ch == "+":
                return word if found else ""
            return value if found else word
        if ch in "#%/":
            # Pattern operators (${VAR#pre}, ${VAR%suf}, ${VAR/a/b}) exist in
            # newer BuildKit; dopt keeps them as written rather than guess.
            word = self._word_until_brace()
            value, found = self.get_env(name)
            if not found and self.skip_unset:
                return "${%s%s%s}" % (name, ch, word)
            return _pattern_op(value, ch, word, self)
        raise WordError("missing ':' in substitution")


def _pattern_op(value: str, op: str, word: str, lex: "_Lexer") -> str:
    import fnmatch
    import re

    if op == "/":
        # ${VAR/pattern/replacement}: first match only
        pat, _, repl = word.partition("/")
        rx = re.compile(fnmatch.translate(pat).replace(r"\Z", "").replace("(?s:", "(?s:", 1))
        return rx.sub(repl, value, count=1)
    longest = word.startswith(op)
    if longest:
        word = word[1:]
    rx = fnmatch.translate(word)[4:-3]  # strip (?s: ... )\Z
    if op == "#":
        ms = [m for i in range(len(value) + 1) if (m := re.fullmatch(rx, value[:i], re.S))]
        if not ms:
            return value
        cut = len(ms[-1].group(0)) if longest else len(ms[0].group(0))
        return value[cut:]
    ms = [i for i in range(len(value) + 1) if re.fullmatch(rx, value[i:], re.S)]
    if not ms:
        return value
    cut = ms[0] if longest else ms[-1]
    return value[:cut]


class _Words:
    """BuildKit's wordsStruct: blanks split words unless they came from quotes."""

    def __init__(self):
        self.words: list[str] = []
        self.word: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch.isspace() and self.in_word:
            if "".join(self.word):
                self.words.append("".join(self.word))
                self.word = []
                self.in_word = False
        elif not ch.isspace():
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.word.append(ch)
        self.in_word = True

    def add_string(self, s: str) -> None:
        for ch in s:
            self.add_char(ch)

    def add_raw_string(self, s: str) -> None:
        self.word.append(s)
        self.in_word = True

    def get(self) -> list[str]:
        # BuildKit keeps a word only when it has characters: `''` alone is no word
        if self.in_word and "".join(self.word):
            self.words.append("".join(self.word))
            self.word = []
            self.in_word = False
        return self.words


def process_word(word: str, env: Mapping[str, str] | None = None, *, escape: str = "\\",
                 skip_unset: bool = False, raw_quotes: bool = False,
                 raw_escapes: bool = False) -> str:
    """Process one word as BuildKit does (quotes/escapes removed, variables expanded).

    >>> process_word('"a b"\\\\ c')
    'a b c'
    >>> process_word("$HOME/x", skip_unset=True)
    '$HOME/x'
    """
    if not _needs_lexer(word, escape):
        return word
    return _run(_Lexer(word, env, escape, raw_quotes, raw_escapes, skip_unset))[0]


def process_words(text: str, env: Mapping[str, str] | None = None, *, escape: str = "\\",
                  skip_unset: bool = False, raw_quotes: bool = False,
                  raw_escapes: bool = False) -> list[str]:
    """Split and process ``text`` into words as BuildKit does.

    >>> process_words("a 'b c' $X", {"X": "d e"})
    ['a', 'b c', 'd', 'e']
    """
    if not _needs_lexer(text, escape):
        return text.split()
    return _run(_Lexer(text, env, escape, raw_quotes, raw_escapes, skip_unset))[1]


# Nesting the lexer follows with recursion; deeper than this is refused (Python's own limit
# would end in a RecursionError traceback, and no real Dockerfile nests ${...} this deep).
MAX_NESTING = 200


def _run(lexer: _Lexer) -> tuple[str, list[str]]:
    if lexer.s.count("${") > MAX_NESTING:
        depth = deepest = 0
        for i, ch in enumerate(lexer.s):
            if ch == "{" and i and lexer.s[i - 1] == "$":
                depth += 1
                deepest = max(deepest, depth)
            elif ch == "}":
                depth = max(depth - 1, 0)
        if deepest > MAX_NESTING:
            raise WordError(f"${{...}} nested {deepest} deep; dopt reads at most {MAX_NESTING} levels")
    try:
        return lexer.process()
    except RecursionError:  # a very deep nesting the count above did not see (quotes, escapes)
        raise WordError(f"substitutions nested too deeply (more than Python's recursion limit)") from None


def _needs_lexer(text: str, escape: str) -> bool:
    # Without quotes, escapes or `$` the lexer returns the text unchanged.
    return escape in text or "'" in text or '"' in text or "$" in text


def expand(word: str, env: Mapping[str, str], *, escape: str = "\\") -> str:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-x}``, ``${VAR-x}``, ``${VAR:+x}``,
    ``${VAR+x}`` (nested) the way BuildKit does; unset variables become empty.

    >>> expand("${A:-${B:-z}}", {})
    'z'
    >>> expand("${A+set}${B:+x}", {"A": "", "B": ""})
    'set'
    """
    return process_word(word, env, escape=escape)


def references(word: str) -> set[str]:
    """Names of the variables ``word`` refers to (best effort, for analyses).

    >>> sorted(references("${A:-$B}/c$D"))
    ['A', 'B', 'D']
    """
    import re

    return set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", word))


# --------------------------------------------------------------------------
# Image references

def parse_image_ref(raw: str, resolved: str | None = None) -> ir.ImageRef:
    """Split an image reference like Docker's reference parser.

    The registry is the first path component when it contains ``.`` or ``:``
    or is ``localhost``; no default tag is filled in.

    >>> r = parse_image_ref("localhost:5000/team/app:1.2@sha256:abc")
    >>> (r.registry, r.repository, r.tag, r.digest)
    ('localhost:5000', 'team/app', '1.2', 'sha256:abc')
    >>> parse_image_ref("python:3.11").tag
    '3.11'
    """
    text = raw if resolved is None else resolved
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
    registry = None
    first, sep, rest = text.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, text = first, rest
    tag = None
    last_slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > last_slash:
        text, tag = text[:colon], text[colon + 1:]
    return ir.ImageRef(raw=raw, registry=registry, repository=text, tag=tag, digest=digest)


# --------------------------------------------------------------------------
# Scopes


def global_args(df: ir.Dockerfile) -> dict[str, str | None]:
    """Global ARGs (before the first FROM) and their defaults (processed).

    >>> from dopt.frontend import parse_text
    >>> global_args(parse_text("ARG V=3\\nFROM a:$V\\n"))
    {'V': '3'}
    """
    out: dict[str, str | None] = {}
    env: dict[str, str] = {}
    for ins in df.preamble:
        if isinstance(ins, ir.Arg):
            for d in ins.decls:
                value = _decl_value(d, env, df.escape)
                out[d.name] = value
                if value is not None:
                    env[d.name] = value
    return out


def _decl_value(d: ir.ArgDecl, env: Mapping[str, str], escape: str) -> str | None:
    if d.default is None:
        return None
    raw = d.raw
    if raw is not None and "=" in raw:
        try:
            return expand(raw.split("=", 1)[1], env, escape=escape)
        except WordError:
            return d.default
    return d.default


def scope_at(df: ir.Dockerfile, stage_index: int, instruction_index: int,
             build_args: Mapping[str, str] | None = None) -> dict[str, str]:
    """ARG and ENV values visible to instruction ``instruction_index`` of a stage.

    ``instruction_index`` counts the stage's instructions after its FROM (0 is
    the first one); ARG/ENV at that index are not yet in effect.  Global ARGs
    appear only when the stage redeclares them.  ``build_args`` play the part
    of ``--build-arg`` values.

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("ARG V=1\\nFROM a\\nARG V\\nENV E=$V\\nRUN x\\n")
    >>> scope_at(df, 0, 2)
    {'V': '1', 'E': '1'}
    """
    build_args = dict(build_args or {})
    globals_ = global_args(df)
    stage = df.stages[stage_index]
    args: dict[str, str] = {}
    envs: dict[str, str] = {}
    # BuildKit inherits ENV (not ARG) from a parent stage.
    resolved = resolve_stages(df, build_args)
    parent = resolved[stage_index].parent_index
    if parent is not None:
        envs.update(_env_only(df, parent, build_args))
    for ins in stage.instructions[:instruction_index]:
        visible = {**args, **envs}
        if isinstance(ins, ir.Arg):
            for d in ins.decls:
                if d.name in build_args:
                    args[d.name] = build_args[d.name]
                elif d.default is not None:
                    value = _decl_value(d, visible, df.escape)
                    args[d.name] = value if value is not None else ""
                elif d.name in globals_ and globals_[d.name] is not None:
                    args[d.name] = globals_[d.name]  # type: ignore[assignment]
                visible = {**args, **envs}
        elif isinstance(ins, ir.Env):
            for kv in ins.pairs:
                envs[kv.key] = _kv_value(kv, visible, df.escape)
                visible = {**args, **envs}
    return {**args, **envs}


def _env_only(df: ir.Dockerfile, stage_index: int, build_args: Mapping[str, str]) -> dict[str, str]:
    full = scope_at(df, stage_index, len(df.stages[stage_index].instructions), build_args)
    names = {kv.key for ins in df.stages[stage_index].instructions
             if isinstance(ins, ir.Env) for kv in ins.pairs}
    resolved = resolve_stages(df, build_args)
    parent = resolved[stage_index].parent_index
    inherited = _env_only(df, parent, build_args) if parent is not None else {}
    return {**inherited, **{k: v for k, v in full.items() if k in names}}


def _kv_value(kv: ir.KeyValue, env: Mapping[str, str], escape: str) -> str:
    raw = kv.raw
    if raw is not None and "=" in raw:
        try:
            return expand(raw.split("=", 1)[1], env, escape=escape)
        except WordError:
            return kv.value
    try:
        return expand(kv.value, env, escape=escape)
    except WordError:
        return kv.value


@attrs.frozen
class ResolvedStage:
    """What a stage's FROM resolves to.

    ``base`` is the FROM image text after expanding global ARGs; ``image`` its
    parsed reference; ``parent_index`` the index of the earlier stage it builds
    on (None for an external image); ``copy_sources`` maps each ``COPY --from``
    of the stage to a stage index (int) or an external image (ImageRef).
    """

    index: int
    name: str | None
    base: str
    image: ir.ImageRef
    parent_index: int | None = None
    copy_sources: tuple[tuple[int, int | ir.ImageRef], ...] = ()

    @property
    def is_stage_ref(self) -> bool:
        return self.parent_index is not None


def resolve_stages(df: ir.Dockerfile, build_args: Mapping[str, str] | None = None) -> list[ResolvedStage]:
    """Resolve every stage's base and its ``COPY --from`` references.

    Stage names are compared case-insensitively and shadow image names
    (``FROM node AS alpine`` then ``FROM alpine`` builds on the stage).

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("FROM node:20 AS alpine\\nFROM alpine\\nCOPY --from=0 /a /b\\n")
    >>> [(s.base, s.parent_index) for s in resolve_stages(df)]
    [('node:20', None), ('alpine', 0)]
    >>> resolve_stages(df)[1].copy_sources
    ((0, 0),)
    """
    build_args = dict(build_args or {})
    env: dict[str, str] = {}
    for name, value in global_args(df).items():
        if name in build_args:
            env[name] = build_args[name]
        elif value is not None:
            env[name] = value
    names: dict[str, int] = {}
    out: list[ResolvedStage] = []
    for index, stage in enumerate(df.stages):
        raw = stage.from_.image.raw
        try:
            base = expand(raw, env, escape=df.escape)
        except WordError:
            base = raw
        parent = names.get(base.lower())
        image = parse_image_ref(raw, base)
        sources: list[tuple[int, int | ir.ImageRef]] = []
        for i, ins in enumerate(stage.instructions):
            if isinstance(ins, ir.CopyLike) and ins.from_stage is not None:
                ref = ins.from_stage
                if ref.isdigit():
                    sources.append((i, int(ref)))
                elif ref.lower() in names:
                    sources.append((i, names[ref.lower()]))
                else:
                    sources.append((i, parse_image_ref(ref)))
        out.append(ResolvedStage(index=index, name=stage.name, base=base, image=image,
                                 parent_index=parent, copy_sources=tuple(sources)))
        if stage.name:
            names[stage.name.lower()] = index
    return out
