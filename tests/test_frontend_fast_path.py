"""The front end's fast path reads lines exactly as the Lark grammar does.

``dopt.frontend`` reads plain logical lines without Lark (``_Lowerer.fast``) and sends the
rest through ``grammar/dockerfile.lark``. These tests keep the grammar the definition:

* the terminal patterns the fast path matches itself compile to the same regular
  expressions Lark builds from the grammar, and the grammar facts it relies on
  (priorities, word and text patterns) still hold;
* every corpus, case and golden file gives equal IR (or the same located error) with the
  fast path on and off, and so do generated lines full of the characters where the two
  could part (quotes, escapes, odd blanks, JSON, ``=``, ``--``, heredoc markers);
* the fast path really takes the common lines (so a regression to "decline everything",
  which would only be slow, still fails here).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dopt import frontend
from dopt.errors import DockerfileSyntaxError
from dopt.frontend import KEYWORDS, parse_text

TESTS = Path(__file__).resolve().parent
FILES = sorted(
    [*TESTS.glob("corpus/*.Dockerfile"), *TESTS.glob("corpus/invalid/*.Dockerfile"),
     *TESTS.glob("cases/*.Dockerfile"), *TESTS.glob("golden/**/*Dockerfile*")]
)


@contextmanager
def fast_path(enabled: bool):
    saved = frontend._FAST
    frontend._FAST = enabled
    try:
        yield
    finally:
        frontend._FAST = saved


def outcome(text: str, fast: bool):
    """What parse_text gives: the IR and its warnings, or the error's located fields."""
    with fast_path(fast):
        try:
            df = parse_text(text, "Dockerfile")
        except DockerfileSyntaxError as e:
            return ("error", str(e), e.line, e.column, e.expected)
    return ("ok", df, df.warnings)


def assert_same(text: str) -> None:
    fast, slow = outcome(text, True), outcome(text, False)
    assert fast == slow, f"fast path and grammar differ on {text!r}"


# ---------------------------------------------------------------- the grammar


def _structure(pattern: str) -> str:
    # The parsed form of a pattern: equal for equal expressions however they are
    # spelled ("\t" or a literal tab).
    return repr(re._parser.parse(pattern))


def test_fast_path_terminals_are_the_grammars():
    parser = frontend._parser()
    for name, pattern in frontend._TERMINALS.items():
        grammar = parser.get_terminal(name).pattern.to_regexp()
        assert _structure(pattern) == _structure(grammar), name


def test_grammar_facts_the_fast_path_relies_on():
    parser = frontend._parser()
    term = parser.get_terminal
    # The lexer tries a flag first, then JSON, then key/value and words, then text.
    prio = {n: term(n).priority for n in ("FLAGS_END", "FLAG", "JSON_ARRAY", "KV_PAIR", "SWORD",
                                          "WORD", "LEGACY_KEY", "TEXT", "JSON_TRAILER")}
    assert prio["FLAGS_END"] > prio["FLAG"] > prio["JSON_ARRAY"] > prio["KV_PAIR"] > prio["WORD"] > prio["TEXT"]
    assert prio["SWORD"] == prio["KV_PAIR"] and prio["LEGACY_KEY"] == prio["WORD"]
    # On a line whose blanks are spaces and tabs, WORD and LEGACY_KEY are str.split() words
    # and TEXT runs from its first to its last non-blank character.
    for name in ("WORD", "LEGACY_KEY"):
        assert _structure(term(name).pattern.to_regexp()) == _structure(r"[^ \t\v\f\r]+")
    for name in ("TEXT", "JSON_TRAILER"):
        assert _structure(term(name).pattern.to_regexp()) == _structure(r"\S(?:[\s\S]*\S)?")
    assert _structure(term("FLAGS_END").pattern.to_regexp()) == _structure(r"--(?!\S)")
    # A keyword ends at a blank; the fast path reads it as ASCII letters.
    for kw in KEYWORDS:
        t = term(kw)
        assert "i" in t.pattern.flags
        assert _structure(t.pattern.value) == _structure(kw.lower() + r"(?![^ \t\v\f\r])")
    assert list(parser.lexer_conf.ignore) == ["__IGNORE_0"]
    assert term("__IGNORE_0").pattern.to_regexp() == r"\s+"


# ---------------------------------------------------------------- real files


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TESTS)))
def test_files_parse_the_same_both_ways(path):
    assert_same(path.read_bytes().decode("utf-8", errors="replace"))


def test_fast_path_takes_the_common_lines(monkeypatch):
    taken = {"lark": 0, "all": 0}
    real_lower, real_tree = frontend._Lowerer.lower, frontend._Lowerer.parse_tree

    def lower(self):
        taken["all"] += 1
        return real_lower(self)

    def parse_tree(self):
        taken["lark"] += 1
        return real_tree(self)

    monkeypatch.setattr(frontend._Lowerer, "lower", lower)
    monkeypatch.setattr(frontend._Lowerer, "parse_tree", parse_tree)
    for path in TESTS.glob("corpus/*.Dockerfile"):
        parse_text(path.read_text(encoding="utf-8"))
    assert taken["all"] > 1000
    # only ONBUILD lines (19 in the corpus) and a few unusual ones take Lark's route
    assert taken["lark"] / taken["all"] < 0.05, taken


def test_no_lark_import_for_plain_files():
    import subprocess
    import sys

    code = ("import sys; from dopt.frontend import parse_file; "
            f"parse_file({str(TESTS / 'corpus' / 'python-django-multistage.Dockerfile')!r}); "
            "print('lark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- generated lines

PIECES = [
    " ", "  ", "\t", "\r", "\x0b", "\x0c", "\xa0", "\u2003", "\x1c",
    "--", "--mount=type=cache,target=/x", "--from=build", "--chown=1:2", "--link", "--network=none",
    "--platform=$P", "--bogus", '--mount="type=bind"', "--chmod=\\0755",
    '"', "'", "\\", "`", "=", "==", "a=b", 'k="v w"', "k='v w'", "k=v\\ w", "k=`x", "=v",
    "[", "]", '["a", "b"]', '["a",1]', "[ ]", '["a"] trailing', '[\'a\']', ",", '"\\u0041"',
    "<<EOF", "<<-EOF", "<<'EOF'", "$X", "${X:-y}", "${", "AS", "as", "aS", "NONE", "none", "CMD",
    "cmd", "#", "x", "abc", "/app", "ſ", "K", "é", "1abc", "-",
]
KEYWORD_WORDS = [*KEYWORDS, "FROMX", "RUNNING", "AS", "NONE", "healthcheck", "ſhell", "Run", "cOpY"]


@st.composite
def line(draw):
    kw = draw(st.sampled_from(KEYWORD_WORDS))
    if draw(st.booleans()):
        kw = kw.lower() if draw(st.booleans()) else kw.upper()
    blank = draw(st.sampled_from(["", " ", "\t", "  ", "\x0b"]))
    rest = draw(st.lists(st.sampled_from(PIECES), max_size=10))
    return kw + blank + "".join(rest)


PLAIN_PIECES = [p for p in PIECES if not p.isspace()]


@st.composite
def plain_line(draw):
    """A line shaped like a real instruction: keyword, flags, blank-separated arguments."""
    kw = draw(st.sampled_from(KEYWORDS))
    kw = draw(st.sampled_from([kw, kw.lower(), kw.title()]))
    flags = draw(st.lists(st.sampled_from([p for p in PIECES if p.startswith("--")]), max_size=2))
    args = draw(st.lists(st.lists(st.sampled_from(PLAIN_PIECES), min_size=1, max_size=3).map("".join),
                         max_size=5))
    blank = draw(st.sampled_from([" ", "\t", "  "]))
    return blank.join([kw, *flags, *args]) + draw(st.sampled_from(["", " ", "\t "]))


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(line(), st.booleans(), st.booleans())
def test_generated_lines_parse_the_same_both_ways(text, backtick, heredoc_end):
    head = "# escape=`\n" if backtick else ""
    tail = "EOF\n" if heredoc_end else ""
    assert_same(f"{head}ARG P=linux\nFROM a\n{text}\n{tail}")


@SETTINGS
@given(plain_line(), st.booleans())
def test_generated_plain_lines_parse_the_same_both_ways(text, backtick):
    head = "# escape=`\n" if backtick else ""
    assert_same(f"{head}ARG P=linux\nFROM a\n{text}\nEOF\n")


@settings(SETTINGS, max_examples=80)
@given(st.lists(line(), min_size=1, max_size=3), st.sampled_from(["\\", "`"]))
def test_generated_continuations_parse_the_same_both_ways(lines, escape):
    head = "# escape=`\n" if escape == "`" else ""
    body = f" {escape}\n  ".join(lines)
    assert_same(f"{head}FROM a\n{body}\n")
