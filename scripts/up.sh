#!/usr/bin/env bash
# `npm start`: a whole PanCode cluster on this machine on its embedded defaults (PGlite, in-process bus, Docker
# sandbox). Prepares the machine if needed (Docker engine, offline images), builds, then runs the service host's
# `pancode-server up` (what `pancode up` forwards to). Extra arguments go to it (e.g. npm start -- --workers 2).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/setup-machine.sh
npx turbo run build --output-logs=errors-only
exec node apps/server/bin/pancode-server.js up "$@"
