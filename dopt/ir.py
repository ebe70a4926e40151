"""The typed intermediate representation of a Dockerfile.

Every node is a frozen attrs class. Edits make new nodes (``node.edit(...)``),
which drops the node's recorded source text so the printer emits it in the
canonical style; untouched nodes keep ``source`` and print byte for byte.

Ownership of text (what makes the round trip lossless):

* ``Instruction.leading`` holds the exact comment and blank lines that stand
  above the instruction (and below the previous one), terminators included.
* ``Instruction.source`` holds the exact text of the instruction itself, from
  its first character to its last line terminator, including continuation
  lines, comment lines inside continuations and heredoc bodies.  It is ``None``
  for a node a pass made or changed.
* ``Dockerfile.trailer`` holds whatever trivia follows the last instruction.
* ``Directive.source`` holds a parser-directive line exactly.

So ``"".join(d.source for d in directives) + "".join(i.leading + i.source for
i in all instructions) + trailer == text`` for every file the parser accepts.

Example::

    >>> from dopt import parse_text, print_ir
    >>> df = parse_text("FROM python:3.11\\nRUN echo hi\\n")
    >>> df.stages[0].base.repository
    'python'
    >>> print_ir(df) == "FROM python:3.11\\nRUN echo hi\\n"
    True
"""

from __future__ import annotations

from typing import Iterator

import attrs
from attrs import field, frozen

# --------------------------------------------------------------------------
# Small value types


@frozen
class Span:
    """1-based inclusive line range of a node in its source file."""

    start_line: int
    end_line: int

    def __str__(self) -> str:
        if self.start_line == self.end_line:
            return f"line {self.start_line}"
        return f"lines {self.start_line}-{self.end_line}"


@frozen
class Flag:
    """One ``--name[=value]`` flag of an instruction, in source order.

    ``value`` is None for a boolean flag written without ``=`` (``--link``).
    """

    name: str
    value: str | None = None

    def text(self) -> str:
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


@frozen
class Mount:
    """A parsed ``RUN --mount=...`` flag.

    ``options`` keeps every ``key=value`` (or bare ``key``) in source order;
    ``type`` defaults to ``bind`` as in BuildKit.
    """

    options: tuple[tuple[str, str | None], ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        aliases = {"target": ("target", "dst", "destination"), "source": ("source", "src")}
        for k, v in self.options:
            if k in aliases.get(key, (key,)):
                return v
        return default

    @property
    def type(self) -> str:
        return self.get("type", "bind") or "bind"

    @property
    def target(self) -> str | None:
        return self.get("target")


@frozen
class Heredoc:
    """A heredoc attached to RUN/COPY/ADD.

    ``name`` is the delimiter without quotes/backslashes; ``content`` is the
    body exactly as BuildKit reports it (tab-stripped when ``strip_tabs``),
    ending with a newline when the body is non-empty; ``expand`` follows
    BuildKit (False when the delimiter was quoted with ' or ").
    ``opener`` is the word as written (``<<-"EOF"``).
    """

    name: str
    content: str
    strip_tabs: bool = False
    expand: bool = True
    opener: str = ""
    file_descriptor: int = 0


@frozen
class ImageRef:
    """A parsed image reference ``[registry/]repository[:tag][@digest]``.

    ``raw`` is the text as written (possibly containing ``$VARS``); the parsed
    parts are of the *resolved* text when variables could be expanded.
    """

    raw: str
    registry: str | None = None
    repository: str = ""
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """registry/repository without tag or digest."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def __str__(self) -> str:
        s = self.name
        if self.tag:
            s += f":{self.tag}"
        if self.digest:
            s += f"@{self.digest}"
        return s


# --------------------------------------------------------------------------
# Commands: shell form vs exec form


@frozen
class ShellForm:
    """Shell-form arguments: ``text`` is the logical line after joining
    continuations and removing in-continuation comment lines (what BuildKit
    hands to ``/bin/sh -c``)."""

    text: str


@frozen
class ExecForm:
    """JSON exec-form arguments, decoded."""

    args: tuple[str, ...]


Command = ShellForm | ExecForm


# --------------------------------------------------------------------------
# Instructions


@frozen(kw_only=True)
class Instruction:
    """Base of every instruction node.

    ``keyword`` is the keyword as written (case kept, e.g. ``run``);
    ``KIND`` is the canonical upper-case name.
    """

    KIND = ""

    keyword: str = ""
    flags: tuple[Flag, ...] = ()
    leading: str = ""
    source: str | None = None
    span: Span | None = None

    # -- helpers ----------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.KIND

    def edit(self, **changes) -> "Instruction":
        """Return a changed copy that prints canonically (source dropped)."""
        changes.setdefault("source", None)
        return attrs.evolve(self, **changes)

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flag_value(self, name: str, default: str | None = None) -> str | None:
        f = self.flag(name)
        return default if f is None else f.value

    @property
    def creates_layer(self) -> bool:
        return self.KIND in ("RUN", "COPY", "ADD")

    @property
    def is_changed(self) -> bool:
        return self.source is None


@frozen(kw_only=True)
class From(Instruction):
    KIND = "FROM"
    image: ImageRef
    stage_name: str | None = None
    # "AS" keyword as written, for canonical printing of an edited FROM
    as_keyword: str = "AS"

    @property
    def platform(self) -> str | None:
        return self.flag_value("platform")


@frozen(kw_only=True)
class Run(Instruction):
    KIND = "RUN"
    command: Command
    heredocs: tuple[Heredoc, ...] = ()

    @property
    def mounts(self) -> tuple[Mount, ...]:
        from dopt.flags import parse_mount  # local: keeps ir import-light

        return tuple(parse_mount(f.value or "") for f in self.flags if f.name == "mount")

    @property
    def is_exec(self) -> bool:
        return isinstance(self.command, ExecForm)


@frozen(kw_only=True)
class Cmd(Instruction):
    KIND = "CMD"
    command: Command


@frozen(kw_only=True)
class Entrypoint(Instruction):
    KIND = "ENTRYPOINT"
    command: Command


@frozen(kw_only=True)
class Shell(Instruction):
    KIND = "SHELL"
    args: tuple[str, ...]


@frozen(kw_only=True)
class CopyLike(Instruction):
    """COPY or ADD. ``sources`` are words as written (variables unexpanded);
    heredoc sources appear as their opener word (``<<EOF``) and in
    ``heredocs``. ``json`` is True for the JSON array form."""

    KIND = ""
    sources: tuple[str, ...]
    dest: str
    heredocs: tuple[Heredoc, ...] = ()
    json: bool = False

    @property
    def from_stage(self) -> str | None:
        return self.flag_value("from")


@frozen(kw_only=True)
class Copy(CopyLike):
    KIND = "COPY"


@frozen(kw_only=True)
class Add(CopyLike):
    KIND = "ADD"


@frozen
class KeyValue:
    """One ENV/LABEL pair. ``key``/``value`` are *processed* (quotes and
    escapes removed, variables not expanded). ``raw`` is the pair as written,
    for the printer (None for a pair a pass made)."""

    key: str
    value: str
    raw: str | None = None


@frozen(kw_only=True)
class Env(Instruction):
    KIND = "ENV"
    pairs: tuple[KeyValue, ...]
    legacy: bool = False  # ``ENV key value`` form


@frozen(kw_only=True)
class Label(Instruction):
    KIND = "LABEL"
    pairs: tuple[KeyValue, ...]
    legacy: bool = False


@frozen
class ArgDecl:
    name: str
    default: str | None = None  # processed value; None when no ``=``
    raw: str | None = None


@frozen(kw_only=True)
class Arg(Instruction):
    KIND = "ARG"
    decls: tuple[ArgDecl, ...]


@frozen(kw_only=True)
class Workdir(Instruction):
    KIND = "WORKDIR"
    path: str


@frozen(kw_only=True)
class User(Instruction):
    KIND = "USER"
    user: str


@frozen(kw_only=True)
class Expose(Instruction):
    KIND = "EXPOSE"
    ports: tuple[str, ...]


@frozen(kw_only=True)
class Volume(Instruction):
    KIND = "VOLUME"
    paths: tuple[str, ...]
    json: bool = False


@frozen(kw_only=True)
class Healthcheck(Instruction):
    """``command`` is None for ``HEALTHCHECK NONE``."""

    KIND = "HEALTHCHECK"
    command: Command | None = None


@frozen(kw_only=True)
class Stopsignal(Instruction):
    KIND = "STOPSIGNAL"
    signal: str


@frozen(kw_only=True)
class Maintainer(Instruction):
    KIND = "MAINTAINER"
    name: str


@frozen(kw_only=True)
class Onbuild(Instruction):
    """ONBUILD wrapping another instruction (its ``leading`` is empty and its
    ``source`` is the wrapped text)."""

    KIND = "ONBUILD"
    inner: Instruction


INSTRUCTION_CLASSES: dict[str, type[Instruction]] = {
    c.KIND: c
    for c in (
        From, Run, Cmd, Entrypoint, Shell, Copy, Add, Env, Label, Arg, Workdir,
        User, Expose, Volume, Healthcheck, Stopsignal, Maintainer, Onbuild,
    )
}


# --------------------------------------------------------------------------
# Structure


@frozen
class Directive:
    """A parser directive (``# syntax=...``, ``# escape=...``, ``# check=...``)."""

    name: str
    value: str
    source: str


@frozen
class Stage:
    """A build stage: its FROM and the instructions that follow it."""

    from_: From
    instructions: tuple[Instruction, ...] = ()

    @property
    def name(self) -> str | None:
        return self.from_.stage_name

    @property
    def base(self) -> ImageRef:
        return self.from_.image

    @property
    def platform(self) -> str | None:
        return self.from_.platform

    def all(self) -> tuple[Instruction, ...]:
        return (self.from_, *self.instructions)

    def edit(self, **changes) -> "Stage":
        return attrs.evolve(self, **changes)


@frozen
class Dockerfile:
    """A whole Dockerfile.

    ``preamble`` holds the instructions before the first FROM (global ARGs);
    ``escape`` is the active escape character; ``newline`` the dominant line
    terminator used when printing changed nodes; ``path`` where it came from.
    ``warnings`` are non-fatal parse diagnostics (e.g. empty continuation).
    """

    directives: tuple[Directive, ...] = ()
    preamble: tuple[Instruction, ...] = ()
    stages: tuple[Stage, ...] = ()
    trailer: str = ""
    escape: str = "\\"
    newline: str = "\n"
    path: str | None = field(default=None, eq=False)
    warnings: tuple["ParseWarning", ...] = field(default=(), eq=False)

    def instructions(self) -> Iterator[Instruction]:
        """Every top-level instruction in file order."""
        yield from self.preamble
        for stage in self.stages:
            yield from stage.all()

    def edit(self, **changes) -> "Dockerfile":
        return attrs.evolve(self, **changes)

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None


@frozen
class ParseWarning:
    """A non-fatal finding of the parser (BuildKit's lint names where one exists)."""

    code: str  # e.g. "NoEmptyContinuation"
    message: str
    line: int
