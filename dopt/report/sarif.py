"""SARIF 2.1.0 for ``dopt analyze`` (GitHub code scanning reads it).

One run; ``tool.driver.rules`` lists every dopt rule (id, name, short and full description, help,
``defaultConfiguration.level``, the hadolint / BuildKit equivalents in ``properties``); each
result has ``ruleId``, ``ruleIndex``, ``level``, ``message`` and one physical location whose
``artifactLocation.uri`` is relative to ``base`` (``uriBaseId`` ``%SRCROOT%``) with a
``region`` of 1-based ``startLine``/``startColumn``/``endLine`` (and ``endColumn`` when known).
Syntax errors are ``DO400`` results, so a broken Dockerfile shows up where the others do.

Example::

    >>> from dopt.analysis.findings import Finding, FileResult
    >>> from dopt.report.json_report import analyze_document
    >>> doc = analyze_document([FileResult("app/Dockerfile", [Finding(rule="DO310", severity="info",
    ...                                                                message="m", line=3)])])
    >>> log = to_sarif(doc, base=".")
    >>> r = log["runs"][0]["results"][0]
    >>> r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    ('DO310', 'note', 'app/Dockerfile')
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def relative_uri(path: str, base: str | os.PathLike = ".") -> str:
    """``path`` as a relative, percent-encoded URI reference against ``base`` when it is inside
    it, else as an absolute ``file://`` URI.

    >>> relative_uri("/repo/a b/Dockerfile", "/repo")
    'a%20b/Dockerfile'
    """
    p = Path(path).resolve() if not Path(path).is_absolute() else Path(os.path.normpath(path))
    b = Path(base).resolve() if not Path(base).is_absolute() else Path(os.path.normpath(base))
    try:
        rel = p.relative_to(b)
    except ValueError:
        return p.as_uri()
    return quote(PurePosixPath(*rel.parts).as_posix())


def to_sarif(doc: dict, *, base: str | os.PathLike = ".") -> dict:
    """The SARIF log for a ``dopt.analyze/1`` document."""
    from dopt.analysis.findings import RULES

    rule_ids = list(RULES)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    rules = []
    for rid in rule_ids:
        r = RULES[rid]
        equivalents = [*r.hadolint, *r.buildkit]
        help_text = r.help + (f" Fixed by pass `{r.fixed_by}`." if r.fixed_by else "") + \
            (f" Equivalent: {', '.join(equivalents)}." if equivalents else "")
        rules.append({
            "id": rid,
            "name": "".join(w.capitalize() for w in _words(r.title)),
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.help},
            "help": {"text": help_text, "markdown": help_text},
            "defaultConfiguration": {"level": LEVELS[r.severity]},
            "properties": {"tags": [r.category], "dopt-severity": r.severity, "fixed-by": r.fixed_by,
                           "hadolint": list(r.hadolint), "buildkit": list(r.buildkit),
                           "needs-build": r.needs_build},
        })
    results = []
    artifacts: dict[str, int] = {}
    for file in doc["files"]:
        uri = relative_uri(file["path"], base)
        artifacts.setdefault(uri, len(artifacts))
        for f in file["findings"]:
            region = {"startLine": max(int(f["line"]), 1), "startColumn": max(int(f.get("column") or 1), 1),
                      "endLine": max(int(f.get("end_line") or f["line"]), int(f["line"]), 1)}
            if f.get("end_column"):
                region["endColumn"] = int(f["end_column"]) + 1  # SARIF's endColumn is exclusive
            props = {"dopt-severity": f["severity"]}
            for key in ("fixed_by", "savings_mb", "savings_basis", "rebuild_seconds", "rebuild_note"):
                if f.get(key) is not None:
                    props[key.replace("_", "-")] = f[key]
            result = {
                "ruleId": f["rule"],
                "level": LEVELS.get(f["severity"], "warning"),
                "message": {"text": f["message"]},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%", "index": artifacts[uri]},
                    "region": region,
                }}],
                "partialFingerprints": {"doptRule/line": f"{f['rule']}:{uri}:{f['line']}"},
                "properties": props,
            }
            if f["rule"] in index:
                result["ruleIndex"] = index[f["rule"]]
            results.append(result)
        if file.get("error") and not any(x["rule"] == "DO400" for x in file["findings"]):
            # unreadable file or failed build: a file-level result keeps it visible
            err = file["error"]
            results.append({
                "ruleId": "DO400" if err.get("rule") else "DO000",
                "level": "error",
                "message": {"text": err["message"]},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%", "index": artifacts[uri]},
                    "region": {"startLine": max(int(err.get("line") or 1), 1), "startColumn": 1,
                               "endLine": max(int(err.get("line") or 1), 1)},
                }}],
            })
    tool = doc.get("tool", {})
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "dopt", "version": tool.get("version", ""),
                                "semanticVersion": tool.get("version", ""), "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(base).resolve().as_uri() + "/"}},
            "artifacts": [{"location": {"uri": uri, "uriBaseId": "%SRCROOT%"}} for uri in artifacts],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _words(text: str) -> list[str]:
    import re

    return [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]


def dumps(log: dict) -> str:
    import json

    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
