"""Front end: lowering into the IR, located errors, BuildKit's view."""

from __future__ import annotations

import pytest

from dopt import ir
from dopt.errors import DockerfileSyntaxError, UsageError
from dopt.frontend import parse_file, parse_text, to_buildkit
from dopt.printer import print_ir
from tests.test_cases_parse import buildkit


def one(text: str) -> ir.Instruction:
    df = parse_text("FROM scratch\n" + text)
    assert print_ir(df) == "FROM scratch\n" + text
    return df.stages[0].instructions[0]


def err(text: str) -> DockerfileSyntaxError:
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text(text, "Dockerfile")
    return e.value


# Inputs BuildKit accepts: our BuildKit view must equal its parser's.
AGREE = [
    "FROM a\r\nRUN <<EOF\r\nhi\r\nEOF\r\nRUN a \\\r\n  b\r\n",
    'FROM a\nRUN <<-EOF cat <<"X"\n\thi\n\tEOF\nxx\nX\n',
    'FROM a\nRUN --mount="type=cache,target=/a b" --network=none  echo\n',
    "FROM a\nONBUILD COPY --from=a b c\nONBUILD RUN <<EOF\nhi\nEOF\n",
    "FROM a\nRUN echo \\\nRUN x\\\\\nRUN y \\  \n  # c\n  z\n",
    'FROM a\nRUN ["a"] x\nRUN   [ "a" ,"b" ]  \nENV c=d\nLABEL "x y"=z\n',
    "from alpine as b\nrun echo hi\nhealthcheck --interval=5s cmd curl x\nHEALTHCHECK NONE\n",
    "FROM a\nENV a b c\nENV a=b c=\"d e\"\nARG x y=z\nEXPOSE 80 90/udp\nVOLUME /a /b\nVOLUME [\"/a\"]\n",
    "FROM a\nSHELL [\"a\"]\nMAINTAINER me you\nUSER a b\nWORKDIR /a b\nSTOPSIGNAL 9\nCMD\nRUN\n",
    'FROM a\nADD ["a", "b"]\nHEALTHCHECK CMD ["curl", "-f", "x"]\nCOPY <<EOF <<-"END" /x/\nA\nEOF\n\tB\n\tEND\n',
    "\ufeffFROM a\nRUN 3<<EOF cat\nbody\nEOF\n",
    "# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN echo `\n  hi\nENV A=b`c D=`\"e`\"\n",
    "FROM a\nRUN echo \"<<NOT\" '<<NOR' && cat <<EOF>out\nx\nEOF>out\n",
    "  FROM   a   AS   b  \n\tRUN\techo\n",
    "FROM a\nLABEL a=1 b=\"two words\" c='x y'\nARG A=\"q\"\n",
    "FROM a\nCOPY --chmod=755 --link a \\\n  b \\\n  /c/\n",
    "FROM a\nRUN -- echo --not-a-flag\n",
    "FROM a\nRUN echo x\\\n",
    "FROM a\nCMD [\"a\"] # trailing\n",
]


@pytest.mark.parametrize("text", AGREE)
def test_buildkit_view_matches_buildkit(text):
    df = parse_text(text)
    assert print_ir(df) == text
    assert to_buildkit(df) == buildkit(text)


def test_keywords_are_case_insensitive_and_kept_as_written():
    df = parse_text("from alpine As base\nRuN echo\n")
    assert df.stages[0].from_.keyword == "from"
    assert df.stages[0].name == "base" and df.stages[0].from_.as_keyword == "As"
    assert df.stages[0].instructions[0].KIND == "RUN"


def test_unknown_instruction_has_did_you_mean_and_location():
    e = err("FROM a\nRUNN echo\n")
    assert e.message == "unknown instruction: RUNN (did you mean RUN?)"
    assert (e.path, e.line, e.column) == ("Dockerfile", 2, 1)
    rendered = e.render()
    assert "Dockerfile:2:1" in rendered and "RUNN echo" in rendered and "^" in rendered
    assert e.expected


def test_error_column_points_at_the_offending_word():
    e = err("FROM a\nENV A=1 B\n")
    assert e.line == 2 and e.column == 9
    assert "can't find = in 'B'" in e.message
    assert e.render().splitlines()[-2].endswith("^")
    assert e.render().splitlines()[-2].index("^") - 9 == e.render().splitlines()[-3].index("ENV") - 1


def test_error_on_continuation_line_is_located_there():
    e = err("FROM a\nCOPY --chown=1 \\\n  --bogus=2 a b\n")
    assert e.message == "unknown flag: bogus" and e.line == 3 and e.column == 3


@pytest.mark.parametrize("text, message", [
    ("FROM a b\n", "FROM requires either one or three arguments"),
    ("FROM\n", "FROM requires either one or three arguments"),
    ("FROM a AS b c\n", "FROM requires either one or three arguments"),
    ("FROM a AS 1x\n", "invalid name for build stage"),
    ("RUN echo\n", "RUN before the first FROM"),
    ("FROM a\nSHELL /bin/sh -c\n", "SHELL requires the arguments to be in JSON form"),
    ("FROM a\nRUN [\"a\", 1]\n", "arrays must be comprised of strings only"),
    ("FROM a\nENV A\n", "ENV must have two arguments"),
    ("FROM a\nLABEL\n", "LABEL requires at least one argument"),
    ("FROM a\nCOPY a\n", "COPY requires at least two arguments"),
    ("FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument"),
    ("FROM a\nHEALTHCHECK FOO x\n", "Unknown type 'FOO' in HEALTHCHECK"),
    ("FROM a\nHEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments"),
    ("FROM a\nHEALTHCHECK CMD\n", "Missing command after HEALTHCHECK CMD"),
    ("FROM a\nONBUILD FROM b\n", "FROM isn't allowed as an ONBUILD trigger"),
    ("FROM a\nONBUILD ONBUILD RUN x\n", "ONBUILD isn't allowed as an ONBUILD trigger"),
    ("FROM a\nONBUILD RUNX x\n", "unknown instruction: RUNX"),
    ("FROM a\nCMD --verbose\n", "unknown flag: verbose"),
    ("FROM a\nRUN --mount=type=cache --mout=x echo\n", "unknown flag: mout"),
    ("# escape=^\nFROM a\n", "invalid escape token"),
    ("# syntax=a\n# syntax=b\nFROM a\n", "only one syntax parser directive"),
    ("", "file with no instructions"),
    ("# only a comment\n\n", "file with no instructions"),
    ("FROM a\nENV A='x\n", "matching single-quote"),
    ("FROM a\nRUN <<EOF\nno end\n", "unterminated heredoc"),
    ("FROM a\nCOPY x <<EOF\nbody\nEOF\n", "COPY cannot accept a heredoc as a destination"),
])
def test_rejected_inputs(text, message):
    assert message in err(text).message


def test_directives_only_at_the_top():
    df = parse_text("# syntax=docker/dockerfile:1.7\n# check=skip=all\n# escape=`\nFROM a\n")
    assert [(d.name, d.value) for d in df.directives] == [
        ("syntax", "docker/dockerfile:1.7"), ("check", "skip=all"), ("escape", "`")]
    assert df.escape == "`"
    late = parse_text("\n# escape=`\nFROM a\n")
    assert late.directives == () and late.escape == "\\"
    assert [(w.code, w.line) for w in late.warnings] == [("IgnoredDirective", 2)]
    unknown = parse_text("# foo=bar\n# escape=`\nFROM a\n")
    assert unknown.directives == () and unknown.escape == "\\"


def test_json_fallback_and_exec_forms():
    assert one("CMD ['a']\n").command == ir.ShellForm("['a']")
    assert one('CMD ["a" "b"]\n').command == ir.ShellForm('["a" "b"]')
    assert one('ENTRYPOINT ["a", "b c"]\n').command == ir.ExecForm(("a", "b c"))
    assert one("CMD []\n").command == ir.ExecForm(())
    assert one('RUN ["\\u00e9"]\n').command == ir.ExecForm(("é",))


def test_env_and_label_forms():
    env = one("ENV GREETING hello brave world\n")
    assert env.legacy and env.pairs == (ir.KeyValue("GREETING", "hello brave world",
                                                    "GREETING hello brave world"),)
    env = one("ENV NODE_OPTIONS=--max-old-space-size=4096\n")
    assert env.pairs[0].value == "--max-old-space-size=4096"
    label = one('LABEL "org.key"="v 1" b=\'$NOT\' c=$X\n')
    assert [(p.key, p.value) for p in label.pairs] == [("org.key", "v 1"), ("b", "$NOT"), ("c", "$X")]


def test_arg_declarations():
    arg = one('ARG A B=2 C="x y" D=\n')
    assert [(d.name, d.default) for d in arg.decls] == [("A", None), ("B", "2"), ("C", "x y"), ("D", "")]


def test_from_image_refs_and_platform():
    df = parse_text("ARG V=3.19\nFROM --platform=$BUILDPLATFORM localhost:5000/a/b:${V}@sha256:ab AS x\n"
                    "FROM python\nFROM registry.io/app\nFROM team/app:1\n")
    a, b, c, d = (s.base for s in df.stages)
    assert (a.registry, a.repository, a.tag, a.digest) == ("localhost:5000", "a/b", "3.19", "sha256:ab")
    assert a.raw == "localhost:5000/a/b:${V}@sha256:ab"
    assert df.stages[0].platform == "$BUILDPLATFORM"
    assert (b.registry, b.repository, b.tag) == (None, "python", None)
    assert (c.registry, c.repository) == ("registry.io", "app")
    assert (d.registry, d.repository, d.tag) == (None, "team/app", "1")


def test_heredoc_variants():
    run = one("RUN <<'EOF' sh\n$NOEXPAND\nEOF\n")
    assert run.heredocs[0].expand is False and run.heredocs[0].opener == "<<'EOF'"
    run = one("RUN cat <<EOF > /x && cat <<EOF2\na\nEOF\nb\nEOF2\n")
    assert [h.name for h in run.heredocs] == ["EOF", "EOF2"]
    run = one('RUN ["cat", "<<EOF"]\n')
    assert run.heredocs == ()
    copy = one("COPY <<EOF /e\nEOF\n")
    assert copy.heredocs[0].content == ""
    onbuild = one("ONBUILD RUN <<EOF\nx\nEOF\n")
    assert onbuild.inner.heredocs[0].content == "x\n"
    assert onbuild.inner.source == "RUN <<EOF\nx\nEOF\n"


def test_onbuild_wraps_instruction():
    ins = one("ONBUILD  COPY --from=b x /y\n")
    assert isinstance(ins, ir.Onbuild) and isinstance(ins.inner, ir.Copy)
    assert ins.inner.flags == (ir.Flag("from", "b"),) and ins.inner.source == "COPY --from=b x /y\n"


def test_healthcheck():
    hc = one("HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x || exit 1\n")
    assert hc.flag_value("interval") == "5s" and hc.command.text == "curl -f http://x || exit 1"
    assert one("HEALTHCHECK NONE\n").command is None


def test_preamble_and_stages():
    df = parse_text("ARG A\n# c\nFROM a AS one\nRUN x\nFROM one\nCOPY --from=one /a /b\n")
    assert [i.KIND for i in df.preamble] == ["ARG"]
    assert [s.name for s in df.stages] == ["one", None]
    assert df.stages[1].instructions[0].from_stage == "one"
    assert df.stages[0].from_.leading == "# c\n"


def test_trailer_and_missing_final_newline():
    text = "FROM a\nRUN x\n\n# end\n"
    df = parse_text(text)
    assert df.trailer == "\n# end\n" and print_ir(df) == text
    df = parse_text("FROM a\nRUN x")
    assert df.stages[0].instructions[0].source == "RUN x"


def test_keyword_split_across_continuation():
    text = "RU\\\nN echo hi\n"
    # BuildKit joins the lines first: the keyword is RUN.
    df = parse_text("FROM a\n" + text)
    assert df.stages[0].instructions[0].command.text == "echo hi"


def test_parse_file_errors(tmp_path):
    with pytest.raises(UsageError):
        parse_file(tmp_path / "missing")
    with pytest.raises(UsageError):
        parse_file(tmp_path)
    bad = tmp_path / "Dockerfile"
    bad.write_bytes(b"FROM a\nRUN echo \xff\n")
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_file(bad)
    assert e.value.line == 2 and "UTF-8" in e.value.message
    bom = tmp_path / "bom"
    bom.write_bytes(b"\xef\xbb\xbfFROM a\n")
    df = parse_file(bom)
    assert df.stages[0].base.repository == "a" and print_ir(df) == "\ufeffFROM a\n"
