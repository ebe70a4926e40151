"""`dopt compile`: outputs, dumps, pipeline text, safety of writes, exit codes."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from dopt import parse_text
from dopt.cli import main

SOURCE = """\
# escape=\\
FROM debian:bookworm
RUN apt-get update
RUN apt-get install -y curl
# keep this one apart
# dopt: skip=fuse
RUN echo separate
CMD ["bash"]
"""


@pytest.fixture
def dockerfile(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(SOURCE)
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_the_result_to_stdout_and_leaves_the_input_alone(capsys, dockerfile):
    code, out, _ = run(capsys, "compile", str(dockerfile), "--passes", "fuse,cleanup")
    assert code == 0
    assert "apt-get update && apt-get install -y curl" in out.replace("\\\n    ", "")
    assert "RUN echo separate" in out  # protected by its pragma
    assert dockerfile.read_text() == SOURCE


def test_noop_is_the_identity(capsys, dockerfile):
    code, out, _ = run(capsys, "compile", str(dockerfile), "-O0")
    assert code == 0 and out == SOURCE


def test_output_file_is_written_atomically_and_input_kept(capsys, dockerfile, tmp_path):
    out = tmp_path / "out.Dockerfile"
    code, stdout, _ = run(capsys, "compile", str(dockerfile), "-O1", "-o", str(out))
    assert code == 0 and stdout == ""
    assert out.read_text() != SOURCE and dockerfile.read_text() == SOURCE
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_refuses_to_write_over_the_input_without_in_place(capsys, dockerfile):
    code, _, err = run(capsys, "compile", str(dockerfile), "-O1", "-o", str(dockerfile))
    assert code == 2 and "--in-place" in err
    assert dockerfile.read_text() == SOURCE


def test_in_place_rewrites_the_input(capsys, dockerfile):
    code, _, _ = run(capsys, "compile", str(dockerfile), "-O1", "--in-place")
    assert code == 0 and dockerfile.read_text() != SOURCE
    parse_text(dockerfile.read_text())


def test_check_exits_1_when_it_would_change(capsys, dockerfile):
    code, _, err = run(capsys, "compile", str(dockerfile), "-O1", "--check")
    assert code == 1 and "would change" in err and "fuse" in err
    code, _, _ = run(capsys, "compile", str(dockerfile), "-O0", "--check")
    assert code == 0


def test_diff_is_a_unified_diff(capsys, dockerfile):
    code, out, _ = run(capsys, "compile", str(dockerfile), "-O1", "--diff")
    assert code == 0 and out.startswith("---") and "\n+" in out and "\n-RUN apt-get update\n" in out


def test_print_after_all_gives_valid_dockerfiles_with_banners(capsys, dockerfile):
    code, final, out = run(capsys, "compile", str(dockerfile), "--passes", "fuse,cleanup", "--print-after-all")
    assert code == 0
    assert out.count("# *** dopt: IR dump after pass") == 2
    # the dumps are on stderr; the result is still on stdout
    assert "IR dump" not in final and parse_text(final)
    # the banner goes after the parser directive, so `# escape=` still counts
    first = out.split("# escape=\\\n# *** dopt: IR dump after pass 2")[0]
    df = parse_text(first)
    assert [d.name for d in df.directives] == ["escape"]


def test_print_after_one_pass(capsys, dockerfile):
    code, _, out = run(capsys, "compile", str(dockerfile), "--passes", "fuse,cleanup", "--print-after", "cleanup")
    assert code == 0 and out.count("IR dump after pass") == 1 and "pass 2: cleanup" in out


def test_print_changed_skips_passes_that_changed_nothing(capsys, dockerfile):
    code, _, out = run(capsys, "compile", str(dockerfile), "--passes", "noop,fuse", "--print-changed")
    assert code == 0 and "pass 2: fuse" in out and "noop" not in out
    code, _, out = run(capsys, "compile", str(dockerfile), "--passes", "noop,fuse", "--print-changed=diff")
    assert code == 0 and "+++ after-fuse" in out


def test_dump_dir_writes_one_parsable_file_per_pass(capsys, dockerfile, tmp_path):
    dumps = tmp_path / "dumps"
    code, _, _ = run(capsys, "compile", str(dockerfile), "--passes", "fuse,cleanup", "--dump-dir", str(dumps))
    assert code == 0
    names = sorted(p.name for p in dumps.iterdir())
    assert names == ["00-input.Dockerfile", "01-after-fuse.Dockerfile", "02-after-cleanup.Dockerfile"]
    for p in dumps.iterdir():
        parse_text(p.read_text())


def test_print_pipeline_round_trips(capsys):
    code, out, _ = run(capsys, "compile", "--passes", " fuse , repeat<2>( cleanup<mounts> )", "--print-pipeline")
    assert code == 0 and out.strip() == "fuse,repeat<2>(cleanup<mounts>)"
    code, again, _ = run(capsys, "compile", "--passes", out.strip(), "--print-pipeline")
    assert again == out
    code, o2, _ = run(capsys, "compile", "-O2", "--print-pipeline")
    assert o2.strip() == "reorder,split,lower,fuse,cleanup<no-recommends>"


def test_list_passes_names_every_registered_pass(capsys):
    import passes

    code, out, _ = run(capsys, "compile", "--list-passes")
    assert code == 0
    for module in passes.PASSES:
        assert module.NAME in out and module.DESCRIPTION in out


def test_unknown_pass_fails_with_a_suggestion(capsys, dockerfile):
    code, _, err = run(capsys, "compile", str(dockerfile), "--passes", "fsue")
    assert code == 2 and "did you mean 'fuse'" in err and "Traceback" not in err


@pytest.mark.parametrize("make", ["missing", "directory", "binary", "syntax"])
def test_bad_input_is_one_clear_error(capsys, tmp_path, make):
    path = tmp_path / "Dockerfile"
    if make == "directory":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"FROM a\n\xff\xfe\x00RUN x\n")
    elif make == "syntax":
        path.write_text("FROM a\nRUNN echo\n")
    code, out, err = run(capsys, "compile", str(path), "-O2")
    assert code == 2 and out == "" and "Traceback" not in err
    if make == "syntax":
        assert ":2:" in err and "^" in err and "RUN" in err


def test_verbose_shows_why_passes_declined(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nRUN --mount=type=cache,target=/c x\nRUN y\n")
    code, _, err = run(capsys, "compile", str(path), "--passes", "fuse", "-v")
    assert code == 0 and "declined" not in err and "different flags" in err and "lines 2-3" in err


def test_standard_input(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"FROM a\nRUN x\nRUN y\n")))
    code, out, _ = run(capsys, "compile", "-", "--passes", "fuse")
    assert code == 0 and out == "FROM a\nRUN x && y\n"


def test_dump_graph_writes_dot(capsys, dockerfile, tmp_path):
    dot = tmp_path / "graph.dot"
    code, _, _ = run(capsys, "compile", str(dockerfile), "-O0", "--dump-graph", str(dot))
    assert code == 0 and dot.read_text().startswith(("digraph", "strict digraph"))


def test_context_must_be_a_folder(capsys, dockerfile, tmp_path):
    code, _, err = run(capsys, "compile", str(dockerfile), "-O2", "--context", str(tmp_path / "nope"))
    assert code == 2 and "not a directory" in err


def test_version_and_help(capsys):
    assert run(capsys, "--version")[1].startswith("dopt ")
    code, out, _ = run(capsys)
    assert code == 2 and "compile" in out and "optimize" in out


def test_option_typos_are_errors_with_a_suggestion(capsys, dockerfile):
    code, _, err = run(capsys, "compile", str(dockerfile), "--passes", "cleanup<mount>")
    assert code == 2 and "did you mean 'mounts'" in err
    code, _, err = run(capsys, "compile", "--passes", "noop<x>", "--print-pipeline")
    assert code == 2 and "takes no options" in err


def test_pragma_naming_no_pass_is_warned_about(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\n# dopt: skip=fsue\nRUN x\nRUN y\n")
    code, _, err = run(capsys, "compile", str(path), "--passes", "fuse")
    assert code == 0 and "skip=fsue' names no pass; did you mean 'fuse'" in err


def test_library_settings_typos_are_errors():
    from dopt.errors import UsageError
    from dopt.pipeline import run_pipeline

    with pytest.raises(UsageError, match="did you mean 'context_dir'"):
        run_pipeline(parse_text("FROM a\n"), "noop", settings={"context": "."})
