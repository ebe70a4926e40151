"""Reading inputs and writing outputs safely: clear errors, atomic writes, no silent overwrites."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from dopt.errors import UsageError


def read_dockerfile(path: str) -> str:
    """Read a Dockerfile as text (``-`` is standard input), with one-line errors.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "Dockerfile"); _ = open(p, "w").write("FROM a\\n")
    >>> read_dockerfile(p)
    'FROM a\\n'
    """
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if not p.exists():
            raise UsageError(f"{path}: no such file")
        if p.is_dir():
            hint = " (did you mean its Dockerfile?)" if (p / "Dockerfile").exists() else ""
            raise UsageError(f"{path}: is a directory{hint}")
        try:
            data = p.read_bytes()
        except OSError as e:
            raise UsageError(f"{path}: cannot read: {e.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        # newline="" semantics: keep CRLF exactly (bytes.decode does not translate)
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})") from None


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temp file in the same folder, then ``os.replace``.

    The file's mode is kept when it already exists.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise UsageError(f"{target}: folder {folder} does not exist")
    if target.is_dir():
        raise UsageError(f"{target}: is a directory")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)
