#!/usr/bin/env bash
# Sets up everything the project needs on a fresh Debian machine (idempotent, safe to rerun):
# Debian packages for Jupyter (nbconvert, nbclient, jupyter-client, ipykernel) and Chromium (static
# figures), the npm packages from the lock file, and the tslab Jupyter kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=/usr/bin/python3

say() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages (only what is missing).
need_apt=()
[ -x /usr/bin/jupyter-nbconvert ] || need_apt+=(jupyter-nbconvert)
"$PY" -c 'import nbclient' 2>/dev/null || need_apt+=(python3-nbclient)
"$PY" -c 'import jupyter_client' 2>/dev/null || need_apt+=(jupyter-client)
"$PY" -c 'import ipykernel' 2>/dev/null || need_apt+=(python3-ipykernel)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "[setup] missing Debian packages: ${need_apt[*]}; run as root or install them: apt-get install ${need_apt[*]}" >&2; exit 1
    fi
  fi
  say "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
else
  say "Debian packages present"
fi

# 2. npm packages from the lock file (re-run when the lock file changed). onnxruntime-node's install
#    script would download its CUDA libraries from outside the npm registry (and fail here): its own
#    variable ONNXRUNTIME_NODE_INSTALL=skip turns that off (the CPU runtime is inside the package).
#    A setting in .npmrc would also work but makes npm warn on every npx call.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
else
  say "node_modules up to date"
fi

# 2b. tslab's ZeroMQ sends one at a time (scripts/tslab-send-queue.ts says why; idempotent).
node node_modules/tsx/dist/cli.mjs scripts/tslab-send-queue.ts

# 3. The tslab kernel, pointing at this project's tslab.
want="$ROOT/node_modules/.bin/tslab"
have=$("$PY" - <<'PY' 2>/dev/null || true
import json
from jupyter_client.kernelspec import KernelSpecManager
try:
    spec = KernelSpecManager().get_kernel_spec("tslab")
    print(spec.argv[0])
except Exception:
    pass
PY
)
if [ "$have" != "$want" ]; then
  say "registering the tslab kernel ($want)"
  "$want" install --python="$PY" --binary="$want" --user >/dev/null
else
  say "tslab kernel registered"
fi

# 4. Notebooks import the library as ./lib (tslab compiles with rootDir = the notebook folder).
[ -L notebooks/lib ] || ln -s ../lib notebooks/lib

# 5. Optional: the native BLAS addon of the training kernels (native/blas: OpenBLAS sgemm on the wasm
#    heap). Never fails the setup: without it (no compiler, no OpenBLAS, SPATIALEDIT_NATIVE_BLAS=0)
#    training uses the pure-wasm kernels.
build_native_blas() {
  if [ "${SPATIALEDIT_NATIVE_BLAS:-1}" = 0 ]; then say "native BLAS addon skipped (SPATIALEDIT_NATIVE_BLAS=0)"; return 0; fi
  if ! ldconfig -p 2>/dev/null | grep 'libopenblas\.so\.0' >/dev/null; then
    local sudo=""
    [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo="sudo -n"; }
    if [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; then
      say "installing Debian's OpenBLAS runtime (libopenblas0-pthread)"
      { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libopenblas0-pthread >/dev/null; } \
        || say "could not install libopenblas0-pthread; the native BLAS route stays off"
    fi
  fi
  local dir=native/blas out=native/blas/build/Release/spatialedit_blas.node
  if [ -f "$out" ] && [ "$out" -nt "$dir/blas.c" ] && [ "$out" -nt "$dir/binding.gyp" ]; then
    say "native BLAS addon up to date"
    return 0
  fi
  local gyp="" c npm_root
  npm_root=$(npm root -g 2>/dev/null || true)
  for c in "${npm_config_node_gyp:-}" "$npm_root/npm/node_modules/node-gyp/bin/node-gyp.js" \
    "$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"; do
    if [ -n "$c" ] && [ -f "$c" ]; then gyp=$c; break; fi
  done
  if [ -z "$gyp" ] || ! command -v cc >/dev/null || ! command -v make >/dev/null; then
    say "native BLAS addon not built (needs node-gyp from npm, a C compiler and make); training uses the pure-wasm kernels"
    return 0
  fi
  local nodedir=()
  # Debian's nodejs ships the headers in /usr/include/node: build offline against them
  [ -f /usr/include/node/node_api.h ] && nodedir=(--nodedir=/usr)
  if (cd "$dir" && node "$gyp" rebuild "${nodedir[@]}" >build.log 2>&1) &&
    node -e "const b=require('./$out'); if(!b.info().ok) { console.error(b.info().error); process.exit(1) }" 2>>"$dir/build.log"; then
    say "native BLAS addon built ($(node -p "require('./$out').info().config" 2>/dev/null))"
  else
    say "native BLAS addon not built (see $dir/build.log); training uses the pure-wasm kernels"
    rm -rf "$dir/build"
  fi
  return 0
}
build_native_blas || say "native BLAS addon step failed; training uses the pure-wasm kernels"
say "ready"
