"""Build progress as events: BuildKit ``--progress=plain`` and classic-builder output.

Both builders' text becomes the same :class:`BuildEvent` list, one event per
BuildKit vertex (or classic ``Step``), in the order the vertices first appear.

BuildKit plain output interleaves vertices by number::

    #5 [2/3] RUN echo hi          <- title: stage (optional), step/total, instruction
    #5 0.312 hi                   <- output, prefixed by seconds since the vertex started
    #5 DONE 0.6s                  <- or "#5 CACHED", or "#5 ERROR: <reason>"

Classic output is sequential::

    Step 2/3 : RUN echo hi
     ---> Using cache             <- cached
     ---> 5d2b1c0a9f3e

The classic builder numbers steps across the whole file (``Step 5/9``) where
BuildKit numbers them per stage (``[builder 2/4]``); events keep what the
builder said. Classic output has no timings; the streaming parser measures
them from the times it is fed lines at, when given.

This module is pure text processing (no Docker import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

__all__ = ["BuildEvent", "BuildKitParser", "ClassicParser", "parse_buildkit", "parse_classic"]


@dataclass(frozen=True)
class BuildEvent:
    """One build step as the builder reported it.

    ``stage``/``step``/``total`` are ``None`` for BuildKit's internal vertices
    (``[internal] load build definition``, ``exporting to image``); ``instruction``
    then holds the vertex name. ``duration_s`` is 0.0 for cached steps and ``None``
    when unknown (the build stopped before the step finished).
    """

    vertex: int
    stage: str | None
    step: int | None
    total: int | None
    instruction: str
    cached: bool = False
    duration_s: float | None = None
    error: str | None = None

    @property
    def is_step(self) -> bool:
        """True for Dockerfile instructions, False for internal vertices."""
        return self.step is not None


# "#12 [builder 2/4] RUN make" / "#3 [2/3] COPY . ." / "#1 [internal] load ..."
_BK_LINE = re.compile(r"^#(?P<vertex>\d+) (?P<rest>.*)$")
# BuildKit pads the step number when a stage has 10 or more steps: "[ 8/10]", "[builder  2/12]".
_BK_STEP = re.compile(r"^\[(?:(?P<stage>[^\]\s]+) +)?\s*(?P<step>\d+)/(?P<total>\d+)\] (?P<instr>.*)$")
_BK_DONE = re.compile(r"^DONE (?P<secs>\d+(?:\.\d+)?)s$")
_BK_FINAL_ERROR = re.compile(r"^(ERROR:|error:|failed to |executor failed )", re.I)


@dataclass
class _Vertex:
    vertex: int
    title: str
    cached: bool = False
    duration_s: float | None = None
    error: str | None = None

    def event(self) -> BuildEvent:
        m = _BK_STEP.match(self.title)
        if m:
            stage, step, total, instr = m["stage"], int(m["step"]), int(m["total"]), m["instr"]
        else:
            stage, step, total, instr = None, None, None, self.title
        return BuildEvent(self.vertex, stage, step, total, instr.strip(), self.cached,
                          0.0 if self.cached and self.duration_s is None else self.duration_s,
                          self.error)


@dataclass
class BuildKitParser:
    """Incremental parser for ``--progress=plain`` output.

    ``feed(line)`` returns the events that line completed (a vertex reached
    DONE, CACHED or ERROR), so a caller can show progress as it happens;
    ``events()`` gives every vertex seen so far, finished or not.

    >>> p = BuildKitParser()
    >>> p.feed("#5 [2/3] RUN echo hi")
    []
    >>> p.feed("#5 DONE 0.6s")
    [BuildEvent(vertex=5, stage=None, step=2, total=3, instruction='RUN echo hi', cached=False, duration_s=0.6, error=None)]
    """

    _vertices: dict[int, _Vertex] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def feed(self, line: str) -> list[BuildEvent]:
        line = line.rstrip("\r\n")
        m = _BK_LINE.match(line)
        if not m:
            # The build's own verdict comes last, outside any vertex: "failed to
            # solve ...", "ERROR: failed to solve: ...", "executor failed running ...".
            if _BK_FINAL_ERROR.match(line):
                self.errors.append(line.strip())
            return []
        n, rest = int(m["vertex"]), m["rest"].strip()
        v = self._vertices.get(n)
        if v is None:
            # The first line of a vertex is its title; BuildKit repeats it when
            # it switches back to the vertex, which the lookup above absorbs.
            self._vertices[n] = _Vertex(n, rest)
            return []
        if rest == v.title:
            return []
        if rest == "CACHED":
            v.cached = True
            return [v.event()]
        done = _BK_DONE.match(rest)
        if done:
            v.duration_s = float(done["secs"])
            return [v.event()]
        if rest.startswith("ERROR"):
            v.error = rest.partition(":")[2].strip() or rest
            self.errors.append(v.error)
            return [v.event()]
        if rest == "CANCELED":
            v.error = v.error or "canceled"
            return [v.event()]
        return []

    def events(self) -> list[BuildEvent]:
        return [self._vertices[n].event() for n in sorted(self._vertices)]


@dataclass
class ClassicParser:
    """Incremental parser for classic-builder output (the API's ``/build`` stream).

    ``feed(line, t)`` takes an optional monotonic time so the parser can time
    steps (the classic builder prints no durations): a step lasts until the
    next one starts or the build ends (``finish(t)``).

    >>> p = ClassicParser()
    >>> p.feed("Step 1/2 : FROM debian:bookworm-slim", t=0.0)
    []
    >>> p.feed("Step 2/2 : RUN true", t=0.5)[0].duration_s
    0.5
    """

    _events: list[BuildEvent] = field(default_factory=list)
    _started: float | None = None
    _open: bool = False
    _stage: str | None = None
    _stage_index: int = -1
    errors: list[str] = field(default_factory=list)

    _STEP = re.compile(r"^Step (?P<step>\d+)/(?P<total>\d+) : (?P<instr>.*)$")
    _FROM = re.compile(r"^FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(?P<name>\S+))?\s*$", re.I)

    def feed(self, line: str, t: float | None = None) -> list[BuildEvent]:
        line = line.rstrip("\r\n")
        m = self._STEP.match(line)
        if m:
            finished = self._close(t)
            instr = m["instr"].strip()
            f = self._FROM.match(instr)
            if f:
                self._stage_index += 1
                self._stage = f["name"] or (f"stage-{self._stage_index}" if self._stage_index else None)
            step = int(m["step"])
            self._events.append(BuildEvent(step, self._stage, step, int(m["total"]), instr))
            self._started, self._open = t, True
            return finished
        if not self._events:
            return []
        if line.strip() == "---> Using cache":
            self._events[-1] = replace(self._events[-1], cached=True)
        elif line.startswith(("The command ", "ERROR", "error", "COPY failed", "ADD failed")) or \
                "returned a non-zero code" in line:
            self.error(line.strip())
        return []

    def error(self, message: str) -> None:
        """Attach a builder error (from the stream's ``error`` field) to the current step."""
        self.errors.append(message)
        if self._events and self._events[-1].error is None:
            self._events[-1] = replace(self._events[-1], error=message)

    def finish(self, t: float | None = None) -> list[BuildEvent]:
        """End of the build: time the last step; returns it if that completed it."""
        return self._close(t)

    def _close(self, t: float | None) -> list[BuildEvent]:
        if not self._open:
            return []
        self._open = False
        last = self._events[-1]
        if self._started is not None and t is not None:
            last = replace(last, duration_s=round(max(t - self._started, 0.0), 3))
            self._events[-1] = last
        return [last]

    def events(self) -> list[BuildEvent]:
        return list(self._events)


def parse_buildkit(text: str) -> list[BuildEvent]:
    """Events of a whole ``--progress=plain`` log.

    >>> [e.cached for e in parse_buildkit("#4 [1/2] FROM x\\n#4 CACHED\\n") if e.is_step]
    [True]
    """
    p = BuildKitParser()
    for line in text.splitlines():
        p.feed(line)
    return p.events()


def parse_classic(text: str) -> list[BuildEvent]:
    """Events of a whole classic-builder log (no timings: ``duration_s`` is None).

    >>> parse_classic("Step 1/1 : FROM x\\n ---> Using cache\\n")[0].cached
    True
    """
    p = ClassicParser()
    for line in text.splitlines():
        p.feed(line)
    return p.events()
