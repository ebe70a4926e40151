"""The specification's layer-analyzer classes (SEED Task 2), over :func:`dopt.images.analyze`.

Nothing here runs a container or ``docker history``: the image is streamed once
(from the engine's ``docker save``, or an archive path) and every question is
answered from that one report. ``dopt/compat.py`` re-exports these names.

Example::

    >>> analyzer = LayerAnalyzer()
    >>> analysis = analyzer.analyze_image("myapp:latest")            # doctest: +SKIP
    >>> [l.size_mb for l in analysis.get_largest_layers(2)]          # doctest: +SKIP
    [50.0, 1.0]
    >>> analyzer.analyze_layer_efficiency([Layer("a", 0, "COPY . . # buildkit", ""),
    ...                                   Layer("b", 9, "RUN /bin/sh -c pip install -r requirements.txt", "")])["cache_friendly"]
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from dopt.images.analysis import analyze
from dopt.images.history import display_text
from dopt.images.report import ImageReport

MB = 1024 * 1024


@dataclass
class Layer:
    """Represents a single image layer."""

    id: str
    size_bytes: int
    created_by: str  # Dockerfile instruction that created it
    created_at: str
    comment: Optional[str] = None

    @property
    def size_mb(self) -> float:
        return self.size_bytes / MB

    def is_large(self, threshold_mb: float = 100.0) -> bool:
        """Whether the layer exceeds ``threshold_mb`` MiB.

        >>> Layer("x", 200 * MB, "RUN make", "").is_large()
        True
        """
        return self.size_mb > threshold_mb


@dataclass
class ImageAnalysis:
    """Complete analysis of a Docker image; ``report`` keeps dopt's full report."""

    image_name: str
    total_size_bytes: int
    layers: List[Layer]
    base_image_size_bytes: int
    report: Optional[ImageReport] = field(default=None, repr=False, compare=False)

    @property
    def total_size_mb(self) -> float:
        return self.total_size_bytes / MB

    @property
    def added_size_mb(self) -> float:
        """Size added on top of the base image."""
        return (self.total_size_bytes - self.base_image_size_bytes) / MB

    def get_largest_layers(self, n: int = 10) -> List[Layer]:
        """The ``n`` largest layers, largest first (ties keep image order).

        >>> a = ImageAnalysis("x", 6, [Layer("a", 1, "", ""), Layer("b", 5, "", "")], 1)
        >>> [l.id for l in a.get_largest_layers(1)]
        ['b']
        """
        return sorted(self.layers, key=lambda l: -l.size_bytes)[: max(n, 0)]


_INSTALLS = [
    (re.compile(r"\bpip3?\s+install\b|\bpoetry\s+install\b|\buv\s+(pip\s+install|sync)\b"), "pip install",
     "Move COPY requirements.txt (or the lock file) before COPY . . and install first"),
    (re.compile(r"\bnpm\s+(install|ci)\b|\byarn(\s+install)?\b|\bpnpm\s+install\b"), "npm install",
     "Move COPY package.json package-lock.json before COPY . . and install first"),
    (re.compile(r"\bbundle\s+install\b"), "bundle install", "Move COPY Gemfile Gemfile.lock before COPY . ."),
    (re.compile(r"\bgo\s+mod\s+download\b"), "go mod download", "Move COPY go.mod go.sum before COPY . ."),
    (re.compile(r"\bmvn\b.*\bdependency:"), "mvn dependency", "Move COPY pom.xml before COPY . ."),
]
_COPY_ALL = re.compile(r"^(COPY|ADD)\s+(\S+\s+)*?(\.|\./|dir:\S+)\s+\S+")


class LayerAnalyzer:
    """Analyze image layers for optimization opportunities.

    ``base_image`` (a name or archive) makes ``base_image_size_bytes`` the whole
    base's size; without it, the first layer stands for the base, as the
    specification says.
    """

    def __init__(self, base_image: str | None = None, client=None):
        self.base_image = base_image
        self.client = client
        self._reports: Dict[str, ImageReport] = {}

    def report(self, image_name: str) -> ImageReport:
        """dopt's full :class:`ImageReport` for ``image_name`` (cached per analyzer)."""
        if image_name not in self._reports:
            self._reports[image_name] = analyze(image_name, base_image=self.base_image, client=self.client)
        return self._reports[image_name]

    def analyze_image(self, image_name: str) -> ImageAnalysis:
        """Layers, sizes and the base size of ``image_name`` (an engine image or an archive path)."""
        r = self.report(image_name)
        entries = r.config.layer_history()
        layers = [
            Layer(id=l.digest, size_bytes=l.size, created_by=display_text(l.created_by),
                  created_at=(entries[l.index].created if entries[l.index] else ""),
                  comment=(entries[l.index].comment or None) if entries[l.index] else None)
            for l in r.layers
        ]
        base = r.base_bytes if r.base_layer_count else (layers[0].size_bytes if layers else 0)
        return ImageAnalysis(image_name, r.total_bytes, layers, base, report=r)

    def find_removable_files(self, image_name: str) -> List[Dict]:
        """Caches, temp files, docs and build leftovers in the final tree, largest first.

        Each item: ``{"path", "size_mb", "size_bytes", "files", "category", "hint"}``.
        """
        return [
            {"path": item.path, "size_mb": round(item.bytes / MB, 2), "size_bytes": item.bytes,
             "files": item.files, "category": item.category, "hint": item.hint}
            for item in self.report(image_name).removable
        ]

    def detect_unnecessary_packages(self, image_name: str, runtime_deps: List[str]) -> List[str]:
        """Build-time packages (compilers, build systems, git, ``*-dev``) not in ``runtime_deps``,
        read from the image's package database (no container is run)."""
        keep = set(runtime_deps)
        return sorted({p.name for p in self.report(image_name).build_tools if p.name not in keep})

    def analyze_layer_efficiency(self, layers: List[Layer]) -> Dict:
        """Cache-ordering problems visible in the layers' instructions.

        Returns ``{"cache_friendly": bool, "issues": [...], "recommendations": [...]}``.
        """
        issues: List[str] = []
        recs: List[str] = []
        texts = [display_text(l.created_by) for l in layers]
        copy_all_at = next((i for i, t in enumerate(texts) if _COPY_ALL.match(t)), None)
        if copy_all_at is not None:
            for text in texts[copy_all_at + 1:]:
                if not text.startswith("RUN "):
                    continue
                for pattern, what, rec in _INSTALLS:
                    if pattern.search(text) and f"COPY . . comes before {what}" not in " ".join(issues):
                        issues.append(f"COPY . . comes before {what} (dependencies not cached)")
                        recs.append(rec)
        for i, text in enumerate(texts):
            if re.search(r"\bapt-get\s+update\b", text) and not re.search(r"\bapt-get\s+(-\S+\s+)*install\b", text):
                if any(re.search(r"\bapt-get\s+(-\S+\s+)*install\b", t) for t in texts[i + 1:]):
                    issues.append("apt-get update and install in separate layers")
                    recs.append("Combine apt-get update && install in single RUN")
                    break
        return {"cache_friendly": not issues, "issues": issues, "recommendations": recs}
