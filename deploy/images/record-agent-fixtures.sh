#!/usr/bin/env bash
# Records the real stdout of every coding-agent CLI baked into the agent image, driven against a canned model
# server (fixture-recorder/canned-model-server.mjs) that runs INSIDE the same container, so the CLI's only
# network peer is 127.0.0.1 (the container has --network none). Writes
# packages/agents/src/runtimes/fixtures/<runtime>-<case>.jsonl plus manifest.json (versions, commands, exit
# codes); the README there explains the cases. Re-run after bumping agent-versions.env, then review the diff.
#
# Usage: deploy/images/record-agent-fixtures.sh [name-filter]      e.g. `... codex` records only codex-* cases
# Needs: docker, jq, the agent image (deploy/images/build-images.sh). Takes about 3 minutes for all cases.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
IMAGE="${PANCODE_AGENT_IMAGE:-pancode/agent:dev}"
out="$root/packages/agents/src/runtimes/fixtures"
filter="${1:-}"
for tool in docker jq git; do command -v "$tool" >/dev/null || { echo "fixtures: missing $tool" >&2; exit 1; }; done
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "fixtures: no image $IMAGE (run build-images.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/pancode-fixtures.XXXXXX)
trap '[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"' EXIT
mkdir -p "$out"

UP=127.0.0.1:8787   # the canned server
DOWN=127.0.0.1:1    # nothing listens: the connection-refused path
KEY=sk-canned-not-a-secret

# ---- per-CLI configuration, emitted as shell that in-container.sh sources; $1 = model server host:port ----

pi_setup() {
  cat <<EOF
mkdir -p "\$HOME/.pi/agent"
cat >"\$HOME/.pi/agent/models.json" <<'J'
{"providers": {"local": {"baseUrl": "http://$1/v1", "api": "openai-completions", "apiKey": "LOCAL_API_KEY",
  "compat": {"supportsDeveloperRole": false, "supportsReasoningEffort": false},
  "models": [{"id": "canned-model", "cost": {"input": 0.5, "output": 1.5, "cacheRead": 0.05, "cacheWrite": 0}}]}}}
J
echo '{"retry": {"maxRetries": 1, "baseDelayMs": 500}}' >"\$HOME/.pi/agent/settings.json"
export LOCAL_API_KEY=$KEY
EOF
}

claude_setup() {
  cat <<EOF
export ANTHROPIC_BASE_URL=http://$1 ANTHROPIC_API_KEY=$KEY CLAUDE_CODE_MAX_RETRIES=1
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1
EOF
}

codex_setup() {
  cat <<EOF
export CODEX_HOME="\$HOME/.codex" LOCAL_API_KEY=$KEY
mkdir -p "\$CODEX_HOME"
cat >"\$CODEX_HOME/config.toml" <<'T'
model = "canned-model"
model_provider = "local"
check_for_update_on_startup = false
web_search = "disabled"

[model_providers.local]
name = "local"
base_url = "http://$1/v1"
env_key = "LOCAL_API_KEY"
wire_api = "responses"
request_max_retries = 1
stream_max_retries = 1

[analytics]
enabled = false

[feedback]
enabled = false

[history]
persistence = "none"

[features]
plugins = false
apps = false
remote_plugin = false
api_key_model_discovery = false
unbounded_connection_retries = false
T
EOF
}

gemini_setup() { # $2 = maxSessionTurns
  cat <<EOF
export GOOGLE_GEMINI_BASE_URL=http://$1 GEMINI_API_KEY=$KEY
mkdir -p "\$HOME/.gemini"
cat >"\$HOME/.gemini/settings.json" <<'J'
{"general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false, "maxAttempts": 1},
 "privacy": {"usageStatisticsEnabled": false}, "telemetry": {"enabled": false},
 "security": {"auth": {"selectedType": "gemini-api-key"}}, "model": {"maxSessionTurns": ${2:-10}}}
J
EOF
}

opencode_setup() {
  cat <<EOF
export LOCAL_API_KEY=$KEY OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_LSP_DOWNLOAD=1
export OPENCODE_DISABLE_SHARE=1 OPENCODE_DISABLE_DEFAULT_PLUGINS=1
export OPENCODE_CONFIG_CONTENT='{"autoupdate": false, "share": "disabled", "snapshot": false, "model": "local/canned-model",
  "permission": {"edit": "allow", "bash": "allow", "webfetch": "deny"},
  "provider": {"local": {"npm": "@ai-sdk/openai-compatible", "name": "Local",
    "options": {"baseURL": "http://$1/v1", "apiKey": "{env:LOCAL_API_KEY}"},
    "models": {"canned-model": {"name": "Canned", "cost": {"input": 0.5, "output": 1.5, "cache_read": 0.05}}}}},
  "agent": {"pancode-ro": {"mode": "primary", "description": "read-only", "steps": 5,
    "prompt": "You are a read-only reviewer. Never modify files.",
    "permission": {"edit": "deny", "bash": "deny", "webfetch": "deny"}}}}'
EOF
}

# ---- cases: record NAME SCENARIO "SETUP" "COMMAND" ----

manifest="$work/manifest.jsonl"
: >"$manifest"
printf '%-26s %4s %7s %6s %5s  %s\n' FIXTURE RC MS LINES REQS WORKTREE
record() {
  local name=$1 scenario=$2 setup=$3 cmd=$4 d="$work/$1"
  [[ -z "$filter" || "$name" == *"$filter"* ]] || return 0
  mkdir -p "$d/ws"
  printf '%s\n' "$setup" >"$d/setup.sh"
  printf '%s\n' "$cmd" >"$d/cmd.sh"
  git -C "$d/ws" init -q -b main
  echo "# demo" >"$d/ws/README.md"
  git -C "$d/ws" add -A
  git -C "$d/ws" -c user.email=fixtures@pancode -c user.name=fixtures commit -qm init
  chown -R 1000:1000 "$d"
  docker run --rm --network none --cap-drop ALL --security-opt no-new-privileges --user 1000:1000 \
    --tmpfs /home/agent:rw,exec,uid=1000,gid=1000,mode=0700 -e HOME=/home/agent -e SCENARIO="$scenario" \
    -v "$here/fixture-recorder:/recorder:ro" -v "$d:/case" -v "$d/ws:/workspace" "$IMAGE" bash /recorder/in-container.sh
  cp "$d/stdout.jsonl" "$out/$name.jsonl"
  local rc ms lines reqs changes runtime version
  for runtime in claude-code codex gemini opencode pi; do [[ "$name" == "$runtime"-* ]] && break; done
  version=$(docker image inspect -f "{{index .Config.Labels \"pancode.version.$runtime\"}}" "$IMAGE")
  rc=$(cat "$d/rc") ms=$(cat "$d/ms") lines=$(wc -l <"$d/stdout.jsonl")
  reqs=$(grep -c '"method"' "$d/requests.jsonl" || true)
  changes=$(tr '\n' ' ' <"$d/git-status.txt" | sed 's/ *$//')
  printf '%-26s %4s %7s %6s %5s  %s\n' "$name" "$rc" "$ms" "$lines" "$reqs" "${changes:-clean}"
  jq -nc --arg name "$name" --arg runtime "$runtime" --arg version "$version" --arg scenario "$scenario" \
    --arg server "$(grep -q "$DOWN" "$d/setup.sh" && echo "$DOWN (refused)" || echo "$UP")" --arg cmd "$cmd" \
    --argjson rc "$rc" --argjson lines "$lines" --argjson requests "$reqs" --arg worktree "${changes:-clean}" \
    '{($name): {runtime: $runtime, version: $version, scenario: $scenario, modelServer: $server, command: $cmd,
      exitCode: $rc, stdoutLines: $lines, modelRequests: $requests, worktreeAfter: $worktree}}' >>"$manifest"
}

P='pi -p --mode json --no-session --offline --provider local --model canned-model'
record pi-text text "$(pi_setup $UP)" "$P \"Say hello\""
record pi-tool tool "$(pi_setup $UP)" "$P --tools read,write,edit,bash \"Create hello.txt containing hi\""
record pi-error text "$(pi_setup $DOWN)" "$P \"Say hello\""

# `--` ends the variadic --tools/--allowedTools lists, which would otherwise swallow the prompt.
C='claude -p --output-format stream-json --verbose --model canned-model --no-session-persistence'
CT='--tools Read,Write,Edit,Bash,Glob,Grep'
record claude-code-text text "$(claude_setup $UP)" "$C --max-turns 4 -- \"Say hello\""
record claude-code-tool tool "$(claude_setup $UP)" "$C --max-turns 4 $CT --allowedTools Read,Write,Edit,Bash,Glob,Grep -- \"Create hello.txt containing hi\""
record claude-code-denied tool "$(claude_setup $UP)" "$C --max-turns 4 $CT --permission-mode default -- \"Create hello.txt containing hi\""
record claude-code-max-turns tool "$(claude_setup $UP)" "$C --max-turns 1 $CT --allowedTools Read,Write,Edit,Bash,Glob,Grep -- \"Create hello.txt containing hi\""
record claude-code-error text "$(claude_setup $DOWN)" "$C --max-turns 4 -- \"Say hello\""

X='codex exec --json --skip-git-repo-check --ephemeral'
record codex-text text "$(codex_setup $UP)" "$X --dangerously-bypass-approvals-and-sandbox \"Say hello\""
record codex-tool tool "$(codex_setup $UP)" "$X --dangerously-bypass-approvals-and-sandbox \"Create hello.txt containing hi\""
record codex-readonly-sandbox tool "$(codex_setup $UP)" "$X -s read-only \"Create hello.txt containing hi\""
record codex-error text "$(codex_setup $DOWN)" "$X --dangerously-bypass-approvals-and-sandbox \"Say hello\""

G='gemini -o stream-json -m canned-model --skip-trust'
record gemini-text text "$(gemini_setup $UP)" "$G -p \"Say hello\""
record gemini-tool tool "$(gemini_setup $UP)" "$G --approval-mode yolo -p \"Create hello.txt containing hi\""
record gemini-plan-mode tool "$(gemini_setup $UP)" "$G --approval-mode plan -p \"Create hello.txt containing hi\""
record gemini-max-turns tool "$(gemini_setup $UP 1)" "$G --approval-mode yolo -p \"Create hello.txt containing hi\""
record gemini-error text "$(gemini_setup $DOWN)" "$G -p \"Say hello\""

O='opencode run --format json -m local/canned-model --title pancode-run'
record opencode-text text "$(opencode_setup $UP)" "$O \"Say hello\""
record opencode-tool tool "$(opencode_setup $UP)" "$O \"Create hello.txt containing hi\""
record opencode-readonly-agent tool "$(opencode_setup $UP)" "$O --agent pancode-ro \"Create hello.txt containing hi\""
record opencode-error text "$(opencode_setup $DOWN)" "$O \"Say hello\""

# manifest.json: one entry per fixture (CLI version, command, exit code, ...), merged over the previous manifest
# so a filtered run keeps the other entries.
old="$out/manifest.json"
[[ -f "$old" ]] || echo '{"fixtures": {}}' >"$old"
jq -s --slurpfile old "$old" '{fixtures: (($old[0].fixtures // {}) + (add // {}) | to_entries | sort_by(.key) | from_entries)}' \
  "$manifest" >"$work/m.json"
mv "$work/m.json" "$old"
echo "fixtures: wrote $(find "$out" -name '*.jsonl' | wc -l) files to $out"
