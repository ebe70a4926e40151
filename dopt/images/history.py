"""Reading Dockerfile instructions back out of an image's history.

Builders record each instruction as a ``created_by`` string, in three dialects:

* BuildKit: ``RUN /bin/sh -c make # buildkit``, ``COPY . /app # buildkit``, ``ENV A=1``;
* the classic builder: ``/bin/sh -c #(nop) COPY file:ab12 in /app``, ``/bin/sh -c make``,
  ``|1 VERSION=2 /bin/sh -c make`` (build args), or a bare argv for exec-form RUN;
* other tools (base images): usually the classic form.

Example::

    >>> instruction_kind("/bin/sh -c #(nop) COPY file:ab in /x "), instruction_kind("RUN /bin/sh -c make # buildkit")
    ('COPY', 'RUN')
    >>> display_text("/bin/sh -c #(nop)  CMD [\\"sh\\"]")
    'CMD ["sh"]'
"""

from __future__ import annotations

import re

KINDS = {
    "RUN", "COPY", "ADD", "ENV", "LABEL", "ARG", "WORKDIR", "USER", "EXPOSE", "VOLUME", "CMD",
    "ENTRYPOINT", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD", "MAINTAINER",
}
LAYER_KINDS = {"RUN", "COPY", "ADD", "WORKDIR"}  # WORKDIR makes a layer when it creates the directory

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_BUILD_ARGS = re.compile(r"^\|\d+(\s+\S+=\S*)*\s+")


def instruction_kind(created_by: str) -> str:
    """The Dockerfile keyword that produced a history entry (``RUN`` for a bare command).

    >>> instruction_kind("|1 V=2 /bin/sh -c make"), instruction_kind("/fs chmod 600 /blob"), instruction_kind("")
    ('RUN', 'RUN', '')
    """
    text = created_by.strip()
    if not text:
        return ""
    m = _NOP.match(text)
    if m:
        word = text[m.end():].split(None, 1)[:1]
        return word[0].upper() if word and word[0].upper() in KINDS else "RUN"
    word = text.split(None, 1)[0]
    if word in KINDS:
        return word
    return "RUN"


def display_text(created_by: str) -> str:
    """``created_by`` without builder noise, as a Dockerfile line would read.

    >>> display_text("RUN /bin/sh -c apt-get update # buildkit"), display_text("/bin/sh -c make")
    ('RUN apt-get update', 'RUN make')
    """
    text = created_by.strip()
    if text.endswith("# buildkit"):
        text = text[: -len("# buildkit")].rstrip()
    m = _NOP.match(text)
    if m:
        return text[m.end():].strip()
    kind = instruction_kind(text)
    if kind == "RUN" and not text.startswith("RUN "):
        text = "RUN " + text
    if text.startswith("RUN "):
        body = _BUILD_ARGS.sub("", text[4:])
        if body.startswith("/bin/sh -c "):
            body = body[len("/bin/sh -c "):]
        text = "RUN " + body
    return text


def mentions(created_by: str, *words: str) -> bool:
    """Whether the command text uses any of ``words`` as a word (``chmod``, ``rm``...).

    >>> mentions("RUN chmod 600 /blob", "chmod"), mentions("RUN chmodx", "chmod")
    (True, False)
    """
    return any(re.search(rf"(^|[\s;&|(/]){re.escape(w)}(\s|$)", created_by) for w in words)


def pair_with_dockerfile(history_kinds: list[str], instructions: list[tuple[str, int]]) -> dict[int, int]:
    """Pair history entries with the final stage's instructions, matching kinds from the end.

    ``history_kinds`` is the kind of every history entry in order; ``instructions``
    is ``(kind, line)`` for the final stage's instructions after FROM. Returns
    ``{history index: instruction index}``; history entries left unpaired at the
    front belong to the base image.

    >>> pair_with_dockerfile(["ADD", "CMD", "RUN", "ENV", "RUN"], [("RUN", 2), ("ENV", 3), ("RUN", 4)])
    {4: 2, 3: 1, 2: 0}
    """
    pairs: dict[int, int] = {}
    h = len(history_kinds) - 1
    i = len(instructions) - 1
    while h >= 0 and i >= 0:
        if history_kinds[h] == instructions[i][0]:
            pairs[h] = i
            h -= 1
            i -= 1
        elif instructions[i][0] in ("ARG", "ONBUILD", "MAINTAINER") or instructions[i][0] not in LAYER_KINDS:
            i -= 1  # builders do not record every metadata instruction the same way
        else:
            h -= 1
    return pairs
