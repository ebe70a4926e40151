"""The Docker engine layer: connect, build, run, inspect. Knows nothing of the IR.

Importing this package is free: ``docker`` is imported only when an engine is
actually used. Names are loaded on first access::

    >>> import dopt.engine
    >>> dopt.engine.BuildEvent.__name__
    'BuildEvent'

``connect()`` -> :class:`~dopt.engine.client.Engine`; ``detect_builder()``,
``build()``, ``supports_heredocs()`` in :mod:`dopt.engine.build`; the progress
parsers in :mod:`dopt.engine.events`.
"""

from __future__ import annotations

_LAZY = {
    "Engine": "dopt.engine.client",
    "RunResult": "dopt.engine.client",
    "EngineError": "dopt.engine.client",
    "ImageNotFound": "dopt.engine.client",
    "RunTimeout": "dopt.engine.client",
    "connect": "dopt.engine.client",
    "Backend": "dopt.engine.build",
    "BuildResult": "dopt.engine.build",
    "available_backends": "dopt.engine.build",
    "detect_builder": "dopt.engine.build",
    "build": "dopt.engine.build",
    "supports_heredocs": "dopt.engine.build",
    "require_heredocs": "dopt.engine.build",
    "BuildEvent": "dopt.engine.events",
    "parse_buildkit": "dopt.engine.events",
    "parse_classic": "dopt.engine.events",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'dopt.engine' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
