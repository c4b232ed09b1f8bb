#!/usr/bin/env bash
# Builds every PanCode image offline, in order: pancode/base:bookworm and pancode/agent:dev (deploy/images), then
# pancode/nats:dev and pancode/postgres:dev (Debian packages on the base), then pancode/coordinator:dev and
# pancode/worker:dev (npm ci + turbo build from this checkout). Nothing is pulled from a registry; builds use
# --network host because our hosts have no bridge network, and reach only apt and npm.
#
# Idempotent: the base is built only when missing (unless --force) and everything else hits Docker's layer cache
# when its inputs did not change. Prints one line per image with its duration; a failed build prints its output.
#
# Usage: deploy/build-images.sh [--force]        (--force rebuilds the base too, which invalidates every layer)
# Env:   PANCODE_IMAGE_TAG     tag of nats/postgres/coordinator/worker (default dev)
#        NPM_REGISTRY          npm registry used inside the app builds (default: the host's `npm config get registry`)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
TAG="${PANCODE_IMAGE_TAG:-dev}"
started=$(date +%s)

case "${1:-}" in
  --force | "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac
command -v docker >/dev/null || { echo "images: docker is not installed" >&2; exit 1; }

registry="${NPM_REGISTRY:-$(npm config get registry 2>/dev/null || true)}"
[[ "$registry" == http* ]] || registry="https://registry.npmjs.org/"

log=$(mktemp /tmp/pancode-build.XXXXXX)
trap 'rm -f "$log"' EXIT

# build NAME DOCKERFILE CONTEXT [docker build args...]
build() {
  local name=$1 dockerfile=$2 context=$3 t0
  shift 3
  t0=$(date +%s)
  if ! docker build --network host --force-rm -q -t "pancode/$name:$TAG" -f "$dockerfile" "$@" "$context" >"$log" 2>&1; then
    cat "$log" >&2
    echo "images: docker build of pancode/$name:$TAG failed (output above)" >&2
    exit 1
  fi
  printf 'images: built pancode/%s:%s (%s) in %ss\n' "$name" "$TAG" "$(tail -n 1 "$log" | cut -c8-19)" \
    "$(($(date +%s) - t0))"
}

"$root/deploy/images/build-images.sh" "$@"
build nats "$here/docker/nats.Dockerfile" "$here/docker"
build postgres "$here/docker/postgres.Dockerfile" "$here/docker"
# Coordinator first: the worker build then reuses its cached install and compile stages.
build coordinator "$here/docker/coordinator.Dockerfile" "$root" --build-arg NPM_REGISTRY="$registry"
build worker "$here/docker/worker.Dockerfile" "$root" --build-arg NPM_REGISTRY="$registry"
echo "images: all built in $(($(date +%s) - started))s"
