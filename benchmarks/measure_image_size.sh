#!/usr/bin/env bash
# Image size and layer count of each archetype fixture: original vs dopt's -O2 output, built for real.
# Usage: bash benchmarks/measure_image_size.sh   (prints a Markdown table; needs a Docker engine and the bases)
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

echo "| fixture | original MB | layers | -O2 MB | layers | smaller | fewer layers |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for fx in "${FIXTURES[@]}"; do
  ctx="$ROOT/tests/fixtures/$fx/context"
  opt="$(optimized_dockerfile "$fx")"
  "${BUILD[@]}" -q -f "$ROOT/tests/fixtures/$fx/Dockerfile" -t "dopt-bench/$fx:original" "$ctx" >/dev/null 2>&1
  "${BUILD[@]}" -q -f "$opt" -t "dopt-bench/$fx:optimized" "$ctx" >/dev/null 2>&1
  python - "$fx" <<'PY'
import json, subprocess, sys
fx = sys.argv[1]
def facts(tag):
    info = json.loads(subprocess.check_output(["docker", "image", "inspect", tag]))[0]
    return info["Size"] / 2**20, len(info["RootFS"]["Layers"])
(a, la), (b, lb) = facts(f"dopt-bench/{fx}:original"), facts(f"dopt-bench/{fx}:optimized")
print(f"| {fx} | {a:.0f} | {la} | {b:.0f} | {lb} | {100 * (a - b) / a:.1f}% | {100 * (la - lb) / la:.0f}% |")
PY
done
