"""``dopt inspect``: terminal, JSON, HTML, dive-style CI rules and errors, end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import layer_images as li
except ImportError:  # pragma: no cover
    from tests import layer_images as li

from dopt.cli import main

ROOT = Path(__file__).resolve().parent.parent
SGR_COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m|\x1b\[[0-9;]*38;")


def _run_cli(*args, env=None, cwd=None):
    """``python -m dopt`` in a subprocess, importing this checkout (not an installed copy)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "dopt", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A docker-archive with a chmod rewrite (1 MB wasted), a deleted dir, a script-like file name."""
    tmp = tmp_path_factory.mktemp("cli")
    layers = [
        li.layer_tar([("bin", None), ("bin/app", b"A" * 1_000_000)]),
        li.layer_tar([("bin/app", b"A" * 1_000_000, 0o755)]),
        li.layer_tar([("tmp", None), ("tmp/<script>alert(1)</script>", b"x" * 50)]),
    ]
    return li.write_docker_archive(tmp / "img.tar", layers, [
        "COPY app /bin/app # buildkit", "RUN /bin/sh -c chmod 755 /bin/app # buildkit",
        "RUN /bin/sh -c make # buildkit"])


def test_json_document(archive, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["inspect", str(archive), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == "dopt.inspect/1"
    s = doc["summary"]
    assert (s["total_bytes"], s["final_bytes"], s["wasted_bytes"]) == (2_000_050, 1_000_050, 1_000_000)
    assert s["efficiency"] == pytest.approx(1_000_050 / 2_000_050, abs=1e-12)
    assert [l["kind"] for l in doc["layers"]] == ["COPY", "RUN", "RUN"]
    (wasted,) = doc["wasted"]
    assert wasted["path"] == "/bin/app" and wasted["hint"] == "COPY then chmod: use `COPY --chmod`"
    assert doc["removable"][0]["category"] == "temporary files"
    printed = capsys.readouterr().out
    assert "COPY then chmod" in printed and "Layers" in printed


def test_json_to_stdout_is_only_json(archive, capsys):
    assert main(["inspect", str(archive), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["layers"] == 3


def test_html_report_escapes_image_content(archive, tmp_path, capsys):
    page = tmp_path / "layer_report.html"
    assert main(["inspect", str(archive), "-o", str(page)]) == 0
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "Wasted space" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_ci_defaults_fail_and_flags_override(archive, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .dive-ci
    assert main(["inspect", str(archive), "--ci", "--json", "-"]) == 1  # efficiency 0.5 < 0.9
    doc = json.loads(capsys.readouterr().out)
    assert doc["ci"]["passed"] is False
    status = {r["name"]: r["status"] for r in doc["ci"]["rules"]}
    assert status == {"lowestEfficiency": "fail", "highestWastedBytes": "pass", "highestUserWastedPercent": "fail"}
    assert main(["inspect", str(archive), "--ci", "--lowest-efficiency", "0.4",
                 "--highest-user-wasted-percent", "disabled", "--highest-wasted-bytes", "1MB"]) == 0
    assert main(["inspect", str(archive), "--ci", "--lowest-efficiency", "0.4",
                 "--highest-user-wasted-percent", "disabled", "--highest-wasted-bytes", "999999"]) == 1


def test_dive_ci_file_is_read_from_cwd_and_flag(archive, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".dive-ci").write_text(
        "# dive rules\nrules:\n  lowestEfficiency: 0.45   # lenient\n  highestWastedBytes: \"2MB\"\n"
        "  highestUserWastedPercent: disabled\n")
    assert main(["inspect", str(archive), "--ci"]) == 0
    strict = tmp_path / "strict.yaml"
    strict.write_text("rules:\n  lowestEfficiency: 0.99\n")
    assert main(["inspect", str(archive), "--ci", "--ci-config", str(strict)]) == 1
    (tmp_path / "bad.yaml").write_text("rules:\n  lowestEfficiency: lots\n")
    assert main(["inspect", str(archive), "--ci", "--ci-config", str(tmp_path / "bad.yaml")]) == 2
    assert "not a ratio" in capsys.readouterr().err


def test_errors_are_one_line_without_traceback(tmp_path):
    missing = _run_cli("inspect", str(tmp_path / "nope.tar"))
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [f"error: no such file or directory: {tmp_path / 'nope.tar'}"]
    (tmp_path / "x.txt").write_text("not an image\n" * 100)
    bad = _run_cli("inspect", str(tmp_path / "x.txt"))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    no_engine = _run_cli("inspect", "some/image:tag", env={"DOCKER_HOST": f"unix://{tmp_path}/no.sock"})
    assert no_engine.returncode == 3 and no_engine.stderr.startswith("error: no Docker engine answers")
    usage = _run_cli("inspect", str(tmp_path / "x.txt"), "--ci", "--highest-wasted-bytes", "lots")
    assert usage.returncode == 2 and "not a byte size" in usage.stderr


def test_no_color_and_lazy_imports(archive):
    coloured = _run_cli("inspect", str(archive), "--ci", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert SGR_COLOUR.search(coloured.stdout)  # FAIL is red
    plain = _run_cli("inspect", str(archive), "--ci", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.returncode == 1 and "FAIL" in plain.stdout and not SGR_COLOUR.search(plain.stdout)
    probe = ("import sys, dopt.cli, dopt.commands.inspect, dopt.images;"
             "print(sorted(m for m in ('rich', 'docker', 'zstandard', 'lark', 'bashlex') if m in sys.modules))")
    cold = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert cold.stdout.strip() == "[]", cold.stderr


def test_dockerfile_mapping_on_a_real_build(engine, tmp_path, capsys):
    try:
        li.fs_tool()
    except RuntimeError as e:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(e), pytrace=False)
        pytest.skip(str(e))
    dockerfile = ("FROM scratch\nCOPY fs /fs\nENV A=1\n"
                  'RUN ["/fs", "write", "/blob", "52428800", "0"]\n'
                  'RUN ["/fs", "chmod", "600", "/blob"]\n')
    saved = li.build_and_save(engine.client, "b71", dockerfile.replace("ENV A=1\n", ""))
    (tmp_path / "Dockerfile").write_text(dockerfile)
    out = tmp_path / "r.json"
    assert main(["inspect", "dopt-test/inspect:b71", "--dockerfile", str(tmp_path / "Dockerfile"),
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["image"]["source"] == "engine"
    assert [l["dockerfile_line"] for l in doc["layers"]] == [2, 4, 5]
    assert doc["summary"]["wasted_bytes"] == 52428800
    assert doc["summary"]["base_layers"] == 0 and doc["summary"]["base_source"] == "dockerfile"
    # the same figures from the saved archive
    assert main(["inspect", str(saved), "--json", str(tmp_path / "f.json")]) == 0
    assert json.loads((tmp_path / "f.json").read_text())["summary"]["wasted_bytes"] == 52428800
