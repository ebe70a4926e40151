"""Terminal output of ``dopt analyze``: one line per finding, a summary, colour when it helps.

Colour comes from rich, imported only when it will be used: standard output is a terminal (or
``FORCE_COLOR`` is set) and ``NO_COLOR`` is not set (https://no-color.org). ``quiet`` prints the
finding lines only; ``verbose`` adds the source line with a caret, the savings basis, the rebuild
note and the hadolint/BuildKit equivalents.

Example::

    >>> from dopt.analysis.findings import Finding, FileResult
    >>> from dopt.report.json_report import analyze_document
    >>> doc = analyze_document([FileResult("Dockerfile", [Finding(rule="DO310", severity="info",
    ...     message="join them", line=4, column=1, fixed_by="fuse", hadolint=("DL3059",))])])
    >>> print(render_text(doc, quiet=True))
    Dockerfile:4:1: info DO310 join them [fix: fuse] (DL3059)
"""

from __future__ import annotations

import os
import sys

_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan", "style": "magenta"}


def _finding_line(path: str, f: dict) -> tuple[str, str, str, str]:
    """(location, severity, rule, rest) of one finding."""
    extras = []
    if f.get("fixed_by"):
        extras.append(f"[fix: {f['fixed_by']}]")
    if f.get("savings_mb"):
        measured = "measured" in (f.get("savings_basis") or "")
        extras.append(f"[~{f['savings_mb']:.0f} MB{'' if measured else ' est.'}]")
    if f.get("rebuild_seconds"):
        extras.append(f"[{f['rebuild_seconds']:.1f}s per rebuild]")
    equivalents = f.get("hadolint", []) + f.get("buildkit", [])
    if equivalents:
        extras.append(f"({', '.join(equivalents)})")
    rest = f["message"] + (" " + " ".join(extras) if extras else "")
    return f"{path}:{f['line']}:{f.get('column') or 1}:", f["severity"], f["rule"], rest


def _detail_lines(f: dict) -> list[str]:
    out = []
    if f.get("snippet"):
        out.append(f"    {f['line']:>4} | {f['snippet']}")
        out.append("         | " + " " * max((f.get("column") or 1) - 1, 0) + "^")
    if f.get("savings_basis"):
        out.append(f"    savings: {f['savings_basis']}")
    if f.get("rebuild_note"):
        out.append(f"    rebuild: {f['rebuild_note']}")
    return out


def _summary_lines(doc: dict) -> list[str]:
    s = doc["summary"]
    parts = [f"{n} {k}" for k, n in s["by_severity"].items() if n]
    line = (f"{s['findings']} finding{'s' if s['findings'] != 1 else ''}"
            + (f" ({', '.join(parts)})" if parts else "")
            + f" in {s['files']} file{'s' if s['files'] != 1 else ''}")
    out = [line]
    if s["estimated_savings_mb"]:
        cost = doc.get("cost") or {}
        out.append(f"estimated savings: ~{s['estimated_savings_mb']:.0f} MB per image (estimates, may overlap)"
                   + (f"; ~${cost['total_usd_per_month']:,.2f}/month at {cost['pulls_per_month']:,} pulls/month, "
                      f"{cost['regions']} region(s), list prices as of {cost['prices_as_of']}"
                      if cost.get("total_usd_per_month") else ""))
    return out


def render_text(doc: dict, *, quiet: bool = False, verbose: int = 0) -> str:
    """Plain text (no colour)."""
    lines: list[str] = []
    for file in doc["files"]:
        for f in file["findings"]:
            loc, sev, rule, rest = _finding_line(file["path"], f)
            lines.append(f"{loc} {sev} {rule} {rest}")
            if verbose and not quiet:
                lines.extend(_detail_lines(f))
        if verbose and not quiet and file.get("image"):
            img = file["image"]
            lines.append(f"{file['path']}: built image {img['total_bytes'] / 1e6:.1f} MB in "
                         f"{img['layers']} layers, {img['wasted_bytes'] / 1e6:.1f} MB wasted")
        if verbose > 1 and not quiet:
            lines.append(f"{file['path']}: analysed in {file['seconds']:.3f}s")
    if not quiet:
        if lines:
            lines.append("")
        lines.extend(_summary_lines(doc))
    return "\n".join(lines)


def use_colour(stream=None) -> bool:
    """Colour only for a terminal (or FORCE_COLOR), never with NO_COLOR set.

    >>> import io
    >>> use_colour(io.StringIO()) in (True, False)
    True
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def print_report(doc: dict, *, quiet: bool = False, verbose: int = 0, stream=None) -> None:
    """Print the report to ``stream`` (stdout), in colour when :func:`use_colour` says so."""
    stream = stream or sys.stdout
    if not use_colour(stream):
        text = render_text(doc, quiet=quiet, verbose=verbose)
        if text:
            stream.write(text + "\n")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True,
                      force_terminal=True if os.environ.get("FORCE_COLOR") else None)
    any_line = False
    for file in doc["files"]:
        for f in file["findings"]:
            loc, sev, rule, rest = _finding_line(file["path"], f)
            line = Text()
            line.append(loc + " ", style="bold")
            line.append(sev, style=_STYLES.get(sev, ""))
            line.append(" " + rule + " ", style="dim" if sev == "style" else "bold")
            line.append(rest)
            console.print(line)
            any_line = True
            if verbose and not quiet:
                for d in _detail_lines(f):
                    console.print(Text(d, style="dim"))
    if not quiet:
        if any_line:
            console.print()
        s = doc["summary"]
        summary = _summary_lines(doc)
        worst = next((k for k in ("error", "warning", "info", "style") if s["by_severity"].get(k)), None)
        console.print(Text(summary[0], style=_STYLES.get(worst, "green") if worst else "bold green"))
        for extra in summary[1:]:
            console.print(escape(extra))
