"""dopt.analysis.platform: architecture-specific downloads (DO501) and bases without arm64 (DO502)."""

from __future__ import annotations

import doctest

import pytest

from dopt.analysis import platform as platform_module
from dopt.analysis.platform import architectures, platform_findings
from dopt.frontend import parse_text


def rules(text: str) -> list[tuple[str, int]]:
    return [(rule, span.start_line) for rule, _, span in platform_findings(parse_text(text))]


@pytest.mark.parametrize("line", [
    "RUN curl -fsSL https://github.com/a/b/releases/download/v1/b_Linux_x86_64.tar.gz | tar xz",
    "RUN wget -q https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubectl",
    "ADD https://nodejs.org/dist/v20.0.0/node-v20.0.0-linux-x64.tar.xz /opt/",
    "RUN dpkg --add-architecture amd64 && apt-get update && apt-get install -y libc6:amd64",
    "RUN apt-get install -y linux-headers-amd64",
    "RUN GOARCH=amd64 CGO_ENABLED=0 go build -o /app .",
])
def test_architecture_specific_downloads_and_packages(line):
    assert rules(f"FROM debian:bookworm\n{line}\n") == [("DO501", 2)]


@pytest.mark.parametrize("line", [
    "RUN curl -fsSLO https://dl.k8s.io/release/v1.30.0/bin/linux/${TARGETARCH}/kubectl",
    "RUN curl -fsSLO https://example.com/tool-$(dpkg --print-architecture).deb",
    "RUN apt-get install -y gcc-x86-64-linux-gnu",     # a cross compiler exists on arm64 hosts too
    "RUN GOARCH=$TARGETARCH go build -o /app .",
    "RUN echo amd64",                                   # not a download
])
def test_platform_neutral_lines_are_not_reported(line):
    assert rules(f"FROM debian:bookworm\nARG TARGETARCH\n{line}\n") == []


def test_bases_without_arm64_when_the_table_knows():
    text = ("FROM mcr.microsoft.com/mssql/server:2022-latest AS db\nFROM openjdk:8-jdk-alpine AS old\n"
            "FROM ghcr.io/acme/unknown:1 AS unknown\nFROM docker.io/library/python:3.11-slim\n")
    found = platform_findings(parse_text(text))
    assert [(r, s.start_line) for r, _, s in found] == [("DO502", 1), ("DO502", 2)]
    assert "eclipse-temurin" in found[1][1]          # the table's note says what to use instead


def test_an_explicit_amd64_platform_is_the_authors_choice():
    assert rules("FROM --platform=linux/amd64 mysql:5.7\n") == []
    assert rules("FROM mysql:5.7\n") == [("DO502", 1)]
    assert rules("FROM mysql:8.0\n") == []


def test_table_lookups():
    assert architectures("scratch", None) == ["*"]
    assert "arm64" in architectures("gcr.io/distroless/static-debian12", "nonroot")
    assert architectures("golang", "1.22-bookworm") and "arm64" in architectures("golang", "1.22-bookworm")
    assert architectures("example.com/thing", "1") is None


def test_every_image_split_and_lower_choose_has_arm64():
    # "never introduce a platform-specific base by accident": the runtimes split and lower pick are multi-arch
    from dopt import ecosystems
    from dopt.data import base_images

    picks = [ecosystems.ecosystem(e)[k] for e in ("go", "rust")
             for k in ("static_runtime", "static_runtime_no_distroless") if k in ecosystems.ecosystem(e)]
    picks += [ecosystems.debian_slim(c) for c in ("bullseye", "bookworm")]
    for ref in ("python:3.11", "node:20-bookworm", "eclipse-temurin:17-jdk-jammy", "debian:bookworm"):
        name, tag = ref.split(":")
        target = base_images.lower_reference(name, tag, "slim")
        picks.append(str(target))
    for ref in picks:
        name, _, tag = ref.partition(":")
        arches = architectures(name, tag or None)
        assert arches is not None and ("arm64" in arches or "*" in arches), ref


def test_module_doctests():
    assert doctest.testmod(platform_module).failed == 0
