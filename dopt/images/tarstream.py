"""A minimal streaming tar header reader (ustar, GNU long names, PAX).

Why not ``tarfile``: in stream mode (``"r|*"``) it reads and discards every
byte of content it skips and builds a ``TarInfo`` per member; this reader
parses only the fields the analysis uses and skips content through
:meth:`Stream.skip`, which over a file is an offset change. The benchmark in
``benchmarks/bench_inspect.py`` compares the two (docs/PERFORMANCE.md, "Inspect").

Example::

    >>> import io, tarfile
    >>> buf = io.BytesIO()
    >>> with tarfile.open(fileobj=buf, mode="w") as t:
    ...     info = tarfile.TarInfo("etc/motd"); info.size = 3
    ...     t.addfile(info, io.BytesIO(b"hi\\n"))
    >>> from dopt.images.streams import ChunkStream
    >>> reader = TarReader(ChunkStream.from_chunks([buf.getvalue()]))
    >>> [(e.name, e.type, e.size, reader.read_content(10)) for e in reader]
    [('etc/motd', 'f', 3, b'hi\\n')]
"""

from __future__ import annotations

from typing import Iterator

from dopt.errors import DoptError
from dopt.images.streams import Stream

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
# The largest GNU long-name/long-link or PAX header read into memory (Go's archive/tar has the
# same limit): real ones hold a path or a few xattrs; a claimed 4 GB one is a memory bomb.
SPECIAL_LIMIT = 1 << 20

# tar typeflag -> our one-letter kind. Anything else (contiguous files '7') is a file.
KINDS = {
    b"0": "f", b"\0": "f", b"7": "f", b"1": "h", b"2": "l", b"3": "c", b"4": "b",
    b"5": "d", b"6": "p",
}


class NotATar(DoptError):
    """The bytes are not a tar archive (or it is truncated or corrupt)."""


class TarEntry:
    """One member header. ``name`` has no leading ``./`` or ``/`` and no trailing ``/``."""

    __slots__ = ("name", "type", "size", "mode", "uid", "gid", "linkname", "mtime")

    def __init__(self, name, type, size, mode, uid, gid, linkname, mtime):
        self.name = name
        self.type = type
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.linkname = linkname
        self.mtime = mtime

    def __repr__(self) -> str:
        return f"TarEntry({self.name!r}, {self.type!r}, size={self.size}, mode={self.mode:o})"


def _number(field: bytes) -> int:
    """A numeric header field: NUL/space-terminated octal, or GNU base-256."""
    if field and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        if field[0] & 0x40:  # negative base-256 (only ever seen in mtime)
            value -= 1 << (8 * (len(field) - 1))
        return value
    field = field.split(b"\0", 1)[0].strip()
    try:
        return int(field, 8) if field else 0
    except ValueError:
        raise NotATar(f"corrupt tar header (numeric field {field[:12]!r})") from None


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def normalize(name: str) -> str:
    """The canonical form of a member name.

    >>> normalize("./usr/bin/"), normalize("/etc//passwd"), normalize(".")
    ('usr/bin', 'etc/passwd', '')
    """
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    if "//" in name:
        name = "/".join(p for p in name.split("/") if p)
    return "" if name == "." else name


def _checksum_ok(block: bytes) -> bool:
    stored = _number(block[148:156])
    return stored == sum(block[:148]) + 256 + sum(block[156:])


def _pax_records(data: bytes) -> dict[str, str]:
    """The ``key=value`` records of a PAX header.

    >>> _pax_records(b"11 path=ab\\n")
    {'path': 'ab'}
    """
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if not data[pos:].strip(b"\0"):
            break  # NUL padding after the last record
        space = data.find(b" ", pos)
        if space < 0:
            raise NotATar("corrupt PAX header (a record without a length)")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise NotATar(f"corrupt PAX header (record length {data[pos:space][:20]!r})") from None
        # a length that does not move past its own digits would loop forever (or backwards)
        if length <= space - pos + 1 or pos + length > len(data):
            raise NotATar(f"corrupt PAX header (record length {length})")
        record = data[space + 1:pos + length - 1]  # drop the trailing newline
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


class TarReader:
    """Iterate the members of the tar in ``stream``; content not read is skipped.

    After each yielded entry the caller may call :meth:`read_content` once; the
    iterator skips whatever is left. ``end_offset`` is where the archive's end
    marker started (the tar's logical size), set when iteration finishes.
    """

    def __init__(self, stream: Stream, *, what: str = "archive"):
        self.stream = stream
        self.what = what
        self._remaining = 0  # content bytes of the current member not yet consumed
        self._padding = 0
        self.end_offset = 0

    def read_content(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the current member's content."""
        n = min(limit, self._remaining)
        data = self.stream.read(n)
        self._remaining -= len(data)
        return data

    def member_stream(self) -> Stream:
        """The current member's content as a stream (for a tar inside a tar).

        Reads through it count against the member, so the iterator skips only
        what the caller left unread.
        """
        return _MemberStream(self)

    def __iter__(self) -> Iterator[TarEntry]:
        stream = self.stream
        first = True
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] = {}
        global_pax: dict[str, str] = {}
        while True:
            if self._remaining or self._padding:
                want = stream.position + self._remaining
                stream.skip(self._remaining + self._padding)
                if stream.position < want:
                    raise NotATar(f"{self.what} is truncated (a member's content ends early)")
                self._remaining = self._padding = 0
            start = stream.position
            block = stream.read(BLOCK)
            if len(block) < BLOCK:
                if first and not block:
                    raise NotATar(f"{self.what} is empty, not a tar archive")
                if first or block.strip(b"\0"):
                    raise NotATar(f"{self.what} is truncated or not a tar archive")
                self.end_offset = start
                return
            if block == ZERO_BLOCK:
                self.end_offset = start
                return
            if first:
                # Only the first header is checksummed: it tells tar from not-tar
                # at the cost of one sum; later headers are trusted (speed).
                if not _checksum_ok(block):
                    raise NotATar(f"{self.what} is not a tar archive (bad header checksum)")
                first = False
            flag = block[156:157]
            size = _number(block[124:136])
            if size < 0:
                raise NotATar(f"corrupt tar header (negative size {size})")
            self._remaining = size
            self._padding = (-size) % BLOCK
            if flag in (b"L", b"K", b"x", b"g"):
                if size > SPECIAL_LIMIT:
                    raise NotATar(f"corrupt tar header (a {size}-byte {flag.decode('latin-1')!r} header; "
                                  f"at most {SPECIAL_LIMIT} are read)")
                data = self.read_content(size)
                if flag == b"L":
                    long_name = _text(data)
                elif flag == b"K":
                    long_link = _text(data)
                elif flag == b"x":
                    pax.update(_pax_records(data))
                else:
                    global_pax.update(_pax_records(data))
                continue
            name = _text(block[0:100])
            if block[257:262] == b"ustar":
                prefix = _text(block[345:500]) if block[345] else ""
                if prefix and block[257:263] == b"ustar\0":  # POSIX ustar, not old GNU
                    name = prefix + "/" + name
            link = _text(block[157:257])
            if long_name is not None:
                name, long_name = long_name, None
            if long_link is not None:
                link, long_link = long_link, None
            if pax or global_pax:
                merged = {**global_pax, **pax}
                name = merged.get("path", name)
                link = merged.get("linkpath", link)
                if "size" in merged:
                    text = merged["size"].strip()
                    if not text.isdigit():
                        raise NotATar(f"corrupt PAX header (size {text[:20]!r})")
                    size = int(text)
                    self._remaining = size
                    self._padding = (-size) % BLOCK
                pax = {}
            # Sizes are the header's, for every kind, as dive counts them: links,
            # directories and devices carry 0 in every writer seen in practice.
            kind = KINDS.get(flag, "f")
            if kind == "f" and name.endswith("/"):
                kind = "d"  # old tars mark directories only by the slash
            yield TarEntry(
                normalize(name), kind, size,
                _number(block[100:108]) & 0o7777,
                _number(block[108:116]), _number(block[116:124]),
                link, _number(block[136:148]),
            )


class _MemberStream(Stream):
    def __init__(self, reader: TarReader):
        self.reader = reader
        self.position = 0

    def read(self, n: int) -> bytes:
        data = self.reader.read_content(n)
        self.position += len(data)
        return data

    def skip(self, n: int) -> None:
        r = self.reader
        n = min(n, r._remaining)
        before = r.stream.position
        r.stream.skip(n)
        moved = r.stream.position - before
        r._remaining -= moved
        self.position += moved

    def peek(self, n: int) -> bytes:
        return self.reader.stream.peek(min(n, self.reader._remaining))
