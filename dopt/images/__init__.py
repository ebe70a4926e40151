"""Daemon-free image layer analysis: stream an image's layers once, never extract them.

Example::

    >>> from dopt.images import analyze
    >>> report = analyze("image.tar")          # doctest: +SKIP
    >>> report.wasted_bytes, round(report.efficiency, 3)   # doctest: +SKIP
    (52428800, 0.5)

Everything here uses the standard library at import time; the docker SDK is
imported only to read an image from the engine, ``zstandard`` only for zstd
layers. Nothing here knows the Dockerfile IR (``--dockerfile`` mapping goes
through :func:`dopt.frontend.parse_text` when asked).
"""

from __future__ import annotations

from dopt.images.analysis import analyze
from dopt.images.packages import installed_packages
from dopt.images.report import SCHEMA, ImageReport
from dopt.images.source import (
    ImageConfig, ImageNotFound, ImageSource, LayerDescriptor, NotAnImage, open_image,
)

__all__ = [
    "SCHEMA", "ImageConfig", "ImageNotFound", "ImageReport", "ImageSource", "LayerDescriptor",
    "NotAnImage", "analyze", "installed_packages", "open_image",
]
