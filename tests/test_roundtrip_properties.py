"""Hypothesis properties: lossless round trip, canonical printing, no crashes."""

from __future__ import annotations

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dopt import ir
from dopt.errors import DockerfileSyntaxError
from dopt.frontend import parse_text, to_buildkit
from dopt.printer import print_instruction, print_ir
from tests.test_cases_parse import buildkit

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

word = st.text(alphabet="abcdefgxyz0123456789-_./:", min_size=1, max_size=8).filter(lambda w: not w.startswith("-"))
blank = st.sampled_from([" ", "  ", "\t", " \t "])
newline = st.sampled_from(["\n", "\r\n"])
trailing = st.sampled_from(["", " ", "\t", "  "])
keyword_case = st.sampled_from([str.upper, str.lower, str.title])


@st.composite
def flag(draw, names):
    name = draw(st.sampled_from(names))
    if draw(st.booleans()):
        return f"--{name}"
    value = draw(st.one_of(word, word.map(lambda w: f'"{w} {w}"')))
    return f"--{name}={value}"


@st.composite
def shell_text(draw):
    parts = draw(st.lists(st.one_of(word, word.map(lambda w: f"'{w} x'"), word.map(lambda w: f'"{w}"'),
                                    st.just("&&"), st.just("|"), st.just("$HOME")), min_size=1, max_size=6))
    return " ".join(parts)


@st.composite
def instruction(draw):
    kw = draw(keyword_case)
    kind = draw(st.sampled_from(["RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "LABEL", "ARG",
                                 "WORKDIR", "USER", "EXPOSE", "VOLUME", "HEALTHCHECK", "STOPSIGNAL",
                                 "SHELL", "ONBUILD", "RUNHEREDOC", "COPYHEREDOC"]))
    sp = draw(blank)
    if kind == "RUN":
        flags = draw(st.lists(flag(["network", "security"]), max_size=2))
        body = draw(st.one_of(shell_text(), st.lists(word, max_size=3).map(
            lambda ws: "[" + ", ".join(f'"{w}"' for w in ws) + "]")))
        return sp.join([kw("RUN"), *flags, body])
    if kind in ("CMD", "ENTRYPOINT"):
        return f"{kw(kind)}{sp}{draw(shell_text())}"
    if kind in ("COPY", "ADD"):
        flags = draw(st.lists(flag(["chown", "chmod", "link"]), max_size=2))
        paths = draw(st.lists(word, min_size=2, max_size=4))
        return sp.join([kw(kind), *flags, *paths])
    if kind in ("ENV", "LABEL"):
        pairs = draw(st.lists(st.tuples(word.filter(lambda w: "=" not in w),
                                        st.one_of(word, word.map(lambda w: f'"{w} {w}"'),
                                                  word.map(lambda w: w + "\\ x"))), min_size=1, max_size=3))
        if draw(st.booleans()):
            return f"{kw(kind)}{sp}{pairs[0][0]} {draw(shell_text())}"
        return f"{kw(kind)}{sp}" + " ".join(f"{k}={v}" for k, v in pairs)
    if kind == "ARG":
        names = draw(st.lists(st.tuples(word.filter(lambda w: "=" not in w), st.one_of(st.none(), word)),
                              min_size=1, max_size=3))
        return f"{kw(kind)}{sp}" + " ".join(n if v is None else f"{n}={v}" for n, v in names)
    if kind in ("WORKDIR", "USER", "STOPSIGNAL"):
        return f"{kw(kind)}{sp}{draw(word)}"
    if kind in ("EXPOSE", "VOLUME"):
        return f"{kw(kind)}{sp}" + " ".join(draw(st.lists(word, min_size=1, max_size=3)))
    if kind == "HEALTHCHECK":
        if draw(st.booleans()):
            return f"{kw(kind)}{sp}NONE"
        return f"{kw(kind)} --interval=5s{sp}CMD {draw(shell_text())}"
    if kind == "SHELL":
        return f'{kw(kind)}{sp}["/bin/sh", "-c"]'
    if kind == "ONBUILD":
        return f"{kw(kind)}{sp}RUN {draw(shell_text())}"
    name = draw(st.sampled_from(["EOF", "END", "X1"]))
    opener = draw(st.sampled_from(["<<{}", "<<-{}", "<<'{}'", '<<"{}"']))
    body = draw(st.lists(st.sampled_from(["echo hi", "\tindented", "", "$VAR 'q'"]), max_size=3))
    term = ("\t" if opener.startswith("<<-") and draw(st.booleans()) else "") + name
    head = f"RUN {opener.format(name)} sh" if kind == "RUNHEREDOC" else f"COPY {opener.format(name)} /dst"
    return "\x00".join([head, *body, term])  # \x00 marks a heredoc line break


@st.composite
def dockerfile_text(draw):
    nl = draw(newline)
    out = []
    if draw(st.booleans()):
        out.append("# syntax=docker/dockerfile:1" + nl)
    out.append(f"FROM {draw(word)}{draw(st.sampled_from(['', ' AS build']))}{draw(trailing)}{nl}")
    for _ in range(draw(st.integers(0, 6))):
        for _ in range(draw(st.integers(0, 2))):
            out.append(draw(st.sampled_from(["# comment", "", "   ", "#"])) + nl)
        text = draw(instruction())
        if "\x00" in text:
            out.append(text.replace("\x00", nl) + nl)
            continue
        words = text.split(" ")
        if len(words) > 2 and draw(st.booleans()):
            # break the line with a continuation (maybe with blanks after \, comments inside)
            cut = draw(st.integers(1, len(words) - 1))
            cont = "\\" + draw(trailing) + nl
            middle = draw(st.sampled_from(["", "# inside" + nl, "  # indented" + nl]))
            text = " ".join(words[:cut]) + " " + cont + middle + "  " + " ".join(words[cut:])
        out.append(draw(st.sampled_from(["", "  "])) + text + draw(trailing) + nl)
    text = "".join(out)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text


@SETTINGS
@given(dockerfile_text())
def test_parse_then_print_is_identity(text):
    try:
        df = parse_text(text)
    except DockerfileSyntaxError:
        return
    assert print_ir(df) == text


@SETTINGS
@given(dockerfile_text())
def test_buildkit_view_agrees_with_buildkit(text):
    try:
        df = parse_text(text)
    except DockerfileSyntaxError:
        return
    assert to_buildkit(df) == buildkit(text)


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_syntax_errors(text):
    try:
        df = parse_text(text)
    except DockerfileSyntaxError:
        return
    assert print_ir(df) == text


@SETTINGS
@given(st.text(alphabet="FROMRUNCOPYENV AS=\"'\\`$#<-\n\t[]{},:x", max_size=120))
def test_dockerfile_like_noise_raises_only_syntax_errors(text):
    try:
        df = parse_text(text)
    except DockerfileSyntaxError:
        return
    assert print_ir(df) == text


# --------------------------------------------------------------------------
# IR -> canonical text -> IR

value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t"),
                max_size=12).filter(lambda s: "$" not in s)
name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
path = st.from_regex(r"/?[a-z0-9_.][a-z0-9_./-]{0,10}", fullmatch=True)
safe_shell = st.from_regex(r"[a-z][a-z0-9 ._/=-]{0,30}[a-z0-9]", fullmatch=True)


def _nodes():
    exec_form = st.lists(value, max_size=4).map(lambda a: ir.ExecForm(tuple(a)))
    shell = safe_shell.map(lambda t: ir.ShellForm(t))
    command = st.one_of(exec_form, shell)
    return st.one_of(
        st.builds(lambda c: ir.Run(command=c), command),
        st.builds(lambda c: ir.Run(command=c, flags=(ir.Flag("network", "none"),)), shell),
        st.builds(lambda c: ir.Cmd(command=c), command),
        st.builds(lambda c: ir.Entrypoint(command=c), command),
        st.builds(lambda a: ir.Shell(args=tuple(a)), st.lists(value, min_size=1, max_size=3)),
        st.builds(lambda ps: ir.Env(pairs=tuple(ir.KeyValue(k, v) for k, v in ps)),
                  st.lists(st.tuples(name, value), min_size=1, max_size=3)),
        st.builds(lambda ps: ir.Label(pairs=tuple(ir.KeyValue(k, v) for k, v in ps)),
                  st.lists(st.tuples(name, value), min_size=1, max_size=3)),
        st.builds(lambda ds: ir.Arg(decls=tuple(ir.ArgDecl(n, d) for n, d in ds)),
                  st.lists(st.tuples(name, st.one_of(st.none(), value)), min_size=1, max_size=3)),
        st.builds(lambda s, d, j, f: ir.Copy(sources=tuple(s), dest=d, json=j,
                                             flags=(ir.Flag("chown", "1:1"),) if f else ()),
                  st.lists(path, min_size=1, max_size=3), path, st.booleans(), st.booleans()),
        st.builds(lambda p: ir.Workdir(path=p), path),
        st.builds(lambda p: ir.Expose(ports=tuple(p)), st.lists(st.from_regex(r"[0-9]{2,5}(/udp)?", fullmatch=True),
                                                                  min_size=1, max_size=3)),
        st.builds(lambda c: ir.Healthcheck(command=c, flags=(ir.Flag("interval", "5s"),)), command.filter(
            lambda c: not isinstance(c, ir.ExecForm) or c.args)),
        st.builds(lambda p, j: ir.Volume(paths=tuple(p), json=j), st.lists(path, min_size=1, max_size=2),
                  st.booleans()),
        st.builds(lambda c: ir.Onbuild(inner=ir.Run(command=c)), shell),
    )


def normalise(node):
    changes = dict(source=None, span=None, leading="", keyword="")
    if isinstance(node, ir.Onbuild):
        changes["inner"] = normalise(node.inner)
    if isinstance(node, (ir.Env, ir.Label)):
        changes["pairs"] = tuple(attrs.evolve(p, raw=None) for p in node.pairs)
        changes["legacy"] = False
    if isinstance(node, ir.Arg):
        changes["decls"] = tuple(attrs.evolve(d, raw=None) for d in node.decls)
    return attrs.evolve(node, **changes)


@SETTINGS
@given(_nodes())
def test_canonical_printing_reparses_to_the_same_node(node):
    text = "FROM scratch\n" + print_instruction(node)
    df = parse_text(text)
    (back,) = df.stages[0].instructions
    assert normalise(back) == normalise(node), text
