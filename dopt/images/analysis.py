"""``analyze(source) -> ImageReport``: one streaming pass over the layers, then the findings.

See :mod:`dopt.images.report` for what each figure means. The pass reads each
layer tar once (in whatever order the source stores them), keeps headers only,
then stacks the layers in image order.

Example::

    >>> report = analyze("tests/data/b71.tar")  # doctest: +SKIP
    >>> report.wasted_bytes, report.dive_wasted_bytes  # doctest: +SKIP
    (52428800, 104857600)
"""

from __future__ import annotations

import heapq
import re

from dopt.errors import DoptError
from dopt.images import history as hist
from dopt.images.packages import is_build_tool, packages_from_files
from dopt.images.report import (
    ImageReport, LayerReport, RemovableItem, SecretFinding, SpecialFile, WastedItem, slash,
)
from dopt.images.scan import LayerScan, scan_layer
from dopt.images.source import ImageSource, NotAnImage, open_image
from dopt.images.streams import CorruptStream
from dopt.images.tarstream import NotATar
from dopt.images.tree import WHITEOUT, FileTree

# -- removable paths ----------------------------------------------------------
HOME = r"(?:root|home/[^/]+)"
REMOVABLE_RULES: list[tuple[str, re.Pattern, str]] = [
    ("apt lists", re.compile(r"^(var/lib/apt/lists)/"),
     "`rm -rf /var/lib/apt/lists/*` in the RUN that ran apt-get update (pass `cleanup`)"),
    ("apt cache", re.compile(r"^(var/cache/apt)/"),
     "`apt-get clean` in the same RUN, or `RUN --mount=type=cache,target=/var/cache/apt`"),
    ("apk cache", re.compile(r"^(var/cache/apk)/"), "`apk add --no-cache`"),
    ("pip cache", re.compile(rf"^({HOME}/\.cache/pip)/"),
     "`pip install --no-cache-dir`, or `RUN --mount=type=cache,target=/root/.cache/pip`"),
    ("npm cache", re.compile(rf"^({HOME}/\.npm)/"),
     "`npm cache clean --force` in the same RUN, or a cache mount on /root/.npm"),
    ("yarn cache", re.compile(rf"^(usr/local/share/\.cache/yarn|{HOME}/\.cache/yarn)/"),
     "`yarn cache clean` in the same RUN, or a cache mount"),
    ("go build cache", re.compile(rf"^({HOME}/\.cache/go-build)/"),
     "`RUN --mount=type=cache,target=/root/.cache/go-build`, or build in a separate stage"),
    ("maven repository", re.compile(rf"^({HOME}/\.m2)/"),
     "build in a separate stage and copy only the artifact, or a cache mount on /root/.m2"),
    ("temporary files", re.compile(r"^(tmp|var/tmp)/"), "remove temporary files in the RUN that made them"),
    ("documentation", re.compile(r"^(usr/share/doc)/"),
     "dpkg `path-exclude=/usr/share/doc/*` (as the slim images do), or remove it in the install RUN"),
    ("man pages", re.compile(r"^(usr/share/man|usr/share/info)/"),
     "dpkg `path-exclude=/usr/share/man/*`, or remove them in the install RUN"),
    ("python bytecode", re.compile(r"(^|/)(__pycache__)/"),
     "`PYTHONDONTWRITEBYTECODE=1` / `pip install --no-compile` if start-up time allows"),
    ("static objects", re.compile(r"\.(a|o)$"),
     "build in a separate stage and copy only what runs (`*.a`, `*.o` are build inputs)"),
]
PATTERN_DISPLAY = {"python bytecode": "**/__pycache__", "static objects": "**/*.a, **/*.o"}


def _hint_for(action: str, creators: list[LayerReport], remover: LayerReport | None) -> str:
    creator_kinds = {c.kind for c in creators}
    remover_text = remover.created_by if remover else ""
    if action == "deleted":
        if creator_kinds & {"COPY", "ADD"}:
            return ("copied in and deleted in a later layer: keep it out of the build context "
                    "(.dockerignore), or use it from a build stage or `RUN --mount=type=bind`")
        return ("`RUN rm` in a later layer: move the removal into the RUN that created it "
                "(pass `cleanup`)")
    if action == "replaced":
        return "directory replaced in a later layer: build it once, in the last layer that changes it"
    if action == "metadata-changed":
        chown = hist.mentions(remover_text, "chown")
        chmod = hist.mentions(remover_text, "chmod")
        if creator_kinds & {"COPY", "ADD"}:
            if chown and not chmod:
                return "COPY then chown: use `COPY --chown`"
            return "COPY then chmod: use `COPY --chmod`" + (" and `--chown`" if chown else "")
        return ("permissions changed in a later layer copy the whole file: change them in the RUN "
                "that created it (pass `fuse`)")
    return "file rewritten in a later layer: write it once, in the last layer that changes it"


def _explain(tree: FileTree, layers: list[LayerReport], limit: int) -> list[WastedItem]:
    """Group every superseded copy into items tied to creating and removing layers."""
    groups: dict[tuple, dict] = {}
    for rec in tree.records.values():
        if rec.wasted <= 0:
            continue
        events = rec.events
        for i, ev in enumerate(events[:-1]):
            if ev.action == "deleted" or ev.size == 0:
                continue
            nxt = events[i + 1]
            if nxt.action == "deleted":
                how, _, where = nxt.cause.partition(":")
                key = ("deleted" if how == "wh" else "replaced", nxt.layer, where or rec.path)
            elif (nxt.size == ev.size and (nxt.mode, nxt.uid, nxt.gid) != (ev.mode, ev.uid, ev.gid)
                  and nxt.layer < len(layers) and hist.mentions(layers[nxt.layer].created_by, "chmod", "chown")):
                # Same size, new mode or owner, by a command that changes those: the
                # file was copied up only for its metadata (content is not hashed).
                key = ("metadata-changed", nxt.layer, rec.path)
            else:
                key = ("overwritten", nxt.layer, rec.path)
            g = groups.setdefault(key, {"bytes": 0, "files": set(), "created": set(), "sizes": []})
            g["bytes"] += ev.size
            g["files"].add(rec.path)
            g["created"].add(ev.layer)
            g["sizes"].append((ev.size, rec.path))
    items = []
    for (action, removed_in, path), g in groups.items():
        creators = [layers[i] for i in sorted(g["created"]) if i < len(layers)]
        remover = layers[removed_in] if removed_in < len(layers) else None
        examples = [slash(p) for _, p in heapq.nlargest(3, g["sizes"])]
        items.append(WastedItem(
            path=slash(path), bytes=g["bytes"], files=len(g["files"]), action=action,
            created_in=sorted(g["created"]), removed_in=removed_in,
            hint=_hint_for(action, creators, remover), examples=examples,
        ))
    items.sort(key=lambda w: (-w.bytes, w.path))
    return items[:limit] if limit else items


def _removable(tree: FileTree) -> list[RemovableItem]:
    found: dict[tuple[str, str], list] = {}
    for path, node in tree.walk():
        for category, pattern, _hint in REMOVABLE_RULES:
            m = pattern.search(path)
            if not m:
                continue
            root = PATTERN_DISPLAY.get(category) or slash(m.group(1))
            slot = found.setdefault((category, root), [0, 0, set()])
            slot[0] += node.size
            slot[1] += 1
            slot[2].add(node.layer)
            break
    hints = {c: h for c, _p, h in REMOVABLE_RULES}
    items = [RemovableItem(category=c, path=root, bytes=b, files=n, hint=hints[c], layers=sorted(ls))
             for (c, root), (b, n, ls) in found.items() if b > 0]
    items.sort(key=lambda r: (-r.bytes, r.path))
    return items


def _special_files(tree: FileTree) -> list[SpecialFile]:
    out = []
    for path, node in tree.walk():
        if node.kind == "f" and node.mode & 0o6000:
            flags = (["setuid"] if node.mode & 0o4000 else []) + (["setgid"] if node.mode & 0o2000 else [])
            out.append(SpecialFile(slash(path), node.mode, flags, node.layer))
    out.sort(key=lambda s: s.path)
    return out


def _base_from_digests(layers: list[LayerReport], digests: list[str]) -> int:
    wanted = [d if ":" in d else f"sha256:{d}" for d in digests]
    n = 0
    for layer, d in zip(layers, wanted):
        if d not in (layer.digest, layer.blob_digest):
            break
        n += 1
    return n


def _base_from_image(report: ImageReport, base_image: str, client) -> int:
    with open_image(base_image, client=client) as base:
        cfg = base.metadata()
    n = _base_from_digests(report.layers, cfg.diff_ids)
    if n:
        return n
    # Diff IDs differ (a re-pulled or rebuilt base): the base's history still
    # prefixes the image's, so its non-empty entries count the base layers.
    ours, theirs = report.config.history, cfg.history
    if theirs and [h.created_by for h in ours[: len(theirs)]] == [h.created_by for h in theirs]:
        return sum(1 for h in theirs if not h.empty_layer)
    return 0


def _map_dockerfile(report: ImageReport, dockerfile: str) -> int:
    """Attach Dockerfile lines to layers; return how many leading layers precede the final stage."""
    try:
        from dopt.frontend import parse_text
    except ImportError as e:  # pragma: no cover - the front end ships with dopt
        raise DoptError(f"--dockerfile needs dopt's Dockerfile front end ({e})") from None
    from dopt.files import read_dockerfile

    # one-line errors for a missing, unreadable or non-UTF-8 file; CRLF kept as written
    df = parse_text(read_dockerfile(dockerfile), path=dockerfile)
    stage = df.final_stage
    if stage is None:
        raise DoptError(f"{dockerfile}: no FROM, so no layers to map")
    instructions = [(ins.KIND, ins.span.start_line if ins.span else 0) for ins in stage.instructions]
    entries = report.config.history
    pairs = hist.pair_with_dockerfile([hist.instruction_kind(h.created_by) for h in entries], instructions)
    # Layer i is the i-th history entry that is not empty_layer.
    layer_of_entry = {}
    n = 0
    for h_index, h in enumerate(entries):
        if not h.empty_layer:
            layer_of_entry[h_index] = n
            n += 1
    first_paired = min(pairs) if pairs else len(entries)
    for h_index, i_index in pairs.items():
        layer = layer_of_entry.get(h_index)
        if layer is not None and layer < len(report.layers):
            report.layers[layer].dockerfile_line = instructions[i_index][1]
    return sum(1 for h in entries[:first_paired] if not h.empty_layer)


def analyze(source, *, base_layers: list[str] | None = None, base_image: str | None = None,
            dockerfile: str | None = None, largest: int = 20, explain_limit: int = 50,
            client=None) -> ImageReport:
    """Analyze an image (an :class:`ImageSource` or anything :func:`open_image` accepts).

    ``base_layers`` (diff IDs), ``base_image`` (a name or archive) or ``dockerfile``
    tell where the base image ends, in that order of preference.

    >>> r = analyze("/no/such.tar")
    Traceback (most recent call last):
    ...
    dopt.images.source.ImageNotFound: no such file or directory: /no/such.tar
    """
    owned = not isinstance(source, ImageSource)
    src = open_image(source, client=client) if owned else source
    try:
        scans: dict[str, LayerScan] = {}
        broken: dict[str, str] = {}
        for key, stream, compression in src.layer_streams():
            try:
                scans[key] = scan_layer(stream, key, compression)
            except NotATar as e:
                broken[key] = str(e)  # fatal only if the manifest references this blob
                try:
                    stream.drain()
                except CorruptStream as e2:
                    broken[key] = f"{e}; {e2}"
            except CorruptStream as e:
                # the archive reader skips the rest of this member; nothing to drain
                broken[key] = str(e)
    finally:
        if owned:
            src.close()
    if src.config is None:
        raise NotAnImage(f"{src.reference}: no image config found")

    report = ImageReport(reference=src.reference, kind=src.kind, image_id=src.image_id,
                         repo_tags=src.repo_tags, config=src.config)
    history = src.config.layer_history()
    tree = FileTree()
    secrets: list[SecretFinding] = []
    for desc in src.layers:
        if desc.key in broken:
            raise NotAnImage(f"{src.reference}: layer {desc.index} ({desc.key}): {broken[desc.key]}")
        scan = scans.get(desc.key)
        if scan is None:
            raise NotAnImage(f"{src.reference}: layer {desc.index} ({desc.key}) is missing from the archive")
        h = history[desc.index] if desc.index < len(history) else None
        created_by = h.created_by if h else ""
        files = sum(1 for e in scan.entries if e.type != "d"
                    and not e.name[e.name.rfind("/") + 1:].startswith(WHITEOUT))
        report.layers.append(LayerReport(
            index=desc.index, digest=desc.diff_id, blob_digest=desc.digest, media_type=desc.media_type,
            compression=scan.compression, size=scan.content_bytes, tar_size=scan.tar_size,
            blob_size=desc.blob_size, created_by=created_by, instruction=hist.display_text(created_by),
            kind=hist.instruction_kind(created_by), file_count=files, entry_count=len(scan.entries),
        ))
        tree.apply(desc.index, scan.entries, scan.files)
        for path, reason in scan.secrets.items():
            secrets.append(SecretFinding(slash(path), reason, desc.index, present=False))

    report.tree = tree
    report.total_bytes = sum(l.size for l in report.layers)
    report.final_bytes = sum(n.size for p, n in tree.walk())
    for rec in tree.records.values():
        report.wasted_bytes += rec.wasted
        events = rec.events
        for i, ev in enumerate(events[:-1]):
            if ev.action != "deleted":
                report.layers[ev.layer].wasted_bytes += ev.size
    # dive's efficiency and its wastedBytes figure
    minimum = cumulative = 0
    inefficient = []
    for path, (cum, smallest, copies) in tree.dive.items():
        minimum += smallest
        cumulative += cum
        if copies >= 2:
            report.dive_wasted_bytes += cum
            inefficient.append((slash(path), copies, cum))
    report.efficiency = minimum / cumulative if cumulative else 1.0
    inefficient.sort(key=lambda t: (-t[2], t[0]))
    report.dive_inefficient = inefficient[:largest] if largest else inefficient

    # where the base ends
    if base_layers:
        report.base_layer_count, report.base_source = _base_from_digests(report.layers, base_layers), "base_layers"
    elif base_image:
        report.base_layer_count, report.base_source = _base_from_image(report, base_image, client), "base_image"
    if dockerfile:
        from_dockerfile = _map_dockerfile(report, dockerfile)
        if report.base_layer_count is None:
            report.base_layer_count, report.base_source = from_dockerfile, "dockerfile"
    for layer in report.layers[: report.base_layer_count or 0]:
        layer.is_base = True

    report.wasted = _explain(tree, report.layers, explain_limit)
    report.removable = _removable(tree)
    report.packages = packages_from_files(tree.files)
    report.build_tools = sorted((p for p in report.packages if is_build_tool(p.name)),
                                key=lambda p: (-p.installed_bytes, p.name))
    for s in secrets:
        node = tree.nodes.get(s.path.lstrip("/"))
        s.present = node is not None and node.layer == s.layer
    report.secrets = sorted(secrets, key=lambda s: (s.path, s.layer))
    report.special_files = _special_files(tree)
    report.largest_files = [(slash(p), n.size, n.layer) for p, n in
                            heapq.nlargest(largest, tree.walk(), key=lambda pn: pn[1].size) if n.size > 0]
    return report
