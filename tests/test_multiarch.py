"""Multi-architecture: a real linux/arm64 build of the Go fixture, verified by running its smoke commands in the
arm64 image under qemu (binfmt_misc), and ``optimize`` with two platforms giving one report row each.

The builder runs natively (``FROM --platform=$BUILDPLATFORM``, made by the crossbuild pass) and cross-compiles
with GOARCH=arm64; the runtime is ``scratch`` (the base every platform has on this engine, whose image store holds
one image per tag, see docs/DESIGN.md "Multi-architecture"). The engine tests need BuildKit and an enabled qemu
binfmt handler (``.ci/run`` installs qemu-user-static and binfmt-support); without them they are skipped, saying
what is missing.
"""

from __future__ import annotations

import io
import tarfile
import tomllib
from pathlib import Path

import pytest

from dopt.engine.platforms import arch_of, emulation_problem, host_arch, parse_platforms, qemu_name
from dopt.errors import UsageError

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "go_service"
ARM64 = "linux/arm64"
ELF_MACHINE = {"arm64": 0xB7, "amd64": 0x3E}


# --------------------------------------------------------------------------
# Platform lists and emulation checks (no engine)


def test_parse_platforms():
    assert parse_platforms("linux/amd64,linux/arm64") == ["linux/amd64", "linux/arm64"]
    assert parse_platforms(" LINUX/ARM64/v8 , linux/arm64") == ["linux/arm64"]
    assert parse_platforms("linux/arm/v7") == ["linux/arm/v7"]
    for bad in ("arm64", "linux/", "linux/amd64,,", "linux/arm64/v8/x"):
        with pytest.raises(UsageError):
            parse_platforms(bad)
    assert arch_of("linux/arm/v7") == "arm" and qemu_name("linux/arm64") == "aarch64"


def test_emulation_problem_reads_binfmt(tmp_path):
    foreign = "linux/arm64" if host_arch() != "arm64" else "linux/amd64"
    name = qemu_name(foreign)
    missing = emulation_problem(foreign, binfmt=tmp_path)
    assert missing and "qemu-user-static" in missing and f"qemu-{name}" in missing
    (tmp_path / f"qemu-{name}").write_text("disabled\ninterpreter /usr/libexec/qemu-binfmt/x\n")
    assert "update-binfmts --enable" in emulation_problem(foreign, binfmt=tmp_path)
    (tmp_path / f"qemu-{name}").write_text("enabled\ninterpreter /usr/libexec/qemu-binfmt/x\n")
    assert emulation_problem(foreign, binfmt=tmp_path) is None
    assert emulation_problem(f"linux/{host_arch()}", binfmt=tmp_path / "nothing") is None


def test_optimize_rejects_a_bad_platform_list(tmp_path):
    from dopt.optimize import OptimizeRequest, optimize

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(UsageError):
        optimize(OptimizeRequest(tmp_path / "Dockerfile", platform="linux/amd64,arm64"))


# --------------------------------------------------------------------------
# Real builds


def _fixture_without_self_test() -> str:
    """The fixture's Dockerfile without `RUN tzsvc version`: a builder that runs its own binary stays on the
    target platform (crossbuild declines it), which this engine cannot build for arm64 from amd64 stand-ins."""
    text = (FIXTURE / "Dockerfile").read_text()
    lines = text.splitlines(True)
    kept = [line for line in lines if "tzsvc version" not in line]
    assert len(kept) == len(lines) - 1
    return "".join(kept)


def _cross_compiled() -> str:
    from dopt.frontend import parse_text
    from dopt.pipeline import run_pipeline

    result = run_pipeline(parse_text(_fixture_without_self_test()),
                          "reorder,split<distroless=false>,crossbuild,fuse,cleanup<no-recommends>",
                          settings={"context_dir": str(FIXTURE / "context")}, verify_each=True)
    assert "FROM --platform=$BUILDPLATFORM golang:1.19 AS builder" in result.text
    assert "GOOS=$TARGETOS GOARCH=$TARGETARCH go build" in result.text
    assert "\nFROM scratch\n" in result.text
    return result.text


@pytest.fixture(scope="module")
def emulation(engine):
    from dopt.engine.build import detect_builder

    backend = detect_builder()
    if backend.kind == "classic":
        pytest.skip("the multi-architecture build needs BuildKit ($BUILDPLATFORM); only the classic builder is here")
    problem = emulation_problem(ARM64)
    if problem:
        pytest.skip(f"no arm64 emulation: {problem}")
    return backend


def _file_from_image(engine, ref: str, path: str) -> bytes:
    """The bytes of ``path`` in the image (last layer that has it), read from `docker save`."""
    found = None
    with tarfile.open(fileobj=engine.save(ref), mode="r|") as outer:
        for member in outer:
            if not member.name.endswith("layer.tar") and not member.name.startswith("blobs/"):
                continue
            data = outer.extractfile(member)
            if data is None:
                continue
            try:
                with tarfile.open(fileobj=io.BytesIO(data.read()), mode="r:*") as layer:
                    for m in layer:
                        if m.name.lstrip("./") == path.lstrip("/") and m.isfile():
                            found = layer.extractfile(m).read()
            except tarfile.ReadError:
                continue
    assert found is not None, f"{path} not in {ref}"
    return found


def _smokes() -> list[dict]:
    return tomllib.loads((FIXTURE / "fixture.toml").read_text())["smoke"]


def test_go_fixture_builds_for_arm64_and_runs_its_smoke_commands_there(engine, emulation, build_once):
    text = _cross_compiled()
    arm = build_once(text, FIXTURE / "context", platform=ARM64, backend=emulation)
    info = engine.image_inspect(arm.image_id)
    assert info["Architecture"] == "arm64" and info["Os"] == "linux"
    binary = _file_from_image(engine, arm.image_id, "/usr/local/bin/tzsvc")
    assert binary[:4] == b"\x7fELF" and int.from_bytes(binary[18:20], "little") == ELF_MACHINE["arm64"]
    native = build_once(text, FIXTURE / "context", platform=f"linux/{host_arch()}", backend=emulation)
    assert engine.image_inspect(native.image_id)["Architecture"] == host_arch()
    for smoke in _smokes():
        got = engine.run(arm.image_id, smoke["argv"], timeout=120)
        assert got.exit_code == smoke["exit_code"], (smoke["name"], got.stderr)
        if "stdout" in smoke:
            assert got.stdout.strip() == smoke["stdout"], smoke["name"]
        if "stderr" in smoke:
            assert smoke["stderr"] in got.stderr, smoke["name"]
        same = engine.run(native.image_id, smoke["argv"], timeout=120)
        assert (same.exit_code, same.stdout) == (got.exit_code, got.stdout), smoke["name"]


def test_optimize_two_platforms_reports_a_row_per_platform(engine, emulation, standin_images, tmp_path):
    """`optimize --platform linux/amd64,linux/arm64` on a multi-stage Go service: crossbuild moves the builder,
    amd64 is verified against the original, arm64 (whose original cannot be built here: no arm64 golang) against
    the verified amd64 image, under emulation."""
    from dopt.optimize import OptimizeRequest, optimize

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM golang:1.19 AS builder\nWORKDIR /src\nCOPY . .\n"
        "RUN CGO_ENABLED=0 go build -o /usr/local/bin/tzsvc .\n"
        "FROM scratch\nCOPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo\n"
        "COPY --from=builder /usr/local/bin/tzsvc /usr/local/bin/tzsvc\nENV TZ_DEFAULT=Europe/Berlin\n"
        "ENTRYPOINT [\"/usr/local/bin/tzsvc\"]\nCMD [\"serve\"]\n")
    smoke = [s["argv"] for s in _smokes() if s["exit_code"] == 0]
    outcome = optimize(OptimizeRequest(dockerfile, context=FIXTURE / "context", output=tmp_path / "out",
                                       pipeline="crossbuild", platform="linux/amd64,linux/arm64", smoke=smoke,
                                       tag_prefix="dopt-test-multiarch"), engine=engine)
    rows = {r.platform: r for r in outcome.platforms}
    assert list(rows) == ["linux/amd64", "linux/arm64"]
    assert rows["linux/amd64"].verified and rows["linux/amd64"].reference == "original"
    arm = rows["linux/arm64"]
    assert arm.verified, arm.reason
    assert arm.architecture.startswith("arm64") and arm.emulated == (host_arch() != "arm64")
    assert arm.reference == "linux/amd64 optimized" and "original does not build" in arm.reason
    assert [c.kind for c in arm.verification.checks].count("smoke") == len(smoke)
    assert outcome.verified and (tmp_path / "out").exists()
    data = outcome.to_dict()
    assert [p["platform"] for p in data["platforms"]] == ["linux/amd64", "linux/arm64"]
    assert data["platforms"][1]["architecture"].startswith("arm64")
    from dopt.commands.optimize import render_text

    text = render_text(outcome)
    assert "Platforms:" in text and "linux/arm64" in text and "VERIFIED vs linux/amd64 optimized" in text


def test_single_platform_outcome_keeps_its_shape():
    from dopt.optimize import ImageFacts, OptimizeOutcome

    facts = ImageFacts("t", "sha256:x", 10, 1, 0.1)
    data = OptimizeOutcome("Dockerfile", "FROM a\n", "FROM a\n", "noop", facts).to_dict()
    assert data["schema"] == "dopt.optimize/1" and data["platforms"] == []


def test_module_doctests():
    import doctest

    import dopt.engine.platforms as module

    assert doctest.testmod(module).failed == 0
