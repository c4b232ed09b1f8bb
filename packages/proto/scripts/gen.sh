#!/usr/bin/env bash
# Regenerates src/gen from proto/pancode/v1/*.proto with protoc (Debian's protobuf-compiler) + ts-proto.
# Works offline. CI runs it and then `git diff --exit-code src/gen` to prove the committed code is current.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
plugin="$root/node_modules/.bin/protoc-gen-ts_proto"
command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }
[ -x "$plugin" ] || { echo "ts-proto plugin not found at $plugin: run npm install" >&2; exit 1; }
rm -rf "$here/src/gen"
mkdir -p "$here/src/gen"
protoc \
  --plugin="protoc-gen-ts_proto=$plugin" \
  --ts_proto_out="$here/src/gen" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,importSuffix=.js,useExactTypes=false,forceLong=number,useOptionals=none,outputJsonMethods=false,outputPartialMethods=false \
  -I "$root/proto" \
  "$root"/proto/pancode/v1/*.proto
