"""IR invariants, checked after every pass in tests (``run_pipeline(..., verify_each=True)``).

``verify(df)`` returns a list of human-readable problems (empty when the IR is sound):

* every stage reference (``FROM <stage>``, ``COPY --from=<stage|index>``,
  ``RUN --mount=from=<stage>``) that names a stage names an *earlier* one, and
  numeric indices are in range;
* stage names are unique (case-insensitively);
* only ARG instructions stand before the first FROM;
* an instruction a pass made (``source is None``) prints, and the printed file
  parses back to the same instructions (the printer and the parser agree).

Example::

    >>> from dopt import parse_text
    >>> verify(parse_text("FROM a AS b\\nFROM c\\nCOPY --from=b /x /x\\n"))
    []
"""

from __future__ import annotations

import re

from dopt.ir import Arg, CopyLike, Dockerfile, Run

_VAR = re.compile(r"\$")


def _looks_like_image(ref: str) -> bool:
    return any(ch in ref for ch in ":/@")


def verify(df: Dockerfile) -> list[str]:
    problems: list[str] = []
    for ins in df.preamble:
        if not isinstance(ins, Arg):
            problems.append(f"{ins.KIND} before the first FROM")
    names: dict[str, int] = {}
    for index, stage in enumerate(df.stages):
        here = f"stage {index}" + (f" ({stage.name})" if stage.name else "")
        for ins in stage.instructions:
            refs: list[str] = []
            if isinstance(ins, CopyLike) and ins.flag_value("from"):
                refs.append(ins.flag_value("from") or "")
            if isinstance(ins, Run):
                for mount in ins.mounts:
                    if mount.get("from"):
                        refs.append(mount.get("from") or "")
            for ref in refs:
                if _VAR.search(ref):
                    continue
                if ref.isdigit():
                    if int(ref) >= index:
                        problems.append(f"{here}: --from={ref} does not name an earlier stage")
                elif ref.lower() in names:
                    continue
                elif not _looks_like_image(ref) and any(
                    (s.name or "").lower() == ref.lower() for s in df.stages[index:]
                ):
                    problems.append(f"{here}: --from={ref} names a stage that is not defined before it")
        if stage.name:
            key = stage.name.lower()
            if key in names:
                problems.append(f"{here}: stage name {stage.name!r} is already used by stage {names[key]}")
            names[key] = index
    problems.extend(_reparse_problems(df))
    return problems


def _reparse_problems(df: Dockerfile) -> list[str]:
    from dopt.errors import DockerfileSyntaxError
    from dopt.frontend import parse_text
    from dopt.printer import print_ir

    text = print_ir(df)
    try:
        again = parse_text(text)
    except DockerfileSyntaxError as e:
        return [f"printed Dockerfile does not parse: {e.message} (line {e.line})"]
    ours = [(i.KIND, _semantic(i)) for i in df.instructions()]
    theirs = [(i.KIND, _semantic(i)) for i in again.instructions()]
    if ours != theirs:
        for n, (a, b) in enumerate(zip(ours, theirs)):
            if a != b:
                return [f"instruction {n + 1} does not survive print+parse: {a[0]} changed"]
        return [f"printed Dockerfile has {len(theirs)} instructions, IR has {len(ours)}"]
    return []


def _semantic(ins) -> tuple:
    """The fields of an instruction that carry meaning (not text, spans or trivia)."""
    import attrs

    skip = {"leading", "source", "span", "keyword", "as_keyword"}
    out = []
    for a in attrs.fields(type(ins)):
        if a.name in skip:
            continue
        value = getattr(ins, a.name)
        if a.name == "pairs":
            value = tuple((p.key, p.value) for p in value)
        elif a.name == "decls":
            value = tuple((d.name, d.default) for d in value)
        elif a.name == "inner":
            value = (value.KIND, _semantic(value))
        elif a.name == "image":
            value = value.raw
        elif a.name == "command" and hasattr(value, "text"):
            # the printer may reflow long shell text across continuation lines
            value = " ".join(value.text.split())
        elif a.name == "heredocs":
            value = tuple((h.name, h.content, h.expand) for h in value)
        out.append((a.name, value))
    return tuple(out)
