"""BuildKit's variable model: expansion, word processing, ARG/ENV scopes, stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from dopt import ir
from dopt.frontend import parse_text
from dopt.variables import (WordError, expand, global_args, parse_image_ref, process_word,
                            process_words, resolve_stages, scope_at)

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("word, env, out", [
    ("$A", {"A": "1"}, "1"),
    ("${A}x", {"A": "1"}, "1x"),
    ("$UNSET", {}, ""),
    ("${A:-d}", {}, "d"), ("${A:-d}", {"A": ""}, "d"), ("${A:-d}", {"A": "v"}, "v"),
    ("${A-d}", {}, "d"), ("${A-d}", {"A": ""}, ""),
    ("${A:+x}", {"A": "v"}, "x"), ("${A:+x}", {"A": ""}, ""),
    ("${A+x}", {"A": ""}, "x"), ("${A+x}", {}, ""),
    ("${A:-${B:-inner}}", {}, "inner"),
    ("${A:-${B}}", {"B": "b"}, "b"),
    ("'$A'", {"A": "1"}, "$A"),
    ('"$A b"', {"A": "1"}, "1 b"),
    ("\\$A", {"A": "1"}, "$A"),
    ("a\\ b", {}, "a b"),
    ('"a\\"b"', {}, 'a"b'),
    ("$", {}, "$"),
    ("${A#*.}", {"A": "x.y.z"}, "y.z"), ("${A%.*}", {"A": "x.y.z"}, "x.y"),
])
def test_expand(word, env, out):
    assert expand(word, env) == out


@pytest.mark.parametrize("word, message", [
    ("'open", "matching single-quote"),
    ('"open', "matching double-quote"),
    ("${A", "missing '}'"),
    ("${}", "bad substitution"),
    ("${A?must}", "A: must"),
])
def test_expand_errors(word, message):
    with pytest.raises(WordError, match=message):
        expand(word, {})


def test_backtick_escape_and_words():
    assert process_word("a` b", escape="`") == "a b"
    assert process_words("a 'b c' $X", {"X": "d e"}) == ["a", "b c", "d", "e"]
    assert process_word("$KEEP and ${KEEP:-x}", skip_unset=True) == "$KEEP and ${KEEP:-x}"


def test_image_refs():
    r = parse_image_ref("docker.io/library/python:3.11@sha256:abc")
    assert (r.registry, r.repository, r.tag, r.digest) == ("docker.io", "library/python", "3.11", "sha256:abc")
    assert parse_image_ref("localhost/app").registry == "localhost"
    assert parse_image_ref("host:5000/app").tag is None
    assert parse_image_ref("ubuntu").tag is None and str(parse_image_ref("ubuntu")) == "ubuntu"


def test_B22_global_args_visible_only_to_from():
    df = parse_text((CASES / "B22.Dockerfile").read_text())
    assert global_args(df) == {"PY_VERSION": "3.11", "APP_PORT": "8000"}
    (stage,) = resolve_stages(df)
    assert stage.base == "python:3.11" and str(stage.image) == "python:3.11"
    assert scope_at(df, 0, 1) == {}  # the RUN sees neither ARG


def test_redeclared_arg_takes_global_default_and_env_wins():
    df = parse_text("ARG V=1\nFROM a:$V\nARG V\nARG W=${V}0\nENV V=env E=$W\nRUN x\n")
    assert scope_at(df, 0, 1) == {"V": "1"}
    assert scope_at(df, 0, 4) == {"V": "env", "W": "10", "E": "10"}
    assert scope_at(df, 0, 4, build_args={"V": "9"})["W"] == "90"


def test_env_is_inherited_from_parent_stage_but_arg_is_not():
    df = parse_text("FROM a AS base\nARG A=1\nENV E=2\nFROM base\nRUN x\n")
    assert scope_at(df, 1, 1) == {"E": "2"}


def test_B55_stage_name_shadows_image_case_insensitively():
    df = parse_text((CASES / "B55.Dockerfile").read_text())
    first, second = resolve_stages(df)
    assert first.parent_index is None and first.base == "node:20"
    assert second.parent_index == 0 and second.is_stage_ref
    df = parse_text("FROM node AS Alpine\nFROM ALPINE\n")
    assert resolve_stages(df)[1].parent_index == 0


def test_B49_numeric_from_and_external_images():
    df = parse_text((CASES / "B49.Dockerfile").read_text())
    assert resolve_stages(df)[1].copy_sources == ((0, 0),)
    df = parse_text("FROM a AS build\nFROM b\nCOPY --from=nginx:1.25 /x /y\nCOPY --from=BUILD /a /b\n")
    (i0, ext), (i1, stage) = resolve_stages(df)[1].copy_sources
    assert isinstance(ext, ir.ImageRef) and ext.repository == "nginx" and ext.tag == "1.25"
    assert stage == 0


def test_from_with_unresolved_variable_keeps_raw_text():
    df = parse_text("FROM $NOPE\n")
    (stage,) = resolve_stages(df)
    assert stage.image.raw == "$NOPE" and stage.base == ""
    # an undeclared build arg is not used by BuildKit
    assert resolve_stages(df, {"NOPE": "x:1"})[0].base == ""
