"""reorder: before/after tables (after None = must not change), the manifest-first rewrite per ecosystem with
temporary build contexts, the shared cases B22/B46/B73, the fixtures, golden folders, and properties: never
before a dependency (the input's graph), idempotent, same instructions (modulo the split COPY)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dopt import parse_text
from dopt.analysis.graph import build_graph
from dopt.pipeline import run_pipeline
from dopt.printer import print_instruction

HERE = Path(__file__).parent
CASES = HERE / "cases"
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"


def reorder(text: str, context: Path | None = None, pipeline: str = "reorder", **extra):
    settings_ = dict(extra)
    if context is not None:
        settings_["context_dir"] = str(context)
    return run_pipeline(parse_text(text), pipeline, verify_each=True, settings=settings_)


def messages(result, kind: str) -> list[str]:
    return [d.message for d in result.diagnostics if d.kind == kind]


def make_context(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return root


# --------------------------------------------------------------------------
# The sort (no build context needed)

SORT = [
    # system packages before the source copy; the pragma travels with its RUN (B46)
    ("FROM debian\nWORKDIR /app\nCOPY . .\n# hadolint ignore=DL3008\nRUN apt-get update && apt-get install -y curl\n"
     "RUN make\n",
     "FROM debian\nWORKDIR /app\n# hadolint ignore=DL3008\nRUN apt-get update && apt-get install -y curl\n"
     "COPY . .\nRUN make\n"),
    # a dependency install that reads nothing of the copy goes first
    ("FROM python:3.11\nCOPY . /app\nRUN pip install flask\n",
     "FROM python:3.11\nRUN pip install flask\nCOPY . /app\n"),
    # manifests before sources
    ("FROM node\nCOPY src/ /srv/src/\nCOPY package.json /app/\n",
     "FROM node\nCOPY package.json /app/\nCOPY src/ /srv/src/\n"),
    # ... but without a context `package.json` may be a folder whose files land anywhere below /app
    ("FROM node\nCOPY src/ /app/src/\nCOPY package.json /app/\n", None),
    # trailing metadata goes last, in its original order
    ("FROM python:3.11\nLABEL a=b\nRUN pip install flask\nEXPOSE 80\nRUN python -c 1\nCMD [\"x\"]\n",
     "FROM python:3.11\nRUN pip install flask\nRUN python -c 1\nLABEL a=b\nEXPOSE 80\nCMD [\"x\"]\n"),
    # already in order
    ("FROM debian\nRUN apt-get update && apt-get install -y curl\nCOPY . /app\nRUN make\nCMD [\"a\"]\n", None),
    # the RUN reads what the COPY wrote
    ("FROM debian\nCOPY setup.sh /setup.sh\nRUN apt-get install -y $(cat /setup.sh)\n", None),
    ("FROM debian\nCOPY pkgs.deb /tmp/\nRUN apt-get install -y /tmp/pkgs.deb\n", None),
    # a barrier RUN and a COPY never swap
    ("FROM debian\nCOPY . /app\nRUN ./configure && make\n", None),
    ("FROM debian\nRUN ./install.sh\nRUN apt-get install -y curl\n", None),
    # WORKDIR / USER / SHELL: nothing crosses them
    ("FROM debian\nCOPY . /app\nWORKDIR /app\nRUN apt-get install -y curl\n", None),
    ("FROM debian\nCOPY . /app\nUSER nobody\nRUN apt-get install -y curl\n", None),
    ("FROM debian\nLABEL a=b\nWORKDIR /app\nRUN make\n", None),
    # an ENV a RUN uses stays before it and pins its place (B52-like conservatism)
    ("FROM debian\nCOPY . /app\nENV DEBIAN_FRONTEND=noninteractive\nRUN apt-get install -y curl\n", None),
    ("FROM debian\nENV A=1\nRUN make\n", None),
    # ARGs never move and nothing crosses them (B22)
    ("FROM debian\nCOPY . /app\nARG V\nRUN apt-get install -y curl\n", None),
    # a pinned instruction
    ("FROM debian\nCOPY . /app\n# dopt: skip=reorder\nRUN apt-get install -y curl\n", None),
    ("FROM debian\nCOPY . /app\n# dopt: skip=reorder\nRUN echo hi\nRUN apt-get install -y curl\n", None),
    # never across FROM
    ("FROM debian AS a\nCOPY . /app\nFROM debian\nRUN apt-get install -y curl\n", None),
    # useradd writes /etc/passwd, COPY --chown reads it
    ("FROM debian\nRUN useradd app\nCOPY --chown=app . /app\n", None),
    # the apt lists: update, install, clean keep their order
    ("FROM debian\nRUN apt-get update\nRUN apt-get install -y x\nRUN rm -rf /var/lib/apt/lists/*\n", None),
    # non-POSIX SHELL: RUNs are barriers (B50)
    ("FROM mcr.microsoft.com/windows\nSHELL [\"pwsh\", \"-Command\"]\nCOPY . C:/app\nRUN choco install x\n", None),
]


@pytest.mark.parametrize("before, after", SORT)
def test_sort_table(before, after):
    result = reorder(before)
    assert result.text == (before if after is None else after)
    if after is None:
        assert not messages(result, "changed")
    else:
        assert messages(result, "changed")
    assert reorder(result.text).text == result.text


def test_moves_are_reported_with_their_reason():
    result = reorder("FROM python:3.11\nCOPY . /app\nRUN pip install flask\nEXPOSE 80\nCOPY x /y\n")
    assert result.text == "FROM python:3.11\nRUN pip install flask\nCOPY . /app\nCOPY x /y\nEXPOSE 80\n"
    assert messages(result, "changed") == [
        "moved RUN at line 3 before COPY at line 2 (dependency installation before source copy)",
        "moved EXPOSE at line 4 after COPY at line 5 (metadata goes last)",
    ]


def test_b22_arg_scope_is_untouched():
    text = (CASES / "B22.Dockerfile").read_text()
    assert reorder(text).text == text
    inner = "ARG PY=3.11\nFROM python:${PY}\nCOPY . /app\nARG PY\nRUN apt-get install -y curl\nRUN echo $PY\n"
    assert reorder(inner).text == inner


def test_b46_pragma_stays_directly_above_its_run():
    text = (CASES / "B46.Dockerfile").read_text()
    assert reorder(text).text == text  # already in order
    swapped = "FROM debian:bookworm-slim\nCOPY app.sh /app.sh\n" + "".join(text.splitlines(True)[1:3])
    out = reorder(swapped).text
    assert out == text.splitlines(True)[0] + "".join(text.splitlines(True)[1:3]) + "COPY app.sh /app.sh\n"
    lines = out.splitlines()
    assert lines[lines.index("# hadolint ignore=DL3008") + 1].startswith("RUN apt-get")


def test_options_switch_parts_off(tmp_path):
    text = "FROM python:3.11\nCOPY . /app\nRUN pip install flask\n"
    assert reorder(text, pipeline="reorder<sort=false>").text == text
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    b73 = (CASES / "B73.Dockerfile").read_text()
    assert reorder(b73, ctx, pipeline="reorder<manifests=false>").text == b73


# --------------------------------------------------------------------------
# B73 and the manifest-first rewrite


def test_b73_canonical(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask==3.0.0\n", "main.py": "print('hi')\n"})
    result = reorder((CASES / "B73.Dockerfile").read_text(), ctx)
    assert result.text == ("FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt ./\n"
                           "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"
                           "CMD [\"python\", \"main.py\"]\n")
    assert any("requirements.txt" in m for m in messages(result, "changed"))
    assert reorder(result.text, ctx).text == result.text


def test_b73_without_a_context_declines():
    text = (CASES / "B73.Dockerfile").read_text()
    result = reorder(text)
    assert result.text == text
    assert any("no build context" in m for m in messages(result, "declined"))


PIP = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"m.py\"]\n"
PIP_OK = ("FROM python:3.11-slim\nWORKDIR /app\nCOPY {files} ./\nRUN pip install -r requirements.txt\nCOPY . .\n"
          "CMD [\"python\", \"m.py\"]\n")

# (name, dockerfile, context files, expected output or None, decline substring or None)
ECOSYSTEMS = [
    ("pip", PIP, {"requirements.txt": "flask\n"}, PIP_OK.format(files="requirements.txt"), None),
    ("pip-nested", PIP, {"requirements.txt": "-r base.txt\n-c constraints.txt\nflask\n", "base.txt": "rich\n",
                         "constraints.txt": "rich<14\n"},
     PIP_OK.format(files="requirements.txt base.txt constraints.txt"), None),
    ("pip-nested-missing", PIP, {"requirements.txt": "-r base.txt\n"}, None, "base.txt is not in the build context"),
    ("pip-local-line", PIP, {"requirements.txt": "flask\n./libs/util\n"}, None, "'./libs/util' is a local path"),
    ("pip-editable-line", PIP, {"requirements.txt": "-e .\n"}, None, "editable requirement"),
    ("pip-file-url", PIP, {"requirements.txt": "util @ file:///app/libs/util\n"}, None, "is a local path"),
    ("pip-dot", PIP.replace("-r requirements.txt", "."), {"setup.py": ""}, None, "reads the whole directory"),
    ("pip-e-dot", PIP.replace("-r requirements.txt", "-e ."), {"setup.py": ""}, None, "-e"),
    ("pip-dockerignored", PIP, {"requirements.txt": "flask\n", ".dockerignore": "*.txt\n"}, None,
     "excluded by .dockerignore"),
    ("pip-missing", PIP, {"main.py": ""}, None, "requirements.txt is not in the build context"),
    ("pip-find-links", PIP.replace("-r requirements.txt", "-f ./wheels -r requirements.txt"),
     {"requirements.txt": "x\n"}, None, "reads a local directory"),
    ("npm-ci",
     "FROM node:20\nWORKDIR /srv\nCOPY --chown=node:node . .\nRUN npm ci\nRUN npm run build\n",
     {"package.json": json.dumps({"name": "a", "scripts": {"build": "tsc"}}), "package-lock.json": "{}",
      ".npmrc": "fund=false\n", "yarn.lock": ""},
     "FROM node:20\nWORKDIR /srv\nCOPY --chown=node:node package.json package-lock.json .npmrc ./\nRUN npm ci\n"
     "COPY --chown=node:node . .\nRUN npm run build\n", None),
    ("npm-lock-dockerignored",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm install\n",
     {"package.json": "{}", "package-lock.json": "{}", ".dockerignore": "package-lock.json\n"},
     "FROM node:20\nWORKDIR /srv\nCOPY package.json ./\nRUN npm install\nCOPY . .\n", None),
    ("npm-postinstall-reads-sources",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci\n",
     {"package.json": json.dumps({"scripts": {"postinstall": "node scripts/patch.js"}}), "package-lock.json": "{}"},
     None, "'postinstall' script"),
    ("npm-harmless-postinstall",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci\n",
     {"package.json": json.dumps({"scripts": {"postinstall": "echo done"}}), "package-lock.json": "{}"},
     "FROM node:20\nWORKDIR /srv\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n", None),
    ("npm-file-dependency",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci\n",
     {"package.json": json.dumps({"dependencies": {"util": "file:./libs/util"}})}, None, "is a local path"),
    ("npm-install-local-folder",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm install ./libs/util\n",
     {"package.json": "{}"}, None, "installs a local folder"),
    ("npm-workspaces",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci\n",
     {"package.json": json.dumps({"workspaces": ["packages/*"]})}, None, "workspaces"),
    ("npm-node-modules-in-context",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci\n",
     {"package.json": "{}", "node_modules/x/index.js": ""}, None, "node_modules in the build context"),
    ("npm-native-addon",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci\n",
     {"package.json": "{}", "binding.gyp": "{}"}, None, "binding.gyp"),
    ("yarn",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN yarn install --frozen-lockfile\n",
     {"package.json": "{}", "yarn.lock": ""},
     "FROM node:20\nWORKDIR /srv\nCOPY package.json yarn.lock ./\nRUN yarn install --frozen-lockfile\nCOPY . .\n",
     None),
    ("pnpm",
     "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN pnpm install --frozen-lockfile\n",
     {"package.json": "{}", "pnpm-lock.yaml": ""},
     "FROM node:20\nWORKDIR /srv\nCOPY package.json pnpm-lock.yaml ./\nRUN pnpm install --frozen-lockfile\n"
     "COPY . .\n", None),
    ("go",
     "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\nRUN go build -o /app .\n",
     {"go.mod": "module x\n", "go.sum": "", "main.go": ""},
     "FROM golang:1.22\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app .\n",
     None),
    ("go-replace-local",
     "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\n",
     {"go.mod": "module x\nreplace example.com/y => ./y\n"}, None, "replace"),
    ("maven",
     "FROM maven:3\nWORKDIR /build\nCOPY . .\nRUN mvn -B dependency:go-offline\nRUN mvn -B package\n",
     {"pom.xml": "<project/>", "src/main/java/A.java": ""},
     "FROM maven:3\nWORKDIR /build\nCOPY pom.xml ./\nRUN mvn -B dependency:go-offline\nCOPY . .\n"
     "RUN mvn -B package\n", None),
    ("maven-modules",
     "FROM maven:3\nWORKDIR /build\nCOPY . .\nRUN mvn dependency:go-offline\n",
     {"pom.xml": "<project><modules><module>a</module></modules></project>"}, None, "<modules>"),
    ("gradle",
     "FROM gradle:8\nWORKDIR /build\nCOPY . .\nRUN gradle dependencies\n",
     {"build.gradle.kts": "plugins {}\n", "settings.gradle.kts": "rootProject.name = \"x\"\n"},
     "FROM gradle:8\nWORKDIR /build\nCOPY build.gradle.kts settings.gradle.kts ./\nRUN gradle dependencies\n"
     "COPY . .\n", None),
    ("gradle-multiproject",
     "FROM gradle:8\nWORKDIR /build\nCOPY . .\nRUN gradle dependencies\n",
     {"build.gradle": "", "settings.gradle": "include ':app'\n"}, None, "includes other projects"),
    ("bundle",
     "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n",
     {"Gemfile": "source 'https://rubygems.org'\ngem 'rails'\n", "Gemfile.lock": ""},
     "FROM ruby:3.3\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCOPY . .\n", None),
    ("bundle-gemspec",
     "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n",
     {"Gemfile": "source 'https://rubygems.org'\ngemspec\n"}, None, "gemspec"),
    ("poetry-no-root",
     "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN poetry install --no-root\n",
     {"pyproject.toml": "[tool.poetry]\nname = \"x\"\n", "poetry.lock": ""},
     "FROM python:3.12\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\nRUN poetry install --no-root\nCOPY . .\n",
     None),
    ("poetry-installs-root",
     "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN poetry install\n",
     {"pyproject.toml": "[tool.poetry]\nname = \"x\"\n"}, None, "--no-root"),
    ("uv-sync",
     "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN uv sync --frozen --no-install-project\n",
     {"pyproject.toml": "[project]\nname = \"x\"\n[build-system]\nrequires = []\n", "uv.lock": ""},
     "FROM python:3.12\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-install-project\n"
     "COPY . .\n", None),
    ("uv-installs-project",
     "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN uv sync --frozen\n",
     {"pyproject.toml": "[project]\nname = \"x\"\n[build-system]\nrequires = []\n"}, None, "--no-install-project"),
    ("pipenv",
     "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pipenv install --system --deploy\n",
     {"Pipfile": "[packages]\nflask = \"*\"\n", "Pipfile.lock": "{}"},
     "FROM python:3.12\nWORKDIR /app\nCOPY Pipfile Pipfile.lock ./\nRUN pipenv install --system --deploy\nCOPY . .\n",
     None),
    ("cargo",
     "FROM rust:1\nWORKDIR /app\nCOPY . .\nRUN cargo fetch\n",
     {"Cargo.toml": "[package]\nname = \"x\"\n", "Cargo.lock": ""}, None, "cargo-chef"),
]


@pytest.mark.parametrize("name, dockerfile, files, expected, declined", ECOSYSTEMS, ids=[e[0] for e in ECOSYSTEMS])
def test_manifest_first(tmp_path, name, dockerfile, files, expected, declined):
    ctx = make_context(tmp_path / "ctx", files)
    result = reorder(dockerfile, ctx)
    if expected is None:
        assert result.text == dockerfile
        assert any(declined in m for m in messages(result, "declined")), messages(result, "declined")
    else:
        assert result.text == expected
        assert reorder(result.text, ctx).text == expected


def test_copy_to_absolute_dest_keeps_its_dir_and_flags(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    text = "FROM python:3.11\nCOPY --chown=1000:1000 --chmod=644 . /app\nWORKDIR /app\nRUN pip install -r requirements.txt\n"
    out = reorder(text, ctx).text
    assert out == ("FROM python:3.11\nCOPY --chown=1000:1000 --chmod=644 requirements.txt /app/\nWORKDIR /app\n"
                   "RUN pip install -r requirements.txt\nCOPY --chown=1000:1000 --chmod=644 . /app\n")


def test_add_dot_becomes_a_manifest_copy(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    out = reorder("FROM python:3.11\nWORKDIR /app\nADD . .\nRUN pip install -r requirements.txt\n", ctx).text
    assert out == "FROM python:3.11\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nADD . .\n"


def test_relative_dest_is_made_absolute_when_workdir_changes_in_between(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nWORKDIR /app\nRUN pip install -r requirements.txt\n"
    assert reorder(text, ctx).text == ("FROM python:3.11\nWORKDIR /app\nCOPY requirements.txt ./\nWORKDIR /app\n"
                                      "RUN pip install -r requirements.txt\nCOPY . .\n")
    moved = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nWORKDIR /app/sub\nRUN pip install -r ../requirements.txt\n"
    result = reorder(moved, ctx)
    assert "COPY . /app\n" in result.text or result.text == moved


def test_subdirectory_project(tmp_path):
    ctx = make_context(tmp_path, {"web/package.json": "{}", "web/package-lock.json": "{}"})
    text = "FROM node:20\nWORKDIR /srv\nCOPY . .\nWORKDIR /srv/web\nRUN npm ci\n"
    out = reorder(text, ctx).text
    assert out == ("FROM node:20\nWORKDIR /srv\nCOPY web/package.json web/package-lock.json ./web/\n"
                   "WORKDIR /srv/web\nRUN npm ci\nCOPY . /srv\n")


def test_steps_between_that_use_the_sources_move_after_the_full_copy(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n", "gen.txt": "x"})
    text = ("FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN test -s /app/gen.txt\nRUN pip install flask\n"
            "RUN pip install -r requirements.txt\nRUN python -m app\n")
    result = reorder(text, ctx)
    assert result.text == ("FROM python:3.11\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install flask\n"
                           "RUN pip install -r requirements.txt\nCOPY . .\nRUN test -s /app/gen.txt\n"
                           "RUN python -m app\n")
    assert any("after the full copy" in m for m in messages(result, "note"))
    # a step that writes a file: the graph says the install (which may read any file) depends on it
    writes = text.replace("RUN test -s /app/gen.txt", "RUN cat /app/gen.txt > /tmp/gen")
    result = reorder(writes, ctx)
    assert "COPY requirements.txt" not in result.text
    assert any("depends on it" in m for m in messages(result, "declined"))


def test_a_step_the_install_depends_on_blocks_the_rewrite(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN ./gen-requirements.sh\nRUN pip install -r requirements.txt\n"
    result = reorder(text, ctx)
    assert result.text == text
    assert any("depends on it" in m for m in messages(result, "declined"))


def test_the_install_run_must_not_use_sources_otherwise(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt && python setup.py build\n"
    result = reorder(text, ctx)
    assert result.text == text
    assert any("also runs a command" in m for m in messages(result, "declined"))
    ok = "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci && npm cache clean --force\n"
    ctx2 = make_context(tmp_path / "n", {"package.json": "{}"})
    assert reorder(ok, ctx2).text == ("FROM node:20\nWORKDIR /srv\nCOPY package.json ./\n"
                                      "RUN npm ci && npm cache clean --force\nCOPY . .\n")


def test_comments_stay_with_the_full_copy_and_blank_lines_with_the_manifests(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    text = ("FROM python:3.11\nWORKDIR /app\n\n# the app\n# hadolint ignore=DL3045\nCOPY . .\n"
            "RUN pip install -r requirements.txt\n")
    assert reorder(text, ctx).text == ("FROM python:3.11\nWORKDIR /app\n\nCOPY requirements.txt ./\n"
                                       "RUN pip install -r requirements.txt\n# the app\n# hadolint ignore=DL3045\n"
                                       "COPY . .\n")


def test_pinned_copy_or_install_is_left_alone(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n"})
    for text in ("FROM python:3.11\nWORKDIR /app\n# dopt: skip=reorder\nCOPY . .\nRUN pip install -r requirements.txt\n",
                 "FROM python:3.11\nWORKDIR /app\nCOPY . .\n# dopt: skip=reorder\nRUN pip install -r requirements.txt\n"):
        assert reorder(text, ctx).text == text


def test_two_installs_reach_a_fixed_point(tmp_path):
    ctx = make_context(tmp_path, {"requirements.txt": "flask\n", "requirements-dev.txt": "pytest\n"})
    text = ("FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
            "RUN pip install -r requirements-dev.txt\n")
    out = reorder(text, ctx).text
    assert out == ("FROM python:3.11\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\n"
                   "COPY requirements-dev.txt ./\nRUN pip install -r requirements-dev.txt\nCOPY . .\n")
    assert reorder(out, ctx).text == out


def test_dockerfile_specific_ignore_file_is_used(tmp_path):
    ctx = make_context(tmp_path, {"package.json": "{}", "package-lock.json": "{}"})
    (tmp_path / "api.Dockerfile.dockerignore").write_text("package-lock.json\n")
    text = "FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm install\n"
    out = reorder(text, ctx, path=str(tmp_path / "api.Dockerfile")).text
    assert out == "FROM node:20\nWORKDIR /srv\nCOPY package.json ./\nRUN npm install\nCOPY . .\n"


def test_bad_dockerignore_is_a_dopt_error(tmp_path):
    from dopt.errors import DoptError

    ctx = make_context(tmp_path, {"requirements.txt": "x\n", ".dockerignore": "[\n"})
    with pytest.raises(DoptError):
        reorder(PIP, ctx)


# --------------------------------------------------------------------------
# Fixtures and golden folders


@pytest.mark.parametrize("name, manifests", [("python_ml", "COPY requirements.txt ./"),
                                             ("nodejs_api", "COPY package.json package-lock.json ./")])
def test_fixture_becomes_manifest_first(name, manifests):
    folder = FIXTURES / name
    text = (folder / "Dockerfile").read_text()
    result = reorder(text, folder / "context")
    lines = result.text.splitlines()
    expected = (folder / "expected.Dockerfile").read_text()
    assert manifests in expected.splitlines()
    copy_m, copy_all = lines.index(manifests), lines.index("COPY . .")
    install = next(n for n, line in enumerate(lines) if line.startswith("RUN") and
                   ("-r requirements.txt" in line or "npm install" in line))
    assert copy_m < install < copy_all
    # everything after the full copy in the original still comes after it
    for line in ("RUN python -m app info", "RUN npm run build", "RUN node dist/cli.js version"):
        if line in lines:
            assert lines.index(line) > copy_all
    assert Counter(lines) - Counter(text.splitlines()) == Counter({manifests: 1})
    assert reorder(result.text, folder / "context").text == result.text


GOLDEN_DIRS = sorted(p for p in GOLDEN.glob("reorder-*") if p.is_dir())


def test_golden_folders_exist():
    assert len(GOLDEN_DIRS) >= 3


@pytest.mark.parametrize("folder", GOLDEN_DIRS, ids=lambda p: p.name)
def test_golden(folder):
    src = (folder / "input.Dockerfile").read_text(encoding="utf-8")
    expected = (folder / "expected.Dockerfile").read_text(encoding="utf-8")
    context = folder / "context" if (folder / "context").is_dir() else None
    assert reorder(src, context).text == expected
    assert reorder(expected, context).text == expected


# --------------------------------------------------------------------------
# Properties


LINES = [
    "RUN apt-get update && apt-get install -y curl", "RUN apt-get install -y gcc", "RUN pip install flask",
    "RUN npm ci", "COPY . /app", "COPY app.py /app/", "COPY requirements.txt /app/", "COPY package.json /srv/",
    "RUN make", "RUN mkdir -p /app/data", "RUN echo hi > /app/x", "RUN cat /app/x", "RUN rm -rf /tmp/build",
    "WORKDIR /app", "ENV A=1", "ENV PATH=/opt/venv/bin:$PATH", "LABEL x=y", "EXPOSE 80", "ARG V",
    "COPY --chown=app x /x", "RUN useradd app", "USER app", "CMD [\"a\"]", "RUN pip install -r requirements.txt",
    "COPY --from=build /out /usr/local/bin/", "RUN cd /app && npm ci", "VOLUME /data", "RUN go mod download",
]


def _key(ins):
    return (ins.source, ins.span.start_line if ins.span else None)


def _check_never_before_a_dependency(before_text: str, after_text: str, split_copy=None):
    before = parse_text(before_text)
    after = parse_text(after_text)
    graph = build_graph(before)
    for s, stage in enumerate(before.stages):
        texts_after = [print_instruction(i) for i in after.stages[s].instructions]
        new_positions: dict[int, int] = {}
        used: set[int] = set()
        for k, ins in enumerate(stage.instructions):
            text = print_instruction(ins)
            if split_copy is not None and k == split_copy:
                # the original COPY . . is now the manifest COPY at its place
                pos = next(p for p, t in enumerate(texts_after) if t.startswith("COPY") and p not in used
                           and t not in [print_instruction(x) for x in stage.instructions])
            else:
                pos = next(p for p, t in enumerate(texts_after) if t == text and p not in used)
            used.add(pos)
            new_positions[k] = pos
        for a, b in graph.edges():
            if a[0] == s and b[0] == s and a[1] > 0 and b[1] > 0:
                assert new_positions[a[1] - 1] < new_positions[b[1] - 1], (before_text, after_text, a, b)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=9))
def test_property_sort_respects_dependencies_is_idempotent_and_keeps_instructions(lines):
    text = "FROM build AS build\nFROM debian\n" + "\n".join(lines) + "\n"
    text = text.replace("FROM build AS build\n", "FROM alpine AS build\n")
    result = run_pipeline(parse_text(text), "reorder", settings={})
    assert Counter(result.text.splitlines()) == Counter(text.splitlines())
    _check_never_before_a_dependency(text, result.text)
    again = run_pipeline(parse_text(result.text), "reorder", settings={})
    assert again.text == result.text


BETWEEN = ["RUN pip install flask", "RUN apt-get install -y gcc", "RUN cat /app/notes.txt > /tmp/n",
           "RUN test -f /app/notes.txt",
           "RUN mkdir -p /app/data", "ENV A=1", "LABEL x=y", "RUN echo hi > /tmp/x", "RUN make"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(BETWEEN), max_size=4), st.lists(st.sampled_from(BETWEEN), max_size=3))
def test_property_manifest_first_modulo_the_split_copy(tmp_path_factory, between, after):
    ctx = make_context(tmp_path_factory.mktemp("ctx"), {"requirements.txt": "flask\n", "notes.txt": "n"})
    lines = ["WORKDIR /app", "COPY . .", *between, "RUN pip install -r requirements.txt", *after]
    text = "FROM python:3.11\n" + "\n".join(lines) + "\n"
    result = reorder(text, ctx)
    out_lines = result.text.splitlines()
    if "COPY requirements.txt ./" not in out_lines:
        assert messages(result, "declined")
        assert Counter(out_lines) == Counter(text.splitlines())
        _check_never_before_a_dependency(text, result.text)
    else:
        assert Counter(out_lines) - Counter(text.splitlines()) == Counter({"COPY requirements.txt ./": 1})
        assert out_lines.index("COPY requirements.txt ./") < out_lines.index("RUN pip install -r requirements.txt") \
            < out_lines.index("COPY . .")
        _check_never_before_a_dependency(text, result.text, split_copy=1)
    assert reorder(result.text, ctx).text == result.text
