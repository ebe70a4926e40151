"""Values of instruction flags: ``RUN --mount=...`` and BuildKit's flag words.

No lark here: the grammar finds the flag words, this module reads their values.

Example::

    >>> m = parse_mount("type=cache,target=/root/.cache,sharing=locked")
    >>> (m.type, m.target, m.get("sharing"))
    ('cache', '/root/.cache', 'locked')
"""

from __future__ import annotations

from dopt import ir
from dopt.errors import DoptError


class FlagError(DoptError):
    exit_code = 2


def parse_mount(value: str) -> ir.Mount:
    """Parse the value of a ``--mount`` flag into an ordered :class:`ir.Mount`.

    Options are CSV fields (so ``"a,b"`` may be quoted) of ``key=value`` or a
    bare ``key`` (``readonly``); keys are lower-cased as BuildKit does, values
    are kept as written (``${VAR}`` included).

    >>> parse_mount('type=bind,"source=a,b",ro').options
    (('type', 'bind'), ('source', 'a,b'), ('ro', None))
    """
    if value == "":
        return ir.Mount(options=())
    import csv  # here, not at module level: `dopt parse` never needs it

    try:
        fields = next(csv.reader([value], skipinitialspace=False))
    except (csv.Error, StopIteration) as e:
        raise FlagError(f"invalid --mount value {value!r}: {e}") from None
    options: list[tuple[str, str | None]] = []
    for field in fields:
        key, eq, val = field.partition("=")
        options.append((key.strip().lower(), val if eq else None))
    return ir.Mount(options=tuple(options))


def unquote_flag(word: str) -> str:
    """BuildKit's reading of one flag word: quotes removed, ``\\`` escapes the next char.

    >>> unquote_flag('--mount="type=cache,target=/a b"')
    '--mount=type=cache,target=/a b'
    """
    out: list[str] = []
    quote = ""
    i = 0
    n = len(word)
    while i < n:
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
                i += 1
                continue
        elif ch in "'\"":
            quote = ch
            i += 1
            continue
        if ch == "\\":
            if i + 1 == n:
                break
            i += 1
            ch = word[i]
        out.append(ch)
        i += 1
    return "".join(out)


def split_flag(word: str) -> ir.Flag:
    """Turn a flag word (``--name[=value]``, quotes allowed) into an :class:`ir.Flag`.

    >>> split_flag("--chmod=0755")
    Flag(name='chmod', value='0755')
    >>> split_flag("--link")
    Flag(name='link', value=None)
    """
    text = unquote_flag(word)[2:]
    name, eq, value = text.partition("=")
    return ir.Flag(name=name, value=value if eq else None)


# Flags BuildKit accepts per instruction (dockerfile frontend, labs included).
ALLOWED_FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude",
                      "unpack", "parents"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval",
                              "retries"}),
}


def scan_flag_words(text: str) -> tuple[list[tuple[int, int]], int]:
    """Spans of the leading ``--flag`` words of ``text`` and where the arguments start.

    This is BuildKit's extractBuilderFlags scan (quotes group blanks, ``\\``
    escapes the next character, a lone ``--`` ends the flags).

    >>> scan_flag_words('--a="x y"  --b  rest of it')
    ([(0, 9), (11, 14)], 16)
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    n = len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n or not text.startswith("--", pos):
            return spans, pos
        end = pos
        quote = ""
        while end < n:
            ch = text[end]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\":
                    end += 1
            elif ch in "'\"":
                quote = ch
            elif ch == "\\":
                end += 1
            elif ch.isspace():
                break
            end += 1
        end = min(end, n)
        if text[pos:end] == "--":
            spans.append((pos, end))
            while end < n and text[end].isspace():
                end += 1
            return spans, end
        spans.append((pos, end))
        pos = end
