#!/bin/sh
# Prints a greeting as JSON, through jq (so the package must really be installed).
printf '{"greeting":"%s","target":"%s"}' "$GREETING" "$TARGET" | jq -c .
