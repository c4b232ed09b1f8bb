#!/usr/bin/env bash
# Proves the deploy images work together, without docker compose networks: runs pancode/{nats,postgres,
# coordinator,worker}:dev with --network host on random free ports bound to 127.0.0.1, then dispatches one run with
# the host's CLI from a temp git repo and checks its file came back. Also validates docker-compose.yml statically
# (`docker-compose config -q`, never `up`) when docker-compose is installed.
#
# Why no compose here: our engine runs with --bridge=none and we never create bridge networks, so compose's default
# network is not an option on this machine. Every container, temp dir and agent container it caused is removed on
# exit, success or failure.
#
# Usage: deploy/smoke-test.sh [--build]    (--build first runs deploy/build-images.sh)
# Needs: docker, node, git on the host, and `npm run build` done (the CLI runs from apps/cli/dist).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
TAG="${PANCODE_IMAGE_TAG:-dev}"
name="pancode-smoke-$$"
started=$EPOCHREALTIME
containers=()
tmp=""

if [[ "${1:-}" == "--build" ]]; then "$here/build-images.sh"; elif [[ -n "${1:-}" ]]; then
  echo "usage: $0 [--build]" >&2; exit 2
fi

log() { printf 'smoke: %s\n' "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }
fail() { log "FAIL: $*"; exit 1; }

cleanup() {
  local rc=$?
  set +e
  if [[ $rc -ne 0 ]]; then
    for c in "${containers[@]}"; do
      log "--- last logs of $c"
      docker logs --tail 30 "$c" 2>&1 | sed 's/^/    /' >&2
    done
  fi
  # Agent containers the worker started carry its host name as owner; normally it removes them itself.
  local agents
  agents=$(docker ps -aq --filter "label=pancode.owner-host=$name-worker" 2>/dev/null)
  [[ -n "$agents" ]] && docker rm -f $agents >/dev/null 2>&1
  for c in "${containers[@]}"; do docker rm -f -v "$c" >/dev/null 2>&1; done
  # Worktrees belong to root and uid 1000 (the worker chowns them); a non-root caller removes them through a container.
  if [[ -n "$tmp" && $(id -u) -ne 0 && -d "$tmp/worker-data" ]]; then
    docker run --rm --network none -v "$tmp:$tmp" "pancode/base:bookworm" rm -rf "$tmp/worker-data" >/dev/null 2>&1
  fi
  [[ -n "$tmp" ]] && rm -rf "$tmp"
  log "cleaned up ${#containers[@]} containers; total $(elapsed "$started") (exit $rc)"
}
trap cleanup EXIT
# Turn Ctrl-C and kill into a normal exit so the EXIT trap still cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM

for image in nats postgres coordinator worker agent; do
  docker image inspect "pancode/$image:$TAG" >/dev/null 2>&1 ||
    fail "image pancode/$image:$TAG is missing: run deploy/build-images.sh (or $0 --build)"
done
[[ -f "$root/apps/cli/dist/main.js" ]] || fail "the CLI is not built: run npm run build in $root"

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits until `docker inspect` reports the container healthy, failing fast if it exits.
wait_healthy() {
  local c=$1 deadline=$((SECONDS + ${2:-60})) state
  while ((SECONDS < deadline)); do
    state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")
    [[ "$state" == "running healthy" ]] && return 0
    [[ "$state" == running* ]] || fail "$c stopped ($state)"
    sleep 0.3
  done
  fail "$c not healthy after ${2:-60}s ($state)"
}

# Waits until the container's log holds a line matching $2.
wait_log() {
  local c=$1 pattern=$2 deadline=$((SECONDS + ${3:-60}))
  while ((SECONDS < deadline)); do
    docker logs "$c" 2>&1 | grep -q -- "$pattern" && return 0
    [[ $(docker inspect -f '{{.State.Status}}' "$c") == running ]] || fail "$c exited before logging '$pattern'"
    sleep 0.3
  done
  fail "$c did not log '$pattern' within ${3:-60}s"
}

run() {
  # $1 = short name; the rest = docker run arguments. Records the container before anything can fail.
  local short=$1
  shift
  containers+=("$name-$short")
  docker run -d --name "$name-$short" --network host --health-interval 1s "$@" >/dev/null
}

tmp=$(mktemp -d /tmp/pancode-smoke.XXXXXX)
nats_port=$(free_port); nats_mon=$(free_port); pg_port=$(free_port); coord_port=$(free_port)
pg_password=$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')
client_token=$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')
worker_token=$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')
log "ports: nats $nats_port (monitor $nats_mon), postgres $pg_port, coordinator $coord_port; tmp $tmp"

t=$EPOCHREALTIME
run nats -e NATS_MONITOR_PORT="$nats_mon" "pancode/nats:$TAG" \
  -js -sd /data -a 127.0.0.1 -p "$nats_port" -m "$nats_mon"
run postgres -e POSTGRES_PASSWORD="$pg_password" -e PGPORT="$pg_port" -e POSTGRES_LISTEN_ADDRESSES=127.0.0.1 \
  "pancode/postgres:$TAG"
wait_healthy "$name-nats" 30
wait_healthy "$name-postgres" 60
log "nats + postgres healthy in $(elapsed "$t")"

t=$EPOCHREALTIME
run coordinator --init \
  -e DATABASE_URL="postgres://pancode:$pg_password@127.0.0.1:$pg_port/pancode" \
  -e NATS_URL="nats://127.0.0.1:$nats_port" \
  -e PANCODE_LISTEN="127.0.0.1:$coord_port" \
  -e PANCODE_TOKEN="$client_token" -e PANCODE_WORKER_TOKEN="$worker_token" \
  "pancode/coordinator:$TAG"
wait_healthy "$name-coordinator" 60
log "coordinator healthy (migrations applied, gRPC listening) in $(elapsed "$t")"

# The worker asks the HOST engine to bind-mount worktrees, so its data dir is a host path at the same path inside.
# Its own host name keeps its orphan reaper (keyed by owner host) away from agents of workers running on the host.
t=$EPOCHREALTIME
data="$tmp/worker-data"
mkdir -p "$data"
run worker --init --hostname "$name-worker" \
  -v /var/run/docker.sock:/var/run/docker.sock \
  -v "$data:$data" -e PANCODE_DATA_DIR="$data" \
  -e PANCODE_COORDINATOR="127.0.0.1:$coord_port" -e PANCODE_WORKER_TOKEN="$worker_token" \
  -e NATS_URL="nats://127.0.0.1:$nats_port" -e PANCODE_WORKER_ID="$name-worker" \
  -e PANCODE_AGENT_IMAGE="pancode/agent:$TAG" \
  "pancode/worker:$TAG"
wait_log "$name-worker" "pancode worker .* started (sandbox: docker)" 60
log "worker registered in $(elapsed "$t")"

t=$EPOCHREALTIME
repo="$tmp/repo"
mkdir -p "$repo"
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=smoke -c user.email=smoke@pancode.invalid commit -q --allow-empty -m init
echo "smoke" >"$repo/README.md"
git -C "$repo" add README.md
git -C "$repo" -c user.name=smoke -c user.email=smoke@pancode.invalid commit -q -m readme
(
  cd "$repo"
  PANCODE_COORDINATOR="127.0.0.1:$coord_port" PANCODE_TOKEN="$client_token" PANCODE_DATA_DIR="$tmp/cli-data" \
    node "$root/apps/cli/bin/pancode.js" dispatch "echo hi > x.txt" --agent shell --wait
) || fail "pancode dispatch exited $?"
[[ -f "$repo/x.txt" ]] || fail "x.txt did not arrive in $repo"
[[ "$(cat "$repo/x.txt")" == "hi" ]] || fail "x.txt holds '$(cat "$repo/x.txt")', expected 'hi'"
log "dispatch round trip (upload, run in agent container, patch merged back) in $(elapsed "$t")"

# A wrong client token must be refused: the coordinator is not open to anyone who can reach the port.
if (cd "$repo" && PANCODE_COORDINATOR="127.0.0.1:$coord_port" PANCODE_TOKEN=wrong PANCODE_DATA_DIR="$tmp/cli-data" \
  node "$root/apps/cli/bin/pancode.js" runs >/dev/null 2>&1); then
  fail "the coordinator accepted a wrong client token"
fi
log "wrong token refused"

if command -v docker-compose >/dev/null; then
  t=$EPOCHREALTIME
  PANCODE_TOKEN=x PANCODE_WORKER_TOKEN=y POSTGRES_PASSWORD=z \
    docker-compose --project-directory "$root" -f "$root/docker-compose.yml" config -q ||
    fail "docker-compose.yml does not validate"
  PANCODE_TOKEN=x PANCODE_WORKER_TOKEN=y POSTGRES_PASSWORD=z \
    docker-compose --project-directory "$root" -f "$root/docker-compose.yml" --profile observability config -q ||
    fail "docker-compose.yml does not validate with the observability profile"
  if PANCODE_WORKER_TOKEN=y POSTGRES_PASSWORD=z docker-compose -f "$root/docker-compose.yml" config -q 2>/dev/null; then
    fail "docker-compose.yml accepted a missing PANCODE_TOKEN"
  fi
  log "docker-compose.yml validates (and requires its tokens) in $(elapsed "$t")"
else
  log "docker-compose not installed: compose file not validated (apt-get install -y docker-compose)"
fi

log "PASS"
