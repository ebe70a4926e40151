"""The main job end to end on the real engine: compile, build both, verify, measure, report.

The small ``tests/e2e/tiny`` image keeps these fast; the archetype fixtures and the
specification's acceptance targets are in ``tests/test_acceptance.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dopt.pipeline
import passes
from dopt.errors import VerificationFailed
from dopt.ir import Cmd, ExecForm
from dopt.optimize import OptimizeRequest, optimize

TINY = Path(__file__).parent / "e2e" / "tiny"

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def tiny_result(engine, standin_images, tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "Dockerfile.optimized"
    outcome = optimize(OptimizeRequest(dockerfile=TINY / "Dockerfile", context=TINY / "context", output=out,
                                       pipeline="fuse,cleanup", smoke=[[]]), engine=engine)
    return outcome, out


def test_optimized_image_is_verified_smaller_and_has_fewer_layers(tiny_result):
    outcome, out = tiny_result
    assert outcome.verified
    assert outcome.verification.ok and len(outcome.verification.checks) >= 10
    assert outcome.optimized.size_bytes < outcome.original.size_bytes
    assert outcome.optimized.layers < outcome.original.layers
    smoke = [c for c in outcome.verification.checks if c.kind == "smoke"]
    assert smoke and all(c.ok for c in smoke)


def test_output_has_a_header_and_is_the_compiled_text(tiny_result):
    outcome, out = tiny_result
    text = out.read_text()
    assert text.startswith("# Optimized by dopt")
    assert "Verified on a real engine" in text
    assert text.endswith(outcome.optimized_text)
    assert "rm -rf /var/lib/apt/lists/*" in text


def test_json_document_has_the_schema_and_figures(tiny_result):
    outcome, _ = tiny_result
    doc = json.loads(json.dumps(outcome.to_dict()))
    assert doc["schema"] == "dopt.optimize/1"
    assert doc["verified"] is True
    assert doc["original"]["size_bytes"] > doc["optimized"]["size_bytes"] > 0
    assert doc["size_reduction_percent"] == pytest.approx(outcome.size_reduction_percent, abs=0.1)


def test_html_report_escapes_and_needs_no_network(tiny_result):
    from dopt.report.html import render_optimize_html

    outcome, _ = tiny_result
    page = render_optimize_html(outcome)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "Size reduction" in page and "verified" in page


def _break_cmd(df, ctx):
    """A pass that breaks behaviour: it changes the final CMD."""
    stage = df.stages[-1]
    new = tuple(i.edit(command=ExecForm(("/bin/false",))) if isinstance(i, Cmd) else i for i in stage.instructions)
    ctx.changed("broke the CMD on purpose")
    return df.edit(stages=df.stages[:-1] + (stage.edit(instructions=new),))


@pytest.fixture
def with_breaking_pass(monkeypatch):
    import types

    module = types.SimpleNamespace(NAME="breakcmd", DESCRIPTION="test-only: breaks CMD", run=_break_cmd)
    real = passes.by_name
    monkeypatch.setattr(passes, "by_name", lambda name: module if name == "breakcmd" else real(name))
    monkeypatch.setattr(dopt.pipeline, "_registry_names",
                        lambda: [m.NAME for m in passes.PASSES] + ["breakcmd"])


def test_bisection_finds_and_drops_the_pass_that_broke_the_image(engine, standin_images, tmp_path,
                                                                  with_breaking_pass):
    out = tmp_path / "Dockerfile.optimized"
    outcome = optimize(OptimizeRequest(dockerfile=TINY / "Dockerfile", context=TINY / "context", output=out,
                                       pipeline="fuse,breakcmd,cleanup", smoke=[[]]), engine=engine)
    assert [p for p, _ in outcome.culprits] == ["breakcmd"]
    assert "Cmd" in outcome.culprits[0][1] or "smoke" in outcome.culprits[0][1]
    assert outcome.verified and outcome.pipeline == "fuse,cleanup"
    assert "/bin/false" not in out.read_text()


def test_nothing_is_written_when_no_pass_survives(engine, standin_images, tmp_path, with_breaking_pass):
    out = tmp_path / "Dockerfile.optimized"
    with pytest.raises(VerificationFailed):
        optimize(OptimizeRequest(dockerfile=TINY / "Dockerfile", context=TINY / "context", output=out,
                                 pipeline="breakcmd", smoke=[[]]), engine=engine)
    assert not out.exists()


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "dopt", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=900)


def test_cli_no_verify_writes_a_loud_unverified_header(engine, standin_images, tmp_path):
    out = tmp_path / "Dockerfile.optimized"
    proc = _cli("optimize", str(TINY / "Dockerfile"), "--context", str(TINY / "context"), "-o", str(out),
                "--passes", "fuse,cleanup", "--no-verify", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "UNVERIFIED" in out.read_text() and "UNVERIFIED" in proc.stdout


def test_cli_without_an_engine_says_so_in_one_line(tmp_path):
    proc = _cli("optimize", str(TINY / "Dockerfile"), "-o", str(tmp_path / "out"),
                env={"DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "engine" in proc.stderr.lower()
    assert not (tmp_path / "out").exists()


def test_cli_refuses_to_overwrite_the_input(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text((TINY / "Dockerfile").read_text())
    proc = _cli("optimize", str(df), "-o", str(df), "--context", str(TINY / "context"))
    assert proc.returncode == 2 and "input file" in proc.stderr
    assert df.read_text() == (TINY / "Dockerfile").read_text()
