"""The image's file tree, built layer by layer with whiteouts applied, and every path's history.

Whiteouts follow the OCI image spec: ``dir/.wh.name`` deletes ``dir/name`` (a
whole subtree when it was a directory) from the layers below; ``dir/.wh..wh..opq``
makes ``dir`` opaque (everything below it from lower layers goes). Both apply to
lower layers only, so they are applied before the layer's own entries.

Alongside, :class:`FileTree` keeps dive's efficiency bookkeeping (see
:mod:`dopt.images.analysis` for the definitions): per path, the cumulative and
smallest size over every *leaf* of every layer's own tree, where a whiteout of a
file counts 0 and a whiteout of a directory counts what it deleted.

Example::

    >>> from dopt.images.tarstream import TarEntry
    >>> def f(name, size=0, kind="f"): return TarEntry(name, kind, size, 0o644, 0, 0, "", 0)
    >>> t = FileTree()
    >>> t.apply(0, [f("app", kind="d"), f("app/big", 100), f("app/keep", 5)])
    >>> t.apply(1, [f("app/.wh.big")])
    >>> sorted(t.nodes), t.records["app/big"].wasted, [e.action for e in t.history("app/big")]
    (['app', 'app/keep'], 100, ['added', 'deleted'])
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from dopt.images.tarstream import TarEntry

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


class Event(NamedTuple):
    """Something a layer did to a path: ``added``, ``modified`` or ``deleted``."""

    layer: int
    action: str
    size: int
    mode: int = 0
    uid: int = 0
    gid: int = 0
    # For deletions, what removed it: "wh:<whiteout target>", "opq:<opaque dir>" or
    # "rep:<path replaced by another type>".
    cause: str = ""


class Node(NamedTuple):
    """The current state of a path in the stacked tree."""

    kind: str  # f file, d directory, l symlink, h hard link, c/b devices, p fifo
    size: int
    mode: int
    uid: int
    gid: int
    layer: int
    linkname: str = ""


class PathRecord:
    """Every copy of one non-directory path across the layers."""

    __slots__ = ("path", "events", "total")

    def __init__(self, path: str):
        self.path = path
        self.events: list[Event] = []
        self.total = 0  # bytes over every copy any layer wrote

    @property
    def present(self) -> bool:
        return bool(self.events) and self.events[-1].action != "deleted"

    @property
    def final_size(self) -> int:
        return self.events[-1].size if self.present else 0

    @property
    def wasted(self) -> int:
        """Reclaimable bytes: every copy minus the one the final image keeps (none if deleted)."""
        return self.total - self.final_size


def _parent(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i >= 0 else ""


class FileTree:
    """The stacked tree. ``nodes`` is the final state (path -> :class:`Node`, directories included);
    ``records`` the history of every non-directory path ever written; ``files`` the captured
    content (package databases) of the final tree."""

    def __init__(self):
        self.nodes: dict[str, Node] = {}
        self.kids: dict[str, set[str]] = {"": set()}
        self.records: dict[str, PathRecord] = {}
        self.files: dict[str, bytes] = {}
        self.layer_files: dict[int, dict[str, bytes]] = {}
        # dive's efficiency bookkeeping: path -> [cumulative, smallest, copies]
        self.dive: dict[str, list[int]] = {}

    # -- queries ---------------------------------------------------------
    def history(self, path: str) -> list[Event]:
        """The events of ``path`` (leading slash optional), oldest first.

        Directories have none: only what holds bytes is tracked.
        """
        rec = self.records.get(path.strip("/"))
        return list(rec.events) if rec else []

    def subtree_size(self, path: str) -> int:
        """Bytes of the files at and below ``path`` in the current tree."""
        total = 0
        stack = [path]
        while stack:
            p = stack.pop()
            node = self.nodes.get(p)
            if node is None:
                continue
            total += node.size if node.kind != "d" else 0
            stack.extend(self.kids.get(p, ()))
        return total

    def walk(self, under: str = "") -> Iterable[tuple[str, Node]]:
        """Every non-directory ``(path, node)`` of the final tree at or below ``under``."""
        under = under.strip("/")
        if not under:
            for p, n in self.nodes.items():
                if n.kind != "d":
                    yield p, n
            return
        stack = [under]
        while stack:
            p = stack.pop()
            node = self.nodes.get(p)
            if node is None:
                continue
            if node.kind != "d":
                yield p, node
            stack.extend(self.kids.get(p, ()))

    # -- building --------------------------------------------------------
    def _record(self, path: str) -> PathRecord:
        rec = self.records.get(path)
        if rec is None:
            rec = self.records[path] = PathRecord(path)
        return rec

    def _remove(self, path: str, layer: int, cause: str, include_self: bool = True) -> None:
        """Delete ``path`` and what is below it from the current tree, recording each file's deletion."""
        stack = [path] if include_self else list(self.kids.get(path, ()))
        if not include_self:
            self.kids[path] = set()
        while stack:
            p = stack.pop()
            node = self.nodes.pop(p, None)
            if node is None:
                continue
            children = self.kids.pop(p, None)
            if children:
                stack.extend(children)
            if node.kind != "d":
                self._record(p).events.append(Event(layer, "deleted", 0, cause=cause))
                self.files.pop(p, None)
        if include_self:
            self.kids.get(_parent(path), set()).discard(path)

    def _ensure_dir(self, path: str, layer: int) -> None:
        missing = []
        p = path
        while p and (p not in self.nodes or self.nodes[p].kind != "d"):
            missing.append(p)
            p = _parent(p)
        for d in reversed(missing):
            if d in self.nodes:  # a file where a directory must be: it is replaced
                self._remove(d, layer, "rep:" + d)
            self.nodes[d] = Node("d", 0, 0o755, 0, 0, layer)
            self.kids.setdefault(d, set())
            self.kids.setdefault(_parent(d), set()).add(d)

    def apply(self, layer: int, entries: list[TarEntry], files: dict[str, bytes] | None = None) -> None:
        """Stack one layer's entries (from :func:`~dopt.images.scan.scan_layer`) on the tree."""
        files = files or {}
        whiteouts: list[str] = []
        opaques: list[str] = []
        regular: list[TarEntry] = []
        for e in entries:
            name = e.name
            base = name[name.rfind("/") + 1:]
            if base.startswith(WHITEOUT):
                if base == OPAQUE:
                    opaques.append(_parent(name))
                else:
                    whiteouts.append((_parent(name) + "/" if "/" in name else "") + base[len(WHITEOUT):])
                    regular.append(e)  # kept for dive's leaf bookkeeping only
            elif name:
                regular.append(e)

        self._dive_layer(regular)

        for d in opaques:
            if d in self.nodes:
                self._remove(d, layer, "opq:" + d, include_self=False)
        for target in whiteouts:
            if target in self.nodes:
                self._remove(target, layer, "wh:" + target)

        nodes, records = self.nodes, self.records
        for e in regular:
            name = e.name
            base = name[name.rfind("/") + 1:]
            if base.startswith(WHITEOUT):
                continue
            parent = _parent(name)
            if parent and (parent not in nodes or nodes[parent].kind != "d"):
                self._ensure_dir(parent, layer)
            old = nodes.get(name)
            if e.type == "d":
                if old is not None and old.kind != "d":
                    self._remove(name, layer, "rep:" + name)
                    old = None
                nodes[name] = Node("d", 0, e.mode, e.uid, e.gid, layer)
                if old is None:
                    self.kids.setdefault(name, set())
                    self.kids[parent].add(name)
                continue
            if old is not None and old.kind == "d":
                self._remove(name, layer, "rep:" + name)  # a directory replaced by a file
                old = None
            nodes[name] = Node(e.type, e.size, e.mode, e.uid, e.gid, layer, e.linkname)
            if old is None:
                self.kids[parent].add(name)
            rec = records.get(name)
            if rec is None:
                rec = records[name] = PathRecord(name)
            rec.events.append(Event(layer, "modified" if old is not None else "added",
                                    e.size, e.mode, e.uid, e.gid))
            rec.total += e.size
            if name in files:
                self.files[name] = files[name]
            elif name in self.files:
                del self.files[name]

    def _dive_layer(self, entries: list[TarEntry]) -> None:
        """dive's per-layer leaf visit (filetree.Efficiency), against the tree *before* this layer."""
        parents: set[str] = set()
        for e in entries:
            p = _parent(e.name)
            while p and p not in parents:
                parents.add(p)
                p = _parent(p)
        dive = self.dive
        for e in entries:
            name = e.name
            if e.type == "d" and name in parents:
                continue  # not a leaf of this layer's tree
            base = name[name.rfind("/") + 1:]
            if base.startswith(WHITEOUT):
                name = (_parent(name) + "/" if "/" in name else "") + base[len(WHITEOUT):]
                old = self.nodes.get(name)
                size = self.subtree_size(name) if old is not None and old.kind == "d" else 0
            else:
                size = e.size
            slot = dive.get(name)
            if slot is None:
                dive[name] = [size, size, 1]
            else:
                slot[0] += size
                if size < slot[1]:
                    slot[1] = size
                slot[2] += 1
