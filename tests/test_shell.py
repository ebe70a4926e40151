"""The bashlex script model: items, commands, words, state effects, opaque fallback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dopt.shell import (
    DEPTH_KINDS, EFFECTS, Redirect, Script, find_commands, parse_script, state_effects, unquote,
    words_of,
)

CASES = Path(__file__).parent / "cases"


def run_texts(case: str) -> list[str]:
    """Shell-form RUN texts of a case file: continuations joined, flags dropped.

    A deliberately small reader so these tests do not depend on the front end.
    """
    lines = (CASES / f"{case}.Dockerfile").read_text().splitlines()
    out, buf = [], None
    for line in lines:
        if buf is None:
            if not re.match(r"(?i)RUN\s", line):
                continue
            buf = line[4:]
        else:
            buf += line
        if buf.endswith("\\"):
            buf = buf[:-1]
            continue
        out.append(re.sub(r"^\s*(--\S+\s+)*", "", buf).strip())
        buf = None
    return out


# --------------------------------------------------------------------------
# Top-level items: exact slices and the operator after each


ITEMS = [
    ("a", [("a", None)]),
    ("a && b", [("a", "&&"), ("b", None)]),
    ("a || b", [("a", "||"), ("b", None)]),
    ("a; b;", [("a", ";"), ("b", ";")]),
    ("a & b", [("a", "&"), ("b", None)]),
    ("a\nb", [("a", "\n"), ("b", None)]),
    ("a && b || c; d & e\nf", [("a", "&&"), ("b", "||"), ("c", ";"), ("d", "&"), ("e", "\n"), ("f", None)]),
    ("make | tee log && echo ok", [("make | tee log", "&&"), ("echo ok", None)]),
    ("(cd x && make) && { a; b; }", [("(cd x && make)", "&&"), ("{ a; b; }", None)]),
    ("if a; then b; fi && c", [("if a; then b; fi", "&&"), ("c", None)]),
    ("echo 'a && b' && c", [("echo 'a && b'", "&&"), ("c", None)]),
    ("x=1 &&\n  y", [("x=1", "&&"), ("y", None)]),
]


@pytest.mark.parametrize("text,expected", ITEMS)
def test_items_are_exact_slices_with_following_operator(text, expected):
    s = parse_script(text)
    assert not s.opaque, s.error
    assert [(i.text, i.op) for i in s.items] == expected
    for item in s.items:
        assert text[item.start:item.end] == item.text


@pytest.mark.parametrize("text", [t for t, _ in ITEMS] + [
    "apt-get update && apt-get install -y curl; rm -rf /var/lib/apt/lists/*",
    "optional-tool --init || true",
])
def test_items_rejoined_with_their_operators_mean_the_same(text):
    s = parse_script(text)
    rejoined = " ".join(i.text + (f" {i.op}" if i.op and i.op != "\n" else "\n" if i.op else "")
                        for i in s.items)
    again = parse_script(rejoined)
    assert [c.words for c in again.commands] == [c.words for c in s.commands]
    assert [i.op for i in again.items] == [i.op for i in s.items]


OPERATORS = [
    ("a && b && c", {"&&"}, True, False),
    ("a", set(), True, False),
    ("a && b;", {"&&", ";"}, True, False),
    ("a || true", {"||"}, False, False),
    ("a; b", {";"}, False, False),
    ("a & b", {"&"}, False, True),
    ("a && (b &)", {"&&"}, True, True),
    ("a\nb", {"\n"}, False, False),
]


@pytest.mark.parametrize("text,ops,and_chain,background", OPERATORS)
def test_top_level_operators(text, ops, and_chain, background):
    s = parse_script(text)
    assert s.top_level_operators == ops
    assert s.is_and_chain is and_chain
    assert s.has_background is background


# --------------------------------------------------------------------------
# Simple commands: words, assignments, redirects, depth


WORDS = [
    ("echo hi", ("echo", "hi")),
    ("echo 'a b' \"c d\" e\\ f", ("echo", "a b", "c d", "e f")),
    ("echo \"a\"'b'$c", ("echo", "ab$c")),
    ("echo \"$HOME\"/bin ${X:-y} '$Z'", ("echo", "$HOME/bin", "${X:-y}", "$Z")),
    ("echo \"$(cat 'f g')\"", ("echo", "$(cat 'f g')")),
    ("echo $'a\\tb'", ("echo", "a\tb")),
    ("echo \"a\\\"b\" 'c\\d'", ("echo", 'a"b', "c\\d")),
    ("FOO=1 BAR='x y' cmd A=2", ("cmd", "A=2")),
    ("echo a#b", ("echo", "a#b")),
    ("echo *.txt ~/x", ("echo", "*.txt", "~/x")),
]


@pytest.mark.parametrize("text,words", WORDS)
def test_words_are_unquoted_keeping_expansions(text, words):
    assert parse_script(text).commands[0].words == words


def test_assignments_are_the_prefix_only():
    c = parse_script("FOO=1 BAR='x y' cmd A=2").commands[0]
    assert c.assignments == ("FOO=1", "BAR=x y")
    assert c.words == ("cmd", "A=2")
    bare = parse_script("X=1 Y=2").commands[0]
    assert bare.words == () and bare.assignments == ("X=1", "Y=2") and bare.argv0 == ""


REDIRECTS = [
    ("cmd > out", Redirect(">", "out", None)),
    ("cmd >> 'my log'", Redirect(">>", "my log", None)),
    ("cmd 2>/dev/null", Redirect(">", "/dev/null", 2)),
    ("cmd 2>&1", Redirect(">&", "1", 2)),
    ("cmd < in", Redirect("<", "in", None)),
    ("cmd &>/dev/null", Redirect("&>", "/dev/null", None)),
    ("cat <<< word", Redirect("<<<", "word", None)),
]


@pytest.mark.parametrize("text,redirect", REDIRECTS)
def test_redirects(text, redirect):
    assert parse_script(text).commands[0].redirects == (redirect,)


DEPTHS = [
    ("a && b", [("a", "top"), ("b", "top")]),
    ("a | b", [("a", "pipeline"), ("b", "pipeline")]),
    ("! a", [("a", "top")]),
    ("(a; b)", [("a", "subshell"), ("b", "subshell")]),
    ("{ a; }", [("a", "group")]),
    ("if a; then b; else c; fi", [("a", "compound"), ("b", "compound"), ("c", "compound")]),
    ("for i in 1 2; do a; done", [("a", "compound")]),
    ("while a; do b; done", [("a", "compound"), ("b", "compound")]),
    ("until a; do b; done", [("a", "compound"), ("b", "compound")]),
    ("echo $(a) `b`", [("echo", "top"), ("a", "substitution"), ("b", "substitution")]),
    ("x=$(a) b", [("b", "top"), ("a", "substitution")]),
    ("diff <(a) <(b)", [("diff", "top"), ("a", "substitution"), ("b", "substitution")]),
    ("for f in $(ls); do a; done", [("ls", "substitution"), ("a", "compound")]),
    ("(a | b) && { c; }", [("a", "pipeline"), ("b", "pipeline"), ("c", "group")]),
]


@pytest.mark.parametrize("text,expected", DEPTHS)
def test_depth_kind_of_every_command_in_source_order(text, expected):
    s = parse_script(text)
    assert [(c.argv0, c.depth_kind) for c in s.commands] == expected
    assert all(c.depth_kind in DEPTH_KINDS for c in s.commands)


def test_nesting_chain_and_isolation():
    s = parse_script("( a | b ) && { c; } && echo $(d)")
    by = {c.argv0: c for c in s.commands}
    assert by["a"].nesting == ("subshell", "pipeline") and by["a"].isolated
    assert by["c"].nesting == ("group",) and not by["c"].isolated
    assert by["d"].in_substitution and by["d"].isolated
    assert not by["echo"].in_substitution


def test_command_offsets_slice_the_text():
    text = "apt-get update && FOO=1 make -j4 > log 2>&1"
    for c in parse_script(text).commands:
        assert parse_script(text).text[c.start:c.end] == text[c.start:c.end]
    make = parse_script(text).commands[1]
    assert text[make.start:make.end] == "FOO=1 make -j4 > log 2>&1"


def test_function_bodies_are_marked():
    s = parse_script("f() { cd /x; }; f")
    assert s.functions == ("f",)
    cd = find_commands(s, "cd")[0]
    assert cd.in_function and cd.depth_kind == "group"


# --------------------------------------------------------------------------
# argv0 and wrappers


ARGV = [
    ("/usr/bin/apt-get install x", "apt-get", "apt-get", ("/usr/bin/apt-get", "install", "x")),
    ("sudo apt-get install x", "sudo", "apt-get", ("apt-get", "install", "x")),
    ("sudo -E -u root apt-get install x", "sudo", "apt-get", ("apt-get", "install", "x")),
    ("env X=1 Y=2 cmd a", "env", "cmd", ("cmd", "a")),
    ("env -i PATH=/bin cmd", "env", "cmd", ("cmd",)),
    ("exec gunicorn app", "exec", "gunicorn", ("gunicorn", "app")),
    ("time make -j4", "time", "make", ("make", "-j4")),
    ("time -p make", "time", "make", ("make",)),
    ("nice -n 10 make", "nice", "make", ("make",)),
    ("nice -5 make", "nice", "make", ("make",)),
    ("nohup server &", "nohup", "server", ("server",)),
    ("command pip install x", "command", "pip", ("pip", "install", "x")),
    ("command -v pip", "command", "command", ("command", "-v", "pip")),
    ("xargs -r -n1 apt-get install -y", "xargs", "apt-get", ("apt-get", "install", "-y")),
    ("xargs -I{} cp {} /x", "xargs", "cp", ("cp", "{}", "/x")),
    ("xargs", "xargs", "echo", ("echo",)),
    ("sudo env DEBIAN_FRONTEND=noninteractive nice apt-get -y upgrade", "sudo", "apt-get",
     ("apt-get", "-y", "upgrade")),
]


@pytest.mark.parametrize("text,argv0,effective0,effective", ARGV)
def test_argv0_and_effective_argv(text, argv0, effective0, effective):
    c = parse_script(text).commands[0]
    assert c.argv0 == argv0
    assert c.effective_argv0 == effective0
    assert c.effective_argv == effective


def test_effective_assignments_include_env_ones():
    c = parse_script("A=1 env B=2 go build").commands[0]
    assert c.effective_assignments == ("A=1", "B=2")


# --------------------------------------------------------------------------
# State effects (B52)


EFFECT_ROWS = [
    ("make && make install", set()),
    ("cd /tmp/build", {"cwd"}),
    ("pushd /x && popd", {"cwd"}),
    ("mkdir -p /tmp/build && cd /tmp/build", {"cwd"}),
    ("export PATH=/opt/bin:$PATH", {"env"}),
    ("unset FOO", {"env"}),
    ("X=1", {"env"}),
    ("X=1 make", set()),
    ("declare -x A=1; readonly B; typeset C; local D", {"env"}),
    ("read -r line < f", {"env"}),
    ("set -eux", {"options"}),
    ("set -o pipefail && curl x | sh", {"options"}),
    ("set", set()),
    ("shopt -s globstar", {"options"}),
    ("umask 077", {"umask"}),
    ("umask", set()),
    (". /etc/os-release", {"source"}),
    ("source venv/bin/activate", {"source"}),
    ("exit 0", {"exit"}),
    ("return 1", {"exit"}),
    ("exec gunicorn app", {"exit"}),
    ("exec > /log 2>&1", {"fds"}),
    ("trap 'rm -f x' EXIT", {"trap"}),
    ("alias ll='ls -l'", {"alias"}),
    ("f() { echo; }", {"function"}),
    ("function g { echo; }", {"function"}),
    ("ulimit -n 4096", {"limits"}),
    ("eval \"$(ssh-agent)\"", {"unknown"}),
    # inside { } groups and compound bodies the state leaks
    ("{ cd /x; make; }", {"cwd"}),
    ("if [ -d /x ]; then cd /x; fi", {"cwd"}),
    ("for d in a b; do export D=$d; done", {"env"}),
    ("builtin cd /x", {"cwd"}),
    # subshells, pipelines, substitutions and background jobs do not leak
    ("(cd /x && make)", set()),
    ("echo $(cd /x; pwd)", set()),
    ("X=$(cd /x && export Y=1) make", set()),
    ("cd /x | cat", set()),
    ("cd /x &", set()),
    ("(f() { :; })", set()),
    ("echo cd export set", set()),
]


@pytest.mark.parametrize("text,expected", EFFECT_ROWS)
def test_state_effects(text, expected):
    s = parse_script(text)
    assert not s.opaque, s.error
    assert state_effects(s) == expected
    assert state_effects(s) <= EFFECTS


def test_b52_cd_leaks_into_a_fused_command():
    first, second = run_texts("B52")
    assert state_effects(parse_script(first)) == {"cwd"}
    assert state_effects(parse_script(second)) == set()
    # the isolation the case asks for: a subshell keeps the cwd change inside
    assert state_effects(parse_script(f"({first}) && {second}")) == set()


# --------------------------------------------------------------------------
# Opaque fallback: bashlex gaps produce a reason, never an exception


OPAQUE = [
    ("case $x in a) b;; esac", "case"),
    ("x=$((1 + 2))", "arithmetic expansion"),
    ('echo "$((1 + 2))"', "arithmetic expansion"),
    ("(( i++ ))", "arithmetic command"),
    ("for ((i=0; i<3; i++)); do echo; done", "C-style for"),
    ("[[ -f x ]] && y", "[[ ]]"),
    ("if [[ $a == b && -n $c ]]; then d; fi", "[[ ]]"),
    ("a=(1 2 3)", "array"),
    ("select x in a b; do echo; done", "select"),
    ("coproc cat", "coproc"),
    ("echo 'unterminated", "bashlex:"),
    ("echo \"unterminated", "bashlex:"),
    ("a &&", "bashlex:"),
    ("a ;; b", "bashlex:"),
    ("( a", "bashlex:"),
    ("fi", "bashlex:"),
]


@pytest.mark.parametrize("text,reason", OPAQUE)
def test_opaque_with_reason(text, reason):
    s = parse_script(text)
    assert s.opaque
    assert reason in s.error
    assert s.items == () and s.commands == ()
    assert state_effects(s) == {"unknown"}
    assert not s.is_and_chain


@pytest.mark.parametrize("text", [
    "echo case closed", "echo '[[ x ]]'", "echo '$((x'", "grep -E 'a=(b)' f", "echo time is now",
])
def test_gap_words_in_arguments_or_quotes_are_not_gaps(text):
    s = parse_script(text)
    assert not s.opaque, s.error


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_blank_script_is_empty_not_opaque(text):
    s = parse_script(text)
    assert not s.opaque and s.items == () and s.commands == ()
    assert state_effects(s) == set()


def test_time_reserved_word_is_worked_around_in_any_command_position():
    s = parse_script("make && time make test; if x; then time y; fi")
    assert not s.opaque, s.error
    assert [c.words[0] for c in s.commands] == ["make", "time", "x", "time"]


_TOKENS = st.sampled_from(
    list("ab =$'\"\\;&|()<>{}`!#*?[]~\n\t-/x0")
    + ["&&", "||", "$(", "${", "<<", "<<<", "if ", "then ", "fi", "do ", "done", "for ", "while ",
       "time ", "case ", "esac", "cd ", "export ", "[[ ", " ]]", "$((", "function "]
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.lists(_TOKENS, max_size=25).map("".join), st.text(max_size=40)))
def test_parse_script_never_raises(text):
    s = parse_script(text)
    assert isinstance(s, Script)
    assert s.opaque == (s.error is not None)
    state_effects(s)
    words_of(s)
    for item in s.items:
        assert text[item.start:item.end] == item.text
    for c in s.commands:
        assert 0 <= c.start <= c.end <= len(text)
        c.effective_argv


def test_parse_is_cached():
    assert parse_script("echo cached") is parse_script("echo cached")


def test_parse_script_rejects_non_text():
    with pytest.raises(TypeError):
        parse_script(b"echo")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Helpers and shared cases


def test_words_of_and_find_commands():
    s = parse_script("sudo apt-get update && apt-get install -y x | tee log")
    assert words_of(s) == ("sudo", "apt-get", "update", "apt-get", "install", "-y", "x", "tee", "log")
    assert [c.words[:2] for c in find_commands(s, "apt-get")] == [("sudo", "apt-get"), ("apt-get", "install")]
    assert [c.argv0 for c in find_commands(s, {"tee", "sudo"})] == ["sudo", "tee"]
    assert find_commands(s, "pip") == ()


def test_unquote_table():
    rows = [("a", "a"), ("'a b'", "a b"), ('"a\\$b"', "a$b"), ('"a\\nb"', "a\\nb"), ("a\\\nb", "ab"),
            ('"${A}"x', "${A}x"), ("`echo 'q'`", "`echo 'q'`")]
    assert [unquote(raw) for raw, _ in rows] == [want for _, want in rows]


def test_b13_url_with_query_is_one_word():
    texts = run_texts("B13")
    assert len(texts) == 2
    s = parse_script(texts[0])
    assert len(s.items) == 1 and not s.top_level_operators
    assert s.commands[0].words == ("wget", "-O", "/tmp/f", "https://example.com/dl?version=2&arch=amd64")
    assert not s.has_background


def test_b53_or_at_top_level():
    curl, optional, tar = (parse_script(t) for t in run_texts("B53"))
    assert curl.is_and_chain and tar.is_and_chain
    assert optional.top_level_operators == {"||"} and not optional.is_and_chain
    # the grouping the case asks for keeps the || inside one && item
    fused = parse_script(f"{curl.text} && {{ {optional.text}; }} && {tar.text}")
    assert fused.is_and_chain and [i.op for i in fused.items] == ["&&", "&&", None]
    assert fused.items[1].text == "{ optional-tool --init || true; }"


def test_b58_apt_under_cache_mounts_parses_as_a_plain_chain():
    texts = run_texts("B58")
    assert texts[1] == "apt-get update && apt-get install -y --no-install-recommends gcc"
    s = parse_script(texts[1])
    assert s.is_and_chain
    assert [c.words[:2] for c in s.commands] == [("apt-get", "update"), ("apt-get", "install")]


# --------------------------------------------------------------------------
# bashlex bugs worked around without moving offsets


SUBSTITUTION_LISTS = [
    ("X=$(a && b)", [((), "top"), (("a",), "substitution"), (("b",), "substitution")]),
    ('echo "$(c || d)"', [(("echo", "$(c || d)"), "top"), (("c",), "substitution"), (("d",), "substitution")]),
    ("mv target/$(./mvnw help:evaluate -q && x)-1.jar app.jar",
     [(("mv", "target/$(./mvnw help:evaluate -q && x)-1.jar", "app.jar"), "top"),
      (("./mvnw", "help:evaluate", "-q"), "substitution"), (("x",), "substitution")]),
    ("echo '$(a && b)'", [(("echo", "$(a && b)"), "top")]),
]


@pytest.mark.parametrize("text,expected", SUBSTITUTION_LISTS)
def test_and_or_lists_inside_dollar_paren(text, expected):
    s = parse_script(text)
    assert not s.opaque, s.error
    assert [(c.words, c.depth_kind) for c in s.commands] == expected


HEREDOC_OPENERS = [
    ("<<EOF", ("EOF",), [((), "<<")]),
    ("cat <<EOF > /etc/motd && chmod 0644 /etc/motd", ("EOF",), [(("cat",), "<<"), (("chmod", "0644", "/etc/motd"), None)]),
    ("python3 <<'PY' || true", ("PY",), [(("python3",), "<<"), (("true",), None)]),
    ("<<-EOT bash", ("EOT",), [(("bash",), "<<-")]),
    ("<<FIRST <<SECOND", ("FIRST", "SECOND"), [((), "<<")]),
    ("3<<EOF cat /dev/fd/3", ("EOF",), [(("cat", "/dev/fd/3"), "<<")]),
]


@pytest.mark.parametrize("text,delimiters,commands", HEREDOC_OPENERS)
def test_dockerfile_heredoc_openers_without_bodies(text, delimiters, commands):
    s = parse_script(text)
    assert not s.opaque, s.error
    assert s.heredocs == delimiters
    assert [(c.words, c.redirects[0].op if c.redirects else None) for c in s.commands] == commands
    for item in s.items:
        assert text[item.start:item.end] == item.text
    assert all(c.end <= len(text) for c in s.commands)


def test_heredoc_with_body_in_the_text_needs_no_workaround():
    s = parse_script("cat <<EOF > /x\nhello\nEOF\n")
    assert not s.opaque and s.heredocs == ()
    assert s.commands[0].redirects[0] == Redirect("<<", "EOF", None)


def test_docstring_examples():
    import doctest

    import dopt.packages
    import dopt.shell

    for module in (dopt.shell, dopt.packages):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_importing_the_model_does_not_load_bashlex():
    import subprocess
    import sys

    code = "import sys, dopt.shell, dopt.packages; print('bashlex' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
