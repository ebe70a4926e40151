"""Analyses over the IR, computed on demand and cached by the pass context.

``ANALYSES`` maps a name to a function ``Dockerfile -> result``. Passes ask for
them with ``ctx.analysis(name, df)``; a pass lists in ``PRESERVES`` the analyses
its changes keep valid.
"""

from __future__ import annotations


def _stages(df):
    from dopt.variables import resolve_stages

    return resolve_stages(df)


def _graph(df):
    from dopt.analysis.graph import build_graph

    return build_graph(df)


ANALYSES = {
    "stages": _stages,
    "graph": _graph,
}
