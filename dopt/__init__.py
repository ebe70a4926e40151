"""dopt: a Dockerfile optimizing compiler.

Library entry points (imported lazily so ``import dopt`` stays cheap)::

    >>> import dopt
    >>> df = dopt.parse_text("FROM python:3.11\\nRUN pip install flask\\n")
    >>> dopt.print_ir(df)
    'FROM python:3.11\\nRUN pip install flask\\n'

``parse_text(text, path=None)`` and ``parse_file(path)`` return a
:class:`dopt.ir.Dockerfile`; ``print_ir(df)`` gives the text back;
``compile_text(text, pipeline)`` runs passes (see :mod:`dopt.pipeline`).
The specification's classes (``DockerfileParser``, ``ImageOptimizer``, ...)
are re-exported from :mod:`dopt.compat`.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "parse_text": ("dopt.frontend", "parse_text"),
    "parse_file": ("dopt.frontend", "parse_file"),
    "print_ir": ("dopt.printer", "print_ir"),
    "compile_text": ("dopt.pipeline", "compile_text"),
    "run_pipeline": ("dopt.pipeline", "run_pipeline"),
    "parse_pipeline": ("dopt.pipeline", "parse_pipeline"),
    "DockerfileParser": ("dopt.compat", "DockerfileParser"),
    "DockerfileInstruction": ("dopt.compat", "DockerfileInstruction"),
    "InstructionType": ("dopt.compat", "InstructionType"),
    "Stage": ("dopt.compat", "Stage"),
    "LayerAnalyzer": ("dopt.compat", "LayerAnalyzer"),
    "ImageAnalysis": ("dopt.compat", "ImageAnalysis"),
    "Layer": ("dopt.compat", "Layer"),
    "MultiStageBuilder": ("dopt.compat", "MultiStageBuilder"),
    "OptimizationStrategy": ("dopt.compat", "OptimizationStrategy"),
    "CacheAnalyzer": ("dopt.compat", "CacheAnalyzer"),
    "BuildAnalysis": ("dopt.compat", "BuildAnalysis"),
    "BuildStep": ("dopt.compat", "BuildStep"),
    "ImageOptimizer": ("dopt.compat", "ImageOptimizer"),
    "OptimizationResult": ("dopt.compat", "OptimizationResult"),
    "Reporter": ("dopt.compat", "Reporter"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'dopt' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value
