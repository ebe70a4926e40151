"""The Docker engine as dopt uses it: a thin wrapper over the ``docker`` SDK.

``docker`` is imported only when an :class:`Engine` is made, so commands that
never touch an engine do not pay for it. Every failure to reach the engine
becomes :class:`dopt.errors.EngineUnavailable` with one line that says what is
missing and how to fix it.

    >>> from dopt.engine.client import connect
    >>> engine = connect()                                    # doctest: +SKIP
    >>> engine.run("debian:bookworm-slim", ["echo", "hi"]).stdout  # doctest: +SKIP
    'hi\\n'
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

from dopt.errors import DoptError, EngineUnavailable

DEFAULT_HOST = "unix:///var/run/docker.sock"


class EngineError(DoptError):
    """The engine answered, but refused a request (bad reference, daemon error)."""

    exit_code = 3


class ImageNotFound(EngineError):
    """No local image has that reference (dopt never pulls implicitly)."""


class RunTimeout(EngineError):
    """A container did not exit within its timeout (it is killed and removed)."""


@dataclass(frozen=True)
class RunResult:
    """What a finished container left: exit code and decoded output streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def engine_host() -> str:
    """Where the engine is expected: ``$DOCKER_HOST`` or the default socket.

    >>> engine_host().split("://")[0] in {"unix", "tcp", "ssh", "npipe"}
    True
    """
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def _unavailable(host: str, exc: BaseException) -> EngineUnavailable:
    text = str(exc)
    if "Permission denied" in text or isinstance(exc, PermissionError):
        return EngineUnavailable(
            f"the Docker engine at {host} refused access (permission denied): "
            "run as root or add your user to the 'docker' group")
    return EngineUnavailable(f"no Docker engine answers at {host}: start dockerd or set DOCKER_HOST")


def connect(*, timeout: float = 60.0) -> "Engine":
    """Connect to the engine ``docker.from_env()`` finds (honours ``DOCKER_HOST``).

    Raises :class:`EngineUnavailable` (one line, no traceback) when none answers.

    >>> connect().ping()                              # doctest: +SKIP
    True
    """
    return Engine.connect(timeout=timeout)


class Engine:
    """A connected Docker engine.

    >>> engine = Engine.connect()                     # doctest: +SKIP
    >>> engine.image_size("debian:bookworm-slim") > 0  # doctest: +SKIP
    True
    """

    def __init__(self, client: Any, host: str):
        self.client = client
        self.host = host

    @classmethod
    def connect(cls, *, timeout: float = 60.0) -> "Engine":
        host = engine_host()
        try:
            import docker
        except ImportError as e:  # pragma: no cover - a dependency of dopt
            raise EngineUnavailable(f"the 'docker' Python package is missing ({e}): pip install docker")
        try:
            # from_env negotiates the API version, which is the first request.
            client = docker.from_env(timeout=timeout)
            client.ping()
        except Exception as e:  # docker.errors.DockerException, requests errors, OSError
            raise _unavailable(host, e) from None
        return cls(client, host)

    @property
    def api(self) -> Any:
        """The SDK's low-level ``APIClient`` (for streaming builds)."""
        return self.client.api

    # ------------------------------------------------------------ engine facts

    def ping(self) -> bool:
        """True when the engine answers; raises EngineUnavailable otherwise."""
        try:
            return bool(self.client.ping())
        except Exception as e:
            raise _unavailable(self.host, e) from None

    def version(self) -> dict:
        """The engine's ``/version`` (``Version``, ``ApiVersion``, ``Components``...)."""
        return self._call(self.client.version)

    def server_version(self) -> tuple[int, ...]:
        """The daemon's version as numbers, e.g. ``(20, 10, 24)``.

        >>> Engine.connect().server_version() >= (20,)  # doctest: +SKIP
        True
        """
        return _version_tuple(self.version().get("Version", "0"))

    # ------------------------------------------------------------ images

    def image_inspect(self, ref: str) -> dict:
        """``docker image inspect`` of a local image; ImageNotFound when absent."""
        return self._call(self.api.inspect_image, ref, ref=ref)

    def exists(self, ref: str) -> bool:
        """Whether a local image has this reference."""
        try:
            self.image_inspect(ref)
            return True
        except ImageNotFound:
            return False

    def history(self, ref: str) -> list[dict]:
        """The image's history, newest layer first (``docker history``)."""
        return self._call(self.api.history, ref, ref=ref)

    def image_size(self, ref: str) -> int:
        """The image's size in bytes, as ``docker images`` counts it."""
        return int(self.image_inspect(ref)["Size"])

    def layers(self, ref: str) -> list[str]:
        """The diff IDs of the image's layers, base first (``RootFS.Layers``)."""
        return list(self.image_inspect(ref).get("RootFS", {}).get("Layers") or [])

    def save(self, ref: str, *, chunk_size: int = 1 << 20) -> BinaryIO:
        """The ``docker save`` tar of an image as a readable binary stream.

        Streamed, not buffered: hand it to ``tarfile.open(fileobj=..., mode="r|")``.
        """
        self.image_inspect(ref)  # a clear ImageNotFound rather than a broken stream
        chunks = self._call(self.api.get_image, ref, chunk_size, ref=ref)
        return io.BufferedReader(_ChunkStream(iter(chunks)), buffer_size=chunk_size)

    def tag(self, ref: str, new_ref: str) -> None:
        """Give ``ref`` the additional reference ``new_ref`` (``repo[:tag]``)."""
        # A ':' after the last '/' starts the tag; one before it is a registry port.
        repo, tag = new_ref, None
        if ":" in new_ref.rsplit("/", 1)[-1]:
            repo, _, tag = new_ref.rpartition(":")
        self._call(self.api.tag, ref, repo, tag, force=True, ref=ref)

    def remove(self, ref: str, *, force: bool = False, missing_ok: bool = True) -> None:
        """Remove an image reference (and the image when no other reference is left)."""
        try:
            self._call(self.api.remove_image, ref, force=force, ref=ref)
        except ImageNotFound:
            if not missing_ok:
                raise

    # ------------------------------------------------------------ containers

    def run(self, image: str, cmd: str | list[str] | None = None, *, entrypoint: str | list[str] | None = None,
            user: str | None = None, env: dict[str, str] | None = None, workdir: str | None = None,
            network: str | None = None, labels: dict[str, str] | None = None,
            timeout: float = 120.0) -> RunResult:
        """Run a container to completion and return its exit code and output.

        The image must be local (no pull). The container is always removed;
        one that outlives ``timeout`` seconds is killed and raises RunTimeout.
        A command that cannot be started exits 127 (not found) or 126 (not
        executable), with the engine's reason on stderr, as ``docker run`` does.

        >>> Engine.connect().run("debian:bookworm-slim", ["sh", "-c", "echo hi; exit 3"])  # doctest: +SKIP
        RunResult(exit_code=3, stdout='hi\\n', stderr='')
        """
        kwargs: dict[str, Any] = {"command": cmd, "detach": True}
        if entrypoint is not None:
            kwargs["entrypoint"] = entrypoint
        if user is not None:
            kwargs["user"] = user
        if env:
            kwargs["environment"] = dict(env)
        if workdir is not None:
            kwargs["working_dir"] = workdir
        if network is not None:
            kwargs["network_mode"] = network
        # Labelled so a crashed dopt's leftovers can be found (`docker ps -af label=dopt.run`).
        kwargs["labels"] = {"dopt.run": "1", **(labels or {})}
        container = self._call(self.client.containers.create, image, ref=image, **kwargs)
        try:
            try:
                self._call(container.start)
            except EngineError as e:
                # What `docker run` exits with when the command cannot be started,
                # so callers compare a missing program like any other failure.
                text = str(e)
                if "executable file not found" in text or "no such file or directory" in text:
                    return RunResult(127, "", text + "\n")
                if "permission denied" in text:
                    return RunResult(126, "", text + "\n")
                raise
            try:
                status = container.wait(timeout=timeout)
            except Exception as e:
                if _is_timeout(e):
                    try:
                        container.kill()
                    except Exception:
                        pass
                    raise RunTimeout(f"container of {image} did not exit within {timeout:g}s") from None
                raise
            out = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
            err = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            return RunResult(int(status.get("StatusCode", -1)), out, err)
        finally:
            try:
                container.remove(force=True)
            except Exception:
                pass

    # ------------------------------------------------------------ helpers

    def _call(self, fn, *args, ref: str | None = None, **kwargs):
        import docker.errors
        import requests.exceptions

        try:
            return fn(*args, **kwargs)
        except docker.errors.ImageNotFound:
            raise ImageNotFound(f"no local image {ref!r} (dopt does not pull; build or load it first)") from None
        except docker.errors.NotFound as e:
            if ref is not None and "image" in str(e).lower():
                raise ImageNotFound(f"no local image {ref!r} (dopt does not pull; build or load it first)") from None
            raise EngineError(_explain(e)) from None
        except docker.errors.APIError as e:
            raise EngineError(_explain(e)) from None
        except (requests.exceptions.ConnectionError, ConnectionError) as e:
            raise _unavailable(self.host, e) from None


class _ChunkStream(io.RawIOBase):
    """A raw stream over an iterator of byte chunks (what the SDK yields)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _explain(e: Exception) -> str:
    explanation = getattr(e, "explanation", None)
    return str(explanation or e).strip()


def _is_timeout(e: Exception) -> bool:
    import requests.exceptions

    if isinstance(e, requests.exceptions.ReadTimeout):
        return True
    return isinstance(e, (requests.exceptions.ConnectionError, TimeoutError)) and "timed out" in str(e).lower()


def _version_tuple(text: str) -> tuple[int, ...]:
    """``'20.10.24+dfsg1'`` -> ``(20, 10, 24)``.

    >>> _version_tuple("20.10.24+dfsg1")
    (20, 10, 24)
    """
    nums: list[int] = []
    for part in text.split("."):
        m = re.match(r"\d+", part)
        if not m:
            break
        nums.append(int(m.group()))
        if m.end() != len(part):
            break
    return tuple(nums)
