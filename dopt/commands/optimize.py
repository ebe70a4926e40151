"""``dopt optimize``: compile, build the original and the optimized image, verify, measure.

Examples::

    dopt optimize tests/fixtures/python_ml/Dockerfile --context tests/fixtures/python_ml/context \\
        -o Dockerfile.optimized --smoke "python -m app predict 1 2 3" --json result.json
    dopt optimize Dockerfile -o Dockerfile.opt --no-multistage --passes cleanup,fuse
"""

from __future__ import annotations

import argparse
import shlex
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dockerfile", help="the Dockerfile to optimize")
    p.add_argument("-o", "--output", help="where to write the optimized Dockerfile (only when verified)")
    p.add_argument("--context", help="build context (default: the Dockerfile's folder)")
    p.add_argument("-r", "--runtime-deps", action="append", default=[], metavar="PKG",
                   help="a system package the runtime needs (repeatable), e.g. -r libgomp1")
    p.add_argument("--multistage", action=argparse.BooleanOptionalAction, default=True,
                   help="split into builder and runtime stages (pass split)")
    p.add_argument("--slim-base", action=argparse.BooleanOptionalAction, default=True,
                   help="use slim/JRE/distroless bases (pass lower)")
    p.add_argument("--distroless", action="store_true", help="prefer distroless runtime bases")
    p.add_argument("--passes", metavar="LIST", help="pipeline text (overrides the flags above)")
    p.add_argument("--verify", action=argparse.BooleanOptionalAction, default=True,
                   help="check that the optimized image behaves like the original (default on)")
    p.add_argument("--smoke", action="append", default=[], metavar="CMD",
                   help="a command to run in both images, argv replacing CMD (repeatable)")
    p.add_argument("--http", action="append", default=[], metavar="PORT[/PATH]",
                   help="start both images and compare GET PATH on PORT (repeatable)")
    p.add_argument("--verify-path", action="append", default=[], metavar="PATH",
                   help="compare the files under PATH in both images (default: what the final stage copies)")
    p.add_argument("--bisect", action=argparse.BooleanOptionalAction, default=True,
                   help="when the result fails, find and drop the pass that broke it")
    p.add_argument("--builder", help="buildx builder name (remote BuildKit)")
    p.add_argument("--platform", help="target platform(s), e.g. linux/arm64 or linux/amd64,linux/arm64 "
                                      "(each is built and verified; foreign ones run under emulation)")
    p.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", metavar="PATH", help="write the result as JSON (schema dopt.optimize/1)")
    p.add_argument("--report", metavar="PATH", help="write a self-contained HTML report")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the result")


def pipeline_for(args) -> str:
    from dopt.pipeline import level_pipeline

    if args.passes:
        return args.passes
    names = level_pipeline("2").split(",")
    out = []
    for name in names:
        base = name.split("<")[0]
        if base == "split" and not args.multistage:
            continue
        if base == "lower" and not args.slim_base:
            continue
        if base in ("lower", "split") and args.distroless:
            name = f"{base}<distroless>"
        out.append(name)
    return ",".join(out) or "noop"


def _http_checks(specs: list[str]):
    from dopt.errors import UsageError
    from dopt.verification import HttpCheck

    checks = []
    for spec in specs:
        port, _, path = spec.partition("/")
        if not port.isdigit():
            raise UsageError(f"--http {spec!r}: expected PORT or PORT/PATH, e.g. 8080/health")
        checks.append(HttpCheck(int(port), "/" + path))
    return checks


def run(args) -> int:
    from dopt.errors import UsageError
    from dopt.optimize import OptimizeRequest, optimize

    build_args = {}
    for item in args.build_arg:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--build-arg {item!r}: expected KEY=VALUE")
        build_args[key] = value
    request = OptimizeRequest(
        dockerfile=args.dockerfile, context=args.context, output=args.output, pipeline=pipeline_for(args),
        runtime_deps=list(args.runtime_deps), verify=args.verify,
        smoke=[shlex.split(s) for s in args.smoke], http=_http_checks(args.http),
        verify_paths=list(args.verify_path), builder=args.builder, platform=args.platform,
        build_args=build_args, bisect=args.bisect,
    )
    progress = None if args.quiet else (lambda message: print(f"dopt: {message}", file=sys.stderr))
    outcome = optimize(request, progress=progress)
    print(render_text(outcome))
    if args.json:
        import json

        from dopt.files import write_atomic

        write_atomic(args.json, json.dumps(outcome.to_dict(), indent=2) + "\n")
    if args.report:
        from dopt.files import write_atomic
        from dopt.report.html import render_optimize_html

        write_atomic(args.report, render_optimize_html(outcome))
    if not args.output:
        print("dopt: no -o given; the optimized Dockerfile is in the JSON report" if args.json else
              "dopt: no -o given; nothing written (pass -o OUT to keep the optimized Dockerfile)", file=sys.stderr)
    if getattr(outcome, "platforms", None) and not outcome.verified:
        from dopt.errors import VerificationFailed

        return VerificationFailed.exit_code   # a platform did not verify; the report above says which
    return 0


def render_text(outcome) -> str:
    bar = "━" * 44
    o, n = outcome.original, outcome.optimized
    lines = ["", "Optimization Results:", bar,
             f"Original Size:    {o.size_mb:.1f} MB",
             f"Optimized Size:   {n.size_mb:.1f} MB" if n else "Optimized Size:   -",
             _prediction_line(outcome),
             f"Size Reduction:   {outcome.size_reduction_percent:.1f}%",
             bar,
             f"Original Layers:  {o.layers}",
             f"Optimized Layers: {n.layers if n else '-'}",
             (f"Build time:       {o.build_seconds:.1f}s ({o.cache_hits}/{o.steps} steps cached) -> "
              f"{n.build_seconds:.1f}s ({n.cache_hits}/{n.steps} cached)") if n else "",
             bar]
    if outcome.verification is not None:
        status = "VERIFIED" if outcome.verified else "FAILED"
        lines.append(f"Verification:     {status} ({outcome.verification.summary()})")
    elif outcome.verified:
        lines.append("Verification:     nothing changed")
    else:
        lines.append("Verification:     UNVERIFIED (--no-verify): the optimized image was NOT checked")
    lines.extend(_platform_lines(outcome))
    if outcome.culprits:
        lines.append("")
        lines.append("Passes dropped because they broke the image:")
        lines.extend(f"  ✗ {p}: {why}" for p, why in outcome.culprits)
    if outcome.applied:
        lines.append("")
        lines.append("Optimizations Applied:")
        lines.extend(f"  ✓ {a}" for a in outcome.applied)
    if outcome.warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  ⚠ {w}" for w in outcome.warnings)
    if outcome.output:
        lines.append("")
        lines.append(f"Wrote {outcome.output}")
    return "\n".join(line for line in lines if line is not None)


def _platform_lines(outcome) -> list[str]:
    """One row per --platform item: size, architecture, verdict and what it was compared with."""
    rows = getattr(outcome, "platforms", None) or []
    if not rows:
        return []
    out = ["", "Platforms:"]
    for r in rows:
        size = f"{r.optimized.size_mb:.1f} MB" if r.optimized else "-"
        status = "VERIFIED" if r.verified else "FAILED"
        how = f" vs {r.reference}" if r.reference else ""
        emulated = ", emulated" if r.emulated else ""
        out.append(f"  {r.platform:<14} {size:>10}  {r.architecture or '?':<8} {status}{how}{emulated}")
        if r.reason:
            out.append(f"      {r.reason}")
    return out


def _prediction_line(outcome):
    p = getattr(outcome, "prediction", None)
    if p is None:
        return None
    line = f"Predicted Size:   {p.predicted_bytes / 1e6:.1f} MB (before building)"
    if outcome.optimized is not None:
        line += f", {p.error_percent(outcome.optimized.size_bytes):+.1f}% off"
    return line
