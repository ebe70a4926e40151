"""``dopt cache``: cache analysis over recorded BuildKit events, the context scan, and real builds.

Recorded builds are in ``tests/data/cache/`` (``record.py`` there re-records them) and
``tests/data/buildkit/``; the engine tests build the archetype fixtures twice around a
one-line source change. ``nodejs_api`` runs by default, the others are ``slow``.
"""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dopt.cache as cache
from dopt.cache import (
    Step, analyze_events, apply_change, choose_change, classify_miss, find_breakers, ignored_copies,
    recommend_dockerignore,
)
from dopt.dockerignore import PatternMatcher
from dopt.engine.events import parse_buildkit
from dopt.errors import UsageError
from dopt.frontend import parse_text

try:
    from fixtures import load_fixture
except ImportError:  # pragma: no cover - depends on how pytest was started
    from tests.fixtures import load_fixture

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
RECORDED = DATA / "cache"


def _df(path: Path):
    return parse_text(path.read_text(), path=str(path))


def _recorded(case: str):
    meta = json.loads((RECORDED / f"{case}.json").read_text())
    dockerfile = ROOT / meta["dockerfile"]
    first = parse_buildkit((RECORDED / f"{case}-first.txt").read_text())
    second = parse_buildkit((RECORDED / f"{case}-second.txt").read_text())
    report = analyze_events(_df(dockerfile), first, second, changed_file=meta["changed_file"],
                            changed_args=meta["changed_args"], context=ROOT / meta["context"],
                            dockerfile=str(dockerfile))
    return report, meta


def _step(report, text: str) -> Step:
    return next(s for s in report.steps if s.instruction.startswith(text))


def test_module_examples_run():
    failed, attempted = doctest.testmod(cache, optionflags=doctest.ELLIPSIS)
    assert attempted >= 12 and failed == 0


# --------------------------------------------------------------------------
# Recorded events: the miss-cause logic


def test_original_node_build_reinstalls_dependencies_after_a_source_edit():
    report, meta = _recorded("nodejs_api-original")
    assert meta["changed_file"].startswith("src/")
    # ten steps: BuildKit pads the step numbers ("[ 8/10]"), which must still map to lines
    assert all(s.line is not None for s in report.steps)
    install = _step(report, "RUN npm install")
    assert install.dependency_install and not install.cached and install.duration_s > 1.0
    assert report.first_miss.instruction == "COPY . ." and report.first_miss.line == 16
    assert report.cause.code == "context-copy-before-deps"
    assert "line 18" in report.cause.message and "reorder" in report.cause.recommendation
    # the saving is exactly the reinstall: npm run build would rebuild anyway
    assert report.estimated_saved_s == pytest.approx(install.duration_s)
    for apt in ("RUN apt-get update", "RUN apt-get install -y python3"):
        assert _step(report, apt).cached
    assert round(report.hit_rate, 1) == meta["live"]["hit_rate"]


def test_expected_node_build_keeps_dependencies_cached():
    report, meta = _recorded("nodejs_api-expected")
    ci = _step(report, "RUN npm ci")
    assert ci.dependency_install and ci.cached
    assert report.first_miss.instruction == "COPY . ."
    assert report.cause.code == "changed-file"
    assert report.estimated_saved_s == 0.0
    original, _ = _recorded("nodejs_api-original")
    assert report.hit_rate > original.hit_rate
    assert not [b for b in report.breakers if b.code == "context-copy-before-deps"]


def test_a_volatile_build_arg_is_named_as_the_cause():
    report, meta = _recorded("volatile")
    assert meta["changed_args"] == {"GIT_COMMIT": "changed"}
    assert report.first_miss.kind == "RUN" and report.first_miss.line == 6
    assert report.cause.code == "volatile-build-arg"
    assert report.cause.line == 5 and "GIT_COMMIT" in report.cause.message
    assert [b.code for b in report.breakers] == ["volatile-build-arg"]
    # the COPY of the edited file is after the busted RUN: rebuilt, but not the first miss
    assert not _step(report, "COPY src/").cached


def test_all_cached_rebuild_has_no_first_miss():
    df = _df(DATA / "buildkit" / "small" / "Dockerfile")
    cold = parse_buildkit((DATA / "buildkit" / "buildkit-small-cold.txt").read_text())
    warm = parse_buildkit((DATA / "buildkit" / "buildkit-small-warm.txt").read_text())
    report = analyze_events(df, cold, warm)
    assert [s.line for s in report.steps] == [1, 2, 3, 4]
    assert report.first_miss is None and report.cause is None and report.hit_rate == 100.0
    # cold timings come from the first build: `sleep 1` took over a second there
    assert _step(report, "RUN echo building").cold_duration_s >= 1.0
    assert report.to_dict()["first_miss"] is None


def test_stages_are_matched_by_buildkit_names():
    df = _df(DATA / "buildkit" / "multistage" / "Dockerfile")
    cold = parse_buildkit((DATA / "buildkit" / "buildkit-multistage-cold.txt").read_text())
    report = analyze_events(df, cold, cold)
    # both FROMs name one image: BuildKit shows that vertex once, as the builder's
    assert [(s.stage, s.kind, s.line) for s in report.steps] == [
        ("builder", "FROM", 1), ("builder", "RUN", 2), ("stage-1", "COPY", 4)]
    assert report.first_miss.line == 2 and report.cause.code == "upstream"
    miss = classify_miss(df, report.steps[2])
    assert miss.code == "upstream-stage" and "builder" in miss.message


def test_causes_of_single_steps():
    df = parse_text("FROM debian\nRUN apt-get update\nADD https://example.com/x.tgz /x.tgz\n"
                    "RUN apt-get install -y curl\n")
    update, add, _install = df.stages[0].instructions
    assert classify_miss(df, Step(1, None, "RUN apt-get update", "RUN", 2, False, 3.0, node=update)).code == \
        "apt-update-alone"
    cause = classify_miss(df, Step(2, None, "ADD ...", "ADD", 3, False, 1.0, node=add))
    assert cause.code == "add-url" and "example.com" in cause.message and "checksum" in cause.recommendation
    assert classify_miss(df, Step(3, None, "?", "RUN", None, False, 1.0)).code == "unmapped"


def test_static_breakers_of_the_fixtures():
    codes = lambda name, which: {b.code for b in find_breakers(_df(load_fixture(name).root / which))}  # noqa: E731
    assert {"apt-update-alone", "context-copy-before-deps"} <= codes("python_ml", "Dockerfile")
    assert "context-copy-before-deps" not in codes("python_ml", "expected.Dockerfile")
    assert "apt-update-alone" not in codes("python_ml", "expected.Dockerfile")
    df = parse_text("FROM x\nARG BUILD_DATE\nRUN echo $(date +%s) > /stamp\nRUN git rev-parse HEAD > /rev\n")
    assert [b.code for b in find_breakers(df)] == ["volatile-build-arg", "volatile-value", "volatile-value"]


# --------------------------------------------------------------------------
# The context: .dockerignore advice, ignored copies, the file to edit


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def test_dockerignore_advice_uses_dockers_pattern_semantics(tmp_path):
    ctx = _tree(tmp_path, {
        ".git/HEAD": "ref\n", "node_modules/x/index.js": "x" * 100, "web/node_modules/y/i.js": "y",
        "app/__pycache__/m.cpython-311.pyc": "0", "app/main.py": "print(1)\n", ".env": "TOKEN=1\n",
        ".env.example": "TOKEN=\n", "certs/server.key": "k", "build/out.o": "o", ".venv/pyvenv.cfg": "home=/x\n",
        "notes.log": "log\n",
    })
    df = parse_text("FROM x\nCOPY build/ /build/\nCOPY . /app\n")
    advice = {a.pattern: a for a in recommend_dockerignore(ctx, df)}
    assert set(advice) == {".git", "**/node_modules", ".venv", "**/__pycache__", "*.log", ".env", "**/*.key"}
    assert "build" not in advice, "the Dockerfile copies build/ by name"
    assert advice["**/node_modules"].files == 2 and advice["**/node_modules"].bytes == 101
    matcher = PatternMatcher(list(advice))
    for excluded in (".git/HEAD", "web/node_modules/y/i.js", "app/__pycache__/m.cpython-311.pyc", ".env",
                     "certs/server.key"):
        assert matcher.matches(excluded), excluded
    for kept in ("app/main.py", ".env.example", "build/out.o"):
        assert not matcher.matches(kept), kept
    # what the ignore file already excludes is not advised again
    (ctx / ".dockerignore").write_text("node_modules\n**/node_modules\n.git\n")
    again = {a.pattern for a in recommend_dockerignore(ctx, df)}
    assert "**/node_modules" not in again and ".git" not in again and ".env" in again


def test_copies_the_ignore_file_excludes_are_warned(tmp_path):
    ctx = _tree(tmp_path, {"requirements.txt": "flask\n", "app.py": "x\n", "docs/a.txt": "d\n"})
    df = parse_text("FROM x\nCOPY requirements.txt ./\nCOPY docs/*.txt /docs/\nCOPY . .\n")
    assert ignored_copies(df, ctx) == []  # no ignore file
    (ctx / ".dockerignore").write_text("*.txt\n**/*.txt\n")
    warnings = ignored_copies(df, ctx)
    assert len(warnings) == 2
    assert warnings[0].startswith("line 2: COPY requirements.txt: .dockerignore excludes it (pattern *.txt")
    assert "docs/a.txt" in warnings[1]
    (ctx / ".dockerignore").write_text("*.txt\n!requirements.txt\n")  # an exception re-includes it
    assert ignored_copies(df, ctx) == []
    report = analyze_events(df, [], [], context=ctx)
    assert report.warnings == [] and report.ignore_file.endswith(".dockerignore")


def test_the_edited_file_is_a_copied_source_never_a_manifest(tmp_path):
    ctx = _tree(tmp_path, {"package.json": "{}", "package-lock.json": "{}", "src/app.js": "x\n", "README.md": "r\n",
                           "test/a.py": "t\n"})
    assert choose_change(parse_text("FROM x\nCOPY package*.json ./\nRUN npm ci\nCOPY src ./src\n"), ctx) == \
        "src/app.js"
    assert choose_change(parse_text("FROM x\nCOPY . .\n"), ctx) == "test/a.py"
    (ctx / ".dockerignore").write_text("test\n")
    assert choose_change(parse_text("FROM x\nCOPY . .\n"), ctx) == "src/app.js"
    with pytest.raises(UsageError, match="--change FILE"):
        choose_change(parse_text("FROM x\nCOPY package.json ./\n"), ctx)


def test_the_edit_never_touches_the_users_file(tmp_path):
    original = tmp_path / "main.go"
    original.write_text("package main\n")
    copy = tmp_path / "copy.go"
    os.link(original, copy)  # what the temporary context holds
    line = apply_change(copy, "ab12")
    assert line == "// dopt cache probe: a one-line source change ab12"
    assert original.read_text() == "package main\n"
    assert copy.read_text() == "package main\n" + line + "\n"


def test_text_and_json_rendering():
    report, _ = _recorded("nodejs_api-original")
    text = cache.render_text(report)
    assert "REBUILT  RUN npm install" in text and "First miss:       line 16: COPY . ." in text
    assert "Time saved with dependency-first order" in text
    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["schema"] == "dopt.cache/1"
    assert doc["cause"]["code"] == "context-copy-before-deps"
    assert doc["first_miss"]["line"] == 16 and len(doc["steps"]) == len(report.steps)


# --------------------------------------------------------------------------
# CLI without an engine


def _dopt(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dopt", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_no_engine_is_exit_3_with_one_line():
    proc = _dopt("cache", "tests/data/cache/volatile/Dockerfile", "--context", "tests/data/cache/volatile",
                 env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert proc.returncode == 3, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "no Docker engine answers" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_change_argument_is_a_usage_error():
    proc = _dopt("cache", "tests/data/cache/volatile/Dockerfile", "--context", "tests/data/cache/volatile",
                 "--change", "no/such/file.py")
    assert proc.returncode == 2 and "no such file in the build context" in proc.stderr


# --------------------------------------------------------------------------
# Real builds: a source edit rebuilds the original's dependency install, not the reference's


CASES = {  # fixture: (the dependency install of the original, that of the reference)
    "nodejs_api": ("RUN npm install", "RUN npm ci"),
    "python_ml": ("RUN pip install --no-binary PyYAML", "RUN pip install --no-cache-dir --upgrade wheel"),
    "python_torch": ("RUN pip install -r requirements.txt", "RUN pip install --no-cache-dir -r requirements.txt"),
    "java_service": (None, None),
    "go_service": (None, None),
}


def _params():
    return [pytest.param(n, marks=[] if n == "nodejs_api" else [pytest.mark.slow]) for n in CASES]


@pytest.mark.parametrize("name", _params())
def test_source_edit_rebuilds_dependencies_only_in_the_original(name, engine, standin_images, tmp_path):
    fx = load_fixture(name)
    if fx.unavailable_reason():
        pytest.skip(fx.unavailable_reason())
    context = fx.prepare_context(tmp_path)
    original_install, expected_install = CASES[name]
    # The first build may come from the cache (the fixture tests built these images);
    # the second one, after the edit, is what is measured.
    original = cache.measure(fx.dockerfile, context, engine=engine, cold=False)
    expected = cache.measure(fx.expected_dockerfile, context, engine=engine, cold=False)
    print(f"\n{name}: original {original.hit_rate:.0f}% cached, first miss line {original.first_miss.line} "
          f"({original.cause.code}), {original.estimated_saved_s:.1f}s to save; reference {expected.hit_rate:.0f}%")
    assert original.changed_file == expected.changed_file
    assert not cache._is_manifest(original.changed_file, set())
    for which, report in (("original", original), ("expected", expected)):
        unmapped = [s for s in report.steps if s.line is None]
        if unmapped:
            (tmp_path / f"{which}-second.txt").write_text(report.logs[1])
        assert not unmapped, f"{which}: steps not mapped to lines: {unmapped} (log in {tmp_path})"
        assert all(s.cached for s in report.steps if s.kind == "RUN" and "apt-get" in s.instruction)
    if original_install is None:  # nothing is installed after the sources arrive
        assert original.cause.code == "changed-file" and original.estimated_saved_s == 0.0
        return
    step = _step(original, original_install)
    assert step.dependency_install and not step.cached
    assert original.cause.code == "context-copy-before-deps"
    assert original.estimated_saved_s >= step.duration_s > 0
    assert _step(expected, expected_install).cached
    assert expected.cause.code in ("changed-file", "upstream-stage")
    assert expected.estimated_saved_s == 0.0
    assert expected.hit_rate > original.hit_rate


def test_cli_writes_the_json_document(engine, standin_images, tmp_path):
    from dopt.cli import main

    out = tmp_path / "cache.json"
    rc = main(["cache", "tests/data/cache/volatile/Dockerfile", "--context", "tests/data/cache/volatile",
               "--warm-start", "-q", "--json", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == "dopt.cache/1" and doc["changed_file"] == "src/main.sh"
    assert doc["simulated_build_args"] == ["GIT_COMMIT"]
    assert doc["cause"]["code"] == "volatile-build-arg" and doc["cause"]["line"] == 5
    assert [s["cached"] for s in doc["steps"] if s["kind"] != "FROM"] == [True, True, False, False, False]
