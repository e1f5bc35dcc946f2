#!/usr/bin/env bash
# The whole test suite: set up, type-check, unit tests (vitest), committed notebooks carry no
# outputs, then every notebook executed headless on the quick profile.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[test] type check"; node node_modules/typescript/bin/tsc --noEmit -p tsconfig.json
echo "[test] unit tests"; npx vitest run
echo "[test] notebooks carry no outputs"; npx tsx scripts/check-notebooks.ts
echo "[test] notebooks on the quick profile"; npx tsx scripts/run-notebooks.ts --profile quick
