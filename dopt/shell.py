"""A typed model of one shell-form RUN script, read with bashlex.

This is the only module that imports bashlex.  Passes and analyses see the
frozen classes below and never a bashlex node:

* :class:`Script` — the whole text, its top-level list split into
  :class:`ListItem` s, and every :class:`SimpleCommand` at any depth;
* :func:`state_effects` — which shell state a script changes that would leak
  into a following command joined with ``&&`` in the same shell (B52);
* :func:`words_of` / :func:`find_commands` — small query helpers.

Example::

    >>> s = parse_script("cd /src && make -j4 | tee log")
    >>> [i.text for i in s.items], [i.op for i in s.items]
    (['cd /src', 'make -j4 | tee log'], ['&&', None])
    >>> [(c.argv0, c.depth_kind) for c in s.commands]
    [('cd', 'top'), ('make', 'pipeline'), ('tee', 'pipeline')]
    >>> sorted(state_effects(s))
    ['cwd']

Never raises for any text.  When bashlex fails, or the text uses a
construct bashlex does not model, the script is ``opaque`` and ``error``
says why; an opaque script has no items and no commands, and its
:func:`state_effects` are ``{"unknown"}`` so a careful pass refuses to touch
it.

Known bashlex 0.18 gaps.  These make the script opaque, with a reason
naming the construct (checked before bashlex runs, since it sometimes
mis-parses them silently):

* ``case ... esac`` — NotImplementedError in bashlex;
* arithmetic ``$(( ))`` (also inside double quotes) and ``(( ))``,
  C-style ``for ((;;))``;
* ``[[ ... ]]`` conditionals — ParsingError on the first operator;
* arrays ``a=(1 2)``, ``select``, ``coproc``.

These are worked around (same-length rewrites, so offsets stay exact):

* ``time`` as a reserved word — worked around: the parse is retried with
  ``time`` replaced by a same-length ordinary word, so ``time make`` models
  as the command ``time make`` (see :attr:`SimpleCommand.effective_argv`);
* empty or blank text — bashlex crashes; modelled here as an empty script;
* ``$( )`` holding a list with ``&&``/``||``/``&`` (idank/bashlex#54, #83)
  — worked around by reparsing it as the equivalent backquote form when it
  holds no nested substitution; otherwise opaque;
* a Dockerfile heredoc opener without its body (``RUN cat <<EOF > f``; the
  body is in ``Run.heredocs``) — parsed with terminators appended after the
  text; :attr:`Script.heredocs` lists the delimiters.  ``RUN <<EOF`` alone
  is a command with no words: its script is the heredoc body, parse that.

Gaps that do not make a script opaque but are worth knowing:

* bashlex's own quote removal is wrong for mixed quoting (``"a"'b'`` gives
  ``a'b'``), so words are unquoted here from their exact source slice;
  ``$VAR``/``${VAR}``/``$(...)`` text is kept as written, and ``'$X'`` and
  ``"$X"`` both read ``$X`` (the literal-vs-expanded difference is lost);
* here-strings (``<<<``) parse and appear as a :class:`Redirect`;
* redirects on a compound command (``while ...; done < f``) are not
  attached to any simple command.
"""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Iterable

from attrs import frozen

# Kinds of enclosing context, innermost last in SimpleCommand.nesting.
DEPTH_KINDS = ("top", "pipeline", "subshell", "group", "compound", "substitution")
# Contexts that run in a child process: state changed there never leaks.
_ISOLATING = frozenset({"pipeline", "subshell", "substitution"})

# Every name state_effects can return.
EFFECTS = frozenset({
    "cwd", "env", "options", "umask", "source", "exit", "trap", "alias", "function",
    "fds",      # `exec >log 2>&1`: the shell's own descriptors are redirected
    "limits",   # `ulimit -n 4096`
    "unknown",  # opaque script or `eval`: anything may change
})


@frozen
class Redirect:
    """One redirection of a simple command.

    ``op`` as bashlex names it (``>``, ``>>``, ``<``, ``>&``, ``&>``, ``<<``,
    ``<<<`` ...); ``target`` the unquoted word or the fd number (``2>&1`` ->
    ``"1"``); ``fd`` the explicit left-hand descriptor, else None.
    """

    op: str
    target: str
    fd: int | None = None


@frozen
class SimpleCommand:
    """One simple command: ``[assignments] words... [redirects]``.

    ``start``/``end`` are offsets into :attr:`Script.text` (``text[start:end]``
    is the command as written).  ``depth_kind`` is the innermost enclosing
    context (one of :data:`DEPTH_KINDS`); ``nesting`` is the whole chain,
    outermost first (empty at top level).  ``in_function`` marks a body of a
    function definition (it runs only when the function is called).

    >>> c = parse_script("sudo -E env DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install -y x").commands[0]
    >>> c.argv0, c.effective_argv0, c.effective_argv[:2]
    ('sudo', 'apt-get', ('/usr/bin/apt-get', 'install'))
    >>> c.effective_assignments
    ('DEBIAN_FRONTEND=noninteractive',)
    """

    words: tuple[str, ...]
    assignments: tuple[str, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    start: int = 0
    end: int = 0
    depth_kind: str = "top"
    nesting: tuple[str, ...] = ()
    in_function: bool = False

    @property
    def argv0(self) -> str:
        """Basename of the first word (``""`` for a bare assignment)."""
        return _basename(self.words[0]) if self.words else ""

    @property
    def isolated(self) -> bool:
        """True when the command runs in a child process (subshell,
        multi-command pipeline, ``$( )``/``<( )``), so its shell state dies."""
        return any(k in _ISOLATING for k in self.nesting)

    @property
    def in_substitution(self) -> bool:
        return "substitution" in self.nesting

    @property
    def effective_argv(self) -> tuple[str, ...]:
        """The argv after peeling wrappers that run another command:
        ``sudo``, ``env``, ``exec``, ``time``, ``nice``, ``nohup``,
        ``command``, ``builtin``, ``xargs`` (with their options).  ``command -v``
        is a query, not a wrapper, and stays as is."""
        return _peel(self.words)[0]

    @property
    def effective_argv0(self) -> str:
        argv = self.effective_argv
        return _basename(argv[0]) if argv else ""

    @property
    def effective_assignments(self) -> tuple[str, ...]:
        """Prefix assignments plus those given to ``env`` (``env X=1 cmd``)."""
        return self.assignments + _peel(self.words)[1]


@frozen
class ListItem:
    """One element of the top-level list: ``text == script.text[start:end]``
    and ``op`` the operator that follows it (``&&``, ``||``, ``;``, ``&``,
    ``"\\n"``), None when nothing follows."""

    text: str
    op: str | None
    start: int
    end: int


@frozen
class Script:
    """The model of one shell script (see the module docstring).

    >>> s = parse_script("apt-get update && apt-get install -y curl; rm -rf /var/lib/apt/lists/*")
    >>> sorted(s.top_level_operators), s.is_and_chain
    (['&&', ';'], False)
    >>> parse_script("case $x in a) b;; esac").opaque
    True
    """

    text: str
    items: tuple[ListItem, ...] = ()
    commands: tuple[SimpleCommand, ...] = ()
    opaque: bool = False
    error: str | None = None
    # `&` anywhere (not only at top level): a background job can outlive the RUN.
    background: bool = False
    # Function definitions at a non-isolated place, by name.
    functions: tuple[str, ...] = ()
    # Delimiters of Dockerfile heredocs the text opens (`cat <<EOF > f`);
    # their bodies live in the IR's Run.heredocs, not in this text.
    heredocs: tuple[str, ...] = ()

    @property
    def top_level_operators(self) -> frozenset[str]:
        return frozenset(i.op for i in self.items if i.op is not None)

    @property
    def is_and_chain(self) -> bool:
        """Only ``&&`` joins the top-level items (a single command is a chain
        of one); a trailing ``;`` or newline after the last item is allowed.
        False for an opaque script."""
        if self.opaque:
            return False
        inner = [i.op for i in self.items[:-1]]
        last = self.items[-1].op if self.items else None
        return all(op == "&&" for op in inner) and last in (None, ";", "\n")

    @property
    def has_background(self) -> bool:
        return self.background


# --------------------------------------------------------------------------
# Parsing


@functools.lru_cache(maxsize=4096)
def parse_script(text: str) -> Script:
    """Parse one shell-form RUN text (continuations already joined).

    Results are cached on ``text``; the same object comes back each time.

    >>> s = parse_script('wget -O /tmp/f "https://example.com/dl?version=2&arch=amd64"')
    >>> s.commands[0].words
    ('wget', '-O', '/tmp/f', 'https://example.com/dl?version=2&arch=amd64')
    >>> parse_script("echo 'unterminated").error.startswith("bashlex:")
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_script needs str, got {type(text).__name__}")
    if not text.strip():
        return Script(text=text)
    gap = _known_gap(text)
    if gap:
        return Script(text=text, opaque=True, error=gap)
    try:
        nodes = _bashlex_parse(text)
    except Exception as exc:  # bashlex raises many types; none may escape
        first = _bashlex_error(exc)
        # Work around two bashlex bugs with same-length rewrites, so every
        # offset stays valid: `time` (an unimplemented reserved word) becomes
        # an ordinary word, and `$(a && b)` (idank/bashlex#54, #83: lists with
        # && || & inside $( ) fail) becomes the equivalent `` ` a && b` ``.
        # A Dockerfile heredoc (`RUN cat <<EOF > f`) keeps its body outside
        # the shell text; closing delimiters appended after the end let
        # bashlex parse the commands without moving any offset.
        masked, spots = _mask_time(text)
        masked = _mask_dollar_paren(masked)
        found = _HEREDOC.findall(text) if "here-document" in first else []
        # `<<''` has an empty delimiter (the body ends at an empty line)
        heredocs = tuple(next((g for g in groups[1:] if g), "") for groups in found)
        if found:
            # bashlex (unlike sh) wants a quoted delimiter repeated with its quotes
            masked += "\n" + "\n".join(groups[0] for groups in found) + "\n"
        if masked == text:
            return Script(text=text, opaque=True, error=first)
        try:
            nodes = _bashlex_parse(masked)
        except Exception:
            return Script(text=text, opaque=True, error=first)
    else:
        spots, heredocs = frozenset(), ()
    try:
        return _Builder(text, spots, heredocs).build(nodes)
    except Exception as exc:  # a node shape this model does not know
        return Script(text=text, opaque=True, error=f"unmodelled shell construct: {exc}")


def _bashlex_parse(text: str):
    import bashlex  # heavy-ish; only RUN analysis needs it

    _guard_bashlex()
    return bashlex.parse(text)


_GUARDED = False


def _guard_bashlex() -> None:
    """Make bashlex raise instead of looping forever on ``${`` with no ``}`` in a word.

    bashlex's ``_paramexpand`` takes ``string.find('}')`` as the end of ``${...}``; on -1 it
    restarts the word from offset 0, forever. Its tokenizer rejects an unclosed ``${``
    outside quotes, but inside single quotes (``echo x'${'``, valid sh printing ``x${``)
    the word reaches the expander: ``dopt compile``/``analyze`` hung on such a RUN.
    """
    global _GUARDED
    if _GUARDED:
        return
    from bashlex import errors, subst

    expand = subst._paramexpand

    def guarded(parserobj, string, sindex):
        if string.startswith("${", sindex) and string.find("}", sindex + 2) == -1:
            raise errors.ParsingError("bad substitution: no closing '}'", string, sindex)
        return expand(parserobj, string, sindex)

    subst._paramexpand = guarded
    _GUARDED = True


def _bashlex_error(exc: Exception) -> str:
    msg = str(exc) or type(exc).__name__
    if isinstance(exc, NotImplementedError) and "time command" in msg:
        return "bashlex: `time` reserved word is not supported"
    if isinstance(exc, NotImplementedError) and "arithmetic" in msg:
        return "arithmetic expansion $(( )) is not supported by bashlex"
    return f"bashlex: {msg}"


# A word in command position: after an operator, an opening bracket, `!`,
# or a reserved word that starts a command list.
_CMD_POS = r"(?:^|(?<=[;&|(){}\n!])|(?<=\bthen\s)|(?<=\bdo\s)|(?<=\belse\s)|(?<=\belif\s)" \
           r"|(?<=\bif\s)|(?<=\bwhile\s)|(?<=\buntil\s))\s*"

_GAPS = (
    (re.compile(_CMD_POS + r"\(\("), "arithmetic command (( )) is not supported by bashlex"),
    (re.compile(r"\bfor\s*\(\("), "C-style for (( ;; )) loops are not supported by bashlex"),
    (re.compile(_CMD_POS + r"\[\[(?=\s|$)"), "[[ ]] conditional expressions are not supported by bashlex"),
    (re.compile(_CMD_POS + r"case(?=\s)"), "case ... esac is not supported by bashlex"),
    (re.compile(_CMD_POS + r"select(?=\s)"), "select loops are not supported by bashlex"),
    (re.compile(_CMD_POS + r"coproc(?=\s)"), "coproc is not supported by bashlex"),
    (re.compile(r"(?<![\w$])[A-Za-z_][A-Za-z0-9_]*\+?=\("), "array assignments are not supported by bashlex"),
)


def _known_gap(text: str) -> str | None:
    """A clear reason for constructs bashlex cannot model.

    Checked on the text with quoted strings blanked out, so ``echo "[[ x"``
    is not mistaken for a conditional.  Pre-checking matters because bashlex
    sometimes mis-parses these silently instead of raising.
    """
    if _ARITHMETIC.search(_blank_quotes(text, double=False)):  # expands inside "..." too
        return "arithmetic expansion $(( )) is not supported by bashlex"
    bare = _blank_quotes(text)
    for pattern, reason in _GAPS:
        if pattern.search(bare):
            return reason
    return None


_ARITHMETIC = re.compile(r"\$\(\(")


def _blank_quotes(text: str, *, double: bool = True) -> str:
    """``text`` with quoted characters replaced by spaces (offsets kept);
    with ``double=False`` only single-quoted ones."""
    out = []
    quote = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote is None:
            if ch == "\\":
                out.append("  ")
                i += 2
                continue
            if ch == "'" or (ch == '"' and double):
                quote = ch
                out.append(" ")
            else:
                out.append(ch)
        elif quote == "'":
            out.append(" ")
            if ch == "'":
                quote = None
        else:
            if ch == "\\":
                out.append("  ")
                i += 2
                continue
            out.append(" ")
            if ch == '"':
                quote = None
        i += 1
    return "".join(out)[: len(text)]


_TIME = re.compile(_CMD_POS + r"(time)(?=\s)")


def _mask_time(text: str) -> tuple[str, frozenset[int]]:
    spots = [m.start(1) for m in _TIME.finditer(_blank_quotes(text))]
    masked = text
    for s in spots:
        masked = masked[:s] + "TIME" + masked[s + 4:]
    return masked, frozenset(spots)


_HEREDOC = re.compile(r"(?<!<)<<(?!<)-?\s*('([^']*)'|\"([^\"]*)\"|\\?([^\s;&|<>()'\"]+))")


def _mask_dollar_paren(text: str) -> str:
    """Rewrite simple ``$( ... )`` (no nested substitution, backslash or
    backtick inside) as `` ` ... ` `` of the same length."""
    out = list(text)
    i, n = 0, len(text)
    in_double = False
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'" and not in_double:
            j = text.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if ch == '"':
            in_double = not in_double
        elif text.startswith("$(", i) and not text.startswith("$((", i):
            j = _skip_balanced(text, i + 1)
            body = text[i + 2:j - 1]
            if j <= n and text[j - 1:j] == ")" and not any(t in body for t in ("$(", "`", "\\")):
                out[i], out[i + 1], out[j - 1] = "`", " ", "`"
                i = j
                continue
        i += 1
    return "".join(out)


class _Builder:
    """Walks bashlex nodes into the frozen model (one per parse)."""

    def __init__(self, text: str, time_spots: frozenset[int], heredocs: tuple[str, ...] = ()):
        self.text = text
        self.time_spots = time_spots
        self.heredocs = heredocs
        self.commands: list[SimpleCommand] = []
        self.background = False
        self.functions: list[str] = []

    def build(self, nodes) -> Script:
        items: list[ListItem] = []
        for n, node in enumerate(nodes):
            if node.kind == "list":
                self._list_items(node, items)
            else:
                items.append(self._item(node, None))
            # bashlex returns one node per top-level newline-separated line.
            if n + 1 < len(nodes) and items and items[-1].op is None:
                items[-1] = ListItem(items[-1].text, "\n", items[-1].start, items[-1].end)
            self._walk(node, (), False)
        cmds = sorted(self.commands, key=lambda c: (c.start, -c.end))
        return Script(
            text=self.text, items=tuple(items), commands=tuple(cmds),
            background=self.background, functions=tuple(self.functions),
            heredocs=self.heredocs,
        )

    def _list_items(self, node, items: list[ListItem]) -> None:
        parts = node.parts
        for i, part in enumerate(parts):
            if part.kind == "operator":
                continue
            op = parts[i + 1].op if i + 1 < len(parts) and parts[i + 1].kind == "operator" else None
            items.append(self._item(part, op))

    def _span(self, node) -> tuple[int, int]:
        # clamp: appended heredoc terminators lie past the end of the text
        s, e = node.pos
        n = len(self.text)
        return min(s, n), min(e, n)

    def _item(self, node, op) -> ListItem:
        s, e = self._span(node)
        return ListItem(self.text[s:e].rstrip("\n"), op, s, s + len(self.text[s:e].rstrip("\n")))

    # -- tree walk --------------------------------------------------------
    def _walk(self, node, nesting: tuple[str, ...], in_function: bool) -> None:
        kind = node.kind
        if kind == "command":
            self._command(node, nesting, in_function)
        elif kind == "list":
            for p in node.parts:
                if p.kind == "operator":
                    if p.op == "&":
                        self.background = True
                else:
                    self._walk(p, nesting, in_function)
        elif kind == "pipeline":
            real = [p for p in node.parts if p.kind not in ("pipe", "reservedword")]
            inner = nesting + ("pipeline",) if len(real) > 1 else nesting
            for p in real:
                self._walk(p, inner, in_function)
        elif kind == "compound":
            first = node.list[0] if node.list else None
            word = getattr(first, "word", None) if first is not None and first.kind == "reservedword" else None
            ctx = {"(": "subshell", "{": "group"}.get(word, "compound")
            for p in node.list:
                if p.kind != "reservedword":
                    self._walk(p, nesting + (ctx,), in_function)
            for r in getattr(node, "redirects", None) or ():
                self._substitutions_in(r, nesting, in_function)
        elif kind in ("if", "for", "while", "until"):
            for p in node.parts:
                if p.kind == "word":
                    self._substitutions_in(p, nesting, in_function)
                elif p.kind != "reservedword":
                    self._walk(p, nesting, in_function)
        elif kind == "function":
            name = next((p.word for p in node.parts if p.kind == "word"), "")
            if not any(k in _ISOLATING for k in nesting):
                self.functions.append(name)
            for p in node.parts:
                if p.kind not in ("word", "reservedword"):
                    self._walk(p, nesting, True)
        elif kind in ("reservedword", "operator", "pipe"):
            return
        else:
            raise ValueError(f"bashlex node kind {kind!r}")

    def _command(self, node, nesting, in_function) -> None:
        words: list[str] = []
        assignments: list[str] = []
        redirects: list[Redirect] = []
        for p in node.parts:
            if p.kind == "assignment" and not words:
                assignments.append(self._unquoted(p))
            elif p.kind in ("word", "assignment"):
                words.append(self._unquoted(p))
            elif p.kind == "redirect":
                redirects.append(self._redirect(p))
            self._substitutions_in(p, nesting, in_function)
        s, e = self._span(node)
        self.commands.append(SimpleCommand(
            words=tuple(words), assignments=tuple(assignments), redirects=tuple(redirects),
            start=s, end=e, depth_kind=nesting[-1] if nesting else "top",
            nesting=nesting, in_function=in_function,
        ))

    def _redirect(self, node) -> Redirect:
        out = node.output
        if out is None:
            target = ""
        elif isinstance(out, int):
            target = str(out)
        else:
            target = self._unquoted(out)
        fd = node.input if isinstance(node.input, int) else None
        return Redirect(op=node.type, target=target, fd=fd)

    def _substitutions_in(self, node, nesting, in_function) -> None:
        """Commands inside ``$( )``, backticks and ``<( )`` within a word,
        assignment or redirect target."""
        kind = node.kind
        if kind in ("commandsubstitution", "processsubstitution"):
            self._walk(node.command, nesting + ("substitution",), in_function)
            return
        if kind == "redirect":
            out = node.output
            if out is not None and not isinstance(out, int):
                self._substitutions_in(out, nesting, in_function)
            return
        for p in getattr(node, "parts", None) or ():
            self._substitutions_in(p, nesting, in_function)

    def _unquoted(self, node) -> str:
        s, e = self._span(node)
        if s in self.time_spots:
            return "time"
        return unquote(self.text[s:e])


# --------------------------------------------------------------------------
# Words


def unquote(raw: str) -> str:
    """POSIX quote removal that keeps expansions as written.

    >>> unquote('"a"\\'b\\'$c')
    'ab$c'
    >>> unquote('"$(echo "x y")"/bin')
    '$(echo "x y")/bin'
    >>> unquote("$'a\\\\tb'")
    'a\\tb'
    """
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\\":
            if i + 1 < n and raw[i + 1] != "\n":
                out.append(raw[i + 1])
            i += 2
        elif ch == "'":
            j = raw.find("'", i + 1)
            j = n if j < 0 else j
            out.append(raw[i + 1:j])
            i = j + 1
        elif ch == '"':
            i = _double_quoted(raw, i + 1, out)
        elif ch == "$" and raw.startswith("$'", i):
            i = _ansi_c(raw, i + 2, out)
        elif ch == "$" and raw.startswith('$"', i):
            i = _double_quoted(raw, i + 2, out)
        elif ch == "$" and i + 1 < n and raw[i + 1] in "({":
            j = _skip_balanced(raw, i + 1)
            out.append(raw[i:j])
            i = j
        elif ch == "`":
            j = _skip_backtick(raw, i)
            out.append(raw[i:j])
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _double_quoted(raw: str, i: int, out: list[str]) -> int:
    n = len(raw)
    while i < n and raw[i] != '"':
        ch = raw[i]
        if ch == "\\" and i + 1 < n:
            nxt = raw[i + 1]
            if nxt in '$`"\\':
                out.append(nxt)
            elif nxt != "\n":
                out.append(ch + nxt)
            i += 2
        elif ch == "$" and i + 1 < n and raw[i + 1] in "({":
            j = _skip_balanced(raw, i + 1)
            out.append(raw[i:j])
            i = j
        elif ch == "`":
            j = _skip_backtick(raw, i)
            out.append(raw[i:j])
            i = j
        else:
            out.append(ch)
            i += 1
    return i + 1


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b",
         "f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def _ansi_c(raw: str, i: int, out: list[str]) -> int:
    n = len(raw)
    while i < n and raw[i] != "'":
        if raw[i] == "\\" and i + 1 < n:
            out.append(_ANSI.get(raw[i + 1], "\\" + raw[i + 1]))
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return i + 1


def _skip_balanced(raw: str, i: int) -> int:
    """Index just past the bracket group opening at ``raw[i]``, skipping
    quoted text inside it."""
    pairs = {"(": ")", "{": "}"}
    stack = [pairs[raw[i]]]
    i += 1
    n = len(raw)
    while i < n and stack:
        ch = raw[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'" and stack[-1] == ")":
            j = raw.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if ch == '"':
            i = _double_quoted(raw, i + 1, [])
            continue
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch == stack[-1]:
            stack.pop()
        i += 1
    return i


def _skip_backtick(raw: str, i: int) -> int:
    i += 1
    n = len(raw)
    while i < n and raw[i] != "`":
        i += 2 if raw[i] == "\\" else 1
    return min(i + 1, n)


def _basename(word: str) -> str:
    return posixpath.basename(word) or word


# Wrappers: options that take a value, options that are flags (None = any
# other `-x` is a flag).  The first non-option word is the wrapped command.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "exec": frozenset({"-a"}),
    "time": frozenset({"-f", "--format", "-o", "--output"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "nohup": frozenset(),
    "builtin": frozenset(),
    "command": frozenset(),
    "xargs": frozenset({"-I", "-i", "-n", "-P", "-d", "-L", "-l", "-s", "-E", "-e", "-a",
                        "--max-args", "--max-procs", "--delimiter", "--arg-file", "--max-lines",
                        "--replace", "--max-chars", "--eof"}),
}


def _peel(words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(effective argv, assignments given to ``env``)."""
    argv = list(words)
    env_assignments: list[str] = []
    while argv:
        name = _basename(argv[0])
        takes = _WRAPPERS.get(name)
        if takes is None:
            break
        rest = argv[1:]
        if name == "command" and rest and rest[0] in ("-v", "-V"):
            break
        i = 0
        while i < len(rest):
            w = rest[i]
            if w == "--":
                i += 1
                break
            if name == "env" and _ASSIGNMENT.match(w):
                env_assignments.append(w)
                i += 1
                continue
            if name == "nice" and re.fullmatch(r"-\d+", w):
                i += 1
                continue
            if not w.startswith("-") or w == "-":
                break
            if w in takes:
                i += 2
            else:
                i += 1
        if i >= len(rest):
            # `exec >log` or a bare `xargs`: nothing wrapped (xargs then runs echo)
            if name == "xargs":
                argv = ["echo"]
            break
        argv = rest[i:]
    return tuple(argv), tuple(env_assignments)


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


# --------------------------------------------------------------------------
# Queries


_CWD = frozenset({"cd", "pushd", "popd"})
_ENV = frozenset({"export", "unset", "declare", "typeset", "local", "readonly", "read",
                  "mapfile", "readarray", "let", "shift", "getopts"})


def state_effects(script: Script) -> frozenset[str]:
    """Shell state the script changes that outlives it in the same shell.

    Counts commands at top level and in ``{ }`` groups and if/for/while
    bodies (and function bodies); not in ``( )``, pipelines with more than
    one command, ``$( )`` or background (``&``) items, which run in a child
    process.  See :data:`EFFECTS` for the names.

    >>> sorted(state_effects(parse_script("export A=1; (cd /x && make); set -eux")))
    ['env', 'options']
    >>> state_effects(parse_script("echo $(cd /x; pwd)"))
    frozenset()
    """
    if script.opaque:
        return frozenset({"unknown"})
    effects: set[str] = set()
    if script.functions:
        effects.add("function")
    background = [(i.start, i.end) for i in script.items if i.op == "&"]
    for cmd in script.commands:
        if cmd.isolated or any(s <= cmd.start and cmd.end <= e for s, e in background):
            continue
        effect = _effect_of(cmd)
        if effect:
            effects.add(effect)
    return frozenset(effects)


def _effect_of(cmd: SimpleCommand) -> str | None:
    words = list(cmd.words)
    while words and _basename(words[0]) in ("builtin", "command") and len(words) > 1 \
            and words[1] not in ("-v", "-V"):
        words = words[1:]
    if not words:
        return "env" if cmd.assignments else None
    name = words[0]
    args = words[1:]
    if name in _CWD:
        return "cwd"
    if name in _ENV:
        return "env"
    if name == "printf" and "-v" in args:
        return "env"
    if name in ("set", "shopt"):
        return "options" if args else None
    if name == "umask":
        return "umask" if args and not args[0].startswith("-") else None
    if name in (".", "source"):
        return "source"
    if name in ("exit", "return"):
        return "exit"
    if name == "exec":
        return "exit" if args else ("fds" if cmd.redirects else None)
    if name == "trap":
        return "trap"
    if name in ("alias", "unalias"):
        return "alias" if args else None
    if name == "ulimit":
        return "limits" if any(not a.startswith("-") for a in args) else None
    if name == "eval":
        return "unknown"
    if name in ("hash", "enable"):
        return "options" if args else None
    return None


def words_of(script: Script) -> tuple[str, ...]:
    """Every word of every command, in source order.

    >>> words_of(parse_script("a b && c 'd e'"))
    ('a', 'b', 'c', 'd e')
    """
    return tuple(w for c in script.commands for w in c.words)


def find_commands(script: Script, name: str | Iterable[str]) -> tuple[SimpleCommand, ...]:
    """Commands whose ``argv0`` or ``effective_argv0`` is ``name`` (or one
    of the names).

    >>> [c.words for c in find_commands(parse_script("sudo cd x; cd y"), "cd")]
    [('sudo', 'cd', 'x'), ('cd', 'y')]
    """
    names = {name} if isinstance(name, str) else set(name)
    return tuple(c for c in script.commands if c.argv0 in names or c.effective_argv0 in names)
