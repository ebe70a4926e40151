#!/usr/bin/env bash
# Re-record the engine output the parser tests read. Needs the stand-in debian:bookworm-slim
# and a BuildKit-capable CLI (Debian's /usr/bin/docker 20.10 here). Outputs: <builder>-<case>-<cold|warm>.txt
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bk_cli=${BK_CLI:-/usr/bin/docker}
for case in small multistage; do
  DOCKER_BUILDKIT=1 "$bk_cli" build --progress=plain --no-cache -t "dopt-record-$case" "$case" > "buildkit-$case-cold.txt" 2>&1
  DOCKER_BUILDKIT=1 "$bk_cli" build --progress=plain -t "dopt-record-$case" "$case" > "buildkit-$case-warm.txt" 2>&1
  DOCKER_BUILDKIT=0 docker build --no-cache -t "dopt-record-$case" "$case" > "classic-$case-cold.txt" 2>&1
  DOCKER_BUILDKIT=0 docker build -t "dopt-record-$case" "$case" > "classic-$case-warm.txt" 2>&1
  docker image rm "dopt-record-$case" > /dev/null
done
DOCKER_BUILDKIT=1 "$bk_cli" build --progress=plain --no-cache failing > buildkit-failing.txt 2>&1
DOCKER_BUILDKIT=0 docker build --no-cache failing > classic-failing.txt 2>&1
printf 'FROM scratch\nCOPY <<EOF /probe\nok\nEOF\n' | DOCKER_BUILDKIT=1 "$bk_cli" build --progress=plain - > buildkit-heredoc.txt 2>&1
exit 0
