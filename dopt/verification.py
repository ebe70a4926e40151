"""Proving an optimized image behaves like the original.

``verify_images(engine, original, optimized, plan)`` runs every check and
returns a :class:`VerificationReport`; ``report.ok`` is the verdict. Checks:

* **smoke**: each smoke command runs in both images (argv replacing CMD, the
  image's ENTRYPOINT kept) and must give the same exit status and stdout;
  HTTP checks start both images, request a path on a loopback-published port
  and compare the bodies;
* **config**: Entrypoint, Cmd, Env (PATH may only gain entries, e.g.
  ``/opt/venv/bin``), WorkingDir, User, ExposedPorts, Volumes, Labels (those the
  base images bring are set aside), Healthcheck, StopSignal;
* **packages**: the Python distributions importable by the image's ``python``
  and the production npm packages of the app, by name and version (build
  tooling such as pip/setuptools/wheel is set aside);
* **files**: under each checked path the optimized image's files must exist in
  the original with the same content (archives such as jars compare member
  names and CRCs, since jar tools stamp times); files the original has and the
  optimized lacks are failures except pruned dev dependencies and caches.

Example (needs an engine)::

    >>> from dopt.engine.client import connect                      # doctest: +SKIP
    >>> report = verify_images(connect(), "app:orig", "app:opt",    # doctest: +SKIP
    ...                        VerificationPlan(smoke=[["--version"]]))
    >>> report.ok                                                    # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import tarfile
import time
import zipfile
from typing import Iterable

from attrs import define, field

TOOLING_PYTHON = frozenset({"pip", "setuptools", "wheel", "distribute", "pkg-resources", "pkg_resources"})
# Dependency folders are compared by the packages check (names and versions), not byte for
# byte: npm and node-gyp write timestamps and absolute paths into them (.package-lock.json,
# build-tmp-*/Makefile) that differ between any two installs of the same packages.
SKIP_PARTS = ("__pycache__", ".git", ".cache", ".npm", "node_modules", "site-packages", "dist-packages")
SKIP_SUFFIXES = (".pyc", ".pyo")
# Environment that changes how a program behaves, never allowed to differ even when it came
# from the base image (docker-library/python#570 dropped LANG and text I/O broke, B68).
BEHAVIOURAL_ENV = frozenset({"LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONIOENCODING",
                             "PYTHONUTF8", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"})


@define
class SmokeCommand:
    argv: list[str]
    name: str = ""


@define
class HttpCheck:
    port: int
    path: str = "/"
    name: str = ""
    argv: list[str] | None = None


@define
class VerificationPlan:
    smoke: list = field(factory=list)       # SmokeCommand or list[str]
    http: list[HttpCheck] = field(factory=list)
    paths: list[str] = field(factory=list)   # file trees to compare
    env_may_differ: list[str] = field(factory=list)
    check_config: bool = True
    check_packages: bool = True
    original_base: str | None = None
    optimized_base: str | None = None
    timeout: float = 120.0


@define
class Check:
    kind: str      # smoke | http | config | packages | files
    name: str
    ok: bool
    detail: str = ""


@define
class VerificationReport:
    checks: list[Check] = field(factory=list)
    warnings: list[str] = field(factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def summary(self) -> str:
        passed = sum(c.ok for c in self.checks)
        return f"{passed}/{len(self.checks)} checks passed"

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checks": [{"kind": c.kind, "name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "warnings": list(self.warnings),
        }


def verify_images(engine, original: str, optimized: str, plan: VerificationPlan) -> VerificationReport:
    report = VerificationReport()
    if plan.check_config:
        report.checks.extend(compare_config(engine, original, optimized, plan, report.warnings))
    for item in plan.smoke:
        cmd = item if isinstance(item, SmokeCommand) else SmokeCommand(list(item))
        check = _smoke(engine, original, optimized, cmd, plan.timeout)
        report.checks.append(check)
        if check.ok and "fails in the original" in check.detail:
            report.warnings.append(f"smoke command {check.name!r} fails in the original image too "
                                   f"({check.detail.split(' in both')[0]}): it checks little")
    for check in plan.http:
        report.checks.append(_http(engine, original, optimized, check, plan.timeout))
    if plan.check_packages:
        report.checks.extend(compare_packages(engine, original, optimized, report.warnings,
                                              original_base=plan.original_base))
    if plan.paths:
        report.checks.append(compare_files(engine, original, optimized, plan.paths))
    if not plan.smoke and not plan.http:
        report.warnings.append("no smoke command given: behaviour was checked through config, packages and files "
                               "only (pass --smoke CMD to run the app)")
    return report


# --------------------------------------------------------------------------
# config


def _config(engine, ref: str) -> dict:
    return engine.image_inspect(ref).get("Config") or {}


def _env(config: dict) -> dict[str, str]:
    out = {}
    for item in config.get("Env") or []:
        key, _, value = item.partition("=")
        out[key] = value
    return out


def compare_config(engine, original: str, optimized: str, plan: VerificationPlan,
                   warnings: list[str]) -> list[Check]:
    a, b = _config(engine, original), _config(engine, optimized)
    checks: list[Check] = []
    for key in ("Entrypoint", "Cmd", "WorkingDir", "User", "ExposedPorts", "Volumes", "Healthcheck", "StopSignal"):
        va, vb = a.get(key) or None, b.get(key) or None
        checks.append(Check("config", key, va == vb, "" if va == vb else f"original {va!r}, optimized {vb!r}"))
    env_a, env_b = _env(a), _env(b)
    # What the original's base image brought (not the Dockerfile): toolchain settings of a
    # builder image (GOPATH, /go/bin on PATH) may go when the runtime base changes; locale and
    # time-zone settings may not (B68).
    base_env = _env(_config_or_empty(engine, plan.original_base)) if plan.original_base else {}
    base_changed = plan.original_base != plan.optimized_base
    problems = []
    for key, value in env_a.items():
        if key == "PATH":
            continue
        inherited = base_changed and base_env.get(key) == value and key not in BEHAVIOURAL_ENV
        if key not in env_b or env_b[key] != value:
            if inherited or key in plan.env_may_differ:
                warnings.append(f"{key} from the original base image is "
                                f"{'gone' if key not in env_b else 'different'} in the optimized image")
                continue
        if key not in env_b:
            problems.append(f"{key} missing (original {key}={value})")
        elif env_b[key] != value:
            problems.append(f"{key}: original {value!r}, optimized {env_b[key]!r}")
    path_a = [p for p in env_a.get("PATH", "").split(":") if p]
    path_b = [p for p in env_b.get("PATH", "").split(":") if p]
    base_path = set(base_env.get("PATH", "").split(":")) if base_changed else set()
    dropped = [p for p in path_a if p not in path_b and p in base_path]
    if dropped:
        warnings.append(f"PATH entries of the original base image dropped: {':'.join(dropped)}")
    kept_a = [p for p in path_a if p not in dropped]
    if "PATH" not in plan.env_may_differ and not _is_subsequence(kept_a, path_b):
        problems.append(f"PATH lost entries: original {env_a.get('PATH')!r}, optimized {env_b.get('PATH')!r}")
    extra = sorted(set(env_b) - set(env_a))
    if extra:
        warnings.append(f"optimized image sets new environment variables: {', '.join(extra)}")
    added = [p for p in path_b if p not in path_a]
    if added:
        warnings.append(f"PATH gained {':'.join(added)}")
    checks.append(Check("config", "Env", not problems, "; ".join(problems)))
    labels_a = _own_labels(engine, a, plan.original_base)
    labels_b = _own_labels(engine, b, plan.optimized_base)
    checks.append(Check("config", "Labels", labels_a == labels_b,
                        "" if labels_a == labels_b else f"original {labels_a}, optimized {labels_b}"))
    return checks


def _config_or_empty(engine, ref: str) -> dict:
    try:
        return _config(engine, ref)
    except Exception:  # the base is not on this engine: nothing is known to be inherited
        return {}


def _is_subsequence(needle: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(x == y for y in it) for x in needle)


def _own_labels(engine, config: dict, base: str | None) -> dict:
    labels = dict(config.get("Labels") or {})
    if base:
        try:
            base_labels = _config(engine, base).get("Labels") or {}
        except Exception:
            base_labels = {}
        for key, value in base_labels.items():
            if labels.get(key) == value:
                labels.pop(key)
    return labels


# --------------------------------------------------------------------------
# smoke commands


def _smoke(engine, original: str, optimized: str, cmd: SmokeCommand, timeout: float) -> Check:
    name = cmd.name or " ".join(cmd.argv) or "the image's CMD"
    try:
        # an empty argv runs the image's own CMD
        ra = engine.run(original, cmd.argv or None, timeout=timeout)
        rb = engine.run(optimized, cmd.argv or None, timeout=timeout)
    except Exception as e:  # an engine error is a failed check, with its reason
        return Check("smoke", name, False, f"could not run: {e}")
    if ra.exit_code != rb.exit_code:
        return Check("smoke", name, False,
                     f"exit status {ra.exit_code} (original) vs {rb.exit_code} (optimized); "
                     f"optimized stderr: {rb.stderr.strip()[-400:]}")
    if ra.stdout != rb.stdout:
        return Check("smoke", name, False, "stdout differs:\n" + _short_diff(ra.stdout, rb.stdout))
    detail = f"exit {ra.exit_code}"
    if ra.exit_code != 0:
        # equal, but a command that fails in the original proves little about the app
        detail += " in both images (it fails in the original too: check the command)"
    return Check("smoke", name, True, detail)


def _short_diff(a: str, b: str) -> str:
    import difflib

    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), "original", "optimized", lineterm=""))
    return "\n".join(lines[:40])


def _http(engine, original: str, optimized: str, check: HttpCheck, timeout: float) -> Check:
    name = check.name or f"GET :{check.port}{check.path}"
    bodies = []
    for image in (original, optimized):
        try:
            bodies.append(_http_body(engine, image, check, timeout))
        except Exception as e:
            return Check("http", name, False, f"{image}: {e}")
    if bodies[0] != bodies[1]:
        return Check("http", name, False, "responses differ:\n" + _short_diff(bodies[0], bodies[1]))
    return Check("http", name, True, f"{len(bodies[0])} bytes")


def _http_body(engine, image: str, check: HttpCheck, timeout: float) -> str:
    """Start the image with the port published on 127.0.0.1 only, GET the path, stop it."""
    import urllib.request

    container = engine.client.containers.run(
        image, check.argv, detach=True, ports={f"{check.port}/tcp": ("127.0.0.1", None)},
    )
    try:
        deadline = time.monotonic() + min(timeout, 60)
        last_error = "no answer"
        while time.monotonic() < deadline:
            container.reload()
            if container.status == "exited":
                logs = container.logs().decode("utf-8", "replace")[-400:]
                raise RuntimeError(f"container exited before answering: {logs}")
            binding = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{check.port}/tcp")
            if binding:
                url = f"http://127.0.0.1:{binding[0]['HostPort']}{check.path}"
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        return f"{response.status}\n" + response.read().decode("utf-8", "replace")
                except Exception as e:  # not listening yet
                    last_error = str(e)
            time.sleep(0.3)
        raise RuntimeError(f"no HTTP answer on port {check.port} within the timeout ({last_error})")
    finally:
        try:
            container.remove(force=True)
        except Exception:
            pass


# --------------------------------------------------------------------------
# packages

_PY_LIST = (
    "import json, importlib.metadata as m; "
    "print(json.dumps(sorted({(d.metadata['Name'] or '').lower().replace('_', '-'): d.version "
    "for d in m.distributions()}.items())))"
)


def _python_packages(engine, image: str) -> dict[str, str] | None:
    for exe in ("python3", "python"):
        try:
            result = engine.run(image, ["-c", _PY_LIST], entrypoint=[exe], timeout=60)
        except Exception:
            continue
        if result.exit_code == 0:
            try:
                return {k: v for k, v in json.loads(result.stdout.strip().splitlines()[-1])}
            except (ValueError, IndexError):
                return None
    return None


def _npm_packages(engine, image: str, workdir: str) -> dict[str, str] | None:
    if not workdir:
        return None
    try:
        result = engine.run(image, ["ls", "--omit=dev", "--all", "--parseable", "--long"],
                            entrypoint=["npm"], workdir=workdir, timeout=60)
    except Exception:
        return None
    if result.exit_code not in (0, 1) or not result.stdout.strip():
        return None
    out = {}
    for line in result.stdout.splitlines():
        parts = line.split(":")
        if len(parts) >= 2 and "@" in parts[1]:
            name, _, version = parts[1].rpartition("@")
            if parts[0].rstrip("/") != workdir.rstrip("/"):
                out[name] = version
    return out


def compare_packages(engine, original: str, optimized: str, warnings: list[str],
                     original_base: str | None = None) -> list[Check]:
    checks: list[Check] = []
    py_a = _python_packages(engine, original)
    if py_a is not None and original_base and engine.exists(original_base):
        # only what the Dockerfile installed is the app's: a Go builder image that happens to
        # carry Debian's python3 has no Python app to compare
        base = _python_packages(engine, original_base) or {}
        own = {k: v for k, v in py_a.items() if base.get(k) != v and k not in TOOLING_PYTHON}
        if not own:
            warnings.append("the original's Python packages all come from its base image: "
                            "no Python packages of the app to compare")
            py_a = None
    if py_a is not None:
        py_b = _python_packages(engine, optimized)
        if py_b is None:
            checks.append(Check("packages", "python", False, "the optimized image has no working python"))
        else:
            checks.append(_compare_listing("python", py_a, py_b, TOOLING_PYTHON, warnings))
    workdir = (_config(engine, original).get("WorkingDir") or "")
    npm_a = _npm_packages(engine, original, workdir)
    if npm_a:
        npm_b = _npm_packages(engine, optimized, workdir)
        if npm_b is None:
            checks.append(Check("packages", "npm", False, "the optimized image has no npm listing for " + workdir))
        else:
            checks.append(_compare_listing("npm", npm_a, npm_b, frozenset(), warnings))
    return checks


def _compare_listing(name: str, a: dict, b: dict, ignore: frozenset, warnings: list[str]) -> Check:
    missing = sorted(k for k in a if k not in b and k not in ignore)
    changed = sorted(f"{k} {a[k]} -> {b[k]}" for k in a if k in b and a[k] != b[k] and k not in ignore)
    extra = sorted(k for k in b if k not in a and k not in ignore)
    if extra:
        warnings.append(f"optimized image has extra {name} packages: {', '.join(extra)}")
    ok = not missing and not changed
    detail = "; ".join(filter(None, [
        f"missing: {', '.join(missing)}" if missing else "",
        f"changed: {', '.join(changed)}" if changed else "",
    ])) or f"{len(a)} packages equal"
    return Check("packages", name, ok, detail)


# --------------------------------------------------------------------------
# files


def _skip(path: str) -> bool:
    parts = path.split("/")
    return path.endswith(SKIP_SUFFIXES) or any(p in SKIP_PARTS for p in parts)


def file_digests(stream, prefixes: Iterable[str]) -> dict[str, str]:
    """Content digests of the regular files under ``prefixes`` in a ``docker save`` stream.

    The stream is read once; layers are applied in manifest order with
    whiteouts, so the result is the final file tree's view. Zip archives
    (jar, war, whl) digest their member names and CRCs, not their bytes.
    """
    prefixes = [p.rstrip("/") or "/" for p in prefixes]
    layer_files: dict[str, dict[str, str | None]] = {}
    manifest = None
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            name = member.name
            if name == "manifest.json":
                manifest = json.load(outer.extractfile(member))
            elif name.endswith(".tar") or name.startswith("blobs/"):
                fh = outer.extractfile(member)
                if fh is not None:
                    layer_files[name] = _layer_digests(fh, prefixes)
    if manifest is None:
        raise ValueError("not a docker-archive stream (no manifest.json)")
    tree: dict[str, str] = {}
    for layer in manifest[0]["Layers"]:
        for path, digest in layer_files.get(layer, {}).items():
            if digest is None:
                for key in [k for k in tree if k == path or k.startswith(path + "/")]:
                    del tree[key]
            elif digest == "<opaque>":
                for key in [k for k in tree if k.startswith(path + "/")]:
                    del tree[key]
            else:
                tree[path] = digest
    return tree


def _under(path: str, prefixes: list[str]) -> bool:
    return any(p == "/" or path == p or path.startswith(p + "/") for p in prefixes)


def _layer_digests(fh, prefixes: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    with tarfile.open(fileobj=fh, mode="r|*") as layer:
        for member in layer:
            path = "/" + member.name.lstrip("./").lstrip("/")
            base = posixpath.basename(path)
            parent = posixpath.dirname(path)
            if base == ".wh..wh..opq":
                if _under(parent, prefixes) or any(p.startswith(parent + "/") for p in prefixes):
                    out[parent] = "<opaque>"
                continue
            if base.startswith(".wh."):
                target = posixpath.join(parent, base[4:])
                if _under(target, prefixes) or any(p.startswith(target + "/") for p in prefixes):
                    out[target] = None
                continue
            if not _under(path, prefixes):
                continue
            if member.isfile():
                data = layer.extractfile(member).read()
                out[path] = _digest(path, data)
            elif member.issym():
                out[path] = "symlink:" + member.linkname
            elif member.islnk():
                out[path] = "hardlink:" + member.linkname
    return out


def _digest(path: str, data: bytes) -> str:
    if path.endswith((".jar", ".war", ".ear", ".whl", ".zip")):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                members = sorted(
                    (i.filename, i.CRC, i.file_size) for i in zf.infolist()
                    # the manifest carries build tool versions and times
                    if i.filename != "META-INF/MANIFEST.MF"
                )
            return "zip:" + hashlib.sha256(repr(members).encode()).hexdigest()
        except zipfile.BadZipFile:
            pass
    return hashlib.sha256(data).hexdigest()


def compare_files(engine, original: str, optimized: str, paths: list[str]) -> Check:
    name = ", ".join(paths)
    try:
        a = file_digests(engine.save(original), paths)
        b = file_digests(engine.save(optimized), paths)
    except Exception as e:
        return Check("files", name, False, f"could not read the images: {e}")
    a = {k: v for k, v in a.items() if not _skip(k)}
    b = {k: v for k, v in b.items() if not _skip(k)}
    # a path the original does not have at all is a new layout (a venv at /opt/venv where the
    # original used system site-packages): the packages check covers it, not the files check
    new_layout = [p for p in paths if not any(_under(k, [p]) for k in a)]
    b = {k: v for k, v in b.items() if not _under(k, new_layout)}
    checked = [p for p in paths if p not in new_layout]
    name = ", ".join(checked) if checked else name
    changed = sorted(k for k in b if k in a and a[k] != b[k])
    added = sorted(k for k in b if k not in a)
    missing = sorted(k for k in a if k not in b)
    problems = []
    if changed:
        problems.append(f"{len(changed)} files differ: {', '.join(changed[:5])}")
    if missing:
        problems.append(f"{len(missing)} files missing: {', '.join(missing[:5])}")
    if added:
        problems.append(f"{len(added)} files only in the optimized image: {', '.join(added[:5])}")
    if not a and not b:
        problems.append("no files found under the checked paths in either image")
    detail = "; ".join(problems) or f"{len(b)} files equal"
    if new_layout and not problems:
        detail += f" ({', '.join(new_layout)} not in the original: a new layout, checked through packages)"
    return Check("files", name, not problems, detail)
