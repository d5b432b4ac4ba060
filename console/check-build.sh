#!/usr/bin/env bash
# Type-checks the console, rebuilds it into a temporary folder and fails if
# the committed build (internal/console/dist, embedded in the binary)
# differs from what the sources produce. Run `npm ci` first.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx tsc --noEmit -p .
CONSOLE_OUT_DIR="$tmp/dist" npx vite build --logLevel warn
if ! diff -rq "$tmp/dist" ../internal/console/dist; then
  echo "internal/console/dist is not the build of console/src: run 'npm run build' in console/ and commit the result" >&2
  exit 1
fi
echo "console: internal/console/dist matches the sources"
