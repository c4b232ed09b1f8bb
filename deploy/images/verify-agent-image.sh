#!/usr/bin/env bash
# Checks that every coding-agent CLI in the agent image starts under the same confinement as a real run:
# uid 1000, no network, no capabilities, no-new-privileges, and a fresh tmpfs HOME (so nothing relies on state
# baked into the image). Runs `<cli> --version` once per runtime listed in the image's `pancode.runtimes` label,
# compares the output with its `pancode.version.<runtime>` label, and prints a table.
# Exits 1 when any CLI fails, hangs (30 s), or reports a version other than its label; 2 on bad usage.
#
# Usage: deploy/images/verify-agent-image.sh [image]     (default: $PANCODE_AGENT_IMAGE or pancode/agent:dev)
set -euo pipefail

IMAGE="${1:-${PANCODE_AGENT_IMAGE:-pancode/agent:dev}}"
[[ $# -le 1 ]] || { echo "usage: $0 [image]" >&2; exit 2; }
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "verify: image not found: $IMAGE (run build-images.sh)" >&2; exit 1; }

label() { docker image inspect -f "{{index .Config.Labels \"$1\"}}" "$IMAGE"; }
# runtime name (as in the labels and PanCode's runtime ids) -> the command it installs
declare -A BIN=([pi]=pi [claude-code]=claude [codex]=codex [gemini]=gemini [opencode]=opencode)

runtimes=$(label pancode.runtimes)
[[ -n "$runtimes" ]] || { echo "verify: $IMAGE has no pancode.runtimes label" >&2; exit 1; }

failed=0
printf '%-12s %-10s %-10s %-8s %s\n' RUNTIME LABEL REPORTED SECONDS STATUS
for runtime in ${runtimes//,/ }; do
  bin="${BIN[$runtime]:-}"
  want=$(label "pancode.version.$runtime")
  if [[ -z "$bin" || -z "$want" ]]; then
    printf '%-12s %-10s %-10s %-8s %s\n' "$runtime" "${want:--}" - - "FAIL (unknown runtime or no version label)"
    failed=1
    continue
  fi
  t0=$(date +%s%N)
  set +e
  out=$(timeout 30 docker run --rm --network none --cap-drop ALL --security-opt no-new-privileges \
    --user 1000:1000 --tmpfs /home/agent:rw,exec,uid=1000,gid=1000,mode=0700 -e HOME=/home/agent \
    "$IMAGE" "$bin" --version 2>&1)
  rc=$?
  set -e
  ms=$((($(date +%s%N) - t0) / 1000000))
  secs="$((ms / 1000)).$((ms % 1000 / 100))"
  # First version-looking token of the output: "2.1.197 (Claude Code)", "codex-cli 0.169.0", "0.61.0", ...
  got=$(grep -oE '[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]*' <<<"$out" | head -n 1 || true)
  if [[ $rc -ne 0 ]]; then
    # The first line mentioning an error (docker's own ones come first), else the CLI's last line.
    why=$(grep -m 1 -i 'error' <<<"$out" || tail -n 1 <<<"$out")
    status="FAIL (exit $rc): $(cut -c1-100 <<<"$why")"
    failed=1
  elif [[ "$got" != "$want" ]]; then
    status="FAIL (version mismatch): $(head -n 1 <<<"$out" | cut -c1-100)"
    failed=1
  else
    status=ok
  fi
  printf '%-12s %-10s %-10s %-8s %s\n' "$runtime" "$want" "${got:--}" "$secs" "$status"
done

if [[ $failed -ne 0 ]]; then
  echo "verify: $IMAGE: at least one agent CLI failed (table above)" >&2
  exit 1
fi
echo "verify: $IMAGE: all agent CLIs start as uid 1000 with --network none --cap-drop ALL"
