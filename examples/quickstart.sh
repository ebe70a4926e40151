#!/usr/bin/env bash
# The main job on the shipped python_ml example: build the original, compile it with -O2, build the
# optimized Dockerfile, verify it behaves the same, and report the measured savings.
#
# Without a Docker engine it compiles only (no builds, nothing verified) and says how to get the full loop.
# Outputs go to out/quickstart/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FIXTURE=tests/fixtures/python_ml
OUT=out/quickstart
mkdir -p "$OUT"

python -m pip install -q -e . 2>&1 | grep -v "Running pip as the 'root' user" || true

if ! timeout 10 docker info >/dev/null 2>&1; then
  python -m dopt compile "$FIXTURE/Dockerfile" -O2 -r libyaml-0-2 -o "$OUT/Dockerfile.compiled" --diff -v \
    || exit $?
  cat >&2 <<MSG

dopt: no Docker engine answers, so the Dockerfile was compiled but NOT built or verified
      ($OUT/Dockerfile.compiled is unverified).
      For the full loop start Docker (dockerd, or Docker Desktop) and run this script again.
      On Debian as root, 'bash .ci/run' installs docker.io, starts dockerd and builds the local base images.
MSG
  exit 0
fi

# The example's base images: pulled where a registry is reachable, else the local stand-ins
# (tests/images/, needs Debian's debootstrap) that the test suite uses.
for image in python:3.11 python:3.11-slim; do
  if ! docker image inspect "$image" >/dev/null 2>&1 && ! docker pull -q "$image" >/dev/null 2>&1; then
    echo "dopt: $image cannot be pulled here; building the local stand-in base images (a few minutes, once)" >&2
    bash tests/images/build.sh
    break
  fi
done

python -m dopt optimize "$FIXTURE/Dockerfile" --context "$FIXTURE/context" \
  -o "$OUT/Dockerfile.optimized" -r libyaml-0-2 \
  --smoke "python -m app predict" --smoke "python -m app config" \
  --json "$OUT/result.json" --report "$OUT/report.html"
echo "dopt: wrote $OUT/Dockerfile.optimized, $OUT/result.json and $OUT/report.html" >&2
