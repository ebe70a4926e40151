"""Reading inputs and writing outputs safely: clear errors, atomic writes, no silent overwrites."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from dopt.errors import UsageError


def read_dockerfile(path: str, *, keep_bom: bool = False) -> str:
    """Read a Dockerfile as text (``-`` is standard input), with one-line errors.

    A UTF-8 byte-order mark is dropped unless ``keep_bom`` (the front end accepts it, and a
    formatter must give it back). UTF-16/32 text is named as such.

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
            if os.path.islink(p):
                raise UsageError(f"{path}: a symlink that leads nowhere (dangling, or a loop)")
            raise UsageError(f"{path}: no such file")
        if p.is_dir():
            hint = " (did you mean its Dockerfile?)" if (p / "Dockerfile").exists() else ""
            raise UsageError(f"{path}: is a directory{hint}")
        try:
            data = p.read_bytes()
        except OSError as e:
            raise UsageError(f"{path}: cannot read: {e.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf") and not keep_bom:
        data = data[3:]
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise UsageError(f"{path}: {name} text (byte-order mark {bom.hex()}); Dockerfiles are UTF-8, "
                             "re-save it as UTF-8")
    try:
        # newline="" semantics: keep CRLF exactly (bytes.decode does not translate)
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})") from None


def write_atomic(path: str | os.PathLike, text: str, *, inputs: tuple = ()) -> None:
    """Write ``text`` to ``path`` atomically: a temp file in the same folder, then ``os.replace``.

    The file's mode is kept when it already exists. A symlink is written through (the link
    stays, its target is replaced). A path that is not a regular file -- ``/dev/stdout``,
    ``/dev/null``, a FIFO -- is written to directly: replacing it would swap a device node
    for a plain file (as root, for every process on the machine). ``inputs`` are files the
    command read; writing over one of them is refused (``--in-place`` callers pass none).
    Every failure is a one-line :class:`DoptError`; no temp file is left behind.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "out")
    >>> write_atomic(p, "FROM a\\n"); open(p).read()
    'FROM a\\n'
    """
    import stat

    from dopt.errors import DoptError

    if not str(path):
        raise UsageError("the output path is empty")
    target = Path(path)
    for source in inputs:
        if source not in (None, "-") and same_file(str(target), str(source)):
            raise UsageError(f"{target}: is the input file {source}; refusing to overwrite it")
    try:
        st = os.stat(target)  # follows symlinks
    except FileNotFoundError:
        st = None
    except OSError as e:  # a symlink loop, a path through a file, no permission to look
        raise UsageError(f"{target}: cannot write: {e.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{target}: is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(target, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as e:
            raise DoptError(f"{target}: cannot write: {e.strerror}") from None
        return
    real = Path(os.path.realpath(target)) if os.path.islink(target) else target
    folder = real.parent if str(real.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{target}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UsageError(f"{target}: cannot write in {folder}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777 if st is not None else 0o644)
        os.replace(tmp, real)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):  # the disk is full, the folder turned read-only ...
            raise DoptError(f"{target}: cannot write: {e.strerror or e}; left unchanged") from None
        raise


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)
