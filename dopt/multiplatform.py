"""``dopt optimize --platform linux/amd64,linux/arm64``: optimize once, build and verify on every platform.

The first platform is the primary: it runs the whole optimize loop (compile, build both images, verify,
bisect) as for a single platform. Every further platform then builds the *same* optimized Dockerfile with
``--platform`` (one platform per build on every backend: loading a multi-platform result into the engine's
image store needs the containerd store, which these engines lack), checks the image's architecture, and
verifies it by running the checks under emulation where the host cannot run the platform natively
(:func:`dopt.engine.platforms.emulation_problem`):

* against the original built for that platform, when it builds (all checks, files included);
* else against the verified optimized image of the primary platform (smoke, HTTP, config, packages;
  files are not compared, since the binaries legitimately differ by architecture), and the row says so.

The outcome gets one :class:`PlatformRow` per platform; the output Dockerfile is written only when every
platform verified.

Example (needs an engine)::

    >>> from dopt.optimize import OptimizeRequest, optimize                          # doctest: +SKIP
    >>> out = optimize(OptimizeRequest("Dockerfile", platform="linux/amd64,linux/arm64",
    ...                                smoke=[["version"]]))                          # doctest: +SKIP
    >>> [(r.platform, r.verified, r.reference) for r in out.platforms]                 # doctest: +SKIP
    [('linux/amd64', True, 'original'), ('linux/arm64', True, 'linux/amd64 optimized')]
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import attrs
from attrs import define


@define
class PlatformRow:
    """How the optimized Dockerfile fared on one platform."""

    platform: str
    optimized: object | None = None       # ImageFacts
    original: object | None = None        # ImageFacts, when the original built for this platform
    architecture: str = ""                # what the engine says the optimized image is
    verified: bool = False
    reference: str = ""                   # "original" or "<primary> optimized"
    emulated: bool = False
    reason: str = ""
    verification: object | None = None    # VerificationReport

    def to_dict(self) -> dict:
        return {
            "platform": self.platform, "architecture": self.architecture, "verified": self.verified,
            "reference": self.reference, "emulated": self.emulated, "reason": self.reason,
            "original": self.original.to_dict() if self.original else None,
            "optimized": self.optimized.to_dict() if self.optimized else None,
            "verification": self.verification.to_dict() if self.verification else None,
        }


def optimize_platforms(request, platforms: list[str], *, engine=None, progress=None):
    """Run :func:`dopt.optimize.optimize` for ``platforms[0]``, then build and verify the others."""
    from dopt.engine.build import detect_builder
    from dopt.engine.client import connect
    from dopt.engine.platforms import arch_of, host_arch
    from dopt.frontend import parse_text
    from dopt.optimize import _write_output, optimize

    say = progress or (lambda message: None)
    engine = engine or connect()
    primary = platforms[0]
    say(f"platform {primary} (primary): optimizing")
    outcome = optimize(attrs.evolve(request, platform=primary, output=None), engine=engine, progress=progress)
    first = PlatformRow(primary, outcome.optimized, outcome.original, _arch(engine, outcome.optimized),
                        outcome.verified, "original", arch_of(primary) != host_arch(), "", outcome.verification)
    rows = [first]
    backend = detect_builder(request.builder)
    original_df = parse_text(outcome.original_text, path=str(request.dockerfile))
    with tempfile.TemporaryDirectory(prefix="dopt-platforms-") as tmp:
        for platform in platforms[1:]:
            say(f"platform {platform}: building and verifying the optimized Dockerfile")
            rows.append(_other(platform, outcome, first, request, original_df, engine, backend, Path(tmp), say))
    outcome.platforms = rows
    failed = [r for r in rows if not r.verified]
    for row in failed:
        outcome.warnings.append(f"{row.platform}: {row.reason or 'not verified'}")
    outcome.verified = not failed
    if request.output:
        if failed and request.verify:
            outcome.warnings.append(f"not writing {request.output}: not verified on "
                                    f"{', '.join(r.platform for r in failed)}")
        else:
            _write_output(request, outcome, original_df)
    return outcome


def _arch(engine, facts) -> str:
    if facts is None:
        return ""
    info = engine.image_inspect(facts.tag)
    return "/".join(x for x in (info.get("Architecture", ""), info.get("Variant", "")) if x)


def _other(platform, outcome, first, request, original_df, engine, backend, tmp: Path, say) -> PlatformRow:
    from dopt.engine.build import build
    from dopt.engine.platforms import arch_of, emulation_problem
    from dopt.errors import BuildFailed
    from dopt.frontend import parse_text
    from dopt.optimize import _facts, _final_base, default_verify_paths

    row = PlatformRow(platform)
    arch = arch_of(platform)
    context = Path(request.context) if request.context else Path(request.dockerfile).resolve().parent
    key = hashlib.sha256((str(Path(request.dockerfile).resolve()) + outcome.original_text).encode()).hexdigest()[:12]
    digest = hashlib.sha256(outcome.optimized_text.encode()).hexdigest()[:12]
    dockerfile = tmp / f"Dockerfile.{digest}"
    dockerfile.write_text(outcome.optimized_text, encoding="utf-8")
    tag = f"{request.tag_prefix}-optimized:{key}-{digest}-{arch}"
    try:
        result = build(dockerfile, context, tag, build_args=request.build_args, platform=platform,
                       backend=backend, engine=engine)
    except BuildFailed as e:
        row.reason = f"the optimized Dockerfile does not build for {platform}: {str(e).splitlines()[0]}"
        return row
    row.optimized = _facts(engine, tag, result)
    row.architecture = _arch(engine, row.optimized)
    if row.architecture.split("/")[0] != arch:
        row.reason = (f"the engine built a {row.architecture or 'unknown'} image for {platform} (its image store "
                      "holds one image per tag: a base tag of another architecture is used as it is)")
        return row
    original_tag = f"{request.tag_prefix}-original:{key}-{arch}"
    try:
        source = Path(request.dockerfile)
        built = build(source, context, original_tag, build_args=request.build_args, platform=platform,
                      backend=backend, engine=engine)
        row.original = _facts(engine, original_tag, built)
        reference, row.reference = original_tag, "original"
    except BuildFailed as e:
        reference, row.reference = first.optimized.tag, f"{first.platform} optimized"
        say(f"{platform}: the original does not build here; comparing with the verified {first.platform} image")
        row.reason = (f"the original does not build for {platform} on this engine "
                      f"({str(e).splitlines()[0]}); compared with the verified {first.platform} image")
    if not request.verify:
        row.reason = (row.reason + "; " if row.reason else "") + "not verified (--no-verify)"
        row.verified = True
        return row
    problem = emulation_problem(platform)
    if problem:
        row.reason = (row.reason + "; " if row.reason else "") + f"built but not run: {problem}"
        return row
    from dopt.engine.platforms import host_arch

    row.emulated = arch != host_arch()
    from dopt.verification import VerificationPlan, verify_images

    optimized_df = parse_text(outcome.optimized_text)
    plan = VerificationPlan(
        smoke=[list(s) for s in request.smoke], http=list(request.http),
        paths=(list(request.verify_paths) or default_verify_paths(optimized_df)) if row.original else [],
        original_base=_final_base(original_df if row.original else optimized_df),
        optimized_base=_final_base(optimized_df),
    )
    report = verify_images(engine, reference, tag, plan)
    row.verification = report
    row.verified = report.ok
    if not report.ok:
        bad = report.failures[0] if report.failures else None
        why = f"{bad.kind} {bad.name}: {bad.detail}" if bad else "no checks ran"
        row.reason = (row.reason + "; " if row.reason else "") + f"verification failed: {why}"
    return row
