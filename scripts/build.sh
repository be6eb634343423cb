#!/usr/bin/env bash
# The replkit command's build: every command script of scripts/ bundled by esbuild into dist/scripts/
# (its libraries and npm packages inside, shared code split into chunks, loaded on demand), so a
# start reads a few files instead of hundreds: replkit check starts ~55 ms sooner than from a
# plain tsc build. Types are checked by tsc --noEmit (make typecheck, make test), not here.
# Again only when a source is newer than the last build; silent when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=dist/.built
if [ ! -f "$stamp" ] || [ -n "$(find scripts package-lock.json -newer "$stamp" \( -name '*.ts' -o -name package-lock.json \) | head -n 1)" ]; then
  echo "setup: bundling scripts/ into dist/ (esbuild)" >&2
  rm -rf dist
  # prom-client is CommonJS: a require() for it inside the ESM bundle.
  # The tooling (make bench, make chaos, make test's runner) runs from the checkout by tsx: never shipped.
  commands=$(ls scripts/*.ts | grep -v -E '/(bench|chaos|run-tests)\.ts$')
  # shellcheck disable=SC2086
  node_modules/.bin/esbuild $commands --bundle --platform=node --format=esm --target=node20 \
    --splitting --outdir=dist/scripts --log-level=warning \
    --banner:js="import { createRequire as __replkitRequire } from 'node:module'; const require = __replkitRequire(import.meta.url);"
  touch "$stamp"
fi
