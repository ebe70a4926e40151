""".dockerignore with Docker's exact semantics (a port of moby/patternmatcher and its ignorefile reader).

What BuildKit does with a ``.dockerignore``, reproduced here:

* **Reading** (``ignorefile.ReadAll``): a UTF-8 BOM is dropped; a line whose
  *first character* is ``#`` is a comment (``  # x`` is a pattern); blanks
  around a pattern are trimmed; ``!`` starts an exception; each pattern is
  cleaned like Go's ``filepath.Clean`` and one leading ``/`` is removed, so
  ``/build`` and ``build`` are the same pattern.
* **Matching** (``PatternMatcher.MatchesOrParentMatches``): patterns apply in
  order and the last one that matches decides; a pattern also matches a path
  when it matches one of the path's parent directories (``docs`` excludes
  ``docs/a/b.md``). ``*`` and ``?`` never cross ``/``; ``**`` crosses any
  number of directories (also none); ``[a-z]``/``[^a-z]`` are classes; ``\\``
  escapes the next character. ``!pattern`` re-includes what it matches, so
  ``docs`` + ``!docs/README.md`` keeps only that one file of ``docs``.
* A malformed pattern (``[``, a lone ``!``, a trailing ``\\``) is an error,
  as in ``docker build``.

Which file: BuildKit prefers ``<Dockerfile>.dockerignore`` next to the
Dockerfile (``app.Dockerfile.dockerignore``), else ``.dockerignore`` in the
context root.

Example::

    >>> m = PatternMatcher(read_patterns("# build output\\n/dist\\n*.log\\n**/__pycache__\\ndocs\\n!docs/README.md\\n"))
    >>> [m.matches(p) for p in ("dist/app.js", "a/b.log", "a.log", "x/y/__pycache__/m.pyc",
    ...                          "docs/guide.md", "docs/README.md", "src/main.py")]
    [True, False, True, True, True, False, False]
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Iterable, Iterator

from dopt.errors import DoptError


class DockerignoreError(DoptError):
    """A pattern Docker would reject (the build fails with the same complaint)."""

    exit_code = 2


_BOM = "\ufeff"


def go_clean(path: str) -> str:
    """Go's ``path.Clean``: the shortest equivalent slash path.

    Unlike :func:`posixpath.normpath` a leading ``//`` is not kept, and the
    empty path is ``.``.

    >>> [go_clean(p) for p in ("", "a//b/./c/..", "/../x", "//srv/", "../a/../..", "./")]
    ['.', 'a/b', '/x', '/srv', '../..', '.']
    """
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    text = "/".join(out)
    if rooted:
        return "/" + text
    return text or "."


def read_patterns(text: str) -> list[str]:
    """The patterns of a ``.dockerignore`` text, as ``ignorefile.ReadAll`` returns them.

    >>> read_patterns("\\ufeff# c\\n  # not a comment\\n\\n /abs/ \\n! keep//me/\\nnode_modules\\n")
    ['# not a comment', 'abs', '!keep/me', 'node_modules']
    """
    patterns: list[str] = []
    for n, line in enumerate(text.splitlines()):
        if n == 0 and line.startswith(_BOM):
            line = line[len(_BOM):]
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


# ---------------------------------------------------------------------------
# Go filepath.Match syntax check (patternmatcher calls Match(p, ".") for its error)


def _bad(pattern: str) -> DockerignoreError:
    return DockerignoreError(f".dockerignore: syntax error in pattern {pattern!r}")


def _check_syntax(pattern: str) -> None:
    """Raise for what Go's ``filepath.Match`` calls ErrBadPattern."""
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise _bad(pattern)
            i += 2
            continue
        if ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and pattern[i] == "]" and ranges > 0:
                    i += 1
                    break
                i = _class_char(pattern, i)
                if i < n and pattern[i] == "-":
                    i = _class_char(pattern, i + 1)
                ranges += 1
            continue
        i += 1


def _class_char(pattern: str, i: int) -> int:
    """Go's ``getEsc``: one (possibly escaped) class character; must be followed by more pattern."""
    n = len(pattern)
    if i >= n or pattern[i] in "-]":
        raise _bad(pattern)
    if pattern[i] == "\\":
        i += 1
        if i >= n:
            raise _bad(pattern)
    i += 1
    if i >= n:
        raise _bad(pattern)
    return i


# ---------------------------------------------------------------------------
# Patterns

_ESCAPE = set(".+()|{}$")


class Pattern:
    """One cleaned pattern, compiled the way patternmatcher compiles it.

    ``kind`` is ``exact``, ``prefix`` (``dir/**``), ``suffix`` (``**/name``,
    ``**``) or ``regexp``.

    >>> Pattern("**/dir2/*").regex.pattern
    '^(.*/)?dir2/[^/]*\\\\Z'
    >>> Pattern("dir/**").kind, Pattern("**/dir").kind, Pattern("a/b").kind
    ('prefix', 'suffix', 'exact')
    """

    def __init__(self, text: str, exclusion: bool = False):
        self.cleaned = text
        self.exclusion = exclusion
        self.regex: re.Pattern | None = None
        self.kind = self._compile()

    def __repr__(self) -> str:
        return f"Pattern({'!' if self.exclusion else ''}{self.cleaned!r}, {self.kind})"

    def _compile(self) -> str:
        reg = "^"
        kind = "exact"
        p = self.cleaned
        i, n = 0, len(p)
        first = True
        while i < n:
            ch = p[i]
            i += 1
            if ch == "*":
                if i < n and p[i] == "*":
                    i += 1
                    if i < n and p[i] == "/":  # "**/" is "**"
                        i += 1
                    if i >= n:
                        if kind == "exact":
                            kind = "prefix"
                        else:
                            reg += ".*"
                            kind = "regexp"
                    else:
                        reg += "(.*/)?"
                        kind = "regexp"
                    if first:
                        kind = "suffix"
                else:
                    reg += "[^/]*"
                    kind = "regexp"
            elif ch == "?":
                reg += "[^/]"
                kind = "regexp"
            elif ch in _ESCAPE:
                reg += "\\" + ch
            elif ch == "\\":
                if i < n:
                    reg += "\\" + p[i]
                    i += 1
                    kind = "regexp"
                else:
                    reg += "\\\\"
            elif ch in "[]":
                reg += ch
                kind = "regexp"
            else:
                # What is left means the same in Go's regexp syntax and Python's
                # (`^` stays an anchor in both, as patternmatcher leaves it).
                reg += ch
            first = False
        if kind == "regexp":
            # Go's `$` is end of text; Python's `$` also matches before a final newline.
            reg += "\\Z"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # "possible nested set" for `[[`
                try:
                    self.regex = re.compile(reg)
                except re.error as exc:
                    raise DockerignoreError(f".dockerignore: bad pattern {self.cleaned!r}: {exc}") from None
        return kind

    def match(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.cleaned
        if self.kind == "prefix":
            return path.startswith(self.cleaned[:-2])
        if self.kind == "suffix":
            suffix = self.cleaned[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None


class PatternMatcher:
    """An ordered list of patterns, as ``patternmatcher.New`` builds it.

    >>> PatternMatcher(["**", "!util/docker/web"]).matches("util/docker/web/foo")
    False
    >>> try:
    ...     PatternMatcher(["!"])
    ... except DockerignoreError as exc:
    ...     print(exc)
    .dockerignore: illegal exclusion pattern: "!"
    """

    def __init__(self, patterns: Iterable[str]):
        self.patterns: list[Pattern] = []
        for raw in patterns:
            p = raw.strip()
            if not p:
                continue
            p = go_clean(p)
            exclusion = False
            if p.startswith("!"):
                if len(p) == 1:
                    raise DockerignoreError('.dockerignore: illegal exclusion pattern: "!"')
                exclusion = True
                p = p[1:]
            _check_syntax(p)
            self.patterns.append(Pattern(p, exclusion))

    @property
    def exclusions(self) -> bool:
        """True when some pattern is an exception (``!...``)."""
        return any(p.exclusion for p in self.patterns)

    def matches(self, path: str) -> bool:
        """``MatchesOrParentMatches``: is the slash path (relative to the context) excluded?

        >>> PatternMatcher(["docs", "!docs/README.md"]).matches("docs/README.md")
        False
        """
        matched = False
        parent = _dir(path)
        parent_dirs = parent.split("/")
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = pattern.match(path)
            if not hit and parent != ".":
                for k in range(len(parent_dirs)):
                    if pattern.match("/".join(parent_dirs[:k + 1])):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched

    def matches_exact(self, path: str) -> bool:
        """``MatchesExact``: like :meth:`matches` without the parent-directory rule.

        >>> PatternMatcher(["**/dir"]).matches_exact("dir/file"), PatternMatcher(["**/dir"]).matches("dir/file")
        (False, True)
        """
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            if pattern.match(path):
                matched = not pattern.exclusion
        return matched


def _dir(path: str) -> str:
    """Go's ``filepath.Dir``: everything up to the last slash, cleaned (``.`` when there is none)."""
    return go_clean(path[: path.rfind("/") + 1])


def matches(path: str, patterns: Iterable[str]) -> bool:
    """Module-level ``MatchesOrParentMatches``; ``.`` (the whole context) is never excluded.

    >>> matches(".", ["*"]), matches("a.go", ["*.go", "!a.go"]), matches("x/a.go", ["*.go"])
    (False, False, False)
    """
    path = go_clean(path)
    if path == ".":
        return False
    return PatternMatcher(patterns).matches(path)


# ---------------------------------------------------------------------------
# A build context


class BuildContext:
    """A build-context folder and its ignore rules: which files a ``COPY . .`` sends.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "requirements.txt").write_text("flask\\n"); _ = (d / ".dockerignore").write_text("*.txt\\n")
    >>> ctx = BuildContext(d)
    >>> ctx.exists("requirements.txt"), ctx.is_excluded("requirements.txt"), ctx.includes("requirements.txt")
    (True, True, False)
    """

    def __init__(self, root: str | os.PathLike, dockerfile: str | os.PathLike | None = None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DockerignoreError(f"build context {str(root)!r} is not a directory")
        self.ignore_file = find_ignore_file(self.root, dockerfile)
        text = ""
        if self.ignore_file is not None:
            try:
                text = self.ignore_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise DockerignoreError(f"cannot read {self.ignore_file}: {exc}") from None
        self.patterns = read_patterns(text)
        self.matcher = PatternMatcher(self.patterns)

    def _path(self, rel: str) -> Path:
        return self.root / go_clean(rel)

    def exists(self, rel: str) -> bool:
        """The path is in the folder (ignored or not); never outside the context."""
        clean = go_clean(rel)
        if clean == ".." or clean.startswith("../") or clean.startswith("/"):
            return False
        return self._path(clean).exists()

    def is_file(self, rel: str) -> bool:
        return self.exists(rel) and self._path(rel).is_file()

    def is_dir(self, rel: str) -> bool:
        return self.exists(rel) and self._path(rel).is_dir()

    def is_excluded(self, rel: str) -> bool:
        return matches(rel, self.patterns)

    def includes(self, rel: str) -> bool:
        """The path is sent to the builder: it exists and ``.dockerignore`` does not exclude it.

        A directory counts when any file below it is sent.
        """
        if not self.exists(rel):
            return False
        if not self.is_excluded(rel):
            return True
        if self._path(rel).is_dir() and self.matcher.exclusions:
            return any(True for _ in self.files(rel))
        return False

    def read_text(self, rel: str) -> str | None:
        """The text of an included file, else None."""
        if not self.includes(rel) or not self.is_file(rel):
            return None
        try:
            return self._path(rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def files(self, under: str = ".") -> Iterator[str]:
        """Included files (slash paths relative to the context) below ``under``, sorted."""
        base = self._path(under)
        if base.is_file():
            if not self.is_excluded(under):
                yield go_clean(under)
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            for name in sorted(filenames):
                rel = go_clean(f"{rel_dir}/{name}")
                if not self.is_excluded(rel):
                    yield rel


def find_ignore_file(context_dir: str | os.PathLike, dockerfile: str | os.PathLike | None = None) -> Path | None:
    """``<Dockerfile>.dockerignore`` next to the Dockerfile if it exists, else ``<context>/.dockerignore``."""
    if dockerfile:
        specific = Path(f"{dockerfile}.dockerignore")
        if specific.is_file():
            return specific
    default = Path(context_dir) / ".dockerignore"
    return default if default.is_file() else None
