"""Inspect-time benchmark: ``dopt inspect`` against ``dive --ci`` and raw tar streams, on a >= 1 GB image.

The image is built once with the engine and cached on disk (``--cache-dir``, default
/tmp/dopt-bench): ``FROM scratch``, four layers of 4 x 64 MiB random files, one layer of
20,000 small files (headers matter there) and a chmod rewrite of a 64 MiB file (64 MiB
wasted). Every figure is the median wall time of ``--runs`` runs after one warm-up (so the
archive is in the page cache for every tool alike). Prints Markdown.

Rows:
* ``dopt inspect`` (CLI, subprocess, ``--json``): over the archive file (skips content by offset);
* ``dopt analyze`` over the same bytes as a non-seekable stream (what the engine path reads);
* ``dopt inspect IMAGE`` from the engine's ``docker save`` stream, and the floor for that,
  ``docker save IMAGE | cat > /dev/null``;
* ``dive --ci docker-archive://...``;
* floors: ``tar -t`` of the outer archive plus ``tar -xOf archive LAYER | tar -t`` for every
  layer (a raw stream of every byte), and Python ``tarfile`` in stream mode (``r|*``) over the
  nested layers (the reader dopt does not use).

Usage::

    python benchmarks/bench_inspect.py                # build (once) and time
    python benchmarks/bench_inspect.py --runs 5 --no-engine-stream

Targets (docs/PERFORMANCE.md, "Inspect"): dopt <= 0.5x dive, and <= 1.5x the raw stream.
Exit 1 when a target is missed (``--no-fail`` to ignore).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # time this checkout's dopt, wherever an editable install points
sys.path.insert(0, str(ROOT / "tests"))

TAG = "dopt-bench/inspect:1g"
DIVE_TARGET = 0.5
STREAM_TARGET = 1.5

DOCKERFILE = """FROM scratch
COPY fs /fs
COPY l1/ /data/l1/
COPY l2/ /data/l2/
COPY l3/ /data/l3/
COPY l4/ /data/l4/
COPY small/ /srv/small/
RUN ["/fs", "chmod", "600", "/data/l1/f0"]
"""


def build_archive(cache: Path) -> Path:
    """The cached >= 1 GB docker-archive (built with the engine on first use)."""
    out = cache / "inspect-1g.tar"
    if out.exists() and out.stat().st_size >= 1 << 30:
        return out
    import docker
    import layer_images

    cache.mkdir(parents=True, exist_ok=True)
    ctx = cache / "context"
    if ctx.exists():
        shutil.rmtree(ctx)
    ctx.mkdir()
    shutil.copy(layer_images.fs_tool(), ctx / "fs")
    for layer in ("l1", "l2", "l3", "l4"):
        (ctx / layer).mkdir()
        for i in range(4):
            with open(ctx / layer / f"f{i}", "wb") as f:
                for _ in range(64):
                    f.write(os.urandom(1 << 20))
    small = ctx / "small"
    for d in range(100):
        (small / f"d{d:03}").mkdir(parents=True)
        for i in range(200):
            (small / f"d{d:03}" / f"file{i:03}.txt").write_bytes(os.urandom(4096))
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    client = docker.from_env(timeout=1800)
    client.images.build(path=str(ctx), tag=TAG, rm=True, forcerm=True)
    tmp = out.with_suffix(".part")
    with open(tmp, "wb") as f:
        for chunk in client.images.get(TAG).save(chunk_size=1 << 20, named=True):
            f.write(chunk)
    tmp.replace(out)
    shutil.rmtree(ctx)
    return out


def timed(fn, runs: int) -> float:
    fn()  # warm-up: page cache, imports
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def sh(cmd: str) -> None:
    subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def layer_members(archive: Path) -> list[str]:
    with tarfile.open(archive) as t:
        manifest = json.load(t.extractfile("manifest.json"))
    return manifest[0]["Layers"]


def tarfile_stream(archive: Path) -> None:
    """Python's tarfile in stream mode over every layer of the archive (headers only)."""
    with open(archive, "rb") as f, tarfile.open(fileobj=f, mode="r|") as outer:
        for member in outer:
            if member.name.endswith("layer.tar") or member.name.startswith("blobs/"):
                inner_file = outer.extractfile(member)
                with tarfile.open(fileobj=inner_file, mode="r|*") as inner:
                    for _ in inner:
                        pass


def dopt_stream(archive: Path) -> None:
    """dopt's analysis over the archive as a non-seekable stream (every byte read)."""
    from dopt.images import analyze
    from dopt.images.source import TarImage
    from dopt.images.streams import ChunkStream

    with open(archive, "rb") as f:
        analyze(TarImage(str(archive), lambda: ChunkStream.from_fileobj(f)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache-dir", default="/tmp/dopt-bench", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-engine-stream", action="store_true", help="skip the docker save rows")
    ap.add_argument("--no-fail", action="store_true")
    args = ap.parse_args(argv)

    archive = build_archive(args.cache_dir)
    size = archive.stat().st_size
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env_dive = {k: v for k, v in env.items() if k != "CI"}
    layers = layer_members(archive)
    py = sys.executable
    rows: list[tuple[str, str, float]] = []

    def cli(*extra):
        subprocess.run([py, "-m", "dopt", "inspect", *extra, "--json", os.devnull], check=True, env=env,
                       stdout=subprocess.DEVNULL, cwd=str(args.cache_dir))

    rows.append(("dopt inspect (archive file)", f"dopt inspect {archive.name} --json /dev/null",
                 timed(lambda: cli(str(archive)), args.runs)))
    rows.append(("dopt analyze (non-seekable stream)", "analyze(TarImage(ChunkStream.from_fileobj(f)))",
                 timed(lambda: dopt_stream(archive), args.runs)))
    rows.append(("dive --ci", f"dive --ci docker-archive://{archive.name}",
                 timed(lambda: subprocess.run(["dive", "--ci", f"docker-archive://{archive}"], env=env_dive,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                              cwd=str(args.cache_dir)), args.runs)))
    inner = " ; ".join(f"tar -xOf {archive} {m} | tar -t" for m in layers)
    rows.append(("raw stream: tar -t of every layer", "tar -tf ARCHIVE; tar -xOf ARCHIVE LAYER | tar -t (each)",
                 timed(lambda: sh(f"tar -tf {archive} >/dev/null; {{ {inner} ; }} >/dev/null"), args.runs)))
    rows.append(("raw stream: cat", "cat ARCHIVE > /dev/null", timed(lambda: sh(f"cat {archive} >/dev/null"),
                                                                       args.runs)))
    rows.append(("python tarfile r|* (headers)", "tarfile.open(fileobj=..., mode='r|*') per layer",
                 timed(lambda: tarfile_stream(archive), args.runs)))
    if not args.no_engine_stream:
        rows.append(("dopt inspect IMAGE (engine save stream)", f"dopt inspect {TAG} --json /dev/null",
                     timed(lambda: cli(TAG), args.runs)))
        rows.append(("floor: docker save | cat", f"docker save {TAG} | cat > /dev/null",
                     timed(lambda: sh(f"docker save {TAG} | cat >/dev/null"), args.runs)))

    t = {name: secs for name, _cmd, secs in rows}
    print(f"Archive: {size / 1e9:.2f} GB, {len(layers)} layers; median of {args.runs} runs after a warm-up.\n")
    print("| what | command | seconds |")
    print("|---|---|---:|")
    for name, cmd, secs in rows:
        name, cmd = name.replace("|", "\\|"), cmd.replace("|", "\\|")  # keep the Markdown table intact
        print(f"| {name} | `{cmd}` | {secs:.3f} |")
    dopt_file = t["dopt inspect (archive file)"]
    dopt_streamed = t["dopt analyze (non-seekable stream)"]
    raw = t["raw stream: tar -t of every layer"]
    dive = t["dive --ci"]
    ratios = [
        ("dopt inspect / dive --ci", dopt_file / dive, DIVE_TARGET),
        ("dopt inspect / raw tar -t stream", dopt_file / raw, STREAM_TARGET),
        ("dopt streamed / raw tar -t stream", dopt_streamed / raw, STREAM_TARGET),
    ]
    if not args.no_engine_stream:
        ratios.append(("dopt inspect IMAGE / docker save | cat",
                       t["dopt inspect IMAGE (engine save stream)"] / t["floor: docker save | cat"], STREAM_TARGET))
    print("\n| ratio | value | target |")
    print("|---|---:|---:|")
    missed = False
    for name, value, target in ratios:
        ok = value <= target
        missed |= not ok
        print(f"| {name.replace('|', chr(92) + '|')} | {value:.2f}x | <= {target}x {'ok' if ok else 'MISSED'} |")
    return 1 if missed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
