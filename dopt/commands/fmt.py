"""``dopt fmt FILE [--check] [--diff] [-o OUT | --in-place]``: canonical formatting.

Only changes that provably keep the meaning are made: keyword case, the blanks
between keyword, flags and arguments, trailing blanks.  Heredoc bodies are never
touched.  The result is parsed again and compared with the original IR; any
difference is refused.  Writing is atomic (a temporary file in the same
directory, then ``os.replace``) and the input is only overwritten with
``--in-place``.

Example::

    $ dopt fmt Dockerfile --check      # exit 1 when formatting would change it
"""

from __future__ import annotations

import difflib
import sys

HELP = "format a Dockerfile canonically without changing its meaning"


def add_arguments(parser) -> None:
    parser.add_argument("file", help="the Dockerfile to format ('-' reads standard input)")
    parser.add_argument("--check", action="store_true", help="exit 1 if formatting would change the file")
    parser.add_argument("--diff", action="store_true", help="print a unified diff instead of the text")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT", help="write the formatted text to OUT")
    out.add_argument("--in-place", action="store_true", help="rewrite FILE")


def _normalised(df):
    """The IR with what formatting may change (text ownership, keyword case) blanked."""
    import attrs

    from dopt import ir

    def norm(ins):
        changes = dict(source=None, span=None, leading="", keyword="")
        if isinstance(ins, ir.From):
            changes["as_keyword"] = ins.as_keyword.upper()
        if isinstance(ins, ir.Onbuild):
            changes["inner"] = norm(ins.inner)
        return attrs.evolve(ins, **changes)

    return (df.directives, tuple(norm(i) for i in df.instructions()), df.escape)


def format_text(text: str, path: str | None = None) -> str:
    """Format Dockerfile text; raises DoptError if the result would mean something else.

    >>> format_text("from alpine\\nrun  echo hi  \\n")
    'FROM alpine\\nRUN echo hi\\n'
    """
    from dopt.errors import DoptError
    from dopt.frontend import parse_text
    from dopt.printer import format_ir

    df = parse_text(text, path)
    out = format_ir(df)
    if out != text:
        again = parse_text(out, path)
        if _normalised(again) != _normalised(df):
            raise DoptError(f"{path or '<string>'}: formatting would change the meaning; left as is "
                            "(please report this)")
    return out


def run(args) -> int:
    from dopt.errors import UsageError
    from dopt.files import read_dockerfile, same_file, write_atomic

    name = args.file
    if name == "-" and args.in_place:
        raise UsageError("--in-place needs a file, not standard input")
    if args.output and name != "-" and same_file(args.output, name):
        raise UsageError(f"{args.output}: is the input file; use --in-place to rewrite it")
    # read once: a pipe (``dopt fmt <(...)``) cannot be read twice; a byte-order mark is kept
    # as written, since it is part of the text the printer gives back
    text = read_dockerfile(name, keep_bom=True)
    shown = "<stdin>" if name == "-" else name
    formatted = format_text(text, shown)
    changed = formatted != text
    if args.diff:
        sys.stdout.writelines(difflib.unified_diff(
            text.splitlines(keepends=True), formatted.splitlines(keepends=True),
            fromfile=f"a/{shown}", tofile=f"b/{shown}"))
    if args.check:
        if changed:
            print(f"{shown}: would be reformatted", file=sys.stderr)
        return 1 if changed else 0
    if args.in_place:
        if changed:
            write_atomic(name, formatted)
        return 0
    if args.output:
        write_atomic(args.output, formatted, inputs=(name,))
        return 0
    if not args.diff:
        sys.stdout.write(formatted)
    return 0
