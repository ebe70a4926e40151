"""Golden folders of the hygiene passes (fuse, cleanup), and Hypothesis properties of `fuse,cleanup`.

Each ``tests/golden/<pass>-<behaviour>/`` holds ``input.Dockerfile`` and the
``expected.Dockerfile`` of that one pass (the folder name's prefix).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dopt import parse_text, print_ir
from dopt.pipeline import run_pipeline

GOLDEN = Path(__file__).parent / "golden"
FOLDERS = sorted(p for p in GOLDEN.iterdir() if p.name.split("-")[0] in ("fuse", "cleanup"))


def test_there_are_golden_folders_for_both_passes():
    assert {p.name.split("-")[0] for p in FOLDERS} == {"fuse", "cleanup"}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_golden(folder):
    pass_name = folder.name.split("-")[0]
    source = (folder / "input.Dockerfile").read_text()
    result = run_pipeline(parse_text(source), pass_name, verify_each=True)
    assert result.text == (folder / "expected.Dockerfile").read_text()
    # a second run changes nothing
    assert run_pipeline(parse_text(result.text), pass_name).text == result.text


COMMENT = st.sampled_from(["# a note\n", "# hadolint ignore=DL3008\n", "\n", "# dopt: skip=fuse\n"])
RUN = st.sampled_from([
    "RUN apt-get update\n", "RUN apt-get install -y curl\n", "RUN pip install flask\n",
    "RUN cd /tmp && make\n", "RUN export A=1\n", "RUN false || true\n", "RUN npm ci\n",
    "RUN apk add jq\n", "RUN set -e; make\n", "RUN --mount=type=cache,target=/root/.cache/pip pip install x\n",
    "RUN echo 'a && b'\n", 'RUN ["echo", "exec"]\n', "RUN rm -rf /tmp/x\n",
])
ENV = st.sampled_from(["ENV A=1\n", "ENV B=$A\n", "ENV PATH=/x:$PATH\n", "ENV GREETING hello brave world\n",
                       'ENV Q="a b"\n'])
LABEL = st.sampled_from(["LABEL a=1\n", 'LABEL "b c"="d e"\n', "LABEL version=2\n"])
LINE = st.one_of(RUN, ENV, LABEL, st.tuples(COMMENT, RUN).map("".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=8))
def test_fuse_cleanup_keeps_the_ir_sound_and_is_idempotent(lines):
    text = "FROM debian:bookworm\n" + "".join(lines)
    once = run_pipeline(parse_text(text), "fuse,cleanup", verify_each=True)
    # the output parses, prints back byte for byte, and is a fixed point
    again = parse_text(once.text)
    assert print_ir(again) == once.text
    # cleanup can make new neighbours for fuse (a removal moved out from between two ENVs),
    # so the pipeline reaches its fixed point within a few rounds, and stays there
    fixed = run_pipeline(again, "repeat<3>(fuse,cleanup)").text
    assert run_pipeline(parse_text(fixed), "fuse,cleanup").text == fixed
    # no layer appears from nowhere, and every comment survives
    before = sum(1 for i in parse_text(text).instructions() if i.KIND == "RUN")
    after = sum(1 for i in again.instructions() if i.KIND == "RUN")
    assert after <= before
    for line in lines:
        comment = line.split("\n")[0]
        if comment.startswith("# ") and "hadolint" not in comment:
            assert comment in once.text
