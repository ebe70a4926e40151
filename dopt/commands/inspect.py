"""``dopt inspect``: analyze the layers of an image, a ``docker save`` archive or an OCI layout.

Examples::

    dopt inspect myapp:latest                        # read from the engine (docker save stream)
    dopt inspect image.tar --dockerfile Dockerfile   # map layers to Dockerfile lines
    dopt inspect oci-dir/ --json report.json -o layer_report.html
    dopt inspect image.tar --ci --highest-wasted-bytes 20MB   # exit 1 when a rule fails

``--ci`` uses dive's rules and ``.dive-ci`` file (see :mod:`dopt.images.ci`);
``--json`` writes the ``dopt.inspect/1`` document ('-' for standard output).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HELP = "analyze the layers of an image or image archive"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", help="image name (read from the engine), docker-archive tar, or OCI layout dir/tar")
    p.add_argument("--dockerfile", metavar="FILE", help="map layers to the lines of this Dockerfile")
    p.add_argument("--base-image", metavar="IMAGE",
                   help="the base image (name or archive): bytes above it are 'added'")
    p.add_argument("--base-layer", action="append", default=[], metavar="DIGEST",
                   help="a diff ID of the base image's layers (repeatable, in order)")
    p.add_argument("--json", metavar="PATH", help="write the dopt.inspect/1 JSON document ('-': stdout)")
    p.add_argument("-o", "--output", metavar="HTML", help="write a self-contained HTML report")
    p.add_argument("--top", type=int, default=10, metavar="N", help="rows per table in the terminal (default 10)")
    ci = p.add_argument_group("CI rules (dive's names and defaults)")
    ci.add_argument("--ci", action="store_true", help="evaluate the rules; exit 1 when one fails")
    ci.add_argument("--ci-config", metavar="FILE",
                    help="a .dive-ci file with 'rules:' (default: ./.dive-ci when it exists)")
    ci.add_argument("--lowest-efficiency", metavar="RATIO", help="fail below this efficiency (default 0.9)")
    ci.add_argument("--highest-wasted-bytes", metavar="SIZE",
                    help="fail above this many reclaimable bytes (default 20MB)")
    ci.add_argument("--highest-user-wasted-percent", metavar="RATIO",
                    help="fail above this ratio of wasted to added bytes (default 0.1)")


def _rules(args) -> dict[str, str]:
    from dopt.errors import UsageError
    from dopt.images.ci import DEFAULTS, check_rules, parse_ci_config

    rules = dict(DEFAULTS)
    path = args.ci_config
    if path is None and os.path.isfile(".dive-ci"):
        path = ".dive-ci"
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                rules.update(parse_ci_config(f.read(), path))
        except OSError as e:
            raise UsageError(f"cannot read CI config {path}: {e.strerror}") from None
    for key, value in (("lowestEfficiency", args.lowest_efficiency),
                       ("highestWastedBytes", args.highest_wasted_bytes),
                       ("highestUserWastedPercent", args.highest_user_wasted_percent)):
        if value is not None:
            rules[key] = value
    check_rules(rules)
    return rules


def _write(path: str, text: str, inputs: tuple = ()) -> None:
    """Write a report: ``-`` is standard output, anything else an atomic write that never
    replaces one of the ``inputs`` (the archive, the Dockerfile) or a device like /dev/null."""
    from dopt.files import write_atomic

    if path == "-":
        sys.stdout.write(text)
        return
    write_atomic(path, text, inputs=inputs)


def run(args) -> int:
    from dopt.images import analyze

    rules = _rules(args) if args.ci else None
    # files this command reads (an image name that is not a path is not one)
    inputs = tuple(p for p in (args.image, args.dockerfile, args.base_image, args.ci_config)
                   if p and os.path.lexists(p))
    report = analyze(args.image, base_layers=args.base_layer or None, base_image=args.base_image,
                     dockerfile=args.dockerfile, largest=max(args.top, 20))
    doc = report.to_dict()
    results = None
    if rules is not None:
        from dopt.images.ci import evaluate

        results = evaluate(report, rules)
        doc["ci"] = {"passed": all(r.status != "fail" for r in results),
                     "rules": [r.to_dict() for r in results]}
    if args.json:
        _write(args.json, json.dumps(doc, indent=2) + "\n", inputs)
    if args.output:
        from dopt.images.html import render_html

        _write(args.output, render_html(doc), inputs)
    if args.json != "-":
        from dopt.images.terminal import print_report

        print_report(doc, top=args.top)
    if results is not None and any(r.status == "fail" for r in results):
        return 1
    return 0
