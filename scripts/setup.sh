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

# 2. npm packages from the lock file (re-run when the lock file changed).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
else
  say "node_modules up to date"
fi

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
say "ready"
