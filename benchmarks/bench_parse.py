"""Parse-time benchmark: dopt's front end against BuildKit's parser and dockerfile-parse.

Warm (in-process, over every corpus file dopt accepts): per file, the median of ``--reps``
parses; reported as the median over files and the total of the per-file medians, with ratios.
Cold (subprocess wall time, median of ``--cold-runs``): ``dopt parse FILE`` vs ``hadolint FILE``
vs ``python -c pass`` (the interpreter's own floor). Prints Markdown.

Usage::

    python benchmarks/bench_parse.py                 # the tables
    python benchmarks/bench_parse.py --reps 9 --cold-runs 15
    python benchmarks/bench_parse.py --profile 25    # cProfile of dopt's warm parse, top 25

Targets (docs/PERFORMANCE.md): dopt's warm median <= 1.5x BuildKit's binding; cold
``dopt parse`` <= 150 ms. The exit code is 1 when a target is missed (``--no-fail`` to ignore).
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
COLD_FILE = CORPUS / "python-django-multistage.Dockerfile"
# time this checkout's dopt, wherever an editable install happens to point
sys.path.insert(0, str(ROOT))
WARM_TARGET = 1.5  # dopt median / BuildKit median
COLD_TARGET_MS = 150.0


def corpus_texts() -> list[tuple[str, str]]:
    """(name, exact text) of every valid corpus file, CRLF kept.

    >>> len(corpus_texts()) >= 110
    True
    """
    return [(p.name, p.read_bytes().decode("utf-8")) for p in sorted(CORPUS.glob("*.Dockerfile"))]


def _parsers() -> dict[str, callable]:
    import dockerfile
    from dockerfile_parse import DockerfileParser

    from dopt.frontend import parse_text

    def dockerfile_parse(text: str):
        # .structure is where dockerfile-parse does its work; fileobj keeps it off the disk
        return DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8"))).structure

    return {
        "dopt parse_text": parse_text,
        "BuildKit (dockerfile.parse_string)": dockerfile.parse_string,
        "dockerfile-parse": dockerfile_parse,
    }


def time_warm(parsers: dict, texts: list[tuple[str, str]], reps: int) -> dict[str, list[float]]:
    """Per parser, the per-file median wall time in seconds of ``reps`` parses (after a warm-up).

    The parsers take turns on each file, so a burst of load from elsewhere on the machine hits
    all of them alike instead of whichever happened to be running.

    >>> sorted(time_warm({"len": len}, [("a", "FROM x\\n")], 3))
    ['len']
    """
    samples = {label: [] for label in parsers}
    for _, text in texts:
        for parse in parsers.values():
            parse(text)  # warm caches (grammar load, regex compile) outside the measurement
        per_file = {label: [] for label in parsers}
        for _ in range(reps):
            for label, parse in parsers.items():
                t0 = time.perf_counter()
                parse(text)
                per_file[label].append(time.perf_counter() - t0)
        for label, times in per_file.items():
            samples[label].append(statistics.median(times))
    return samples


def time_cold(argv: list[str], runs: int) -> tuple[float, float] | None:
    """(median, min) wall time in ms of running ``argv`` ``runs`` times; None when it cannot run.

    >>> time_cold([sys.executable, "-c", "pass"], 1)[0] > 0
    True
    """
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the console script then imports this checkout
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        samples.append((time.perf_counter() - t0) * 1000)
        if proc.returncode not in (0, 1):  # hadolint exits 1 on findings; anything else is broken
            return None
    return statistics.median(samples), min(samples)


def _executable(name: str) -> str | None:
    # prefer the interpreter's own bin dir: a pyenv shim adds a shell hop to every cold run
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def accepted_by_all(texts, parsers) -> list[tuple[str, str]]:
    """The files every parser accepts, so all three are timed over the same inputs."""
    ok = []
    for name, text in texts:
        try:
            for parse in parsers.values():
                parse(text)
        except Exception:
            continue
        ok.append((name, text))
    return ok


def warm_table(reps: int) -> tuple[str, float]:
    parsers = _parsers()
    texts = accepted_by_all(corpus_texts(), parsers)
    results = time_warm(parsers, texts, reps)
    bk = results["BuildKit (dockerfile.parse_string)"]
    bk_median = statistics.median(bk)
    out = [
        f"Warm, in-process: {len(texts)} corpus files, median of {reps} parses per file.",
        "",
        "| parser | median per file (ms) | total (ms) | median vs BuildKit |",
        "|---|---:|---:|---:|",
    ]
    for label, medians in results.items():
        med = statistics.median(medians)
        out.append(f"| {label} | {med * 1000:.3f} | {sum(medians) * 1000:.1f} | {med / bk_median:.2f}x |")
    ratio = statistics.median(results["dopt parse_text"]) / bk_median
    return "\n".join(out), ratio


def cold_table(runs: int) -> tuple[str, float | None]:
    dopt = _executable("dopt")
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        (f"dopt parse {COLD_FILE.name}", [dopt, "parse", str(COLD_FILE)] if dopt else None),
        (f"hadolint {COLD_FILE.name}", [_executable("hadolint"), str(COLD_FILE)] if _executable("hadolint") else None),
    ]
    out = [
        f"Cold, subprocess wall time: median of {runs} runs.",
        "",
        "| command | median (ms) | min (ms) |",
        "|---|---:|---:|",
    ]
    dopt_ms = None
    for label, argv in rows:
        got = time_cold(argv, runs) if argv else None
        if label.startswith("dopt"):
            dopt_ms = got and got[0]
        cells = "n/a | n/a" if got is None else f"{got[0]:.1f} | {got[1]:.1f}"
        out.append(f"| `{label}` | {cells} |")
    return "\n".join(out), dopt_ms


def profile(top: int, reps: int) -> str:
    """cProfile of dopt's parse over the corpus; the ``top`` functions by own time."""
    import cProfile
    import pstats

    from dopt.frontend import parse_text

    texts = [(n, t) for n, t in corpus_texts()]
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(reps):
        for _, text in texts:
            try:
                parse_text(text)
            except Exception:
                pass
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=7, help="warm parses per file per parser (default 7)")
    ap.add_argument("--cold-runs", type=int, default=11, help="subprocess runs per command (default 11)")
    ap.add_argument("--profile", type=int, metavar="TOP", help="print a cProfile of dopt's parse instead")
    ap.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    args = ap.parse_args(argv)
    if args.profile:
        print(profile(args.profile, 3))
        return 0
    import os

    print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs.")
    print()
    warm, ratio = warm_table(args.reps)
    cold, dopt_ms = cold_table(args.cold_runs)
    warm_ok = ratio <= WARM_TARGET
    cold_ok = dopt_ms is not None and dopt_ms <= COLD_TARGET_MS
    print(warm)
    print()
    print(cold)
    print()
    print("| target | measured | met |")
    print("|---|---:|---|")
    print(f"| dopt warm median <= {WARM_TARGET}x BuildKit | {ratio:.2f}x | {'yes' if warm_ok else 'NO'} |")
    cold_txt = "n/a" if dopt_ms is None else f"{dopt_ms:.1f} ms"
    print(f"| cold `dopt parse` <= {COLD_TARGET_MS:.0f} ms | {cold_txt} | {'yes' if cold_ok else 'NO'} |")
    return 0 if (warm_ok and cold_ok) or args.no_fail else 1


if __name__ == "__main__":
    sys.exit(main())
