"""The ``dopt`` command line.

Each subcommand lives in ``dopt/commands/<name>.py`` exposing ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only
for the command being run, so ``dopt parse`` never pays for the engine or the
report code (cold start matters: see docs/PERFORMANCE.md).

Exit codes (documented in README.md):
  0 success; 1 findings at/above the threshold, or ``--check`` found changes;
  2 usage or Dockerfile syntax error; 3 no Docker engine / missing engine
  feature; 4 a build failed; 5 verification failed; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "parse": "dump the IR of a Dockerfile (json, tree, or BuildKit's parser shape)",
    "fmt": "format a Dockerfile canonically without changing its meaning",
    "compile": "run a pass pipeline over a Dockerfile and print the result",
    "analyze": "report optimization findings for Dockerfiles",
    "optimize": "compile, build original and optimized, verify, and measure",
    "inspect": "analyze the layers of an image or image archive",
    "cache": "measure build-cache behaviour across a source change",
}


def build_parser(argv_command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dopt",
        description="dopt: a Dockerfile optimizing compiler.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == argv_command:
            module = importlib.import_module(f"dopt.commands.{name}")
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from dopt.errors import DoptError

    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.version:
        from dopt import __version__

        print(f"dopt {__version__}")
        return 0
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except DoptError as e:
        print(e.render(), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
