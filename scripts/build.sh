#!/usr/bin/env bash
# The replkit command's build: scripts/ compiled to dist/ once (tsc), again only when a source is
# newer than the last build. Silent when up to date (a find over scripts/, a few ms).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=dist/.built
if [ ! -f "$stamp" ] || [ -n "$(find scripts tsconfig.json tsconfig.build.json -newer "$stamp" -name '*.ts' -o -newer "$stamp" -name 'tsconfig*.json' | head -n 1)" ]; then
  echo "setup: compiling scripts/ to dist/ (tsc)" >&2
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.build.json
  touch "$stamp"
fi
