"""split: golden folders, the four fixtures through -O2, the shared cases (B22 B49 B61 B62 B65 B67 B68),
declines with reasons, options, and idempotence. Every output is checked by the IR verifier after the pass
(``verify_each``) and must be a fixed point of a second ``split``."""

from __future__ import annotations

import doctest
import re
import tomllib
from pathlib import Path

import pytest

from dopt import parse_text
from dopt.errors import UsageError
from dopt.ir import Copy, Env
from dopt.pipeline import PassSpec, Pipeline, level_pipeline, run_pipeline
from dopt.variables import resolve_stages

HERE = Path(__file__).parent
CASES = HERE / "cases"
GOLDEN = HERE / "golden"
FIXTURES = HERE / "fixtures"
GOLDEN_DIRS = sorted(p for p in GOLDEN.glob("split-*") if p.is_dir())


def split(text: str, pipeline: str = "split", **settings):
    return run_pipeline(parse_text(text), pipeline, verify_each=True, settings=settings)


def messages(result, kind: str) -> list[str]:
    return [d.message for d in result.diagnostics if d.kind == kind and d.pass_name == "split"]


def env_of(stage) -> dict[str, str]:
    return {kv.key: kv.value for ins in stage.instructions if isinstance(ins, Env) for kv in ins.pairs}


def stage_texts(text: str) -> list[str]:
    """The printed text of each stage, from its FROM line to the next one."""
    parts = re.split(r"(?m)^(?=FROM )", text)
    return [p for p in parts if p.startswith("FROM ")]


def case(name: str) -> str:
    return (CASES / f"{name}.Dockerfile").read_text()


# --------------------------------------------------------------------------
# Golden folders


def test_golden_folders_exist():
    names = {p.name for p in GOLDEN_DIRS}
    for wanted in ("split-python-compiled-extension", "split-python-user", "split-node-native-build",
                   "split-java-maven", "split-go-static", "split-go-cgo", "split-rust", "split-multistage",
                   "split-declines-unknown-ecosystem", "split-declines-exec-form"):
        assert wanted in names


@pytest.mark.parametrize("folder", GOLDEN_DIRS, ids=[p.name for p in GOLDEN_DIRS])
def test_golden(folder: Path):
    source = (folder / "input.Dockerfile").read_text()
    expected = (folder / "expected.Dockerfile").read_text()
    result = split(source)
    assert result.text == expected
    again = split(result.text)
    assert again.text == result.text, "split is not idempotent"
    assert not messages(again, "changed")
    if "declines" in folder.name:
        assert result.text == source
        assert messages(result, "declined"), "a decline must say why"
    else:
        assert len(parse_text(result.text).stages) == len(parse_text(source).stages) + 1
        assert any(m.startswith("split stage") for m in messages(result, "changed"))


def test_golden_decline_reasons_name_what_is_missing():
    reasons = {p.name: messages(split((p / "input.Dockerfile").read_text()), "declined")[0]
               for p in GOLDEN_DIRS if "declines" in p.name}
    assert "exec-form RUN at line 2" in reasons["split-declines-exec-form"]
    assert "builds with no ecosystem split knows" in reasons["split-declines-unknown-ecosystem"]
    assert "make" in reasons["split-declines-unknown-ecosystem"]
    assert "POETRY_VIRTUALENVS_IN_PROJECT" in reasons["split-declines-poetry"]


# --------------------------------------------------------------------------
# Per-ecosystem properties (on the golden inputs, so each behaviour is named)


def golden_result(name: str):
    return split((GOLDEN / name / "input.Dockerfile").read_text())


def test_python_compiled_extension_builds_in_a_venv_and_ships_runtime_libs():
    out = golden_result("split-python-compiled-extension")
    builder, runtime = out.dockerfile.stages
    assert builder.name == "builder" and builder.base.raw == runtime.base.raw == "python:3.12-bookworm"
    assert "python -m venv /opt/venv" in out.text.split("FROM python:3.12-bookworm\n")[0]
    assert "COPY --from=builder /opt/venv /opt/venv" in out.text
    runtime_text = out.text.split("\nFROM python:3.12-bookworm\n")[1]
    assert "libpq5" in runtime_text and "libpq-dev" not in runtime_text and "gcc" not in runtime_text
    assert "rm -rf /var/lib/apt/lists/*" in runtime_text
    assert env_of(runtime)["PATH"] == "/opt/venv/bin:$PATH"
    assert env_of(runtime)["PYTHONUNBUFFERED"] == "1"
    # the early COPY requirements.txt is covered by the later COPY . . in the runtime
    assert runtime_text.count("COPY requirements.txt") == 0 and "COPY . ." in runtime_text
    # the use of the app after the install stays in the runtime, where its files are
    assert "RUN python -m compileall -q ." in runtime_text
    # comments stay with their instructions (builder-only RUN)
    assert "# psycopg2 (not -binary): links the system libpq.\nRUN pip install" in out.text


def test_node_prunes_dev_dependencies_and_copies_the_app_folder():
    out = golden_result("split-node-native-build")
    builder_text, runtime_text = out.text.split("\nFROM node:20-bookworm\n")
    assert builder_text.rstrip().endswith("RUN npm prune --omit=dev")
    assert "COPY --from=builder /app /app" in runtime_text
    assert "npm ci" not in runtime_text and "g++" not in runtime_text
    # curl is kept because HEALTHCHECK calls it; python3 (node-gyp's) is not
    assert "curl" in runtime_text and "python3" not in runtime_text
    assert "COPY config/production.json /etc/app/config.json" in runtime_text
    assert any("python3" in m for m in messages(out, "note"))


def test_java_runtime_gets_the_jar_entrypoint_runs():
    out = golden_result("split-java-maven")
    runtime = out.dockerfile.stages[1]
    copies = [i for i in runtime.instructions if isinstance(i, Copy)]
    assert [(c.from_stage, c.sources, c.dest) for c in copies] == [
        ("builder", ("/build/target/app.jar",), "/build/target/app.jar")]
    assert env_of(runtime) == {"JAVA_OPTS": "-Xmx512m"}
    assert "ARG SKIP_TESTS" not in stage_texts(out.text)[1]     # not used in the runtime


def test_go_cgo_runs_on_debian_slim_of_the_same_release():
    out = golden_result("split-go-cgo")
    assert out.dockerfile.stages[1].base.raw == "debian:bullseye-slim"
    assert "libsqlite3-0" in out.text.split("FROM debian:bullseye-slim")[1]


def test_rust_runs_on_debian_slim_and_keeps_its_user():
    out = golden_result("split-rust")
    runtime = out.dockerfile.stages[1]
    assert runtime.base.raw == "debian:bookworm-slim"
    text = out.text.split("FROM debian:bookworm-slim")[1]
    assert "COPY --from=builder /src/target/release/webd /src/target/release/webd" in text
    assert "RUN useradd --system svc" in text and "USER svc" in text


def test_multistage_keeps_stage_references_and_notes_unreachable_stages():
    out = golden_result("split-multistage")
    stages = resolve_stages(out.dockerfile)
    assert [s.name for s in stages] == ["tools", "unused", "builder", None]
    # --from=0 still names the golang stage in builder and runtime (B49)
    assert stages[3].copy_sources[-1][1] == 0 and stages[2].copy_sources[0][1] == 0
    assert any("stage 1 (unused) is not reachable" in m for m in messages(out, "note"))


def test_unsupported_and_unknown_decline_without_change():
    for text in ("FROM ruby:3.3\nRUN apt-get update && apt-get install -y build-essential\nRUN bundle install\n",
                 "FROM python:3.11\nRUN apt-get install -y gcc && cd /x && npm ci && pip install --no-binary :all: a\n",
                 "FROM python:3.11\nSHELL [\"pwsh\", \"-Command\"]\nRUN apt-get install -y gcc\n",
                 "FROM python:3.11\nRUN apt-get install -y gcc && case $x in a) b;; esac\n"):
        out = split(text)
        assert out.text == text
        assert messages(out, "declined"), text


def test_nothing_to_split_is_a_note():
    text = "FROM python:3.11\nRUN pip install --no-cache-dir flask\nCMD [\"flask\"]\n"
    out = split(text)
    assert out.text == text and not messages(out, "declined")
    assert any("nothing to split" in m for m in messages(out, "note"))


# --------------------------------------------------------------------------
# The fixtures through -O2 (whichever of reorder/lower exist)


def fixture(name: str):
    root = FIXTURES / name
    meta = tomllib.loads((root / "fixture.toml").read_text())
    settings = {"runtime_deps": meta.get("runtime_deps", []), "context_dir": str(root / "context")}
    return (root / "Dockerfile").read_text(), settings


@pytest.mark.parametrize("name", ["python_ml", "nodejs_api", "java_service", "go_service"])
def test_fixture_O2_has_builder_and_runtime(name):
    text, settings = fixture(name)
    out = split(text, level_pipeline("2"), **settings)
    df = out.dockerfile
    assert [s.name for s in df.stages] == ["builder", None]
    assert "COPY --from=builder" in out.text
    original_env = env_of(parse_text(text).stages[0])
    runtime_env = env_of(df.stages[1])
    for key, value in original_env.items():     # B68: every ENV of the original, same value
        assert runtime_env.get(key) == value, key
    original = parse_text(text).stages[0]
    for kind in ("CMD", "ENTRYPOINT", "EXPOSE"):
        before = [i for i in original.instructions if i.KIND == kind]
        after = [i for i in df.stages[1].instructions if i.KIND == kind]
        assert [getattr(i, "command", getattr(i, "ports", None)) for i in before] == \
               [getattr(i, "command", getattr(i, "ports", None)) for i in after]
    again = run_pipeline(df, "split", verify_each=True, settings=settings)
    assert again.text == out.text


def test_fixture_python_ml_O2_matches_the_specification():
    text, settings = fixture("python_ml")
    out = split(text, level_pipeline("2"), **settings)
    assert "FROM python:3.11 AS builder" in out.text
    assert "COPY --from=builder" in out.text
    runtime = out.text.split("FROM python:3.11 AS builder")[1].split("\nFROM ")[1]
    assert "libyaml-0-2" in runtime and "gcc" not in runtime
    if "lower" in level_pipeline("2"):
        assert "FROM python:3.11-slim" in out.text
    if "cleanup" in level_pipeline("2"):
        assert "rm -rf /var/lib/apt/lists/*" in out.text
    assert "RUN python -m app info" in runtime


def test_fixture_go_service_runtime_is_distroless_with_zoneinfo():
    text, settings = fixture("go_service")
    out = split(text, **settings)
    runtime = stage_texts(out.text)[1]
    assert runtime.startswith("FROM gcr.io/distroless/static-debian12\n")
    for line in ("COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo",
                 "COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
                 "COPY --from=builder /usr/local/bin/tzsvc /usr/local/bin/tzsvc", "WORKDIR /src"):
        assert line in runtime
    assert "RUN" not in runtime       # no shell in distroless: the smoke run stays in the builder


def test_fixture_java_and_node_move_smoke_runs_to_the_builder():
    for name, line in (("java_service", "RUN java -jar service.jar version"),
                       ("nodejs_api", "RUN node dist/cli.js version")):
        text, settings = fixture(name)
        out = split(text, **settings)
        builder, runtime = stage_texts(out.text)
        assert line in builder and "RUN" not in runtime


# --------------------------------------------------------------------------
# Shared cases


def test_B22_args_are_redeclared_only_where_the_stage_declared_them():
    text = case("B22")
    out = split(text)        # as written: nothing builds
    assert out.text == text
    grown = text + "ARG APP_PORT\nRUN apt-get update && apt-get install -y gcc\n" \
                   "RUN pip install --no-binary :all: pyyaml\nRUN echo \"port=$APP_PORT py=$PY_VERSION\"\n" \
                   "EXPOSE $APP_PORT\n"
    out = split(grown)
    df = out.dockerfile
    assert [i.KIND for i in df.preamble] == ["ARG", "ARG"]          # global ARGs stay before the first FROM
    builder, runtime = df.stages
    assert builder.base.raw == runtime.base.raw == "python:${PY_VERSION}"
    runtime_args = [d.name for i in runtime.instructions if i.KIND == "ARG" for d in i.decls]
    # APP_PORT was declared in the stage and is used there; PY_VERSION never was (the RUN prints it empty)
    assert runtime_args == ["APP_PORT"]
    kinds = [i.KIND for i in runtime.instructions]
    assert kinds.index("ARG") < kinds.index("EXPOSE")


def test_B49_numeric_from_is_renumbered_when_a_stage_is_inserted_before_it():
    text = case("B49")
    out = split(text)        # the final stage builds nothing: unchanged
    assert out.text == text
    # split the first stage (target) into builder + runtime: the later --from=0 must keep naming the build
    grown = text.replace("FROM golang:1.22\n", "FROM golang:1.22 AS app\n") \
        .replace("RUN go build -o /app ./...\n", "RUN CGO_ENABLED=0 go build -o /app ./...\n")
    out = split(grown, target="app")
    stages = resolve_stages(out.dockerfile)
    assert [s.name for s in stages] == ["builder", "app", None]
    assert "COPY --from=1 /app /usr/local/bin/app" in out.text
    assert stages[2].copy_sources == ((0, 1),)
    # `--from=image:tag` is an image, never renumbered
    external = split(grown + "COPY --from=busybox:1.36 /bin/busybox /bin/busybox\n", target="app")
    assert "COPY --from=busybox:1.36 /bin/busybox /bin/busybox" in external.text


def test_B61_user_install_is_copied_to_the_runtime_users_home():
    text = case("B61")
    out = split(text)
    assert out.text == text
    assert any("B61" in m and "/root/.local" in m for m in messages(out, "warning"))
    # the same program as one stage (stage 0's install + stage 1's user and CMD)
    single = "FROM python:3.11\nRUN apt-get update && apt-get install -y gcc\n" \
             "RUN pip install --user --no-cache-dir gunicorn\nRUN useradd -m app\nUSER app\n" \
             "CMD [\"gunicorn\", \"--version\"]\n"
    out = split(single)
    runtime = out.text.split("\nFROM python:3.11\n")[1]
    assert "COPY --from=builder --chown=app /root/.local /home/app/.local" in runtime
    assert "ENV PATH=/home/app/.local/bin:$PATH" in runtime
    assert runtime.index("RUN useradd -m app") < runtime.index("COPY --from=builder")
    assert runtime.index("COPY --from=builder") < runtime.index("USER app")


def test_B62_venv_interpreter_family_matches():
    text = case("B62")
    out = split(text)
    assert out.text == text
    assert any("B62" in m for m in messages(out, "warning"))
    # split itself makes the venv on the runtime's own image: same family, same minor version
    out = split("FROM python:3.11\nRUN apt-get update && apt-get install -y gcc\n"
                "RUN pip install --no-binary :all: requests\nCMD [\"python\", \"-c\", \"import requests\"]\n")
    builder, runtime = out.dockerfile.stages
    assert builder.base.raw == runtime.base.raw == "python:3.11"
    assert "COPY --from=builder /opt/venv /opt/venv" in out.text
    if "lower" in level_pipeline("2"):
        lowered = split(out.text, "lower")
        assert lowered.dockerfile.stages[1].base.raw == "python:3.11-slim"
    # a Debian python without python3-venv cannot make that venv: declined with the reason
    declined = split("FROM debian:bookworm\nRUN apt-get update && apt-get install -y python3-pip gcc\n"
                     "RUN pip3 install --no-binary :all: requests\n")
    assert any("B62" in m for m in messages(declined, "declined"))


def test_B65_runtime_uses_the_builders_release():
    text = case("B65")
    out = split(text)
    assert out.text == text
    assert any("B65" in m and "bookworm" in m for m in messages(out, "warning"))
    single = "FROM rust:1-bookworm\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\nCMD [\"app\"]\n"
    out = split(single)
    assert out.dockerfile.stages[1].base.raw == "debian:bookworm-slim"
    assert "COPY --from=builder /src/target/release/app /src/target/release/app" in out.text
    bullseye = split("FROM golang:1.18\nWORKDIR /s\nCOPY . .\nRUN go build -o /bin/x .\nCMD [\"x\"]\n")
    assert bullseye.dockerfile.stages[1].base.raw == "debian:bullseye-slim"


def test_B67_static_go_runtime_gets_zoneinfo_and_ca_roots():
    text = case("B67")
    out = split(text)
    assert out.text == text
    assert any("B67" in m for m in messages(out, "warning"))
    # the same program as one stage
    single = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /app .\n" \
             "ENV TZ=Europe/Berlin\nENTRYPOINT [\"/app\"]\n"
    for options, base in (("split", "gcr.io/distroless/static-debian12"), ("split<distroless=false>", "scratch")):
        out = split(single, options)
        runtime = out.dockerfile.stages[1]
        assert runtime.base.raw == base
        assert runtime.name == "build"           # the stage name belongs to the result
        copies = [(c.sources[0], c.dest) for c in runtime.instructions if isinstance(c, Copy)]
        assert ("/usr/share/zoneinfo", "/usr/share/zoneinfo") in copies
        assert ("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt") in copies
        assert env_of(runtime) == {"TZ": "Europe/Berlin"}
        assert out.dockerfile.stages[0].name == "builder"


def test_B68_every_env_of_the_original_final_stage_is_redeclared():
    text = case("B68")
    out = split(text)        # nothing builds: unchanged, and no ENV goes missing
    assert out.text == text
    grown = text.replace("COPY report.py", "RUN apt-get update && apt-get install -y gcc libyaml-dev\n"
                         "RUN pip install --no-binary :all: pyyaml\nCOPY report.py")
    out = split(grown)
    assert env_of(out.dockerfile.stages[1]) == {"LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
                                                "PATH": "/opt/venv/bin:$PATH"}
    go = split("FROM golang:1.22\nENV LANG=C.UTF-8 APP_MODE=prod\nWORKDIR /s\nCOPY . .\n"
               "RUN CGO_ENABLED=0 go build -o /x .\nENTRYPOINT [\"/x\"]\n")
    assert env_of(go.dockerfile.stages[1]) == {"LANG": "C.UTF-8", "APP_MODE": "prod"}


# --------------------------------------------------------------------------
# Options, names, pragmas, errors


def test_builder_name_is_made_unique():
    text = "FROM alpine AS builder\nRUN true\nFROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /x .\nCMD [\"/x\"]\n"
    out = split(text)
    assert [s.name for s in out.dockerfile.stages] == ["builder", "builder-2", None]
    assert "COPY --from=builder-2 /x /x" in out.text
    named = split(text, "split<name=compile>")
    assert "FROM golang:1.22 AS compile" in named.text


def test_venv_option_and_bad_value():
    text = "FROM python:3.11\nRUN apt-get install -y gcc\nRUN pip install --no-binary :all: a\n"
    # (the pipeline text reader takes no '/' in option values, so the spec is built directly)
    spec = Pipeline((PassSpec("split", (("venv", "/venv"),)),))
    assert "COPY --from=builder /venv /venv" in split(text, spec).text
    with pytest.raises(UsageError):
        split(text, "split<venv=venv>")


def test_pragma_protects_the_stage():
    text = "# dopt: skip=split\nFROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /x .\n"
    out = split(text)
    assert out.text == text
    assert any("skip=split" in m for m in messages(out, "note"))


def test_go_runtime_that_needs_packages_falls_back_to_debian_slim():
    out = split("FROM golang:1.22-bookworm\nRUN apt-get update && apt-get install -y ffmpeg\nWORKDIR /s\n"
                "COPY . .\nRUN CGO_ENABLED=0 go build -o /x .\nENTRYPOINT [\"/x\"]\n")
    assert out.dockerfile.stages[1].base.raw == "debian:bookworm-slim"
    assert "ffmpeg" in out.text.split("FROM debian:bookworm-slim")[1]


def test_existing_venv_is_copied_as_it_is():
    out = split("FROM python:3.11\nRUN python -m venv /venv\nENV PATH=/venv/bin:$PATH\n"
                "RUN apt-get install -y gcc && pip install --no-binary :all: pyyaml\nCMD [\"python\"]\n")
    assert "COPY --from=builder /venv /venv" in out.text
    assert "python -m venv /opt/venv" not in out.text


def test_python_local_install_copies_the_folder_from_the_builder():
    out = split("FROM python:3.11\nRUN apt-get install -y gcc\nWORKDIR /app\nCOPY . .\n"
                "RUN pip install --no-binary :all: .\nCMD [\"app\"]\n")
    runtime = out.text.split("\nFROM python:3.11\n")[1]
    assert "COPY --from=builder /app /app" in runtime and "COPY . ." not in runtime


def test_modules_doctests():
    import dopt.ecosystems
    import passes.split

    for module in (dopt.ecosystems, passes.split):
        failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert tried and not failures, module.__name__


def test_docs_page_names_every_option():
    import passes.split

    page = (HERE.parent / "docs" / "passes" / "split.md").read_text()
    for option in passes.split.OPTIONS:
        assert f"`{option}`" in page
    assert re.search(r"lower", page)


def test_alpine_runtime_libraries_use_alpine_names():
    out = split("FROM python:3.12-alpine3.20\nRUN apk add --no-cache gcc musl-dev libffi-dev\n"
                "RUN pip install --no-binary :all: cffi\nCMD [\"python\"]\n")
    runtime = stage_texts(out.text)[1]
    assert "RUN apk add --no-cache libffi\n" in runtime and "libffi8" not in runtime
    declined = split("FROM python:3.12-alpine\nRUN apk add --no-cache gcc libfoo-dev\n"
                     "RUN pip install --no-binary :all: foo\n")
    assert any("libfoo-dev" in m for m in messages(declined, "declined"))


def test_node_on_a_small_image_without_build_tools_is_not_split():
    text = "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"i.js\"]\n"
    assert split(text).text == text


def test_node_keeps_dev_dependencies_when_the_runtime_runs_npm():
    out = split("FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n")
    assert "npm prune" not in out.text
    assert any("dev dependencies kept" in m for m in messages(out, "note"))


def test_python_declines_what_a_venv_would_change():
    as_user = split("FROM python:3.11\nRUN apt-get install -y gcc\nUSER app\n"
                    "RUN pip install --no-binary :all: pyyaml\n")
    assert any("falls back to a --user install" in m for m in messages(as_user, "declined"))
    system_path = split("FROM python:3.11\nRUN apt-get install -y gcc\nRUN pip install --no-binary :all: gunicorn\n"
                        "CMD [\"/usr/local/bin/gunicorn\", \"app:app\"]\n")
    assert any("system interpreter" in m for m in messages(system_path, "declined"))


def test_binary_names_come_from_the_context_manifests(tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "webd"\n\n[[bin]]\nname = "webctl"\n')
    (tmp_path / "go.mod").write_text("module example.com/svc/tzsvc\n\ngo 1.22\n")
    rust = split("FROM rust:1.75-bookworm\nWORKDIR /w\nCOPY . .\nRUN cargo build --release\n"
                 "CMD [\"/w/target/release/webctl\"]\n", context_dir=str(tmp_path))
    assert "COPY --from=builder /w/target/release/webctl /w/target/release/webctl" in rust.text
    go = split("FROM golang:1.22\nWORKDIR /w\nCOPY . .\nRUN CGO_ENABLED=0 go build\nCMD [\"serve\"]\n",
               context_dir=str(tmp_path))
    assert "COPY --from=builder /w/tzsvc /w/tzsvc" in go.text
    unknown = split("FROM golang:1.22\nWORKDIR /w\nCOPY . .\nRUN CGO_ENABLED=0 go build\n")
    assert any("add -o" in m for m in messages(unknown, "declined"))


def test_java_jar_glob_in_a_shell_form_cmd():
    out = split("FROM eclipse-temurin:21-jdk\nWORKDIR /app\nCOPY . .\nRUN ./gradlew bootJar\n"
                "CMD java -jar build/libs/*.jar\n")
    assert "COPY --from=builder /app/build/libs/*.jar /app/build/libs/" in out.text
