"""``dopt analyze``: report optimization findings for Dockerfiles.

Examples::

    dopt analyze Dockerfile
    dopt analyze services/*/Dockerfile --format sarif -o dopt.sarif
    dopt analyze Dockerfile --build --context . --format html -o report.html
    dopt analyze Dockerfile --failure-threshold error --ignore DO208

Files are analysed in parallel (worker processes; threads with ``--build``, which waits on the
engine); output keeps the order the files were given.
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
exit codes:
  0  no finding at or above the failure threshold
  1  findings at or above the failure threshold (default: warning)
  2  usage error, unreadable file, invalid configuration, or a Dockerfile syntax error
     (the other files are still analysed and reported)
  3  --build: no Docker engine answers, or it lacks a feature the Dockerfile needs
  4  --build: a build failed (the file's static findings are still reported)
When several apply, the first in the order 2, 3, 4, 1 wins.

configuration: [tool.dopt] in pyproject.toml or .dopt.toml, searched from each Dockerfile's
folder up to the repository root; environment DOPT_FAILURE_THRESHOLD, DOPT_IGNORE,
DOPT_PIPELINE override the file; flags override both. Rule table: docs/OPTIMIZATION_GUIDE.md.
"""

FORMATS = ("tty", "json", "sarif", "markdown", "html")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument("files", nargs="+", metavar="DOCKERFILE", help="Dockerfiles to analyse")
    p.add_argument("--context", help="build context for --build (default: each Dockerfile's folder)")
    p.add_argument("--build", action=argparse.BooleanOptionalAction, default=False,
                   help="also build each image and analyse its layers (needs an engine; default off)")
    p.add_argument("--format", choices=FORMATS,
                   help="output format (default tty; with -o, guessed from .json/.sarif/.md/.html)")
    p.add_argument("-o", "--output", metavar="PATH", help="write the report here instead of standard output")
    p.add_argument("--failure-threshold", choices=("error", "warning", "info", "style", "none"),
                   help="exit 1 when a finding is at least this severe (default warning)")
    p.add_argument("--ignore", action="append", default=[], metavar="RULE",
                   help="ignore a rule (DO201, or a hadolint code like DL3009; repeatable)")
    p.add_argument("--config", metavar="FILE", help="use this configuration file instead of searching")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                   help="files analysed at once (default: one per CPU)")
    p.add_argument("--pulls-per-month", type=int, metavar="N", help="cost calculator: image pulls per month")
    p.add_argument("--regions", type=int, metavar="N", help="cost calculator: regions holding a replica")
    p.add_argument("--storage-price", type=float, metavar="USD",
                   help="cost calculator: USD per GB-month of registry storage (default 0.10)")
    p.add_argument("--transfer-price", type=float, metavar="USD",
                   help="cost calculator: USD per GB transferred (default 0.09)")
    p.add_argument("--sarif-base", metavar="DIR", default=".",
                   help="SARIF artifact URIs are relative to this folder (default: the current one)")
    p.add_argument("-q", "--quiet", action="store_true", help="print the findings only (no summary)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="show source lines, savings basis and equivalents (-vv: timings)")


def _worker(job):
    """One file in a worker (module level, so process pools can pickle it)."""
    from dopt.analysis.findings import analyze_file

    path, config, build, context, backend = job
    return analyze_file(path, config=config, build=build, context=context, backend=backend)


def _configs(args):
    import os

    from dopt.config import load_config

    configs = []
    cache: dict[str, object] = {}
    for path in args.files:
        folder = os.path.dirname(os.path.abspath(path))
        key = args.config or folder
        if key not in cache:
            cache[key] = load_config(folder, path=args.config, cli_threshold=args.failure_threshold,
                                     cli_ignore=args.ignore)
        configs.append(cache[key])
    return configs


def run_analysis(args, configs) -> list:
    """Analyse ``args.files`` in parallel (``configs[i]`` for file i); results in the order given."""
    import os
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    backend = None
    if args.build:
        from dopt.engine.build import detect_builder
        from dopt.engine.client import connect

        connect()  # EngineUnavailable (exit 3) before any work starts
        backend = detect_builder()
    jobs = [(path, cfg, args.build, args.context, backend) for path, cfg in zip(args.files, configs)]
    workers = args.jobs or min(len(jobs), os.cpu_count() or 1)
    if workers <= 1 or len(jobs) == 1:
        return [_worker(j) for j in jobs]
    if args.build:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_worker, jobs))
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        context = multiprocessing.get_context()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_worker, jobs))
    except (OSError, PermissionError):  # pragma: no cover - sandboxes without process creation
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_worker, jobs))


def _format_for(output: str | None) -> str:
    """The format an output file name implies (tty when it implies none).

    >>> _format_for("dopt.sarif"), _format_for("r.md"), _format_for(None)
    ('sarif', 'markdown', 'tty')
    """
    suffixes = {".json": "json", ".sarif": "sarif", ".md": "markdown", ".html": "html", ".htm": "html"}
    for suffix, fmt in suffixes.items():
        if output and output.lower().endswith(suffix):
            return fmt
    return "tty"


def run(args) -> int:
    from dopt.errors import UsageError
    from dopt.report.json_report import analyze_document, exit_code_for

    if args.format is None:
        args.format = _format_for(args.output)
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    configs = _configs(args)
    results = run_analysis(args, configs)
    cost = dict(configs[0].cost) if configs else {}
    cost.update({k: getattr(args, k) for k in ("pulls_per_month", "regions", "storage_price", "transfer_price")
                 if getattr(args, k) is not None})
    doc = analyze_document(results, cost=cost)
    code = exit_code_for(results)

    for r in results:  # located errors always reach stderr, whatever the format
        if r.error:
            print(r.error["rendered"] if r.error.get("rendered") else f"{r.path}: error: {r.error['message']}",
                  file=sys.stderr)

    if args.format == "tty":
        if args.output:
            from dopt.files import write_atomic
            from dopt.report.tty import render_text

            write_atomic(args.output, render_text(doc, quiet=args.quiet, verbose=args.verbose) + "\n",
                         inputs=tuple(args.files))
        else:
            from dopt.report.tty import print_report

            print_report(doc, quiet=args.quiet, verbose=args.verbose)
        return code
    if args.format == "json":
        from dopt.report.json_report import dumps

        text = dumps(doc)
    elif args.format == "sarif":
        from dopt.report.sarif import dumps, to_sarif

        text = dumps(to_sarif(doc, base=args.sarif_base))
    elif args.format == "markdown":
        from dopt.report.markdown import render_markdown

        text = render_markdown(doc)
    else:
        from dopt.report.html import render_analyze_html

        text = render_analyze_html(doc, sources={r.path: r.masked_text for r in results})
    if args.output:
        from dopt.files import write_atomic

        write_atomic(args.output, text, inputs=tuple(args.files))
        if not args.quiet:
            s = doc["summary"]
            print(f"dopt: wrote {args.output} ({s['findings']} findings in {s['files']} files)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return code
