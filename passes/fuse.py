"""fuse: merge consecutive RUNs into one layer, and consecutive ENV / LABEL into one instruction.

Two RUNs are consecutive when only comments or blank lines stand between them
(B47). They are fused when

* their flags (``--mount``, ``--network``, ``--security``) are identical,
* the active SHELL is POSIX (sh, bash, ash, dash; B50),
* neither is exec form nor carries a heredoc,
* neither is protected by ``# dopt: skip=fuse``,
* each script can be analysed, and each original command keeps its own exit
  status and shell state: scripts with top-level ``||``/``;`` are grouped in
  ``{ ...; }`` (B53), scripts that change shell state (``cd``, ``export``,
  ``set``, ``umask``, ``exit``...) run in ``( ... )`` (B52),
* no script turns on errexit (``set -e``) and, under a SHELL with ``-e``, no
  script is a command sequence: POSIX shells ignore errexit on the left of
  ``&&``, so fusing would let a failure pass.

Otherwise the pass declines and says why. Comments above either RUN travel
with the fused RUN; ``# hadolint ignore=`` pragmas are combined (B46).

ENV instructions are merged while no value refers to a key set earlier in the
group (``ENV A=1`` then ``ENV B=$A`` stay apart: BuildKit expands a value with
the environment from *before* its instruction). LABELs always merge.

Example::

    >>> from dopt import parse_text, print_ir
    >>> from dopt.pipeline import run_pipeline
    >>> run_pipeline(parse_text("FROM a\\nRUN x\\nRUN cd /y\\nRUN z\\n"), "fuse").text
    'FROM a\\nRUN x && (cd /y) && z\\n'
"""

from __future__ import annotations

import re

from dopt.ir import Env, Instruction, KeyValue, Label, Run, ShellForm, Span
from dopt.rewrite import (join_scripts, merge_leading, replace_stage, shell_has_errexit, shell_is_posix,
                          stage_shells)

NAME = "fuse"
DESCRIPTION = "merge consecutive RUNs (isolating each command's state and exit status) and ENV/LABEL runs"
OPTIONS = {
    "runs": "fuse RUN instructions (default true)",
    "env": "merge consecutive ENV instructions (default true)",
    "labels": "merge consecutive LABEL instructions (default true)",
}
PRESERVES = ("stages",)


def run(df, ctx):
    shells = stage_shells(df)
    for index, stage in enumerate(df.stages):
        new_instructions = _fuse_stage(list(stage.instructions), shells[index], ctx, index, stage)
        if tuple(new_instructions) != stage.instructions:
            df = replace_stage(df, index, stage.edit(instructions=tuple(new_instructions)))
    return df


def _span(a: Instruction, b: Instruction) -> Span | None:
    if a.span and b.span:
        return Span(a.span.start_line, b.span.end_line)
    return a.span or b.span


def _fuse_stage(instructions: list[Instruction], shells, ctx, index: int = 0, stage=None) -> list[Instruction]:
    out: list[Instruction] = []
    out_shell: list[tuple[str, ...]] = []
    merged_count: dict[int, int] = {}
    # the original scripts of each fused RUN: the group is joined from them at once (re-joining
    # the growing fused text with each next RUN parsed it again each time: quadratic)
    scripts: dict[int, list[str]] = {}
    for ins, shell in zip(instructions, shells):
        prev = out[-1] if out else None
        merged = None
        if prev is not None:
            if isinstance(ins, Run) and isinstance(prev, Run) and ctx.option("runs", True):
                group = scripts.get(len(out) - 1)
                merged = _try_runs(prev, ins, shell, ctx, group)
                if merged is not None:  # both shell form now
                    scripts[len(out) - 1] = (group or [prev.command.text]) + [ins.command.text]
            elif type(ins) is Env and type(prev) is Env and ctx.option("env", True):
                merged = _try_env(prev, ins, ctx)
            elif type(ins) is Label and type(prev) is Label and ctx.option("labels", True):
                merged = _try_labels(prev, ins, ctx)
        if merged is not None:
            out[-1] = merged
            merged_count[len(out) - 1] = merged_count.get(len(out) - 1, 1) + 1
        else:
            out.append(ins)
            out_shell.append(shell)
    where = f"stage {index}" + (f" ({stage.name})" if stage is not None and stage.name else "")
    for pos, count in merged_count.items():
        ins = out[pos]
        what = {"RUN": f"fused {count} RUNs into one layer", "ENV": f"merged {count} ENVs",
                "LABEL": f"merged {count} LABELs"}[ins.KIND]
        ctx.changed(f"{what} in {where}", ins.span)
    return out


def _flag_key(ins: Instruction) -> tuple:
    return tuple(sorted((f.name, f.value or "") for f in ins.flags))


def _try_runs(a: Run, b: Run, shell, ctx, group: list[str] | None = None) -> Run | None:
    """``a`` (a RUN, or the RUN fused so far from the scripts in ``group``) fused with ``b``."""
    span = _span(a, b)
    where = f"lines {span.start_line}-{span.end_line}" if span else "these RUNs"
    if ctx.is_skipped(a) or ctx.is_skipped(b):
        return None
    if not shell_is_posix(shell):
        ctx.decline(f"not fusing {where}: SHELL {list(shell)} is not a POSIX shell", span)
        return None
    if a.is_exec or b.is_exec:
        ctx.decline(f"not fusing {where}: exec-form RUN", span)
        return None
    if a.heredocs or b.heredocs:
        ctx.decline(f"not fusing {where}: heredoc RUN (its script's exit semantics differ from -c)", span)
        return None
    if _flag_key(a) != _flag_key(b):
        ctx.decline(f"not fusing {where}: different flags "
                    f"({' '.join(f.text() for f in a.flags) or 'none'} vs "
                    f"{' '.join(f.text() for f in b.flags) or 'none'})", span)
        return None
    texts = [*(group or [a.command.text]), b.command.text]
    joined, reason = join_scripts(texts, errexit=shell_has_errexit(shell))
    if joined is None:
        ctx.decline(f"not fusing {where}: {reason}", span)
        return None
    return a.edit(
        command=ShellForm(joined),
        leading=merge_leading(a.leading, b.leading),
        span=span,
    )


_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _try_env(a: Env, b: Env, ctx) -> Env | None:
    if ctx.is_skipped(a) or ctx.is_skipped(b):
        return None
    span = _span(a, b)
    keys = {p.key for p in a.pairs}
    for pair in b.pairs:
        refs = set(_REF.findall(pair.raw or pair.value)) | set(_REF.findall(pair.value))
        if refs & keys:
            ctx.decline(f"not merging ENV at {span}: {pair.key} refers to "
                        f"{', '.join(sorted(refs & keys))} set just above", span)
            return None
    return a.edit(pairs=_canonical_pairs(a) + _canonical_pairs(b), legacy=False,
                  leading=merge_leading(a.leading, b.leading), span=span)


def _try_labels(a: Label, b: Label, ctx) -> Label | None:
    if ctx.is_skipped(a) or ctx.is_skipped(b):
        return None
    span = _span(a, b)
    return a.edit(pairs=_canonical_pairs(a) + _canonical_pairs(b), legacy=False,
                  leading=merge_leading(a.leading, b.leading), span=span)


def _canonical_pairs(ins: Env | Label) -> tuple[KeyValue, ...]:
    """Legacy ``ENV k v`` pairs lose their raw text so the printer writes ``k="v"`` (B17)."""
    if not ins.legacy:
        return ins.pairs
    return tuple(KeyValue(p.key, p.value, None) for p in ins.pairs)
