"""fuse: before/after tables (after == before means must not change), shared cases, a bash oracle."""

from __future__ import annotations

import os
import subprocess
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dopt import parse_text
from dopt.ir import Run
from dopt.pipeline import run_pipeline

CASES = Path(__file__).parent / "cases"


def flat(text: str) -> str:
    """The printer breaks long RUNs after '&&'; compare the joined logical lines."""
    return re.sub(r"[ \t]*\\\n[ \t]*", " ", text)


def fuse(text: str, pipeline: str = "fuse"):
    return run_pipeline(parse_text(text), pipeline, verify_each=True)


TABLE = [
    # plain and-chains fuse bare
    ("FROM a\nRUN x\nRUN y\n", "FROM a\nRUN x && y\n"),
    ("FROM a\nRUN apt-get update\nRUN apt-get install -y curl\n",
     "FROM a\nRUN apt-get update && apt-get install -y curl\n"),
    # comments between RUNs do not block (B47) and travel with the fused RUN
    ("FROM a\nRUN x\n# why y\nRUN y\n", "FROM a\n# why y\nRUN x && y\n"),
    # state changes are isolated (B52)
    ("FROM a\nRUN cd /tmp\nRUN pwd > /where\n", "FROM a\nRUN (cd /tmp) && pwd > /where\n"),
    ("FROM a\nRUN export A=1\nRUN echo $A\n", "FROM a\nRUN (export A=1) && echo $A\n"),
    # errexit is ignored on the left of && (POSIX): a script that turns it on is never fused
    ("FROM a\nRUN set -e; false; true\nRUN echo hi\n", None),
    ("FROM a\nRUN set -eux && make\nRUN echo hi\n", None),
    # under a SHELL with -e, command sequences stay apart, and-chains still fuse
    ('FROM a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN false; echo x\nRUN echo hi\n', None),
    ('FROM a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN a && b\nRUN c || true\n',
     'FROM a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN a && b && { c || true; }\n'),
    # || and ; keep their own exit status (B53)
    ("FROM a\nRUN curl x\nRUN tool --init || true\nRUN tar xf y\n",
     "FROM a\nRUN curl x && { tool --init || true; } && tar xf y\n"),
    ("FROM a\nRUN false; true\nRUN echo\n", "FROM a\nRUN { false; true; } && echo\n"),
    # must not change
    ("FROM a\nRUN x\nENV A=1\nRUN y\n", None),
    ("FROM a\nRUN --mount=type=cache,target=/root/.cache x\nRUN y\n", None),
    ('FROM a\nRUN ["echo", "a"]\nRUN y\n', None),
    ("FROM a\nRUN sleep 10 &\nRUN y\n", None),
    ("FROM a\nRUN x\n# dopt: skip=fuse\nRUN y\n", None),
    ("FROM a\nRUN x\nFROM b\nRUN y\n", None),
    # ENV and LABEL
    ("FROM a\nENV A=1\nENV B=2\n", "FROM a\nENV A=1 B=2\n"),
    ("FROM a\nENV A=1\nENV B=$A\n", None),
    ("FROM a\nENV PATH=/x:$PATH\nENV PATH=/y:$PATH\n", None),
    ("FROM a\nLABEL a=1\nLABEL b=2\n", "FROM a\nLABEL a=1 b=2\n"),
]


@pytest.mark.parametrize("before, after", TABLE)
def test_fuse_table(before, after):
    result = fuse(before)
    assert flat(result.text) == (before if after is None else after)


def test_declines_say_why_with_a_span():
    result = fuse("FROM a\nRUN --mount=type=cache,target=/c x\nRUN y\n")
    (d,) = result.declined
    assert "different flags" in d.message and d.span.start_line == 2 and d.span.end_line == 3


def test_b50_non_posix_shell_is_left_alone():
    text = (CASES / "B50.Dockerfile").read_text()
    result = fuse(text)
    assert result.text == text
    assert any("not a POSIX shell" in d.message for d in result.declined)


def test_b46_hadolint_pragmas_stay_directly_above_the_merged_run():
    text = (CASES / "B46.Dockerfile").read_text()
    out = fuse(text).text
    lines = out.splitlines()
    for n, line in enumerate(lines):
        if "hadolint ignore" in line:
            assert lines[n + 1].startswith("RUN"), out


def test_b47_comment_between_runs_does_not_block():
    text = (CASES / "B47.Dockerfile").read_text()
    df = fuse(text).dockerfile
    runs = [i for i in df.instructions() if isinstance(i, Run)]
    assert len(runs) < sum(1 for line in text.splitlines() if line.startswith("RUN"))


def test_b52_and_b53_shared_cases_fuse_safely():
    for case in ("B52", "B53"):
        text = (CASES / f"{case}.Dockerfile").read_text()
        result = fuse(text)
        runs = [i for i in result.dockerfile.instructions() if isinstance(i, Run)]
        assert len(runs) == 1, result.text
        assert oracle_equal([r.command.text for r in parse_text(text).instructions() if isinstance(r, Run)],
                            runs[0].command.text)


def test_fuse_is_idempotent():
    for before, _ in TABLE:
        once = fuse(before).text
        assert fuse(once).text == once


# -- the semantic oracle: run the original RUN sequence and the fused RUN in bash ------------------


def _run_sequence(scripts: list[str], root: Path) -> tuple[int | None, dict]:
    """Run each script in a fresh `sh -c` (as separate RUNs do), stop at the first failure."""
    status = 0
    for script in scripts:
        proc = subprocess.run(["sh", "-c", script], cwd=root, capture_output=True, text=True, timeout=20,
                              env={"PATH": os.environ["PATH"], "HOME": str(root), "ROOT": str(root)})
        status = proc.returncode
        if status != 0:
            break
    # the two runs use different folders: name the folder the same in both
    files = {str(p.relative_to(root)): p.read_text().replace(str(root), "<ROOT>")
             for p in sorted(root.rglob("*")) if p.is_file()}
    return (0 if status == 0 else 1), files


def oracle_equal(originals: list[str], fused: str, tmp: Path | None = None) -> bool:
    import tempfile

    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        ra = _run_sequence(originals, Path(a))
        rb = _run_sequence([fused], Path(b))
        return ra == rb


# Commands that touch only $ROOT, fail or succeed, and change shell state.
COMMANDS = [
    "echo one >> $ROOT/log", "echo two >> $ROOT/log", "false", "true",
    "mkdir -p $ROOT/d && cd $ROOT/d", "pwd > $ROOT/where", "export V=1", "echo ${V:-unset} >> $ROOT/log",
    "false || echo rescued >> $ROOT/log", "true || echo never >> $ROOT/log", "set -e; false; echo after >> $ROOT/log",
    "umask 077; touch $ROOT/masked", "exit 0", "exit 3", "test -f $ROOT/log && echo seen >> $ROOT/log",
    "echo a; false", "cd /; false; true", "{ echo g >> $ROOT/log; }", "(cd / && pwd >> $ROOT/log)",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(COMMANDS), min_size=2, max_size=4))
def test_fused_run_behaves_like_the_sequence(scripts):
    text = "FROM a\n" + "".join(f"RUN {s}\n" for s in scripts)
    result = fuse(text)
    runs = [i for i in result.dockerfile.instructions() if isinstance(i, Run)]
    if len(runs) == 1:
        assert oracle_equal(scripts, runs[0].command.text), result.text
    else:
        # whatever was not fused must have been declined with a reason
        assert result.declined or len(runs) == len(scripts)
