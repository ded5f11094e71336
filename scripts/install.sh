#!/usr/bin/env bash
# Installs everything weft and its tests need on Debian 12 (as root, Node 20 present):
# system packages, npm dependencies (building the weft_netns addon from source), and dist/.
# Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  nftables iproute2 iputils-ping util-linux procps kmod  # kernel tools the daemon and tests use
  python3 make g++                                       # node-gyp builds the addon and better-sqlite3
  containernetworking-plugins                            # the CNI reference plugins the churn bench compares with
  docker.io busybox-static                               # a real dockerd and a tiny local image for the plugin e2e tests
  dnsutils dnsperf aardvark-dns                          # dig/nslookup for DNS tests; the DNS bench and its reference
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (weft manages network namespaces and nftables)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "install.sh: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}"
  apt-get update -qq
  # No service may start from a package install (docker.io would start a dockerd in the
  # machine's own namespace): tests start their daemons themselves, in throwaway namespaces.
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || status=$?
  [ "$had_policy" -eq 0 ] && rm -f "$policy"
  [ "${status:-0}" -eq 0 ] || exit "$status"
fi

# npm ci only when the lockfile changed since the last install (it rebuilds native modules).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.weft-lock-hash 2>/dev/null)" != "$lock_hash" ] || [ ! -f native/build/Release/weft_netns.node ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.weft-lock-hash
fi
npm run build --silent
