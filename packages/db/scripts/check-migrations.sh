#!/usr/bin/env bash
# Fails when src/schema no longer matches the committed migrations: drizzle-kit generates into a scratch copy of
# the migrations folder and must find nothing to write. Offline (no database), a few seconds.
# Usage: scripts/check-migrations.sh [migrations-dir]   (default: drizzle/)
set -euo pipefail
cd "$(dirname "$0")/.."
src_dir="${1:-drizzle}"
scratch_abs="$(mktemp -d)"
trap 'rm -rf "$scratch_abs"' EXIT
# drizzle-kit prefixes "./" to --out, so it must be relative to the package folder.
scratch="$(realpath --relative-to=. "$scratch_abs")"
if [ -d "$src_dir" ]; then cp -R "$src_dir"/. "$scratch"/; fi

drizzle_kit="../../node_modules/.bin/drizzle-kit"
[ -x "$drizzle_kit" ] || drizzle_kit="node_modules/.bin/drizzle-kit"

"$drizzle_kit" check --dialect postgresql --out "$scratch" >/dev/null
before="$(cd "$scratch" && find . -type f -name '*.sql' | sort)"
"$drizzle_kit" generate --dialect postgresql --schema ./src/schema/index.ts --out "$scratch" >/dev/null
after="$(cd "$scratch" && find . -type f -name '*.sql' | sort)"

if [ "$before" != "$after" ]; then
  echo "schema and migrations differ; run 'npm run db:generate -w @pancode/db' and commit the result:" >&2
  comm -13 <(echo "$before") <(echo "$after") | while read -r f; do echo "--- $f" >&2; cat "$scratch/$f" >&2; done
  exit 1
fi
echo "migrations match the schema"
