"""Terminal output of ``dopt inspect``, from the ``dopt.inspect/1`` document.

Uses rich when it is installed (imported here only, when printing; rich honours
``NO_COLOR`` and plain pipes itself), and plain aligned text otherwise.

Example::

    >>> rows = format_rows({"image": {"reference": "x"}, "summary": {"total_bytes": 0}, "layers": []}, top=5)
    >>> rows[0][0]
    'Image x'
"""

from __future__ import annotations

import sys

from dopt.images.html import human


STATUS_STYLES = {"PASS": "green", "FAIL": "bold red", "SKIP": "blue"}


# C0 and C1 control characters and DEL: an image is untrusted input, and a file name or a
# history entry holding ESC sequences would otherwise retitle, clear or recolour the terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]}


def _safe(text) -> str:
    """``text`` with control characters written as ``\\xNN`` escapes.

    >>> _safe("RUN \\x1b[31mred")
    'RUN \\\\x1b[31mred'
    """
    return str(text).translate(_CONTROL)


def _shorten(text: str, width: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_rows(doc: dict, top: int = 10) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report as ``(title, headers, rows)`` sections, shared by both renderers."""
    s = doc.get("summary", {})
    image = doc.get("image", {})
    sections: list[tuple[str, list[str], list[list[str]]]] = []
    summary = [
        ["total (every copy)", human(s.get("total_bytes"))],
        ["final tree", human(s.get("final_bytes"))],
        ["wasted (reclaimable)", human(s.get("wasted_bytes"))],
        ["efficiency (dive's score)", f"{s.get('efficiency', 1.0):.2%}"],
        ["added above base", human(s.get("added_bytes"))
         + ("" if s.get("base_layers") is not None else " (base unknown)")],
    ]
    sections.append((f"Image {image.get('reference', '')}", ["figure", "value"], summary))
    ci = doc.get("ci")
    if ci:
        sections.append(("CI rules", ["rule", "result", "detail"],
                         [[r["name"], r["status"].upper(), r["message"]] for r in ci["rules"]]))
    sections.append(("Layers", ["#", "size", "wasted", "files", "line", "instruction"], [
        [f"{l['index']}{' base' if l.get('is_base') else ''}", human(l["size"]), human(l["wasted_bytes"]),
         str(l["file_count"]), str(l.get("dockerfile_line") or ""), _shorten(l["instruction"])]
        for l in doc.get("layers", [])
    ]))
    sections.append(("Wasted space", ["path", "bytes", "what", "layers", "fix"], [
        [w["path"] + (f" ({w['files']} files)" if w["files"] > 1 else ""), human(w["bytes"]), w["action"],
         f"{','.join(map(str, w['created_in']))} → {w['removed_in']}", w["hint"]]
        for w in doc.get("wasted", [])[:top]
    ]))
    sections.append(("Removable paths", ["category", "path", "bytes", "fix"], [
        [r["category"], r["path"], human(r["bytes"]), r["hint"]] for r in doc.get("removable", [])[:top]
    ]))
    sections.append(("Build tools installed", ["package", "installed"], [
        [p["name"], human(p["installed_bytes"])] for p in doc.get("build_tools", [])[:top]
    ]))
    findings = [[x["path"], x["reason"], str(x["layer"]), "yes" if x["present"] else "deleted, still in layer"]
                for x in doc.get("secrets", [])]
    findings += [[x["path"], " ".join(x["flags"]) + " " + x["mode"], str(x["layer"]), "yes"]
                 for x in doc.get("special_files", [])]
    sections.append(("Secrets and setuid/setgid files", ["path", "finding", "layer", "in final image"],
                     findings[: max(top, 20)]))
    return [(_safe(title), headers, [[_safe(c) for c in row] for row in rows]) for title, headers, rows in sections]


def print_report(doc: dict, top: int = 10, file=None) -> None:
    """Print the report to ``file`` (stdout), with rich when available."""
    file = file or sys.stdout
    sections = format_rows(doc, top)
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:
        _print_plain(sections, file)
        return
    console = Console(file=file, highlight=False)
    for title, headers, rows in sections:
        if not rows:
            console.print(Text(title, style="bold") + Text(": none"))
            continue
        table = Table(title=title, title_justify="left", title_style="bold")
        for h in headers:
            table.add_column(h, justify="right" if h in ("size", "wasted", "bytes", "installed", "files") else "left",
                             overflow="fold")
        for row in rows:
            cells = [Text(str(c)) for c in row]
            if title == "CI rules":
                cells[1].stylize(STATUS_STYLES.get(row[1], ""))
            table.add_row(*cells)
        console.print(table)


def _print_plain(sections, file) -> None:
    for title, headers, rows in sections:
        print(title + ("" if rows else ": none"), file=file)
        if not rows:
            continue
        widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
        for row in [headers, *rows]:
            print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip(), file=file)
        print(file=file)
