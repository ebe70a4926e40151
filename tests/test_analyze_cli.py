"""``dopt analyze`` end to end: exit codes, many files in parallel (output in the given order),
formats and -o, quiet/verbose, NO_COLOR, configuration precedence, cold start, and --build on
the real engine (wasted bytes measured, build failure -> 4, no engine -> 3)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dopt.cli import main

ROOT = Path(__file__).resolve().parent.parent
SGR = re.compile(r"\x1b\[[0-9;]*m")
CLEAN = 'FROM alpine:3.19\nUSER app\nCMD ["/bin/app"]\n'
WARN = "FROM alpine:3.19\nUSER app\nRUN apk add curl\n"
BROKEN = "FROM alpine:3.19\nRUN <<EOF\necho never closed\n"


def _cli(*args, env=None, cwd=None):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    for key in ("NO_COLOR", "FORCE_COLOR", "DOPT_FAILURE_THRESHOLD", "DOPT_IGNORE", "DOPT_PIPELINE"):
        if env is None or key not in env:
            full_env.pop(key, None)
    return subprocess.run([sys.executable, "-m", "dopt", "analyze", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, stdin=subprocess.DEVNULL, timeout=600)


@pytest.fixture
def files(tmp_path):
    (tmp_path / ".git").mkdir()  # the config search stops here, not in the checkout above
    out = {}
    for name, text in (("clean", CLEAN), ("warn", WARN), ("broken", BROKEN)):
        p = tmp_path / f"{name}.Dockerfile"
        p.write_text(text)
        out[name] = str(p)
    return out


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for key in ("NO_COLOR", "FORCE_COLOR", "DOPT_FAILURE_THRESHOLD", "DOPT_IGNORE", "DOPT_PIPELINE"):
        monkeypatch.delenv(key, raising=False)


# -- exit codes --------------------------------------------------------------------------------

def test_exit_0_when_clean(files, capsys):
    assert main(["analyze", files["clean"]]) == 0
    assert "0 findings in 1 file" in capsys.readouterr().out


def test_exit_1_at_or_above_the_threshold(files, capsys):
    assert main(["analyze", files["warn"]]) == 1
    assert main(["analyze", files["warn"], "--failure-threshold", "error"]) == 0
    assert main(["analyze", files["warn"], "--failure-threshold", "none"]) == 0
    assert main(["analyze", files["clean"], "--failure-threshold", "style"]) == 0
    assert main(["analyze", files["warn"], "--ignore", "DO202"]) == 0
    assert main(["analyze", files["warn"], "--ignore", "DL3019"]) == 0  # hadolint code of DO202


def test_syntax_error_in_one_file_others_still_analysed(files, capsys):
    code = main(["analyze", files["warn"], files["broken"], files["clean"], "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    doc = json.loads(captured.out)
    assert [f["path"] for f in doc["files"]] == [files["warn"], files["broken"], files["clean"]]
    warn, broken, clean = doc["files"]
    assert [f["rule"] for f in warn["findings"]] == ["DO202"]
    assert broken["error"]["rule"] == "DO400" and broken["error"]["line"] == 2
    assert f"{files['broken']}:2:1: error: unterminated heredoc" in captured.err
    assert "Traceback" not in captured.err


def test_usage_errors_exit_2(files, tmp_path):
    missing = _cli(str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad_flag = _cli(files["clean"], "--failure-threshold", "loud")
    assert bad_flag.returncode == 2
    (tmp_path / ".dopt.toml").write_text('failure-threshold = "loud"\n')
    bad_config = _cli(files["clean"])
    assert bad_config.returncode == 2
    assert f"{tmp_path / '.dopt.toml'}: failure-threshold: expected one of" in bad_config.stderr
    assert "Traceback" not in bad_config.stderr


def test_help_documents_every_exit_code():
    proc = _cli("--help")
    assert proc.returncode == 0
    text = proc.stdout
    assert "exit codes:" in text
    for code in "01234":
        assert re.search(rf"^\s+{code}\s+\S", text, re.M), code
    for flag in ("--build", "--format", "--failure-threshold", "--pulls-per-month", "-q", "-v"):
        assert flag in text


def test_no_engine_for_build_exits_3(files, tmp_path):
    proc = _cli(files["clean"], "--build", env={"DOCKER_HOST": f"unix://{tmp_path}/no.sock"})
    assert proc.returncode == 3 and "no Docker engine" in proc.stderr and "Traceback" not in proc.stderr


# -- parallel, ordered -------------------------------------------------------------------------

def test_many_files_in_parallel_keep_their_order(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    paths = []
    for i in range(8):
        p = tmp_path / f"d{i}.Dockerfile"
        # different lines per file, so a mix-up shows
        p.write_text("FROM alpine:3.19\nUSER app\n" + "RUN true\n" * (i + 1))
        paths.append(str(p))
    assert main(["analyze", *paths, "--format", "json", "--jobs", "4"]) == 0  # DO310 is info
    parallel = json.loads(capsys.readouterr().out)
    assert main(["analyze", *paths, "--format", "json", "--jobs", "1"]) == 0
    serial = json.loads(capsys.readouterr().out)
    assert [f["path"] for f in parallel["files"]] == paths
    assert [len(f["findings"]) for f in parallel["files"]] == list(range(8))
    strip = lambda d: [[{k: v for k, v in x.items()} for x in f["findings"]] for f in d["files"]]
    assert strip(parallel) == strip(serial)


# -- formats, -o, quiet, verbose, colour -------------------------------------------------------

def test_output_file_format_from_extension(files, tmp_path, capsys):
    for name, check in (("r.json", lambda t: json.loads(t)["schema"] == "dopt.analyze/1"),
                        ("r.sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
                        ("r.md", lambda t: t.startswith("<!-- dopt-analyze -->")),
                        ("r.html", lambda t: t.startswith("<!DOCTYPE html>"))):
        out = tmp_path / name
        assert main(["analyze", files["warn"], "-o", str(out)]) == 1
        assert check(out.read_text()), name
        assert capsys.readouterr().out == ""


def test_quiet_and_verbose(files):
    quiet = _cli(files["warn"], "-q")
    assert quiet.returncode == 1
    assert quiet.stdout.splitlines() == [
        f"{files['warn']}:3:5: warning DO202 `apk add curl` keeps the apk index; use `apk add --no-cache` "
        "[fix: cleanup] [~2 MB est.] (DL3019)"]
    verbose = _cli(files["warn"], "-vv")
    assert "    3 | RUN apk add curl" in verbose.stdout and "savings: heuristic" in verbose.stdout
    assert "analysed in" in verbose.stdout and "1 finding (1 warning) in 1 file" in verbose.stdout


def test_colour_respects_no_color(files):
    coloured = _cli(files["warn"], env={"FORCE_COLOR": "1"})
    assert SGR.search(coloured.stdout)
    plain = _cli(files["warn"], env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.returncode == 1 and "DO202" in plain.stdout and not SGR.search(plain.stdout)


def test_secret_masked_on_the_terminal(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_text("FROM alpine:3.19\nENV API_TOKEN=abcdef123456\nUSER app\n")
    proc = _cli(str(p), "-vv")
    assert "abcdef123456" not in proc.stdout + proc.stderr and "API_TOKEN=****" in proc.stdout


# -- configuration through the CLI --------------------------------------------------------------

def test_config_file_env_cli_precedence(files, tmp_path):
    (tmp_path / ".dopt.toml").write_text('failure-threshold = "error"\nignore = ["DO305"]\n')
    assert _cli(files["warn"]).returncode == 0                                    # file: error
    assert _cli(files["warn"], env={"DOPT_FAILURE_THRESHOLD": "warning"}).returncode == 1  # env wins
    assert _cli(files["warn"], "--failure-threshold", "none",
                env={"DOPT_FAILURE_THRESHOLD": "warning"}).returncode == 0       # flag wins
    assert _cli(files["warn"], env={"DOPT_FAILURE_THRESHOLD": "warning", "DOPT_IGNORE": "DO202"}).returncode == 0


# -- cold start --------------------------------------------------------------------------------

def test_cold_start_imports_nothing_heavy(files):
    probe = ("import sys, io, contextlib\nfrom dopt.cli import main\nbuf = io.StringIO()\n"
             "with contextlib.redirect_stdout(buf):\n"
             f"    main(['analyze', {files['warn']!r}, '--format', 'json'])\n"
             "print(sorted(m for m in ('rich', 'docker', 'networkx', 'jinja2', 'zstandard') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stderr


# -- --build on the real engine ----------------------------------------------------------------

def test_build_measures_wasted_bytes(engine, standin_images, tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\n"
                  "RUN head -c 3000000 /dev/urandom > /blob\n"
                  "RUN rm /blob\n"
                  "USER nobody\n")
    code = main(["analyze", str(df), "--build", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    file = doc["files"][0]
    assert file["error"] is None and file["image"]["wasted_bytes"] >= 3000000
    wasted = next(f for f in file["findings"] if f["rule"] == "DO104")
    assert wasted["line"] == 2 and wasted["savings_basis"] == "measured from the built image"
    assert wasted["savings_mb"] == pytest.approx(3000000 / (1 << 20), abs=0.05)  # rounded to 0.1 MB
    assert "/blob" in wasted["message"] and "line 3" in wasted["message"]


def test_failed_build_exits_4_with_static_findings(engine, standin_images, tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\nMAINTAINER me\nRUN exit 3\n")
    code = main(["analyze", str(df), "--build", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 4
    file = json.loads(captured.out)["files"][0]
    assert file["error"]["exit_code"] == 4
    assert "DO308" in [f["rule"] for f in file["findings"]]


# -- ecosystem files ---------------------------------------------------------------------------

def test_pre_commit_hooks_and_action_run_real_commands():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"dopt-analyze", "dopt-fmt"}
    assert hooks["dopt-analyze"]["entry"].startswith("dopt analyze")
    assert "dopt fmt --check" in hooks["dopt-fmt"]["entry"]
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)
    script = "\n".join(s.get("run", "") for s in steps)
    assert "--format sarif" in script and "--format markdown" in script


def test_pre_commit_style_invocation(files):
    proc = _cli("--quiet", files["clean"], files["warn"])
    assert proc.returncode == 1 and proc.stdout.count("\n") == 1
