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

import threading
from typing import Iterator

import attrs
from attrs import field, frozen

# --------------------------------------------------------------------------
# What every node shares
#
# attrs writes __repr__, __eq__ and __hash__ as source code for each class and
# compiles it; for the ~30 classes here that was most of the cost of
# `import dopt.ir`, which every dopt command pays at start-up.  So the classes
# ask attrs for __init__ only (``_node`` below) and inherit these three from
# ``_Node``, which behave as attrs' own: the repr lists the fields with
# repr=True as ``Class(name=value!r, ...)``; equality needs the same class and
# equal fields with eq=True, in order; the hash covers the class and those
# fields.

_REPR_ACTIVE = threading.local()
_EQ_FIELDS: dict[type, tuple[str, ...]] = {}


def _eq_fields(cls: type) -> tuple[str, ...]:
    try:
        return _EQ_FIELDS[cls]
    except KeyError:
        names = _EQ_FIELDS[cls] = tuple(a.name for a in attrs.fields(cls) if a.eq)
        return names


class _Node:
    __slots__ = ()

    def __repr__(self) -> str:
        active = _REPR_ACTIVE.__dict__.setdefault("ids", set())
        if id(self) in active:  # a node that (through a mutable value) holds itself
            return "..."
        active.add(id(self))
        try:
            parts = []
            for a in attrs.fields(self.__class__):
                if a.repr is False:
                    continue
                value = getattr(self, a.name)
                parts.append(f"{a.name}={repr(value) if a.repr is True else a.repr(value)}")
            return f"{self.__class__.__qualname__.rsplit('>.', 1)[-1]}({', '.join(parts)})"
        finally:
            active.discard(id(self))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _eq_fields(self.__class__))

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((self.__class__, *[getattr(self, n) for n in _eq_fields(self.__class__)]))


def _node(cls=None, **options):
    """``attrs.frozen`` without generated __repr__/__eq__/__hash__ (``_Node`` has them)."""
    if cls is None:
        return lambda c: frozen(c, repr=False, eq=False, **options)
    return frozen(cls, repr=False, eq=False, **options)


# --------------------------------------------------------------------------
# Small value types


@_node
class Span(_Node):
    """1-based inclusive line range of a node in its source file."""

    start_line: int
    end_line: int

    def __str__(self) -> str:
        if self.start_line == self.end_line:
            return f"line {self.start_line}"
        return f"lines {self.start_line}-{self.end_line}"


@_node
class Flag(_Node):
    """One ``--name[=value]`` flag of an instruction, in source order.

    ``value`` is None for a boolean flag written without ``=`` (``--link``).
    """

    name: str
    value: str | None = None

    def text(self) -> str:
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


@_node
class Mount(_Node):
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


@_node
class Heredoc(_Node):
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


@_node
class ImageRef(_Node):
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


@_node
class ShellForm(_Node):
    """Shell-form arguments: ``text`` is the logical line after joining
    continuations and removing in-continuation comment lines (what BuildKit
    hands to ``/bin/sh -c``)."""

    text: str


@_node
class ExecForm(_Node):
    """JSON exec-form arguments, decoded."""

    args: tuple[str, ...]


Command = ShellForm | ExecForm


# --------------------------------------------------------------------------
# Instructions


@_node(kw_only=True)
class Instruction(_Node):
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


@_node(kw_only=True)
class From(Instruction):
    KIND = "FROM"
    image: ImageRef
    stage_name: str | None = None
    # "AS" keyword as written, for canonical printing of an edited FROM
    as_keyword: str = "AS"

    @property
    def platform(self) -> str | None:
        return self.flag_value("platform")


@_node(kw_only=True)
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


@_node(kw_only=True)
class Cmd(Instruction):
    KIND = "CMD"
    command: Command


@_node(kw_only=True)
class Entrypoint(Instruction):
    KIND = "ENTRYPOINT"
    command: Command


@_node(kw_only=True)
class Shell(Instruction):
    KIND = "SHELL"
    args: tuple[str, ...]


@_node(kw_only=True)
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


@_node(kw_only=True)
class Copy(CopyLike):
    KIND = "COPY"


@_node(kw_only=True)
class Add(CopyLike):
    KIND = "ADD"


@_node
class KeyValue(_Node):
    """One ENV/LABEL pair. ``key``/``value`` are *processed* (quotes and
    escapes removed, variables not expanded). ``raw`` is the pair as written,
    for the printer (None for a pair a pass made)."""

    key: str
    value: str
    raw: str | None = None


@_node(kw_only=True)
class Env(Instruction):
    KIND = "ENV"
    pairs: tuple[KeyValue, ...]
    legacy: bool = False  # ``ENV key value`` form


@_node(kw_only=True)
class Label(Instruction):
    KIND = "LABEL"
    pairs: tuple[KeyValue, ...]
    legacy: bool = False


@_node
class ArgDecl(_Node):
    name: str
    default: str | None = None  # processed value; None when no ``=``
    raw: str | None = None


@_node(kw_only=True)
class Arg(Instruction):
    KIND = "ARG"
    decls: tuple[ArgDecl, ...]


@_node(kw_only=True)
class Workdir(Instruction):
    KIND = "WORKDIR"
    path: str


@_node(kw_only=True)
class User(Instruction):
    KIND = "USER"
    user: str


@_node(kw_only=True)
class Expose(Instruction):
    KIND = "EXPOSE"
    ports: tuple[str, ...]


@_node(kw_only=True)
class Volume(Instruction):
    KIND = "VOLUME"
    paths: tuple[str, ...]
    json: bool = False


@_node(kw_only=True)
class Healthcheck(Instruction):
    """``command`` is None for ``HEALTHCHECK NONE``."""

    KIND = "HEALTHCHECK"
    command: Command | None = None


@_node(kw_only=True)
class Stopsignal(Instruction):
    KIND = "STOPSIGNAL"
    signal: str


@_node(kw_only=True)
class Maintainer(Instruction):
    KIND = "MAINTAINER"
    name: str


@_node(kw_only=True)
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


@_node
class Directive(_Node):
    """A parser directive (``# syntax=...``, ``# escape=...``, ``# check=...``)."""

    name: str
    value: str
    source: str


@_node
class Stage(_Node):
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


@_node
class Dockerfile(_Node):
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


@_node
class ParseWarning(_Node):
    """A non-fatal finding of the parser (BuildKit's lint names where one exists)."""

    code: str  # e.g. "NoEmptyContinuation"
    message: str
    line: int
