"""Building images: pick the best builder this machine has, run it, report events.

Three backends, best first:

``buildx``    ``docker buildx build --progress=plain --load`` (honours ``--builder NAME``);
              what a developer's machine usually has.
``buildkit``  a docker CLI that still runs BuildKit itself with ``DOCKER_BUILDKIT=1``
              (Debian's 20.10 client). The 28.x client without buildx refuses this
              ("buildx component is missing"), so each candidate CLI is probed.
``classic``   the engine API's ``/build`` through the SDK (no BuildKit features:
              no ``RUN --mount``, no heredocs).

    >>> from dopt.engine.build import detect_builder, build
    >>> backend = detect_builder()                                          # doctest: +SKIP
    >>> result = build("Dockerfile", ".", "app:dev", backend=backend)       # doctest: +SKIP
    >>> [e.instruction for e in result.steps if not e.cached]               # doctest: +SKIP
    ['RUN make']
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dopt.engine.events import BuildEvent, BuildKitParser, ClassicParser
from dopt.errors import BuildFailed, EngineUnavailable

LOG_TAIL_LINES = 25
_PROBE_TIMEOUT = 30


@dataclass(frozen=True)
class Backend:
    """A way to build: ``kind`` is ``buildx``, ``buildkit`` or ``classic``.

    ``cli`` is the docker CLI used (None for classic), ``builder`` the buildx
    builder name, ``detail`` a human description of the BuildKit in use.
    """

    kind: str
    cli: str | None = None
    builder: str | None = None
    detail: str = ""

    @property
    def uses_buildkit(self) -> bool:
        return self.kind != "classic"

    def describe(self) -> str:
        """One phrase for messages, e.g. ``BuildKit via /usr/bin/docker (embedded in dockerd 20.10.24)``.

        >>> Backend("classic").describe()
        'the classic builder (engine API /build)'
        """
        if self.kind == "classic":
            return "the classic builder (engine API /build)"
        what = f"docker buildx ({self.cli})" if self.kind == "buildx" else f"BuildKit via {self.cli}"
        if self.builder:
            what += f", builder {self.builder}"
        return f"{what} ({self.detail})" if self.detail else what


@dataclass
class BuildResult:
    """A finished build: the image, how long it took and what each step did."""

    image_id: str
    tag: str | None
    duration_s: float
    events: list[BuildEvent]
    log: str
    backend: str

    @property
    def steps(self) -> list[BuildEvent]:
        """Only the Dockerfile instructions (no internal vertices)."""
        return [e for e in self.events if e.is_step]

    @property
    def cache_hits(self) -> int:
        return sum(1 for e in self.steps if e.cached)


# ---------------------------------------------------------------- detection

def _cli_candidates() -> list[str]:
    seen, out = set(), []
    for c in (os.environ.get("DOPT_DOCKER_CLI"), shutil.which("docker"), "/usr/bin/docker",
              "/usr/local/bin/docker"):
        if c and os.access(c, os.X_OK):
            real = os.path.realpath(c)
            if real not in seen:
                seen.add(real)
                out.append(c)
    return out


def _probe(cmd: list[str], **env: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=_PROBE_TIMEOUT,
                              env={**os.environ, **env}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _buildx_detail(cli: str, builder: str | None) -> str | None:
    """BuildKit version of a buildx builder, or None when the builder does not exist."""
    proc = _probe([cli, "buildx", "inspect", *([builder] if builder else [])])
    if proc is None or proc.returncode != 0:
        return None
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("buildkit", "buildkit version") and value.strip():
            return f"BuildKit {value.strip()}"
    return "BuildKit version unknown"


def _daemon_detail(cli: str) -> str:
    proc = _probe([cli, "version", "--format", "{{.Server.Version}}"])
    if proc is not None and proc.returncode == 0 and proc.stdout.strip():
        return f"embedded in dockerd {proc.stdout.strip()}"
    return "embedded in dockerd"


def available_backends(builder_name: str | None = None) -> list[Backend]:
    """Every backend this machine offers, best first (classic is always last).

    With ``builder_name``, only buildx backends that have that builder qualify,
    and having none is an error (the user asked for it by name).

    >>> available_backends()[-1].kind        # doctest: +SKIP
    'classic'
    """
    return list(_available_backends(builder_name, os.environ.get("DOCKER_HOST", "")))


@functools.lru_cache(maxsize=8)
def _available_backends(builder_name: str | None, _docker_host: str) -> tuple[Backend, ...]:
    found: list[Backend] = []
    clis = _cli_candidates()
    for cli in clis:
        proc = _probe([cli, "buildx", "version"])
        if proc is not None and proc.returncode == 0:
            detail = _buildx_detail(cli, builder_name)
            if detail is not None:
                found.append(Backend("buildx", cli, builder_name, detail))
                break
    if builder_name:
        if not found:
            raise EngineUnavailable(
                f"--builder {builder_name} needs docker buildx with a builder of that name, and "
                f"none was found (checked {', '.join(clis) or 'no docker CLI on PATH'}): "
                "install the buildx plugin, or see `docker buildx ls`")
        return tuple(found)
    for cli in clis:
        proc = _probe([cli, "build", "--help"], DOCKER_BUILDKIT="1")
        text = (proc.stdout + proc.stderr) if proc else ""
        if proc is not None and proc.returncode == 0 and "buildx component is missing" not in text:
            found.append(Backend("buildkit", cli, None, _daemon_detail(cli)))
            break
    found.append(Backend("classic"))
    return tuple(found)


def detect_builder(builder_name: str | None = None) -> Backend:
    """The best backend: buildx, else a BuildKit-capable docker CLI, else classic.

    >>> detect_builder().kind in {"buildx", "buildkit", "classic"}   # doctest: +SKIP
    True
    """
    return available_backends(builder_name)[0]


# ---------------------------------------------------------------- capabilities

def supports_heredocs(backend: Backend) -> bool:
    """Whether ``backend``'s Dockerfile frontend accepts heredocs (``RUN <<EOF``).

    Probed once per backend with a tiny heredoc build (no registry needed);
    the classic builder never does, nor does the frontend embedded in dockerd
    before 23.0.

    >>> supports_heredocs(Backend("classic"))
    False
    """
    if backend.kind == "classic":
        return False
    return _probe_heredocs(backend, os.environ.get("DOCKER_HOST", ""))


@functools.lru_cache(maxsize=8)
def _probe_heredocs(backend: Backend, _docker_host: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="dopt-heredoc-") as d:
        Path(d, "Dockerfile").write_text("FROM scratch\nCOPY <<EOF /probe\nok\nEOF\n")
        cmd = _cli_command(backend, load=False) + ["-o", "type=tar,dest=" + os.devnull, d]
        proc = _probe(cmd, DOCKER_BUILDKIT="1")
        return proc is not None and proc.returncode == 0


def require_heredocs(backend: Backend) -> None:
    """Raise EngineUnavailable (one clear line) when ``backend`` cannot build heredocs.

    >>> require_heredocs(Backend("classic"))
    Traceback (most recent call last):
    ...
    dopt.errors.EngineUnavailable: this Dockerfile uses heredocs; the classic builder (engine API /build) does not support them: install docker buildx or use Docker Engine 23+
    """
    if not supports_heredocs(backend):
        raise EngineUnavailable(
            f"this Dockerfile uses heredocs; {_frontend_phrase(backend)} does not support them: "
            "install docker buildx or use Docker Engine 23+")


def _frontend_phrase(backend: Backend) -> str:
    if backend.kind == "classic":
        return backend.describe()
    return f"the engine's built-in frontend ({backend.detail or 'BuildKit'})"


# ---------------------------------------------------------------- building

def build(dockerfile_path: str | os.PathLike, context: str | os.PathLike, tag: str | None = None, *,
          build_args: dict[str, str] | None = None, no_cache: bool = False, target: str | None = None,
          platform: str | None = None, on_event: Callable[[BuildEvent], None] | None = None,
          backend: Backend | None = None, engine=None) -> BuildResult:
    """Build ``dockerfile_path`` with ``context``; tag it ``tag`` when given.

    ``on_event`` is called with each step as it finishes. A failed build
    raises :class:`BuildFailed` naming the failing step, with the log's tail;
    the full log is on the exception's ``log`` attribute.

    >>> r = build("Dockerfile", ".", "demo:1", no_cache=True)   # doctest: +SKIP
    >>> r.backend, r.cache_hits                                  # doctest: +SKIP
    ('buildkit', 0)
    """
    backend = backend or detect_builder()
    dockerfile = Path(dockerfile_path).resolve()
    ctx = Path(context).resolve()
    if not dockerfile.is_file():
        raise BuildFailed(f"no Dockerfile at {dockerfile}")
    if not ctx.is_dir():
        raise BuildFailed(f"build context {ctx} is not a directory")
    opts = dict(build_args=build_args or {}, no_cache=no_cache, target=target, platform=platform,
                on_event=on_event or (lambda e: None))
    if backend.kind == "classic":
        return _build_classic(dockerfile, ctx, tag, engine=engine, **opts)
    return _build_cli(backend, dockerfile, ctx, tag, **opts)


def _cli_command(backend: Backend, *, load: bool = True) -> list[str]:
    if backend.kind == "buildx":
        cmd = [backend.cli, "buildx", "build"]
        if backend.builder:
            cmd += ["--builder", backend.builder]
        if load:
            cmd.append("--load")  # a docker-container builder keeps results to itself otherwise
    else:
        cmd = [backend.cli, "build"]
    return cmd + ["--progress=plain"]


def _build_cli(backend: Backend, dockerfile: Path, ctx: Path, tag: str | None, *, build_args, no_cache,
               target, platform, on_event) -> BuildResult:
    parser = BuildKitParser()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dopt-build-") as tmp:
        iidfile = Path(tmp, "iid")
        cmd = _cli_command(backend) + ["-f", str(dockerfile), "--iidfile", str(iidfile)]
        if tag:
            cmd += ["-t", tag]
        for k, v in build_args.items():
            cmd += ["--build-arg", f"{k}={v}"]
        if no_cache:
            cmd.append("--no-cache")
        if target:
            cmd += ["--target", target]
        if platform:
            cmd += ["--platform", platform]
        cmd.append(str(ctx))
        env = {**os.environ, "DOCKER_BUILDKIT": "1", "BUILDKIT_PROGRESS": "plain"}
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    errors="replace", env=env, stdin=subprocess.DEVNULL)
        except OSError as e:
            raise EngineUnavailable(f"cannot run {backend.cli}: {e}") from None
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            for event in parser.feed(line):
                on_event(event)
        rc = proc.wait()
        duration = time.monotonic() - t0
        log = "".join(lines)
        image_id = iidfile.read_text().strip() if iidfile.exists() else ""
    events = parser.events()
    if rc != 0 or not image_id:
        if "Cannot connect to the Docker daemon" in log or "connect: no such file" in log:
            from dopt.engine.client import engine_host

            raise EngineUnavailable(f"no Docker engine answers at {engine_host()}: start dockerd or set DOCKER_HOST")
        raise _failure(events, log, parser.errors, backend)
    return BuildResult(image_id, tag, round(duration, 3), events, log, backend.kind)


def _build_classic(dockerfile: Path, ctx: Path, tag: str | None, *, engine, build_args, no_cache, target,
                   platform, on_event) -> BuildResult:
    if engine is None:
        from dopt.engine.client import connect

        engine = connect()
    try:
        rel = str(dockerfile.relative_to(ctx))
    except ValueError:
        rel = str(dockerfile)  # the SDK adds a Dockerfile from outside the context to the tar
    kwargs = dict(path=str(ctx), dockerfile=rel, tag=tag, buildargs=build_args, nocache=no_cache,
                  rm=True, forcerm=True, decode=True, pull=False)
    if target:
        kwargs["target"] = target
    if platform:
        kwargs["platform"] = platform
    parser = ClassicParser()
    lines: list[str] = []
    image_id, failed = "", False
    t0 = time.monotonic()
    try:
        stream = engine._call(engine.api.build, **kwargs)
        pending = ""
        for chunk in stream:
            now = time.monotonic() - t0
            if "stream" in chunk:
                pending += chunk["stream"]
                *complete, pending = pending.split("\n")
                for line in complete:
                    lines.append(line + "\n")
                    for event in parser.feed(line, now):
                        on_event(event)
            if "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
            if "error" in chunk:
                failed = True
                message = str(chunk.get("error", "")).strip()
                lines.append(f"ERROR: {message}\n")
                parser.error(message)
        if pending:
            lines.append(pending)
            for event in parser.feed(pending, time.monotonic() - t0):
                on_event(event)
    except Exception as e:
        from dopt.errors import DoptError

        if isinstance(e, DoptError):
            raise
        raise BuildFailed(f"the classic builder failed: {e}") from None
    duration = time.monotonic() - t0
    for event in parser.finish(duration):
        on_event(event)
    log = "".join(lines)
    events = parser.events()
    if failed or not image_id:
        raise _failure(events, log, parser.errors, Backend("classic"))
    return BuildResult(image_id, tag, round(duration, 3), events, log, "classic")


def _failure(events: list[BuildEvent], log: str, errors: list[str], backend: Backend) -> BuildFailed:
    steps = [e for e in events if e.is_step]
    failing = next((e for e in events if e.error), None)
    if failing is None:
        # Interrupted before the builder named an error: the last unfinished step.
        failing = next((e for e in reversed(steps) if e.duration_s is None and not e.cached), None)
    tail = "\n".join("    " + l for l in log.rstrip("\n").splitlines()[-LOG_TAIL_LINES:])
    if failing is not None and failing.is_step:
        where = f"step {failing.step}/{failing.total}" + (f" of stage {failing.stage}" if failing.stage else "")
        head = f"build failed at {where}: {failing.instruction}"
    elif failing is not None:
        head = f"build failed in {failing.instruction}"
    else:
        head = f"build failed ({backend.describe()})"
    reason = (failing.error if failing and failing.error else None) or (errors[-1] if errors else None)
    if reason:
        head += f"\n  reason: {reason}"
    err = BuildFailed(f"{head}\n  last lines of the build log:\n{tail}")
    err.step = failing
    err.log = log
    err.backend = backend.kind
    return err
