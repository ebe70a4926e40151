"""Predict the optimized image's size before building it.

The prediction adds up what the final stage of the optimized Dockerfile will
hold, measured wherever it can be measured without a build:

* **the runtime base** — its size from the engine when the image is there,
  else the base-image table (:func:`dopt.data.base_images.size_mb`);
* **``COPY --from=<builder>``** — the same paths in the *original* image's file
  tree (the builder stage runs the original's steps on the original's base).
  A virtualenv the builder makes (``python -m venv /opt/venv``) is not in the
  original: it is what pip installed there (site/dist-packages files above the
  base layers) plus the pip/setuptools a venv bootstraps. A ``node_modules``
  the builder prunes (``npm prune --omit=dev``) loses the packages the context's
  ``package-lock.json`` marks ``"dev": true``;
* **COPY from the context** — the sizes of the files sent (``.dockerignore``
  applied, :mod:`dopt.dockerignore`);
* **``apt-get install``** — the installed sizes (dpkg ``Installed-Size``) of the
  packages and the dependencies the runtime base lacks, from the original's
  package database, plus the package lists and caches the RUN leaves behind;
* **other RUNs** — the original's layer for the same command, keeping only the
  files the runtime will have (a ``chmod -R`` re-copies what it touches).

Sizes are what ``docker image inspect`` counts: the sum of the layers.

Example (needs an engine and the original image)::

    >>> from dopt.frontend import parse_text
    >>> p = predict("dopt-original:abc", parse_text(open("Dockerfile.opt").read()),
    ...             context="app/")                                         # doctest: +SKIP
    >>> p.predicted_bytes, p.components[0]                                    # doctest: +SKIP
    (525301234, ('base python:3.11-slim (engine)', 238896120))
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from dopt.errors import DoptError

_SITE = re.compile(r"^(?:usr/local/lib|usr/lib|opt/[^/]+/lib|root/\.local/lib)/python3(?:\.\d+)?/"
                   r"(?:site|dist)-packages/(?P<top>[^/]+)")
_BOOTSTRAP = re.compile(r"^(pip|setuptools|pkg_resources|_distutils_hack)([-_.].*)?$|^distutils-precedence\.pth$")
_VENV = re.compile(r"(?:^|[\s;&|])(?:python[\d.]*\s+-m\s+(?:venv|virtualenv)|virtualenv)\s+(?:-\S+\s+)*(?P<path>[^\s;&|]+)")
_NPM_PRUNE = re.compile(r"\bnpm\s+(?:prune|ci|install|i)\b[^;&|]*--(?:omit=dev|production|only=prod)")


@dataclass
class Prediction:
    """The predicted size (bytes, as ``docker image inspect`` counts) and what it is made of."""

    predicted_bytes: int
    components: list[tuple[str, int]]
    method: str
    notes: list[str] = field(default_factory=list)

    def error_percent(self, actual_bytes: int) -> float:
        """Signed error against the built image: positive when the prediction is larger.

        >>> Prediction(110, [], "x").error_percent(100)
        10.0
        """
        return 100.0 * (self.predicted_bytes - actual_bytes) / actual_bytes if actual_bytes else 0.0

    def to_dict(self, actual_bytes: int | None = None) -> dict:
        out = {
            "predicted_bytes": self.predicted_bytes,
            "predicted_mb": round(self.predicted_bytes / 1e6, 1),
            "method": self.method,
            "components": [{"what": w, "bytes": b} for w, b in self.components],
            "notes": list(self.notes),
        }
        if actual_bytes is not None:
            out["actual_bytes"] = actual_bytes
            out["error_percent"] = round(self.error_percent(actual_bytes), 2)
        return out


# ---------------------------------------------------------------------------
# dpkg database (with the dependency fields installed_packages leaves out)


@dataclass(frozen=True)
class _Deb:
    name: str
    installed_bytes: int
    depends: tuple[tuple[str, ...], ...]      # alternatives per dependency
    recommends: tuple[tuple[str, ...], ...]
    provides: tuple[str, ...]


def _relations(text: str) -> tuple[tuple[str, ...], ...]:
    out = []
    for item in text.split(","):
        alts = []
        for alt in item.split("|"):
            name = alt.strip().split(" ", 1)[0].split("(", 1)[0].split(":", 1)[0].strip()
            if name:
                alts.append(name)
        if alts:
            out.append(tuple(alts))
    return tuple(out)


def parse_dpkg(data: bytes) -> dict[str, _Deb]:
    """Installed packages of a dpkg ``status`` file with their dependencies.

    >>> db = parse_dpkg(b"Package: a\\nStatus: install ok installed\\nInstalled-Size: 2\\nDepends: b (>= 1) | c, d:any\\n")
    >>> db["a"].installed_bytes, db["a"].depends
    (2048, (('b', 'c'), ('d',)))
    """
    out: dict[str, _Deb] = {}
    for block in re.split(r"\n\s*\n", data.decode("utf-8", "replace")):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t"):
                if key in ("Depends", "Pre-Depends", "Recommends", "Provides"):
                    fields[key] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if sep:
                fields[key] = value.strip()
        name = fields.get("Package")
        if not name or fields.get("Status", "install ok installed").split()[-1:] != ["installed"]:
            continue
        try:
            size = int(fields.get("Installed-Size", "0") or 0) * 1024
        except ValueError:
            size = 0
        depends = _relations(fields.get("Pre-Depends", "")) + _relations(fields.get("Depends", ""))
        out[name] = _Deb(name, size, depends, _relations(fields.get("Recommends", "")),
                         tuple(a[0] for a in _relations(fields.get("Provides", ""))))
    return out


def _dpkg_of(tree) -> dict[str, _Deb]:
    db: dict[str, _Deb] = {}
    for path in sorted(tree.files):
        if path == "var/lib/dpkg/status" or path.startswith("var/lib/dpkg/status.d/"):
            db.update(parse_dpkg(tree.files[path]))
    return db


def apt_closure(wanted, available: dict[str, _Deb], present: set[str], *, recommends: bool = False):
    """Packages ``apt-get install wanted`` adds: ``wanted`` and their dependencies not in ``present``.

    Returns ``(names found in available, names not found)``.

    >>> db = parse_dpkg(b"Package: a\\nInstalled-Size: 1\\nDepends: b, libc6\\n\\nPackage: b\\nInstalled-Size: 1\\n")
    >>> apt_closure(["a"], db, {"libc6"})
    (['a', 'b'], [])
    """
    provided = {}
    for deb in available.values():
        for virtual in deb.provides:
            provided.setdefault(virtual, deb.name)
    found: list[str] = []
    missing: list[str] = []
    seen: set[str] = set()
    stack = list(reversed([w for w in wanted]))
    while stack:
        name = stack.pop()
        if name in seen or name in present:
            continue
        seen.add(name)
        deb = available.get(name) or available.get(provided.get(name, ""))
        if deb is None:
            missing.append(name)
            continue
        if deb.name in present:
            continue
        found.append(deb.name)
        rels = deb.depends + (deb.recommends if recommends else ())
        for alts in rels:
            if any(a in present or a in seen for a in alts):
                continue
            pick = next((a for a in alts if a in available or a in provided), alts[0])
            stack.append(pick)
    return found, missing


# ---------------------------------------------------------------------------
# Helpers over the IR


def _stage_index(df, ref: str) -> int | None:
    for i, s in enumerate(df.stages):
        if s.name and s.name.lower() == ref.lower():
            return i
    if ref.isdigit() and int(ref) < len(df.stages):
        return int(ref)
    return None


def _workdirs(stage):
    """(instruction, working directory before it) for each instruction of ``stage``."""
    from dopt.ir import Workdir

    wd = "/"
    for ins in stage.instructions:
        yield ins, wd
        if isinstance(ins, Workdir) and "$" not in ins.path:
            wd = posixpath.normpath(posixpath.join(wd, ins.path))


def _abs(path: str, wd: str) -> str:
    return posixpath.normpath(posixpath.join(wd, path))


def _run_text(ins) -> str:
    from dopt.ir import ExecForm

    return " ".join(ins.command.args) if isinstance(ins.command, ExecForm) else ins.command.text


def _norm(text: str) -> str:
    return " ".join(text.replace("\\\n", " ").split())


def _commands(ins) -> list[str]:
    """Each simple command of a RUN as written (normalized whitespace)."""
    from dopt.shell import parse_script

    text = _run_text(ins)
    try:
        script = parse_script(text)
    except DoptError:
        return [_norm(text)]
    return [_norm(script.text[c.start:c.end]) for c in script.commands if c.end > c.start]


def _ops(ins):
    from dopt.ir import Run, ShellForm
    from dopt.packages import package_ops
    from dopt.shell import parse_script

    if not isinstance(ins, Run) or not isinstance(ins.command, ShellForm):
        return ()
    try:
        return package_ops(parse_script(ins.command.text))
    except DoptError:
        return ()


# ---------------------------------------------------------------------------
# The predictor


class _Images:
    """Image file trees read once per process (analysis streams the whole image)."""

    cache: dict[str, object] = {}
    LIMIT = 4  # a tree of a 2 GB image is a few hundred MB of Python objects

    @classmethod
    def report(cls, ref: str, engine, base: str | None = None):
        from dopt.images import analyze

        image_id = engine.image_inspect(ref).get("Id", ref)
        key = f"{image_id}|{base}"
        if key in cls.cache:
            cls.cache[key] = cls.cache.pop(key)  # most recently used last
        else:
            base_arg = base if base and engine.exists(base) else None
            while len(cls.cache) >= cls.LIMIT:
                cls.cache.pop(next(iter(cls.cache)))
            cls.cache[key] = analyze(ref, client=engine.client, base_image=base_arg, largest=0, explain_limit=1)
        return cls.cache[key]


class _Predictor:
    def __init__(self, engine, original, df, context, dockerfile):
        self.engine = engine
        self.original = original              # ImageReport of the original image
        self.tree = original.tree
        self.base_layers = original.base_layer_count or 0
        self.df = df
        self.context = Path(context) if context else None
        self.dockerfile = dockerfile
        self.components: list[tuple[str, int]] = []
        self.notes: list[str] = []
        self.methods: set[str] = set()
        self.available = _dpkg_of(self.tree)
        self._context_files: dict[str, int] | None = None

    def add(self, what: str, size: int) -> None:
        self.components.append((what, int(size)))

    # -- base ------------------------------------------------------------
    def base(self, ref: str) -> tuple[int, object | None]:
        from dopt.data.base_images import size_mb

        if ref == "scratch":
            self.add("base scratch", 0)
            return 0, None
        from dopt.engine.client import EngineError

        try:
            size = self.engine.image_size(ref)
            self.add(f"base {ref} (engine)", size)
            self.methods.add("engine base size")
            return size, ref
        except EngineError:
            pass
        mb = size_mb(ref, compressed=False)
        if mb is None:
            self.notes.append(f"base {ref}: not in the engine nor in the base-image table; counted as 0")
            self.add(f"base {ref} (unknown)", 0)
            return 0, None
        self.add(f"base {ref} (base-image table)", int(mb * 1e6))
        self.methods.add("base-image table")
        return int(mb * 1e6), None

    def base_tree(self, ref: str | None):
        if ref is None:
            return None
        try:
            return _Images.report(ref, self.engine).tree
        except DoptError as e:
            self.notes.append(f"base {ref}: could not read its files ({e})")
            return None

    # -- the context -----------------------------------------------------
    def context_files(self) -> dict[str, int]:
        if self._context_files is None:
            from dopt.dockerignore import BuildContext

            self._context_files = {}
            if self.context is not None:
                ctx = BuildContext(self.context, self.dockerfile)
                for rel in ctx.files("."):
                    try:
                        self._context_files[rel] = (self.context / rel).lstat().st_size
                    except OSError:
                        pass
        return self._context_files

    def copy_context(self, ins, wd: str, runtime_paths: set[str]) -> None:
        import fnmatch

        files = self.context_files()
        dest = _abs(ins.dest, wd)
        sources = [s for s in ins.sources if "://" not in s and not s.startswith("<<")]
        total = 0
        for src in sources:
            rel = posixpath.normpath(src.lstrip("/")) if src.strip("/") else "."
            if rel in (".", "*"):
                chosen = {f: f for f in files}
            elif any(ch in rel for ch in "*?["):
                chosen = {f: posixpath.basename(f) for f in files if fnmatch.fnmatchcase(f, rel)}
            elif rel in files:
                chosen = {rel: posixpath.basename(rel)}
            else:
                chosen = {f: f[len(rel) + 1:] for f in files if f.startswith(rel + "/")}
            for f, inner in chosen.items():
                total += files[f]
                if len(sources) == 1 and rel in files and not ins.dest.endswith("/"):
                    runtime_paths.add(dest.strip("/"))
                else:
                    runtime_paths.add(posixpath.join(dest, inner).strip("/"))
        for h in getattr(ins, "heredocs", ()):
            total += len(h.content.encode())
        if self.context is None:
            self.notes.append(f"line {ins.span.start_line if ins.span else '?'}: no context given; "
                              "context COPY counted as 0")
        self.add(f"{ins.KIND} {' '.join(sources)} (context)", total)
        self.methods.add("context file sizes")

    # -- COPY --from -----------------------------------------------------
    def copy_from(self, ins, wd: str, runtime_paths: set[str]) -> None:
        ref = ins.from_stage
        index = _stage_index(self.df, ref)
        dest = _abs(ins.dest, wd)
        for src in ins.sources:
            if index is None:
                self.notes.append(f"COPY --from={ref} {src}: an external image; not estimated")
                self.add(f"COPY --from={ref} {src} (not estimated)", 0)
                continue
            builder = self.df.stages[index]
            builder_wd = "/"
            for _i, w in _workdirs(builder):
                builder_wd = w
            path = _abs(src, builder_wd if not src.startswith("/") else "/")
            parts = self.stage_path(builder, path)
            target = dest if (len(ins.sources) == 1 and not ins.dest.endswith("/")) else \
                posixpath.join(dest, posixpath.basename(path))
            runtime_paths.add(target.strip("/"))
            for what, size in parts:
                self.add(f"COPY --from={ref} {src}{': ' + what if what else ''}", size)

    def stage_path(self, builder, path: str) -> list[tuple[str, int]]:
        """What copying ``path`` out of the builder stage brings: (detail, bytes) parts."""
        rel = path.strip("/")
        venv = next((m["path"] for ins in builder.instructions if ins.KIND == "RUN"
                     for m in _VENV.finditer(_run_text(ins))), None)
        if venv and _abs(venv, "/") == path and rel not in self.tree.nodes:
            return self.venv_parts()
        if rel not in self.tree.nodes:
            self.notes.append(f"{path}: not in the original image; counted as 0")
            return [("not in the original image", 0)]
        parts = [("", self.tree.subtree_size(rel))]
        self.methods.add("original file tree")
        if any(_NPM_PRUNE.search(_run_text(i)) for i in builder.instructions if i.KIND == "RUN"):
            parts.extend(self.node_dev_parts(rel))
        return parts

    def venv_parts(self) -> list[tuple[str, int]]:
        added = bootstrap = 0
        for p, node in self.tree.walk():
            m = _SITE.match(p)
            if not m:
                continue
            if node.layer >= self.base_layers:
                added += node.size
            elif _BOOTSTRAP.match(m["top"]):
                bootstrap += node.size
        self.methods.add("pip-installed files of the original")
        return [("packages pip installed in the original", added),
                ("pip and setuptools the venv bootstraps", bootstrap)]

    def node_dev_parts(self, app: str) -> list[tuple[str, int]]:
        """Minus the ``app/node_modules`` packages the lock file marks dev-only (what a prune removes)."""
        lock = self.lock_for(app)
        if lock is None:
            self.notes.append(f"/{app}: npm prune in the builder, but no package-lock.json in the context to "
                              "tell dev packages apart; counted unpruned")
            return []
        dev = sorted(k for k, v in lock.items() if v.get("dev"))
        total = 0
        kept: list[str] = []
        for key in dev:
            if any(key.startswith(k + "/") for k in kept):
                continue
            kept.append(key)
            total += self.tree.subtree_size(f"{app}/{key}")
        self.methods.add("package-lock dev flags")
        return [(f"minus {len(kept)} dev-only npm packages (package-lock.json)", -total)]

    def lock_for(self, app: str) -> dict | None:
        if self.context is None:
            return None
        for name in ("package-lock.json", "npm-shrinkwrap.json"):
            in_image = self.tree.nodes.get(f"{app}/{name}")
            if in_image is None:
                continue
            for rel, size in self.context_files().items():
                if posixpath.basename(rel) == name and size == in_image.size and "node_modules/" not in rel:
                    try:
                        data = json.loads((self.context / rel).read_text(encoding="utf-8"))
                    except (OSError, ValueError):
                        continue
                    return _lock_packages(data)
        return None

    # -- RUN -------------------------------------------------------------
    def run(self, ins, base_tree, runtime_paths: set[str]) -> None:
        ops = _ops(ins)
        apt = [o for o in ops if o.manager == "apt"]
        installs = [o for o in apt if o.action == "install"]
        handled: set[str] = set()
        if installs:
            self.apt(ins, apt, installs, base_tree)
            handled = {c for c in _commands(ins) if c.split(" ", 1)[0] in ("apt-get", "apt", "rm")}
        rest = [c for c in _commands(ins) if c not in handled]
        if rest:
            self.run_like_original(ins, rest, runtime_paths)

    def apt(self, ins, apt_ops, installs, base_tree) -> None:
        present = set(_dpkg_of(base_tree)) if base_tree is not None else set()
        wanted = [p.split("=", 1)[0] for o in installs for p in o.packages]
        recommends = not all(o.no_install_recommends for o in installs)
        found, missing = apt_closure(wanted, self.available, present, recommends=recommends)
        size = sum(self.available[n].installed_bytes for n in found)
        self.add(f"apt-get install {' '.join(wanted)} (+{len(found) - len(set(wanted) & set(found))} "
                 "dependencies, dpkg Installed-Size)", size)
        self.methods.add("dpkg Installed-Size")
        if missing:
            self.notes.append(f"apt packages not in the original's database: {', '.join(missing)} (counted as 0)")
        actions = {o.action for o in apt_ops}
        if base_tree is not None:
            overhead = 2 * base_tree.nodes.get("var/lib/dpkg/status", _Zero).size
            for p in ("var/cache/debconf/templates.dat", "var/cache/debconf/config.dat", "etc/ld.so.cache"):
                overhead += base_tree.nodes.get(p, _Zero).size
            self.add("  dpkg database and logs rewritten", overhead)
        if "update" in actions and "clean-lists" not in actions:
            self.add("  apt lists left by apt-get update", self.tree.subtree_size("var/lib/apt/lists"))
        auto_clean = base_tree is not None and "etc/apt/apt.conf.d/docker-clean" in base_tree.nodes
        if "clean" not in actions and not auto_clean:
            caches = sum(self.tree.nodes.get(f"var/cache/apt/{n}", _Zero).size
                         for n in ("pkgcache.bin", "srcpkgcache.bin"))
            debs = 0
            for name in found:
                for p, node in self.tree.walk("var/cache/apt/archives"):
                    if posixpath.basename(p).startswith(name + "_"):
                        debs += node.size
            self.add("  apt caches kept (no apt-get clean): pkgcache.bin, srcpkgcache.bin, .debs", caches + debs)

    def run_like_original(self, ins, commands: list[str], runtime_paths: set[str]) -> None:
        wanted = set(commands) | {_norm(_run_text(ins))}
        layers = [l.index for l in self.original.layers
                  if l.kind == "RUN" and _norm(l.instruction[4:] if l.instruction.startswith("RUN ") else
                                                l.instruction) in wanted]
        if not layers:
            self.notes.append(f"line {ins.span.start_line if ins.span else '?'}: RUN {' && '.join(commands)[:60]} "
                              "has no counterpart in the original; counted as 0")
            self.add(f"RUN {' && '.join(commands)[:60]} (no counterpart)", 0)
            return
        size = 0
        for rec in self.tree.records.values():
            for n, ev in enumerate(rec.events):
                if ev.layer not in layers or ev.action == "deleted":
                    continue
                created_here = n == 0 or rec.events[n - 1].action == "deleted"
                if created_here or _under(rec.path, runtime_paths):
                    size += ev.size
        self.add(f"RUN {' && '.join(commands)[:60]} (as in the original's layer)", size)
        self.methods.add("original layers")

    # -- a stage ---------------------------------------------------------
    def stage(self, index: int) -> None:
        from dopt.ir import CopyLike, Run

        stage = self.df.stages[index]
        parent = _stage_index(self.df, stage.base.raw) if index else None
        if parent is not None and parent < index:
            self.stage(parent)
            base_ref = None
        else:
            _size, base_ref = self.base(stage.base.raw)
        base_tree = None
        runtime_paths: set[str] = set()
        for ins, wd in _workdirs(stage):
            if isinstance(ins, CopyLike):
                if ins.from_stage is not None:
                    self.copy_from(ins, wd, runtime_paths)
                else:
                    self.copy_context(ins, wd, runtime_paths)
            elif isinstance(ins, Run):
                if base_tree is None and any(o.manager == "apt" and o.action == "install" for o in _ops(ins)):
                    base_tree = self.base_tree(base_ref)
                self.run(ins, base_tree, runtime_paths)


class _Zero:
    size = 0


def _under(path: str, prefixes: set[str]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def _lock_packages(data: dict) -> dict[str, dict]:
    """``{"node_modules/x": {...}}`` of a package-lock (v2/v3 ``packages``, or v1 nested ``dependencies``).

    >>> _lock_packages({"dependencies": {"a": {"dev": True, "dependencies": {"b": {}}}}})
    {'node_modules/a': {'dev': True}, 'node_modules/a/node_modules/b': {}}
    """
    if isinstance(data.get("packages"), dict):
        return {k: v for k, v in data["packages"].items() if k.startswith("node_modules/") and isinstance(v, dict)}
    out: dict[str, dict] = {}

    def walk(deps: dict, prefix: str) -> None:
        for name, info in deps.items():
            if not isinstance(info, dict):
                continue
            key = f"{prefix}node_modules/{name}"
            out[key] = {k: v for k, v in info.items() if k != "dependencies"}
            walk(info.get("dependencies") or {}, key + "/")

    walk(data.get("dependencies") or {}, "")
    return out


def predict(original_image: str, optimized_df, *, context: str | os.PathLike | None = None, engine=None,
            original_base: str | None = None, dockerfile: str | None = None) -> Prediction:
    """Predict the size of ``optimized_df``'s image from the built original (no build).

    ``original_image`` is a local image reference; ``context`` the build
    context (for COPY from it and for ``package-lock.json``); ``original_base``
    the original's base image (default: the first stage's base of
    ``optimized_df``, which the builder keeps), so what the original's build
    added can be told from what its base had.

    >>> predict("x", None)
    Traceback (most recent call last):
    ...
    dopt.errors.UsageError: predict needs the optimized Dockerfile (a dopt.ir.Dockerfile)
    """
    from dopt.errors import UsageError

    if optimized_df is None or not getattr(optimized_df, "stages", None):
        raise UsageError("predict needs the optimized Dockerfile (a dopt.ir.Dockerfile)")
    if engine is None:
        from dopt.engine.client import connect

        engine = connect()
    base = original_base or optimized_df.stages[0].base.raw
    original = _Images.report(original_image, engine, base)
    p = _Predictor(engine, original, optimized_df, context, dockerfile)
    p.stage(len(optimized_df.stages) - 1)
    total = sum(size for _what, size in p.components)
    method = "; ".join(sorted(p.methods)) or "base only"
    return Prediction(max(total, 0), p.components, method, p.notes)
