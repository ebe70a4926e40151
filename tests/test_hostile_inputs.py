"""Hostile inputs: each test pins a bug found by adversarial testing (one-line errors, no hang,
no overwritten input, no replaced device node, passes that keep the script's meaning)."""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import threading
import zlib
from pathlib import Path

import pytest

try:
    import layer_images as li
except ImportError:  # pragma: no cover
    from tests import layer_images as li

from dopt import parse_text, print_ir
from dopt.cli import main
from dopt.errors import DockerfileSyntaxError, DoptError, UsageError
from dopt.files import read_dockerfile, write_atomic
from dopt.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(*args, stdin=None, timeout=60):
    """``python -m dopt`` with a timeout: for inputs that used to hang forever."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "dopt", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, input=stdin, timeout=timeout)


def sh(script: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=20)


# --------------------------------------------------------------------------
# Front end


def test_deeply_nested_substitution_is_a_located_error_not_a_recursion_error():
    text = "FROM alpine\nENV A=" + "${A:-" * 500 + "x" + "}" * 500 + "\n"
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text(text)
    assert e.value.line == 2 and "nested 500 deep" in e.value.message
    # a reasonable depth still parses and expands
    ok = parse_text("FROM alpine\nENV A=" + "${A:-" * 50 + "x" + "}" * 50 + "\n")
    assert ok.stages[0].instructions[0].pairs[0].value.endswith("x" + "}" * 50)


def test_empty_quoted_heredoc_word_is_not_a_heredoc_as_in_buildkit():
    # BuildKit's lexer keeps no empty word, so `<<''` opens no heredoc and this is one RUN
    for quote in ("''", '""'):
        text = f"FROM a\nRUN <<{quote} x\n"
        df = parse_text(text)
        run = df.stages[0].instructions[0]
        assert run.heredocs == () and print_ir(df) == text
        # and the shell model reads it without raising
        result = run_pipeline(df, "fuse,cleanup")
        assert result.text == text


def test_process_words_drops_empty_words_like_buildkit():
    from dopt.variables import process_words

    assert process_words("'' x") == ["x"]
    assert process_words("a '' b") == ["a", "b"]
    assert process_words('""') == []


def test_error_text_shows_control_characters_as_pictures():
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text("FROM a\nRUN\x1b]0;pwned\x07 x\n")
    rendered = e.value.render()
    assert "\x1b" not in rendered and "\x07" not in rendered
    assert "\u241b]0;pwned\u2407" in rendered


def test_cr_only_line_endings_get_a_hint():
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text("FROM alpine\rRUN echo hi\r")
    assert "bare CR" in e.value.message
    assert "\r" not in e.value.render()


def test_long_line_error_is_cut_after_the_caret():
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text("FROM a\nFOO " + "x" * 100_000 + "\n")
    assert len(e.value.render()) < 1000


def test_lone_escape_at_end_of_file_says_what_happened():
    for text in ("FROM a\n\\", "\\"):
        with pytest.raises(DockerfileSyntaxError) as e:
            parse_text(text)
        assert "continues this line into nothing" in e.value.message


def test_no_break_space_after_keyword_is_named():
    with pytest.raises(DockerfileSyntaxError) as e:
        parse_text("FROM a\nRUN\u00a0echo hi\n")
    assert "U+00A0" in e.value.message


def test_utf16_file_is_named_as_such(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_bytes("FROM alpine\n".encode("utf-16"))
    with pytest.raises(UsageError, match="UTF-16"):
        read_dockerfile(str(path))
    from dopt.frontend import parse_file

    with pytest.raises(UsageError, match="UTF-16"):
        parse_file(path)


def test_library_rejects_bytes_with_a_clear_type_error():
    with pytest.raises(TypeError, match="decode it as UTF-8"):
        parse_text(b"FROM a\n")
    with pytest.raises(TypeError, match="needs a dopt.ir.Dockerfile"):
        print_ir("FROM a\n")


def test_parse_stdin_keeps_crlf_and_rejects_bad_utf8():
    p = run_subprocess("parse", "-", stdin="FROM a\r\nRUN x\r\n")
    assert p.returncode == 0 and '"RUN x\\r\\n"' in p.stdout
    bad = subprocess.run([sys.executable, "-m", "dopt", "parse", "-"], input=b"FROM a\nRUN \xe9\n",
                         capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert bad.returncode == 2 and b"not UTF-8" in bad.stderr and b"Traceback" not in bad.stderr


# --------------------------------------------------------------------------
# Writing outputs


def test_write_atomic_writes_through_a_fifo_instead_of_replacing_it(tmp_path):
    # the same path as /dev/null or /dev/stdout: replacing it (as root) swapped a device node
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    write_atomic(fifo, "FROM a\n")
    reader.join(10)
    assert got == ["FROM a\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_write_atomic_disk_full_is_one_error_and_the_link_stays(tmp_path):
    out = tmp_path / "out"
    out.symlink_to("/dev/full")  # ENOSPC on every write: a disk-full simulation
    with pytest.raises(DoptError, match="No space left"):
        write_atomic(out, "FROM a\n")
    assert os.readlink(out) == "/dev/full"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temp file left behind


def test_write_atomic_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real"
    real.write_text("old")
    os.chmod(real, 0o600)
    link = tmp_path / "link"
    link.symlink_to(real.name)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_write_atomic_refuses_inputs_and_missing_folders(tmp_path):
    source = tmp_path / "Dockerfile"
    source.write_text("FROM a\n")
    hard = tmp_path / "hard"
    os.link(source, hard)
    with pytest.raises(UsageError, match="is the input file"):
        write_atomic(hard, "x", inputs=(str(source),))
    with pytest.raises(UsageError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "out", "x")
    assert source.read_text() == "FROM a\n"


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("from alpine\nrun  echo hi\n")
    return path


def test_fmt_output_into_a_missing_folder_is_one_line(capsys, messy, tmp_path):
    code, _, err = run(capsys, "fmt", messy, "-o", tmp_path / "missing" / "out")
    assert code == 2 and "does not exist" in err and "Traceback" not in err


def test_fmt_refuses_an_output_hard_linked_to_the_input(capsys, messy, tmp_path):
    hard = tmp_path / "hard"
    os.link(messy, hard)
    code, _, err = run(capsys, "fmt", messy, "-o", hard)
    assert code == 2 and "input file" in err
    assert messy.read_text() == "from alpine\nrun  echo hi\n"


def test_fmt_reads_a_pipe_once(capsys, tmp_path):
    # `dopt fmt <(cat Dockerfile)` is a pipe: reading it twice saw an empty file
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("from alpine\n"))
    writer.start()
    code, out, err = run(capsys, "fmt", fifo)
    writer.join(10)
    assert (code, out) == (0, "FROM alpine\n"), err


def test_fmt_reads_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbffrom a\r\n")))
    code, out, _ = run(capsys, "fmt", "-")
    # bytes, not text mode: CRLF stays CRLF (the edited first line is written without the BOM)
    assert code == 0 and out == "FROM a\r\n"


def test_compile_dump_graph_never_overwrites_the_input(capsys, messy):
    code, _, err = run(capsys, "compile", messy, "-O0", "--dump-graph", messy)
    assert code == 2 and "input file" in err
    assert messy.read_text() == "from alpine\nrun  echo hi\n"


def test_compile_dump_dir_that_is_a_file_is_one_line(capsys, messy, tmp_path):
    blocker = tmp_path / "dumps"
    blocker.write_text("a file")
    code, _, err = run(capsys, "compile", messy, "-O1", "--dump-dir", blocker)
    assert code == 2 and "--dump-dir" in err and "Traceback" not in err


def test_analyze_output_never_overwrites_an_input(capsys, messy):
    code, _, err = run(capsys, "analyze", messy, "-o", messy, "--format", "json")
    assert code == 2 and "input file" in err
    assert messy.read_text() == "from alpine\nrun  echo hi\n"


# --------------------------------------------------------------------------
# Passes


def test_bashlex_unclosed_brace_in_quotes_does_not_hang(tmp_path):
    # bashlex looped forever on `x'${'` (valid sh: it prints x${)
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nRUN echo x'${'\nRUN echo b\n")
    for args in (("compile", path, "-O1"), ("analyze", path, "-q")):
        p = run_subprocess(*args, timeout=60)
        assert "Traceback" not in p.stderr and p.returncode in (0, 1)
    from dopt.shell import parse_script

    assert parse_script("echo a'${'b").opaque


@pytest.mark.parametrize("runs", [
    ["echo a > f1 # first", "echo b > f2"],
    ["cd sub # go there", "pwd > ../where"],
    ["touch f1", "false || true # tolerated", "touch f3"],
    ["touch f1; # trailing", "touch f2"],
])
def test_fuse_keeps_commands_after_a_trailing_comment(tmp_path, runs):
    text = "FROM a\n" + "".join(f"RUN {r}\n" for r in runs)
    fused = run_pipeline(parse_text(text), "fuse").text
    script = parse_text(fused).stages[0].instructions[0].command.text
    assert len(parse_text(fused).stages[0].instructions) == 1
    before, after = tmp_path / "before", tmp_path / "after"
    for d in (before, after):
        (d / "sub").mkdir(parents=True)
    for r in runs:
        assert sh(r, before).returncode == 0
    assert sh(script, after).returncode == 0, script
    listing = lambda d: sorted((str(p.relative_to(d)), p.read_text() if p.is_file() else "")  # noqa: E731
                               for p in d.rglob("*"))
    assert listing(before) == listing(after), script


def test_cleanup_appends_after_a_trailing_comment_not_into_it():
    text = "FROM debian\nRUN apt-get update && apt-get install -y curl # tools\n"
    out = run_pipeline(parse_text(text), "cleanup").text
    script = parse_text(out).stages[0].instructions[0].command.text
    from dopt.rewrite import split_comment

    code, comment = split_comment(script)
    assert comment == "# tools" and code.endswith("rm -rf /var/lib/apt/lists/*")


def test_cleanup_under_an_errexit_shell_does_not_group_a_sequence():
    # `{ a; b; } && clean` ignores -e inside the braces: a failing update would pass
    text = ('FROM debian\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n'
            "RUN apt-get update; apt-get install -y curl\n")
    result = run_pipeline(parse_text(text), "cleanup")
    assert result.text == text
    assert any("errexit" in str(d) for d in result.declined)
    # an and-chain still gets its cleanup
    chain = text.replace("; ", " && ")
    assert "rm -rf /var/lib/apt/lists/*" in run_pipeline(parse_text(chain), "cleanup").text


# --------------------------------------------------------------------------
# dopt inspect on crafted archives


def _header(name: bytes, size: int = 0, typ: bytes = b"0", raw_size: bytes | None = None) -> bytes:
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108], h[108:116], h[116:124] = b"0000644\0", b"0000000\0", b"0000000\0"
    h[124:136] = raw_size if raw_size is not None else b"%011o\0" % size
    h[136:148], h[156:157], h[257:263], h[263:265] = b"00000000000\0", typ, b"ustar\0", b"00"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 512)


def _archive(path: Path, layer: bytes) -> Path:
    """A docker-archive holding one raw layer blob (whatever bytes it is given)."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
                         "history": [{"created_by": "RUN x"}]}).encode()
    with tarfile.open(path, "w") as t:
        for name, data in (("l/layer.tar", layer), ("c.json", config),
                           ("manifest.json", b'[{"Config": "c.json", "Layers": ["l/layer.tar"]}]')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


def _gzip_stream(chunks) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join([*(c.compress(x) for x in chunks), c.flush()])


BROKEN_LAYERS = {
    # PAX record lengths that do not advance looped forever
    "pax-zero-length": (_pad(_header(b"pax", 4, b"x") + b"0 a\n") + _header(b"f") + bytes(1024), "PAX"),
    "pax-negative-length": (_pad(_header(b"pax", 5, b"x") + b"-4 a\n") + _header(b"f") + bytes(1024), "PAX"),
    "pax-bad-size": (_pad(_header(b"pax", 10, b"x") + b"10 size=z\n") + _header(b"f") + bytes(1024), "PAX"),
    "negative-size": (_header(b"neg", raw_size=b"\xff" * 11 + b"\xf0") + bytes(1024), "negative size"),
    "huge-claimed-size": (_header(b"huge", raw_size=b"\x80" + b"\0" * 3 + b"\xff" * 8) + bytes(1024), "truncated"),
    # a 300 MB GNU long name read into memory whole
    "long-name-bomb": (_gzip_stream([_header(b"././@LongLink", 300 << 20, b"L")] + [b"a" * (1 << 20)] * 300),
                       "at most"),
    "corrupt-gzip": (b"\x1f\x8b\x08\x00" + bytes(range(200)), "corrupt gzip"),
    "corrupt-zstd": (b"\x28\xb5\x2f\xfd" + bytes(range(200)), "corrupt zstd"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_LAYERS))
def test_inspect_broken_layer_is_one_line_and_no_hang(tmp_path, name):
    layer, message = BROKEN_LAYERS[name]
    archive = _archive(tmp_path / f"{name}.tar", layer)
    p = run_subprocess("inspect", archive, "--json", tmp_path / "r.json", timeout=60)
    assert p.returncode == 1 and message in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_gzip_layers_are_inflated_a_chunk_at_a_time():
    # one 1 MiB read of a gzip bomb is 1 GiB of zeros; each pull must stay bounded
    from dopt.images.streams import CHUNK, ChunkStream, decompressed

    bomb = _gzip_stream([bytes(1 << 20)] * 64)
    stream, kind = decompressed(ChunkStream.from_chunks([bomb]))
    assert kind == "gzip"
    sizes = []
    while chunk := stream._next_chunk():
        sizes.append(len(chunk))
    assert sum(sizes) == 64 << 20 and max(sizes) <= CHUNK


def _oci(tmp_path: Path, mutate) -> Path:
    layout = li.write_oci_layout(tmp_path / "oci", [li.layer_tar([("etc/motd", b"hi\n")])], ["RUN x"])
    index = json.loads((layout / "index.json").read_text())
    manifest_path = layout / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(manifest_path.read_text())
    mutate(layout, index, manifest)
    manifest_path.write_text(json.dumps(manifest))
    return layout


def test_inspect_oci_digest_pointing_outside_the_layout_is_refused(tmp_path, capsys):
    def outside(layout, index, manifest):
        manifest["config"]["digest"] = "sha256:../../../../../../etc/hostname"

    code, _, err = run(capsys, "inspect", _oci(tmp_path, outside))
    assert code == 1 and "invalid blob digest" in err


def test_inspect_oci_fifo_blob_is_refused_not_waited_on(tmp_path):
    def fifo(layout, index, manifest):
        blob = layout / "blobs" / "sha256" / manifest["layers"][0]["digest"].split(":")[1]
        blob.unlink()
        os.mkfifo(blob)

    p = run_subprocess("inspect", _oci(tmp_path, fifo), timeout=60)
    assert p.returncode == 1 and "not a regular file" in p.stderr


@pytest.mark.parametrize("mutation", ["layers-not-list", "layer-digest-int", "config-not-object",
                                      "history-not-objects", "index-not-object"])
def test_inspect_type_confused_oci_json_is_one_line(tmp_path, capsys, mutation):
    def mutate(layout, index, manifest):
        if mutation == "layers-not-list":
            manifest["layers"] = {"a": 1}
        elif mutation == "layer-digest-int":
            manifest["layers"][0]["digest"] = 5
        elif mutation == "index-not-object":
            (layout / "index.json").write_text("[]")
        else:
            config_path = layout / "blobs" / "sha256" / manifest["config"]["digest"].split(":")[1]
            config = json.loads(config_path.read_text())
            if mutation == "config-not-object":
                config["config"] = "text"
            else:
                config["history"] = [1, None]
            config_path.write_text(json.dumps(config))

    code, _, err = run(capsys, "inspect", _oci(tmp_path, mutate))
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("manifest", [b'["x"]', b'[{"Config": 5, "Layers": 7}]',
                                      b'[{"Config": "c.json", "Layers": [null]}]'])
def test_inspect_type_confused_docker_manifest_is_one_line(tmp_path, capsys, manifest):
    path = tmp_path / "img.tar"
    with tarfile.open(path, "w") as t:
        for name, data in (("manifest.json", manifest), ("c.json", b'{"rootfs": {"diff_ids": ["sha256:1"]}}')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    code, _, err = run(capsys, "inspect", path)
    assert code == 1 and "manifest.json" in err


def test_inspect_truncated_archive_says_truncated(tmp_path, capsys):
    whole = li.write_docker_archive(tmp_path / "img.tar", [li.layer_tar([("a", b"x" * 5000)])], ["RUN x"])
    cut = tmp_path / "cut.tar"
    cut.write_bytes(whole.read_bytes()[:3000])
    code, _, err = run(capsys, "inspect", cut)
    assert code == 1 and "truncated" in err


def test_inspect_reads_a_pipe_and_a_compressed_archive(tmp_path, capsys):
    archive = li.write_docker_archive(tmp_path / "img.tar", [li.layer_tar([("etc/motd", b"hi\n")])], ["RUN x"])
    packed = tmp_path / "img.tar.gz"
    packed.write_bytes(gzip.compress(archive.read_bytes()))
    assert main(["inspect", str(packed), "--json", str(tmp_path / "a.json")]) == 0
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(archive.read_bytes()))
    writer.start()
    assert main(["inspect", str(fifo), "--json", str(tmp_path / "b.json")]) == 0
    writer.join(10)
    capsys.readouterr()
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert a["summary"] == b["summary"] and a["summary"]["final_bytes"] == 3


def test_inspect_never_overwrites_the_archive(tmp_path, capsys):
    archive = li.write_docker_archive(tmp_path / "img.tar", [li.layer_tar([("a", b"x")])], ["RUN x"])
    before = archive.read_bytes()
    code, _, err = run(capsys, "inspect", archive, "--json", archive)
    assert code == 2 and "input file" in err and archive.read_bytes() == before


def test_inspect_terminal_output_escapes_control_characters(tmp_path, capsys):
    layers = [li.layer_tar([("evil\x1b]0;PWNED\x07", b"x" * 5000)]), li.layer_tar([("evil\x1b]0;PWNED\x07", b"y")])]
    archive = li.write_docker_archive(tmp_path / "img.tar", layers, ["RUN \x1b[31mred", "RUN b"])
    code, out, _ = run(capsys, "inspect", archive)
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mred" in out


def test_fuse_joins_a_group_once_not_pairwise():
    # pairwise joining re-wrapped the growing fused script ((x && cd /y) && z) and re-parsed it
    # for every RUN: 800 consecutive RUNs took 84 s
    import time

    assert run_pipeline(parse_text("FROM a\nRUN x\nRUN cd /y\nRUN z\n"), "fuse").text == \
        "FROM a\nRUN x && (cd /y) && z\n"
    text = "FROM a\n" + "".join(f"RUN echo {i} > /f{i}\n" for i in range(600))
    start = time.monotonic()
    fused = parse_text(run_pipeline(parse_text(text), "fuse").text)
    assert time.monotonic() - start < 20
    assert len(fused.stages[0].instructions) == 1
