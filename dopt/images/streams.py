"""Byte streams for reading image archives once, front to back, without extracting.

Everything in :mod:`dopt.images` reads through a :class:`Stream`: exact ``read(n)``,
cheap ``skip(n)`` and a non-consuming ``peek(n)``. Skipping is the whole game:
a layer tar is mostly file content that the analysis never looks at, so

* over a regular file, :class:`FileWindow` skips by moving an offset and reads
  with ``os.pread`` (no shared file position, so windows nest: a layer tar
  inside a ``docker save`` tar is a window of a window);
* over a pipe or the engine's ``docker save`` stream, :class:`ChunkStream` drops
  whole chunks as they arrive;
* compressed layers (gzip, zstd) must be inflated to be skipped, which
  :func:`decompressed` wraps in a :class:`ChunkStream` too.

Example::

    >>> s = ChunkStream.from_chunks([b"hello ", b"world"])
    >>> s.peek(3), s.read(2), s.skip(5), s.read(10)
    (b'hel', b'he', None, b'orld')
"""

from __future__ import annotations

import os
import zlib
from typing import Callable, Iterable

from dopt.errors import DoptError

CHUNK = 1 << 20  # 1 MiB: big enough that per-call overhead vanishes, small enough to stay in cache

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Stream:
    """A sequential byte source. Subclasses implement the three primitives."""

    position = 0  # bytes consumed so far (read or skipped)

    def read(self, n: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def skip(self, n: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def peek(self, n: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def drain(self) -> int:
        """Skip to the end; return how many bytes that was."""
        total = 0
        while True:
            before = self.position
            self.skip(CHUNK * 8)
            moved = self.position - before
            total += moved
            if moved == 0:
                return total


class FileWindow(Stream):
    """``length`` bytes of an open file descriptor starting at ``start``, read with ``pread``.

    >>> import tempfile
    >>> with tempfile.TemporaryFile() as f:
    ...     _ = f.write(b"0123456789"); f.flush()
    ...     w = FileWindow(f.fileno(), 2, 5)
    ...     w.read(2), w.peek(1), w.skip(1), w.read(9)
    (b'23', b'4', None, b'56')
    """

    def __init__(self, fd: int, start: int, length: int):
        self.fd = fd
        self.start = start
        self.length = length
        self.position = 0

    def read(self, n: int) -> bytes:
        n = min(n, self.length - self.position)
        if n <= 0:
            return b""
        data = os.pread(self.fd, n, self.start + self.position)
        while len(data) < n:  # pread may return short on some filesystems
            more = os.pread(self.fd, n - len(data), self.start + self.position + len(data))
            if not more:
                break
            data += more
        self.position += len(data)
        return data

    def skip(self, n: int) -> None:
        self.position = min(self.length, self.position + max(n, 0))

    def peek(self, n: int) -> bytes:
        n = min(n, self.length - self.position)
        return os.pread(self.fd, n, self.start + self.position) if n > 0 else b""

    def window(self, start: int, length: int) -> "FileWindow":
        """A sub-window, relative to this window's start."""
        return FileWindow(self.fd, self.start + start, max(0, min(length, self.length - start)))


class ChunkStream(Stream):
    """A stream over ``pull()``, a function returning the next chunk (``b""`` at the end)."""

    def __init__(self, pull: Callable[[], bytes]):
        self._pull = pull
        self._buf = b""
        self._off = 0
        self._eof = False
        self.position = 0

    @classmethod
    def from_chunks(cls, chunks: Iterable[bytes]) -> "ChunkStream":
        """Wrap an iterable of byte chunks (the docker SDK's ``image.save()`` generator)."""
        it = iter(chunks)
        return cls(lambda: next(it, b""))

    @classmethod
    def from_fileobj(cls, f) -> "ChunkStream":
        """Wrap a readable binary file object that cannot seek (a pipe, a socket)."""
        return cls(lambda: f.read(CHUNK))

    def _next_chunk(self) -> bytes:
        if self._eof:
            return b""
        while True:
            chunk = self._pull()
            if not chunk:
                self._eof = True
                return b""
            if len(chunk):
                return bytes(chunk) if not isinstance(chunk, bytes) else chunk

    def read(self, n: int) -> bytes:
        buf, off = self._buf, self._off
        avail = len(buf) - off
        if n <= avail:
            self._off = off + n
            self.position += n
            return buf[off:off + n]
        parts = [buf[off:]] if avail else []
        need = n - avail
        self._buf, self._off = b"", 0
        while need > 0:
            chunk = self._next_chunk()
            if not chunk:
                break
            if len(chunk) <= need:
                parts.append(chunk)
                need -= len(chunk)
            else:
                parts.append(chunk[:need])
                self._buf, self._off = chunk, need
                need = 0
        data = b"".join(parts)
        self.position += len(data)
        return data

    def skip(self, n: int) -> None:
        avail = len(self._buf) - self._off
        if n <= avail:
            self._off += n
            self.position += n
            return
        need = n - avail
        moved = avail
        self._buf, self._off = b"", 0
        while need > 0:
            chunk = self._next_chunk()
            if not chunk:
                break
            if len(chunk) <= need:
                need -= len(chunk)
                moved += len(chunk)
            else:
                self._buf, self._off = chunk, need
                moved += need
                need = 0
        self.position += moved

    def peek(self, n: int) -> bytes:
        while len(self._buf) - self._off < n:
            chunk = self._next_chunk()
            if not chunk:
                break
            self._buf = self._buf[self._off:] + chunk
            self._off = 0
        return self._buf[self._off:self._off + n]


class CorruptStream(DoptError):
    """Compressed data that does not decompress: corrupt or truncated gzip/zstd."""


def _gzip_pull(raw: Stream) -> Callable[[], bytes]:
    # Concatenated gzip members are legal (pigz, some registries); start a new
    # decompressor whenever one member ends and input remains. Each call inflates at
    # most CHUNK bytes (``max_length``): one 1 MiB read of a gzip bomb is 1 GiB of zeros.
    state = {"d": zlib.decompressobj(wbits=31), "pending": b""}

    def inflate(d, data: bytes) -> bytes:
        try:
            out = d.decompress(data, CHUNK)
        except zlib.error as e:
            raise CorruptStream(f"corrupt gzip data ({e})") from None
        state["pending"] = d.unconsumed_tail
        return out

    def pull() -> bytes:
        while True:
            d = state["d"]
            if state["pending"]:
                out = inflate(d, state["pending"])
            elif d.eof:
                rest = d.unused_data
                if not rest:
                    rest = raw.read(CHUNK)
                if not rest or not rest.strip(b"\0"):
                    return b""
                state["d"] = d = zlib.decompressobj(wbits=31)
                out = inflate(d, rest)
            else:
                chunk = raw.read(CHUNK)
                if not chunk:
                    raise CorruptStream("truncated gzip data (the stream ends inside a member)")
                out = inflate(d, chunk)
            if out:
                return out

    return pull


def _zstd_pull(raw: Stream) -> Callable[[], bytes]:
    try:
        import zstandard
    except ImportError as e:  # pragma: no cover - zstandard is a dependency
        from dopt.errors import DoptError

        raise DoptError("this layer is zstd-compressed; install the 'zstandard' package") from e

    class _Raw:
        def read(self, n: int = -1) -> bytes:
            return raw.read(CHUNK if n is None or n < 0 else n)

    reader = zstandard.ZstdDecompressor().stream_reader(_Raw(), read_size=CHUNK, read_across_frames=True)

    def pull() -> bytes:
        try:
            return reader.read(CHUNK)
        except zstandard.ZstdError as e:
            raise CorruptStream(f"corrupt zstd data ({e})") from None

    return pull


def compression_of(head: bytes) -> str:
    """Name the compression from a stream's first bytes: ``gzip``, ``zstd`` or ``none``.

    >>> compression_of(b"\\x1f\\x8b\\x08"), compression_of(b"\\x28\\xb5\\x2f\\xfd"), compression_of(b"etc/")
    ('gzip', 'zstd', 'none')
    """
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


def decompressed(raw: Stream) -> tuple[Stream, str]:
    """The uncompressed view of ``raw`` (detected by magic bytes) and the compression's name.

    >>> import gzip
    >>> s, kind = decompressed(ChunkStream.from_chunks([gzip.compress(b"abc" * 3)]))
    >>> kind, s.read(100)
    ('gzip', b'abcabcabc')
    """
    kind = compression_of(raw.peek(4))
    if kind == "gzip":
        return ChunkStream(_gzip_pull(raw)), kind
    if kind == "zstd":
        return ChunkStream(_zstd_pull(raw)), kind
    return raw, kind
