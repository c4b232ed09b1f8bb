#!/usr/bin/env bash
# The whole test suite: unit, integration (real Postgres, NATS JetStream, Docker, git) and end-to-end (separate
# coordinator and worker processes driven through the real CLI). Prepares the machine first (idempotent), builds,
# and ends with the plain summary line `N passed, N failed, N skipped`, also when a step dies before any test runs.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/setup-machine.sh || exec node scripts/test-summary.mjs --setup-failed "scripts/setup-machine.sh"
npx turbo run build --output-logs=errors-only || exec node scripts/test-summary.mjs --setup-failed "npm run build"

mkdir -p test-results
rm -f test-results/*.json
# Each vitest run writes a JSON report and, beside it, its count of unhandled errors (the last reporter).
run_vitest() {
  local name="$1"
  shift
  npx vitest run "$@" --reporter=default \
    --reporter=json --outputFile.json="test-results/$name.json" --reporter=./scripts/unhandled-errors-reporter.mjs
}
status=0
run_vitest unit-int --project unit --project int || status=1
run_vitest e2e --project e2e || status=1
node scripts/test-summary.mjs test-results/unit-int test-results/e2e || status=1
exit $status
