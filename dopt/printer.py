"""IR -> text.

Untouched nodes print byte for byte (``leading + source``); nodes a pass made or
changed (``source is None``) print in the canonical style:

* keyword upper-case, one space between keyword, flags and arguments;
* exec form as JSON (``["a", "b"]``), never silently converted to or from shell form;
* ENV/LABEL as ``key=value``, values double-quoted when they hold blanks or
  special characters (so ``ENV K v w`` becomes ``ENV K="v w"``, never ``K==v``);
* a long RUN shell text is broken after each top-level ``&&`` with
  `` \\`` + newline + four spaces (the Dockerfile's escape character is used);
* heredoc bodies follow the line verbatim, their terminator at column 0.

Example::

    >>> from dopt.frontend import parse_text
    >>> df = parse_text("FROM alpine\\nrun   echo hi\\n")
    >>> print_ir(df)
    'FROM alpine\\nrun   echo hi\\n'
    >>> print_instruction(df.stages[0].instructions[0].edit())
    'RUN echo hi\\n'
"""

from __future__ import annotations

import json
import re

from dopt import ir
from dopt.flags import scan_flag_words

__all__ = ["print_ir", "print_instruction", "format_ir"]

LINE_WIDTH = 80
INDENT = "    "


def print_ir(df: ir.Dockerfile) -> str:
    """The text of a Dockerfile: exact for untouched nodes, canonical for edited ones.

    >>> from dopt.frontend import parse_text
    >>> text = "# c\\r\\nFROM a  AS b\\r\\nRUN x \\\\\\r\\n  y"
    >>> print_ir(parse_text(text)) == text
    True
    """
    if not isinstance(df, ir.Dockerfile):
        raise TypeError(f"print_ir needs a dopt.ir.Dockerfile (from parse_text), got {type(df).__name__}")
    out: list[str] = [d.source for d in df.directives]
    for ins in df.instructions():
        chunk = print_instruction(ins, escape=df.escape, newline=df.newline)
        if out and chunk and not out[-1].endswith("\n"):
            # An edited node after a last line that had no terminator.
            out.append(df.newline)
        out.append(chunk)
    out.append(df.trailer)
    return "".join(out)


def print_instruction(ins: ir.Instruction, *, escape: str = "\\", newline: str = "\n") -> str:
    """``leading`` + the node's text (its ``source``, or the canonical form when edited).

    >>> print_instruction(ir.Env(pairs=(ir.KeyValue("GREETING", "hello brave world"),)))
    'ENV GREETING="hello brave world"\\n'
    >>> print_instruction(ir.Cmd(command=ir.ExecForm(("python", "app.py"))))
    'CMD ["python", "app.py"]\\n'
    """
    if ins.source is not None:
        return ins.leading + ins.source
    return ins.leading + _canonical(ins, escape, newline)


# --------------------------------------------------------------------------
# Canonical forms


def _quote_flag_value(value: str) -> str:
    if value == "" or re.search(r"[\s\"'\\]", value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def flag_text(flag: ir.Flag) -> str:
    """``--name[=value]`` as BuildKit reads it back (quoted when needed).

    >>> flag_text(ir.Flag("mount", "type=bind,source=a b"))
    '--mount="type=bind,source=a b"'
    """
    if flag.value is None:
        return f"--{flag.name}"
    return f"--{flag.name}={_quote_flag_value(flag.value)}"


_SAFE_WORD = re.compile(r"[A-Za-z0-9_./:@%+,=\-${}~^*?!#\[\]]+")


def quote_word(value: str, escape: str = "\\") -> str:
    """Quote an ENV/LABEL/ARG value so BuildKit's word processing gives ``value`` back.

    ``$`` references are left live (the IR keeps them as written).

    >>> quote_word("hello brave world")
    '"hello brave world"'
    >>> quote_word("--max-old-space-size=4096")
    '--max-old-space-size=4096'
    >>> quote_word('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    if value and _SAFE_WORD.fullmatch(value) and not value.startswith("=") and escape not in value:
        return value
    return '"' + value.replace(escape, escape + escape).replace('"', escape + '"') + '"'


def _json(args) -> str:
    return json.dumps(list(args), ensure_ascii=False)


def _command_text(cmd: ir.Command | None) -> str:
    if cmd is None:
        return ""
    if isinstance(cmd, ir.ExecForm):
        return _json(cmd.args)
    return cmd.text


def split_top_level_and(text: str) -> list[str]:
    """Split shell text at ``&&`` outside quotes, parentheses and braces.

    >>> split_top_level_and("a && b 'c && d' && (e && f)")
    ['a', "b 'c && d'", '(e && f)']
    """
    parts: list[str] = []
    depth = 0
    quote = ""
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch == "\\":
            i += 2
            continue
        elif ch in "'\"`":
            quote = ch
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            depth = max(depth - 1, 0)
        elif ch == "#" and (i == 0 or text[i - 1].isspace()):
            break  # a shell comment: leave the rest alone
        elif ch == "&" and depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i].strip())
            i += 2
            start = i
            continue
        i += 1
    parts.append(text[start:].strip())
    if quote or any(p == "" for p in parts):
        return [text]
    return parts


def _break_long(head: str, text: str, escape: str, newline: str) -> str:
    line = f"{head} {text}" if text else head
    if len(line) <= LINE_WIDTH or "\n" in text:
        return line
    parts = split_top_level_and(text)
    if len(parts) < 2:
        return line
    joiner = f" && {escape}{newline}{INDENT}"
    return f"{head} " + joiner.join(parts)


def _heredoc_tail(heredocs, newline: str) -> str:
    out = []
    for h in heredocs:
        body = h.content
        if body and not body.endswith("\n"):
            body += newline
        out.append(body + h.name + newline)
    return "".join(out)


def _head(keyword: str, flags) -> str:
    return " ".join([keyword, *(flag_text(f) for f in flags)])


def _pairs_text(pairs, escape: str) -> str:
    out = []
    for kv in pairs:
        out.append(f"{quote_word(kv.key, escape)}={quote_word(kv.value, escape)}")
    return " ".join(out)


def _canonical(ins: ir.Instruction, escape: str, newline: str, *, nested: bool = False) -> str:
    kind = ins.KIND
    head = _head(kind, ins.flags)
    tail = ""
    if isinstance(ins, ir.From):
        text = ins.image.raw
        if ins.stage_name:
            text += f" {ins.as_keyword or 'AS'} {ins.stage_name}"
        line = f"{head} {text}"
    elif isinstance(ins, ir.Run):
        if isinstance(ins.command, ir.ShellForm) and not ins.heredocs:
            line = _break_long(head, ins.command.text, escape, newline)
        else:
            line = f"{head} {_command_text(ins.command)}".rstrip()
        tail = _heredoc_tail(ins.heredocs, newline)
    elif isinstance(ins, (ir.Cmd, ir.Entrypoint)):
        line = f"{head} {_command_text(ins.command)}".rstrip()
    elif isinstance(ins, ir.Shell):
        line = f"{head} {_json(ins.args)}"
    elif isinstance(ins, ir.CopyLike):
        args = [*ins.sources, ins.dest]
        line = f"{head} {_json(args) if ins.json else ' '.join(args)}"
        tail = _heredoc_tail(ins.heredocs, newline)
    elif isinstance(ins, (ir.Env, ir.Label)):
        line = f"{head} {_pairs_text(ins.pairs, escape)}"
    elif isinstance(ins, ir.Arg):
        words = []
        for d in ins.decls:
            if d.raw is not None:
                words.append(d.raw)
            elif d.default is None:
                words.append(d.name)
            else:
                words.append(f"{d.name}={quote_word(d.default, escape)}")
        line = f"{head} {' '.join(words)}"
    elif isinstance(ins, ir.Workdir):
        line = f"{head} {ins.path}"
    elif isinstance(ins, ir.User):
        line = f"{head} {ins.user}"
    elif isinstance(ins, ir.Stopsignal):
        line = f"{head} {ins.signal}"
    elif isinstance(ins, ir.Maintainer):
        line = f"{head} {ins.name}"
    elif isinstance(ins, ir.Expose):
        line = f"{head} {' '.join(ins.ports)}"
    elif isinstance(ins, ir.Volume):
        line = f"{head} {_json(ins.paths) if ins.json else ' '.join(ins.paths)}"
    elif isinstance(ins, ir.Healthcheck):
        if ins.command is None:
            line = f"{head} NONE"
        else:
            line = f"{head} CMD {_command_text(ins.command)}".rstrip()
    elif isinstance(ins, ir.Onbuild):
        inner = ins.inner
        inner_text = inner.source if inner.source is not None else _canonical(inner, escape, newline)
        if not inner_text.endswith("\n"):
            inner_text += newline
        return f"{head} {inner_text}"
    else:  # pragma: no cover - every IR class is handled above
        raise TypeError(f"cannot print {type(ins).__name__}")
    return line + newline + tail


# --------------------------------------------------------------------------
# Formatting that never changes meaning (dopt fmt)


def _split_lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body):]


def _format_trivia(text: str) -> str:
    out = []
    for line in _split_lines(text):
        body, end = _ending(line)
        out.append(body.rstrip(" \t") + end)
    return "".join(out)


def _heredoc_line_count(ins: ir.Instruction) -> int:
    target = ins.inner if isinstance(ins, ir.Onbuild) else ins
    count = 0
    for h in getattr(target, "heredocs", ()):
        count += h.content.count("\n") + 1
    return count


def _format_first_line(body: str, ins: ir.Instruction) -> str:
    """Keyword upper-case, single blanks between keyword(s) and flags."""
    stripped = body.lstrip(" \t")
    m = re.match(r"(\S+)([ \t]+|$)", stripped)
    if not m:
        return stripped
    out = ins.KIND
    rest = stripped[m.end():]
    target = ins
    if isinstance(ins, ir.Onbuild):
        # flags of ONBUILD itself (none are valid) are left alone
        m2 = re.match(r"(\S+)([ \t]+|$)", rest)
        if m2 and m2.group(1).upper() == ins.inner.KIND:
            out += " " + ins.inner.KIND
            rest = rest[m2.end():]
            target = ins.inner
        elif rest:
            return out + " " + rest
    if not rest:
        return out
    words, rest_at = scan_flag_words(rest)
    pieces = [rest[a:b] for a, b in words]
    tail = rest[rest_at:]
    if isinstance(target, ir.From) and not words:
        # FROM image AS name: the AS keyword is upper-cased too
        fm = re.fullmatch(r"(\S+)([ \t]+)(as)([ \t]+)(\S+)", tail, re.I)
        if fm:
            tail = f"{fm.group(1)} AS {fm.group(5)}"
    return " ".join([out, *pieces, *([tail] if tail else [])])


def format_instruction_source(ins: ir.Instruction, escape: str = "\\") -> str:
    """The node's source with keyword case, spacing between keyword/flags/arguments
    and trailing blanks normalised; heredoc bodies untouched.

    >>> from dopt.frontend import parse_text
    >>> ins = parse_text("FROM a\\nrun   --network=none   echo hi   \\n").stages[0].instructions[0]
    >>> format_instruction_source(ins)
    'RUN --network=none echo hi\\n'
    """
    assert ins.source is not None
    lines = _split_lines(ins.source)
    n_body = _heredoc_line_count(ins)
    head_lines = lines[: len(lines) - n_body] if n_body else lines
    body_lines = lines[len(lines) - n_body:] if n_body else []
    out = []
    e = re.escape(escape)
    cont = re.compile(r"(?:(?<=[^%s])|^)%s[ \t]*\Z" % (e, e))
    for i, line in enumerate(head_lines):
        body, end = _ending(line)
        m = cont.search(body)
        if m:
            # Text before the continuation character is kept as written (its
            # trailing blanks may sit inside a quoted string); only blanks after
            # the character go.
            before = body[: m.start()]
            if i == 0:
                core = before.rstrip(" \t")
                before = _format_first_line(core, ins) + before[len(core):]
            body = before + escape
        else:
            body = body.rstrip(" \t\v\f")
            if i == 0:
                body = _format_first_line(body, ins)
        out.append(body + end)
    return "".join(out) + "".join(body_lines)


def format_ir(df: ir.Dockerfile) -> str:
    """The formatted text of a parsed Dockerfile (``dopt fmt``); edited nodes print canonically.

    >>> from dopt.frontend import parse_text
    >>> format_ir(parse_text("from alpine as build  \\n# note   \\nrun echo hi\\n"))
    'FROM alpine AS build\\n# note\\nRUN echo hi\\n'
    """
    if not isinstance(df, ir.Dockerfile):
        raise TypeError(f"print_ir needs a dopt.ir.Dockerfile (from parse_text), got {type(df).__name__}")
    out: list[str] = [d.source for d in df.directives]
    for ins in df.instructions():
        lead = _format_trivia(ins.leading)
        if ins.source is None:
            text = _canonical(ins, df.escape, df.newline)
        else:
            text = format_instruction_source(ins, df.escape)
        if out and not out[-1].endswith("\n") and (lead or text):
            out.append(df.newline)
        out.append(lead + text)
    out.append(_format_trivia(df.trailer))
    return "".join(out)
