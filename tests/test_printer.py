"""Printer: lossless for untouched nodes, canonical for edited ones; fmt rules."""

from __future__ import annotations

import pytest

from dopt import ir
from dopt.frontend import parse_text
from dopt.printer import (format_ir, print_instruction, print_ir, quote_word,
                          split_top_level_and)


def nodes(text):
    return list(parse_text(text).instructions())


def test_untouched_nodes_print_byte_for_byte():
    text = "# syntax=x\r\n\r\nfrom  a AS b \t\r\n# c\r\nrun echo \\\t\r\n  # in\r\n  hi"
    assert print_ir(parse_text(text)) == text


def test_edited_node_prints_canonically_with_leading_verbatim():
    df = parse_text("FROM a\n# keep me\nrun   --network=none   echo hi\n")
    run = df.stages[0].instructions[0]
    edited = df.edit(stages=(df.stages[0].edit(instructions=(run.edit(),)),))
    assert print_ir(edited) == "FROM a\n# keep me\nRUN --network=none echo hi\n"


def test_edited_nodes_use_the_file_newline_and_escape():
    df = parse_text("# escape=`\r\nFROM a\r\nRUN x\r\n")
    run = df.stages[0].instructions[0]
    long = ir.ShellForm(" && ".join(["apt-get install -y package-number-%d" % i for i in range(4)]))
    edited = df.edit(stages=(df.stages[0].edit(instructions=(run.edit(command=long),)),))
    out = print_ir(edited)
    assert " && `\r\n    apt-get" in out
    again = parse_text(out)
    assert " ".join(again.stages[0].instructions[0].command.text.split()) == long.text


def test_edited_node_after_last_line_without_newline():
    df = parse_text("FROM a\nRUN x")
    extra = ir.Run(command=ir.ShellForm("y"))
    edited = df.edit(stages=(df.stages[0].edit(instructions=(*df.stages[0].instructions, extra)),))
    assert print_ir(edited) == "FROM a\nRUN x\nRUN y\n"


@pytest.mark.parametrize("node, text", [
    (ir.From(image=ir.ImageRef("python:3.11-slim"), stage_name="app", flags=(ir.Flag("platform", "linux/amd64"),)),
     "FROM --platform=linux/amd64 python:3.11-slim AS app\n"),
    (ir.Run(command=ir.ExecForm(("python", "app.py"))), 'RUN ["python", "app.py"]\n'),
    (ir.Cmd(command=ir.ExecForm(("é",))), 'CMD ["é"]\n'),
    (ir.Cmd(command=ir.ShellForm("['python', 'app.py']")), "CMD ['python', 'app.py']\n"),
    (ir.Env(pairs=(ir.KeyValue("GREETING", "hello brave world"),)), 'ENV GREETING="hello brave world"\n'),
    (ir.Env(pairs=(ir.KeyValue("NODE_OPTIONS", "--max-old-space-size=4096"),)),
     "ENV NODE_OPTIONS=--max-old-space-size=4096\n"),
    (ir.Env(pairs=(ir.KeyValue("A", "=x"),)), 'ENV A="=x"\n'),
    (ir.Label(pairs=(ir.KeyValue("q", 'say "hi"'), ir.KeyValue("e", ""))), 'LABEL q="say \\"hi\\"" e=""\n'),
    (ir.Arg(decls=(ir.ArgDecl("A"), ir.ArgDecl("B", "x y"))), 'ARG A B="x y"\n'),
    (ir.Copy(sources=("a", "b"), dest="/d/", flags=(ir.Flag("link"), ir.Flag("chmod", "0755"))),
     "COPY --link --chmod=0755 a b /d/\n"),
    (ir.Copy(sources=("a b",), dest="/d", json=True), 'COPY ["a b", "/d"]\n'),
    (ir.Healthcheck(command=None), "HEALTHCHECK NONE\n"),
    (ir.Healthcheck(command=ir.ShellForm("curl x"), flags=(ir.Flag("interval", "5s"),)),
     "HEALTHCHECK --interval=5s CMD curl x\n"),
    (ir.Shell(args=("/bin/bash", "-c")), 'SHELL ["/bin/bash", "-c"]\n'),
    (ir.Volume(paths=("/a", "/b")), "VOLUME /a /b\n"),
    (ir.Onbuild(inner=ir.Run(command=ir.ShellForm("make"))), "ONBUILD RUN make\n"),
    (ir.Run(command=ir.ShellForm("echo"), flags=(ir.Flag("mount", "type=bind,source=a b"),)),
     'RUN --mount="type=bind,source=a b" echo\n'),
])
def test_canonical_forms(node, text):
    assert print_instruction(node) == text
    back = list(parse_text("FROM a\n" + text).instructions())[1]
    assert type(back) is type(node)


def test_heredocs_reemitted_after_the_line():
    (run,) = parse_text("FROM a\nrun  <<-EOF  sh\n\t  echo x\n\tEOF\n").stages[0].instructions
    assert print_instruction(run.edit()) == "RUN <<-EOF  sh\n  echo x\nEOF\n"
    (copy,) = parse_text("FROM a\nCOPY <<A <<B /d/\na\nA\nb\nB\n").stages[0].instructions
    assert print_instruction(copy.edit()) == "COPY <<A <<B /d/\na\nA\nb\nB\n"


def test_long_run_breaks_only_at_top_level_and():
    text = "apt-get update && apt-get install -y 'a && b' curl jq && rm -rf /var/lib/apt/lists/* && echo ok"
    out = print_instruction(ir.Run(command=ir.ShellForm(text)))
    assert out == ("RUN apt-get update && \\\n    apt-get install -y 'a && b' curl jq && \\\n"
                   "    rm -rf /var/lib/apt/lists/* && \\\n    echo ok\n")
    assert print_instruction(ir.Run(command=ir.ShellForm("a && b"))) == "RUN a && b\n"


def test_split_top_level_and():
    assert split_top_level_and('a && "b && c" && $(d && e)') == ["a", '"b && c"', "$(d && e)"]
    assert split_top_level_and("a &&") == ["a &&"]
    assert split_top_level_and("echo 'unterminated && x") == ["echo 'unterminated && x"]


def test_quote_word_round_trips_through_word_processing():
    from dopt.variables import process_word

    for v in ["plain", "two words", 'q"uote', "back\\slash", "", "=lead", "tab\there", "ü ñ"]:
        assert process_word(quote_word(v)) == v
        assert process_word(quote_word(v, "`"), escape="`") == v


def test_format_normalises_only_safe_things():
    text = ("from  alpine  as  build   \n"
            "# note   \n"
            "   \n"
            "run   --network=none   --mount=type=cache,target=/c \\   \n"
            "    echo  'a   b' \\\n"
            "    && true   \n"
            "copy <<EOF   /x\n"
            "  body   \n"
            "EOF\n"
            "onbuild   run  make\n"
            "env A=1   B=2\n")
    out = format_ir(parse_text(text))
    assert out == ("FROM alpine AS build\n"
                   "# note\n"
                   "\n"
                   "RUN --network=none --mount=type=cache,target=/c \\\n"
                   "    echo  'a   b' \\\n"
                   "    && true\n"
                   "COPY <<EOF   /x\n"
                   "  body   \n"
                   "EOF\n"
                   "ONBUILD RUN make\n"
                   "ENV A=1   B=2\n")
    assert format_ir(parse_text(out)) == out


def test_format_keeps_blanks_before_continuation_inside_quotes():
    text = 'FROM a\nRUN echo "x   \\\n  y"\n'
    assert format_ir(parse_text(text)) == text
