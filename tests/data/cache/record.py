"""Re-record the build logs tests/test_cache.py reads (needs an engine, the stand-ins and network for npm).

    python tests/data/cache/record.py

Each case is two builds by :func:`dopt.cache.measure` (first build allowed to use the
cache): ``<case>-first.txt``, ``<case>-second.txt`` and ``<case>.json`` (what was edited,
which build args changed, the figures the live analysis found).
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from dopt.cache import measure  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
CASES = {
    "nodejs_api-original": (FIXTURES / "nodejs_api" / "Dockerfile", FIXTURES / "nodejs_api" / "context", None),
    "nodejs_api-expected": (FIXTURES / "nodejs_api" / "expected.Dockerfile", FIXTURES / "nodejs_api" / "context",
                            None),
    "volatile": (HERE / "volatile" / "Dockerfile", HERE / "volatile", "src/main.sh"),
}

for name in sys.argv[1:] or CASES:
    dockerfile, context, change = CASES[name]
    report = measure(dockerfile, context, change=change, cold=False,
                     progress=lambda m: print(f"{name}: {m}", file=sys.stderr))
    first, second = report.logs
    (HERE / f"{name}-first.txt").write_text(first)
    (HERE / f"{name}-second.txt").write_text(second)
    meta = {"dockerfile": str(dockerfile.relative_to(ROOT)), "context": str(context.relative_to(ROOT)),
            "changed_file": report.changed_file,
            "changed_args": {n: "changed" for n in report.simulated_args},
            "live": {"hit_rate": round(report.hit_rate, 1), "cause": report.cause.code if report.cause else None,
                     "first_miss_line": report.first_miss.line if report.first_miss else None,
                     "estimated_saved_s": report.estimated_saved_s}}
    (HERE / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{name}: {meta['live']}")
