#!/usr/bin/env bash
# Builds pancode/base:bookworm without any registry: debootstrap a minimal Debian bookworm rootfs, copy the
# host's Node 20 + npm into it, add the non-root `agent` user (uid/gid 1000), then `docker import` it.
# Idempotent: does nothing when the image exists, unless --force is given.
#
# Usage: deploy/images/build-base.sh [--force]
# Env:   PANCODE_BASE_IMAGE     image name   (default pancode/base:bookworm)
#        PANCODE_DEBIAN_MIRROR  apt mirror   (default http://deb.debian.org/debian)
set -euo pipefail

IMAGE="${PANCODE_BASE_IMAGE:-pancode/base:bookworm}"
MIRROR="${PANCODE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# procps for ps/pkill inside agents, ripgrep because coding agents search with `rg`.
PACKAGES="ca-certificates,git,bash,ripgrep,procps"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

if [[ $force -eq 0 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base: $IMAGE already present (use --force to rebuild)"
  exit 0
fi

for tool in debootstrap docker node npm; do
  command -v "$tool" >/dev/null || { echo "base: missing required tool on host: $tool" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "base: debootstrap needs root" >&2; exit 1; }

started=$(date +%s)
work=$(mktemp -d /tmp/pancode-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "base: debootstrap bookworm ($PACKAGES) from $MIRROR"
if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
  tail -n 40 "$work/debootstrap.log" >&2
  echo "base: debootstrap failed (log above)" >&2
  exit 1
fi

# Node: the host binary is dynamically linked against glibc/libstdc++, which bookworm provides.
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../node_modules/npm
install -m 0755 "$node_bin" "$rootfs/usr/bin/node"
mkdir -p "$rootfs/usr/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/bin/npx"

# The host's CA bundle may carry a TLS-intercepting proxy's CA that `npm install -g` inside later image
# builds needs; npm's global config for prefix /usr is /usr/etc/npmrc.
host_ca=$(npm config get cafile 2>/dev/null || true)
ca_env=()
if [[ -n "$host_ca" && "$host_ca" != "null" && "$host_ca" != "undefined" && -r "$host_ca" ]]; then
  install -m 0644 "$host_ca" "$rootfs/etc/ssl/certs/pancode-host-ca.crt"
  mkdir -p "$rootfs/usr/etc"
  printf 'cafile=/etc/ssl/certs/pancode-host-ca.crt\nfund=false\naudit=false\nupdate-notifier=false\n' >"$rootfs/usr/etc/npmrc"
  ca_env=(-c "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/pancode-host-ca.crt")
fi

# Non-root agent user: containers run as 1000:1000 and the worker chowns worktrees to it.
grep -q '^agent:' "$rootfs/etc/group" || echo 'agent:x:1000:' >>"$rootfs/etc/group"
grep -q '^agent:' "$rootfs/etc/passwd" || echo 'agent:x:1000:1000:PanCode agent:/home/agent:/bin/bash' >>"$rootfs/etc/passwd"
grep -q '^agent:' "$rootfs/etc/shadow" || echo 'agent:!:19000:0:99999:7:::' >>"$rootfs/etc/shadow"
install -d -o 1000 -g 1000 -m 0755 "$rootfs/home/agent" "$rootfs/workspace"

# Smaller image: apt caches and docs are not needed at run time.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*

echo "base: docker import -> $IMAGE"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV LANG=C.UTF-8' \
  "${ca_env[@]}" \
  -c 'CMD ["bash"]' \
  -m "pancode base: debootstrap bookworm minbase + host node $(node -v)" \
  - "$IMAGE" >/dev/null

echo "base: built $IMAGE in $(($(date +%s) - started))s ($(du -sh "$rootfs" | cut -f1) rootfs, node $(node -v))"
