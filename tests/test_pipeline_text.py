"""Pipeline text: parse, print, re-read; errors with suggestions."""

import pytest

from dopt.pipeline import PassSpec, Pipeline, PipelineSyntaxError, Repeat, parse_pipeline

KNOWN = ["noop", "cleanup", "fuse", "lower", "reorder", "split"]


@pytest.mark.parametrize(
    "text, normalized",
    [
        ("fuse", "fuse"),
        ("fuse,split,reorder", "fuse,split,reorder"),
        (" fuse , cleanup ", "fuse,cleanup"),
        ("cleanup<mounts>", "cleanup<mounts>"),
        ("lower<variant=alpine;distroless>", "lower<variant=alpine;distroless>"),
        ("lower<variant = slim>", "lower<variant=slim>"),
        ("repeat<2>(fuse,cleanup)", "repeat<2>(fuse,cleanup)"),
        ("noop,repeat<3>(fuse,repeat<2>(cleanup<mounts>)),split", "noop,repeat<3>(fuse,repeat<2>(cleanup<mounts>)),split"),
        ("reorder<max-moves=3>", "reorder<max-moves=3>"),
        ("split<venv=/venv;builder=py-build>", "split<venv=/venv;builder=py-build>"),
        ("lower<variant=1.2.3:x@y>", "lower<variant=1.2.3:x@y>"),
        ("", ""),
    ],
)
def test_pipeline_text_round_trips(text, normalized):
    pipeline = parse_pipeline(text, known=KNOWN)
    assert str(pipeline) == normalized
    assert parse_pipeline(str(pipeline), known=KNOWN) == pipeline


def test_options_are_parsed_into_pairs():
    p = parse_pipeline("lower<variant=alpine;distroless>", known=KNOWN)
    assert p == Pipeline((PassSpec("lower", (("variant", "alpine"), ("distroless", True))),))


def test_repeat_structure():
    p = parse_pipeline("repeat<2>(fuse)", known=KNOWN)
    assert p.elements == (Repeat(2, Pipeline((PassSpec("fuse"),))),)
    assert p.flat_names() == ["fuse"]


def test_unknown_pass_suggests_the_closest_name():
    with pytest.raises(PipelineSyntaxError, match=r"unknown pass 'fsue'; did you mean 'fuse'\?"):
        parse_pipeline("fsue", known=KNOWN)


@pytest.mark.parametrize("bad", ["fuse,", ",fuse", "fuse<", "fuse<a=1", "repeat<x>(fuse)", "repeat<2>fuse",
                                 "fuse)", "fu$e", "fuse<;>", "/x", "fuse,/x"])
def test_malformed_pipelines_fail_with_a_usage_error(bad):
    with pytest.raises(PipelineSyntaxError) as info:
        parse_pipeline(bad, known=KNOWN)
    assert info.value.exit_code == 2


def test_without_drops_passes_everywhere():
    p = parse_pipeline("fuse,repeat<2>(split,cleanup),split", known=KNOWN)
    assert str(p.without(["split"])) == "fuse,repeat<2>(cleanup)"
