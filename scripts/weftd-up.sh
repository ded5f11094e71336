#!/usr/bin/env bash
# Quick start: install what weft needs, then run weftd in the foreground with
# embedded defaults (state in /var/lib/weft, API socket /run/weft/weft.sock).
# Extra arguments go to weftd, e.g. --log-level debug.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
exec node dist/src/bin/weftd.js "$@"
