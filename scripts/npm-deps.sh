#!/usr/bin/env bash
# The npm packages from the lockfile, when node_modules is missing or older than the lockfile,
# and the replkit command's build (scripts/build.sh). All a read-only target needs: it never
# installs a server. Silent when nothing is to do.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch node_modules/.package-lock.json
fi
bash scripts/build.sh
