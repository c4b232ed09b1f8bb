#!/bin/bash
# Runs inside a pancode/agent:dev container started by record-agent-fixtures.sh (network none, uid 1000, tmpfs
# HOME, /recorder = this directory read-only, /case = the case's directory, /workspace = a throwaway git repo).
# Starts the canned model server on 127.0.0.1:8787, sources /case/setup.sh (writes the CLI's config into $HOME,
# exports its env), runs /case/cmd.sh with stdin closed, and leaves stdout.jsonl, stderr.txt, rc, ms and the
# server's request log in /case.
set -u
node /recorder/canned-model-server.mjs "${SCENARIO:-text}" /case/requests.jsonl 8787 &
server=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8787) 2>/dev/null && break; sleep 0.1; done
# shellcheck source=/dev/null
. /case/setup.sh
cd /workspace || exit 1
start=$(date +%s%N)
timeout "${CLI_TIMEOUT:-120}" bash /case/cmd.sh </dev/null >/case/stdout.jsonl 2>/case/stderr.txt
echo $? >/case/rc
echo $((($(date +%s%N) - start) / 1000000)) >/case/ms
kill "$server" 2>/dev/null
git -C /workspace status --porcelain >/case/git-status.txt 2>&1
