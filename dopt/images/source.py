"""Opening an image without a daemon-side extraction: archives, OCI layouts, the engine's save stream.

:func:`open_image` accepts

* a ``docker save`` archive (``manifest.json`` + config + layer tars; both the
  legacy ``<id>/layer.tar`` shape and Docker 25's OCI-in-tar shape),
* an OCI image layout, as a directory or a tar (``index.json``, ``blobs/sha256/...``),
* an image name or ID, read from the engine as a ``docker save`` *stream*
  (never written to disk),

optionally prefixed like dive's sources (``docker-archive://``, ``oci://``,
``docker://``). The result is an :class:`ImageSource`: iterate
:meth:`ImageSource.layer_streams` once to get each layer's uncompressed tar as a
:class:`~dopt.images.streams.Stream`; the config and the ordered layer
descriptors are complete when that iteration ends (a save stream carries its
manifest last). :meth:`ImageSource.metadata` reads only the config.

Example::

    >>> with open_image("image.tar") as src:          # doctest: +SKIP
    ...     for key, stream, compression in src.layer_streams():
    ...         ...                                     # each layer tar, uncompressed, once
    ...     src.config.env, [l.diff_id for l in src.layers]
"""

from __future__ import annotations

import json
import os
import platform
import re
import stat
from dataclasses import dataclass, field
from typing import Iterator

from dopt.errors import DoptError, EngineUnavailable
from dopt.images.streams import ChunkStream, CorruptStream, FileWindow, Stream, compression_of, decompressed
from dopt.images.tarstream import BLOCK, ZERO_BLOCK, NotATar, TarReader, _checksum_ok

JSON_LIMIT = 64 << 20  # a config or manifest is kilobytes; anything bigger is not one

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


class ImageNotFound(DoptError):
    """The file, directory or image name does not exist."""


class NotAnImage(DoptError):
    """The input exists but is not an image archive or layout."""


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of the config's ``history`` (one per Dockerfile instruction)."""

    created_by: str = ""
    created: str = ""
    comment: str = ""
    empty_layer: bool = False


@dataclass
class ImageConfig:
    """The parts of the image config the analysis uses; ``raw`` keeps the whole document."""

    raw: dict = field(default_factory=dict)

    @property
    def container_config(self) -> dict:
        return self.raw.get("config") or {}

    @property
    def env(self) -> list[str]:
        return list(self.container_config.get("Env") or [])

    @property
    def cmd(self) -> list[str] | None:
        return self.container_config.get("Cmd")

    @property
    def entrypoint(self) -> list[str] | None:
        return self.container_config.get("Entrypoint")

    @property
    def user(self) -> str:
        return self.container_config.get("User") or ""

    @property
    def os(self) -> str:
        return self.raw.get("os", "")

    @property
    def architecture(self) -> str:
        return self.raw.get("architecture", "")

    @property
    def diff_ids(self) -> list[str]:
        return list((self.raw.get("rootfs") or {}).get("diff_ids") or [])

    @property
    def history(self) -> list[HistoryEntry]:
        return [
            HistoryEntry(h.get("created_by", ""), h.get("created", ""), h.get("comment", ""),
                         bool(h.get("empty_layer", False)))
            for h in self.raw.get("history") or []
        ]

    def layer_history(self) -> list[HistoryEntry | None]:
        """History entries paired with layers: ``empty_layer`` entries skipped, in order.

        ``None`` pads when an image has fewer history entries than layers.

        >>> c = ImageConfig({"rootfs": {"diff_ids": ["a", "b"]},
        ...                  "history": [{"created_by": "ENV x=1", "empty_layer": True},
        ...                              {"created_by": "RUN make"}]})
        >>> [h.created_by if h else None for h in c.layer_history()]
        ['RUN make', None]
        """
        entries = [h for h in self.history if not h.empty_layer]
        n = len(self.diff_ids)
        return (entries + [None] * n)[:n]


@dataclass
class LayerDescriptor:
    """One layer, in image order. ``key`` names its tar inside the source."""

    index: int
    key: str
    diff_id: str = ""
    digest: str = ""  # the blob digest (compressed) where the source has one
    media_type: str = ""
    blob_size: int | None = None


class ImageSource:
    """An opened image: stream each layer once, then read config and layers."""

    kind = ""

    def __init__(self, reference: str):
        self.reference = reference
        self.config: ImageConfig | None = None
        self.layers: list[LayerDescriptor] = []
        self.image_id = ""
        self.repo_tags: list[str] = []

    def layer_streams(self) -> Iterator[tuple[str, Stream, str]]:
        """Yield ``(key, uncompressed tar stream, compression)`` for each distinct layer blob.

        The order is the source's storage order (for a save stream: arrival
        order), not necessarily image order; consume each stream before asking
        for the next. Afterwards ``config`` and ``layers`` are filled in.
        """
        raise NotImplementedError  # pragma: no cover

    def metadata(self) -> ImageConfig:
        """Read the config (and layer descriptors) without scanning layers."""
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        pass

    def __enter__(self) -> "ImageSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _looks_like_json(head: bytes) -> bool:
    return head.lstrip()[:1] in (b"{", b"[")


def _looks_like_tar(head: bytes) -> bool:
    if compression_of(head) != "none":
        return True
    if len(head) < BLOCK:
        return False
    try:
        return head[:BLOCK] == ZERO_BLOCK or _checksum_ok(head[:BLOCK])
    except NotATar:  # non-octal bytes where the checksum goes
        return False


def _load_json(data: bytes, what: str) -> dict | list:
    try:
        return json.loads(data)
    except ValueError as e:
        raise NotAnImage(f"{what} is not valid JSON ({e.msg})") from None


# OCI's digest grammar: algorithm ":" encoded. Anything else (``sha256:../../etc/passwd``)
# would name a file outside the layout.
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")


def _blob_key(digest) -> str:
    """The layout path of a blob, for a well-formed digest only.

    >>> _blob_key("sha256:ab12")
    'blobs/sha256/ab12'
    >>> _blob_key("sha256:../../etc/passwd")
    Traceback (most recent call last):
    ...
    dopt.images.source.NotAnImage: invalid blob digest 'sha256:../../etc/passwd'
    """
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise NotAnImage(f"invalid blob digest {digest!r}")
    algo, _, hexpart = digest.partition(":")
    return f"blobs/{algo}/{hexpart}"


def _dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise NotAnImage(f"{what} is not a JSON object")
    return value


def _list_of(value, kind, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        name = "objects" if kind is dict else "strings"
        raise NotAnImage(f"{what} is not a list of {name}")
    return value


def _host_arch() -> str:
    m = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(m, m)


def _pick_manifest(index: dict, read_json, reference: str) -> dict:
    """Descend an OCI index to one image manifest: the host platform, else the first real image."""
    seen = 0
    index = _dict(index, f"{reference}: index.json")
    while index.get("mediaType") in INDEX_TYPES or "manifests" in index:
        seen += 1
        if seen > 8:
            raise NotAnImage(f"{reference}: index nesting too deep")
        manifests = _list_of(index.get("manifests"), dict, f"{reference}: the index's manifests")
        candidates = [
            m for m in manifests
            # BuildKit attestation manifests are tagged unknown/unknown.
            if (m.get("platform") or {}).get("os") != "unknown"
        ]
        if not candidates:
            raise NotAnImage(f"{reference}: the index lists no image manifest")
        arch = _host_arch()
        chosen = next((m for m in candidates
                       if (m.get("platform") or {}).get("architecture") == arch), candidates[0])
        try:
            key = _blob_key(chosen.get("digest"))
        except NotAnImage as e:
            raise NotAnImage(f"{reference}: index entry: {e}") from None
        index = read_json(key)
        if not isinstance(index, dict):
            raise NotAnImage(f"{reference}: manifest {chosen['digest']} is not a JSON object")
    return index


def _check_config(raw: dict, reference: str) -> None:
    """The config fields the analysis reads have the types the image spec gives them."""
    for name, kind in (("config", dict), ("rootfs", dict)):
        if raw.get(name) is not None and not isinstance(raw[name], kind):
            raise NotAnImage(f"{reference}: image config field {name!r} is not a JSON object")
    _list_of((raw.get("rootfs") or {}).get("diff_ids"), str, f"{reference}: image config rootfs.diff_ids")
    _list_of(raw.get("history"), dict, f"{reference}: image config history")
    env = (raw.get("config") or {}).get("Env")
    _list_of(env, str, f"{reference}: image config Env")


class _Resolver:
    """Turns stored JSON members into config + ordered layer descriptors."""

    def __init__(self, source: ImageSource, read_json):
        self.source = source
        self.read_json = read_json

    def resolve(self, has) -> None:
        src = self.source
        if has("manifest.json"):
            manifests = self.read_json("manifest.json")
            if not isinstance(manifests, list) or not manifests:
                raise NotAnImage(f"{src.reference}: manifest.json lists no image")
            manifests = _list_of(manifests, dict, f"{src.reference}: manifest.json")
            entry = manifests[0]
            for m in manifests:  # a multi-image save: prefer the one the user named
                if src.reference in (m.get("RepoTags") or []):
                    entry = m
            config_key = entry.get("Config", "")
            if not isinstance(config_key, str) or not config_key:
                raise NotAnImage(f"{src.reference}: manifest.json names no config file")
            raw = self.read_json(config_key)
            layer_keys = list(_list_of(entry.get("Layers"), str, f"{src.reference}: manifest.json Layers"))
            src.repo_tags = [t for t in entry.get("RepoTags") or [] if isinstance(t, str)]
            base = os.path.basename(config_key)
            hexpart = base[:-5] if base.endswith(".json") else base
            src.image_id = f"sha256:{hexpart}"
            blobs: list[dict] = [{} for _ in layer_keys]
        elif has("index.json"):
            index = self.read_json("index.json")
            manifest = _pick_manifest(index, self.read_json, src.reference)
            config_digest = (_dict(manifest.get("config") or {}, f"{src.reference}: the manifest's config")
                             .get("digest", ""))
            if not config_digest:
                raise NotAnImage(f"{src.reference}: image manifest has no config")
            try:
                raw = self.read_json(_blob_key(config_digest))
                blobs = list(_list_of(manifest.get("layers"), dict, f"{src.reference}: the manifest's layers"))
                layer_keys = [_blob_key(b.get("digest", "")) for b in blobs]
            except NotAnImage as e:
                raise NotAnImage(str(e) if str(e).startswith(src.reference) else f"{src.reference}: {e}") from None
            src.image_id = config_digest
            for m in index.get("manifests") or []:
                tag = (m.get("annotations") or {}).get("io.containerd.image.name") \
                    or (m.get("annotations") or {}).get("org.opencontainers.image.ref.name")
                if tag:
                    src.repo_tags.append(tag)
        else:
            raise NotAnImage(f"{src.reference}: not an image (no manifest.json or index.json)")
        if not isinstance(raw, dict):
            raise NotAnImage(f"{src.reference}: image config is not a JSON object")
        _check_config(raw, src.reference)
        config = ImageConfig(raw)
        diff_ids = config.diff_ids
        if diff_ids and len(diff_ids) != len(layer_keys):
            raise NotAnImage(f"{src.reference}: config lists {len(diff_ids)} layers, manifest {len(layer_keys)}")
        src.config = config
        src.layers = [
            LayerDescriptor(
                index=i, key=key,
                diff_id=diff_ids[i] if i < len(diff_ids) else "",
                digest=blobs[i].get("digest") or (diff_ids[i] if i < len(diff_ids) else ""),
                media_type=blobs[i].get("mediaType", ""),
                blob_size=blobs[i].get("size"),
            )
            for i, key in enumerate(layer_keys)
        ]


class TarImage(ImageSource):
    """A docker-archive or OCI layout packed in a tar, read from a file or a stream."""

    def __init__(self, reference: str, open_stream, kind: str = "docker-archive"):
        super().__init__(reference)
        self._open_stream = open_stream
        self.kind = kind
        self._json: dict[str, bytes] = {}
        self._sizes: dict[str, int] = {}
        self._consumed = False
        self.rewindable = False

    def _read_json(self, key: str):
        key = key.lstrip("./") if key.startswith("./") else key
        if key not in self._json:
            raise NotAnImage(f"{self.reference}: {key} is missing from the archive")
        return _load_json(self._json[key], f"{self.reference}: {key}")

    def _walk(self, want_layers: bool) -> Iterator[tuple[str, Stream, str]]:
        if self._consumed and not self.rewindable:
            raise DoptError(f"{self.reference}: the image stream can be read only once")
        stream = self._open_stream()
        try:
            # `docker save | gzip > image.tar.gz`: the archive itself may be compressed
            stream, _ = decompressed(stream)
        except CorruptStream as e:
            raise NotAnImage(f"{self.reference}: {e}") from None
        reader = TarReader(stream, what=self.reference)
        try:
            for entry in reader:
                if entry.type != "f":
                    continue
                name = entry.name
                self._sizes[name] = entry.size
                head = stream.peek(min(BLOCK, entry.size)) if entry.size else b""
                layer_like = name.endswith("layer.tar") or name.startswith("blobs/")
                if layer_like and (entry.size == 0 or _looks_like_tar(head)):
                    if want_layers:
                        member = reader.member_stream()
                        layer, compression = decompressed(member)
                        yield name, layer, compression
                elif entry.size <= JSON_LIMIT and (name.endswith(".json") or _looks_like_json(head)):
                    self._json[name] = reader.read_content(entry.size)
                # anything else (attestation blobs, VERSION files) is skipped unread
        except NotATar as e:
            raise NotAnImage(f"{self.reference}: not an image archive ({e})") from None
        except CorruptStream as e:
            raise NotAnImage(f"{self.reference}: {e}") from None
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        self._consumed = True
        _Resolver(self, self._read_json).resolve(lambda k: k in self._json)
        for layer in self.layers:
            if layer.blob_size is None:
                layer.blob_size = self._sizes.get(layer.key)
        if not self.layers and not self.config:
            raise NotAnImage(f"{self.reference}: not an image archive")
        if self.kind == "docker-archive" and "index.json" in self._json and "manifest.json" not in self._json:
            self.kind = "oci-archive"

    def layer_streams(self) -> Iterator[tuple[str, Stream, str]]:
        yield from self._walk(True)

    def metadata(self) -> ImageConfig:
        if self.config is None:
            for _ in self._walk(False):
                pass
        return self.config


class ArchiveFile(TarImage):
    """A tar archive on disk: member content is skipped by offset, never read."""

    def __init__(self, path: str, reference: str | None = None):
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise ImageNotFound(f"cannot open {path}: {e.strerror}") from None
        st = os.fstat(self._fd)
        if stat.S_ISREG(st.st_mode) or stat.S_ISBLK(st.st_mode):
            size = st.st_size
            super().__init__(reference or path, lambda: FileWindow(self._fd, 0, size))
            self.rewindable = True  # a file can be walked again: metadata first, then layers
        else:
            # a pipe (`dopt inspect <(docker save app)`, /dev/stdin): read once, front to back
            fd = self._fd
            super().__init__(reference or path, lambda: ChunkStream(lambda: os.read(fd, 1 << 20)))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class OCILayoutDir(ImageSource):
    """An OCI image layout directory: ``oci-layout``, ``index.json``, ``blobs/<alg>/<hex>``."""

    kind = "oci-layout"

    def __init__(self, path: str, reference: str | None = None):
        super().__init__(reference or path)
        self.path = path
        if not os.path.isfile(os.path.join(path, "index.json")):
            raise NotAnImage(f"{path}: a directory without index.json is not an OCI image layout")

    def _open_blob(self, key: str, what: str) -> int:
        """A descriptor for a regular file of the layout; a FIFO or device is refused, not waited on."""
        full = os.path.join(self.path, key)
        try:
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as e:
            raise NotAnImage(f"{self.reference}: {what} {key}: {e.strerror}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise NotAnImage(f"{self.reference}: {what} {key} is not a regular file")
        return fd

    def _read_json(self, key: str):
        fd = self._open_blob(key, "cannot read")
        try:
            with os.fdopen(fd, "rb") as f:
                data = f.read(JSON_LIMIT + 1)
        except OSError as e:
            raise NotAnImage(f"{self.reference}: cannot read {key}: {e.strerror}") from None
        return _load_json(data, f"{self.reference}: {key}")

    def metadata(self) -> ImageConfig:
        if self.config is None:
            _Resolver(self, self._read_json).resolve(
                lambda k: os.path.isfile(os.path.join(self.path, k)))
        return self.config

    def layer_streams(self):
        self.metadata()
        done: set[str] = set()
        for layer in self.layers:
            if layer.key in done:
                continue
            done.add(layer.key)
            fd = self._open_blob(layer.key, "layer blob")
            try:
                window = FileWindow(fd, 0, os.fstat(fd).st_size)
                if layer.blob_size is None:
                    layer.blob_size = window.length
                stream, compression = decompressed(window)
                yield layer.key, stream, compression
            finally:
                os.close(fd)


def engine_client():
    """A docker SDK client that answered a ping, or :class:`EngineUnavailable`.

    >>> engine_client().ping()  # doctest: +SKIP
    True
    """
    try:
        import docker
    except ImportError:  # pragma: no cover - docker is a dependency
        raise EngineUnavailable("the 'docker' package is not installed") from None
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as e:  # DockerException, requests' ConnectionError, PermissionError...
        raise EngineUnavailable(f"no Docker engine answers ({type(e).__name__}: {str(e)[:160]})") from None
    return client


class EngineImage(TarImage):
    """An image in the local engine, read through ``docker save`` as a stream."""

    kind = "engine"

    def __init__(self, name: str, client=None):
        self.client = client or engine_client()
        import docker.errors

        try:
            self.image = self.client.images.get(name)
        except docker.errors.ImageNotFound:
            raise ImageNotFound(f"no such image in the engine: {name} (and no such file)") from None
        except docker.errors.APIError as e:
            raise DoptError(f"engine error looking up {name}: {e.explanation or e}") from None
        super().__init__(name, self._save_stream, kind="engine")

    def _save_stream(self) -> Stream:
        import docker.errors

        try:
            chunks = self.image.save(chunk_size=1 << 20, named=False)
        except docker.errors.APIError as e:
            raise DoptError(f"docker save {self.reference} failed: {e.explanation or e}") from None
        return ChunkStream.from_chunks(chunks)

    def metadata(self) -> ImageConfig:
        # The engine answers inspect and history without a save; pairing layers with
        # history needs created_by and empty_layer, which the history API gives.
        if self.config is None:
            from dopt.images.history import LAYER_KINDS, instruction_kind

            attrs = self.image.attrs
            history = list(reversed(self.client.api.history(self.image.id)))
            raw = {
                "config": attrs.get("Config") or {},
                "os": attrs.get("Os", ""),
                "architecture": attrs.get("Architecture", ""),
                "rootfs": {"type": "layers", "diff_ids": (attrs.get("RootFS") or {}).get("Layers") or []},
                # The history API has no empty_layer flag: a 0-byte entry of a
                # metadata instruction (ENV, CMD, ...) made none.
                "history": [{"created_by": h.get("CreatedBy", ""), "comment": h.get("Comment", ""),
                             "empty_layer": h.get("Size", 0) == 0
                             and instruction_kind(h.get("CreatedBy", "")) not in LAYER_KINDS}
                            for h in history],
            }
            self.config = ImageConfig(raw)
            self.image_id = self.image.id
            self.repo_tags = list(self.image.tags)
        return self.config


def _strip_scheme(ref: str) -> tuple[str | None, str]:
    for scheme, kind in (("docker-archive://", "archive"), ("docker-archive:", "archive"),
                         ("oci-archive:", "archive"), ("oci://", "path"), ("oci:", "path"),
                         ("docker://", "engine"), ("docker:", "engine")):
        if ref.startswith(scheme):
            return kind, ref[len(scheme):]
    return None, ref


def open_image(source: str, *, client=None) -> ImageSource:
    """Open ``source``: an archive or OCI layout path, or an image name in the local engine.

    A path that exists wins over an image name; a name that looks like a path
    (``./x``, ``x.tar``) and does not exist is a missing file, not an engine lookup.

    >>> open_image("/nonexistent/image.tar")
    Traceback (most recent call last):
    ...
    dopt.images.source.ImageNotFound: no such file or directory: /nonexistent/image.tar
    """
    kind, ref = _strip_scheme(source)
    if kind != "engine":
        if os.path.isdir(ref):
            return OCILayoutDir(ref, source)
        if os.path.exists(ref):
            return ArchiveFile(ref, source)
        looks_like_path = kind is not None or os.sep in ref and ref.startswith((".", os.sep, "~")) \
            or ref.endswith((".tar", ".tar.gz", ".tgz", ".oci"))
        if looks_like_path:
            raise ImageNotFound(f"no such file or directory: {ref}")
    return EngineImage(ref, client=client)
