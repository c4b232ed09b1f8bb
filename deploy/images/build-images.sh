#!/usr/bin/env bash
# Builds every PanCode image offline (no registry is reachable): pancode/base:bookworm when absent, then
# pancode/agent:dev from agent.Dockerfile. Idempotent and quiet; prints what it did and how long it took.
# Concurrent callers (e.g. several test processes) serialize on a lock file, so the base is built once.
#
# Usage: deploy/images/build-images.sh [--force]   (--force rebuilds the base too)
# Env:   PANCODE_AGENT_IMAGE  agent image name (default pancode/agent:dev)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AGENT_IMAGE="${PANCODE_AGENT_IMAGE:-pancode/agent:dev}"
LOCK="${PANCODE_IMAGES_LOCK:-/tmp/pancode-build-images.lock}"

exec 9>"$LOCK"
flock 9

started=$(date +%s)
"$here/build-base.sh" "$@"

t0=$(date +%s)
log=$(mktemp /tmp/pancode-agent-build.XXXXXX)
trap 'rm -f "$log"' EXIT
# --network host: no bridge network exists on our hosts, and later RUN npm install -g needs the registry.
if ! docker build --network host -q -t "$AGENT_IMAGE" -f "$here/agent.Dockerfile" "$here" >"$log" 2>&1; then
  cat "$log" >&2
  echo "images: docker build of $AGENT_IMAGE failed (output above)" >&2
  exit 1
fi
echo "images: built $AGENT_IMAGE ($(tail -n 1 "$log" | cut -c1-19)) in $(($(date +%s) - t0))s"
echo "images: done in $(($(date +%s) - started))s"
