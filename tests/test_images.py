"""dopt.images: streaming layer analysis on hand-made archives and on real engine builds.

The figures are exact bytes. Where dive reads the same archive, the tests compare
with ``dive --json``: the efficiency score must agree exactly; dive's
``inefficientBytes`` counts every copy of a duplicated path, so the documented
relationship (dive = reclaimable + the retained copy) is asserted instead (case B71).
"""

from __future__ import annotations

import doctest
import gzip
import importlib
import io
import json
import os
import tarfile

import pytest
from hypothesis import given, settings, strategies as st

try:
    import layer_images as li
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import layer_images as li

from dopt.errors import DoptError
from dopt.images import ImageNotFound, NotAnImage, analyze, installed_packages, open_image
from dopt.images.ci import evaluate, parse_ci_config
from dopt.images.legacy import Layer, LayerAnalyzer
from dopt.images.scan import scan_layer
from dopt.images.streams import ChunkStream, decompressed
from dopt.images.tarstream import TarReader

MiB = 1024 * 1024


def _tar_names(data: bytes) -> list[tuple[str, str, int]]:
    kinds = {tarfile.REGTYPE: "f", tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h"}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return [(m.name.strip("/"), kinds[m.type], m.size) for m in t.getmembers()]


# -- the tar reader ---------------------------------------------------------------
def test_tar_reader_matches_tarfile_on_long_names_links_and_pax():
    long_dir = "usr/lib/" + "x" * 120
    data = li.layer_tar([
        ("usr", None), ("usr/lib", None), (long_dir, None),
        (long_dir + "/" + "y" * 150 + ".so", b"\x7fELF" * 10),
        ("usr/lib/link", ("link", "x" * 200)), ("usr/lib/hard", ("hard", "usr/lib/link")),
        ("étc/ünïcode", b"u"), ("empty", b""),
    ])
    ours = [(e.name, e.type, e.size) for e in TarReader(ChunkStream.from_chunks([data]))]
    assert ours == _tar_names(data)
    gnu = io.BytesIO()
    with tarfile.open(fileobj=gnu, mode="w", format=tarfile.GNU_FORMAT) as t:
        info = tarfile.TarInfo("a/" + "z" * 300)
        info.size = 5
        t.addfile(info, io.BytesIO(b"12345"))
    reader = TarReader(ChunkStream.from_chunks([gnu.getvalue()]))
    assert [(e.name, e.size, reader.read_content(9)) for e in reader] == [("a/" + "z" * 300, 5, b"12345")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text("abc/._-", min_size=1, max_size=120), st.binary(max_size=700)),
                min_size=1, max_size=12),
       st.integers(min_value=1, max_value=4096))
def test_tar_reader_agrees_with_tarfile_for_any_chunking(files, chunk):
    entries = [(name.strip("/") or "f", data) for name, data in files if name.strip("/") not in (".", "..")]
    entries = [(n, d) for n, d in entries if all(p not in ("", ".", "..") for p in n.split("/"))]
    if not entries:
        return
    data = li.layer_tar(entries)
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    reader = TarReader(ChunkStream.from_chunks(pieces))
    got = [(e.name, e.size, reader.read_content(1 << 20)) for e in reader]
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        want = [(m.name, m.size, t.extractfile(m).read()) for m in t.getmembers()]
    assert got == want


def test_decompression_is_detected_by_magic_and_multi_member_gzip_works():
    import zstandard

    data = li.layer_tar([("a", b"A" * 5000), ("b", b"B" * 7)])
    half = len(data) // 2
    for blob, kind in ((data, "none"), (gzip.compress(data[:half]) + gzip.compress(data[half:]), "gzip"),
                       (zstandard.ZstdCompressor().compress(data), "zstd")):
        stream, found = decompressed(ChunkStream.from_chunks([blob[i:i + 100] for i in range(0, len(blob), 100)]))
        scan = scan_layer(stream, compression=found)
        assert found == kind
        assert [(e.name, e.size) for e in scan.entries] == [("a", 5000), ("b", 7)]
        assert scan.tar_size == len(data) and scan.content_bytes == 5007


# -- tree semantics on hand-made OCI layouts ------------------------------------------
HISTORY = ["ADD rootfs.tar / # buildkit", "RUN /bin/sh -c make # buildkit",
           "RUN /bin/sh -c rm -rf /build /opt/cache # buildkit", "COPY app /app # buildkit"]


def _layers():
    base = li.layer_tar([("bin", None), ("bin/sh", b"S" * 1000), ("etc", None), ("etc/conf", b"c" * 10),
                         ("opt", None), ("opt/cache", None), ("opt/cache/x", b"x" * 300)])
    make = li.layer_tar([("build", None), ("build/obj1.o", b"o" * 4000), ("build/obj2.o", b"o" * 2000),
                         ("etc/conf", b"C" * 12), ("opt/cache/y", b"y" * 50)])
    clean = li.layer_tar([(".wh.build", b""), ("opt/cache", None), ("opt/cache/.wh..wh..opq", b""),
                          ("opt/cache/new", b"n" * 7)])
    app = li.layer_tar([("app", b"A" * 100, 0o4755), ("bin/sh", b"s" * 1000, 0o755)])
    return [base, make, clean, app]


def _check_tree_figures(r):
    # every copy: 1310 + 6062 + 7 + 1100
    assert [l.size for l in r.layers] == [1310, 6062, 7, 1100]
    assert r.total_bytes == 8479
    # final: bin/sh (1000, layer 3), etc/conf (12), opt/cache/new (7), app (100)
    assert r.final_bytes == 1119
    # reclaimable: old bin/sh 1000 + old etc/conf 10 + build objects 6000 + opaque-hidden x 300 and y 50
    assert r.wasted_bytes == 7360 == r.total_bytes - r.final_bytes
    assert sorted(p for p, _ in r.tree.walk()) == ["app", "bin/sh", "etc/conf", "opt/cache/new"]
    assert [e["action"] for e in r.history("/etc/conf")] == ["added", "modified"]
    assert [(e["layer"], e["action"]) for e in r.history("build/obj1.o")] == [(1, "added"), (2, "deleted")]
    assert [(e["layer"], e["action"]) for e in r.history("/opt/cache/x")] == [(0, "added"), (2, "deleted")]
    items = {(w.path, w.action): w for w in r.wasted}
    build = items[("/build", "deleted")]
    assert (build.bytes, build.files, build.created_in, build.removed_in) == (6000, 2, [1], 2)
    assert "move the removal into the RUN that created it" in build.hint and "cleanup" in build.hint
    assert items[("/opt/cache", "replaced")].bytes == 350
    assert items[("/bin/sh", "overwritten")].hint.startswith("file rewritten in a later layer")
    assert [(s.path, s.flags) for s in r.special_files] == [("/app", ["setuid"])]
    assert [l.wasted_bytes for l in r.layers] == [1310, 6050, 0, 0]
    # dive's conventions: leaves per layer; the whiteout of /build counts the 6000 bytes it deleted,
    # and the opaque marker is ignored. Smallest copies: sh 1000, conf 10, x 300, y 50, objs 4000+2000,
    # build 6000, new 7, app 100 over cumulative 2000, 22, 300, 50, 6000, 6000, 7, 100.
    assert r.efficiency == pytest.approx((1000 + 10 + 300 + 50 + 6000 + 6000 + 7 + 100) /
                                         (2000 + 22 + 300 + 50 + 6000 + 6000 + 7 + 100), abs=1e-12)


@pytest.mark.parametrize("compression", [["none"] * 4, ["gzip", "zstd", "gzip", "none"], ["zstd"] * 4])
def test_oci_layout_figures_with_gzip_and_zstd_layers(tmp_path, compression):
    layers = _layers()
    layout = li.write_oci_layout(tmp_path / "oci", layers, HISTORY, compression)
    r = analyze(str(layout))
    assert r.kind == "oci-layout"
    assert [l.compression for l in r.layers] == compression
    assert [l.tar_size for l in r.layers] == [len(x) for x in layers]
    assert all(l.digest.startswith("sha256:") and l.blob_size for l in r.layers)
    assert [l.kind for l in r.layers] == ["ADD", "RUN", "RUN", "COPY"]
    _check_tree_figures(r)


def test_oci_archive_and_docker_archive_give_the_same_figures(tmp_path):
    layers = _layers()
    layout = li.write_oci_layout(tmp_path / "oci", layers, HISTORY, ["gzip"] * 4, attestation=True)
    oci_tar = li.tar_directory(layout, tmp_path / "oci.tar")
    docker_tar = li.write_docker_archive(tmp_path / "docker.tar", layers, HISTORY)
    for path in (str(layout), str(oci_tar), str(docker_tar), f"docker-archive://{docker_tar}"):
        r = analyze(path)
        _check_tree_figures(r)
    assert analyze(str(oci_tar)).kind == "oci-archive"
    assert analyze(str(docker_tar)).repo_tags == ["test:latest"]


def test_layer_streams_are_read_once_and_config_comes_last(tmp_path):
    docker_tar = li.write_docker_archive(tmp_path / "d.tar", _layers(), HISTORY)
    with open(docker_tar, "rb") as f:
        blob = f.read()
    from dopt.images.source import TarImage

    # a non-seekable stream in 1000-byte chunks, like the engine's save stream
    src = TarImage("stream", lambda: ChunkStream.from_chunks([blob[i:i + 1000] for i in range(0, len(blob), 1000)]))
    assert src.config is None
    r = analyze(src)
    _check_tree_figures(r)
    with pytest.raises(DoptError, match="only once"):
        list(src.layer_streams())


def test_dive_agrees_on_hand_made_archive_where_definitions_match(tmp_path):
    """dive ignores opaque whiteouts; with none, efficiency agrees exactly."""
    layers = [li.layer_tar([("d", None), ("d/a", b"a" * 3000), ("d/b", b"b" * 1000), ("f", b"f" * 500)]),
              li.layer_tar([(".wh.d", b""), ("f", b"F" * 800)]),
              li.layer_tar([("g", b"g" * 10), ("f", b"q" * 200)])]
    archive = li.write_docker_archive(tmp_path / "h.tar", layers, ["ADD x /", "RUN rm -rf /d", "RUN gen"])
    r = analyze(str(archive))
    dive = li.dive_json(archive)
    assert r.efficiency == pytest.approx(dive["image"]["efficiencyScore"], abs=1e-12)
    assert [l.size for l in r.layers] == [l["sizeBytes"] for l in dive["layer"]]
    assert r.total_bytes == dive["image"]["sizeBytes"]
    # dive's wasted: cumulative size of paths with 2+ copies (f: 500+800+200); the deleted
    # directory /d is invisible to it. dopt: f's two superseded copies + all of /d.
    assert dive["image"]["inefficientBytes"] == r.dive_wasted_bytes == 1500
    assert r.wasted_bytes == 500 + 800 + 4000
    assert r.wasted_bytes == r.total_bytes - r.final_bytes


# -- package database, build tools, removable paths, secrets --------------------------
DPKG = b"""Package: libc6
Status: install ok installed
Installed-Size: 12000
Version: 2.36

Package: gcc-12
Status: install ok installed
Installed-Size: 70000
Version: 12.2.0
Description: GNU C compiler
 continuation line

Package: gcc-12-base
Status: install ok installed
Installed-Size: 100

Package: libssl-dev
Status: install ok installed
Installed-Size: 2500

Package: make
Status: deinstall ok config-files
Installed-Size: 1500
"""


def _findings_layout(tmp_path):
    key = b"-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END OPENSSH PRIVATE KEY-----\n"
    layers = [
        li.layer_tar([("var/lib/dpkg/status", DPKG), ("var/lib/apt/lists/deb_Packages", b"p" * 4000),
                      ("var/lib/apt/lists/lock", b""), ("var/cache/apt/archives/x.deb", b"d" * 900),
                      ("usr/share/doc/gcc/README", b"r" * 70), ("usr/share/man/man1/gcc.1.gz", b"m" * 30)]),
        li.layer_tar([("root/.ssh/id_rsa", key, 0o600), ("root/.cache/pip/http/abc", b"w" * 2000),
                      ("app/.env", b"API_TOKEN=supersecretvalue\n"), ("app/.env.example", b"API_TOKEN=\n"),
                      ("app/pkg/__pycache__/m.cpython-311.pyc", b"c" * 123), ("tmp/build.log", b"l" * 11),
                      ("usr/lib/libfoo.a", b"a" * 400), ("etc/ssl/private/server.pem", key),
                      ("etc/ssl/certs/ca.pem", b"-----BEGIN CERTIFICATE-----\nMII\n"),
                      ("root/.npmrc", b"//registry.npmjs.org/:_authToken=npm_SECRET\n"),
                      ("home/app/.npmrc", b"registry=https://registry.npmjs.org/\n"),
                      ("root/.aws/credentials", b"[default]\naws_secret_access_key = AKIASECRET\n"),
                      ("usr/bin/sudo", b"x" * 10, 0o4755), ("usr/bin/wall", b"x" * 5, 0o2755)]),
        li.layer_tar([("root/.ssh/.wh.id_rsa", b"")]),
    ]
    return li.write_oci_layout(tmp_path / "oci", layers, ["ADD base / ", "COPY . / # buildkit", "RUN rm key"])


def test_removable_paths_build_tools_secrets_and_setuid(tmp_path):
    r = analyze(str(_findings_layout(tmp_path)))
    removable = {(x.category, x.path): (x.bytes, x.files) for x in r.removable}
    assert removable == {
        ("apt lists", "/var/lib/apt/lists"): (4000, 2),
        ("apt cache", "/var/cache/apt"): (900, 1),
        ("pip cache", "/root/.cache/pip"): (2000, 1),
        ("documentation", "/usr/share/doc"): (70, 1),
        ("man pages", "/usr/share/man"): (30, 1),
        ("python bytecode", "**/__pycache__"): (123, 1),
        ("temporary files", "/tmp"): (11, 1),
        ("static objects", "**/*.a, **/*.o"): (400, 1),
    }
    assert all(x.hint for x in r.removable)
    assert [(p.name, p.installed_bytes) for p in r.build_tools] == [("gcc-12", 70000 * 1024),
                                                                   ("libssl-dev", 2500 * 1024)]
    assert installed_packages(r) == {"libc6": 12000 * 1024, "gcc-12": 70000 * 1024, "gcc-12-base": 100 * 1024,
                                     "libssl-dev": 2500 * 1024}
    assert installed_packages(r.tree) == installed_packages(r)
    secrets = {(s.path, s.reason, s.present) for s in r.secrets}
    assert secrets == {
        ("/root/.ssh/id_rsa", "SSH private key", False),  # deleted in layer 2, still in layer 1's tar
        ("/app/.env", "dotenv file", True),
        ("/etc/ssl/private/server.pem", "PEM private key", True),
        ("/root/.npmrc", "npm registry token", True),
        ("/root/.aws/credentials", "AWS credentials", True),
    }
    assert [(s.path, s.flags) for s in r.special_files] == [("/usr/bin/sudo", ["setuid"]),
                                                           ("/usr/bin/wall", ["setgid"])]
    dumped = json.dumps(r.to_dict())
    for secret in ("SECRETKEYMATERIAL", "supersecretvalue", "npm_SECRET", "AKIASECRET"):
        assert secret not in dumped


def test_apk_database_is_read(tmp_path):
    apk = b"P:musl\nV:1.2.4\nI:639000\n\nP:build-base\nV:0.5\nI:4096\n\nP:gcc\nV:13\nI:100000000\n"
    layout = li.write_oci_layout(tmp_path / "oci", [li.layer_tar([("lib/apk/db/installed", apk)])], ["ADD x /"])
    r = analyze(str(layout))
    assert installed_packages(r) == {"musl": 639000, "build-base": 4096, "gcc": 100000000}
    assert [p.name for p in r.build_tools] == ["gcc", "build-base"]


def test_base_layers_and_dockerfile_mapping(tmp_path):
    layers = _layers()
    layout = li.write_oci_layout(tmp_path / "oci", layers, HISTORY)
    r = analyze(str(layout), base_layers=[li._sha(layers[0])])
    assert (r.base_layer_count, r.base_bytes, r.added_bytes) == (1, 1310, 8479 - 1310)
    assert r.user_bytes == r.added_bytes and r.user_wasted_percent == pytest.approx(7360 / 7169)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM base\nENV A=1\nRUN make\nRUN rm -rf /build /opt/cache\nCOPY app /app\n")
    r = analyze(str(layout), dockerfile=str(dockerfile))
    assert [l.dockerfile_line for l in r.layers] == [None, 3, 4, 5]
    assert (r.base_layer_count, r.base_source) == (1, "dockerfile")
    base_archive = li.write_docker_archive(tmp_path / "base.tar", layers[:1], HISTORY[:1])
    r = analyze(str(layout), base_image=str(base_archive))
    assert (r.base_layer_count, r.base_source) == (1, "base_image")


def test_ci_rules_on_reclaimable_bytes(tmp_path):
    r = analyze(str(li.write_oci_layout(tmp_path / "oci", _layers(), HISTORY)))
    results = {x.name: x.status for x in evaluate(r, {"highestWastedBytes": "7360", "lowestEfficiency": "0.5",
                                                      "highestUserWastedPercent": "disabled"})}
    assert results == {"highestWastedBytes": "pass", "lowestEfficiency": "pass", "highestUserWastedPercent": "skip"}
    results = {x.name: x.status for x in evaluate(r, {"highestWastedBytes": "7359B"})}
    assert results["highestWastedBytes"] == "fail"
    assert parse_ci_config("rules:\n  highestWastedBytes: '20MiB'\n") == {"highestWastedBytes": "20MiB"}
    with pytest.raises(DoptError, match=r"\.dive-ci:2: unknown rule"):
        parse_ci_config("rules:\n  lowestEfficency: 0.9\n")


# -- bad input ---------------------------------------------------------------------
def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ImageNotFound, match="no such file"):
        open_image(str(tmp_path / "missing.tar"))
    (tmp_path / "notes.txt").write_text("hello\n" * 200)
    with pytest.raises(NotAnImage):
        analyze(str(tmp_path / "notes.txt"))
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    with pytest.raises(NotAnImage, match="empty"):
        analyze(str(empty))
    with pytest.raises(NotAnImage, match="index.json"):
        analyze(str(tmp_path))
    plain = tmp_path / "plain.tar"
    plain.write_bytes(li.layer_tar([("a", b"1")]))
    with pytest.raises(NotAnImage, match="no manifest.json or index.json"):
        analyze(str(plain))
    archive = li.write_docker_archive(tmp_path / "d.tar", _layers(), HISTORY)
    truncated = tmp_path / "trunc.tar"
    truncated.write_bytes(archive.read_bytes()[:3000])
    with pytest.raises(NotAnImage):
        analyze(str(truncated))
    layout = li.write_oci_layout(tmp_path / "oci", _layers(), HISTORY)
    blob = next(p for p in (layout / "blobs" / "sha256").iterdir() if p.stat().st_size == len(_layers()[1]))
    blob.unlink()
    with pytest.raises(NotAnImage, match="layer blob"):
        analyze(str(layout))
    (layout / "index.json").write_text("{not json")
    with pytest.raises(NotAnImage, match="not valid JSON"):
        analyze(str(layout))


def test_legacy_facade_over_the_report(tmp_path):
    archive = li.write_docker_archive(tmp_path / "f.tar", _findings_layers_for_legacy(), ["ADD base /", "RUN pip"])
    analyzer = LayerAnalyzer()
    a = analyzer.analyze_image(str(archive))
    assert a.total_size_bytes == a.report.total_bytes and len(a.layers) == 2
    assert [l.size_bytes for l in a.get_largest_layers(1)] == [max(l.size_bytes for l in a.layers)]
    assert a.base_image_size_bytes == a.layers[0].size_bytes
    removable = analyzer.find_removable_files(str(archive))
    assert removable[0]["path"] == "/root/.cache/pip" and removable[0]["size_mb"] == 2.0
    assert analyzer.detect_unnecessary_packages(str(archive), ["libssl-dev"]) == ["gcc-12"]
    eff = analyzer.analyze_layer_efficiency([
        Layer("1", 0, "COPY . /app # buildkit", ""), Layer("2", 5, "RUN /bin/sh -c apt-get update # buildkit", ""),
        Layer("3", 5, "RUN /bin/sh -c apt-get install -y gcc # buildkit", ""),
        Layer("4", 5, "RUN /bin/sh -c pip install -r requirements.txt # buildkit", "")])
    assert eff["cache_friendly"] is False
    assert eff["issues"] == ["COPY . . comes before pip install (dependencies not cached)",
                             "apt-get update and install in separate layers"]
    assert analyzer.analyze_layer_efficiency([Layer("1", 0, "COPY requirements.txt . # buildkit", ""),
                                              Layer("2", 1, "RUN pip install -r requirements.txt", "")]) == \
        {"cache_friendly": True, "issues": [], "recommendations": []}


def _findings_layers_for_legacy():
    return [li.layer_tar([("var/lib/dpkg/status", DPKG)]),
            li.layer_tar([("root/.cache/pip/wheel", b"w" * (2 * MiB))])]


@pytest.mark.parametrize("module", ["streams", "tarstream", "history", "secrets", "packages", "tree", "scan",
                                    "report", "source", "analysis", "ci", "html", "terminal", "legacy"])
def test_docstring_examples(module):
    mod = importlib.import_module(f"dopt.images.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# -- real engine builds -----------------------------------------------------------------
B71_DOCKERFILE = """FROM scratch
COPY fs /fs
RUN ["/fs", "write", "/blob", "52428800", "0"]
RUN ["/fs", "chmod", "600", "/blob"]
"""

DELETED_DOCKERFILE = """FROM scratch
COPY fs /fs
RUN ["/fs", "write", "/big", "52428800", "7"]
RUN ["/fs", "rm", "/big"]
"""

CACHES_DOCKERFILE = """FROM scratch
COPY fs /fs
COPY root/ /
RUN ["/fs", "mkdir", "/tmp", "write", "/tmp/scratch.bin", "30000", "1"]
RUN ["/fs", "chmod", "4755", "/usr/local/bin/tool"]
RUN ["/fs", "rm", "/root/.ssh/id_rsa"]
"""

CACHE_FILES = {
    "root/var/lib/apt/lists/deb.debian.org_dists_bookworm_main_Packages": b"P" * 40000,
    "root/root/.cache/pip/http/v2/abc": b"w" * 25000,
    "root/app/pkg/__pycache__/mod.cpython-311.pyc": b"c" * 1234,
    "root/usr/local/bin/tool": b"\x7fELF" + b"t" * 996,
    "root/root/.ssh/id_rsa": b"-----BEGIN RSA PRIVATE KEY-----\nnot really\n-----END RSA PRIVATE KEY-----\n",
    "root/app/.env": b"PASSWORD=hunter2\n",
}


@pytest.fixture(scope="module")
def docker_client(engine):
    try:
        li.fs_tool()
    except RuntimeError as e:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(e), pytrace=False)
        pytest.skip(str(e))
    return engine.client


@pytest.fixture(scope="module")
def b71_archive(docker_client):
    return li.build_and_save(docker_client, "b71", B71_DOCKERFILE)


def test_b71_chmod_rewrite_wastes_one_copy_and_agrees_with_dive(b71_archive):
    r = analyze(str(b71_archive))
    blob_layers = [l for l in r.layers if l.size == 52428800]
    assert len(blob_layers) == 2
    assert r.wasted_bytes == 52428800  # 50 MiB: one removable copy, not two (B71)
    (item,) = [w for w in r.wasted if w.path == "/blob"]
    assert (item.action, item.bytes, item.created_in, item.removed_in) == (
        "metadata-changed", 52428800, [blob_layers[0].index], blob_layers[1].index)
    assert [e["action"] for e in r.history("/blob")] == ["added", "modified"]
    assert [e["mode"] for e in r.history("/blob")] == ["0644", "0600"]
    dive = li.dive_json(b71_archive)
    assert r.efficiency == pytest.approx(dive["image"]["efficiencyScore"], abs=1e-12)
    assert [l.size for l in r.layers] == [l["sizeBytes"] for l in dive["layer"]]
    # dive counts both copies of /blob; dopt counts the reclaimable one. Same score either way:
    assert dive["image"]["inefficientBytes"] == r.dive_wasted_bytes == 2 * 52428800
    assert r.dive_wasted_bytes == r.wasted_bytes + 52428800
    assert 1 - r.efficiency == pytest.approx(r.wasted_bytes / r.total_bytes, abs=1e-12)


def test_deleted_50mb_file_is_wasted_whole(docker_client):
    archive = li.build_and_save(docker_client, "deleted", DELETED_DOCKERFILE)
    r = analyze(str(archive))
    assert r.wasted_bytes == 52428800 and r.final_bytes == r.layers[0].size  # only /fs remains
    (item,) = r.wasted
    assert (item.path, item.action, item.bytes) == ("/big", "deleted", 52428800)
    assert "`RUN rm` in a later layer" in item.hint
    dive = li.dive_json(archive)
    assert r.efficiency == pytest.approx(dive["image"]["efficiencyScore"], abs=1e-12)
    # a deleted file: dive's cumulative (50 MiB + a 0-byte whiteout) is the reclaimable figure
    assert dive["image"]["inefficientBytes"] == r.wasted_bytes


def test_cache_folders_setuid_and_secrets_in_a_real_build(docker_client):
    archive = li.build_and_save(docker_client, "caches", CACHES_DOCKERFILE, CACHE_FILES)
    r = analyze(str(archive))
    removable = {x.path: (x.bytes, x.files) for x in r.removable}
    assert removable["/var/lib/apt/lists"] == (40000, 1)
    assert removable["/root/.cache/pip"] == (25000, 1)
    assert removable["**/__pycache__"] == (1234, 1)
    assert removable["/tmp"] == (30000, 1)
    assert [(s.path, s.mode, s.flags) for s in r.special_files] == [("/usr/local/bin/tool", 0o4755, ["setuid"])]
    (chmod,) = [w for w in r.wasted if w.path == "/usr/local/bin/tool"]
    assert chmod.action == "metadata-changed" and chmod.hint.startswith("COPY then chmod: use `COPY --chmod`")
    assert {(s.path, s.present) for s in r.secrets} == {("/root/.ssh/id_rsa", False), ("/app/.env", True)}
    assert "hunter2" not in json.dumps(r.to_dict())
    dive = li.dive_json(archive)
    assert r.efficiency == pytest.approx(dive["image"]["efficiencyScore"], abs=1e-12)


def test_engine_stream_matches_the_saved_archive(b71_archive, docker_client):
    from_file = analyze(str(b71_archive))
    from_engine = analyze("dopt-test/inspect:b71", client=docker_client)
    assert from_engine.kind == "engine"
    assert [l.to_dict() for l in from_engine.layers] == [l.to_dict() for l in from_file.layers]
    assert (from_engine.wasted_bytes, from_engine.efficiency) == (from_file.wasted_bytes, from_file.efficiency)
    r = analyze(str(b71_archive), base_image="dopt-test/inspect:b71", client=docker_client)
    assert r.base_layer_count == len(r.layers) and r.added_bytes == 0
