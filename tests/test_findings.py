"""Findings, rule by rule, in hadolint's style: "ok with ..." inputs must not raise the rule,
"not ok with ..." inputs must raise it at the given line (and column where it matters).

The shared edge cases are read from tests/cases/ (B07, B11, B14, B16, B46, B47, B50, B58).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dopt.analysis.findings import (RULES, Masker, analyze_dockerfile, analyze_file, is_secret_name,
                                    pragma_ignores)
from dopt.config import Config
from dopt.frontend import parse_text

CASES = Path(__file__).parent / "cases"


def findings(text: str, **kw):
    return analyze_dockerfile(parse_text(text), **kw)


def lines_of(text: str, rule: str, **kw) -> list[int]:
    return [f.line for f in findings(text, **kw) if f.rule == rule]


def case(name: str) -> str:
    return (CASES / f"{name}.Dockerfile").read_text(encoding="utf-8")


# (rule, description, Dockerfile, expected lines: [] means "ok with")
TABLE = [
    # -- DO101 / DO102 build tools ------------------------------------------------------------
    ("DO101", "not ok with gcc in a single stage",
     "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\n", [2]),
    ("DO101", "ok with gcc only in a builder stage",
     "FROM debian:bookworm AS build\nRUN apt-get install -y gcc && make\n"
     "FROM debian:bookworm-slim\nCOPY --from=build /out /out\n", []),
    ("DO102", "not ok with make in the final stage of a multi-stage build",
     "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM debian:bookworm-slim\n"
     "COPY --from=build /app /app\nRUN apt-get install -y make\n", [5]),
    ("DO102", "ok with a clean runtime stage",
     "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM debian:bookworm-slim\nCOPY --from=build /app /app\n", []),
    # -- DO103 layer order (B73) --------------------------------------------------------------
    ("DO103", "not ok with COPY . . before pip install -r",
     "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n", [3]),
    ("DO103", "ok with the manifest copied first",
     "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
     "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n", []),
    ("DO103", "ok with pip install . (it reads the whole tree, reordering cannot help)",
     "FROM python:3.11-slim\nCOPY . .\nRUN pip install --no-cache-dir .\n", []),
    ("DO103", "not ok with COPY . before npm ci",
     "FROM node:20-slim\nCOPY . /app\nRUN npm ci && npm cache clean --force\n", [2]),
    # -- DO105 base image ---------------------------------------------------------------------
    ("DO105", "not ok with the full python image at the end",
     "FROM python:3.12\nCMD [\"python\"]\n", [1]),
    ("DO105", "ok with the slim image", "FROM python:3.12-slim\nCMD [\"python\"]\n", []),
    ("DO105", "ok with a full builder and a slim runtime",
     "FROM python:3.12 AS b\nRUN true\nFROM python:3.12-slim\nCOPY --from=b /x /x\n", []),
    # -- DO201 apt lists (B58: cache mounts are exempt) ---------------------------------------
    ("DO201", "not ok with lists left behind",
     "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", [2]),
    ("DO201", "ok with the lists removed",
     "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl "
     "&& rm -rf /var/lib/apt/lists/*\n", []),
    ("DO201", "ok with /var/lib/apt as a cache mount (B58)", None, []),
    ("DO201", "ok in a builder stage (nothing of it ships)",
     "FROM debian:bookworm AS b\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
     "FROM scratch\nCOPY --from=b /usr/bin/curl /curl\n", []),
    # -- DO202 .. DO205 caches ----------------------------------------------------------------
    ("DO202", "not ok with apk add", "FROM alpine:3.19\nRUN apk add curl\n", [2]),
    ("DO202", "ok with apk add --no-cache", "FROM alpine:3.19\nRUN apk add --no-cache curl\n", []),
    ("DO203", "not ok with dnf install", "FROM fedora:40\nRUN dnf install -y gcc-c++\n", [2]),
    ("DO203", "ok with dnf clean all", "FROM fedora:40\nRUN dnf install -y curl && dnf clean all\n", []),
    ("DO204", "not ok with pip install", "FROM python:3.11-slim\nRUN pip install flask\n", [2]),
    ("DO204", "ok with --no-cache-dir", "FROM python:3.11-slim\nRUN pip install --no-cache-dir flask\n", []),
    ("DO204", "ok with PIP_NO_CACHE_DIR", "FROM python:3.11-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n", []),
    ("DO204", "ok with a pip cache mount",
     "FROM python:3.11-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n", []),
    ("DO205", "not ok with npm ci", "FROM node:20-slim\nRUN npm ci\n", [2]),
    ("DO205", "ok with npm cache clean", "FROM node:20-slim\nRUN npm ci && npm cache clean --force\n", []),
    ("DO205", "not ok with yarn install", "FROM node:20-slim\nRUN yarn install --frozen-lockfile\n", [2]),
    # -- DO206 / DO207 / DO208 apt hygiene ----------------------------------------------------
    ("DO206", "not ok with update alone",
     "FROM debian:bookworm-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n", [2]),
    ("DO206", "ok with update and install together",
     "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", []),
    ("DO207", "not ok without --no-install-recommends",
     "FROM debian:bookworm-slim\nRUN apt-get install -y curl\n", [2]),
    ("DO207", "ok with --no-install-recommends",
     "FROM debian:bookworm-slim\nRUN apt-get install -y --no-install-recommends curl\n", []),
    ("DO208", "not ok with an unpinned package",
     "FROM debian:bookworm-slim\nRUN apt-get install -y --no-install-recommends curl\n", [2]),
    ("DO208", "ok with pinned packages",
     "FROM debian:bookworm-slim\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10\n", []),
    # -- DO301 / DO302 tags -------------------------------------------------------------------
    ("DO301", "not ok without a tag", "FROM ubuntu\n", [1]),
    ("DO301", "ok with a digest", "FROM ubuntu@sha256:" + "a" * 64 + "\n", []),
    ("DO301", "ok with scratch", "FROM scratch\n", []),
    ("DO301", "ok with a stage reference", "FROM alpine:3.19 AS base\nFROM base\n", []),
    ("DO302", "not ok with latest", "FROM ubuntu:latest\n", [1]),
    ("DO302", "ok with a version", "FROM ubuntu:24.04\n", []),
    # -- DO303 / DO304 CMD form (B14) ---------------------------------------------------------
    ("DO303", "not ok with shell-form CMD", "FROM alpine:3.19\nCMD python app.py\n", [2]),
    ("DO303", "not ok with shell-form ENTRYPOINT", "FROM alpine:3.19\nENTRYPOINT ./run.sh\n", [2]),
    ("DO303", "ok with exec form", "FROM alpine:3.19\nCMD [\"python\", \"app.py\"]\n", []),
    ("DO304", "not ok with single-quoted exec form (B14)", None, [2]),
    # -- DO305 root ---------------------------------------------------------------------------
    ("DO305", "not ok with USER root last", "FROM alpine:3.19\nUSER app\nUSER root\n", [3]),
    ("DO305", "ok with a non-root last USER", "FROM alpine:3.19\nUSER root\nRUN true\nUSER 1000\n", []),
    ("DO305", "ok with USER in a parent stage", "FROM alpine:3.19 AS base\nUSER app\nFROM base\nRUN true\n", []),
    # -- DO306 secrets ------------------------------------------------------------------------
    ("DO306", "not ok with a password ARG", "FROM alpine:3.19\nARG DB_PASSWORD=hunter2\n", [2]),
    ("DO306", "not ok with a token ENV", "FROM alpine:3.19\nENV GITHUB_TOKEN=ghp_abc\n", [2]),
    ("DO306", "ok with a token file path", "FROM alpine:3.19\nENV TOKEN_FILE=/run/secrets/t\n", []),
    # -- DO307 .. DO311 -----------------------------------------------------------------------
    ("DO307", "not ok with ADD of a local file", "FROM alpine:3.19\nADD app.py /app/\n", [2]),
    ("DO307", "ok with ADD of an archive", "FROM alpine:3.19\nADD rootfs.tar.gz /\n", []),
    ("DO307", "ok with ADD of a URL", "FROM alpine:3.19\nADD https://example.com/x /x\n", []),
    ("DO308", "not ok with MAINTAINER", "FROM alpine:3.19\nMAINTAINER me@example.com\n", [2]),
    ("DO309", "not ok with a relative WORKDIR", "FROM alpine:3.19\nWORKDIR app\n", [2]),
    ("DO309", "ok with a quoted absolute WORKDIR", "FROM alpine:3.19\nWORKDIR \"/app\"\n", []),
    ("DO309", "ok with a variable WORKDIR", "FROM alpine:3.19\nWORKDIR $HOME/app\n", []),
    ("DO310", "not ok with consecutive RUNs across a comment (B47)", None, [4]),
    ("DO310", "ok with RUNs of different mounts",
     "FROM alpine:3.19\nRUN --mount=type=cache,target=/c a\nRUN b\n", []),
    ("DO310", "ok under a non-POSIX SHELL (B50)", None, []),
    ("DO311", "not ok with FROM ... as", "FROM alpine:3.19 as build\n", [1]),
    ("DO311", "ok with FROM ... AS", "FROM alpine:3.19 AS build\n", []),
    # -- DO4xx --------------------------------------------------------------------------------
    ("DO401", "not ok with a lone quote in JSON VOLUME (B16)", None, [2]),
    ("DO401", "ok with a balanced JSON VOLUME", "FROM alpine:3.19\nVOLUME [\"/data\"]\n", []),
    ("DO402", "not ok with # escape= after a comment (B07)", None, [2]),
    ("DO403", "not ok with a trailing # on ARG (B11)",
     "ARG TARGET_ARCH=x86_64 # allowed: x86_64, aarch64\nFROM alpine:3.19\nENV LEVEL=#info\n", [1]),
    ("DO403", "not ok with a trailing # on legacy ENV", "FROM alpine:3.19\nENV MODE prod # or dev\n", [2]),
    ("DO403", "ok with ENV LEVEL=#info (a value, B11)", "FROM alpine:3.19\nENV LEVEL=#info\n", []),
    ("DO404", "not ok with an empty continuation line",
     "FROM alpine:3.19\nRUN echo one \\\n\n    two\n", [2]),
    # -- DO5xx --------------------------------------------------------------------------------
    ("DO501", "not ok with an amd64 download",
     "FROM debian:bookworm\nRUN curl -fsSLo /usr/local/bin/jq https://x.io/jq-linux-amd64\n", [2]),
    ("DO501", "ok with $TARGETARCH in the URL",
     "FROM debian:bookworm\nARG TARGETARCH\nRUN curl -fsSLo /jq https://x.io/jq-linux-$TARGETARCH\n", []),
    ("DO502", "not ok with a base that has no arm64 image", "FROM mysql:5.7\n", [1]),
    ("DO502", "ok with a multi-arch base", "FROM debian:bookworm\n", []),
]

CASE_INPUTS = {
    ("DO201", "ok with /var/lib/apt as a cache mount (B58)"): "B58",
    ("DO304", "not ok with single-quoted exec form (B14)"): "B14",
    ("DO310", "not ok with consecutive RUNs across a comment (B47)"): "B47",
    ("DO310", "ok under a non-POSIX SHELL (B50)"): "B50",
    ("DO401", "not ok with a lone quote in JSON VOLUME (B16)"): "B16",
    ("DO402", "not ok with # escape= after a comment (B07)"): "B07",
}


@pytest.mark.parametrize("rule,description,text,expected", TABLE, ids=[f"{r}-{d}" for r, d, _, _ in TABLE])
def test_rule_table(rule, description, text, expected):
    if text is None:
        text = case(CASE_INPUTS[(rule, description)])
    assert rule in RULES
    assert lines_of(text, rule) == expected, description


def test_every_rule_has_a_table_case():
    static = {r.id for r in RULES.values() if not r.needs_build and r.id not in ("DO000", "DO400", "DO405")}
    covered = {row[0] for row in TABLE}
    assert static - covered == set()


def test_rule_headers_are_complete():
    for r in RULES.values():
        assert r.id.startswith("DO") and len(r.id) == 5
        assert r.severity in ("error", "warning", "info", "style")
        assert r.title and r.help.endswith((".", ")"))
        if r.fixed_by:
            from passes import PASS_MODULES

            assert r.fixed_by.split("<")[0] in set(PASS_MODULES) | {"split", "reorder"}


def test_requested_hadolint_and_buildkit_equivalents_are_mapped():
    hadolint = {c for r in RULES.values() for c in r.hadolint}
    buildkit = {c for r in RULES.values() for c in r.buildkit}
    assert {"DL3008", "DL3009", "DL3015", "DL3042", "DL3059", "DL3006", "DL3007", "DL3025", "DL3002",
            "DL4000", "DL3020", "DL3000"} <= hadolint
    assert {"JSONArgsRecommended", "MaintainerDeprecated", "WorkdirRelativePath", "SecretsUsedInArgOrEnv",
            "FromAsCasing", "NoEmptyContinuation"} <= buildkit


# -- exact spans -------------------------------------------------------------------------------

def test_command_inside_a_long_run_is_located_on_its_physical_line():
    text = ("FROM debian:bookworm\n"
            "RUN set -eux; \\\n"
            "    # fetch the lists\n"
            "    apt-get update; \\\n"
            "\n"
            "    apt-get install -y \\\n"
            "        curl; \\\n"
            "    pip install flask\n")
    by_rule = {f.rule: f for f in findings(text)}
    # the lists come from `apt-get update` (line 4); the install spans lines 6-7
    assert (by_rule["DO201"].line, by_rule["DO201"].column) == (4, 5)
    assert (by_rule["DO207"].line, by_rule["DO207"].column, by_rule["DO207"].end_line) == (6, 5, 7)
    assert (by_rule["DO204"].line, by_rule["DO204"].column) == (8, 5)
    assert by_rule["DO207"].snippet == "    apt-get install -y \\"


def test_location_with_backtick_escape_and_crlf():
    text = "# escape=`\r\nFROM debian:bookworm\r\nRUN echo a `\r\n && apt-get install -y curl\r\n"
    f = next(f for f in findings(text) if f.rule == "DO207")
    assert (f.line, f.column) == (4, 5)


def test_location_inside_a_heredoc_body():
    text = "FROM debian:bookworm\nRUN <<EOF\nset -e\napt-get install -y curl\nEOF\n"
    f = next(f for f in findings(text) if f.rule == "DO207")
    assert (f.line, f.column) == (4, 1)


def test_located_under_flags():
    text = "FROM python:3.11-slim\nRUN --mount=type=bind,source=.,target=/src pip install flask\n"
    f = next(f for f in findings(text) if f.rule == "DO204")
    assert (f.line, f.column) == (2, 44)


# -- pragmas -----------------------------------------------------------------------------------

def test_hadolint_pragma_on_the_next_instruction_is_honoured_b46():
    text = case("B46")
    rules = {f.rule for f in findings(text)}
    assert "DO208" not in rules  # `# hadolint ignore=DL3008` above the RUN
    assert "DO201" in rules      # DL3009 was not ignored


def test_dopt_pragmas_next_and_global():
    text = ("# dopt global ignore=DO305\nFROM alpine:3.19\n# dopt ignore=DO202\nRUN apk add curl\n"
            "RUN apk add jq\n")
    got = [(f.rule, f.line) for f in findings(text)]
    assert ("DO202", 4) not in got and ("DO202", 5) in got
    assert not any(r == "DO305" for r, _ in got)


def test_pragma_parsing_maps_hadolint_codes():
    df = parse_text("FROM a:1\n# hadolint ignore=DL3015,DL3059\nRUN x\n# hadolint global ignore=DL3002\n"
                    "RUN y\n")
    global_ids, by_line = pragma_ignores(df)
    assert global_ids == {"DO305"}
    assert by_line[3] == {"DO207", "DO310"}


# -- config application ------------------------------------------------------------------------

def test_config_ignore_and_severity_override():
    text = "FROM alpine:3.19\nRUN apk add curl\nRUN true\n"
    cfg = Config(ignore=frozenset({"DO305"}), severity={"DO310": "error"})
    got = {f.rule: f.severity for f in findings(text, config=cfg)}
    assert "DO305" not in got and got["DO310"] == "error" and got["DO202"] == "warning"


def test_project_base_image_table_entry():
    cfg = Config(base_images={"registry.acme.io/python:*": {"to": "registry.acme.io/python:3.11-slim",
                                                             "savings_mb": 300.0}})
    f = next(f for f in findings("FROM registry.acme.io/python:3.11\n", config=cfg) if f.rule == "DO105")
    assert f.savings_mb == 300.0 and "registry.acme.io/python:3.11-slim" in f.message


# -- B50, B58, B11 specifics -------------------------------------------------------------------

def test_no_posix_rules_under_powershell_b50():
    text = "FROM mcr.example/pwsh:lts\nSHELL [\"pwsh\", \"-Command\"]\nRUN apt-get install -y curl\n"
    assert not {f.rule for f in findings(text)} & {"DO201", "DO207", "DO208", "DO310"}


def test_no_cache_finding_for_mounted_paths_b58():
    assert not {f.rule for f in findings(case("B58"))} & {"DO201", "DO204"}


def test_b11_from_is_a_located_syntax_error(tmp_path):
    result = analyze_file(str(CASES / "B11.Dockerfile"))
    assert result.exit_code == 2
    assert result.error["line"] == 2 and result.error["rule"] == "DO400"
    assert [f.rule for f in result.findings] == ["DO400"]


# -- savings -----------------------------------------------------------------------------------

def test_savings_are_estimates_with_a_basis():
    text = "FROM python:3.12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    by_rule = {f.rule: f for f in findings(text)}
    assert by_rule["DO105"].savings_mb == pytest.approx(335.0)
    assert "base-image table" in by_rule["DO105"].savings_basis
    assert by_rule["DO201"].savings_mb > 0 and "heuristic" in by_rule["DO201"].savings_basis


# -- secrets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name,secret", [("DB_PASSWORD", True), ("API_KEY", True), ("AWS_SECRET_ACCESS_KEY", True),
                                         ("npm_token", True), ("SECRET", True), ("KEYBOARD_LAYOUT", False),
                                         ("PASSWORD_FILE", False), ("PUBLIC_KEY", False), ("TOKEN_URL", False)])
def test_secret_names(name, secret):
    assert is_secret_name(name) is secret


def test_secret_values_never_reach_findings():
    text = "FROM alpine:3.19\nARG API_TOKEN=tok-9f8e7d\nENV DB_PASSWORD \"pa ss\"\nRUN echo tok-9f8e7d\n"
    for f in findings(text):
        assert "tok-9f8e7d" not in f.message + f.snippet
        assert "pa ss" not in f.message + f.snippet


def test_masker_masks_keyed_and_literal_values():
    m = Masker({"TOKEN": "abc", "PIN": "7"})
    assert m.mask('ENV TOKEN="abc" PIN=7') == "ENV TOKEN=**** PIN=****"
    assert m.mask("curl -u me:abc https://x", keyed=False) == "curl -u me:**** https://x"


def test_optimization_guide_lists_every_rule():
    guide = (Path(__file__).parent.parent / "docs" / "OPTIMIZATION_GUIDE.md").read_text()
    for r in RULES.values():
        row = next((l for l in guide.splitlines() if l.startswith(f"| {r.id} |")), None)
        assert row is not None, r.id
        assert f"| {r.severity} |" in row
        for code in r.hadolint + r.buildkit:
            assert code in row, (r.id, code)
