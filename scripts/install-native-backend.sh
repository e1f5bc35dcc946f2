#!/usr/bin/env bash
# Optional: the native TF.js backend ('tensorflow'), preferred by lib/backend/select.ts when present.
# Its install script downloads libtensorflow, so this needs a machine with internet; it is never
# part of 'npm ci'. GPU=1 installs tfjs-node-gpu (needs CUDA 11.x + cuDNN 8 on the machine).
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=@tensorflow/tfjs-node@4.22.0
[ "${GPU:-0}" = 1 ] && pkg=@tensorflow/tfjs-node-gpu@4.22.0
echo "installing $pkg (downloads libtensorflow)"
npm install --no-save --foreground-scripts "$pkg"
node -e "require('${pkg%@*}'); const tf=require('@tensorflow/tfjs'); console.log('tensorflow backend registered:', tf.findBackendFactory('tensorflow')!==null)"
