#!/usr/bin/env bash
# The whole test suite: unit, integration (real Postgres, NATS JetStream, Docker, git) and end-to-end (separate
# coordinator and worker processes driven through the real CLI). Prepares the machine first (idempotent), builds,
# and ends with the plain summary line `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/setup-machine.sh || exit 1
npx turbo run build --output-logs=errors-only || exit 1

mkdir -p test-results
rm -f test-results/*.json
status=0
npx vitest run --project unit --project int --reporter=default --reporter=json \
  --outputFile.json=test-results/unit-int.json || status=1
npx vitest run --project e2e --reporter=default --reporter=json \
  --outputFile.json=test-results/e2e.json || status=1
node scripts/test-summary.mjs test-results/unit-int.json test-results/e2e.json || status=1
exit $status
