"""The engine layer against the real Docker engine: build, events, run, inspect, save.

Each available backend builds the same small image on the stand-in
``debian:bookworm-slim`` cold (``--no-cache``) and then warm.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from dopt.engine.build import Backend, available_backends, build, detect_builder, require_heredocs, \
    supports_heredocs
from dopt.engine.client import Engine, ImageNotFound, RunTimeout, connect
from dopt.errors import BuildFailed, EngineUnavailable

DATA = Path(__file__).parent / "data" / "buildkit"
BASE = "debian:bookworm-slim"
NOWHERE = "unix:///nonexistent/dopt-test.sock"


def _backend(kind: str) -> Backend:
    found = [b for b in available_backends() if b.kind == kind]
    if not found:
        pytest.skip(f"no {kind} backend on this machine (have: "
                    f"{', '.join(b.describe() for b in available_backends())})")
    return found[0]


@pytest.fixture(scope="module", params=["buildx", "buildkit", "classic"])
def small_builds(request, engine, standin_images):
    """(backend, cold result, warm result, events seen through on_event) per backend."""
    backend = _backend(request.param)
    tag = f"dopt-test/engine-small:{backend.kind}"
    seen = []
    cold = build(DATA / "small" / "Dockerfile", DATA / "small", tag, no_cache=True, backend=backend,
                 engine=engine, on_event=seen.append)
    warm = build(DATA / "small" / "Dockerfile", DATA / "small", tag, backend=backend, engine=engine)
    yield backend, cold, warm, seen
    engine.remove(tag, force=True)


def _work_steps(result):
    """RUN and COPY steps: the ones a cache can hit (FROM is resolved, not run)."""
    return [e for e in result.steps if e.instruction.split()[0] in {"RUN", "COPY"}]


# ------------------------------------------------------------ no engine

def test_connect_names_the_host_and_the_fix_when_nothing_answers(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    with pytest.raises(EngineUnavailable) as info:
        connect(timeout=5)
    message = str(info.value)
    assert message == f"no Docker engine answers at {NOWHERE}: start dockerd or set DOCKER_HOST"
    assert "\n" not in message and info.value.exit_code == 3


def test_connect_fails_fast_on_a_tcp_port_with_no_engine(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    t0 = time.monotonic()
    with pytest.raises(EngineUnavailable, match=r"no Docker engine answers at tcp://127\.0\.0\.1:9"):
        connect(timeout=5)
    assert time.monotonic() - t0 < 10


def test_importing_the_engine_package_does_not_import_docker():
    code = "import sys, dopt.engine, dopt.engine.events, dopt.engine.build; print('docker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_build_without_an_engine_is_engine_unavailable(monkeypatch, tmp_path):
    backend = next((b for b in available_backends() if b.kind != "classic"), None)
    if backend is None:
        pytest.skip("no BuildKit-capable docker CLI on this machine")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    with pytest.raises(EngineUnavailable, match="no Docker engine answers"):
        build(tmp_path / "Dockerfile", tmp_path, backend=backend)


def test_classic_build_without_an_engine_is_engine_unavailable(monkeypatch, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    with pytest.raises(EngineUnavailable, match="no Docker engine answers"):
        build(tmp_path / "Dockerfile", tmp_path, backend=Backend("classic"))


# ------------------------------------------------------------ detection

def test_detection_offers_classic_last_and_prefers_buildkit(engine):
    backends = available_backends()
    assert backends[-1] == Backend("classic")
    assert detect_builder() == backends[0]
    if os.environ.get("CI", "").lower() == "true":
        # CI installs Debian's docker.io, whose /usr/bin/docker runs BuildKit.
        assert backends[0].uses_buildkit, backends


def test_asking_for_an_unknown_buildx_builder_is_a_clear_error():
    with pytest.raises(EngineUnavailable, match="--builder dopt-no-such-builder needs docker buildx"):
        detect_builder("dopt-no-such-builder")


def test_heredoc_support_matches_what_the_engine_really_does(engine, standin_images, tmp_path):
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE}\nRUN <<EOF\necho from a heredoc\nEOF\n")
    for backend in available_backends():
        supported = supports_heredocs(backend)
        try:
            build(tmp_path / "Dockerfile", tmp_path, backend=backend, engine=engine)
            built = True
        except BuildFailed:
            built = False
        assert supported == built, backend
        if not supported:
            with pytest.raises(EngineUnavailable, match="uses heredocs; .* does not support them"):
                require_heredocs(backend)


# ------------------------------------------------------------ builds on each backend

def test_cold_build_runs_every_step(small_builds):
    backend, cold, _, _ = small_builds
    assert cold.backend == backend.kind
    assert cold.image_id.startswith("sha256:")
    work = _work_steps(cold)
    assert [e.instruction for e in work] == [
        "RUN echo building && sleep 1", "COPY greeting.txt /greeting.txt", "RUN cat /greeting.txt"]
    assert not any(e.cached for e in work)
    assert cold.cache_hits <= 1  # at most FROM
    sleeper = work[0]
    assert sleeper.duration_s is not None and sleeper.duration_s >= 0.9
    assert "hello from dopt" in cold.log


def test_warm_build_is_all_cache_hits_and_same_image(small_builds):
    _, cold, warm, _ = small_builds
    assert all(e.cached for e in _work_steps(warm))
    assert warm.image_id == cold.image_id
    assert warm.duration_s < cold.duration_s


def test_on_event_reports_each_finished_step(small_builds):
    _, cold, _, seen = small_builds
    finished = {e.vertex: e for e in seen}
    for e in _work_steps(cold):
        assert finished[e.vertex] == e


def test_built_image_runs_and_is_inspectable(small_builds, engine: Engine):
    backend, cold, _, _ = small_builds
    tag = f"dopt-test/engine-small:{backend.kind}"
    result = engine.run(tag)  # the image's CMD
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hello from dopt\n", "")
    info = engine.image_inspect(tag)
    assert info["Id"] == cold.image_id
    assert info["Config"]["Cmd"] == ["cat", "/greeting.txt"]
    base_layers = engine.layers(BASE)
    layers = engine.layers(tag)
    assert layers[: len(base_layers)] == base_layers and len(layers) > len(base_layers)
    history = engine.history(tag)
    assert any("cat /greeting.txt" in (h.get("CreatedBy") or "") for h in history)
    assert len(history) >= 5  # base + RUN + COPY + RUN + CMD
    assert engine.image_size(tag) >= engine.image_size(BASE)


def test_failed_build_names_the_step_and_shows_the_log(engine, standin_images, small_builds):
    backend = small_builds[0]
    with pytest.raises(BuildFailed) as info:
        build(DATA / "failing" / "Dockerfile", DATA / "failing", no_cache=True, backend=backend,
              engine=engine)
    message = str(info.value)
    assert "build failed at step 3/4: RUN echo about to fail && exit 3" in message
    assert "about to fail" in message.split("last lines of the build log:")[1]
    assert "3" in info.value.step.error
    assert info.value.step.instruction == "RUN echo about to fail && exit 3"
    assert info.value.exit_code == 4


def test_build_args_and_target_reach_the_builder(engine, standin_images, small_builds, tmp_path):
    backend = small_builds[0]
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BASE} AS first\nARG WORD=default\nRUN echo \"$WORD\" > /word\n"
        f"FROM {BASE} AS second\nRUN false\n")
    tag = f"dopt-test/engine-args:{backend.kind}"
    build(tmp_path / "Dockerfile", tmp_path, tag, build_args={"WORD": "passed"}, target="first",
          backend=backend, engine=engine)
    try:
        assert engine.run(tag, ["cat", "/word"]).stdout == "passed\n"
    finally:
        engine.remove(tag, force=True)


def test_build_once_shares_a_build_between_calls(build_once):
    text = f"FROM {BASE}\nCOPY note.txt /note.txt\n"
    first = build_once(text, {"note.txt": "shared\n"})
    assert build_once(text, {"note.txt": "shared\n"}) is first
    other = build_once(text, {"note.txt": "different\n"})
    assert other is not first and other.image_id != first.image_id


# ------------------------------------------------------------ containers and images

def test_run_separates_streams_and_reports_the_exit_code(engine, standin_images):
    r = engine.run(BASE, ["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (r.exit_code, r.stdout, r.stderr, r.ok) == (7, "out\n", "err\n", False)


def test_run_honours_user_env_entrypoint_and_workdir(engine, standin_images):
    assert engine.run(BASE, ["id", "-u"], user="65534").stdout == "65534\n"
    assert engine.run(BASE, ["sh", "-c", 'echo "$GREETING"'], env={"GREETING": "hi there"}).stdout == "hi there\n"
    assert engine.run(BASE, ["a", "b"], entrypoint=["/bin/echo"]).stdout == "a b\n"
    assert engine.run(BASE, ["pwd"], workdir="/usr/share").stdout == "/usr/share\n"


def test_run_reports_a_missing_program_like_docker_run(engine, standin_images):
    r = engine.run(BASE, ["/no/such/program"])
    assert r.exit_code == 127 and "/no/such/program" in r.stderr and r.stdout == ""
    assert engine.run(BASE, ["/etc"]).exit_code == 126


def test_run_kills_a_container_that_outlives_its_timeout(engine, standin_images):
    mark = {"dopt.test": f"timeout-{os.getpid()}-{time.time_ns()}"}
    t0 = time.monotonic()
    with pytest.raises(RunTimeout, match="did not exit within 1s"):
        engine.run(BASE, ["sleep", "60"], timeout=1, labels=mark)
    assert time.monotonic() - t0 < 20
    assert engine.client.containers.list(all=True, filters={"label": f"dopt.test={mark['dopt.test']}"}) == []


def test_missing_images_are_reported_not_pulled(engine):
    ref = "dopt-test/does-not-exist:never"
    assert not engine.exists(ref)
    with pytest.raises(ImageNotFound, match="no local image 'dopt-test/does-not-exist:never'"):
        engine.image_inspect(ref)
    with pytest.raises(ImageNotFound):
        engine.run(ref, ["true"])


def test_tag_and_remove(engine, standin_images):
    ref = "dopt-test/engine-tag:alias"
    engine.tag(BASE, ref)
    assert engine.image_inspect(ref)["Id"] == engine.image_inspect(BASE)["Id"]
    engine.remove(ref)
    assert not engine.exists(ref)
    assert engine.exists(BASE)
    engine.remove(ref)  # already gone: fine by default
    with pytest.raises(ImageNotFound):
        engine.remove(ref, missing_ok=False)


def test_save_streams_a_docker_archive(engine, standin_images):
    layers = engine.layers(BASE)
    names = {}
    with engine.save(BASE) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if member.name == "manifest.json":
                names[member.name] = json.load(tar.extractfile(member))
            elif member.name.endswith("/layer.tar"):
                names[member.name] = member.size
    manifest = names.pop("manifest.json")
    assert manifest[0]["RepoTags"] == [BASE] or BASE in manifest[0]["RepoTags"]
    assert len(manifest[0]["Layers"]) == len(layers) == len(names)


def test_server_version_is_numeric(engine):
    version = engine.server_version()
    assert version >= (20,) and all(isinstance(n, int) for n in version)
