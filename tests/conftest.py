"""Shared fixtures: a real Docker engine, the stand-in base images, shared builds.

* ``engine`` — a connected :class:`dopt.engine.client.Engine`. Without an engine the
  test is skipped with the reason, except under ``CI=true``, where it fails: CI must
  never pass by skipping the engine tests.
* ``standin_images`` — runs ``tests/images/build.sh`` once per session (a no-op when
  the stand-ins are current) and returns ``{tag: image id}``.
* ``build_once`` — ``build_once(dockerfile_text, context=None, **opts) -> BuildResult``;
  builds each distinct (Dockerfile, context, options) once per session, so heavy
  images are shared between tests.

Tests that use any of these are marked ``engine`` automatically
(``pytest -m "not engine"`` runs the rest).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMAGES_DIR = ROOT / "tests" / "images"
ENGINE_FIXTURES = {"engine", "standin_images", "build_once"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _no_engine(reason: str):
    if in_ci():
        pytest.fail(f"CI=true and the engine tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def engine():
    from dopt.engine.client import connect
    from dopt.errors import EngineUnavailable

    try:
        return connect()
    except EngineUnavailable as e:
        _no_engine(str(e))


@pytest.fixture(scope="session")
def standin_images(engine) -> dict[str, str]:
    proc = subprocess.run(["bash", str(IMAGES_DIR / "build.sh")], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        pytest.fail(f"tests/images/build.sh could not provide the stand-in base images "
                    f"(exit {proc.returncode}):\n{tail}", pytrace=False)
    import importlib.util

    spec = importlib.util.spec_from_file_location("_standins_build", IMAGES_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return {tag: engine.image_inspect(tag)["Id"] for image in module.IMAGES for tag in image.tags}


def _context_digest(context) -> str:
    h = hashlib.sha256()
    if context is None:
        return "none"
    if isinstance(context, dict):
        items = sorted((name, data.encode() if isinstance(data, str) else data) for name, data in context.items())
    else:
        base = Path(context)
        items = sorted((str(p.relative_to(base)), p.read_bytes()) for p in base.rglob("*") if p.is_file())
    for name, data in items:
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


@pytest.fixture(scope="session")
def build_once(engine, standin_images, tmp_path_factory):
    """``build_once(dockerfile_text, context=None, *, backend=None, **build_opts)``.

    ``context`` is a directory or a ``{relative path: text|bytes}`` dict. The image
    is tagged ``dopt-test/build:<key>`` and the :class:`BuildResult` is memoized
    for the session; the tag persists so the next session starts from a warm cache.
    """
    from dopt.engine.build import build, detect_builder

    results: dict[str, object] = {}

    def _build(dockerfile_text: str, context=None, *, backend=None, **opts):
        backend = backend or detect_builder()
        key = hashlib.sha256(repr((dockerfile_text, _context_digest(context), backend.kind,
                                   sorted(opts.items()))).encode()).hexdigest()[:16]
        if key not in results:
            work = tmp_path_factory.mktemp(f"build-{key}")
            if isinstance(context, dict):
                ctx = work / "context"
                for name, data in context.items():
                    target = ctx / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data.encode() if isinstance(data, str) else data)
            elif context is not None:
                ctx = Path(context)
            else:
                ctx = work / "context"
            ctx.mkdir(parents=True, exist_ok=True)
            dockerfile = work / "Dockerfile"
            dockerfile.write_text(dockerfile_text)
            results[key] = build(dockerfile, ctx, opts.pop("tag", None) or f"dopt-test/build:{key}",
                                 backend=backend, engine=engine, **opts)
        return results[key]

    return _build
