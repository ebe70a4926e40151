"""``dopt compile``: run a pass pipeline over a Dockerfile.

Examples::

    dopt compile Dockerfile --passes fuse,cleanup
    dopt compile Dockerfile -O2 -o Dockerfile.opt --print-changed=diff
    dopt compile Dockerfile -O1 --check            # exit 1 when it would change
    dopt compile Dockerfile --dump-dir dumps/      # 00-input, 01-after-<pass>, ...
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="the Dockerfile ('-' for standard input)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--passes", metavar="LIST", help="pipeline text, e.g. 'cleanup,fuse' or 'repeat<2>(fuse)'")
    for level in "0123":
        g.add_argument(f"-O{level}", dest="level", action="store_const", const=level,
                       help=f"the -O{level} pipeline (see --print-pipeline)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT", help="write the result here (atomically)")
    out.add_argument("--in-place", action="store_true", help="overwrite the input file (atomically)")
    p.add_argument("--diff", action="store_true", help="print a unified diff instead of the result")
    p.add_argument("--check", action="store_true", help="exit 1 when the pipeline would change the file")
    p.add_argument("--print-after-all", action="store_true", help="print the IR after every pass (on stderr)")
    p.add_argument("--print-after", action="append", default=[], metavar="PASS",
                   help="print the IR after PASS (repeatable)")
    p.add_argument("--print-changed", nargs="?", const="full", choices=["full", "diff"],
                   help="print the IR after each pass that changed it (=diff: as diffs)")
    p.add_argument("--dump-dir", metavar="DIR", help="write 00-input.Dockerfile, 01-after-<pass>.Dockerfile, ...")
    p.add_argument("--dump-graph", metavar="FILE", help="write the dependency graph of the input as DOT")
    p.add_argument("--print-pipeline", action="store_true", help="print the normalized pipeline and exit")
    p.add_argument("--list-passes", action="store_true", help="list the registered passes and exit")
    p.add_argument("--context", metavar="DIR",
                   help="the build context, read by passes that check files (default: the Dockerfile's folder)")
    p.add_argument("-r", "--runtime-deps", action="append", default=[], metavar="PKG",
                   help="a system package the runtime stage needs (repeatable)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="show the passes' diagnostics")


def selected_pipeline(args) -> str:
    from dopt.pipeline import level_pipeline

    if args.passes:
        return args.passes
    return level_pipeline(args.level or "2")


def run(args) -> int:
    from dopt.errors import UsageError
    from dopt.pipeline import parse_pipeline

    if args.list_passes:
        from passes import PASSES

        width = max(len(m.NAME) for m in PASSES)
        for module in PASSES:
            print(f"{module.NAME:<{width}}  {module.DESCRIPTION}")
        return 0
    from dopt.pipeline import validate_pipeline

    pipeline = parse_pipeline(selected_pipeline(args))
    validate_pipeline(pipeline)
    if args.print_pipeline:
        print(pipeline)
        return 0
    if not args.file:
        raise UsageError("dopt compile: a Dockerfile is required (or '-' for standard input)")
    if args.in_place and args.file == "-":
        raise UsageError("--in-place needs a file, not standard input")

    from dopt.files import read_dockerfile, same_file, write_atomic
    from dopt.frontend import parse_text
    from dopt.pipeline import diff_text, run_pipeline, with_banner

    if args.output and args.file != "-" and same_file(args.output, args.file):
        raise UsageError(f"-o {args.output} is the input file; use --in-place to overwrite it")
    text = read_dockerfile(args.file)
    df = parse_text(text, path=args.file)
    if args.dump_graph:
        from dopt.analysis.graph import build_graph, to_dot

        write_atomic(args.dump_graph, to_dot(build_graph(df)), inputs=(args.file,))
    import os

    context = args.context or (os.path.dirname(os.path.abspath(args.file)) if args.file != "-" else None)
    if args.context and not os.path.isdir(args.context):
        raise UsageError(f"--context {args.context}: not a directory")
    settings = {"runtime_deps": list(args.runtime_deps), "path": args.file}
    if context:
        settings["context_dir"] = context
    result = run_pipeline(df, pipeline, settings=settings)

    _print_dumps(args, result, df)
    _print_diagnostics(args, result)

    changed = result.text != text
    if args.check:
        if changed:
            print(f"{args.file}: would change ({', '.join(result.changed_passes) or 'formatting'})",
                  file=sys.stderr)
            return 1
        return 0
    if args.diff:
        sys.stdout.write(diff_text(text, result.text, args.file, args.output or args.file))
    if args.in_place:
        if changed:
            write_atomic(args.file, result.text)
    elif args.output:
        write_atomic(args.output, result.text, inputs=(args.file,))
    elif not args.diff:
        # dumps go to stderr (as LLVM's -print-after-all), so the result stays pipeable
        sys.stdout.write(result.text)
    return 0


def _print_dumps(args, result, df) -> None:
    from dopt.files import write_atomic
    from dopt.pipeline import banner, diff_text, with_banner

    wanted = set(args.print_after)
    previous = result.dumps[0].text if result.dumps else ""
    for dump in result.dumps:
        title = banner(dump.pass_name, dump.index) if dump.index else "# *** dopt: input ***"
        show = (
            dump.index > 0
            and (args.print_after_all or dump.pass_name in wanted or (args.print_changed and dump.changed))
        )
        if show:
            if args.print_changed == "diff":
                sys.stderr.write(f"{title}\n")
                sys.stderr.write(diff_text(previous, dump.text, "before", f"after-{dump.pass_name}"))
            else:
                sys.stderr.write(with_banner(dump.text, df, title))
        if args.dump_dir:
            import os

            try:
                os.makedirs(args.dump_dir, exist_ok=True)
            except OSError as e:
                from dopt.errors import UsageError

                raise UsageError(f"--dump-dir {args.dump_dir}: cannot create the folder: "
                                 f"{e.strerror or e}") from None
            name = "00-input.Dockerfile" if dump.index == 0 else f"{dump.index:02d}-after-{dump.pass_name}.Dockerfile"
            write_atomic(os.path.join(args.dump_dir, name), with_banner(dump.text, df, title),
                         inputs=(args.file,))
        previous = dump.text


def _print_diagnostics(args, result) -> None:
    for d in result.diagnostics:
        if args.verbose or d.kind == "warning":
            print(f"{args.file}: {d}" if d.kind != "warning" else f"{args.file}: warning: {d}", file=sys.stderr)
