"""The result of :func:`dopt.images.analyze`, and its versioned JSON form (``dopt.inspect/1``).

Figures, all in bytes of uncompressed file content unless named otherwise:

``total_bytes``
    every copy in every layer (sum of the layers' ``size``; dive's image ``sizeBytes``).
``final_bytes``
    the files of the final tree. ``total_bytes == final_bytes + wasted_bytes`` always.
``wasted_bytes``
    reclaimable bytes: per path, every copy minus the copy the final image keeps (none if the
    path was deleted). A 50 MB file written in two layers wastes 50 MB (shared case B71).
``efficiency``
    dive's score, with dive's conventions: per path the smallest copy over all copies, summed,
    divided by the sum of all copies (a deleted file's whiteout is a 0-byte copy).
``dive_wasted_bytes``
    what ``dive --ci`` prints as ``wastedBytes``: the *cumulative* size of every path with two or
    more copies (so B71 shows 100 MB there). Kept for comparison only.

Example::

    >>> LayerReport(index=0, digest="sha256:ab", size=3).to_dict()["size"]
    3
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dopt.images.packages import Package
from dopt.images.source import ImageConfig
from dopt.images.tree import FileTree

SCHEMA = "dopt.inspect/1"


def slash(path: str) -> str:
    """A normalized tree path as users write it.

    >>> slash("var/lib/apt/lists"), slash("")
    ('/var/lib/apt/lists', '/')
    """
    return "/" + path


@dataclass
class LayerReport:
    index: int
    digest: str  # the diff_id: sha256 of the uncompressed tar
    blob_digest: str = ""
    media_type: str = ""
    compression: str = "none"
    size: int = 0  # bytes of file content (dive's layer sizeBytes)
    tar_size: int = 0  # bytes of the uncompressed tar
    blob_size: int | None = None  # bytes as stored (compressed for OCI gzip/zstd layers)
    created_by: str = ""
    instruction: str = ""  # created_by as a Dockerfile line
    kind: str = ""  # RUN, COPY, ADD, ... (from created_by)
    file_count: int = 0  # non-directory, non-whiteout entries
    entry_count: int = 0
    wasted_bytes: int = 0  # bytes of this layer's copies the final image does not keep
    is_base: bool = False
    dockerfile_line: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class WastedItem:
    """Reclaimable bytes tied to the layers that made them and the layer that made them useless."""

    path: str
    bytes: int
    files: int
    action: str  # deleted | overwritten | metadata-changed | replaced
    created_in: list[int]
    removed_in: int
    hint: str
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RemovableItem:
    category: str
    path: str
    bytes: int
    files: int
    hint: str
    layers: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SecretFinding:
    path: str
    reason: str
    layer: int
    present: bool  # False: deleted later, but still readable from that layer's tar

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SpecialFile:
    path: str
    mode: int
    flags: list[str]  # setuid, setgid
    layer: int

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mode"] = f"{self.mode:04o}"
        return d


@dataclass
class ImageReport:
    reference: str
    kind: str
    image_id: str = ""
    repo_tags: list[str] = field(default_factory=list)
    config: ImageConfig | None = None
    layers: list[LayerReport] = field(default_factory=list)
    tree: FileTree | None = None
    total_bytes: int = 0
    final_bytes: int = 0
    wasted_bytes: int = 0
    efficiency: float = 1.0
    dive_wasted_bytes: int = 0
    dive_inefficient: list[tuple[str, int, int]] = field(default_factory=list)  # path, copies, cumulative
    base_layer_count: int | None = None
    base_source: str = ""  # how the base was found: base_layers, base_image, dockerfile, or ""
    wasted: list[WastedItem] = field(default_factory=list)
    removable: list[RemovableItem] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    build_tools: list[Package] = field(default_factory=list)
    secrets: list[SecretFinding] = field(default_factory=list)
    special_files: list[SpecialFile] = field(default_factory=list)
    largest_files: list[tuple[str, int, int]] = field(default_factory=list)  # path, size, layer

    # -- derived figures ---------------------------------------------------
    @property
    def base_bytes(self) -> int:
        return sum(l.size for l in self.layers[: self.base_layer_count or 0])

    @property
    def added_bytes(self) -> int:
        """Bytes in the layers above the whole base image (all layers when the base is unknown)."""
        return self.total_bytes - self.base_bytes

    @property
    def user_bytes(self) -> int:
        """The denominator of ``user_wasted_percent``: layers above the base, or (like dive,
        when the base is unknown) every layer but the first."""
        if self.base_layer_count is None:
            return sum(l.size for l in self.layers[1:])
        return self.added_bytes

    @property
    def user_wasted_percent(self) -> float:
        """Wasted bytes over user bytes, as a ratio (dive's name says percent; its value is a ratio)."""
        return self.wasted_bytes / self.user_bytes if self.user_bytes else 0.0

    @property
    def file_count(self) -> int:
        return sum(1 for n in self.tree.nodes.values() if n.kind != "d") if self.tree else 0

    def history(self, path: str) -> list[dict]:
        """Which layers added, modified or deleted ``path`` (``/etc/passwd`` or ``etc/passwd``).

        Each item: ``{"layer", "action", "size", "mode", "instruction"}``.
        """
        if not self.tree:
            return []
        out = []
        for e in self.tree.history(path):
            layer = self.layers[e.layer] if e.layer < len(self.layers) else None
            out.append({"layer": e.layer, "action": e.action, "size": e.size,
                        "mode": f"{e.mode:04o}" if e.action != "deleted" else None,
                        "instruction": layer.instruction if layer else ""})
        return out

    def to_dict(self) -> dict:
        """The ``dopt.inspect/1`` document (paths with a leading slash, sizes in bytes)."""
        cfg = self.config or ImageConfig({})
        return {
            "schema": SCHEMA,
            "image": {
                "reference": self.reference,
                "source": self.kind,
                "id": self.image_id,
                "repo_tags": self.repo_tags,
                "os": cfg.os,
                "architecture": cfg.architecture,
                "env": cfg.env,
                "cmd": cfg.cmd,
                "entrypoint": cfg.entrypoint,
                "user": cfg.user,
            },
            "summary": {
                "layers": len(self.layers),
                "files": self.file_count,
                "total_bytes": self.total_bytes,
                "final_bytes": self.final_bytes,
                "wasted_bytes": self.wasted_bytes,
                "efficiency": self.efficiency,
                "user_bytes": self.user_bytes,
                "user_wasted_percent": self.user_wasted_percent,
                "base_layers": self.base_layer_count,
                "base_source": self.base_source,
                "base_bytes": self.base_bytes,
                "added_bytes": self.added_bytes,
                "dive_wasted_bytes": self.dive_wasted_bytes,
            },
            "layers": [l.to_dict() for l in self.layers],
            "wasted": [w.to_dict() for w in self.wasted],
            "dive_inefficient_files": [
                {"path": p, "count": c, "bytes": b} for p, c, b in self.dive_inefficient
            ],
            "removable": [r.to_dict() for r in self.removable],
            "packages": {
                "manager": self.packages[0].manager if self.packages else None,
                "count": len(self.packages),
                "installed_bytes": sum(p.installed_bytes for p in self.packages),
            },
            "build_tools": [
                {"name": p.name, "version": p.version, "installed_bytes": p.installed_bytes,
                 "manager": p.manager} for p in self.build_tools
            ],
            "secrets": [s.to_dict() for s in self.secrets],
            "special_files": [s.to_dict() for s in self.special_files],
            "largest_files": [{"path": p, "bytes": s, "layer": l} for p, s, l in self.largest_files],
        }
