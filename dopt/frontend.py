"""Text -> IR: the only module that imports lark.

Two steps, mirroring BuildKit's parser:

1. *Lines* (here, in Python): physical lines become logical lines.  This step
   owns what an LALR grammar cannot see: parser directives, the escape
   character, continuations (``ESC [ \\t]* NEWLINE``), comment and blank lines
   inside continuations, heredoc bodies, and which text each node owns.
2. *Syntax* (``grammar/dockerfile.lark``): each logical line is parsed by the
   Lark grammar and lowered into the typed nodes of :mod:`dopt.ir`.

Most logical lines are plain (``RUN apt-get ...``, ``COPY a b``, ``ENV K=v``), and
building a Lark parse for each costs several times what BuildKit's whole parse
does.  So step 2 first tries a *fast path* (``_Lowerer.fast``) that reads such
lines with the grammar's own terminal patterns (``_TERMINALS``, checked against the
grammar by ``tests/test_frontend_fast_path.py``) and declines anything it is not
sure of -- an unusual blank, a quoted flag, ``ONBUILD``, an error -- which then
takes the Lark route.  Both routes end in the same node builders, and the tests
assert they give equal nodes.  Lark is imported only when a line takes its route.

Example::

    >>> df = parse_text("FROM alpine:3.19 AS build\\nRUN echo hi\\n")
    >>> df.stages[0].name, df.stages[0].instructions[0].command.text
    ('build', 'echo hi')
"""

from __future__ import annotations

import json
import re
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
_STAGE_NAME_RE = re.compile(r"^[a-z][a-z0-9\-_.]*$")

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

# Set to False to send every line through Lark (the tests compare both routes).
_FAST = True


def _parser():
    """The Lark parser, built once per process and cached on disk.

    Building the LALR tables takes ~150 ms; Lark's cache loads them in ~10 ms.
    Lark keeps the cache where it is told; by default that is a predictable
    name in the shared temp directory, which it unpickles, so dopt points it at
    a private per-user directory instead.  Lark checks that the cached tables
    belong to this grammar, these options and these Lark/Python versions, and
    rebuilds otherwise.  No usable cache directory (read-only home, sandbox):
    the tables are built in memory, silently.
    """
    global _PARSER
    if _PARSER is None:
        from importlib import resources

        lark = _import_lark()

        grammar = resources.files("grammar").joinpath("dockerfile.lark").read_text(encoding="utf-8")
        options = dict(parser="lalr", lexer="contextual", start=["start", "start_bt"])
        cache = _cache_file(lark.__version__)
        try:
            _PARSER = lark.Lark(grammar, cache=cache, **options) if cache else lark.Lark(grammar, **options)
        except OSError:  # the cache file vanished or turned unreadable under us
            _PARSER = lark.Lark(grammar, **options)
    return _PARSER


def _cache_file(lark_version: str) -> str | None:
    """The file for Lark's parse-table cache, in a directory only this user can write; or None.

    >>> path = _cache_file("1.3.1")
    >>> path is None or path.endswith(".pickle")
    True
    """
    import os
    import sys

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "dopt")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
    except OSError:
        return None
    # someone else's (or a world-writable) folder could hold a planted pickle
    if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o022 \
            or not os.access(folder, os.W_OK):
        return None
    return os.path.join(folder, "lark-%s-py%d.%d.pickle" % (lark_version, *sys.version_info[:2]))


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


class _Logical:
    """One instruction as the line step sees it."""

    __slots__ = ("line", "start", "end", "leading", "segments", "empty_continuation", "node",
                 "pending", "inner_at", "heredocs_raw")

    def __init__(self, line: str, start: int, end: int, leading: str):
        self.line = line  # the logical line (BuildKit's Node.Original before heredocs)
        self.start = start  # 0-based index of its first physical line
        self.end = end  # 0-based index of its last physical line (heredoc bodies included)
        self.leading = leading
        # (offset in `line`, physical line index, column in that physical line)
        self.segments: list[tuple[int, int, int]] = []
        self.empty_continuation = False
        self.node: ir.Instruction | None = None
        # (node class, its fields) between lowering and _finish, which adds the owned text
        self.pending: tuple[type, dict] | None = None
        self.inner_at: tuple[int, int] | None = None
        self.heredocs_raw: list[tuple[ir.Heredoc, str]] = []

    def locate(self, offset: int) -> tuple[int, int]:
        """Physical (line index, 0-based column) of an offset in the logical line."""
        best = self.segments[0]
        for seg in self.segments:
            if seg[0] <= offset:
                best = seg
        return best[1], best[2] + (offset - best[0])


def _split_lines(text: str) -> list[str]:
    # Split on "\n" only (BuildKit's scanner); "\r" stays in the line.
    parts = text.split("\n")
    last = parts.pop()
    lines = [p + "\n" for p in parts]
    if last:
        lines.append(last)
    return lines


# An error shows the line up to this many characters after the caret (a minified 2 MB RUN
# should not print 2 MB to the terminal).
_SHOWN_AFTER_CARET = 120
# Control characters in error text are shown as their Unicode pictures (one column each, so the
# caret stays aligned): a raw CR or ESC from a hostile file would rewrite the user's terminal.
_CONTROLS = {c: 0x2400 + c for c in range(0x20) if c != 0x09}
_CONTROLS[0x7F] = 0x2421


def _visible(text: str) -> str:
    """``text`` with control characters (but tabs) replaced by their pictures.

    >>> _visible("FROM a\\rRUN x\\x1b[2J")
    'FROM a\u240dRUN x\u241b[2J'
    """
    return text.translate(_CONTROLS)


class _Reader:
    def __init__(self, text: str, path: str | None):
        self.text = text
        self.path = path
        self.lines: list[str] = _split_lines(text)
        self.escape = "\\"
        self.directives: list[ir.Directive] = []
        self.items: list[_Logical] = []
        self.warnings: list[ir.ParseWarning] = []
        self.trailer = ""

    def body(self, i: int) -> str:
        s = self.lines[i].rstrip("\r\n")
        if i == 0 and s.startswith("\ufeff"):
            s = s[1:]
        return s

    def error(self, message: str, line_index: int, column: int = 0,
              expected: str | None = None) -> DockerfileSyntaxError:
        line_text = self.body(line_index) if 0 <= line_index < len(self.lines) else None
        if line_text is not None:
            if len(line_text) > column + _SHOWN_AFTER_CARET:
                line_text = line_text[: column + _SHOWN_AFTER_CARET] + "..."
            line_text = _visible(line_text)
            if "\r" in self.text and "\n" not in self.text.rstrip("\r"):
                message += (" (the file's lines end in a bare CR, as on classic Mac OS; BuildKit splits "
                            "lines on LF only, so the whole file is one line)")
        return DockerfileSyntaxError(_visible(message), path=self.path, line=line_index + 1,
                                     column=column + 1, line_text=line_text,
                                     expected=_visible(expected) if expected else expected)

    def trim_continuation(self, s: str) -> tuple[str, bool]:
        """(``s`` without a trailing ``ESC [ \\t]*``, whether the line ends the instruction).

        The escape character continues the line unless it is itself escaped.
        """
        t = s.rstrip(" \t")
        e = self.escape
        if t.endswith(e) and (len(t) == 1 or t[-2] != e):
            return t[:-1], False
        return s, True

    def read(self) -> None:
        lines = self.lines
        n = len(lines)
        i = self._read_directives()
        trivia: list[str] = []
        while i < n:
            raw = lines[i]
            body = raw.rstrip("\r\n")
            if i == 0 and body.startswith("\ufeff"):
                body = body[1:]
            stripped = body.lstrip()
            if not stripped:
                trivia.append(raw)
                i += 1
                continue
            if stripped[0] == "#":
                if "=" in stripped:
                    m = _DIRECTIVE_RE.match(stripped)
                    if m and m.group(1).lower() in _VALID_DIRECTIVES:
                        self.warnings.append(ir.ParseWarning(
                            code="IgnoredDirective",
                            message=f"'{stripped}' is a plain comment here: parser directives must "
                                    "come before any comment, blank line or instruction",
                            line=i + 1))
                trivia.append(raw)
                i += 1
                continue
            line, end_of_line = self.trim_continuation(stripped)
            item = _Logical(line, i, i, "".join(trivia))
            trivia = []
            item.segments.append((0, i, len(body) - len(stripped)))
            i += 1
            if not end_of_line:
                line = self._read_continuation(item, line, i)
                i = item.end + 1
            self.items.append(item)
            # Heredoc bodies follow the logical line; parse it first to know
            # whether this instruction may carry heredocs.
            item.pending = _Lowerer(self, item).lower()
            i = self._read_heredocs(item, i)
            self._finish(item)
        self.trailer = "".join(trivia)

    def _read_directives(self) -> int:
        """Read the parser directives at the top; the index of the first other line."""
        lines = self.lines
        seen: set[str] = set()
        i = 0
        while i < len(lines):
            stripped = self.body(i).lstrip()
            m = _DIRECTIVE_RE.match(stripped) if stripped.startswith("#") else None
            name = m.group(1).lower() if m else None
            if name not in _VALID_DIRECTIVES:
                return i
            if name in seen:
                raise self.error(f"only one {name} parser directive can be used", i)
            seen.add(name)
            value = m.group(2)
            if name == "escape":
                if value not in ("`", "\\"):
                    raise self.error(f"invalid escape token '{value}' does not match ` or \\", i)
                self.escape = value
            self.directives.append(ir.Directive(name=name, value=value, source=lines[i]))
            i += 1
        return i

    def _read_continuation(self, item: _Logical, line: str, i: int) -> str:
        """Join the continuation lines from index ``i`` onto ``line``; sets ``item.line``/``end``."""
        lines = self.lines
        n = len(lines)
        end_of_line = False
        while not end_of_line and i < n:
            body = lines[i].rstrip("\r\n")
            i += 1
            stripped = body.lstrip()
            if stripped.startswith("#"):
                continue
            if not body.strip():
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
        return line

    def _finish(self, item: _Logical) -> None:
        """Build the node once, with the exact text it owns (heredoc bodies included)."""
        lines = self.lines
        span = ir.Span(item.start + 1, item.end + 1)
        cls, fields = item.pending  # type: ignore[misc]
        if cls is ir.Onbuild:
            inner_cls, inner_fields = fields["inner"]
            if item.inner_at is not None:
                line_index, column = item.inner_at
                if line_index == 0 and lines[0].startswith("\ufeff"):
                    column += 1
                inner_source = lines[line_index][column:] + "".join(lines[line_index + 1: item.end + 1])
                inner_fields = dict(inner_fields, source=inner_source, leading="", span=span)
            fields = dict(fields, inner=inner_cls(**inner_fields))
        item.node = cls(leading=item.leading, span=span,
                        source="".join(lines[item.start: item.end + 1]), **fields)
        item.pending = None

    def _read_heredocs(self, item: _Logical, i: int) -> int:
        cls, fields = item.pending  # type: ignore[misc]
        inner_cls, inner_fields = fields["inner"] if cls is ir.Onbuild else (cls, fields)
        if inner_cls is ir.Run:
            if isinstance(inner_fields["command"], ir.ExecForm):
                return i
        elif (inner_cls is not ir.Copy and inner_cls is not ir.Add) or inner_fields["json"]:
            return i
        try:
            openers = _heredocs_from_line(item.line)
        except WordError as e:
            raise self.error(str(e), item.start) from None
        if not openers:
            return i
        for doc in openers:
            content: list[str] = []
            terminated = False
            while i < len(self.lines):
                raw = self.lines[i]
                i += 1
                candidate = raw.rstrip("\r\n")
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
        inner_fields["heredocs"] = tuple(h for h, _ in item.heredocs_raw)
        return i


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
# Step 2: one logical line -> (node class, fields)
#
# Two routes give the same result: the fast path below, for the common plain
# lines, and the Lark parse of the grammar for everything else.  Nodes are built
# once, by _Reader._finish, when the text they own (heredocs included) is known.

# The grammar's terminals the fast path matches itself, spelled as in
# grammar/dockerfile.lark (the BT variants swap the escape character);
# tests/test_frontend_fast_path.py checks each compiles to the regular
# expression Lark builds from the grammar.
_UNIT = r"""(?:[^\s"'\\]|\\[\s\S]?|"(?:[^"\\]|\\[\s\S]?)*(?:"|(?![\s\S]))|'[^']*(?:'|(?![\s\S])))"""
_UNIT_NO_EQ = r"""(?:[^\s"'\\=]|\\(?!=)[\s\S]?|"(?:[^"\\=]|\\(?!=)[\s\S]?)*(?:"|(?![\s\S]))|'[^'=]*(?:'|(?![\s\S])))"""
_UNIT_EQ = r"""(?:=|\\=|"(?:[^"\\=]|\\(?!=)[\s\S])*\\?=(?:[^"\\]|\\[\s\S]?)*(?:"|(?![\s\S]))|'[^'=]*=[^']*(?:'|(?![\s\S])))"""
_JSTR = r'''(?:"(?:[^"\\\x00-\x1f]|\\["\\\/bfnrt]|\\u[0-9a-fA-F]{4})*")'''
_JWS = r"(?:[ \t\r]*)"


def _bt(pattern: str) -> str:
    return pattern.replace("\\\\", "`")


_TERMINALS = {
    "SWORD": f"(?:{_UNIT})+",
    "KV_PAIR": f"(?:{_UNIT_NO_EQ})*{_UNIT_EQ}(?:{_UNIT})*",
    "SWORD_BT": f"(?:{_bt(_UNIT)})+",
    "KV_PAIR_BT": f"(?:{_bt(_UNIT_NO_EQ)})*{_bt(_UNIT_EQ)}(?:{_bt(_UNIT)})*",
    "JSON_ARRAY": rf"\[{_JWS}(?:{_JSTR}{_JWS}(?:,{_JWS}{_JSTR}{_JWS})*)?\]",
}
_COMPILED: dict[str, re.Pattern] = {}


def _terminal(name: str) -> re.Pattern:
    # compiled on first use: most files need only a few of them
    try:
        return _COMPILED[name]
    except KeyError:
        rx = _COMPILED[name] = re.compile(_TERMINALS[name])
        return rx


# A keyword and the blanks after it.  The fast path reads only lines whose blanks
# are spaces and tabs: Lark's ignore pattern (\s) and the grammar's word
# separators ([ \t\v\f\r]) differ on the others, so those lines take Lark's route.
_FAST_HEAD = re.compile(r"([A-Za-z]+)(?:[ \t]+|\Z)")
_ODD_BLANK = re.compile(r"[^\S \t]")
# A flag word without quotes or backslashes (FLAG reads those, the fast path declines).
_FAST_FLAG = re.compile(r"""--[^ \t"'\\]+(?:[ \t]+|\Z)""")
_BLANKS = " \t"


def _plain_words(text: str) -> bool:
    """No quote and no escape character of either kind in ``text``."""
    return '"' not in text and "'" not in text and "\\" not in text and "`" not in text


def _skip_blanks(line: str, pos: int) -> int:
    n = len(line)
    while pos < n and line[pos] in _BLANKS:
        pos += 1
    return pos


class _Decline(Exception):
    """The fast path is not sure: the line takes the Lark route."""


class _Lowerer:
    def __init__(self, reader: _Reader, item: _Logical):
        self.r = reader
        self.item = item
        self.escape = reader.escape

    # -- errors -----------------------------------------------------------
    def error(self, message: str, offset: int = 0, expected: str | None = None) -> DockerfileSyntaxError:
        line_index, column = self.item.locate(offset)
        return self.r.error(message, line_index, column, expected)

    def lower(self) -> tuple[type, dict]:
        """The node class and fields of the item's logical line."""
        if _FAST:
            try:
                return self.fast()
            except (_Decline, DockerfileSyntaxError):
                # Errors are reported by the Lark route, which locates them.
                pass
        tree = self.parse_tree()
        return self.lower_instruction(tree.children[0])

    # -- the fast path ----------------------------------------------------
    def fast(self) -> tuple[type, dict]:
        """Read a plain line without Lark, or raise _Decline.

        Each step mirrors what the contextual lexer does in the same parser
        state: keyword, then FLAG words (FLAGS_END, ``--``, declines), then the
        instruction's arguments.
        """
        line = self.item.line
        m = _FAST_HEAD.match(line)
        if m is None or _ODD_BLANK.search(line) is not None:
            raise _Decline
        keyword = m.group(1)
        KIND = keyword.upper()
        read = _FAST_READERS.get(KIND)
        if read is None:
            raise _Decline
        pos = m.end()
        flags: tuple[ir.Flag, ...] = ()
        if line.startswith("--", pos):
            flags, pos = self.fast_flags(KIND, line, pos)
        return read(self, KIND, {"keyword": keyword, "flags": flags}, line, pos)

    def fast_flags(self, KIND: str, line: str, pos: int) -> tuple[tuple[ir.Flag, ...], int]:
        allowed = ALLOWED_FLAGS.get(KIND, frozenset())
        flags = []
        while line.startswith("--", pos):
            m = _FAST_FLAG.match(line, pos)
            if m is None:
                raise _Decline  # a quoted flag or FLAGS_END
            name, eq, value = m.group().rstrip(_BLANKS)[2:].partition("=")
            if name not in allowed:
                raise _Decline
            flags.append(ir.Flag(name, value if eq else None))
            pos = m.end()
        return tuple(flags), pos

    def fast_command(self, line: str, pos: int) -> ir.ShellForm | ir.ExecForm:
        # _command?: exec_form (JSON_ARRAY JSON_TRAILER?) | shell_form (TEXT)
        if pos == len(line):
            return ir.ShellForm("")
        if line[pos] == "[":
            m = _terminal("JSON_ARRAY").match(line, pos)
            if m is not None:
                return ir.ExecForm(tuple(json.loads(m.group())))
            text = line[pos:].rstrip(_BLANKS)
            self.check_json_elements(text, pos)
            return ir.ShellForm(text)
        return ir.ShellForm(line[pos:].rstrip(_BLANKS))

    def fast_run(self, KIND, common, line, pos):
        return ir.Run, {"command": self.fast_command(line, pos), **common}

    def fast_cmd(self, KIND, common, line, pos):
        return ir.Cmd, {"command": self.fast_command(line, pos), **common}

    def fast_entrypoint(self, KIND, common, line, pos):
        return ir.Entrypoint, {"command": self.fast_command(line, pos), **common}

    def fast_shell(self, KIND, common, line, pos):
        return self.make_shell(self.fast_command(line, pos), common, 0)

    def fast_paths(self, line: str, pos: int) -> tuple[tuple[str, ...], bool]:
        # _paths?: exec_form | WORD+
        if pos == len(line):
            return (), False
        if line[pos] == "[":
            m = _terminal("JSON_ARRAY").match(line, pos)
            if m is not None:
                return tuple(json.loads(m.group())), True
            self.check_json_elements(line[pos:].strip(), pos)
        return tuple(line[pos:].split()), False

    def fast_copy(self, KIND, common, line, pos):
        args, is_json = self.fast_paths(line, pos)
        return self.make_copy(ir.Copy, KIND, args, is_json, common, 0)

    def fast_add(self, KIND, common, line, pos):
        args, is_json = self.fast_paths(line, pos)
        return self.make_copy(ir.Add, KIND, args, is_json, common, 0)

    def fast_volume(self, KIND, common, line, pos):
        args, is_json = self.fast_paths(line, pos)
        return self.make_volume(args, is_json, common, 0)

    def fast_expose(self, KIND, common, line, pos):
        return self.make_expose(tuple(line[pos:].split()), common, 0)

    def fast_text(self, KIND, common, line, pos):
        # WORKDIR, USER, STOPSIGNAL, MAINTAINER: TEXT?
        return self.make_text(KIND, line[pos:].rstrip(_BLANKS) or None, common, 0)

    def fast_from(self, KIND, common, line, pos):
        # image: WORD, then optionally AS (case-insensitive, ASCII here) and stage_name: WORD
        words = line[pos:].split()
        if len(words) == 1:
            return self.make_from(words[0], None, 0, "AS", common)
        if len(words) == 3 and words[1].isascii() and words[1].upper() == "AS":
            return self.make_from(words[0], words[2], line.rindex(words[2]), words[1], common)
        raise _Decline

    def fast_healthcheck(self, KIND, common, line, pos):
        # (HC_NONE | HC_CMD _command?)?
        head = line[pos:].split(None, 1)
        word = head[0].upper() if head and head[0].isascii() else ""
        if word == "NONE" and len(head) == 1:
            return ir.Healthcheck, {"command": None, **common}
        if word == "CMD" and len(head) == 2:
            at = _skip_blanks(line, pos + 3)
            return ir.Healthcheck, {"command": self.fast_command(line, at), **common}
        raise _Decline

    def fast_tokens(self, name: str, line: str, pos: int) -> list[tuple[str, int]]:
        """The terminal ``name`` repeated to the end of the line: (text, offset) each."""
        out = []
        n = len(line)
        if _plain_words(line[pos:]):
            # Without quotes or escapes SWORD is a blank-delimited word and KV_PAIR
            # one holding "=": no need to compile their patterns.
            need_eq = name.startswith("KV_PAIR")
            for word in line[pos:].split():
                if need_eq and "=" not in word:
                    raise _Decline
                pos = line.index(word, pos)
                out.append((word, pos))
                pos += len(word)
            return out
        rx = _terminal(name)
        while pos < n:
            m = rx.match(line, pos)
            if m is None:
                raise _Decline
            out.append((m.group(), pos))
            pos = _skip_blanks(line, m.end())
        return out

    def fast_pairs(self, KIND, line, pos):
        # (pairs: KV_PAIR+ | legacy: LEGACY_KEY TEXT?)?
        if pos == len(line):
            raise _Decline
        name = "KV_PAIR_BT" if self.escape == "`" else "KV_PAIR"
        key = line[pos:].split(None, 1)[0]  # LEGACY_KEY, or the first KV_PAIR when plain
        if _plain_words(line[pos:]):
            pairs = "=" in key
        else:
            pairs = _terminal(name).match(line, pos) is not None
        if pairs:
            return self.make_pairs(KIND, self.fast_tokens(name, line, pos)), False
        at = _skip_blanks(line, pos + len(key))
        value = line[at:].rstrip(_BLANKS)
        if not value:
            raise _Decline
        return self.make_legacy(KIND, key, pos, value, at, at + len(value)), True

    def fast_env(self, KIND, common, line, pos):
        pairs, legacy = self.fast_pairs(KIND, line, pos)
        return ir.Env, {"pairs": pairs, "legacy": legacy, **common}

    def fast_label(self, KIND, common, line, pos):
        pairs, legacy = self.fast_pairs(KIND, line, pos)
        return ir.Label, {"pairs": pairs, "legacy": legacy, **common}

    def fast_arg(self, KIND, common, line, pos):
        if pos == len(line):
            raise _Decline
        toks = self.fast_tokens("SWORD_BT" if self.escape == "`" else "SWORD", line, pos)
        return self.make_arg(toks, common)

    # -- the Lark route ---------------------------------------------------
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
        import difflib

        if not keyword.strip():
            return self.error("an escape character continues this line into nothing: no instruction "
                              "follows it", offset, expected="an instruction after the line continuation")
        close = difflib.get_close_matches(keyword.upper(), KEYWORDS, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        odd = sorted({ch for ch in keyword if ch.isspace() or ch in "\u200b\u200c\u200d\u2060\ufeff"})
        if odd:
            names = ", ".join(f"U+{ord(ch):04X}" for ch in odd)
            hint += (f" (it holds {names}, a blank BuildKit does not split on; type a plain space)")
        return self.error(f"unknown instruction: {keyword}{hint}", offset,
                          expected="an instruction keyword (FROM, RUN, COPY, ...)")

    def lower_instruction(self, tree) -> tuple[type, dict]:
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
        common = {"keyword": keyword_tok.value, "flags": tuple(flags)}
        at = keyword_tok.start_pos
        fn = getattr(self, "lower_" + kind)
        return fn(KIND, rest, common, at)

    # Each lower_<kind> gets the non-flag children of its tree.
    def lower_from(self, KIND, rest, common, at):
        image_tok = rest[0].children[0]
        if len(rest) > 1:
            name_tok = rest[2].children[0]
            return self.make_from(image_tok.value, name_tok.value, name_tok.start_pos, rest[1].value, common)
        return self.make_from(image_tok.value, None, 0, "AS", common)

    def command(self, KIND, rest, allow_empty=True):
        if not rest:
            return ir.ShellForm(text="")
        sub = rest[0]
        if sub.data == "exec_form":
            return ir.ExecForm(args=tuple(json.loads(sub.children[0].value)))
        text = sub.children[0].value
        self.check_json_elements(text, sub.children[0].start_pos)
        return ir.ShellForm(text=text)

    def lower_run(self, KIND, rest, common, at):
        return ir.Run, {"command": self.command(KIND, rest), **common}

    def lower_cmd(self, KIND, rest, common, at):
        return ir.Cmd, {"command": self.command(KIND, rest), **common}

    def lower_entrypoint(self, KIND, rest, common, at):
        return ir.Entrypoint, {"command": self.command(KIND, rest), **common}

    def lower_shell(self, KIND, rest, common, at):
        return self.make_shell(self.command(KIND, rest), common, at)

    def paths(self, rest):
        if not rest:
            return (), False
        sub = rest[0]
        if sub.data == "exec_form":
            return tuple(json.loads(sub.children[0].value)), True
        text = self.item.line[sub.children[0].start_pos:]
        self.check_json_elements(text.strip(), sub.children[0].start_pos)
        return tuple(t.value for t in sub.children), False

    def lower_copy(self, KIND, rest, common, at):
        args, is_json = self.paths(rest)
        return self.make_copy(ir.Copy, KIND, args, is_json, common, at)

    def lower_add(self, KIND, rest, common, at):
        args, is_json = self.paths(rest)
        return self.make_copy(ir.Add, KIND, args, is_json, common, at)

    def lower_volume(self, KIND, rest, common, at):
        args, is_json = self.paths(rest)
        return self.make_volume(args, is_json, common, at)

    def lower_expose(self, KIND, rest, common, at):
        return self.make_expose(tuple(t.value for t in rest[0].children) if rest else (), common, at)

    def _text(self, KIND, rest, common, at):
        return self.make_text(KIND, rest[0].children[0].value if rest else None, common, at)

    lower_workdir = lower_user = lower_stopsignal = lower_maintainer = _text

    def lower_healthcheck(self, KIND, rest, common, at):
        if not rest:
            raise self.error("HEALTHCHECK requires at least one argument", at, expected="CMD or NONE")
        sub = rest[0]
        if sub.data == "hc_none":
            return ir.Healthcheck, {"command": None, **common}
        if len(sub.children) < 2:
            raise self.error("Missing command after HEALTHCHECK CMD", sub.children[0].start_pos)
        return ir.Healthcheck, {"command": self.command(KIND, sub.children[1:]), **common}

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
            return self.make_legacy(KIND, key_tok.value, key_tok.start_pos, value_tok.value,
                                    value_tok.start_pos, value_tok.end_pos), True
        return self.make_pairs(KIND, [(tok.value, tok.start_pos) for tok in sub.children]), False

    def lower_env(self, KIND, rest, common, at):
        pairs, legacy = self.pairs(KIND, rest, at)
        return ir.Env, {"pairs": pairs, "legacy": legacy, **common}

    def lower_label(self, KIND, rest, common, at):
        pairs, legacy = self.pairs(KIND, rest, at)
        return ir.Label, {"pairs": pairs, "legacy": legacy, **common}

    def lower_arg(self, KIND, rest, common, at):
        if not rest:
            raise self.error("ARG requires at least one argument", at, expected="NAME or NAME=default")
        return self.make_arg([(tok.value, tok.start_pos) for tok in rest[0].children], common)

    def lower_onbuild(self, KIND, rest, common, at):
        if not rest:
            raise self.error("ONBUILD requires at least one argument", at, expected="an instruction")
        inner_tree = rest[0]
        inner = self.lower_instruction(inner_tree)
        # Where the wrapped text starts, for the inner node's source.
        self.item.inner_at = self.item.locate(inner_tree.children[0].start_pos)
        return ir.Onbuild, {"inner": inner, **common}

    # -- node builders, shared by both routes -------------------------------
    # ``at`` is the offset of the keyword (for errors); ``common`` holds the
    # keyword as written and the flags.

    def make_from(self, image: str, name: str | None, name_at: int, as_kw: str, common):
        if name is not None and not _STAGE_NAME_RE.match(name.lower()):
            raise self.error(f"invalid name for build stage: {name!r}, name can't start with a "
                             "number or contain symbols", name_at)
        return ir.From, {"image": self.image_ref(image), "stage_name": name, "as_keyword": as_kw, **common}

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

    def make_shell(self, cmd, common, at):
        if isinstance(cmd, ir.ShellForm):
            if cmd.text == "":
                raise self.error("SHELL requires at least one argument", at)
            raise self.error("SHELL requires the arguments to be in JSON form", at,
                             expected='a JSON array such as ["/bin/sh", "-c"]')
        if not cmd.args:
            raise self.error("SHELL requires at least one argument", at)
        return ir.Shell, {"args": cmd.args, **common}

    def make_copy(self, cls, KIND, args, is_json, common, at):
        if len(args) < 2:
            raise self.error(f"{KIND} requires at least two arguments, but only {len(args)} "
                             "was provided. Destination could not be determined.", at,
                             expected="one or more sources and a destination")
        if not is_json and "<<" in args[-1]:
            m = _HEREDOC_RE.match(args[-1])
            if m and m.group(3):
                raise self.error(f"{KIND} cannot accept a heredoc as a destination", at,
                                 expected="a destination path after the sources")
        return cls, {"sources": args[:-1], "dest": args[-1], "json": is_json, **common}

    def make_volume(self, args, is_json, common, at):
        if not args:
            raise self.error("VOLUME requires at least one argument", at)
        return ir.Volume, {"paths": args, "json": is_json, **common}

    def make_expose(self, ports, common, at):
        if not ports:
            raise self.error("EXPOSE requires at least one argument", at)
        return ir.Expose, {"ports": ports, **common}

    def make_text(self, KIND, text: str | None, common, at):
        if text is None:
            raise self.error(f"{KIND} requires exactly one argument", at)
        cls, field = _TEXT_FIELDS[KIND]
        return cls, {field: text, **common}

    def word(self, text: str, at: int) -> str:
        try:
            return process_word(text, {}, escape=self.escape, skip_unset=True)
        except WordError as e:
            raise self.error(str(e), at) from None

    def make_legacy(self, KIND, key: str, key_at: int, value: str, value_at: int, value_end: int):
        raw = self.item.line[key_at: value_end]
        return (ir.KeyValue(key=self.word(key, key_at), value=self.word(value, value_at), raw=raw),)

    def make_pairs(self, KIND, toks: list[tuple[str, int]]) -> tuple[ir.KeyValue, ...]:
        out = []
        for text, at in toks:
            k, _, v = text.partition("=")
            if k == "":
                raise self.error(f"{KIND} names can not be blank", at)
            out.append(ir.KeyValue(key=self.word(k, at), value=self.word(v, at + len(k) + 1), raw=text))
        return tuple(out)

    def make_arg(self, toks: list[tuple[str, int]], common):
        decls = []
        for text, at in toks:
            name, eq, value = text.partition("=")
            if name == "":
                raise self.error("ARG names can not be blank", at)
            default = self.word(value, at + len(name) + 1) if eq else None
            decls.append(ir.ArgDecl(name=name, default=default, raw=text))
        return ir.Arg, {"decls": tuple(decls), **common}


_TEXT_FIELDS = {
    "WORKDIR": (ir.Workdir, "path"), "USER": (ir.User, "user"),
    "STOPSIGNAL": (ir.Stopsignal, "signal"), "MAINTAINER": (ir.Maintainer, "name"),
}

_FAST_READERS = {
    "RUN": _Lowerer.fast_run, "CMD": _Lowerer.fast_cmd, "ENTRYPOINT": _Lowerer.fast_entrypoint,
    "SHELL": _Lowerer.fast_shell, "COPY": _Lowerer.fast_copy, "ADD": _Lowerer.fast_add,
    "VOLUME": _Lowerer.fast_volume, "EXPOSE": _Lowerer.fast_expose, "FROM": _Lowerer.fast_from,
    "WORKDIR": _Lowerer.fast_text, "USER": _Lowerer.fast_text, "STOPSIGNAL": _Lowerer.fast_text,
    "MAINTAINER": _Lowerer.fast_text, "HEALTHCHECK": _Lowerer.fast_healthcheck,
    "ENV": _Lowerer.fast_env, "LABEL": _Lowerer.fast_label, "ARG": _Lowerer.fast_arg,
}


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
    if not isinstance(text, str):
        hint = " (decode it as UTF-8 first, or use parse_file)" if isinstance(text, (bytes, bytearray)) else ""
        raise TypeError(f"parse_text needs the Dockerfile as str, got {type(text).__name__}{hint}")
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
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
        raise UsageError(f"{p}: UTF-16/UTF-32 text (byte-order mark {data[:2].hex()}); Dockerfiles are "
                         "UTF-8, re-save it as UTF-8")
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
