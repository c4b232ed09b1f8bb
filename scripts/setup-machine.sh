#!/usr/bin/env bash
# Makes this machine able to run PanCode Cluster and its tests, idempotently: Debian packages (Docker engine,
# NATS, Postgres, protoc, debootstrap), a running Docker engine, and the offline base + agent images.
# Needs root for what is missing; does nothing when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v nats-server >/dev/null || need+=(nats-server)
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v debootstrap >/dev/null || need+=(debootstrap)
# Shells whose completion scripts the tests check.
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
# docker-compose (v1) renders docker-compose.yml in the deploy config test.
command -v docker-compose >/dev/null || need+=(docker-compose)
# Debian's chromium is the browser the console e2e tests drive through playwright-core (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)
{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need+=(postgresql)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${need[*]} (install them as root: apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The Docker engine does not start by itself here. No bridge: containers use network none (or host), and no
# private-range address is ever created.
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "the Docker engine is not running and only root can start it" >&2
    exit 1
  fi
  echo "starting the Docker engine"
  nohup dockerd --bridge=none --iptables=false --ip-forward=false >/tmp/pancode-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not come up; see /tmp/pancode-dockerd.log" >&2; exit 1; }
fi

# Prometheus and promtool prove the dashboards and alert rules (test/e2e/dashboards.e2e.test.ts). The tests start
# their own server on a random port: the package's service must not sit on :9090, so it is installed with service
# starts denied (policy-rc.d) and disabled where systemd runs.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing package: prometheus (install it as root: apt-get install -y --no-install-recommends prometheus)" >&2
    exit 1
  fi
  echo "installing prometheus (service not started)"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if [ -d /run/systemd/system ] && systemctl is-enabled --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

bash deploy/images/build-images.sh
