"""The ``dopt.analyze/1`` JSON document (docs/REPORTS.md is its schema).

Every other analyze report (SARIF, Markdown, HTML, terminal) is rendered from this document, so
what one format shows the others can show, and secrets -- masked as ``****`` before the document
is built -- are masked in all of them.

Example::

    >>> from dopt.analysis.findings import Finding, FileResult
    >>> doc = analyze_document([FileResult("Dockerfile", [Finding(rule="DO310", severity="info",
    ...                                                            message="m", line=3)])])
    >>> doc["schema"], doc["summary"]["findings"], doc["summary"]["by_severity"]["info"]
    ('dopt.analyze/1', 1, 1)
"""

from __future__ import annotations

import json

SCHEMA = "dopt.analyze/1"


def exit_code_for(results) -> int:
    """The command's exit code: 2 for any unreadable/unparsable file, else 4 for a failed build,
    else 1 when any file has findings at/above its threshold, else 0.

    >>> from dopt.analysis.findings import FileResult
    >>> exit_code_for([FileResult("a"), FileResult("b", exit_code=2)])
    2
    """
    codes = {r.exit_code for r in results}
    for code in (2, 3, 4):
        if code in codes:
            return code
    return 1 if any(r.failing() for r in results) else 0


def _count(findings) -> dict:
    from dopt.analysis.findings import SEVERITIES

    out = {s: 0 for s in SEVERITIES}
    for f in findings:
        out[f.severity] = out.get(f.severity, 0) + 1
    return out


def _savings(findings) -> float:
    return sum(f.savings_mb or 0.0 for f in findings)


def analyze_document(results, *, cost: dict | None = None, version: str | None = None) -> dict:
    """Build the document for ``results`` (:class:`~dopt.analysis.findings.FileResult` list, in
    the order the files were given). ``cost`` holds ``[cost]`` settings for the calculator."""
    from dopt import __version__
    from dopt.analysis.findings import RULES
    from dopt.report.cost import from_settings

    files = []
    all_findings = []
    fired: dict[str, None] = {}
    for r in results:
        findings = [f for f in r.findings if f.rule != "DO400"] if r.error else list(r.findings)
        all_findings.extend(r.findings)
        for f in r.findings:
            fired.setdefault(f.rule, None)
        saved = _savings(findings)
        files.append({
            "path": r.path,
            "error": _error(r.error),
            "findings": [f.to_dict() for f in r.findings],
            "summary": {
                "findings": len(r.findings), "by_severity": _count(r.findings),
                "estimated_savings_mb": round(saved, 1),
                "failure_threshold": r.threshold, "threshold_source": r.threshold_source,
                "failed": bool(r.failing()) or r.exit_code not in (0, 1),
            },
            "image": r.image,
            "seconds": round(r.seconds, 3),
        })
    total_saved = _savings(all_findings)
    doc = {
        "schema": SCHEMA,
        "tool": {"name": "dopt", "version": version or __version__},
        "files": files,
        "summary": {
            "files": len(results),
            "files_with_errors": sum(1 for r in results if r.error),
            "findings": len(all_findings),
            "by_severity": _count(all_findings),
            "estimated_savings_mb": round(total_saved, 1),
            "exit_code": exit_code_for(results),
        },
        "cost": from_settings(total_saved, cost).to_dict(),
        "rules": {rid: RULES[rid].to_dict() for rid in sorted(fired) if rid in RULES},
    }
    return doc


def _error(error: dict | None) -> dict | None:
    if error is None:
        return None
    return {k: error.get(k) for k in ("rule", "message", "line", "column", "expected", "exit_code")}


def dumps(doc: dict) -> str:
    """The document as JSON text, with a final newline.

    >>> dumps({"a": 1})
    '{\\n  "a": 1\\n}\\n'
    """
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
