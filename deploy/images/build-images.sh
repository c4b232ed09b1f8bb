#!/usr/bin/env bash
# Builds every PanCode image offline (no container registry is reachable): pancode/base:bookworm when absent,
# then pancode/agent:dev from agent.Dockerfile with the CLI versions pinned in agent-versions.env.
# Idempotent and quiet; prints what it did and how long it took. Concurrent callers (e.g. several test processes)
# serialize on a lock file, so each image is built once.
#
# The agent image carries a `pancode.build.hash` label: sha256 of agent.Dockerfile, agent-versions.env, the
# files in agent-etc/ and agent-build/, and the base image id. It is rebuilt only when that hash differs (a
# Dockerfile edit, a version bump, a rebuilt base), so an unchanged tree costs one `docker image inspect`, even
# after the layer cache was pruned. A cold agent build (npm install -g of five CLIs) takes about 50 s on 2 cores.
#
# Usage: deploy/images/build-images.sh [--force]   (--force rebuilds the base, hence the agent image too)
# Env:   PANCODE_AGENT_IMAGE  agent image name (default pancode/agent:dev)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AGENT_IMAGE="${PANCODE_AGENT_IMAGE:-pancode/agent:dev}"
LOCK="${PANCODE_IMAGES_LOCK:-/tmp/pancode-build-images.lock}"

exec 9>"$LOCK"
flock 9

started=$(date +%s)
"$here/build-base.sh" "$@"

# Build args from agent-versions.env: plain KEY=value lines, comments and blank lines skipped.
versions="$here/agent-versions.env"
build_args=()
while IFS= read -r line || [[ -n "$line" ]]; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  [[ "$line" =~ ^([A-Z][A-Z0-9_]*)=([^[:space:]\"\']+)$ ]] || { echo "images: bad line in $versions: $line" >&2; exit 1; }
  build_args+=(--build-arg "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}")
done <"$versions"

base_image="${PANCODE_BASE_IMAGE:-pancode/base:bookworm}"
base_id=$(docker image inspect -f '{{.Id}}' "$base_image")
# Everything the build reads: the Dockerfile, the versions, the files COPYed from agent-etc/ and agent-build/
# (names and bytes), and the base image it starts from.
hash=$( (cd "$here" && find agent.Dockerfile agent-versions.env agent-etc agent-build -type f | LC_ALL=C sort | xargs sha256sum
  echo "$base_id") | sha256sum | cut -c1-32)
current=$(docker image inspect -f '{{index .Config.Labels "pancode.build.hash"}}' "$AGENT_IMAGE" 2>/dev/null || true)
if [[ "$current" == "$hash" ]]; then
  echo "images: $AGENT_IMAGE up to date (build hash $hash)"
  echo "images: done in $(($(date +%s) - started))s"
  exit 0
fi

t0=$(date +%s)
log=$(mktemp /tmp/pancode-agent-build.XXXXXX)
trap 'rm -f "$log"' EXIT
# --network host: no bridge network exists on our hosts, and the RUN npm install -g needs the registry.
if ! docker build --network host --force-rm -q -t "$AGENT_IMAGE" -f "$here/agent.Dockerfile" \
  "${build_args[@]}" --build-arg "PANCODE_BUILD_HASH=$hash" "$here" >"$log" 2>&1; then
  cat "$log" >&2
  echo "images: docker build of $AGENT_IMAGE failed (output above)" >&2
  exit 1
fi
echo "images: built $AGENT_IMAGE ($(tail -n 1 "$log" | cut -c1-19), build hash $hash) in $(($(date +%s) - t0))s"
echo "images: done in $(($(date +%s) - started))s"
