"""Text -> IR: the only module that imports lark.

Two steps, mirroring BuildKit's parser:

1. *Lines* (here, in Python): physical lines become logical lines.  This step
   owns what an LALR grammar cannot see: parser directives, the escape
   character, continuations (``ESC [ \\t]* NEWLINE``), comment and blank lines
   inside continuations, heredoc bodies, and which text each node owns.
2. *Syntax* (``grammar/dockerfile.lark``): each logical line is parsed by the
   Lark grammar and lowered into the typed nodes of :mod:`dopt.ir`.

Example::

    >>> df = parse_text("FROM alpine:3.19 AS build\\nRUN echo hi\\n")
    >>> df.stages[0].name, df.stages[0].instructions[0].command.text
    ('build', 'echo hi')
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dopt import ir
from dopt.errors import DockerfileSyntaxError, UsageError
from dopt.flags import ALLOWED_FLAGS, scan_flag_words, split_flag, unquote_flag
from dopt.variables import WordError, expand, parse_image_ref, process_word, process_words

__all__ = ["parse_text", "parse_file", "to_buildkit", "KEYWORDS"]

KEYWORDS = (
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
    "WORKDIR",
)

_DIRECTIVE_RE = re.compile(r"^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$", re.S)
_VALID_DIRECTIVES = ("syntax", "escape", "check")
_HEREDOC_RE = re.compile(r"^(\d*)<<(-?)([^<]*)$", re.S)
_SPLIT_WS = re.compile(r"[\t\v\f\r ]+")
_LEADING_TABS = re.compile(r"(?m)^\t+")

# Lark terminal names -> words for error messages.
_HUMAN = {
    "FLAG": "a --flag", "FLAGS_END": "'--'", "WORD": "a word", "TEXT": "arguments",
    "JSON_ARRAY": "a JSON array", "JSON_TRAILER": "end of line", "AS": "AS",
    "HC_NONE": "NONE", "HC_CMD": "CMD", "KV_PAIR": "key=value", "KV_PAIR_BT": "key=value",
    "LEGACY_KEY": "a key", "SWORD": "a name or name=value", "SWORD_BT": "a name or name=value",
    "$END": "end of line",
}

_PARSER = None
_LARK = None


def _parser():
    """The Lark parser, built once per process (and cached on disk by Lark)."""
    global _PARSER
    if _PARSER is None:
        from importlib import resources

        lark = _import_lark()

        grammar = resources.files("grammar").joinpath("dockerfile.lark").read_text(encoding="utf-8")
        try:
            _PARSER = lark.Lark(grammar, parser="lalr", lexer="contextual",
                                start=["start", "start_bt"], cache=True)
        except OSError:  # read-only temp dir: build without the cache
            _PARSER = lark.Lark(grammar, parser="lalr", lexer="contextual",
                                start=["start", "start_bt"])
    return _PARSER


def _import_lark():
    """Import lark without the optional ``regex`` module.

    lark imports ``regex`` at import time when it is installed (~35 ms) but
    only uses it when asked to; the grammar needs nothing beyond ``re``, and
    ``dopt parse`` should start fast.
    """
    global _LARK
    if _LARK is not None:
        return _LARK
    import sys

    if "lark" in sys.modules or "regex" in sys.modules:
        import lark
    else:
        sys.modules["regex"] = None  # type: ignore[assignment]
        try:
            import lark
        finally:
            del sys.modules["regex"]
    _LARK = lark
    return lark


# --------------------------------------------------------------------------
# Step 1: physical lines -> logical lines


def _trim_newline(s: str) -> str:
    return s.rstrip("\r\n")


def _is_comment(body: str) -> bool:
    return body.lstrip().startswith("#")


@dataclass
class _Logical:
    """One instruction as the line step sees it."""

    line: str  # the logical line (BuildKit's Node.Original before heredocs)
    start: int  # 0-based index of its first physical line
    end: int  # 0-based index of its last physical line (heredoc bodies included)
    leading: str
    # (offset in `line`, physical line index, column in that physical line)
    segments: list[tuple[int, int, int]] = field(default_factory=list)
    empty_continuation: bool = False
    node: ir.Instruction | None = None
    inner_at: tuple[int, int] | None = None
    heredocs_raw: list[tuple[ir.Heredoc, str]] = field(default_factory=list)

    def locate(self, offset: int) -> tuple[int, int]:
        """Physical (line index, 0-based column) of an offset in the logical line."""
        best = self.segments[0]
        for seg in self.segments:
            if seg[0] <= offset:
                best = seg
        return best[1], best[2] + (offset - best[0])


class _Reader:
    def __init__(self, text: str, path: str | None):
        self.text = text
        self.path = path
        # Split on "\n" only (BuildKit's scanner); "\r" stays in the line.
        self.lines: list[str] = re.findall(r"[^\n]*\n|[^\n]+$", text)
        self.escape = "\\"
        self._set_continuation()
        self.directives: list[ir.Directive] = []
        self.items: list[_Logical] = []
        self.warnings: list[ir.ParseWarning] = []
        self.trailer = ""

    def _set_continuation(self) -> None:
        e = re.escape(self.escape)
        self.cont_re = re.compile(r"(?:(?<=[^%s])|^)%s[ \t]*\Z" % (e, e), re.S)

    def body(self, i: int) -> str:
        s = _trim_newline(self.lines[i])
        if i == 0 and s.startswith("\ufeff"):
            s = s[1:]
        return s

    def error(self, message: str, line_index: int, column: int = 0,
              expected: str | None = None) -> DockerfileSyntaxError:
        line_text = self.body(line_index) if 0 <= line_index < len(self.lines) else None
        return DockerfileSyntaxError(message, path=self.path, line=line_index + 1,
                                     column=column + 1, line_text=line_text, expected=expected)

    def trim_continuation(self, s: str) -> tuple[str, bool]:
        m = self.cont_re.search(s)
        if m:
            return s[: m.start()], False
        return s, True

    def read(self) -> None:
        lines = self.lines
        n = len(lines)
        i = 0
        directives_done = False
        seen: set[str] = set()
        trivia = ""
        while i < n:
            raw = lines[i]
            body = self.body(i)
            stripped = body.lstrip()
            if not directives_done:
                m = _DIRECTIVE_RE.match(stripped)
                name = m.group(1).lower() if m else None
                if m and name in _VALID_DIRECTIVES:
                    if name in seen:
                        raise self.error(f"only one {name} parser directive can be used", i)
                    seen.add(name)
                    value = m.group(2)
                    if name == "escape":
                        if value not in ("`", "\\"):
                            raise self.error(f"invalid escape token '{value}' does not match ` or \\", i)
                        self.escape = value
                        self._set_continuation()
                    self.directives.append(ir.Directive(name=name, value=value, source=raw))
                    i += 1
                    continue
                directives_done = True
            if stripped.startswith("#"):
                m = _DIRECTIVE_RE.match(stripped)
                if m and m.group(1).lower() in _VALID_DIRECTIVES:
                    self.warnings.append(ir.ParseWarning(
                        code="IgnoredDirective",
                        message=f"'{stripped}' is a plain comment here: parser directives must "
                                "come before any comment, blank line or instruction",
                        line=i + 1))
                trivia += raw
                i += 1
                continue
            first, end_of_line = self.trim_continuation(stripped)
            if end_of_line and first == "":
                trivia += raw
                i += 1
                continue
            item = _Logical(line=first, start=i, end=i, leading=trivia)
            trivia = ""
            item.segments.append((0, i, len(body) - len(stripped)))
            i += 1
            line = first
            while not end_of_line and i < n:
                body = self.body(i)
                i += 1
                if _is_comment(body):
                    continue
                if body.strip() == "":
                    item.empty_continuation = True
                    continue
                part, end_of_line = self.trim_continuation(body)
                item.segments.append((len(line), i - 1, 0))
                line += part
            item.line = line
            item.end = i - 1
            if item.empty_continuation:
                self.warnings.append(ir.ParseWarning(
                    code="NoEmptyContinuation",
                    message="Empty continuation line found in: " + line,
                    line=item.start + 1))
            self.items.append(item)
            # Heredoc bodies follow the logical line; parse it first to know
            # whether this instruction may carry heredocs.
            item.node = _Lowerer(self, item).lower()
            i = self._read_heredocs(item, i)
            self._finish(item)
        self.trailer = trivia

    def _finish(self, item: _Logical) -> None:
        """Give the node the exact text it owns (heredoc bodies included)."""
        lines = self.lines
        span = ir.Span(item.start + 1, item.end + 1)
        node = item.node
        if isinstance(node, ir.Onbuild) and item.inner_at is not None:
            line_index, column = item.inner_at
            if line_index == 0 and lines[0].startswith("\ufeff"):
                column += 1
            inner_source = lines[line_index][column:] + "".join(lines[line_index + 1: item.end + 1])
            node = _evolve(node, inner=_evolve(node.inner, source=inner_source, leading="", span=span))
        item.node = _evolve(node, leading=item.leading, span=span,
                            source="".join(lines[item.start: item.end + 1]))

    def _read_heredocs(self, item: _Logical, i: int) -> int:
        node = item.node
        inner = node.inner if isinstance(node, ir.Onbuild) else node
        if not isinstance(inner, (ir.Run, ir.CopyLike)) or _is_json(inner):
            return i
        try:
            openers = _heredocs_from_line(item.line)
        except WordError as e:
            raise self.error(str(e), item.start) from None
        if not openers:
            return i
        docs: list[ir.Heredoc] = []
        for doc in openers:
            content: list[str] = []
            terminated = False
            while i < len(self.lines):
                raw = self.lines[i]
                i += 1
                candidate = _trim_newline(raw)
                if doc.strip_tabs:
                    candidate = candidate.lstrip("\t")
                if candidate == doc.name:
                    terminated = True
                    break
                content.append(raw)
            if not terminated:
                raise self.error(f"unterminated heredoc {doc.opener!r}: no line {doc.name!r} "
                                 f"closes it (lines {item.start + 1}-{i})", item.start,
                                 expected=f"a line holding only {doc.name}")
            raw_content = "".join(content)
            body = _LEADING_TABS.sub("", raw_content) if doc.strip_tabs else raw_content
            docs.append(doc)
            item.heredocs_raw.append((ir.Heredoc(name=doc.name, content=body, strip_tabs=doc.strip_tabs,
                                                 expand=doc.expand, opener=doc.opener,
                                                 file_descriptor=doc.file_descriptor), raw_content))
            if doc.expand and "\\" in doc.opener and not any(q in doc.opener for q in "'\""):
                self.warnings.append(ir.ParseWarning(
                    code="HeredocBackslashExpands",
                    message=f"heredoc {doc.opener} is escaped with a backslash only; BuildKit still "
                            "expands variables in its body (quote the delimiter to stop that)",
                    line=item.start + 1))
        item.end = i - 1
        heredocs = tuple(h for h, _ in item.heredocs_raw)
        if isinstance(node, ir.Onbuild):
            item.node = _evolve(node, inner=_evolve(inner, heredocs=heredocs))
        else:
            item.node = _evolve(node, heredocs=heredocs)
        return i


def _evolve(node, **changes):
    import attrs

    return attrs.evolve(node, **changes)


def _is_json(node: ir.Instruction) -> bool:
    if isinstance(node, ir.Run):
        return isinstance(node.command, ir.ExecForm)
    return bool(getattr(node, "json", False))


def _heredocs_from_line(line: str) -> list[ir.Heredoc]:
    """BuildKit's heredocsFromLine: every word of the line shaped like ``[n]<<[-]WORD``."""
    if "<<" not in line:
        return []  # exact: a heredoc word holds a literal "<<"
    try:
        words = process_words(line, {}, raw_quotes=True, raw_escapes=True, skip_unset=True)
    except WordError:
        words = []
    docs = []
    for word in words:
        m = _HEREDOC_RE.match(word)
        if not m:
            continue
        fd, chomp, rest = m.group(1), m.group(2) == "-", m.group(3)
        if not rest:
            continue
        plain = process_words(rest, {}, skip_unset=True)
        if len(plain) != 1:
            continue
        raw = process_words(rest, {}, skip_unset=True, raw_quotes=True)
        if len(raw) != len(plain):
            raise WordError(f"internal lexing of heredoc produced inconsistent results: {rest}")
        quotes = lambda s: s.count("'") + s.count('"')  # noqa: E731
        docs.append(ir.Heredoc(name=plain[0], content="", strip_tabs=chomp,
                               expand=quotes(plain[0]) == quotes(raw[0]), opener=word,
                               file_descriptor=int(fd) if fd else 0))
    return docs


# --------------------------------------------------------------------------
# Step 2: one logical line -> lark tree -> IR node


class _Lowerer:
    def __init__(self, reader: _Reader, item: _Logical):
        self.r = reader
        self.item = item
        self.escape = reader.escape

    # -- errors -----------------------------------------------------------
    def error(self, message: str, offset: int = 0, expected: str | None = None) -> DockerfileSyntaxError:
        line_index, column = self.item.locate(offset)
        return self.r.error(message, line_index, column, expected)

    def parse_tree(self):
        lark = _import_lark()

        line = self.item.line
        start = "start_bt" if self.escape == "`" else "start"
        try:
            return _parser().parse(line, start=start)
        except lark.exceptions.UnexpectedInput as e:
            raise self._translate(e) from None

    def _translate(self, e) -> DockerfileSyntaxError:
        lark = _import_lark()

        line = self.item.line
        pos = getattr(e, "pos_in_stream", None)
        token = getattr(e, "token", None)
        if pos is None and token is not None:
            pos = getattr(token, "start_pos", None)
        if pos is None:
            pos = len(line)
        if isinstance(e, lark.exceptions.UnexpectedEOF) or (token is not None and token.type == "$END"):
            pos = len(line.rstrip())
        expected_names = set(getattr(e, "expected", None) or getattr(e, "allowed", None) or ())
        keyword = _SPLIT_WS.split(line.strip(), 1)[0]
        word = _SPLIT_WS.split(line[pos:].strip(), 1)[0] if pos < len(line) else ""
        kw_upper = keyword.upper()
        human = ", ".join(sorted({_HUMAN.get(n, n) for n in expected_names}))
        if pos == 0 or (kw_upper not in KEYWORDS):
            return self.unknown_instruction(keyword)
        head = _SPLIT_WS.split(line.strip())
        if kw_upper == "ONBUILD" and len(head) > 1:
            # `ONBUILD X ...` where X is not an instruction ONBUILD may wrap
            inner = head[1]
            inner_pos = line.find(inner, len(keyword))
            if pos == inner_pos:
                if inner.upper() in ("ONBUILD", "FROM", "MAINTAINER"):
                    return self.error(f"{inner.upper()} isn't allowed as an ONBUILD trigger", pos)
                if inner.upper() not in KEYWORDS:
                    return self.unknown_instruction(inner, pos)
            kw_upper = inner.upper()
        if kw_upper == "FROM":
            return self.error("FROM requires either one or three arguments", pos, expected=human)
        if kw_upper in ("ENV", "LABEL") and word:
            return self.error(f"Syntax error - can't find = in {word!r}. Must be of the form: name=value",
                              pos, expected="name=value")
        if kw_upper == "HEALTHCHECK":
            if expected_names & {"HC_NONE", "HC_CMD"}:
                return self.error(f"Unknown type {word!r} in HEALTHCHECK (try CMD)", pos, expected="CMD or NONE")
            return self.error("HEALTHCHECK NONE takes no arguments", pos)
        return self.error(f"unexpected {word!r} in {kw_upper}" if word else f"unexpected end of {kw_upper}",
                          pos, expected=human or None)

    def unknown_instruction(self, keyword: str, offset: int = 0) -> DockerfileSyntaxError:
        close = difflib.get_close_matches(keyword.upper(), KEYWORDS, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return self.error(f"unknown instruction: {keyword}{hint}", offset,
                          expected="an instruction keyword (FROM, RUN, COPY, ...)")

    # -- lowering ---------------------------------------------------------
    def lower(self) -> ir.Instruction:
        tree = self.parse_tree()
        return self.lower_instruction(tree.children[0], top=True)

    def lower_instruction(self, tree, top: bool = False) -> ir.Instruction:
        kind = tree.data[:-3] if tree.data.endswith("_bt") else tree.data
        children = tree.children
        keyword_tok = children[0]
        flag_toks = [c for c in children[1:] if getattr(c, "type", None) == "FLAG"]
        rest = [c for c in children[1:] if getattr(c, "type", None) not in ("FLAG", "FLAGS_END")]
        KIND = kind.upper()
        allowed = ALLOWED_FLAGS.get(KIND, frozenset())
        flags = []
        for tok in flag_toks:
            flag = split_flag(tok.value)
            if flag.name not in allowed:
                raise self.error(f"unknown flag: {flag.name}", tok.start_pos,
                                 expected=("one of " + ", ".join("--" + a for a in sorted(allowed)))
                                 if allowed else f"no flags on {KIND}")
            flags.append(flag)
        common = dict(keyword=keyword_tok.value, flags=tuple(flags))
        at = keyword_tok.start_pos
        fn = getattr(self, "lower_" + kind)
        return fn(KIND, rest, common, at)

    # Each lower_<kind> gets the non-flag children of its tree.
    def lower_from(self, KIND, rest, common, at):
        image_tok = rest[0].children[0]
        name = None
        as_kw = "AS"
        if len(rest) > 1:
            as_kw = rest[1].value
            name_tok = rest[2].children[0]
            name = name_tok.value
            if not re.match(r"^[a-z][a-z0-9\-_.]*$", name.lower()):
                raise self.error(f"invalid name for build stage: {name!r}, name can't start with a "
                                 "number or contain symbols", name_tok.start_pos)
        return ir.From(image=self.image_ref(image_tok.value), stage_name=name, as_keyword=as_kw, **common)

    def image_ref(self, raw: str) -> ir.ImageRef:
        resolved = None
        if "$" in raw:
            env = self.r_global_args()
            try:
                resolved = expand(raw, env, escape=self.escape)
            except WordError:
                resolved = None
            if resolved is not None and "$" not in raw.replace("$$", ""):
                resolved = None
        return parse_image_ref(raw, resolved)

    def r_global_args(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for item in self.r.items:
            node = item.node
            if node is None:
                continue
            if not isinstance(node, ir.Arg):
                break
            for d in node.decls:
                if d.default is not None:
                    env[d.name] = d.default
        return env

    def command(self, KIND, rest, allow_empty=True):
        if not rest:
            return ir.ShellForm(text="")
        sub = rest[0]
        if sub.data == "exec_form":
            return ir.ExecForm(args=tuple(json.loads(sub.children[0].value)))
        text = sub.children[0].value
        self.check_json_elements(text, sub.children[0].start_pos)
        return ir.ShellForm(text=text)

    def check_json_elements(self, text: str, at: int) -> None:
        """A JSON array with non-string elements is an error, not shell form."""
        if not text.startswith("["):
            return
        try:
            value, _ = json.JSONDecoder(parse_constant=_reject).raw_decode(text)
        except (ValueError, _Rejected):
            return
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise self.error("when using JSON array syntax, arrays must be comprised of strings only", at)

    def lower_run(self, KIND, rest, common, at):
        return ir.Run(command=self.command(KIND, rest), **common)

    def lower_cmd(self, KIND, rest, common, at):
        return ir.Cmd(command=self.command(KIND, rest), **common)

    def lower_entrypoint(self, KIND, rest, common, at):
        return ir.Entrypoint(command=self.command(KIND, rest), **common)

    def lower_shell(self, KIND, rest, common, at):
        cmd = self.command(KIND, rest)
        if isinstance(cmd, ir.ShellForm):
            if cmd.text == "":
                raise self.error("SHELL requires at least one argument", at)
            raise self.error("SHELL requires the arguments to be in JSON form", at,
                             expected='a JSON array such as ["/bin/sh", "-c"]')
        if not cmd.args:
            raise self.error("SHELL requires at least one argument", at)
        return ir.Shell(args=cmd.args, **common)

    def paths(self, rest):
        if not rest:
            return (), False
        sub = rest[0]
        if sub.data == "exec_form":
            return tuple(json.loads(sub.children[0].value)), True
        text = self.item.line[sub.children[0].start_pos:]
        self.check_json_elements(text.strip(), sub.children[0].start_pos)
        return tuple(t.value for t in sub.children), False

    def lower_copy(self, KIND, rest, common, at, cls=ir.Copy):
        args, is_json = self.paths(rest)
        if len(args) < 2:
            raise self.error(f"{KIND} requires at least two arguments, but only {len(args)} "
                             "was provided. Destination could not be determined.", at,
                             expected="one or more sources and a destination")
        m = None if is_json else _HEREDOC_RE.match(args[-1])
        if m and m.group(3):
            raise self.error(f"{KIND} cannot accept a heredoc as a destination", at,
                             expected="a destination path after the sources")
        return cls(sources=args[:-1], dest=args[-1], json=is_json, **common)

    def lower_add(self, KIND, rest, common, at):
        return self.lower_copy(KIND, rest, common, at, cls=ir.Add)

    def lower_volume(self, KIND, rest, common, at):
        args, is_json = self.paths(rest)
        if not args:
            raise self.error("VOLUME requires at least one argument", at)
        return ir.Volume(paths=args, json=is_json, **common)

    def lower_expose(self, KIND, rest, common, at):
        if not rest:
            raise self.error("EXPOSE requires at least one argument", at)
        return ir.Expose(ports=tuple(t.value for t in rest[0].children), **common)

    def text(self, KIND, rest, at) -> str:
        if not rest:
            raise self.error(f"{KIND} requires exactly one argument", at)
        return rest[0].children[0].value

    def lower_workdir(self, KIND, rest, common, at):
        return ir.Workdir(path=self.text(KIND, rest, at), **common)

    def lower_user(self, KIND, rest, common, at):
        return ir.User(user=self.text(KIND, rest, at), **common)

    def lower_stopsignal(self, KIND, rest, common, at):
        return ir.Stopsignal(signal=self.text(KIND, rest, at), **common)

    def lower_maintainer(self, KIND, rest, common, at):
        return ir.Maintainer(name=self.text(KIND, rest, at), **common)

    def lower_healthcheck(self, KIND, rest, common, at):
        if not rest:
            raise self.error("HEALTHCHECK requires at least one argument", at, expected="CMD or NONE")
        sub = rest[0]
        if sub.data == "hc_none":
            return ir.Healthcheck(command=None, **common)
        if len(sub.children) < 2:
            raise self.error("Missing command after HEALTHCHECK CMD", sub.children[0].start_pos)
        return ir.Healthcheck(command=self.command(KIND, sub.children[1:]), **common)

    def word(self, text: str, at: int) -> str:
        try:
            return process_word(text, {}, escape=self.escape, skip_unset=True)
        except WordError as e:
            raise self.error(str(e), at) from None

    def pairs(self, KIND, rest, at) -> tuple[tuple[ir.KeyValue, ...], bool]:
        if not rest:
            raise self.error(f"{KIND} requires at least one argument", at, expected="name=value")
        sub = rest[0]
        if sub.data == "legacy":
            key_tok = sub.children[0]
            if len(sub.children) < 2:
                raise self.error(f"{KIND} must have two arguments", key_tok.start_pos,
                                 expected="a value after the name")
            value_tok = sub.children[1]
            raw = self.item.line[key_tok.start_pos: value_tok.end_pos]
            return (ir.KeyValue(key=self.word(key_tok.value, key_tok.start_pos),
                                value=self.word(value_tok.value, value_tok.start_pos), raw=raw),), True
        out = []
        for tok in sub.children:
            k, _, v = tok.value.partition("=")
            if k == "":
                raise self.error(f"{KIND} names can not be blank", tok.start_pos)
            out.append(ir.KeyValue(key=self.word(k, tok.start_pos),
                                   value=self.word(v, tok.start_pos + len(k) + 1), raw=tok.value))
        return tuple(out), False

    def lower_env(self, KIND, rest, common, at):
        pairs, legacy = self.pairs(KIND, rest, at)
        return ir.Env(pairs=pairs, legacy=legacy, **common)

    def lower_label(self, KIND, rest, common, at):
        pairs, legacy = self.pairs(KIND, rest, at)
        return ir.Label(pairs=pairs, legacy=legacy, **common)

    def lower_arg(self, KIND, rest, common, at):
        if not rest:
            raise self.error("ARG requires at least one argument", at, expected="NAME or NAME=default")
        decls = []
        for tok in rest[0].children:
            name, eq, value = tok.value.partition("=")
            if name == "":
                raise self.error("ARG names can not be blank", tok.start_pos)
            default = self.word(value, tok.start_pos + len(name) + 1) if eq else None
            decls.append(ir.ArgDecl(name=name, default=default, raw=tok.value))
        return ir.Arg(decls=tuple(decls), **common)

    def lower_onbuild(self, KIND, rest, common, at):
        if not rest:
            raise self.error("ONBUILD requires at least one argument", at, expected="an instruction")
        inner_tree = rest[0]
        inner = self.lower_instruction(inner_tree)
        # Where the wrapped text starts, for the inner node's source.
        self.item.inner_at = self.item.locate(inner_tree.children[0].start_pos)
        return ir.Onbuild(inner=inner, **common)


class _Rejected(Exception):
    pass


def _reject(name: str):
    raise _Rejected(name)


# --------------------------------------------------------------------------
# Assembly


def _read(text: str, path: str | None) -> _Reader:
    reader = _Reader(text, path)
    reader.read()
    if not reader.items:
        line = max(len(reader.lines), 1)
        raise DockerfileSyntaxError("file with no instructions", path=path, line=line, column=1,
                                    expected="at least one instruction (FROM ...)")
    return reader


def parse_text(text: str, path: str | None = None) -> ir.Dockerfile:
    """Parse Dockerfile text into a :class:`dopt.ir.Dockerfile`.

    Raises :class:`DockerfileSyntaxError` (located) for input BuildKit rejects.

    >>> df = parse_text("ARG V=3.19\\nFROM alpine:${V}\\n")
    >>> df.preamble[0].decls[0].name, str(df.stages[0].base)
    ('V', 'alpine:3.19')
    """
    reader = _read(text, path)
    preamble: list[ir.Instruction] = []
    stages: list[ir.Stage] = []
    current: ir.From | None = None
    body: list[ir.Instruction] = []
    for item in reader.items:
        node = item.node
        assert node is not None
        if isinstance(node, ir.From):
            if current is not None:
                stages.append(ir.Stage(from_=current, instructions=tuple(body)))
            current, body = node, []
        elif current is None:
            if not isinstance(node, ir.Arg):
                raise reader.error(f"{node.KIND} before the first FROM: only ARG may come before "
                                   "FROM (BuildKit: no build stage in current context)",
                                   item.start, expected="FROM or ARG")
            preamble.append(node)
        else:
            body.append(node)
    if current is not None:
        stages.append(ir.Stage(from_=current, instructions=tuple(body)))
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"
    return ir.Dockerfile(directives=tuple(reader.directives), preamble=tuple(preamble),
                         stages=tuple(stages), trailer=reader.trailer, escape=reader.escape,
                         newline=newline, path=path, warnings=tuple(reader.warnings))


def parse_file(path: str | Path) -> ir.Dockerfile:
    """Read and parse a Dockerfile (UTF-8, a byte-order mark is allowed).

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("wb", suffix=".Dockerfile", delete=False) as f:
    ...     _ = f.write(b"FROM scratch\\n")
    >>> parse_file(f.name).stages[0].base.repository
    'scratch'
    >>> os.unlink(f.name)
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    if p.is_dir():
        raise UsageError(f"{p}: is a directory, not a Dockerfile")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise UsageError(f"{p}: cannot read: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DockerfileSyntaxError(f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})",
                                    path=str(p), line=line, column=e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1,
                                    expected="a UTF-8 text file") from None
    return parse_text(text, str(p))


# --------------------------------------------------------------------------
# BuildKit's view


def to_buildkit(df: ir.Dockerfile) -> list[dict[str, Any]]:
    """The instructions as BuildKit's parser reports them (``dockerfile.parse_string`` fields).

    >>> to_buildkit(parse_text("FROM a AS b\\nRUN echo hi\\n"))[0]["value"]
    ['a', 'AS', 'b']
    """
    from dopt.printer import print_ir

    reader = _read(print_ir(df), df.path)
    return [_buildkit_item(item) for item in reader.items]


def _buildkit_item(item: _Logical) -> dict[str, Any]:
    line = item.line
    node = item.node
    trimmed = line.strip()
    parts = _SPLIT_WS.split(trimmed, 1)
    cmd = parts[0]
    args_text = parts[1] if len(parts) > 1 else ""
    flags, rest = _extract_flags(args_text)
    sub_cmd = None
    target = node
    original = line
    if isinstance(node, ir.Onbuild):
        sub_parts = _SPLIT_WS.split(rest.strip(), 1)
        sub_cmd = sub_parts[0]
        _, rest = _extract_flags(sub_parts[1] if len(sub_parts) > 1 else "")
        target = node.inner
        heredocs: list[dict[str, Any]] = []
    else:
        heredocs = [{"name": h.name, "file_descriptor": h.file_descriptor, "content": raw}
                    for h, raw in item.heredocs_raw]
        if item.heredocs_raw:
            original = line + "\n" + "".join(raw + h.name + "\n" for h, raw in item.heredocs_raw)
    is_json, value = _buildkit_value(target, rest)
    return {"cmd": cmd, "sub_cmd": sub_cmd, "json": is_json, "original": original,
            "start_line": item.start + 1, "end_line": item.end + 1, "flags": flags,
            "value": value, "heredocs": heredocs}


def _extract_flags(text: str) -> tuple[list[str], str]:
    """BuildKit's extractBuilderFlags on the text after the keyword."""
    spans, rest_at = scan_flag_words(text)
    flags = [unquote_flag(text[a:b]) for a, b in spans if text[a:b] != "--"]
    return flags, text[rest_at:].strip()


def _maybe_json(rest: str) -> tuple[bool, list[str] | None]:
    if not rest.lstrip().startswith("["):
        return False, None
    try:
        value, _ = json.JSONDecoder(parse_constant=_reject).raw_decode(rest.lstrip())
    except (ValueError, _Rejected):
        return False, None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return True, value
    return False, None


def _buildkit_value(node: ir.Instruction, rest: str) -> tuple[bool, list[str]]:
    kind = node.KIND
    if kind in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
        is_json, value = _maybe_json(rest)
        if is_json:
            return True, value  # type: ignore[return-value]
        return False, [rest] if rest else []
    if kind in ("COPY", "ADD", "VOLUME"):
        is_json, value = _maybe_json(rest)
        if is_json:
            return True, value  # type: ignore[return-value]
        return False, _SPLIT_WS.split(rest) if rest else []
    if kind in ("FROM", "EXPOSE"):
        return False, _SPLIT_WS.split(rest) if rest else []
    if kind in ("ENV", "LABEL"):
        assert isinstance(node, (ir.Env, ir.Label))
        if node.legacy:
            return False, _SPLIT_WS.split(rest, 1)
        out: list[str] = []
        for kv in node.pairs:
            k, _, v = (kv.raw or "").partition("=")
            out += [k, v]
        return False, out
    if kind == "ARG":
        assert isinstance(node, ir.Arg)
        return False, [d.raw or d.name for d in node.decls]
    if kind == "HEALTHCHECK":
        m = re.match(r"(\S+)\s*(.*)", rest, re.S)
        if not m:
            return False, []
        typ, cmd = m.group(1), m.group(2)
        if not cmd:
            return False, [typ]
        is_json, value = _maybe_json(cmd)
        if is_json:
            return True, [typ, *value]  # type: ignore[misc]
        return False, [typ, cmd]
    return False, [rest] if rest else []
