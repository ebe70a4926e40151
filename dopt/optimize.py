"""The main job: compile, build original and optimized on a real engine, verify, measure.

``optimize(request)`` returns an :class:`OptimizeOutcome`. It writes the
output Dockerfile only when the optimized image was verified to behave like
the original, or, with ``verify=False``, with a loud UNVERIFIED header. When
the optimized build or its verification fails, it finds the pass responsible
by bisecting over the pipeline's passes, drops it, and tries again.

Example (needs an engine)::

    >>> from dopt.optimize import OptimizeRequest, optimize      # doctest: +SKIP
    >>> out = optimize(OptimizeRequest(dockerfile="tests/fixtures/python_ml/Dockerfile",
    ...                                context="tests/fixtures/python_ml/context",
    ...                                output="Dockerfile.optimized"))   # doctest: +SKIP
    >>> out.verified, round(out.size_reduction_percent)          # doctest: +SKIP
    (True, 71)
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import tempfile
from pathlib import Path
from typing import Callable

import attrs
from attrs import define, field

from dopt.errors import BuildFailed, DoptError, UsageError, VerificationFailed


@define
class OptimizeRequest:
    dockerfile: str | os.PathLike
    context: str | os.PathLike | None = None
    output: str | os.PathLike | None = None
    pipeline: str | None = None            # default: the -O2 pipeline
    runtime_deps: list[str] = field(factory=list)
    verify: bool = True
    smoke: list[list[str]] = field(factory=list)
    http: list = field(factory=list)        # verification.HttpCheck
    verify_paths: list[str] = field(factory=list)
    builder: str | None = None
    platform: str | None = None
    build_args: dict[str, str] = field(factory=dict)
    bisect: bool = True
    keep_images: bool = True
    tag_prefix: str = "dopt"


@define
class ImageFacts:
    tag: str
    image_id: str
    size_bytes: int
    layers: int
    build_seconds: float
    cache_hits: int = 0
    steps: int = 0

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6  # decimal MB, as `docker images` shows

    def to_dict(self) -> dict:
        return {
            "tag": self.tag, "image_id": self.image_id, "size_bytes": self.size_bytes,
            "size_mb": round(self.size_mb, 1), "layers": self.layers,
            "build_seconds": round(self.build_seconds, 2), "cache_hits": self.cache_hits, "steps": self.steps,
        }


@define
class Attempt:
    """One compile+build+verify try during bisection."""

    pipeline: str
    ok: bool
    reason: str = ""


@define
class OptimizeOutcome:
    dockerfile: str
    original_text: str
    optimized_text: str
    pipeline: str
    original: ImageFacts
    optimized: ImageFacts | None = None
    applied: list[str] = field(factory=list)
    declined: list[str] = field(factory=list)
    warnings: list[str] = field(factory=list)
    verification: object | None = None     # VerificationReport
    verified: bool = False
    culprits: list[tuple[str, str]] = field(factory=list)   # (pass, why)
    attempts: list[Attempt] = field(factory=list)
    output: str | None = None
    backend: str = ""
    prediction: object | None = None       # prediction.Prediction, made before the optimized build
    platforms: list = field(factory=list)  # multiplatform.PlatformRow, one per --platform item (2 or more)

    @property
    def size_reduction_percent(self) -> float:
        if not self.optimized or not self.original.size_bytes:
            return 0.0
        return 100.0 * (self.original.size_bytes - self.optimized.size_bytes) / self.original.size_bytes

    @property
    def layer_reduction_percent(self) -> float:
        if not self.optimized or not self.original.layers:
            return 0.0
        return 100.0 * (self.original.layers - self.optimized.layers) / self.original.layers

    @property
    def build_speedup(self) -> float:
        if not self.optimized or not self.optimized.build_seconds:
            return 1.0
        return self.original.build_seconds / self.optimized.build_seconds

    def to_dict(self) -> dict:
        return {
            "schema": "dopt.optimize/1",
            "dockerfile": self.dockerfile,
            "pipeline": self.pipeline,
            "backend": self.backend,
            "original": self.original.to_dict(),
            "optimized": self.optimized.to_dict() if self.optimized else None,
            "size_reduction_percent": round(self.size_reduction_percent, 1),
            "layer_reduction_percent": round(self.layer_reduction_percent, 1),
            "verified": self.verified,
            "verification": self.verification.to_dict() if self.verification else None,
            "applied": list(self.applied),
            "declined": list(self.declined),
            "warnings": list(self.warnings),
            "culprits": [{"pass": p, "reason": r} for p, r in self.culprits],
            "attempts": [{"pipeline": a.pipeline, "ok": a.ok, "reason": a.reason} for a in self.attempts],
            "output": self.output,
            "prediction": self.prediction.to_dict(self.optimized.size_bytes if self.optimized else None)
            if self.prediction else None,
            "platforms": [row.to_dict() for row in self.platforms],
            "optimized_dockerfile": self.optimized_text,
        }


Progress = Callable[[str], None]


def optimize(request: OptimizeRequest, *, engine=None, progress: Progress | None = None) -> OptimizeOutcome:
    from dopt.engine.build import build, detect_builder, require_heredocs
    from dopt.engine.client import connect
    from dopt.files import read_dockerfile
    from dopt.frontend import parse_text
    from dopt.pipeline import level_pipeline, parse_pipeline

    from dopt.files import same_file

    if request.platform and "," in request.platform:
        from dopt.engine.platforms import parse_platforms
        from dopt.multiplatform import optimize_platforms

        platforms = parse_platforms(request.platform)
        if len(platforms) > 1:
            return optimize_platforms(request, platforms, engine=engine, progress=progress)
        request = attrs.evolve(request, platform=platforms[0])
    say = progress or (lambda message: None)
    path = str(request.dockerfile)
    if request.output and same_file(str(request.output), path):
        raise UsageError(f"-o {request.output} is the input file; write the optimized Dockerfile elsewhere")
    text = read_dockerfile(path)
    original_df = parse_text(text, path=path)
    context = Path(request.context) if request.context else Path(path).resolve().parent
    if not context.is_dir():
        raise UsageError(f"build context {context} is not a directory")
    pipeline = parse_pipeline(request.pipeline or level_pipeline("2"))

    engine = engine or connect()
    backend = detect_builder(request.builder)
    if any(getattr(i, "heredocs", ()) for i in original_df.instructions()):
        require_heredocs(backend)

    key = hashlib.sha256((str(Path(path).resolve()) + text).encode()).hexdigest()[:12]
    original_tag = f"{request.tag_prefix}-original:{key}"
    say(f"building the original image ({backend.describe()})")
    original_build = build(path, context, original_tag, build_args=request.build_args,
                           platform=request.platform, backend=backend, engine=engine)
    original = _facts(engine, original_tag, original_build)
    say(f"original: {original.size_mb:.1f} MB, {original.layers} layers, {original.build_seconds:.1f}s")

    settings = {"runtime_deps": list(request.runtime_deps), "path": path, "context_dir": str(context)}
    outcome = OptimizeOutcome(path, text, text, str(pipeline), original, backend=backend.kind)

    candidates = pipeline
    with tempfile.TemporaryDirectory(prefix="dopt-optimize-") as tmp:
        while True:
            result = _compile(original_df, candidates, settings)
            outcome.pipeline = str(candidates)
            outcome.optimized_text = result.text
            outcome.applied = [str(d) for d in result.applied]
            outcome.declined = [str(d) for d in result.declined]
            outcome.warnings = [str(d) for d in result.diagnostics if d.kind == "warning"]
            if result.text == text:
                outcome.optimized = original
                outcome.warnings.append("the pipeline changed nothing: the Dockerfile is already as good as "
                                        "these passes make it")
                outcome.verified = True
                break
            outcome.prediction = _predict(engine, original_tag, result.dockerfile, context, path, say)
            attempt = _try(engine, backend, result.text, context, tmp, request, original_df, result.dockerfile,
                           original_tag, key, say)
            outcome.attempts.append(Attempt(str(candidates), attempt.ok, attempt.reason))
            if attempt.ok:
                outcome.optimized = attempt.facts
                outcome.verification = attempt.report
                outcome.verified = attempt.report is not None and attempt.report.ok
                if attempt.report is not None:
                    outcome.warnings.extend(attempt.report.warnings)
                break
            outcome.verification = attempt.report
            if not request.bisect:
                raise _failure(attempt)
            culprit = _bisect(engine, backend, original_df, candidates, result.changed_passes, settings,
                              context, tmp, request, original_tag, key, say, outcome)
            if culprit is None:
                raise _failure(attempt)
            outcome.culprits.append((culprit, attempt.reason))
            say(f"pass {culprit!r} broke the image ({attempt.reason}); retrying without it")
            candidates = candidates.without([culprit])
            if not candidates.elements:
                raise VerificationFailed(
                    f"every pass that changed the Dockerfile broke it; nothing verified to write "
                    f"(last failure: {attempt.reason})")

    if request.output:
        _write_output(request, outcome, original_df)
    return outcome


@define
class _AttemptResult:
    ok: bool
    reason: str = ""
    facts: ImageFacts | None = None
    report: object | None = None


def _compile(df, pipeline, settings):
    from dopt.pipeline import run_pipeline

    return run_pipeline(df, pipeline, settings=settings)


def _try(engine, backend, text, context, tmp, request, original_df, optimized_df, original_tag, key, say,
         label: str = "optimized") -> _AttemptResult:
    from dopt.engine.build import build, require_heredocs

    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    dockerfile = Path(tmp) / f"Dockerfile.{digest}"
    dockerfile.write_text(text, encoding="utf-8")
    tag = f"{request.tag_prefix}-optimized:{key}-{digest}"
    if any(getattr(i, "heredocs", ()) for i in optimized_df.instructions()):
        require_heredocs(backend)
    say(f"building the {label} image")
    try:
        result = build(dockerfile, context, tag, build_args=request.build_args, platform=request.platform,
                       backend=backend, engine=engine)
    except BuildFailed as e:
        return _AttemptResult(False, f"build failed: {str(e).splitlines()[0]}")
    facts = _facts(engine, tag, result)
    say(f"{label}: {facts.size_mb:.1f} MB, {facts.layers} layers, {facts.build_seconds:.1f}s")
    if not request.verify:
        return _AttemptResult(True, "", facts, None)
    from dopt.verification import VerificationPlan, verify_images

    plan = VerificationPlan(
        smoke=[list(s) for s in request.smoke], http=list(request.http),
        paths=list(request.verify_paths) or default_verify_paths(optimized_df),
        original_base=_final_base(original_df), optimized_base=_final_base(optimized_df),
    )
    say("verifying: " + ", ".join(filter(None, [
        f"{len(plan.smoke)} smoke commands" if plan.smoke else "",
        f"{len(plan.http)} HTTP checks" if plan.http else "",
        "config", "packages", f"files under {', '.join(plan.paths)}" if plan.paths else "",
    ])))
    report = verify_images(engine, original_tag, tag, plan)
    if not report.ok:
        first = report.failures[0] if report.failures else None
        reason = f"verification failed: {first.kind} {first.name}: {first.detail}" if first else "no checks ran"
        return _AttemptResult(False, reason, facts, report)
    return _AttemptResult(True, "", facts, report)


def _predict(engine, original_tag, optimized_df, context, path, say):
    """The optimized image's predicted size (dopt.prediction), or None when it cannot be made."""
    from dopt.prediction import predict

    try:
        prediction = predict(original_tag, optimized_df, context=context, engine=engine, dockerfile=path)
    except Exception as e:  # an estimate must never stop the optimization itself
        say(f"no size prediction: {e}")
        return None
    say(f"predicted optimized size: {prediction.predicted_bytes / 1e6:.1f} MB")
    return prediction


def _failure(attempt: _AttemptResult) -> DoptError:
    if attempt.reason.startswith("build failed"):
        return BuildFailed(f"the optimized Dockerfile does not build: {attempt.reason}")
    return VerificationFailed(f"the optimized image does not behave like the original: {attempt.reason}")


def _bisect(engine, backend, original_df, pipeline, changed_passes, settings, context, tmp, request,
            original_tag, key, say, outcome) -> str | None:
    """The first pass whose addition makes the result fail (binary search over prefixes).

    Only passes that changed something are candidates; the empty prefix (the
    original) is known good, the full list known bad.
    """
    from dopt.pipeline import Pipeline, PassSpec

    elements = [e for e in pipeline.elements if not isinstance(e, PassSpec) or e.name in changed_passes]
    if not elements:
        return None
    if len(elements) == 1:
        only = elements[0]
        return only.name if isinstance(only, PassSpec) else None
    lo, hi = 0, len(elements)  # prefix of length lo is good, of length hi is bad
    while hi - lo > 1:
        mid = (lo + hi) // 2
        prefix = Pipeline(tuple(elements[:mid]))
        result = _compile(original_df, prefix, settings)
        say(f"bisecting: trying {prefix}")
        if result.text == outcome.original_text:
            lo = mid
            continue
        attempt = _try(engine, backend, result.text, context, tmp, request, original_df, result.dockerfile,
                       original_tag, key, say, label=f"bisection ({prefix})")
        outcome.attempts.append(Attempt(str(prefix), attempt.ok, attempt.reason))
        if attempt.ok:
            lo = mid
        else:
            hi = mid
    culprit = elements[hi - 1]
    return culprit.name if isinstance(culprit, PassSpec) else None


def _facts(engine, tag: str, build_result) -> ImageFacts:
    info = engine.image_inspect(tag)
    return ImageFacts(
        tag=tag,
        image_id=info.get("Id", ""),
        size_bytes=int(info.get("Size", 0)),
        layers=len((info.get("RootFS") or {}).get("Layers") or []),
        build_seconds=build_result.duration_s,
        cache_hits=build_result.cache_hits,
        steps=len(build_result.steps),
    )


def _final_base(df) -> str | None:
    """The external image the final stage stands on (following FROM <stage> chains)."""
    names = {}
    for index, stage in enumerate(df.stages):
        base = stage.base.raw
        resolved = names.get(base.lower()) or (names.get(base) if base.isdigit() else None) or base
        names[str(index)] = resolved
        if stage.name:
            names[stage.name.lower()] = resolved
    return names.get(str(len(df.stages) - 1)) if df.stages else None


def default_verify_paths(df) -> list[str]:
    """Paths whose files are compared by default: what the final stage COPYs (from the context or a stage)."""
    from dopt.ir import CopyLike, Workdir

    if not df.stages:
        return []
    workdir = "/"
    paths: list[str] = []
    for ins in df.stages[-1].instructions:
        if isinstance(ins, Workdir):
            if "$" in ins.path:
                workdir = None
            elif workdir is not None:
                workdir = posixpath.normpath(posixpath.join(workdir, ins.path))
        elif isinstance(ins, CopyLike) and not ins.heredocs:
            dest = ins.dest
            if "$" in dest or (workdir is None and not dest.startswith("/")):
                continue
            resolved = posixpath.normpath(posixpath.join(workdir or "/", dest))
            if ins.KIND == "ADD" and any("://" in s for s in ins.sources):
                continue
            if resolved not in paths:
                paths.append(resolved)
    # a path inside another one is already covered
    return [p for p in paths if not any(p != q and (q == "/" or p.startswith(q + "/")) for q in paths)]


def header_comment(outcome: OptimizeOutcome, verified: bool) -> list[str]:
    from dopt import __version__

    applied = ", ".join(dict.fromkeys(a.split("]")[0].lstrip("[") for a in outcome.applied)) or "none"
    lines = [f"# Optimized by dopt {__version__} (pipeline: {outcome.pipeline}); passes applied: {applied}."]
    if verified and outcome.verification is not None:
        lines.append(f"# Verified on a real engine against the original: {outcome.verification.summary()}; "
                     f"{outcome.original.size_mb:.0f} MB -> {outcome.optimized.size_mb:.0f} MB.")
    elif verified:
        lines.append("# The pipeline changed nothing.")
    else:
        lines.append("# UNVERIFIED: built but NOT checked against the original (--no-verify). Review before use.")
    return lines


def _write_output(request: OptimizeRequest, outcome: OptimizeOutcome, original_df) -> None:
    from dopt.files import same_file, write_atomic

    out = str(request.output)
    if same_file(out, outcome.dockerfile):
        raise UsageError(f"-o {out} is the input file; write the optimized Dockerfile elsewhere")
    if request.verify and not outcome.verified:
        raise VerificationFailed("not writing an unverified Dockerfile")
    text = add_header(outcome.optimized_text, header_comment(outcome, outcome.verified), original_df)
    write_atomic(out, text)
    outcome.output = out
    if not request.verify:
        outcome.warnings.insert(0, "UNVERIFIED: --no-verify was given; the optimized image was built but not "
                                   "checked against the original")


def add_header(text: str, lines: list[str], df) -> str:
    """Insert comment lines after the parser directives (a comment above them would disable them)."""
    head = "".join(d.source for d in df.directives)
    if not text.startswith(head):
        head = ""
    nl = df.newline
    return head + "".join(line + nl for line in lines) + text[len(head):]
