"""A Markdown summary of ``dopt analyze`` fit for a pull-request comment.

A heading with the counts, the estimated savings (and what they would save per month), one
table row per finding (worst first) and a collapsed list of the rules that fired. Everything
taken from a Dockerfile is escaped: pipes, backticks and HTML (GitHub renders HTML in comments).

Example::

    >>> from dopt.analysis.findings import Finding, FileResult
    >>> from dopt.report.json_report import analyze_document
    >>> doc = analyze_document([FileResult("Dockerfile", [Finding(rule="DO304", severity="error",
    ...     message="CMD ['a'] is not <JSON> | x", line=2)])])
    >>> md = render_markdown(doc)
    >>> "| :x: error | `DO304` | Dockerfile:2 | CMD ['a'] is not &lt;JSON&gt; \\\\| x |" in md
    True
"""

from __future__ import annotations

import html

_ICONS = {"error": ":x: error", "warning": ":warning: warning", "info": ":information_source: info",
          "style": ":art: style"}
_ORDER = {"error": 0, "warning": 1, "info": 2, "style": 3}
MARKER = "<!-- dopt-analyze -->"


def cell(text) -> str:
    """Escape text for one Markdown table cell.

    >>> cell("a|b `c` <d>\\nnext")
    'a\\\\|b \\\\`c\\\\` &lt;d&gt; next'
    """
    s = html.escape(str(text), quote=False)
    return s.replace("|", "\\|").replace("`", "\\`").replace("\r", " ").replace("\n", " ")


def render_markdown(doc: dict, *, limit: int = 50) -> str:
    """The comment text (``limit`` rows at most; the rest are counted)."""
    s = doc["summary"]
    sev = s["by_severity"]
    parts = [f"{n} {k}{'s' if n != 1 and k != 'info' else ''}" for k, n in sev.items() if n]
    head = (f"### dopt analyze: {s['findings']} finding{'s' if s['findings'] != 1 else ''} in "
            f"{s['files']} file{'s' if s['files'] != 1 else ''}")
    lines = [MARKER, head + (f" ({', '.join(parts)})" if parts else ""), ""]
    if s["estimated_savings_mb"]:
        cost = doc.get("cost") or {}
        lines.append(f"**Estimated savings:** ~{s['estimated_savings_mb']:.0f} MB per image "
                     f"(estimates; they can overlap)"
                     + (f", about **${cost['total_usd_per_month']:,.2f}/month** at "
                        f"{cost['pulls_per_month']:,} pulls/month in {cost['regions']} region(s) "
                        f"({cell(cost['prices_source'])})" if cost.get("total_usd_per_month") else "")
                     + ".")
        lines.append("")
    errors = [f for f in doc["files"] if f.get("error")]
    for f in errors:
        e = f["error"]
        where = f"{f['path']}:{e['line']}" if e.get("line") else f["path"]
        lines.append(f"> :x: **{cell(where)}**: {cell(e['message'])}")
    if errors:
        lines.append("")
    rows = [(file["path"], f) for file in doc["files"] for f in file["findings"]]
    rows.sort(key=lambda r: (_ORDER.get(r[1]["severity"], 9), r[0], r[1]["line"]))
    if not rows:
        lines.append("No findings. :tada:")
        return "\n".join(lines) + "\n"
    lines.append("| Severity | Rule | Location | Finding | Fixed by | Est. savings |")
    lines.append("|---|---|---|---|---|---|")
    for path, f in rows[:limit]:
        saving = f"~{f['savings_mb']:.0f} MB" if f.get("savings_mb") else ""
        if f.get("rebuild_seconds"):
            saving += (" · " if saving else "") + f"{f['rebuild_seconds']:.0f}s per rebuild"
        equivalents = ", ".join(f.get("hadolint", []) + f.get("buildkit", []))
        rule = f"`{f['rule']}`" + (f" ({cell(equivalents)})" if equivalents else "")
        fix = f"`{f['fixed_by']}`" if f.get("fixed_by") else ""
        lines.append(f"| {_ICONS.get(f['severity'], f['severity'])} | {rule} | {cell(path)}:{f['line']} | "
                     f"{cell(f['message'])} | {fix} | {saving} |")
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more (see the SARIF or JSON report).")
    rules = doc.get("rules") or {}
    if rules:
        lines += ["", "<details><summary>Rules</summary>", ""]
        for rid, r in rules.items():
            lines.append(f"- **{rid}** {cell(r['title'])}: {cell(r['help'])}")
        lines += ["", "</details>"]
    lines.append("")
    lines.append("<sub>Savings are estimates (base-image table sizes, heuristic cache sizes) unless "
                 "measured with `dopt analyze --build`.</sub>")
    return "\n".join(lines) + "\n"
