"""One pass over one layer tar: the entries, a few captured files, the secrets seen.

The scanner reads each layer once and keeps only headers, plus the content of
package databases (needed for build-tool and size questions) and a verdict,
not the content, for files that look like secrets.

Example::

    >>> import io, tarfile
    >>> buf = io.BytesIO()
    >>> with tarfile.open(fileobj=buf, mode="w") as t:
    ...     for name, data in (("app/.env", b"TOKEN=x\\n"), ("app/main.py", b"print(1)\\n")):
    ...         info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    >>> from dopt.images.streams import ChunkStream
    >>> scan = scan_layer(ChunkStream.from_chunks([buf.getvalue()]))
    >>> [e.name for e in scan.entries], scan.content_bytes, scan.secrets
    (['app/.env', 'app/main.py'], 17, {'app/.env': 'dotenv file'})
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dopt.images import packages, secrets
from dopt.images.streams import Stream
from dopt.images.tarstream import TarEntry, TarReader


@dataclass
class LayerScan:
    """What one layer tar holds. ``tar_size`` counts the uncompressed tar's bytes."""

    key: str
    entries: list[TarEntry] = field(default_factory=list)
    tar_size: int = 0
    content_bytes: int = 0
    compression: str = "none"
    files: dict[str, bytes] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


def scan_layer(stream: Stream, key: str = "", compression: str = "none") -> LayerScan:
    """Read the layer tar in ``stream`` to its end; see the module docstring."""
    scan = LayerScan(key=key, compression=compression)
    reader = TarReader(stream, what=f"layer {key}" if key else "layer")
    entries = scan.entries
    content = 0
    wants_content = packages.wants_content
    is_candidate = secrets.is_candidate
    for entry in reader:
        entries.append(entry)
        if entry.type != "f":
            continue
        content += entry.size
        name = entry.name
        # Cheap suffix tests first: almost no path is a package DB or a secret candidate.
        if wants_content(name):
            scan.files[name] = reader.read_content(packages.DATABASE_LIMIT)
        elif is_candidate(name):
            verdict = secrets.classify(name, reader.read_content(secrets.HEAD_LIMIT))
            if verdict:
                scan.secrets[name] = verdict
    scan.content_bytes = content
    stream.drain()  # the end-of-archive blocks and record padding count towards the tar size
    scan.tar_size = stream.position
    return scan
