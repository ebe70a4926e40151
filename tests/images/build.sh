#!/usr/bin/env bash
# Build dopt's local stand-in base images (a no-op when they are current). See README.md.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/build.py" "$@"
