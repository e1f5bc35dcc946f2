#!/usr/bin/env bash
# Packs bench/train-step for a machine without node_modules or npm (the lent GPU machine): one esbuild
# bundle (tfjs, the wasm and webgpu backends, lib/), the .wasm files beside it, webgpu's dawn.node
# (gzipped), and, with --with-node, this machine's node binary (gzipped). Output: build/gpu-pack/.
# On the GPU machine: bash bench/train-step-gpu-run.sh (it unpacks and runs the benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
OUTD=build/gpu-pack
rm -rf "$OUTD"
mkdir -p "$OUTD/node_modules/webgpu/dist/linux-x64"
npx --no-install esbuild bench/train-step.ts --bundle --platform=node --target=node20 --outfile="$OUTD/train-step.js" \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --log-level=error
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$OUTD/"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$OUTD/node_modules/webgpu/"
gzip -1 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$OUTD/dawn.node.gz"
if [ "${1:-}" = --with-node ]; then gzip -1 -c "$(readlink -f "$(command -v node)")" >"$OUTD/node.gz"; fi
# the commit (and any uncommitted diff) travel with the pack, so results on the GPU machine record them
git rev-parse HEAD >"$OUTD/commit.txt"
git diff HEAD >"$OUTD/uncommitted.diff"
du -sh "$OUTD"
