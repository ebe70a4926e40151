"""Self-contained HTML reports: ``dopt analyze --format html`` and ``dopt optimize --report``.

One file each, no script and no external URL (a Content-Security-Policy forbids both); charts are
inline SVG. The templates live in ``dopt/report/templates/`` and are rendered with jinja2
autoescaping, which is what keeps Dockerfile text (labels, commands, paths) inert. Secrets are
masked before the text reaches a template (``dopt.analysis.findings.Masker``).

Example::

    >>> from dopt.analysis.findings import analyze_file
    >>> from dopt.report.json_report import analyze_document
    >>> r = analyze_file("tests/cases/B14.Dockerfile")
    >>> page = render_analyze_html(analyze_document([r]), sources={r.path: r.masked_text})
    >>> "DO304" in page and "<script" not in page
    True
"""

from __future__ import annotations

import difflib
import functools

_COLOURS = {"error": "#ef4444", "warning": "#f59e0b", "info": "#0ea5e9", "style": "#a855f7"}


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("dopt.report", "templates"),
        autoescape=True,  # every template, whatever its suffix: Dockerfile text must stay text
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


def _version() -> str:
    from dopt import __version__

    return __version__


def render_analyze_html(doc: dict, *, sources: dict[str, str] | None = None) -> str:
    """The analyze report for a ``dopt.analyze/1`` document; ``sources`` maps a file's path to
    its (masked) text, shown with the finding lines highlighted."""
    sources = dict(sources or {})
    totals: dict[str, list] = {}
    for file in doc["files"]:
        for f in file["findings"]:
            if f.get("savings_mb"):
                slot = totals.setdefault(f["rule"], [0.0, f["severity"]])
                slot[0] += f["savings_mb"]
    savings = [(rid, mb, f"~{mb:.0f} MB", _COLOURS.get(sev, "#64748b"))
               for rid, (mb, sev) in sorted(totals.items(), key=lambda kv: -kv[1][0])]
    hit_lines = {file["path"]: {line for f in file["findings"]
                                for line in range(f["line"], (f.get("end_line") or f["line"]) + 1)}
                 for file in doc["files"]}
    rules = doc.get("rules") or {}
    return _environment().get_template("analyze.html.j2").render(
        doc=doc, sources=sources, savings=savings, hit_lines=hit_lines, rules=rules, version=_version())


def render_optimize_html(outcome, *, cost: dict | None = None, layers: list | None = None) -> str:
    """Render an :class:`dopt.optimize.OptimizeOutcome` as one HTML page: size comparison, layer
    breakdown, findings before/after, applied optimizations, the Dockerfile diff, predicted vs
    actual size (when the outcome carries a ``prediction``) and the monthly cost saved.

    ``layers`` is ``[(name, [{"instruction", "bytes"}, ...]), ...]``; when None the engine is asked
    for both images' history (and the section says so when it cannot answer).
    """
    from dopt.report.cost import from_settings

    masker = _masker(outcome.original_text)
    original_mb = outcome.original.size_mb
    optimized_mb = outcome.optimized.size_mb if outcome.optimized else 0.0
    size_bars = [("original", original_mb, f"{original_mb:.0f} MB", "#94a3b8")]
    if outcome.optimized:
        size_bars.append(("optimized", optimized_mb, f"{optimized_mb:.0f} MB", "#22c55e"))
    saved = max(original_mb - optimized_mb, 0.0) if outcome.optimized else 0.0
    diff = []
    for line in difflib.unified_diff(outcome.original_text.splitlines(), outcome.optimized_text.splitlines(),
                                     "original", "optimized", lineterm=""):
        kind = "hunk" if line.startswith("@@") else "add" if line.startswith("+") else \
            "del" if line.startswith("-") else ""
        diff.append((kind, masker.mask(line)))
    if layers is None:
        layers = _engine_layers(outcome)
    layers = [(name, [dict(r, instruction=masker.mask(r.get("instruction", ""))) for r in rows])
              for name, rows in (layers or []) if rows]
    peak = max((r["bytes"] for _, rows in layers for r in rows), default=1) or 1
    return _environment().get_template("optimize.html.j2").render(
        o=outcome, diff=diff, size_bars=size_bars, layers=layers, layer_peak=peak,
        finding_rows=_finding_rows(outcome), prediction=_prediction(outcome),
        cost=from_settings(saved, cost).to_dict(), version=_version(),
    )


def _masker(text: str):
    from dopt.analysis.findings import Facts, raw_masker
    from dopt.errors import DoptError

    try:
        from dopt.frontend import parse_text

        return Facts(parse_text(text)).masker
    except DoptError:
        return raw_masker(text)


def _finding_rows(outcome) -> list[tuple[str, str, int, int]]:
    """``(rule, title, count before, count after)`` for every rule that fired on either text."""
    from dopt.analysis.findings import RULES, analyze_dockerfile
    from dopt.errors import DoptError
    from dopt.frontend import parse_text

    counts: dict[str, list[int]] = {}
    for slot, text in ((0, outcome.original_text), (1, outcome.optimized_text)):
        try:
            findings = analyze_dockerfile(parse_text(text))
        except DoptError:
            continue
        for f in findings:
            counts.setdefault(f.rule, [0, 0])[slot] += 1
    return [(rid, RULES[rid].title if rid in RULES else rid, b, a)
            for rid, (b, a) in sorted(counts.items())]


def _prediction(outcome) -> dict | None:
    """Predicted vs actual optimized size, when the outcome carries a ``prediction`` (a
    :class:`dopt.prediction.Prediction`, or any object/dict with ``predicted_bytes``,
    ``predicted_mb``, ``size_mb`` or ``size_bytes``)."""
    pred = getattr(outcome, "prediction", None)
    if pred is None or not outcome.optimized:
        return None

    def get(name):
        return pred.get(name) if isinstance(pred, dict) else getattr(pred, name, None)

    mb = get("predicted_mb") or get("predicted_size_mb") or get("size_mb")
    for key in ("predicted_bytes", "size_bytes"):
        if mb is None and get(key) is not None:
            mb = get(key) / 1e6
    if mb is None:
        return None
    actual = outcome.optimized.size_mb
    return {"predicted_mb": float(mb), "actual_mb": actual,
            "error_percent": 100.0 * (float(mb) - actual) / actual if actual else 0.0}


def _engine_layers(outcome) -> list:
    """Both images' layer sizes from the engine's history (empty when it cannot answer)."""
    try:
        from dopt.engine.client import connect

        engine = connect(timeout=10)
    except Exception:  # no engine: the report says the breakdown is unavailable
        return []
    out = []
    for name, facts in (("original", outcome.original), ("optimized", outcome.optimized)):
        if facts is None:
            continue
        try:
            history = engine.history(facts.image_id or facts.tag)
        except Exception:
            continue
        rows = [{"instruction": " ".join((h.get("CreatedBy") or "").split()), "bytes": int(h.get("Size") or 0)}
                for h in reversed(history) if int(h.get("Size") or 0) > 0]
        out.append((name, rows))
    return out
