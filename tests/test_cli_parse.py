"""``dopt parse`` and ``dopt fmt`` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dopt.cli import main

CASES = Path(__file__).parent / "cases"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_json_has_node_kinds(capsys):
    code, out, _ = run(capsys, "parse", str(CASES / "B37.Dockerfile"))
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "Dockerfile"
    run_node = data["stages"][0]["instructions"][1]
    assert run_node["kind"] == "Run" and run_node["instruction"] == "RUN"
    assert [f["value"].split(",")[0] for f in run_node["flags"]] == ["id=apt-${DEBIAN_VERSION}", "type=cache"]


def test_parse_tree(capsys):
    code, out, err = run(capsys, "parse", str(CASES / "B02.Dockerfile"), "--format", "tree")
    assert code == 0
    assert "stage 0" in out and 'RUN shell "echo one     two" (lines 2-4)' in out
    assert "NoEmptyContinuation" in err


def test_parse_buildkit_matches_dockerfile_package(capsys):
    from tests.test_cases_parse import buildkit

    path = CASES / "B29.Dockerfile"
    code, out, _ = run(capsys, "parse", str(path), "--format", "buildkit")
    assert code == 0
    assert json.loads(out) == buildkit(path.read_text())


def test_parse_syntax_error_exit_2_with_caret(capsys, tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM a\nCOPPY x y\n")
    code, out, err = run(capsys, "parse", str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:2:1: error: unknown instruction: COPPY (did you mean COPY?)" in err
    assert "^" in err and "Traceback" not in err


@pytest.mark.parametrize("target", ["missing", "."])
def test_missing_file_or_directory_exit_2(capsys, tmp_path, target):
    for command in ("parse", "fmt"):
        code, _, err = run(capsys, command, str(tmp_path / target))
        assert code == 2 and "error:" in err


def test_fmt_stdout_check_diff_and_in_place(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    original = "from alpine  \nrun   echo hi   \n"
    path.write_text(original)
    code, out, _ = run(capsys, "fmt", str(path))
    assert code == 0 and out == "FROM alpine\nRUN echo hi\n"
    assert path.read_text() == original  # never overwritten without --in-place
    assert run(capsys, "fmt", str(path), "--check")[0] == 1
    code, out, _ = run(capsys, "fmt", str(path), "--diff")
    assert "-run   echo hi" in out and "+RUN echo hi" in out
    code, _, _ = run(capsys, "fmt", str(path), "--in-place")
    assert code == 0 and path.read_text() == "FROM alpine\nRUN echo hi\n"
    assert run(capsys, "fmt", str(path), "--check")[0] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]  # no temp files left


def test_fmt_output_file_and_refuses_input_as_output(capsys, tmp_path):
    src = tmp_path / "Dockerfile"
    src.write_bytes((CASES / "B08.Dockerfile").read_bytes())
    out = tmp_path / "out.Dockerfile"
    assert run(capsys, "fmt", str(src), "-o", str(out))[0] == 0
    assert out.read_bytes() == src.read_bytes()  # already canonical, CRLF kept
    code, _, err = run(capsys, "fmt", str(src), "-o", str(src))
    assert code == 2 and "--in-place" in err


def test_fmt_never_touches_heredoc_bodies(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    text = "FROM a\nrun <<EOF\n    echo   spaced   \nEOF\n"
    path.write_text(text)
    code, out, _ = run(capsys, "fmt", str(path))
    assert out == "FROM a\nRUN <<EOF\n    echo   spaced   \nEOF\n"


def test_parse_subprocess_cold_start_works():
    proc = subprocess.run([sys.executable, "-m", "dopt", "parse", str(CASES / "B01.Dockerfile"), "--format", "tree"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "RUN" in proc.stdout
