"""``dopt parse FILE [--format json|tree|buildkit]``: show what dopt reads.

* ``json``: the IR, one object per node with its ``kind`` (class name);
* ``tree``: an indented, human-readable outline;
* ``buildkit``: the instructions as BuildKit's parser reports them.

Example::

    $ dopt parse Dockerfile --format tree
"""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs

HELP = "dump the IR of a Dockerfile (json, tree, or BuildKit's parser shape)"


def add_arguments(parser) -> None:
    parser.add_argument("file", help="the Dockerfile to parse ('-' reads standard input)")
    parser.add_argument("--format", choices=("json", "tree", "buildkit"), default="json",
                        help="output shape (default: json)")


def to_data(obj: Any) -> Any:
    """A JSON-ready view of IR values: attrs nodes become dicts with a ``kind``.

    >>> from dopt.frontend import parse_text
    >>> to_data(parse_text("FROM a\\n").stages[0].from_)["kind"]
    'From'
    """
    if attrs.has(type(obj)):
        out: dict[str, Any] = {"kind": type(obj).__name__}
        for f in attrs.fields(type(obj)):
            out[f.name] = to_data(getattr(obj, f.name))
        if hasattr(type(obj), "KIND") and type(obj).KIND:
            out["instruction"] = type(obj).KIND
        return out
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_data(v) for k, v in obj.items()}
    return obj


def _summary(ins) -> str:
    from dopt import ir

    if isinstance(ins, ir.From):
        s = f"image={ins.image.raw}"
        if ins.stage_name:
            s += f" as={ins.stage_name}"
        return s
    if isinstance(ins, (ir.Run, ir.Cmd, ir.Entrypoint)) or (isinstance(ins, ir.Healthcheck) and ins.command):
        cmd = ins.command
        if isinstance(cmd, ir.ExecForm):
            return "exec " + json.dumps(list(cmd.args), ensure_ascii=False)
        return "shell " + json.dumps(cmd.text, ensure_ascii=False)
    if isinstance(ins, ir.Healthcheck):
        return "NONE"
    if isinstance(ins, ir.CopyLike):
        return f"sources={list(ins.sources)} dest={ins.dest}" + (" json" if ins.json else "")
    if isinstance(ins, (ir.Env, ir.Label)):
        return " ".join(f"{kv.key}={json.dumps(kv.value, ensure_ascii=False)}" for kv in ins.pairs)
    if isinstance(ins, ir.Arg):
        return " ".join(d.name if d.default is None else f"{d.name}={json.dumps(d.default)}" for d in ins.decls)
    if isinstance(ins, ir.Shell):
        return json.dumps(list(ins.args))
    if isinstance(ins, ir.Onbuild):
        return f"{ins.inner.KIND} {_summary(ins.inner)}"
    for name in ("path", "user", "signal", "name"):
        if hasattr(ins, name):
            return str(getattr(ins, name))
    if hasattr(ins, "ports"):
        return " ".join(ins.ports)
    if hasattr(ins, "paths"):
        return " ".join(ins.paths)
    return ""


def render_tree(df) -> str:
    """An indented outline of a parsed Dockerfile.

    >>> from dopt.frontend import parse_text
    >>> print(render_tree(parse_text("FROM a AS b\\nRUN x\\n")))
    Dockerfile escape='\\\\'
      stage 0 'b' (line 1)
        FROM image=a as=b
        RUN shell "x" (line 2)
    """
    out = [f"Dockerfile escape={df.escape!r}"]
    for d in df.directives:
        out.append(f"  directive {d.name}={d.value}")
    for w in df.warnings:
        out.append(f"  warning {w.code} (line {w.line}): {w.message.splitlines()[0]}")

    def line(ins, indent):
        flags = "".join(f" {f.text()}" for f in ins.flags)
        where = f" ({ins.span})" if ins.span else ""
        text = f"{indent}{ins.KIND}{flags} {_summary(ins)}".rstrip()
        out.append(text + (where if ins.KIND != "FROM" else ""))
        for h in getattr(ins, "heredocs", ()):
            out.append(f"{indent}  heredoc {h.name} expand={h.expand} {len(h.content)} chars")

    if df.preamble:
        out.append("  preamble")
        for ins in df.preamble:
            line(ins, "    ")
    for i, stage in enumerate(df.stages):
        name = f" {stage.name!r}" if stage.name else ""
        out.append(f"  stage {i}{name} ({stage.from_.span})")
        for ins in stage.all():
            line(ins, "    ")
    return "\n".join(out)


def run(args) -> int:
    from dopt.files import read_dockerfile
    from dopt.frontend import parse_file, parse_text, to_buildkit

    if args.file == "-":
        # bytes, not sys.stdin.read(): text mode would turn CRLF into LF and guess the encoding
        df = parse_text(read_dockerfile("-", keep_bom=True), "<stdin>")
    else:
        df = parse_file(args.file)
    if args.format == "tree":
        print(render_tree(df))
    elif args.format == "buildkit":
        print(json.dumps(to_buildkit(df), indent=2, ensure_ascii=False))
    else:
        print(json.dumps(to_data(df), indent=2, ensure_ascii=False))
    for w in df.warnings:
        print(f"warning: {df.path or '<stdin>'}:{w.line}: {w.code}: {w.message.splitlines()[0]}",
              file=sys.stderr)
    return 0
