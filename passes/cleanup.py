"""cleanup: package-manager caches do not land in layers.

For each shell-form RUN in a POSIX shell:

* apt: append ``apt-get clean && rm -rf /var/lib/apt/lists/*`` to a RUN that
  installs (unless already there); with option ``no-recommends`` also add
  ``--no-install-recommends`` (it changes which packages get installed, so it
  is off at -O1 and verified by ``dopt optimize`` at -O2); a lone
  ``RUN apt-get update`` is joined to the RUN right after it that installs;
* apk: ``add --no-cache``; yum/dnf/microdnf/zypper: ``clean all``;
* pip: ``--no-cache-dir``; npm: ``npm cache clean --force``; yarn:
  ``yarn cache clean``; pnpm: ``pnpm store prune``; conda: ``conda clean -afy``;
  gem: ``--no-document``;
* a later ``RUN rm -rf PATH`` of a file an earlier RUN created is moved into
  that RUN when nothing in between mentions the path.

Never deletes inside a cache or tmpfs mount (B58): there the files are not in
the layer at all. Declines for a RUN whose package lists a later RUN still
needs (``apt-get install`` without its own ``apt-get update``).

Option ``mounts``: instead of deleting caches, give the RUN BuildKit cache
mounts (``--mount=type=cache,target=/var/cache/apt,sharing=locked`` ...), which
keeps them out of the image and makes rebuilds faster.

Example::

    >>> from dopt import parse_text
    >>> from dopt.pipeline import run_pipeline
    >>> run_pipeline(parse_text("FROM debian\\nRUN apt-get update && apt-get install -y curl\\n"), "cleanup").text
    'FROM debian\\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\\n'
"""

from __future__ import annotations

import re

from dopt.ir import Flag, Instruction, Run, ShellForm, Stage
from dopt.rewrite import (group_for_join, join_scripts, merge_leading, replace_stage, run_text, shell_has_errexit,
                          shell_is_posix, split_comment, stage_shells)

NAME = "cleanup"
DESCRIPTION = "keep package-manager caches and lists out of layers (or in cache mounts)"
OPTIONS = {
    "mounts": "use RUN --mount=type=cache for package caches instead of deleting them",
    "no-recommends": "add --no-install-recommends to apt-get install",
}

APT_LISTS = "/var/lib/apt/lists"
APT_CACHE = "/var/cache/apt"

# manager -> (cache paths, cache-mount targets used with the `mounts` option)
CACHE_PATHS = {
    "apt": (APT_LISTS, APT_CACHE),
    "pip": ("/root/.cache/pip",),
    "npm": ("/root/.npm",),
    "yarn": ("/usr/local/share/.cache/yarn",),
    "apk": ("/var/cache/apk",),
}

_TRAILERS = {
    "yum": "yum clean all",
    "dnf": "dnf clean all",
    "microdnf": "microdnf clean all",
    "zypper": "zypper clean --all",
    "npm": "npm cache clean --force",
    "yarn": "yarn cache clean",
    "pnpm": "pnpm store prune",
    "conda": "conda clean -afy",
    "mamba": "mamba clean -afy",
    "micromamba": "micromamba clean -afy",
}


def run(df, ctx):
    shells = stage_shells(df)
    for index, stage in enumerate(df.stages):
        instructions = list(stage.instructions)
        instructions = _join_lone_updates(instructions, shells[index], ctx)
        shells_now = _recompute_shells(instructions, shells[index])
        instructions = _move_late_removals(instructions, shells_now, ctx)
        shells_now = _recompute_shells(instructions, shells[index])
        out = []
        for pos, ins in enumerate(instructions):
            if isinstance(ins, Run) and not ctx.is_skipped(ins) and shell_is_posix(shells_now[pos]):
                ins = _clean_run(ins, instructions[pos + 1:], _derived_runs(df, index), ctx,
                                 errexit=shell_has_errexit(shells_now[pos]))
            out.append(ins)
        if tuple(out) != stage.instructions:
            df = replace_stage(df, index, stage.edit(instructions=tuple(out)))
    return df


def _recompute_shells(instructions, original_shells):
    from dopt.ir import Shell

    current = original_shells[0] if original_shells else ("/bin/sh", "-c")
    out = []
    for ins in instructions:
        out.append(current)
        if isinstance(ins, Shell):
            current = tuple(ins.args)
    return out


def _derived_runs(df, index: int) -> list[Run]:
    """RUNs of later stages built FROM this stage (they inherit its files)."""
    names = {str(index)}
    if df.stages[index].name:
        names.add(df.stages[index].name.lower())
    runs: list[Run] = []
    for stage in df.stages[index + 1:]:
        if stage.base.raw.lower() in names:
            runs.extend(i for i in stage.instructions if isinstance(i, Run))
            names.add(str(df.stages.index(stage)))
            if stage.name:
                names.add(stage.name.lower())
    return runs


# --------------------------------------------------------------------------


def _ops(text: str):
    from dopt.packages import package_ops
    from dopt.shell import parse_script

    script = parse_script(text)
    if script.opaque:
        return script, ()
    return script, package_ops(script)


def _mounted(ins: Run, path: str) -> bool:
    """True when ``path`` lies inside a cache/tmpfs/bind mount of this RUN (B58)."""
    for mount in ins.mounts:
        target = (mount.target or "").rstrip("/")
        if target and (path == target or path.startswith(target + "/") or target.startswith(path + "/")):
            return True
    return False


def _needs_lists_later(later: list[Instruction], derived: list[Run]) -> Instruction | None:
    """The first later RUN that installs with apt (or apk) without refreshing its index first."""
    for ins in [*later, *derived]:
        if not isinstance(ins, Run):
            continue
        text = run_text(ins)
        if text is None:
            if isinstance(ins.command, ShellForm) and "install" in ins.command.text:
                return ins
            continue
        _, ops = _ops(text)
        refreshed = False
        for op in ops:
            if op.manager in ("apt", "apk") and op.action == "update":
                refreshed = True
            if op.manager == "apt" and op.action == "install" and not refreshed and not _mounted(ins, APT_LISTS):
                return ins
    return None


def _clean_run(ins: Run, later, derived, ctx, *, errexit: bool = False) -> Run:
    text = run_text(ins)
    if text is None:
        return ins
    script, ops = _ops(text)
    if script.opaque or not ops:
        return ins
    use_mounts = bool(ctx.option("mounts", False))
    new_text = text
    added_flags: list[Flag] = []
    trailers: list[str] = []
    notes: list[str] = []

    managers = {op.manager for op in ops}
    apt_installs = [op for op in ops if op.manager == "apt" and op.action == "install"]
    apt_clean_lists = any(op.manager == "apt" and op.action == "clean-lists" for op in ops)
    # insertions at word positions, applied right to left so offsets stay valid
    inserts: list[tuple[int, str]] = []

    if apt_installs:
        if ctx.option("no-recommends", False):
            for op in apt_installs:
                if not op.no_install_recommends:
                    pos = _after_word(text, op.command, "install")
                    if pos is not None:
                        inserts.append((pos, " --no-install-recommends"))
            if any(not op.no_install_recommends for op in apt_installs):
                notes.append("--no-install-recommends")
        if use_mounts:
            for target in (APT_CACHE, APT_LISTS):
                if not _mounted(ins, target):
                    added_flags.append(Flag("mount", f"type=cache,target={target},sharing=locked"))
            if added_flags:
                notes.append("apt cache mounts")
        elif not apt_clean_lists and not _mounted(ins, APT_LISTS):
            blocker = _needs_lists_later(later, derived)
            if blocker is not None:
                ctx.decline(f"not removing apt lists after {_where(ins)}: the RUN at {_where(blocker)} "
                            "installs with apt-get without its own apt-get update", ins.span)
            else:
                trailers.append("apt-get clean && rm -rf /var/lib/apt/lists/*")
                notes.append("apt lists removed in the same layer")
        elif (apt_clean_lists and not _mounted(ins, APT_CACHE)
              and not any(op.manager == "apt" and op.action == "clean" for op in ops)):
            # the lists are gone but the package cache (pkgcache.bin, archives) stays: images
            # without Debian's docker-clean hook keep ~80 MB there
            trailers.append("apt-get clean")
            notes.append("apt-get clean")
    for op in ops:
        if op.manager == "apk" and op.action == "install" and not op.no_cache:
            if _mounted(ins, "/var/cache/apk"):
                continue
            pos = _after_word(text, op.command, "add")
            if pos is not None:
                inserts.append((pos, " --no-cache"))
                notes.append("apk --no-cache")
        elif op.manager == "pip" and op.action == "install" and not op.no_cache:
            if _mounted(ins, "/root/.cache/pip"):
                continue
            if use_mounts:
                flag = Flag("mount", "type=cache,target=/root/.cache/pip")
                if flag not in added_flags:
                    added_flags.append(flag)
                    notes.append("pip cache mount")
                continue
            pos = _after_word(text, op.command, "install")
            if pos is not None:
                inserts.append((pos, " --no-cache-dir"))
                notes.append("pip --no-cache-dir")
        elif op.manager == "gem" and op.action == "install" and "--no-document" not in op.options:
            pos = _after_word(text, op.command, "install")
            if pos is not None:
                inserts.append((pos, " --no-document"))
                notes.append("gem --no-document")
    for manager, trailer in _TRAILERS.items():
        if manager not in managers:
            continue
        mgr_ops = [op for op in ops if op.manager == manager]
        if any(op.action in ("clean", "cache-clean") for op in mgr_ops):
            continue
        if not any(op.action in ("install", "ci", "create") for op in mgr_ops):
            continue
        if manager == "npm" and (_mounted(ins, "/root/.npm") or use_mounts):
            if use_mounts and not _mounted(ins, "/root/.npm"):
                added_flags.append(Flag("mount", "type=cache,target=/root/.npm"))
                notes.append("npm cache mount")
            continue
        if manager == "yarn" and _mounted(ins, "/usr/local/share/.cache/yarn"):
            continue
        trailers.append(trailer)
        notes.append(trailer)

    if not inserts and not trailers and not added_flags:
        return ins
    for pos, piece in sorted(set(inserts), reverse=True):
        new_text = new_text[:pos] + piece + new_text[pos:]
    if trailers:
        # a trailing `# comment` would swallow the cleanup: it moves after it
        code, comment = split_comment(new_text)
        # under a SHELL with -e, a sequence left of `&&` would lose errexit: group_for_join declines
        wrapped, reason = group_for_join(code, errexit=errexit)
        if wrapped is None:
            ctx.decline(f"not appending cache cleanup at {_where(ins)}: {reason}", ins.span)
            trailers = []
        else:
            if wrapped.startswith("("):
                # state changes no longer matter: only the cleanup follows
                wrapped = code.strip() if script.is_and_chain else "{ " + code.strip().rstrip(";") + "; }"
            new_text = " && ".join([wrapped, *trailers]) + (" " + comment if comment else "")
    if new_text == text and not added_flags:
        return ins
    ctx.changed(f"cleaned caches in {_where(ins)}: {', '.join(dict.fromkeys(notes))}", ins.span)
    return ins.edit(command=ShellForm(new_text), flags=ins.flags + tuple(added_flags))


def _where(ins) -> str:
    """``lines 9-13`` for an instruction from the source; a phrase for one a pass made."""
    return str(ins.span) if ins.span else "a RUN added by an earlier pass"


def _after_word(text: str, command, word: str) -> int | None:
    """Offset just after the first ``word`` token inside ``command``'s text."""
    segment = text[command.start:command.end]
    m = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", segment)
    if not m:
        return None
    return command.start + m.end()


# --------------------------------------------------------------------------


def _join_lone_updates(instructions: list[Instruction], shells, ctx) -> list[Instruction]:
    """``RUN apt-get update`` alone, then ``RUN apt-get install ...``: one RUN (a stale-cache bug otherwise)."""
    out: list[Instruction] = []
    for pos, ins in enumerate(instructions):
        prev = out[-1] if out else None
        if (
            isinstance(prev, Run) and isinstance(ins, Run)
            and _is_lone_update(prev) and _installs(ins)
            and not ctx.is_skipped(prev) and not ctx.is_skipped(ins)
            and shell_is_posix(shells[pos])
            and sorted(f.text() for f in prev.flags) == sorted(f.text() for f in ins.flags)
        ):
            joined, reason = join_scripts([run_text(prev), run_text(ins)], errexit=shell_has_errexit(shells[pos]))
            if joined is None:
                ctx.decline(f"not joining apt-get update at {prev.span} to its install: {reason}", prev.span)
            else:
                from dopt.ir import Span

                span = Span(prev.span.start_line, ins.span.end_line) if prev.span and ins.span else None
                ctx.changed(f"joined lone apt-get update at {prev.span} to the install at {ins.span}", span)
                out[-1] = prev.edit(command=ShellForm(joined), leading=merge_leading(prev.leading, ins.leading),
                                    span=span)
                continue
        out.append(ins)
    return out


def _is_lone_update(ins: Run) -> bool:
    text = run_text(ins)
    if text is None:
        return False
    script, ops = _ops(text)
    return bool(script.commands) and len(ops) == len(script.commands) and all(
        op.manager == "apt" and op.action == "update" for op in ops
    )


def _installs(ins: Run) -> bool:
    text = run_text(ins)
    if text is None:
        return False
    _, ops = _ops(text)
    return any(op.manager == "apt" and op.action == "install" for op in ops)


# --------------------------------------------------------------------------


def _move_late_removals(instructions: list[Instruction], shells, ctx) -> list[Instruction]:
    """``RUN wget -O /tmp/x.tgz ...`` ... ``RUN rm -rf /tmp/x.tgz``: delete in the creating layer.

    Only when the removal RUN does nothing but ``rm`` of literal absolute paths, the
    paths appear in exactly one earlier instruction of the stage (the creating RUN), and
    only non-layer instructions (ENV, LABEL, WORKDIR, ...) stand in between, since a RUN,
    COPY or ADD there could read or write the path without naming it.
    """
    out = list(instructions)
    pos = 0
    while pos < len(out):
        ins = out[pos]
        paths = _rm_only_paths(ins) if isinstance(ins, Run) and shell_is_posix(shells[pos]) else None
        if not paths or ctx.is_skipped(ins):
            pos += 1
            continue
        creator = None
        for back in range(pos - 1, -1, -1):
            other = out[back]
            if _mentions(other, paths):
                creator = back
                break
            if other.creates_layer:
                # a RUN/COPY/ADD in between may read or write the path without naming it
                break
        mentioned_before = creator is not None and any(_mentions(o, paths) for o in out[:creator])
        if (creator is None or mentioned_before or not isinstance(out[creator], Run)
                or ctx.is_skipped(out[creator])
                # a RUN that only deletes creates nothing
                or _rm_only_paths(out[creator]) is not None
                # its comments would have nowhere to go
                or (ins.leading.strip() and pos == len(out) - 1)):
            pos += 1
            continue
        target = out[creator]
        if run_text(target) is None or sorted(f.text() for f in target.flags) != sorted(f.text() for f in ins.flags):
            pos += 1
            continue
        if any(_mounted(target, p) for p in paths):
            pos += 1
            continue
        joined, reason = join_scripts([run_text(target), run_text(ins)], errexit=shell_has_errexit(shells[creator]))
        if joined is None:
            ctx.decline(f"not moving the removal at {ins.span} into {target.span}: {reason}", ins.span)
            pos += 1
            continue
        ctx.changed(f"moved 'rm' of {', '.join(paths)} at {ins.span} into the RUN at {target.span} that creates it",
                    ins.span)
        out[creator] = target.edit(command=ShellForm(joined))
        # comments above the removed RUN stay in place (they now sit above the next instruction)
        removed = out.pop(pos)
        if removed.leading and pos < len(out):
            out[pos] = _prepend_leading(out[pos], removed.leading)
    return out


def _prepend_leading(ins: Instruction, leading: str) -> Instruction:
    import attrs

    return attrs.evolve(ins, leading=leading + ins.leading)


def _rm_only_paths(ins: Run) -> list[str] | None:
    text = run_text(ins)
    if text is None:
        return None
    from dopt.shell import parse_script

    script = parse_script(text)
    if script.opaque or not script.commands or not script.is_and_chain:
        return None
    paths: list[str] = []
    for cmd in script.commands:
        if cmd.argv0 != "rm" or cmd.depth_kind != "top":
            return None
        for word in cmd.words[1:]:
            if word.startswith("-"):
                continue
            if not word.startswith("/") or any(ch in word for ch in "*?[$"):
                return None
            paths.append(word.rstrip("/"))
    return paths or None


def _mentions(ins: Instruction, paths: list[str]) -> bool:
    from dopt.printer import print_instruction

    text = ins.source if ins.source is not None else print_instruction(ins)
    return any(p in text for p in paths)
