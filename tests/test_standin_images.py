"""The stand-in base images: recipe hashing (no engine) and what the built images hold (engine)."""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import sys
import tarfile
from pathlib import Path

import pytest

IMAGES_DIR = Path(__file__).parent / "images"


def load_build_module(directory: Path):
    """A fresh copy of tests/images/build.py bound to ``directory`` (its recipes)."""
    sys.path.insert(0, str(directory))
    try:
        name = f"_standins_{abs(hash(directory))}"
        spec = importlib.util.spec_from_file_location(name, directory / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(directory))


@pytest.fixture
def recipes(tmp_path):
    copy = tmp_path / "images"
    shutil.copytree(IMAGES_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def hashes(directory: Path) -> dict[str, str]:
    module = load_build_module(directory)
    return {image.name: module.recipe_hash(image) for image in module.IMAGES}


def test_every_dockerfile_starts_from_its_declared_parent():
    build = load_build_module(IMAGES_DIR)
    for image in build.IMAGES:
        if image.dockerfile:
            text = (IMAGES_DIR / image.dockerfile).read_text()
            (base,) = re.findall(r"^FROM\s+(\S+)", text, re.M)
            assert base in build.BY_NAME[image.parent].tags, image.name
            for copied in re.findall(r"^COPY\s+(\S+)", text, re.M):
                assert copied in image.files, f"{image.name} copies {copied} but does not hash it"


def test_hashes_are_stable_and_distinct(recipes):
    first, second = hashes(recipes), hashes(recipes)
    assert first == second
    assert len(set(first.values())) == len(first)


def test_a_changed_dockerfile_rebuilds_that_image_only(recipes):
    before = hashes(recipes)
    with open(recipes / "node-18-slim.Dockerfile", "a") as f:
        f.write("# edited\n")
    after = hashes(recipes)
    assert [n for n in before if before[n] != after[n]] == ["node-18-slim"]


def test_a_changed_parent_rebuilds_its_children(recipes):
    before = hashes(recipes)
    with open(recipes / "buildpack-deps.Dockerfile", "a") as f:
        f.write("# edited\n")
    after = hashes(recipes)
    assert sorted(n for n in before if before[n] != after[n]) == [
        "buildpack-deps", "golang-1.19", "node-18", "python-3.11"]


def test_a_changed_shared_script_rebuilds_both_python_images(recipes):
    before = hashes(recipes)
    with open(recipes / "python-setup.sh", "a") as f:
        f.write("# edited\n")
    after = hashes(recipes)
    assert sorted(n for n in before if before[n] != after[n]) == ["python-3.11", "python-3.11-slim"]


def test_the_rootfs_recipe_rebuilds_everything(recipes):
    before = hashes(recipes)
    with open(recipes / "rootfs.py", "a") as f:
        f.write("# edited\n")
    after = hashes(recipes)
    assert all(before[n] != after[n] for n in before)


# ------------------------------------------------------------ the built images

def test_every_stand_in_carries_its_current_recipe_hash(engine, standin_images):
    build = load_build_module(IMAGES_DIR)
    for image in build.IMAGES:
        for tag in image.tags:
            labels = engine.image_inspect(tag)["Config"]["Labels"] or {}
            assert labels.get(build.LABEL) == build.recipe_hash(image), tag


def test_both_python_images_have_the_same_interpreter_paths(engine, standin_images):
    probe = ["sh", "-c", "readlink -f $(command -v python) $(command -v pip); "
             "python -c 'import sys; print(sys.version_info[:2])'; "
             "test ! -e /usr/lib/python3.11/EXTERNALLY-MANAGED && echo unmanaged; echo $LANG"]
    fat = engine.run("python:3.11", probe)
    slim = engine.run("python:3.11-slim", probe)
    assert fat.exit_code == slim.exit_code == 0
    assert fat.stdout == slim.stdout
    assert fat.stdout.splitlines()[0] == "/usr/bin/python3.11"
    assert "(3, 11)\nunmanaged\nC.UTF-8\n" in fat.stdout
    assert engine.run("python:3.11-slim", ["sh", "-c", "command -v gcc || echo none"]).stdout == "none\n"


def test_slim_is_trimmed_and_stays_trimmed(engine, standin_images):
    r = engine.run("debian:bookworm-slim", ["sh", "-c",
                   "ls /usr/share/man | wc -l; ls /usr/share/doc/apt; ls /var/lib/apt/lists | grep -vc -e lock -e partial"])
    assert r.stdout.split() == ["0", "copyright", "0"]
    # dpkg keeps later installs slim, with the official slim image's excludes.
    excludes = engine.run("debian:bookworm-slim", ["cat", "/etc/dpkg/dpkg.cfg.d/docker-slim"]).stdout
    assert excludes == load_build_module(IMAGES_DIR).rootfs.SLIM_DPKG_EXCLUDES
    assert "path-exclude /usr/share/doc/*" in excludes
    assert engine.image_size("debian:bookworm-slim") < engine.image_size("debian:bookworm")


def test_images_trust_the_host_ca_bundle(engine, standin_images):
    host = Path("/etc/ssl/certs/ca-certificates.crt")
    if not host.exists():
        pytest.skip("no host CA bundle")
    host_certs = set(re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", host.read_text(), re.S))
    for image in ("debian:bookworm-slim", "gcr.io/distroless/static-debian12"):
        tmp = engine.client.containers.create(image, command=["none"])
        try:
            bits, _ = tmp.get_archive("/etc/ssl/certs/ca-certificates.crt")
            with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
                bundle = tar.extractfile(tar.getmembers()[0]).read().decode()
        finally:
            tmp.remove(force=True)
        assert host_certs <= set(re.findall(
            r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", bundle, re.S)), image


def test_distroless_static_has_no_shell_and_base_runs_glibc_programs(engine, standin_images):
    no_shell = engine.run("gcr.io/distroless/static-debian12", ["/bin/sh", "-c", "true"])
    assert no_shell.exit_code == 127 and "/bin/sh" in no_shell.stderr
    # Debian's /usr/bin/true needs only glibc: it runs on base, not on static.
    container = engine.client.containers.create("debian:bookworm-slim", command=["true"])
    try:
        bits, _ = container.get_archive("/usr/bin/true")
        with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
            program = tar.extractfile(tar.getmembers()[0]).read()
    finally:
        container.remove(force=True)
    results = {}
    for base in ("gcr.io/distroless/base-debian12", "gcr.io/distroless/static-debian12"):
        c = engine.client.containers.create(base, command=["/true"])
        try:
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as tar:
                info = tarfile.TarInfo("true")
                info.size, info.mode = len(program), 0o755
                tar.addfile(info, io.BytesIO(program))
            c.put_archive("/", buf.getvalue())
            c.start()
            results[base] = c.wait(timeout=30)["StatusCode"]
        except Exception as e:  # static: the loader is missing, the start fails
            results[base] = str(e)
        finally:
            c.remove(force=True)
    assert results["gcr.io/distroless/base-debian12"] == 0
    assert results["gcr.io/distroless/static-debian12"] != 0


def test_nonroot_variants_run_as_65532(engine, standin_images):
    for image in ("gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/base-debian12:nonroot"):
        assert engine.image_inspect(image)["Config"]["User"] == "65532:65532"
