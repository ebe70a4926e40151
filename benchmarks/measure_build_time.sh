#!/usr/bin/env bash
# Build times of each archetype fixture, original vs dopt's -O2 output: cold (no cache), warm (nothing
# changed), and after a one-line change to a source file (a code-only change, the everyday case).
# Usage: bash benchmarks/measure_build_time.sh   (prints a Markdown table; needs a Docker engine and the bases)
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

time_build() {  # dockerfile context tag [--no-cache] -> seconds
  local start end
  start=$(seconds)
  "${BUILD[@]}" -q "${@:4}" -f "$1" -t "$3" "$2" >/dev/null 2>&1
  end=$(seconds)
  python -c "print(f'{$end - $start:.1f}')"
}

echo "| fixture | variant | cold s | warm s | after code change s |"
echo "|---|---|---:|---:|---:|"
for fx in "${FIXTURES[@]}"; do
  opt="$(optimized_dockerfile "$fx")"
  declare -A change=()
  for variant in original optimized; do
    df="$ROOT/tests/fixtures/$fx/Dockerfile"; [ "$variant" = optimized ] && df="$opt"
    ctx="$WORK/$fx-$variant"; rm -rf "$ctx"; cp -r "$ROOT/tests/fixtures/$fx/context" "$ctx"
    tag="dopt-bench/$fx:$variant-time"
    cold=$(time_build "$df" "$ctx" "$tag" --no-cache)
    warm=$(time_build "$df" "$ctx" "$tag")
    # one-line change: a comment line (its syntax per language), unique per run so it never hits the cache
    case "${SOURCE[$fx]}" in *.py) c="# touched $RANDOM$RANDOM";; *) c="// touched $RANDOM$RANDOM";; esac
    echo "$c" >> "$ctx/${SOURCE[$fx]}"
    change[$variant]=$(time_build "$df" "$ctx" "$tag")
    echo "| $fx | $variant | $cold | $warm | ${change[$variant]} |"
  done
  python -c "o, n = ${change[original]}, ${change[optimized]}; print(f'| {\"$fx\"} | code-change rebuild, optimized / original | | | {100 * n / max(o, 0.01):.0f}% |')"
  unset change
done
