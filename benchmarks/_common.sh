# Shared by the measure_*.sh benchmarks: which docker CLI runs BuildKit, and the fixtures' inputs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES=(python_ml nodejs_api java_service go_service)
# a file in each fixture's context that a code-only change touches
declare -A SOURCE=([python_ml]=app/model.py [nodejs_api]=src/app.ts
                   [java_service]=src/main/java/com/example/inventory/App.java [go_service]=main.go)
declare -A RUNTIME_DEPS=([python_ml]="-r libyaml-0-2" [nodejs_api]="" [java_service]="" [go_service]="")

if docker buildx version >/dev/null 2>&1; then
  BUILD=(docker buildx build --load --progress=plain)
elif [ -x /usr/bin/docker ] && DOCKER_BUILDKIT=1 /usr/bin/docker build --help >/dev/null 2>&1; then
  BUILD=(env DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain)
else
  BUILD=(env DOCKER_BUILDKIT=1 docker build --progress=plain)
fi

optimized_dockerfile() {  # $1 fixture -> path of its -O2 output (compiled with dopt)
  local out="$WORK/$1.optimized.Dockerfile"
  python -m dopt compile "$ROOT/tests/fixtures/$1/Dockerfile" -O2 --context "$ROOT/tests/fixtures/$1/context" \
    ${RUNTIME_DEPS[$1]} -o "$out"
  echo "$out"
}

seconds() { python -c 'import time; print(f"{time.time():.3f}")'; }
