"""Rewriting helpers shared by passes: joining RUN scripts safely, the active SHELL, trivia merging.

Kept out of ``passes/`` so that folder holds exactly one transform per module.
"""

from __future__ import annotations

import re

from dopt.ir import Dockerfile, Run, Shell, Stage

DEFAULT_SHELL = ("/bin/sh", "-c")
POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "busybox"})


def shell_is_posix(shell: tuple[str, ...]) -> bool:
    """True for sh/bash/ash/dash (B50: PowerShell or cmd get no POSIX analysis).

    >>> shell_is_posix(("/bin/bash", "-o", "pipefail", "-c")), shell_is_posix(("pwsh", "-Command"))
    (True, False)
    """
    if not shell:
        return False
    name = shell[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name in POSIX_SHELLS


def stage_shells(df: Dockerfile) -> list[list[tuple[str, ...]]]:
    """For each stage, the SHELL in force at each of its instructions.

    A stage built ``FROM`` an earlier stage inherits that stage's last SHELL.
    """
    from dopt.ir import From  # noqa: F401  (documentation of the input type)

    names: dict[str, tuple[str, ...]] = {}
    by_index: list[tuple[str, ...]] = []
    result: list[list[tuple[str, ...]]] = []
    for stage in df.stages:
        base = stage.base.raw.lower()
        current = names.get(base, DEFAULT_SHELL)
        if base.isdigit() and int(base) < len(by_index):
            current = by_index[int(base)]
        per: list[tuple[str, ...]] = []
        for ins in stage.instructions:
            per.append(current)
            if isinstance(ins, Shell):
                current = tuple(ins.args)
        result.append(per)
        by_index.append(current)
        if stage.name:
            names[stage.name.lower()] = current
    return result


def sets_errexit(script) -> bool:
    """True when the script turns on ``set -e`` / ``set -o errexit`` anywhere."""
    for cmd in script.commands:
        if cmd.argv0 != "set":
            continue
        args = list(cmd.words[1:])
        for n, arg in enumerate(args):
            if arg.startswith("-") and not arg.startswith("--") and "e" in arg[1:] and arg != "-o":
                return True
            if arg in ("-o", "+o") and n + 1 < len(args) and args[n + 1] == "errexit" and arg == "-o":
                return True
    return False


def shell_has_errexit(shell: tuple[str, ...]) -> bool:
    """True when the SHELL's own options include errexit (``["/bin/bash", "-eo", "pipefail", "-c"]``)."""
    args = list(shell[1:])
    for n, arg in enumerate(args):
        if arg.startswith("-") and not arg.startswith("--") and arg != "-c" and "e" in arg[1:] and arg != "-o":
            return True
        if arg == "-o" and n + 1 < len(args) and args[n + 1] == "errexit":
            return True
    return False


ERREXIT_REASON = ("errexit (set -e), which POSIX shells ignore on the left of '&&': "
                  "fusing would change which failures stop the build")


def group_for_join(text: str, *, errexit: bool = False) -> tuple[str | None, str]:
    """Wrap one RUN's script so it can stand in an ``&&`` chain with others.

    Returns ``(wrapped, reason)``; ``wrapped`` is None when it cannot be done
    safely (then ``reason`` says why).

    * a plain ``a && b`` chain stays as it is;
    * a script with top-level ``||``, ``;`` or newlines becomes ``{ ...; }`` so
      its exit status is the one it had alone (B53);
    * a script that changes shell state (``cd``, ``export``, ``set``, ``umask``,
      ``exit``, ``source``, traps, functions) runs in ``( ... )`` so nothing
      leaks into its neighbours (B52).

    >>> group_for_join("cd /tmp && make")[0]
    '(cd /tmp && make)'
    >>> group_for_join("optional --init || true")[0]
    '{ optional --init || true; }'
    >>> group_for_join("apt-get update && apt-get install -y x")[0]
    'apt-get update && apt-get install -y x'
    """
    from dopt.shell import parse_script, state_effects

    text = split_comment(text)[0]  # a trailing comment would swallow what follows the group
    script = parse_script(text)
    if script.opaque:
        return None, f"the shell script cannot be analysed ({script.error})"
    if script.has_background:
        return None, "the script starts a background job ('&')"
    if not script.items:
        return None, "the script is empty"
    body = _strip_terminator(text)
    if sets_errexit(script):
        return None, "the script turns on " + ERREXIT_REASON
    simple = script.is_and_chain and "\n" not in body
    if errexit and not simple and not _or_chain(script):
        return None, "the SHELL runs with " + ERREXIT_REASON
    effects = state_effects(script)
    if effects:
        return f"({body})", ""
    if simple:
        return body, ""
    return "{ " + body + "; }", ""


def split_comment(text: str) -> tuple[str, str]:
    """``(script, comment)``: a RUN's shell text without its trailing ``# comment``, and the comment.

    A RUN's continuation lines are joined into one line, so a shell comment always runs to the
    end of the text: anything appended after it (``&& next``, ``; }``, ``)``) would be commented
    out. Scripts that cannot be analysed come back whole.

    >>> split_comment("cd /tmp # go there")
    ('cd /tmp', '# go there')
    >>> split_comment("echo a#b '# not' $#")
    ("echo a#b '# not' $#", '')
    """
    from dopt.shell import parse_script

    script = parse_script(text)
    if script.opaque or not script.items or "#" not in text:
        return text, ""
    end = max(item.end for item in script.items)
    at = text.find("#", end)
    if at < 0 or text[end:at].strip(" \t;&"):
        return text, ""
    return text[:at].rstrip(), text[at:].rstrip()


def _or_chain(script) -> bool:
    """Only ``&&``/``||`` at top level: no command sequence that errexit would cut short."""
    inner = [i.op for i in script.items[:-1]]
    return all(op in ("&&", "||") for op in inner) and "\n" not in script.text.strip()


def _strip_terminator(text: str) -> str:
    body = text.strip()
    while body.endswith(";") and not body.endswith(";;"):
        body = body[:-1].rstrip()
    return body


def join_scripts(texts: list[str], *, errexit: bool = False) -> tuple[str | None, str]:
    """Join several RUN scripts into one with the semantics of running them one after another.

    The last script needs no isolation from what follows (nothing follows), but
    still needs grouping when it has top-level ``||``/``;``, so the chain's
    ``&&`` cannot bind into it.

    >>> join_scripts(["mkdir -p /tmp/build && cd /tmp/build", "pwd > /where.txt"])[0]
    '(mkdir -p /tmp/build && cd /tmp/build) && pwd > /where.txt'
    """
    from dopt.shell import parse_script

    parts: list[str] = []
    comments: list[str] = []
    for n, text in enumerate(texts):
        last = n == len(texts) - 1
        text, comment = split_comment(text)
        if comment:
            comments.append(comment)
        wrapped, reason = group_for_join(text, errexit=errexit)
        if wrapped is None:
            return None, reason
        if last and wrapped.startswith("(") and parse_script(text).is_and_chain and "\n" not in text.strip():
            wrapped = _strip_terminator(text)
        parts.append(wrapped)
    # the comments move to the end, where they comment out nothing
    return " && ".join(parts) + "".join(" " + c for c in comments), ""


_HADOLINT = re.compile(r"^([ \t]*#[ \t]*hadolint[ \t]+ignore=)([\w, ]+?)[ \t]*(\r?\n)", re.M)


def merge_leading(first: str, second: str) -> str:
    """Trivia for an instruction made by merging two: both comment blocks, in order.

    Linter pragmas (``# hadolint ignore=...``) apply to the instruction right
    below them, so the merged rule lists become one pragma line kept directly
    above the merged instruction (B46).

    >>> merge_leading("# hadolint ignore=DL3008\\n", "# why\\n# hadolint ignore=DL3009\\n")
    '# why\\n# hadolint ignore=DL3008,DL3009\\n'
    """
    rules: list[str] = []
    newline = "\n"
    prefix = "# hadolint ignore="

    def take(m: re.Match) -> str:
        nonlocal newline, prefix
        prefix, newline = m.group(1), m.group(3)
        for rule in m.group(2).split(","):
            rule = rule.strip()
            if rule and rule not in rules:
                rules.append(rule)
        return ""

    rest = _HADOLINT.sub(take, first) + _HADOLINT.sub(take, second)
    if rules:
        rest += f"{prefix}{','.join(rules)}{newline}"
    return rest


def replace_stage(df: Dockerfile, index: int, stage: Stage) -> Dockerfile:
    stages = list(df.stages)
    stages[index] = stage
    return df.edit(stages=tuple(stages))


def run_text(ins: Run) -> str | None:
    """The shell text of a shell-form RUN without heredocs, else None."""
    from dopt.ir import ShellForm

    if ins.heredocs or not isinstance(ins.command, ShellForm):
        return None
    return ins.command.text
