#!/usr/bin/env bash
# The whole test suite (unit + root integration), after making sure everything it needs is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
exec npx vitest run "$@"
