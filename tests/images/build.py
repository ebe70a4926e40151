"""Build the local stand-ins for the base images tests use (no registry is reachable).

Each stand-in is tagged with the real name (``python:3.11``, ``debian:bookworm-slim``,
...) and labelled ``dopt.recipe-hash=<sha256>``, a hash of the files that make it
(its Dockerfile and the files it copies, or ``rootfs.py`` and the host facts it
bakes in) plus its parent's hash. An image whose every tag carries the right hash
is left alone, so a second run is a few ``docker image inspect`` calls.

Usage::

    python tests/images/build.py            # build what is missing or stale
    python tests/images/build.py --check    # exit 1 if anything would be built
    python tests/images/build.py --sizes    # markdown table of the stand-ins' sizes
    python tests/images/build.py --only python-3.11-slim   # one image (and stale parents)

A lock in /var/tmp serializes concurrent runs (several test sessions may ask at
once). Build logs go to /var/tmp/dopt-standins/<image>.log.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import rootfs  # noqa: E402  (a sibling module, not a package)

LABEL = "dopt.recipe-hash"
STATE = Path(os.environ.get("DOPT_STANDIN_STATE", "/var/tmp/dopt-standins"))
DOCKER = os.environ.get("DOCKER", "docker")


@dataclass
class Image:
    name: str
    tags: list[str]
    parent: str | None = None
    # Dockerfile-built images: the Dockerfile and the files it COPYs (relative to HERE).
    dockerfile: str | None = None
    files: list[str] = field(default_factory=list)
    # rootfs images: which tree and the `docker import --change` lines.
    rootfs: str | None = None
    changes: list[str] = field(default_factory=list)


ENV_PATH = f"ENV PATH={rootfs.PATH_ENV}"
DISTROLESS_ENV = ["ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", ENV_PATH]

IMAGES: list[Image] = [
    Image("debian-bookworm", ["debian:bookworm", "debian:12"], rootfs="full",
          changes=[ENV_PATH, 'CMD ["bash"]']),
    Image("debian-bookworm-slim", ["debian:bookworm-slim", "debian:12-slim"], rootfs="slim",
          changes=[ENV_PATH, 'CMD ["bash"]']),
    Image("distroless-static", ["gcr.io/distroless/static-debian12:latest"], rootfs="static",
          changes=DISTROLESS_ENV),
    Image("distroless-static-nonroot", ["gcr.io/distroless/static-debian12:nonroot"],
          rootfs="static", changes=[*DISTROLESS_ENV, "USER 65532:65532", "WORKDIR /home/nonroot"]),
    Image("distroless-base", ["gcr.io/distroless/base-debian12:latest"], rootfs="base",
          changes=DISTROLESS_ENV),
    Image("distroless-base-nonroot", ["gcr.io/distroless/base-debian12:nonroot"], rootfs="base",
          changes=[*DISTROLESS_ENV, "USER 65532:65532", "WORKDIR /home/nonroot"]),
    Image("buildpack-deps", ["buildpack-deps:bookworm", "buildpack-deps:12"],
          parent="debian-bookworm", dockerfile="buildpack-deps.Dockerfile"),
    Image("python-3.11", ["python:3.11", "python:3.11-bookworm"], parent="buildpack-deps",
          dockerfile="python-3.11.Dockerfile", files=["python-setup.sh"]),
    Image("python-3.11-slim", ["python:3.11-slim", "python:3.11-slim-bookworm"],
          parent="debian-bookworm-slim", dockerfile="python-3.11-slim.Dockerfile",
          files=["python-setup.sh"]),
    Image("node-18", ["node:18", "node:18-bookworm"], parent="buildpack-deps",
          dockerfile="node-18.Dockerfile"),
    Image("node-18-slim", ["node:18-slim", "node:18-bookworm-slim"],
          parent="debian-bookworm-slim", dockerfile="node-18-slim.Dockerfile"),
    Image("temurin-17-jdk", ["eclipse-temurin:17-jdk", "eclipse-temurin:17"],
          parent="debian-bookworm", dockerfile="temurin-17-jdk.Dockerfile", files=["java-home.sh"]),
    Image("temurin-17-jre", ["eclipse-temurin:17-jre"], parent="debian-bookworm-slim",
          dockerfile="temurin-17-jre.Dockerfile", files=["java-home.sh"]),
    Image("golang-1.19", ["golang:1.19", "golang:1.19-bookworm"], parent="buildpack-deps",
          dockerfile="golang-1.19.Dockerfile"),
]
BY_NAME = {i.name: i for i in IMAGES}


def log(msg: str) -> None:
    print(f"[standins] {msg}", flush=True)


class BuildError(RuntimeError):
    pass


# ---------------------------------------------------------------- hashing

def recipe_hash(image: Image, _memo: dict[str, str] = {}) -> str:
    """sha256 of what makes ``image``: its recipe files, host inputs, parent hash.

    >>> len(recipe_hash(BY_NAME["python-3.11-slim"]))
    64
    """
    if image.name in _memo:
        return _memo[image.name]
    h = hashlib.sha256()

    def feed(name: str, data: bytes) -> None:
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)

    if image.rootfs:
        feed("rootfs.py", (HERE / "rootfs.py").read_bytes())
        for name, data in rootfs.recipe_inputs():
            feed(name, data)
        feed("variant", image.rootfs.encode())
        feed("changes", "\n".join(image.changes).encode())
    else:
        for rel in [image.dockerfile, *image.files]:
            feed(rel, (HERE / rel).read_bytes())
    if image.parent:
        feed("parent", recipe_hash(BY_NAME[image.parent]).encode())
    _memo[image.name] = h.hexdigest()
    return _memo[image.name]


def _label_of(tag: str) -> str | None:
    proc = subprocess.run(
        [DOCKER, "image", "inspect", "--format", f'{{{{ index .Config.Labels "{LABEL}" }}}}', tag],
        capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def status(image: Image) -> str:
    """'ok', 'retag' (primary tag current, an alias missing) or 'build'."""
    want = recipe_hash(image)
    if _label_of(image.tags[0]) != want:
        return "build"
    return "ok" if all(_label_of(t) == want for t in image.tags[1:]) else "retag"


# ---------------------------------------------------------------- building

def _docker(args: list[str], logfile: Path, *, stdin=None) -> None:
    with open(logfile, "a") as out:
        out.write(f"$ {DOCKER} {' '.join(args)}\n")
        out.flush()
        # The classic builder works with every client (the 28.x CLI without
        # buildx refuses DOCKER_BUILDKIT=1); the stand-ins need nothing newer.
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}
        proc = subprocess.run([DOCKER, *args], stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                              env=env)
    if proc.returncode != 0:
        tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-40:])
        raise BuildError(f"`docker {args[0]}` failed for {logfile.stem} (log: {logfile}):\n{tail}")


def _tag_aliases(image: Image) -> None:
    for alias in image.tags[1:]:
        subprocess.run([DOCKER, "tag", image.tags[0], alias], check=True)


def import_tree(image: Image, tree: Path) -> None:
    logfile = STATE / f"{image.name}.log"
    logfile.write_text("")
    args = ["import"]
    for change in [*image.changes, f"LABEL {LABEL}={recipe_hash(image)}"]:
        args += ["--change", change]
    args += ["-", image.tags[0]]
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(tree), "-c", "."],
                           stdout=subprocess.PIPE)
    try:
        _docker(args, logfile, stdin=tar.stdout)
    finally:
        tar.stdout.close()
        if tar.wait() != 0:
            raise BuildError(f"tar of {tree} failed")
    _tag_aliases(image)


def build_dockerfile(image: Image) -> None:
    logfile = STATE / f"{image.name}.log"
    logfile.write_text("")
    _docker(["build", "--pull=false", "--rm", "--force-rm", "-f", str(HERE / image.dockerfile),
             "--label", f"{LABEL}={recipe_hash(image)}", "-t", image.tags[0], str(HERE)], logfile)
    _tag_aliases(image)


def build_rootfs_images(todo: list[Image]) -> None:
    """One debootstrap feeds every rootfs image that needs (re)building."""
    if os.geteuid() != 0:
        raise BuildError("building the debian and distroless stand-ins needs root (debootstrap, chroot)")
    if shutil.which("debootstrap") is None:
        raise BuildError("debootstrap is missing: apt-get install -y debootstrap")
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=STATE))
    try:
        root = work / "debian"
        t0 = time.monotonic()
        rootfs.bootstrap(root, log)
        log(f"  debootstrap done in {time.monotonic() - t0:.0f}s")
        variants = {i.rootfs for i in todo}
        # Distroless trees copy from the untrimmed tree (zoneinfo, libc files).
        for variant, make in (("static", rootfs.distroless_static), ("base", rootfs.distroless_base)):
            if variant in variants:
                make(root, work / variant)
        for image in [i for i in todo if i.rootfs in ("full", "static", "base")]:
            import_tree(image, root if image.rootfs == "full" else work / image.rootfs)
            log(f"  imported {image.tags[0]}")
        slim = [i for i in todo if i.rootfs == "slim"]
        if slim:
            rootfs.trim_for_slim(root)
            for image in slim:
                import_tree(image, root)
                log(f"  imported {image.tags[0]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def closure(names: list[str]) -> list[Image]:
    """The named images and their ancestors, in build order."""
    want: set[str] = set()
    for n in names:
        while n:
            if n not in BY_NAME:
                raise SystemExit(f"unknown stand-in {n!r}; known: {', '.join(BY_NAME)}")
            want.add(n)
            n = BY_NAME[n].parent
    return [i for i in IMAGES if i.name in want]


def ensure(images: list[Image]) -> int:
    """Build every stale image of ``images`` (in order); returns how many were built."""
    t_all = time.monotonic()
    todo = []
    for image in images:
        st = status(image)
        if st == "retag":
            _tag_aliases(image)
        elif st == "build":
            todo.append(image)
    if not todo:
        log(f"all {len(images)} stand-ins up to date")
        return 0
    log("to build: " + ", ".join(i.tags[0] for i in todo))
    rootfs_todo = [i for i in todo if i.rootfs]
    if rootfs_todo:
        build_rootfs_images(rootfs_todo)
    for image in [i for i in todo if not i.rootfs]:
        t0 = time.monotonic()
        build_dockerfile(image)
        log(f"  built {image.tags[0]} in {time.monotonic() - t0:.0f}s")
    log(f"built {len(todo)} stand-ins in {time.monotonic() - t_all:.0f}s")
    return len(todo)


def sizes_table(images: list[Image]) -> str:
    rows = ["| tag | also tagged | size (MB) |", "|---|---|---:|"]
    for image in images:
        proc = subprocess.run([DOCKER, "image", "inspect", "--format", "{{.Size}}", image.tags[0]],
                              capture_output=True, text=True)
        size = f"{int(proc.stdout) / 1e6:.0f}" if proc.returncode == 0 else "missing"
        rows.append(f"| `{image.tags[0]}` | {', '.join(f'`{t}`' for t in image.tags[1:])} | {size} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build dopt's local stand-in base images")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="these images (and their parents)")
    ap.add_argument("--check", action="store_true", help="exit 1 if any stand-in is missing or stale")
    ap.add_argument("--sizes", action="store_true", help="print a markdown table of sizes")
    args = ap.parse_args(argv)
    if shutil.which(DOCKER) is None:
        print(f"error: no `{DOCKER}` command on PATH (install the Docker CLI)", file=sys.stderr)
        return 2
    images = closure(args.only) if args.only else IMAGES
    if args.sizes:
        print(sizes_table(images))
        return 0
    if args.check:
        stale = [i.tags[0] for i in images if status(i) != "ok"]
        if stale:
            print("stale or missing: " + ", ".join(stale))
        return 1 if stale else 0
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be building right now
        try:
            ensure(images)
        except (BuildError, rootfs.RootfsError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
