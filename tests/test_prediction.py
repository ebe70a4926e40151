"""Size prediction: the optimized image's size from the original's file tree, before building it.

Unit tests on the dpkg and package-lock readers; engine tests that predict every
archetype fixture's ``-O2`` output and its hand-written reference and compare with
the built image (target: within ±10%), and the optimize loop's prediction hook.
"""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

import dopt.prediction as prediction
from dopt.errors import UsageError
from dopt.frontend import parse_text
from dopt.prediction import Prediction, _lock_packages, apt_closure, parse_dpkg, predict

try:
    from fixtures import load_fixture
except ImportError:  # pragma: no cover - depends on how pytest was started
    from tests.fixtures import load_fixture

TARGET_PERCENT = 10.0
ROOT = Path(__file__).resolve().parent.parent


def test_module_examples_run():
    failed, attempted = doctest.testmod(prediction, optionflags=doctest.ELLIPSIS)
    assert attempted >= 8 and failed == 0


STATUS = b"""Package: jq
Status: install ok installed
Installed-Size: 100
Depends: libjq1 (= 1.6-2.1), libc6 (>= 2.34)
Recommends: jq-doc

Package: libjq1
Status: install ok installed
Installed-Size: 400
Depends: libonig5 (>= 6.1) | libonig-any, libc6
Description: lib
 continued description line

Package: libonig5
Status: install ok installed
Installed-Size: 600
Provides: libonig-any
Depends: libc6

Package: jq-doc
Status: install ok installed
Installed-Size: 50

Package: oldpkg
Status: deinstall ok config-files
Installed-Size: 9000
"""


def test_dpkg_database_with_dependencies():
    db = parse_dpkg(STATUS)
    assert set(db) == {"jq", "libjq1", "libonig5", "jq-doc"}
    assert db["jq"].installed_bytes == 100 * 1024
    assert db["libjq1"].depends == (("libonig5", "libonig-any"), ("libc6",))
    assert db["libonig5"].provides == ("libonig-any",)


def test_apt_closure_follows_dependencies_the_base_lacks():
    db = parse_dpkg(STATUS)
    assert apt_closure(["jq"], db, {"libc6"}) == (["jq", "libjq1", "libonig5"], [])
    assert sorted(apt_closure(["jq"], db, {"libc6"}, recommends=True)[0]) == ["jq", "jq-doc", "libjq1", "libonig5"]
    # already in the runtime base: nothing added for it
    assert apt_closure(["jq"], db, {"libc6", "libonig5"})[0] == ["jq", "libjq1"]
    assert apt_closure(["jq", "curl"], db, {"libc6"})[1] == ["curl"]


def test_package_lock_dev_flags_v1_and_v3():
    v3 = {"lockfileVersion": 3, "packages": {"": {"name": "app"}, "node_modules/typescript": {"dev": True},
                                             "node_modules/express": {}}}
    assert _lock_packages(v3) == {"node_modules/typescript": {"dev": True}, "node_modules/express": {}}
    v1 = {"lockfileVersion": 1, "dependencies": {"jest": {"dev": True, "dependencies": {"chalk": {"dev": True}}}}}
    assert set(_lock_packages(v1)) == {"node_modules/jest", "node_modules/jest/node_modules/chalk"}
    lock = json.loads((ROOT / "tests/fixtures/nodejs_api/context/package-lock.json").read_text())
    dev = {k for k, v in _lock_packages(lock).items() if v.get("dev")}
    assert "node_modules/typescript" in dev and "node_modules/express" not in dev


def test_prediction_document():
    p = Prediction(1_100, [("base x", 1_000), ("COPY . (context)", 100)], "engine base size")
    assert p.error_percent(1_000) == pytest.approx(10.0)
    doc = p.to_dict(1_000)
    assert doc["error_percent"] == 10.0 and doc["components"][1] == {"what": "COPY . (context)", "bytes": 100}
    assert "actual_bytes" not in p.to_dict()
    with pytest.raises(UsageError):
        predict("x", parse_text("ARG ONLY=1\n"))


# --------------------------------------------------------------------------
# Every fixture on the real engine


def _o2(fx, context: Path) -> str:
    from dopt.pipeline import level_pipeline, run_pipeline

    df = parse_text(fx.dockerfile.read_text(), path=str(fx.dockerfile))
    settings = {"runtime_deps": list(fx.runtime_deps), "path": str(fx.dockerfile), "context_dir": str(context)}
    return run_pipeline(df, level_pipeline("2"), settings=settings).text


def _params():
    names = ["python_ml", "nodejs_api", "java_service", "go_service"]
    return [pytest.param(n) for n in names] + [pytest.param("python_torch", marks=pytest.mark.slow)]


@pytest.mark.parametrize("name", _params())
def test_prediction_is_within_ten_percent(name, engine, build_once, tmp_path):
    fx = load_fixture(name)
    if fx.unavailable_reason():
        pytest.skip(fx.unavailable_reason())
    context = fx.prepare_context(tmp_path)
    original = build_once(fx.dockerfile.read_text(), context)
    results = []
    for variant, text in (("-O2", _o2(fx, context)), ("expected", fx.expected_dockerfile.read_text())):
        df = parse_text(text)
        p = predict(original.image_id, df, context=context, engine=engine)  # before the build
        actual = engine.image_size(build_once(text, context).image_id)
        error = p.error_percent(actual)
        print(f"\n{name} {variant}: predicted {p.predicted_bytes / 1e6:.1f} MB, actual {actual / 1e6:.1f} MB, "
              f"error {error:+.2f}% ({p.method})")
        for what, size in p.components:
            print(f"    {size / 1e6:10.3f} MB  {what}")
        for note in p.notes:
            print(f"    note: {note}")
        results.append((variant, error))
        assert p.components[0][0].startswith("base "), "the runtime base comes first"
    bad = [(v, e) for v, e in results if abs(e) > TARGET_PERCENT]
    assert not bad, f"{name}: prediction off by more than {TARGET_PERCENT}%: {bad}"


def test_optimize_reports_the_prediction_beside_the_actual_size(engine, standin_images, tmp_path):
    from dopt.commands.optimize import render_text
    from dopt.optimize import OptimizeRequest, optimize

    tiny = ROOT / "tests" / "e2e" / "tiny"
    outcome = optimize(OptimizeRequest(dockerfile=tiny / "Dockerfile", context=tiny / "context",
                                       pipeline="fuse,cleanup", verify=False), engine=engine)
    assert outcome.prediction is not None and outcome.optimized is not None
    error = outcome.prediction.error_percent(outcome.optimized.size_bytes)
    print(f"\ntiny: predicted {outcome.prediction.predicted_bytes} actual {outcome.optimized.size_bytes} "
          f"({error:+.2f}%)")
    assert abs(error) <= TARGET_PERCENT
    doc = json.loads(json.dumps(outcome.to_dict()))
    assert doc["prediction"]["actual_bytes"] == outcome.optimized.size_bytes
    assert doc["prediction"]["predicted_bytes"] == outcome.prediction.predicted_bytes
    assert "Predicted Size:" in render_text(outcome)
