#!/usr/bin/env bash
# The main job: set up, then execute every notebook headless on the chosen profile
# (default quick), writing figures/, tables and results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsx scripts/run-notebooks.ts --profile "${SPATIALEDIT_PROFILE:-quick}" "$@"
