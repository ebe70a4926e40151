"""A minimal self-contained HTML page for ``dopt inspect -o layer_report.html``.

It renders the ``dopt.inspect/1`` document (not the report object), so a nicer
renderer can replace this module without touching the analysis. Every string
from the image (paths, commands, tags) is escaped: image content is untrusted.

Example::

    >>> page = render_html({"schema": "dopt.inspect/1", "image": {"reference": "<x>"},
    ...                     "summary": {}, "layers": []})
    >>> "&lt;x&gt;" in page and "<x>" not in page
    True
"""

from __future__ import annotations

from html import escape

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,monospace;word-break:break-all}.fail{color:#b00;font-weight:bold}.pass{color:#070}
"""


def human(n) -> str:
    """Bytes for people (SI, like dive).

    >>> human(52428800), human(999), human(None)
    ('52.4 MB', '999 B', '')
    """
    if n is None:
        return ""
    n = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    if not rows:
        return "<p>none</p>"
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in headers), "</tr>"]
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            cls = ' class="n"' if i in numeric else ""
            out.append(f"<td{cls}>{cell}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _code(text) -> str:
    return f"<code>{escape(str(text))}</code>"


def render_html(doc: dict) -> str:
    """The page for one ``dopt.inspect/1`` document."""
    image = doc.get("image", {})
    s = doc.get("summary", {})
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>dopt inspect: {escape(str(image.get('reference', '')))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Layers of {_code(image.get('reference', ''))}</h1>",
        _table(["figure", "value"], [
            ["total (every copy)", escape(human(s.get("total_bytes")))],
            ["final tree", escape(human(s.get("final_bytes")))],
            ["wasted (reclaimable)", escape(human(s.get("wasted_bytes")))],
            ["efficiency (dive's score)", escape(f"{s.get('efficiency', 1.0):.2%}")],
            ["added above base", escape(human(s.get("added_bytes")))],
            ["base layers", escape(str(s.get("base_layers")))],
        ]),
    ]
    ci = doc.get("ci")
    if ci:
        parts.append("<h2>CI rules</h2>")
        parts.append(_table(["rule", "threshold", "result", "detail"], [
            [escape(r["name"]), escape(r["threshold"]),
             f"<span class='{escape(r['status'])}'>{escape(r['status'].upper())}</span>", escape(r["message"])]
            for r in ci.get("rules", [])
        ]))
    parts.append("<h2>Layers</h2>")
    parts.append(_table(["#", "size", "wasted", "files", "line", "instruction"], [
        [str(l["index"]) + (" (base)" if l.get("is_base") else ""), escape(human(l["size"])),
         escape(human(l["wasted_bytes"])), str(l["file_count"]),
         escape(str(l["dockerfile_line"] or "")), _code(l["instruction"])]
        for l in doc.get("layers", [])
    ], numeric={1, 2, 3}))
    parts.append("<h2>Wasted space</h2>")
    parts.append(_table(["path", "bytes", "files", "what", "layers", "fix"], [
        [_code(w["path"]), escape(human(w["bytes"])), str(w["files"]), escape(w["action"]),
         escape(f"{','.join(map(str, w['created_in']))} → {w['removed_in']}"), escape(w["hint"])]
        for w in doc.get("wasted", [])
    ], numeric={1, 2}))
    parts.append("<h2>Removable paths</h2>")
    parts.append(_table(["category", "path", "bytes", "files", "fix"], [
        [escape(r["category"]), _code(r["path"]), escape(human(r["bytes"])), str(r["files"]), escape(r["hint"])]
        for r in doc.get("removable", [])
    ], numeric={2, 3}))
    parts.append("<h2>Build tools installed</h2>")
    parts.append(_table(["package", "version", "installed"], [
        [escape(p["name"]), escape(p["version"]), escape(human(p["installed_bytes"]))]
        for p in doc.get("build_tools", [])
    ], numeric={2}))
    parts.append("<h2>Secrets and special files</h2>")
    parts.append(_table(["path", "finding", "layer", "in final image"], [
        [_code(x["path"]), escape(x["reason"]), str(x["layer"]), "yes" if x["present"] else "no (still in the layer)"]
        for x in doc.get("secrets", [])
    ] + [
        [_code(x["path"]), escape(" ".join(x["flags"]) + " " + x["mode"]), str(x["layer"]), "yes"]
        for x in doc.get("special_files", [])
    ]))
    parts.append("<h2>Largest files</h2>")
    parts.append(_table(["path", "bytes", "layer"], [
        [_code(f["path"]), escape(human(f["bytes"])), str(f["layer"])] for f in doc.get("largest_files", [])
    ], numeric={1, 2}))
    parts.append(f"<p><small>{escape(doc.get('schema', ''))}</small></p></body></html>\n")
    return "".join(parts)
