#!/usr/bin/env bash
# Runs bench/train-step on the GPU machine from build/gpu-pack (see train-step-gpu-pack.sh): first
# what the machine has (nvidia-smi, the Vulkan loader and ICDs), then the benchmark with WebGPU.
# Everything goes to ${OUT:-/tmp/out}: env.txt, bench.log, train-step-gpu.json.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
PACK=build/gpu-pack
{
  echo "== nvidia-smi"; nvidia-smi 2>&1 | head -15
  echo "== vulkan loader"; ls -la /usr/lib/x86_64-linux-gnu/libvulkan* 2>&1; ldconfig -p | grep -i vulkan
  echo "== ICD files"; ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1
  echo "== node"; command -v node && node --version
  echo "== cpu"; nproc; grep -m1 "model name" /proc/cpuinfo
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
# only on the lent machine (OUT is set there): never unpack packages into / elsewhere
if [ -n "${DEVICE_RUN:-}" ] && ! ldconfig -p | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  echo "== unpacking the carried Vulkan loader"; for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$ICD" ] && [ -z "${VK_DRIVER_FILES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$ICD; echo "VK_DRIVER_FILES=$ICD"
fi
NODE=$(command -v node || true)
if [ -z "$NODE" ] && [ -f $PACK/node.gz ]; then gunzip -c $PACK/node.gz >/tmp/node && chmod +x /tmp/node && NODE=/tmp/node; fi
[ -n "$NODE" ] || { echo "no node binary (carry build/gpu-pack with --with-node)" | tee -a "$OUT/bench.log"; exit 1; }
[ -f $PACK/node_modules/webgpu/dist/linux-x64/dawn.node ] || gunzip -c $PACK/dawn.node.gz >$PACK/node_modules/webgpu/dist/linux-x64/dawn.node
echo "== webgpu adapter"
(cd $PACK && timeout 60 "$NODE" --input-type=module -e "import {create, globals} from 'webgpu'; Object.assign(globalThis, globals); const a = await create([]).requestAdapter(); console.log(a ? JSON.stringify(a.info ?? {}) : 'no adapter');") 2>&1 | tee -a "$OUT/env.txt"
echo "== bench"
export SPATIALEDIT_MACHINE_NOTE="GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
[ -f $PACK/commit.txt ] && export SPATIALEDIT_GIT_COMMIT=$(cat $PACK/commit.txt)
export SPATIALEDIT_PYTHON=${SPATIALEDIT_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}
SPATIALEDIT_WEBGPU=1 timeout "${BENCH_TIMEOUT:-400}" "$NODE" $PACK/train-step.js --workers=1 --steps="${STEPS:-20}" --rounds="${ROUNDS:-3}" --name=train-step-gpu "$@" 2>&1 | tee "$OUT/bench.log"
cp results/quick/train-step-gpu.json "$OUT/" || echo "no results/quick/train-step-gpu.json: the benchmark did not write its result" | tee -a "$OUT/bench.log"
[ -s $PACK/uncommitted.diff ] && cp $PACK/uncommitted.diff "$OUT/"
