"""``dopt cache``: build twice around a one-line source change and report what the cache served.

Examples::

    dopt cache tests/fixtures/python_ml/Dockerfile --context tests/fixtures/python_ml/context
    dopt cache Dockerfile --context . --change src/app.js --json cache.json

The first build is cold (``--no-cache``; ``--warm-start`` lets it use the
cache), the second follows an appended comment line in a temporary copy of
the context (the user's files are never edited). Exit 0 when the report was
made; 3 without an engine; 4 when a build fails.
"""

from __future__ import annotations

import argparse
import sys

HELP = "measure build-cache behaviour across a source change"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dockerfile", help="the Dockerfile to build")
    p.add_argument("--context", help="build context (default: the Dockerfile's folder)")
    p.add_argument("--change", metavar="FILE",
                   help="the file to edit between the builds, relative to the context (default: a copied "
                        "source file, never a dependency manifest)")
    p.add_argument("--json", metavar="PATH", help="write the dopt.cache/1 JSON document ('-': stdout)")
    p.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="a build arg given to both builds (repeatable)")
    p.add_argument("--warm-start", action="store_true",
                   help="let the first build use the cache (faster; its timings are then not cold)")
    p.add_argument("--builder", help="buildx builder name")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")


def run(args) -> int:
    from pathlib import Path

    from dopt.cache import measure, render_text
    from dopt.errors import UsageError

    build_args = {}
    for item in args.build_arg:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--build-arg {item!r}: expected KEY=VALUE")
        build_args[key] = value
    context = args.context or str(Path(args.dockerfile).resolve().parent)
    backend = None
    if args.builder:
        from dopt.engine.build import detect_builder

        backend = detect_builder(args.builder)
    progress = None if args.quiet else (lambda message: print(f"dopt: {message}", file=sys.stderr))
    report = measure(args.dockerfile, context, change=args.change, build_args=build_args,
                     backend=backend, cold=not args.warm_start, progress=progress)
    if args.json == "-":
        import json

        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(render_text(report))
    if args.json:
        import json

        from dopt.files import write_atomic

        write_atomic(args.json, json.dumps(report.to_dict(), indent=2) + "\n")
    return 0
