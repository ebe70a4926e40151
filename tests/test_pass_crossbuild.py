"""crossbuild: golden folders (Go, Rust, Java, pure JS change; Python wheels, a node native module, a builder
that runs its own binary stay on the target platform), B35 through split, lower and crossbuild, the reasons
given, what is never touched, and layout kept. Every output passes the IR verifier after the pass and is a
fixed point of a second run."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from dopt import parse_text
from dopt.pipeline import level_pipeline, run_pipeline

HERE = Path(__file__).parent
GOLDEN_DIRS = sorted(p for p in (HERE / "golden").glob("crossbuild-*") if p.is_dir())
CASES = HERE / "cases"


def cross(text: str, pipeline: str = "crossbuild", **settings):
    return run_pipeline(parse_text(text), pipeline, verify_each=True, settings=settings)


def messages(result, kind: str) -> list[str]:
    return [d.message for d in result.diagnostics if d.kind == kind and d.pass_name == "crossbuild"]


def froms(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.upper().startswith("FROM ")]


# --------------------------------------------------------------------------
# Golden folders


def test_golden_folders_exist():
    names = {p.name for p in GOLDEN_DIRS}
    assert {"crossbuild-go", "crossbuild-rust", "crossbuild-python-native-wheels", "crossbuild-node-native-module",
            "crossbuild-node-pure-js", "crossbuild-java-maven", "crossbuild-go-runs-its-binary"} <= names


@pytest.mark.parametrize("folder", GOLDEN_DIRS, ids=[p.name for p in GOLDEN_DIRS])
def test_golden(folder: Path):
    source = (folder / "input.Dockerfile").read_text()
    expected = (folder / "expected.Dockerfile").read_text()
    settings = {"context_dir": str(folder / "context")} if (folder / "context").is_dir() else {}
    result = cross(source, **settings)
    assert result.text == expected
    again = cross(result.text, **settings)
    assert again.text == result.text, "crossbuild is not idempotent"
    assert not messages(again, "changed")
    if source == expected:
        assert messages(result, "declined"), "keeping a builder on the target platform must say why"
        assert "$BUILDPLATFORM" not in result.text
    else:
        assert messages(result, "changed")
        # only the builder's FROM gains the flag; the runtime stage is untouched
        assert froms(result.text)[-1] == froms(source)[-1]
        assert froms(result.text)[0].startswith("FROM --platform=$BUILDPLATFORM ")


def test_reasons_name_what_is_native():
    def reason(name: str) -> str:
        folder = HERE / "golden" / name
        settings = {"context_dir": str(folder / "context")} if (folder / "context").is_dir() else {}
        return messages(cross((folder / "input.Dockerfile").read_text(), **settings), "declined")[0]

    assert "wheels" in reason("crossbuild-python-native-wheels")
    assert "bcrypt" in reason("crossbuild-node-native-module")
    assert "/usr/local/bin/tzsvc" in reason("crossbuild-go-runs-its-binary")


def test_go_build_gets_target_os_and_arch_and_keeps_its_layout():
    folder = HERE / "golden" / "crossbuild-go"
    result = cross((folder / "input.Dockerfile").read_text())
    text = result.text
    assert "ARG TARGETOS TARGETARCH\n# hadolint ignore=DL3059\nRUN go vet ./... \\\n" in text  # B46: pragma stays
    assert "CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build" in text
    assert "GOARCH=$TARGETARCH go vet" not in text        # vet and test keep running natively
    stage = parse_text(text).stages[0]
    kinds = [i.KIND for i in stage.instructions]
    # the ARG stands right before the RUN that builds, so `go mod download` stays shared between platforms
    arg_at = kinds.index("ARG")
    assert kinds[arg_at + 1] == "RUN" and "go build" in stage.instructions[arg_at + 1].command.text
    assert "go mod download" in stage.instructions[arg_at - 2].command.text


# --------------------------------------------------------------------------
# B35 and what is never touched


def case(name: str) -> str:
    return (CASES / f"{name}.Dockerfile").read_text(encoding="utf-8")


def test_B35_platform_flags_survive_split_lower_and_crossbuild():
    src = case("B35")
    for pipeline in ("split", "lower", "crossbuild", level_pipeline("2"), level_pipeline("3")):
        result = cross(src, pipeline)
        lines = froms(result.text)
        assert lines[0] == "FROM --platform=$BUILDPLATFORM golang:1.22 AS build", pipeline
        final = parse_text(result.text).stages[-1].from_
        assert final.flag_value("platform") == "linux/amd64", pipeline
        assert final.image.repository == "python", pipeline    # never the flag read as the image
        assert [f.name for f in final.flags] == ["platform"], pipeline
    assert any("already has --platform" in m for m in
               [d.message for d in cross(src).diagnostics if d.kind == "note"])


def test_B35_targetplatform_arguments_are_kept_by_split():
    src = ("FROM golang:1.22\nARG TARGETOS\nARG TARGETARCH\nWORKDIR /src\nCOPY . .\n"
           "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\nCMD [\"/app\"]\n")
    result = cross(src, "split")
    assert "GOOS=$TARGETOS GOARCH=$TARGETARCH go build" in result.text
    builder = parse_text(result.text).stages[0]
    assert [d.name for i in builder.instructions if i.KIND == "ARG" for d in i.decls] == ["TARGETOS", "TARGETARCH"]
    # and crossbuild then sees the arguments declared and adds no second ARG
    again = cross(result.text, "crossbuild")
    assert again.text.count("ARG TARGETARCH") == 1 and "ARG TARGETOS TARGETARCH" not in again.text
    assert froms(again.text)[0] == "FROM --platform=$BUILDPLATFORM golang:1.22 AS builder"


def test_split_and_lower_never_add_a_platform_flag():
    for folder in sorted((HERE / "golden").glob("*")):
        if not (folder / "input.Dockerfile").exists():
            continue
        src = (folder / "input.Dockerfile").read_text()
        result = cross(src, level_pipeline("2"))
        before = [f.split()[1] for f in froms(src) if "--platform" in f]
        after = [f.split()[1] for f in froms(result.text) if "--platform" in f]
        assert before == after, folder.name


def test_the_runtime_stage_is_never_moved_to_the_build_platform():
    # the final stage is the image: even a Go build there keeps running on the target platform
    src = "FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /app .\nFROM build\nCMD [\"/app\"]\n"
    assert cross(src).text == src
    # a stage nothing copies from is no builder
    src = "FROM golang:1.22 AS test\nRUN CGO_ENABLED=0 go build -o /app .\nFROM scratch\nCMD [\"/app\"]\n"
    assert cross(src).text == src


def test_a_copy_of_something_else_than_the_build_output_keeps_the_target_platform():
    src = ("FROM golang:1.22 AS build\nRUN apt-get update && apt-get install -y tini\n"
           "RUN CGO_ENABLED=0 go build -o /app .\n"
           "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /usr/bin/tini /tini\nCOPY --from=build /app /app\n")
    result = cross(src)
    assert result.text == src
    assert "/usr/bin/tini" in messages(result, "declined")[0]


@pytest.mark.parametrize("run,word", [
    ("RUN go build -o /app .", "cgo"),
    ("RUN CGO_ENABLED=0 GOARCH=amd64 go build -o /app .", "GOARCH=amd64"),
    ("RUN CGO_ENABLED=0 go install ./cmd/app", "go install"),
    ("RUN CGO_ENABLED=0 go build -o /app . && curl -fsSLO https://example.com/tool-linux-amd64", "curl"),
    ("RUN ARCH=$(uname -m) && CGO_ENABLED=0 go build -o /app .", "uname"),
    ("RUN make && CGO_ENABLED=0 go build -o /app .", "make"),
])
def test_go_declines_say_why(run, word):
    src = f"FROM golang:1.22 AS build\n{run}\nFROM scratch\nCOPY --from=build /app /app\n"
    result = cross(src)
    assert result.text == src
    declined = messages(result, "declined")
    assert declined and word in declined[0]


def test_go_with_cgo_off_from_env_and_targetarch_already_set():
    src = ("FROM golang:1.22 AS build\nENV CGO_ENABLED=0\nARG TARGETARCH\n"
           "RUN GOARCH=$TARGETARCH go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n")
    result = cross(src)
    # only what is missing is added: TARGETOS, after the existing ARG TARGETARCH
    assert "ARG TARGETARCH\nARG TARGETOS\nRUN GOARCH=$TARGETARCH GOOS=$TARGETOS go build" in result.text
    assert result.text.count("GOARCH=") == 1


def test_rust_with_a_target_mapped_from_targetarch_and_without_one():
    mapped = ("FROM rust:1.79 AS build\nARG TARGETARCH\nENV TRIPLE=${TARGETARCH}-unknown-linux-musl\n"
              "RUN cargo build --release --target $TRIPLE\n"
              "FROM scratch\nCOPY --from=build /target /target\n")
    # WORKDIR is / here, so cargo's target folder is /target
    assert froms(cross(mapped).text)[0] == "FROM --platform=$BUILDPLATFORM rust:1.79 AS build"
    plain = "FROM rust:1.79 AS build\nWORKDIR /src\nRUN cargo build --release\nFROM scratch\n" \
            "COPY --from=build /src/target/release/app /app\n"
    result = cross(plain)
    assert result.text == plain and "rustup target add" in messages(result, "declined")[0]


def test_java_native_image_and_os_detecting_builds_stay():
    src = ("FROM gradle:8-jdk17 AS build\nWORKDIR /src\nCOPY . .\nRUN gradle nativeCompile\n"
           "FROM debian:bookworm-slim\nCOPY --from=build /src/build/native/nativeCompile/app /app\n")
    assert "native image" in messages(cross(src), "declined")[0]


def test_java_reads_the_pom_for_os_detection(tmp_path):
    (tmp_path / "pom.xml").write_text("<project><build><extensions><extension>"
                                      "<artifactId>os-maven-plugin</artifactId></extension></extensions>"
                                      "</build></project>")
    src = ("FROM maven:3.9-eclipse-temurin-17 AS build\nWORKDIR /src\nCOPY . .\nRUN mvn -B package\n"
           "FROM eclipse-temurin:17-jre\nCOPY --from=build /src/target/app.jar /app.jar\n")
    result = cross(src, context_dir=str(tmp_path))
    assert result.text == src and "os-maven-plugin" in messages(result, "declined")[0]
    assert "$BUILDPLATFORM" in cross(src).text


def test_pragma_protects_the_builder():
    src = ("# dopt: stage skip=crossbuild\nFROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /app .\n"
           "FROM scratch\nCOPY --from=build /app /app\n")
    assert cross(src).text == src


def test_levels():
    assert "crossbuild" in level_pipeline("3").split(",")
    assert "crossbuild" not in level_pipeline("2")
    names = level_pipeline("3").split(",")
    assert names.index("crossbuild") == names.index("split") + 1
    from passes import PASS_MODULES

    assert PASS_MODULES.index("crossbuild") == PASS_MODULES.index("split") + 1


def test_crossbuild_after_split_on_a_single_stage_go_service():
    # -O3 on the fixture without its self-test RUN: split makes the builder, crossbuild moves it
    text = (HERE / "fixtures" / "go_service" / "Dockerfile").read_text()
    text = "".join(line for line in text.splitlines(True) if "tzsvc version" not in line)
    result = cross(text, level_pipeline("3"), context_dir=str(HERE / "fixtures" / "go_service" / "context"))
    assert froms(result.text)[0] == "FROM --platform=$BUILDPLATFORM golang:1.19 AS builder"
    assert re.search(r"GOOS=\$TARGETOS GOARCH=\$TARGETARCH go build -o /usr/local/bin/tzsvc", result.text)
    # and with the self-test RUN it stays on the target platform
    full = (HERE / "fixtures" / "go_service" / "Dockerfile").read_text()
    kept = cross(full, level_pipeline("3"))
    assert "$BUILDPLATFORM" not in kept.text
    assert any("tzsvc" in m for m in messages(kept, "declined"))


def test_module_doctests():
    import passes.crossbuild as module

    assert doctest.testmod(module).failed == 0


def test_docs_page():
    page = (HERE.parent / "docs" / "passes" / "crossbuild.md").read_text()
    for word in ("$BUILDPLATFORM", "TARGETARCH", "-O3", "B35", "cgo", "wheels"):
        assert word in page


def test_a_builder_fed_by_a_target_platform_stage_stays():
    src = ("FROM node:22 AS deps\nWORKDIR /app\nRUN npm ci\n"
           "FROM node:22 AS build\nWORKDIR /app\nCOPY --from=deps /app/node_modules ./node_modules\nCOPY . .\n"
           "RUN npm run build\n"
           "FROM nginx:1.25\nCOPY --from=build /app/dist /usr/share/nginx/html\n")
    result = cross(src)
    assert "$BUILDPLATFORM" not in result.text
    assert any("stage 0 (deps)" in m for m in messages(result, "declined"))
    # once the feeding stage runs on the build platform itself, the builder may follow
    moved = src.replace("FROM node:22 AS deps", "FROM --platform=$BUILDPLATFORM node:22 AS deps")
    assert froms(cross(moved).text)[1] == "FROM --platform=$BUILDPLATFORM node:22 AS build"
