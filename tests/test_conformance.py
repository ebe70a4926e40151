"""Conformance of dopt's front end with BuildKit's own Dockerfile parser.

BuildKit's parser (Go, ``moby/buildkit/frontend/dockerfile/parser``) is reached through the
``dockerfile`` PyPI binding, a test-only dependency. For every corpus file and every
``tests/cases`` input that parser accepts, ``to_buildkit(parse_text(text))`` must give the same
instructions with the same fields as ``dockerfile.parse_string(text)``, and the printer must give
the text back byte for byte. Every ``tests/corpus/invalid`` input must make dopt raise a located
``DockerfileSyntaxError``.

Run as a script to write every discrepancy to a file for the front-end engineer::

    python tests/test_conformance.py --report /tmp/conformance_failures.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if __name__ == "__main__":
    # as a script, sys.path[0] is tests/: import this checkout's dopt, not whatever is installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dockerfile  # BuildKit's parser; test-only dependency (pyproject extra "test")
import pytest

from dopt.errors import DockerfileSyntaxError

TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "corpus"
INVALID = CORPUS / "invalid"
CASES = TESTS / "cases"

# The fields BuildKit's parser reports for one instruction, in its order.
FIELDS = ("cmd", "sub_cmd", "json", "original", "start_line", "end_line", "flags", "value", "heredocs")

# Files BuildKit's *parser* accepts but dopt rejects on purpose, each because BuildKit's *builder*
# rejects it as well (dopt reports at parse time what the build would fail on later). Any other
# file the parser accepts must parse in dopt: a rejection not listed here fails the test.
EXPECTED_DOPT_REJECTIONS: dict[str, str] = {
    "cases/B11.Dockerfile": (
        "`FROM alpine:3.19 # pinned` has three words whose middle is not AS (a trailing # is not a "
        "comment); BuildKit's dispatcher fails with 'FROM requires either one or three arguments'"
    ),
    "cases/B20.Dockerfile": (
        "the LABEL's single quotes do not balance; the parser only splits words, BuildKit's "
        "dispatcher fails with 'unexpected end of statement while looking for matching single-quote'"
    ),
    "cases/B28.Dockerfile": (
        "`<< 'EOF'` with a space is not a heredoc, so `welcome` (line 3) and `EOF` become "
        "instructions; BuildKit's dispatcher fails with 'unknown instruction: welcome'"
    ),
}

# Individual field differences that are intended, keyed by (file, instruction index, field).
# The test checks each entry still differs, so a stale entry fails instead of hiding a regression.
KNOWN_DIFFERENCES: dict[tuple[str, int, str], str] = {}


# --------------------------------------------------------------------------
# Inputs


def read_text(path: Path) -> str:
    """The file's exact text: no newline translation, so CRLF files stay CRLF."""
    return path.read_bytes().decode("utf-8")


def rel(path: Path) -> str:
    """``corpus/x.Dockerfile`` / ``cases/B01.Dockerfile``: stable ids for params and tables."""
    return path.relative_to(TESTS).as_posix()


def buildkit_parse(text: str) -> list[dict] | None:
    """BuildKit's parse of ``text`` as dicts, or None when its parser rejects the text.

    >>> buildkit_parse("FROM alpine\\n")[0]["value"]
    ['alpine']
    """
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError:
        return None
    return [
        {
            "cmd": c.cmd,
            "sub_cmd": c.sub_cmd,
            "json": c.json,
            "original": c.original,
            "start_line": c.start_line,
            "end_line": c.end_line,
            "flags": list(c.flags),
            "value": list(c.value),
            "heredocs": [
                {"name": h.name, "content": h.content, "file_descriptor": h.file_descriptor}
                for h in c.heredocs
            ],
        }
        for c in commands
    ]


def normalize(instr: dict) -> dict:
    """dopt's dict in the same shape as :func:`buildkit_parse` (tuples -> lists).

    ``file_descriptor`` is compared only when dopt reports it (the agreed shape is name+content).
    """
    out = {k: instr.get(k, "<missing>") for k in FIELDS}
    for k in ("flags", "value"):
        if isinstance(out[k], tuple):
            out[k] = list(out[k])
    heredocs = out["heredocs"]
    if isinstance(heredocs, (list, tuple)):
        out["heredocs"] = [dict(h) if not isinstance(h, dict) else h for h in heredocs]
    return out


def compare(dopt_instrs: list[dict], bk_instrs: list[dict]) -> list[tuple[int, str, object, object]]:
    """Every (index, field, dopt value, BuildKit value) that differs; index -1 for the count."""
    diffs: list[tuple[int, str, object, object]] = []
    if len(dopt_instrs) != len(bk_instrs):
        diffs.append((-1, "instruction count", len(dopt_instrs), len(bk_instrs)))
    for i, (mine, theirs) in enumerate(zip(dopt_instrs, bk_instrs)):
        mine = normalize(mine)
        for field in FIELDS:
            a, b = mine[field], theirs[field]
            if field == "heredocs" and isinstance(a, list) and len(a) == len(b):
                # compare the agreed keys, plus file_descriptor where dopt gives it
                b = [{k: h[k] for k in h if k != "file_descriptor" or k in ha} for h, ha in zip(b, a)]
            if a != b:
                diffs.append((i, field, a, b))
    return diffs


def _all_inputs() -> list[Path]:
    return sorted(CORPUS.glob("*.Dockerfile")) + sorted(CASES.glob("*.Dockerfile"))


ACCEPTED = [p for p in _all_inputs() if buildkit_parse(read_text(p)) is not None]
REJECTED_CASES = [p for p in sorted(CASES.glob("*.Dockerfile")) if p not in ACCEPTED]
CONFORMING = [p for p in ACCEPTED if rel(p) not in EXPECTED_DOPT_REJECTIONS]


def _frontend():
    # imported per test so a missing or broken front end fails these tests, not collection
    from dopt.frontend import parse_text, to_buildkit

    return parse_text, to_buildkit


# --------------------------------------------------------------------------
# The corpus itself


def _invalid_table() -> list[dict]:
    """Rows of the invalid-input table in tests/corpus/README.md."""
    rows = []
    for line in (CORPUS / "README.md").read_text().splitlines():
        m = re.match(r"\|\s*(\S+\.Dockerfile)\s*\|\s*(parser|builder)\s*\|\s*(\d+)-(\d+)\s*\|\s*(.+?)\s*\|$", line)
        if m:
            rows.append({"file": m[1], "stage": m[2], "lines": (int(m[3]), int(m[4])), "message": m[5]})
    return rows


INVALID_ROWS = _invalid_table()


def test_corpus_size_and_names():
    valid = sorted(CORPUS.glob("*.Dockerfile"))
    invalid = sorted(INVALID.glob("*.Dockerfile"))
    assert len(valid) >= 110
    assert len(invalid) >= 10
    for p in valid + invalid:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9.]+)+\.Dockerfile", p.name), p.name


def test_every_valid_corpus_file_is_accepted_by_buildkit():
    rejected = [p.name for p in CORPUS.glob("*.Dockerfile") if p not in ACCEPTED]
    assert rejected == []


def test_corpus_covers_every_instruction_and_form():
    """The corpus exercises what its README claims, measured on BuildKit's own parse."""
    texts = {p.name: read_text(p) for p in sorted(CORPUS.glob("*.Dockerfile"))}
    parsed = [(name, buildkit_parse(t)) for name, t in texts.items()]
    instrs = [i for _, ins in parsed for i in ins]
    kinds = {(i["sub_cmd"] or i["cmd"]).lower() for i in instrs} | {i["cmd"].lower() for i in instrs}
    assert set(dockerfile.all_cmds()) <= kinds
    assert any(i["cmd"] != i["cmd"].upper() for i in instrs), "lower-case keywords"

    def flag_names(cmd):
        return {f.split("=", 1)[0] for i in instrs if i["cmd"].upper() == cmd for f in i["flags"]}

    assert {"--from", "--chown", "--chmod", "--link", "--parents", "--exclude"} <= flag_names("COPY")
    assert {"--checksum", "--keep-git-dir", "--chown", "--chmod", "--link", "--exclude"} <= flag_names("ADD")
    assert {"--mount", "--network", "--security"} <= flag_names("RUN")
    assert {"--interval", "--timeout", "--start-period", "--start-interval", "--retries"} <= flag_names("HEALTHCHECK")
    assert {"--platform"} <= flag_names("FROM")
    mounts = " ".join(f for i in instrs for f in i["flags"] if f.startswith("--mount="))
    for t in ("bind", "cache", "tmpfs", "secret", "ssh"):
        assert f"type={t}" in mounts, t
    for kw in ("sharing=", "id=", "from=", "source=", "mode=", "uid=", "size=", "required", "env="):
        assert kw in mounts, kw

    def has(cmd, pred):
        return any(i["cmd"].upper() == cmd and pred(i) for i in instrs)

    for cmd in ("RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "VOLUME", "SHELL"):
        assert has(cmd, lambda i: i["json"]), f"{cmd} JSON form"
    for cmd in ("RUN", "CMD", "ENTRYPOINT", "VOLUME"):
        assert has(cmd, lambda i: not i["json"]), f"{cmd} shell form"
    assert has("RUN", lambda i: len(i["heredocs"]) >= 2)
    assert has("COPY", lambda i: i["heredocs"])
    assert has("RUN", lambda i: any(h["file_descriptor"] for h in i["heredocs"]))
    assert has("HEALTHCHECK", lambda i: i["value"] == ["NONE"])
    assert has("ENV", lambda i: len(i["value"]) == 2 and "=" not in i["original"].split(None, 2)[1]), "legacy ENV"
    assert has("FROM", lambda i: "@sha256:" in i["value"][0])
    assert has("FROM", lambda i: re.search(r":\d+/", i["value"][0]) is not None), "registry with port"
    assert has("FROM", lambda i: "$" in i["value"][0]), "ARG-parametrized image"
    assert has("EXPOSE", lambda i: any(re.fullmatch(r"\d+-\d+(/\w+)?", v) for v in i["value"]))

    raw = list(texts.values())
    assert any("\r\n" in t for t in raw), "CRLF"
    assert any(not t.endswith("\n") for t in raw), "no final newline"
    assert any(re.search(r"\\[ \t]+\r?\n", t) for t in raw), "whitespace after the escape"
    assert any(t.startswith("# escape=`") for t in raw)
    assert any(t.startswith("# syntax=") for t in raw)
    assert any(re.match(r"(#.*\n)*# check=", t) for t in raw)
    assert any(re.search(r"\\\r?\n\s*#", t) for t in raw), "comment inside a continuation"
    assert any(re.search(r"\\\r?\n[ \t]*\r?\n", t) for t in raw), "blank line inside a continuation"


def test_invalid_table_matches_directory():
    assert sorted(r["file"] for r in INVALID_ROWS) == sorted(p.name for p in INVALID.glob("*.Dockerfile"))


@pytest.mark.parametrize("row", INVALID_ROWS, ids=lambda r: r["file"])
def test_invalid_note_is_true_of_buildkit(row):
    text = read_text(INVALID / row["file"])
    if row["stage"] == "parser":
        with pytest.raises(dockerfile.GoParseError) as info:
            dockerfile.parse_string(text)
        # the table quotes BuildKit's message, less any "(...)" note of ours
        assert re.sub(r"\s*\(.*\)$", "", row["message"]) in str(info.value)
    else:
        assert buildkit_parse(text) is not None, "the parser accepts it; only the builder rejects it"


# --------------------------------------------------------------------------
# dopt against BuildKit


@pytest.mark.parametrize("path", CONFORMING, ids=rel)
def test_dopt_matches_buildkit_parser(path):
    parse_text, to_buildkit = _frontend()
    text = read_text(path)
    diffs = compare(to_buildkit(parse_text(text, path=str(path))), buildkit_parse(text))
    name = rel(path)
    known = {(i, f) for (file, i, f) in KNOWN_DIFFERENCES if file == name}
    unexpected = [d for d in diffs if (d[0], d[1]) not in known]
    stale = known - {(d[0], d[1]) for d in diffs}
    assert not stale, f"KNOWN_DIFFERENCES entries no longer differ: {sorted(stale)}"
    assert not unexpected, "\n".join(
        f"instruction {i} {field}: dopt={a!r} buildkit={b!r}" for i, field, a, b in unexpected
    )


@pytest.mark.parametrize("path", CONFORMING, ids=rel)
def test_print_ir_round_trips(path):
    from dopt.printer import print_ir

    parse_text, _ = _frontend()
    text = read_text(path)
    assert print_ir(parse_text(text)) == text


def ir_differences(df, bk_instrs: list[dict]) -> list[str]:
    """Where the typed IR (what passes read) disagrees with BuildKit's parse of the same text.

    ``to_buildkit`` is a view; this checks the nodes themselves: kind, span, flags, command form
    and text, COPY/ADD words, heredocs, ENV/LABEL keys, SHELL/EXPOSE/VOLUME arguments. Two
    normalizations follow the IR's documented contract, not BuildKit's parser: ENV/LABEL keys are
    *processed* (BuildKit's parser keeps ``"key"`` quoted until the dispatcher processes words), and
    a ``<<-`` heredoc body is tab-stripped (BuildKit strips the tabs when it dispatches, not when it
    parses).
    """
    from dopt import ir

    out = []
    nodes = list(df.instructions())
    if len(nodes) != len(bk_instrs):
        return [f"{len(nodes)} IR instructions, BuildKit has {len(bk_instrs)}"]
    for node, b in zip(nodes, bk_instrs):
        where = f"line {b['start_line']}"
        inner = node.inner if isinstance(node, ir.Onbuild) else node

        def check(what, mine, theirs):
            if mine != theirs:
                out.append(f"{where} {what}: dopt={mine!r} buildkit={theirs!r}")

        check("span", (node.span.start_line, node.span.end_line), (b["start_line"], b["end_line"]))
        check("kind", node.KIND, b["cmd"].upper())
        if b["sub_cmd"]:
            check("ONBUILD kind", inner.KIND, b["sub_cmd"].upper())
        else:  # the binding reports no flags for ONBUILD's inner instruction
            check("flags", [f.text() for f in node.flags], b["flags"])
        command = getattr(inner, "command", None)
        if isinstance(inner, (ir.Run, ir.Cmd, ir.Entrypoint)):
            if isinstance(command, ir.ShellForm):
                check("shell form", (False, [command.text]), (b["json"], b["value"]))
            else:
                check("exec form", (True, list(command.args)), (b["json"], b["value"]))
        elif isinstance(inner, ir.Healthcheck):
            if command is None:
                check("HEALTHCHECK NONE", ["NONE"], b["value"])
            elif isinstance(command, ir.ShellForm):
                check("HEALTHCHECK shell", [command.text], b["value"][1:])
            else:
                check("HEALTHCHECK exec", list(command.args), b["value"][1:])
        elif isinstance(inner, ir.CopyLike):
            check("COPY/ADD words", (inner.json, [*inner.sources, inner.dest]), (b["json"], b["value"]))
        elif isinstance(inner, (ir.Env, ir.Label)):
            check("keys", [kv.key for kv in inner.pairs], [_unquote(k) for k in b["value"][::2]])
        elif isinstance(inner, ir.Shell):
            check("SHELL args", list(inner.args), b["value"])
        elif isinstance(inner, ir.Expose):
            check("ports", list(inner.ports), b["value"])
        elif isinstance(inner, ir.Volume):
            check("paths", list(inner.paths), b["value"])
        if isinstance(inner, (ir.Run, ir.CopyLike)) and not b["sub_cmd"]:
            check(
                "heredocs",
                [(h.name, h.content, h.file_descriptor) for h in inner.heredocs],
                [(h["name"], _strip_tabs(h["content"]) if h0.strip_tabs else h["content"], h["file_descriptor"])
                 for h, h0 in zip(b["heredocs"], inner.heredocs)] if len(b["heredocs"]) == len(inner.heredocs)
                else b["heredocs"],
            )
    return out


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _strip_tabs(body: str) -> str:
    return re.sub(r"(?m)^\t+", "", body)


@pytest.mark.parametrize("path", CONFORMING, ids=rel)
def test_ir_agrees_with_buildkit(path):
    parse_text, _ = _frontend()
    text = read_text(path)
    problems = ir_differences(parse_text(text), buildkit_parse(text))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(EXPECTED_DOPT_REJECTIONS))
def test_dopt_rejects_what_the_builder_rejects(name):
    parse_text, _ = _frontend()
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text(read_text(TESTS / name), path=name)
    assert info.value.line >= 1


@pytest.mark.parametrize("row", INVALID_ROWS, ids=lambda r: r["file"])
def test_dopt_rejects_invalid_corpus(row):
    parse_text, _ = _frontend()
    path = INVALID / row["file"]
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text(read_text(path), path=str(path))
    lo, hi = row["lines"]
    assert lo <= info.value.line <= hi, f"error at line {info.value.line}, expected {lo}-{hi}: {info.value}"
    assert info.value.path == str(path)


@pytest.mark.parametrize("path", REJECTED_CASES, ids=rel)
def test_dopt_rejects_what_the_parser_rejects_in_cases(path):
    parse_text, _ = _frontend()
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text(read_text(path))
    assert info.value.line >= 1


# --------------------------------------------------------------------------
# Report for the front-end engineer


def write_report(out: Path) -> int:
    """Write every discrepancy (file, field, dopt's value vs BuildKit's) to ``out``; return the count."""
    try:
        from dopt.printer import print_ir
    except ImportError as e:  # report the parse side even while the printer is being written
        print_ir = None
        printer_missing = f"dopt.printer unavailable ({e}); round trip not checked"
    parse_text, to_buildkit = _frontend()
    lines: list[str] = [printer_missing] if print_ir is None else []
    count = 0
    for path in ACCEPTED:
        text, name = read_text(path), rel(path)
        try:
            df = parse_text(text, path=str(path))
        except DockerfileSyntaxError as e:
            if name not in EXPECTED_DOPT_REJECTIONS:
                count += 1
                lines.append(f"{name}: dopt rejects a file BuildKit's parser accepts: {e.message} (line {e.line})")
            continue
        except Exception as e:  # a crash is a discrepancy too, and the worst kind
            count += 1
            lines.append(f"{name}: dopt crashed: {type(e).__name__}: {e}")
            continue
        if name in EXPECTED_DOPT_REJECTIONS:
            count += 1
            lines.append(f"{name}: dopt accepts a file BuildKit's builder rejects ({EXPECTED_DOPT_REJECTIONS[name]})")
        try:
            mine = to_buildkit(df)
        except Exception as e:
            count += 1
            lines.append(f"{name}: to_buildkit crashed: {type(e).__name__}: {e}")
            mine = None
        for i, field, a, b in compare(mine, buildkit_parse(text)) if mine is not None else ():
            if (name, i, field) in KNOWN_DIFFERENCES:
                continue
            count += 1
            lines.append(f"{name}: instruction {i} field {field}: dopt={a!r} buildkit={b!r}")
        for problem in ir_differences(df, buildkit_parse(text)):
            count += 1
            lines.append(f"{name}: IR: {problem}")
        try:
            if print_ir is not None and print_ir(df) != text:
                count += 1
                lines.append(f"{name}: print_ir(parse_text(t)) != t")
        except Exception as e:
            count += 1
            lines.append(f"{name}: print_ir crashed: {type(e).__name__}: {e}")
    for row in INVALID_ROWS:
        path = INVALID / row["file"]
        try:
            parse_text(read_text(path), path=str(path))
        except DockerfileSyntaxError as e:
            lo, hi = row["lines"]
            if not lo <= e.line <= hi:
                count += 1
                lines.append(f"invalid/{row['file']}: error at line {e.line}, expected {lo}-{hi}")
            continue
        except Exception as e:
            count += 1
            lines.append(f"invalid/{row['file']}: crashed instead of DockerfileSyntaxError: {type(e).__name__}: {e}")
            continue
        count += 1
        lines.append(f"invalid/{row['file']}: dopt accepts; BuildKit ({row['stage']}) says: {row['message']}")
    for path in REJECTED_CASES:
        try:
            parse_text(read_text(path))
        except DockerfileSyntaxError:
            continue
        except Exception as e:
            lines.append(f"{rel(path)}: crashed instead of DockerfileSyntaxError: {type(e).__name__}: {e}")
        else:
            lines.append(f"{rel(path)}: dopt accepts a file BuildKit's parser rejects")
        count += 1
    header = f"# conformance: {count} discrepancies over {len(ACCEPTED)} accepted and {len(INVALID_ROWS)} invalid inputs\n"
    out.write_text(header + "".join(line + "\n" for line in lines))
    return count


if __name__ == "__main__":
    target = Path(sys.argv[sys.argv.index("--report") + 1]) if "--report" in sys.argv else Path("/tmp/conformance_failures.txt")
    n = write_report(target)
    print(f"{n} discrepancies written to {target}")
