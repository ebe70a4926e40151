"""One test per parse / print-roundtrip case of tests/cases/CASES.md.

Each asserts the IR facts the case states, a byte-identical round trip and,
where BuildKit accepts the file, that ``to_buildkit`` equals BuildKit's own
parser (the ``dockerfile`` package).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dopt import ir
from dopt.errors import DockerfileSyntaxError
from dopt.frontend import parse_text, to_buildkit
from dopt.printer import print_ir

CASES = Path(__file__).parent / "cases"


def read(case: str) -> str:
    return (CASES / f"{case}.Dockerfile").read_bytes().decode("utf-8")


def buildkit(text: str) -> list[dict]:
    import dockerfile

    out = []
    for c in dockerfile.parse_string(text):
        d = c._asdict()
        d["flags"] = list(d["flags"])
        d["value"] = list(d["value"])
        d["heredocs"] = [h._asdict() for h in d["heredocs"]]
        out.append(d)
    return out


def load(case: str) -> ir.Dockerfile:
    """Parse a case, check the round trip and BuildKit's view, return the IR."""
    text = read(case)
    df = parse_text(text, f"{case}.Dockerfile")
    assert print_ir(df) == text
    assert to_buildkit(df) == buildkit(text)
    return df


def body(df: ir.Dockerfile, stage: int = 0) -> tuple[ir.Instruction, ...]:
    return df.stages[stage].instructions


def test_B01_comment_inside_continuation_is_dropped_from_run():
    df = load("B01")
    (run,) = body(df)
    assert isinstance(run, ir.Run)
    assert run.span == ir.Span(2, 5)
    assert run.command.text == "apk add --no-cache     curl     jq"
    assert "    # used by the healthcheck\n" in run.source


def test_B02_blank_line_in_continuation_warns_and_does_not_split():
    df = load("B02")
    first, second = body(df)
    assert first.command.text == "echo one     two"
    assert first.span == ir.Span(2, 4)
    assert second.command.text == "echo three"
    (warning,) = df.warnings
    assert warning.code == "NoEmptyContinuation"
    assert warning.message.startswith("Empty continuation line found in:")
    assert warning.line == 2


def test_B04_blanks_after_backslash_still_continue():
    (run,) = body(load("B04"))
    assert run.command.text == "echo a &&     echo b"


def test_B05_backtick_escape_directive():
    df = load("B05")
    assert df.escape == "`"
    assert df.directives == (ir.Directive("escape", "`", "# escape=`\n"),)
    run, copy = body(df)
    assert run.command.text == "dir C:\\     && echo done"
    assert copy.sources == ("app\\",) and copy.dest == "C:\\app\\"


def test_B07_late_escape_directive_is_a_comment():
    df = load("B07")
    assert df.escape == "\\" and df.directives == ()
    assert df.stages[0].from_.leading == "# build notes\n# escape=`\n"
    (run,) = body(df)
    assert run.command.text == "echo a     && echo b"


def test_B08_crlf_continuations_and_printer_keeps_crlf():
    df = load("B08")
    assert df.newline == "\r\n"
    run, cmd = body(df)
    assert run.command.text == "echo a &&     echo b"
    assert cmd.command == ir.ExecForm(("sh",))
    assert run.source.endswith("\r\n")
    lf = parse_text(read("B08").replace("\r\n", "\n"))
    assert [i.command for i in body(lf)] == [run.command, cmd.command]


def test_B10_comments_and_blank_inside_continued_from():
    df = load("B10")
    stage = df.stages[0]
    assert stage.name == "build" and str(stage.base) == "alpine:3.19"
    assert stage.from_.span == ir.Span(1, 5)
    assert [w.code for w in df.warnings] == ["NoEmptyContinuation"]
    assert [i.KIND for i in stage.instructions] == ["RUN"]


def test_B11_hash_after_arguments_is_not_a_comment():
    text = read("B11")
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text(text)
    assert e.value.line == 2
    assert "FROM requires either one or three arguments" in e.value.message
    # Without the bad FROM, the ARG words and the ENV value stay literal.
    df = parse_text(text.replace("FROM alpine:3.19 # pinned", "FROM alpine:3.19"))
    assert [d.name for d in df.preamble[0].decls] == ["TARGET_ARCH", "#", "allowed:", "x86_64,", "aarch64"]
    assert df.preamble[0].decls[0].default == "x86_64"
    (env,) = body(df)
    assert env.pairs == (ir.KeyValue("LEVEL", "#info", "LEVEL=#info"),)
    assert print_ir(df) == text.replace("FROM alpine:3.19 # pinned", "FROM alpine:3.19")


def test_B13_quoted_url_with_query_string():
    first, second = body(load("B13"))
    assert first.command.text == 'wget -O /tmp/f "https://example.com/dl?version=2&arch=amd64"'
    assert second.command.text == "echo done"


def test_B14_single_quoted_exec_form_is_shell_form():
    df = load("B14")
    (cmd,) = body(df)
    assert cmd.command == ir.ShellForm("['python', 'app.py']")
    from dopt.printer import print_instruction

    assert print_instruction(cmd.edit()) == "CMD ['python', 'app.py']\n"


def test_B16_json_volume_with_lone_quote_parses():
    (volume,) = body(load("B16"))
    assert volume.json is True and volume.paths == ("/data'set",)


def test_B19_env_escaped_space_and_quotes_processed():
    df = load("B19")
    env, run = body(df)
    assert [(kv.key, kv.value) for kv in env.pairs] == [("MSG", "hello world"), ("OTHER", "a b")]
    assert [kv.raw for kv in env.pairs] == ["MSG=hello\\ world", 'OTHER="a b"']
    assert run.command.text == 'echo "$MSG|$OTHER"'


def test_B20_unbalanced_single_quote_in_label_is_an_error():
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text(read("B20"), "B20.Dockerfile")
    assert "unexpected end of statement while looking for matching single-quote" in e.value.message
    assert e.value.path == "B20.Dockerfile" and 2 <= e.value.line <= 4


def test_B23_heredoc_with_interpreter_then_next_instruction():
    first, second = body(load("B23"))
    assert first.command.text == "<<EOF bash"
    (doc,) = first.heredocs
    assert doc.name == "EOF" and doc.content == "set -euo pipefail\necho ready | cat\n"
    assert first.span == ir.Span(2, 5)
    assert second.command.text == "echo next"


def test_B25_heredoc_terminator_on_last_line_without_newline():
    df = load("B25")
    (run,) = body(df)
    assert run.heredocs[0].content == "echo last\n"
    assert print_ir(df).endswith("EOF") and not print_ir(df).endswith("\n")


def test_B26_backslash_escaped_tab_stripped_heredoc():
    df = load("B26")
    copy, cmd = body(df)
    (doc,) = copy.heredocs
    assert doc.name == "EOT" and doc.strip_tabs
    assert doc.content == "value '$TARGETARCH'\n"
    assert doc.expand is True  # BuildKit counts quotes only
    assert doc.opener == "<<-\\EOT"
    assert any(w.code == "HeredocBackslashExpands" for w in df.warnings)
    assert cmd.command == ir.ExecForm(("cat", "/data.txt"))


def test_B28_space_before_quoted_delimiter_is_not_a_heredoc():
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text(read("B28"))
    assert e.value.line == 3 and "unknown instruction: welcome" in e.value.message
    # BuildKit's parser agrees that the RUN ends on line 2.
    assert buildkit(read("B28"))[1]["end_line"] == 2


def test_B29_two_heredoc_sources_in_order():
    (copy,) = body(load("B29"))
    assert copy.sources == ("<<FIRST", "<<SECOND") and copy.dest == "/dst/"
    assert [(h.name, h.content) for h in copy.heredocs] == [("FIRST", "alpha\n"), ("SECOND", "beta\n")]


def test_B31_unterminated_heredoc_is_a_located_error():
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text(read("B31"), "B31.Dockerfile")
    assert "unterminated heredoc" in e.value.message
    assert e.value.line == 2 and e.value.line_text.startswith("RUN echo <<EOF")


def test_B32_heredoc_detection_is_per_instruction():
    df = load("B32")
    assert [i.KIND for i in df.instructions()] == ["FROM", "RUN", "FROM", "COPY"]
    assert body(df)[0].command.text == "echo build"
    assert df.stages[1].name == "final"
    assert body(df, 1)[0].heredocs[0].content == "[app]\n"


def test_B34_copy_heredoc_keeps_quotes_in_body():
    arg, copy = body(load("B34"))
    (doc,) = copy.heredocs
    assert doc.content == "<cfg region=\"$REGION\" note='x'/>\n" and doc.expand
    quoted = parse_text(read("B34").replace("<<EOF", '<<"EOF"'))
    assert body(quoted)[1].heredocs[0].expand is False


def test_B37_mount_options_in_order():
    df = load("B37")
    arg, run = body(df)
    assert [f.name for f in run.flags] == ["mount", "mount"]
    first, second = run.mounts
    assert first.options == (("id", "apt-${DEBIAN_VERSION}"), ("sharing", "locked"),
                             ("target", "/var/cache/apt"), ("type", "cache"))
    assert first.type == "cache" and first.target == "/var/cache/apt"
    assert second.type == "cache" and second.target == "/var/lib/apt"
    assert run.command.text == "apt-get update && apt-get install -y --no-install-recommends curl"


def test_B38_boolean_and_valued_copy_flags():
    (copy,) = body(load("B38"))
    assert copy.flags == (ir.Flag("link"), ir.Flag("chmod", "0755"), ir.Flag("chown", "1000:1000"))
    assert copy.sources == ("run.sh",) and copy.dest == "/usr/local/bin/run.sh"


def test_B40_add_checksum_and_git_fragment():
    checksum, git = body(load("B40"))
    assert checksum.flag_value("checksum") == "sha256:" + "0" * 64
    assert checksum.sources == ("https://example.com/tool.tar.gz",)
    assert git.flags == (ir.Flag("keep-git-dir", "true"),)
    assert git.sources == ("https://example.com/org/repo.git#v1.2.3",) and git.dest == "/src/repo"


def test_B41_heredoc_body_printed_verbatim():
    df = load("B41")
    run, cmd = body(df)
    assert run.heredocs[0].content == '    echo "indented body"\n'
    assert cmd.command == ir.ExecForm(("sh", "-c", "sleep 5"))
    from dopt.printer import format_ir

    assert format_ir(df) == read("B41")


def test_B43_multiline_mounts_not_duplicated():
    df = load("B43")
    (run,) = body(df)
    assert [m.type for m in run.mounts] == ["bind", "ssh"]
    assert print_ir(df).count("--mount") == 2
    from dopt.printer import print_instruction

    edited = print_instruction(run.edit())
    assert edited.count("--mount") == 2
    assert edited.index("type=bind") < edited.index("type=ssh")


def test_B44_every_instruction_owns_its_newline():
    df = load("B44")
    kinds = [i.KIND for i in body(df)]
    assert kinds == ["STOPSIGNAL", "ENV", "SHELL", "MAINTAINER"]
    assert all(i.source.endswith("\n") for i in df.instructions())
    assert body(df)[2].args == ("/bin/ash", "-eo", "pipefail", "-c")
