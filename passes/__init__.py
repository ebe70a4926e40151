"""The pass registry. The order of ``PASSES`` is the order ``dopt compile --list-passes`` shows;
the -O levels in :mod:`dopt.pipeline` say which run by default and in what order.

Every pass module exposes ``NAME`` (its CLI name), ``DESCRIPTION`` (one line),
``run(df, ctx) -> df`` and optionally ``PRESERVES`` (analyses it keeps valid)
and ``OPTIONS`` (option name -> help). ``tests/test_pass_registry.py`` fails when
a module in this folder is not registered or has no page in ``docs/passes/``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Module names in registry order. Imported on demand: the CLI only loads the passes it runs.
PASS_MODULES: tuple[str, ...] = (
    "noop",
    "cleanup",
    "fuse",
    "lower",
    "split",
    "crossbuild",
    "reorder",
)


class _Registry:
    def __iter__(self):
        return iter(_load(name) for name in PASS_MODULES)

    def __len__(self) -> int:
        return len(PASS_MODULES)


def _load(module_name: str) -> ModuleType:
    return importlib.import_module(f"passes.{module_name}")


PASSES = _Registry()


def by_name(name: str) -> ModuleType:
    """The pass module registered under CLI name ``name``.

    >>> by_name("noop").NAME
    'noop'
    """
    for module in PASSES:
        if module.NAME == name:
            return module
    from dopt.errors import UsageError

    raise UsageError(f"unknown pass {name!r}")
