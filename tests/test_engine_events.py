"""The progress parsers on output recorded from this project's engine (tests/data/buildkit/).

The recordings come from ``tests/data/buildkit/record.sh``: Debian's docker 20.10
(embedded BuildKit, ``--progress=plain``) and the classic builder, each building
``small`` and ``multistage`` cold then warm, plus a failing build and a heredoc.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dopt.engine.events import BuildEvent, BuildKitParser, ClassicParser, parse_buildkit, parse_classic

DATA = Path(__file__).parent / "data" / "buildkit"
SMALL_STEPS = ["FROM docker.io/library/debian:bookworm-slim", "RUN echo building && sleep 1",
               "COPY greeting.txt /greeting.txt", "RUN cat /greeting.txt"]


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def steps(events: list[BuildEvent]) -> list[BuildEvent]:
    return [e for e in events if e.is_step]


# ------------------------------------------------------------ BuildKit

def test_buildkit_cold_build_has_every_step_uncached_with_durations():
    events = parse_buildkit(recorded("buildkit-small-cold.txt"))
    got = steps(events)
    assert [e.instruction for e in got] == SMALL_STEPS
    assert [(e.step, e.total) for e in got] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert not any(e.cached for e in got)
    assert [e.duration_s for e in got] == [0.0, 1.3, 0.0, 0.3]
    assert all(e.stage is None and e.error is None for e in got)


def test_buildkit_internal_vertices_are_events_without_a_step():
    internal = [e for e in parse_buildkit(recorded("buildkit-small-cold.txt")) if not e.is_step]
    assert [e.instruction for e in internal] == [
        "[internal] load build definition from Dockerfile", "[internal] load .dockerignore",
        "[internal] load metadata for docker.io/library/debian:bookworm-slim",
        "[internal] load build context", "exporting to image"]
    assert all(e.step is None and e.total is None for e in internal)


def test_buildkit_events_keep_vertex_order_not_print_order():
    # Vertex #6 (build context) is printed before #5 in the recording.
    vertices = [e.vertex for e in parse_buildkit(recorded("buildkit-small-cold.txt"))]
    assert vertices == sorted(vertices) == list(range(1, 10))


def test_buildkit_warm_build_hits_the_cache_for_every_run_and_copy():
    got = steps(parse_buildkit(recorded("buildkit-small-warm.txt")))
    assert [e.instruction for e in got] == SMALL_STEPS
    assert [e.cached for e in got] == [False, True, True, True]  # FROM is resolved, not cached
    assert all(e.duration_s == 0.0 for e in got[1:])


def test_buildkit_multistage_names_stages_as_buildkit_does():
    cold = steps(parse_buildkit(recorded("buildkit-multistage-cold.txt")))
    assert [(e.stage, e.step, e.total, e.instruction.split()[0]) for e in cold] == [
        ("builder", 1, 2, "FROM"), ("builder", 2, 2, "RUN"), ("stage-1", 2, 2, "COPY")]
    warm = steps(parse_buildkit(recorded("buildkit-multistage-warm.txt")))
    assert [e.cached for e in warm] == [False, True, True]


def test_buildkit_failure_is_attached_to_the_failing_step():
    parser = BuildKitParser()
    for line in recorded("buildkit-failing.txt").splitlines():
        parser.feed(line)
    got = steps(parser.events())
    failing = [e for e in got if e.error]
    assert [e.instruction for e in failing] == ["RUN echo about to fail && exit 3"]
    assert failing[0].error == "executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3"
    assert failing[0].duration_s is None
    assert got[-1] == failing[0]  # step 4 never started
    assert parser.errors[-1] == "executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3"


def test_buildkit_frontend_errors_outside_any_vertex_are_collected():
    parser = BuildKitParser()
    for line in recorded("buildkit-heredoc.txt").splitlines():
        parser.feed(line)
    assert steps(parser.events()) == []
    assert len(parser.errors) == 1
    assert "dockerfile parse error line 3: unknown instruction: OK" in parser.errors[0]


def test_buildkit_feed_reports_each_vertex_once_as_it_finishes():
    parser = BuildKitParser()
    streamed = []
    for line in recorded("buildkit-small-cold.txt").splitlines():
        streamed.extend(parser.feed(line))
    assert streamed == sorted(parser.events(), key=lambda e: [e2.vertex for e2 in streamed].index(e.vertex))
    assert len({e.vertex for e in streamed}) == len(streamed) == 9


def test_buildkit_repeated_titles_from_interleaved_vertices_are_absorbed():
    lines = ["#5 [2/3] RUN make", "#6 [3/3] COPY . .", "#5 [2/3] RUN make", "#5 12.0 compiling",
             "#6 DONE 0.1s", "#5 DONE 12.5s"]
    parser = BuildKitParser()
    done = [e for line in lines for e in parser.feed(line)]
    assert [(e.vertex, e.duration_s) for e in done] == [(6, 0.1), (5, 12.5)]
    assert [e.instruction for e in parser.events()] == ["RUN make", "COPY . ."]


def test_buildkit_newer_error_and_cancel_lines():
    lines = ["#7 [builder 3/5] RUN go build ./...", "#8 [stage-1 2/2] COPY x y",
             '#7 ERROR: process "/bin/sh -c go build ./..." did not complete successfully: exit code: 1',
             "#8 CANCELED",
             'ERROR: failed to solve: process "/bin/sh -c go build ./..." did not complete successfully: exit code: 1']
    parser = BuildKitParser()
    for line in lines:
        parser.feed(line)
    build_step, copy = parser.events()
    assert build_step.stage == "builder" and build_step.error.startswith('process "/bin/sh -c go build')
    assert copy.error == "canceled" and copy.duration_s is None
    assert parser.errors[-1].startswith("ERROR: failed to solve")


# ------------------------------------------------------------ classic builder

def test_classic_cold_build_has_every_step_uncached():
    got = parse_classic(recorded("classic-small-cold.txt"))
    assert [e.instruction for e in got] == [
        "FROM debian:bookworm-slim", "RUN echo building && sleep 1", "COPY greeting.txt /greeting.txt",
        "RUN cat /greeting.txt", 'CMD ["cat", "/greeting.txt"]']
    assert [(e.vertex, e.step, e.total) for e in got] == [(i, i, 5) for i in range(1, 6)]
    assert not any(e.cached for e in got)
    assert all(e.duration_s is None for e in got)  # no timestamps in a recording


def test_classic_warm_build_reports_using_cache():
    got = parse_classic(recorded("classic-small-warm.txt"))
    assert [e.cached for e in got] == [False, True, True, True, True]


def test_classic_multistage_stages_follow_from_lines():
    got = parse_classic(recorded("classic-multistage-cold.txt"))
    assert [(e.stage, e.step) for e in got] == [
        ("builder", 1), ("builder", 2), ("stage-1", 3), ("stage-1", 4), ("stage-1", 5)]
    warm = parse_classic(recorded("classic-multistage-warm.txt"))
    assert [e.cached for e in warm] == [False, True, False, True, True]


def test_classic_failure_is_attached_to_the_failing_step():
    got = parse_classic(recorded("classic-failing.txt"))
    assert [e.step for e in got] == [1, 2, 3]
    assert got[-1].error == "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"
    assert [e.error for e in got[:2]] == [None, None]


def test_classic_streaming_times_each_step_until_the_next():
    parser = ClassicParser()
    done = []
    for t, line in [(0.0, "Step 1/3 : FROM debian:bookworm-slim"), (0.1, " ---> e149812e6a8e"),
                    (0.2, "Step 2/3 : RUN sleep 2"), (2.4, "Step 3/3 : CMD [\"x\"]"),
                    (2.5, " ---> Using cache")]:
        done += parser.feed(line, t)
    done += parser.finish(2.6)
    assert [(e.step, e.duration_s, e.cached) for e in done] == [(1, 0.2, False), (2, 2.2, False), (3, 0.2, True)]
    assert parser.finish(3.0) == []  # already closed


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.txt")))
def test_every_recording_parses_with_the_matching_parser(name):
    parse = parse_buildkit if name.startswith("buildkit-") else parse_classic
    events = parse(recorded(name))
    if "heredoc" not in name:
        assert steps(events), name
    assert all(isinstance(e, BuildEvent) for e in events)


def test_padded_step_numbers_are_steps():
    """BuildKit pads step numbers in stages of 10 or more steps; those are still Dockerfile steps."""
    from dopt.engine.events import BuildKitParser

    parser = BuildKitParser()
    for line in ["#5 [ 8/10] RUN make", "#5 DONE 1.5s", "#6 [builder  2/12] COPY . .", "#6 CACHED"]:
        parser.feed(line)
    steps = [e for e in parser.events() if e.is_step]
    assert [(e.stage, e.step, e.total, e.instruction, e.cached) for e in steps] == [
        (None, 8, 10, "RUN make", False), ("builder", 2, 12, "COPY . .", True)]
