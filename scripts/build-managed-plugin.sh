#!/usr/bin/env bash
# Builds weft as a Docker managed (v2) plugin from local files only (no registry, no base image):
#
#   scripts/build-managed-plugin.sh [OUT_DIR]          (default: build/managed-plugin)
#   docker plugin create weft OUT_DIR                  # tars OUT_DIR (config.json + rootfs/) into the daemon
#   docker plugin set weft state.source=/var/lib/weft api.source=/run/weft   # optional: host dirs (must exist)
#   docker plugin enable weft
#   docker network create -d weft:latest --ipam-driver weft:latest --subnet 10.20.0.0/16 demo
#
# rootfs/: the node binary and the libraries it links (ldd), nft (the kernel layer feeds it rule
# sets) and ip with theirs, weft's dist/, its production node_modules and the weft_netns addon.
# config.json: host network (the engine looks up SrcName in its own namespace), CAP_NET_ADMIN and
# CAP_SYS_ADMIN, the state directory and the gRPC API socket's directory bind-mounted from the host.
# The engine makes a plugin's /proc/sys read-only (and runc refuses bind mounts into /proc), so the
# entrypoint remounts it read-write (CAP_SYS_ADMIN, the plugin's own mount namespace) before it
# execs weftd: weft sets per-interface sysctls. See docs/docker-plugin.md.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-build/managed-plugin}
NODE_BIN=$(readlink -f "$(command -v node)")
# nft: the kernel layer feeds it rule sets; ip: kernel feature probes; sh and mount: the entrypoint.
TOOLS=(/usr/sbin/nft /usr/sbin/ip /bin/ip /bin/sh /bin/mount)

[ -f dist/src/bin/weftd.js ] || npm run build --silent
[ -f native/build/Release/weft_netns.node ] || { echo "build-managed-plugin: native/build/Release/weft_netns.node is missing (npm ci builds it)" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/rootfs"
ROOTFS=$(cd "$OUT/rootfs" && pwd)

# A file and every shared library it links, at the same paths inside the rootfs.
copy_with_libs() {
  local file=$1 dest=$2
  install -D -m 0755 "$file" "$ROOTFS$dest"
  { ldd "$file" 2>/dev/null || true; } | awk '/=> \//{print $3} /^[ \t]*\/[^ ]*ld-linux/{print $1}' | while read -r lib; do
    [ -e "$ROOTFS$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$ROOTFS$lib"
  done
}

copy_with_libs "$NODE_BIN" /usr/local/bin/node
for tool in "${TOOLS[@]}"; do
  [ -x "$tool" ] && copy_with_libs "$(readlink -f "$tool")" "$tool"
done

APP="$ROOTFS/opt/weft"
mkdir -p "$APP/native/build/Release"
cp -a dist proto package.json package-lock.json "$APP/"
cp native/build/Release/weft_netns.node "$APP/native/build/Release/"
cp -a node_modules "$APP/"
# Production dependencies only; offline: prune only removes.
(cd "$APP" && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts --silent)
find "$APP/node_modules" -mindepth 1 -maxdepth 1 -type d -empty -delete
# Native modules may link libraries node itself does not.
find "$APP" -name '*.node' -print0 | while IFS= read -r -d '' mod; do
  { ldd "$mod" 2>/dev/null || true; } | awk '/=> \//{print $3}' | while read -r lib; do
    [ -e "$ROOTFS$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$ROOTFS$lib"
  done
done

# Mount points and the directories weftd writes to.
mkdir -p "$ROOTFS"/{etc/netns,tmp,proc,sys,dev,run/docker/plugins,run/weft,run/netns,var/lib/weft}
chmod 1777 "$ROOTFS/tmp"
touch "$ROOTFS/etc/hosts" "$ROOTFS/etc/resolv.conf"

cat > "$OUT/config.json" <<'JSON'
{
  "description": "weft: network and IPAM driver (bridge, nat, ... weft drivers)",
  "documentation": "https://example.invalid/weft/docs/docker-plugin.md",
  "entrypoint": ["/bin/sh", "-c",
                 "mount -o remount,bind,rw /proc/sys || exit 1; exec /usr/local/bin/node /opt/weft/dist/src/bin/weftd.js \"$@\"", "weftd",
                 "--plugin-socket", "/run/docker/plugins/weft.sock",
                 "--root", "/var/lib/weft",
                 "--socket", "/run/weft/weft.sock"],
  "workdir": "/opt/weft",
  "args": {"name": "args", "description": "extra weftd flags, e.g. --log-level debug", "settable": ["value"], "value": []},
  "interface": {"types": ["docker.networkdriver/1.0", "docker.ipamdriver/1.0"], "socket": "weft.sock"},
  "network": {"type": "host"},
  "linux": {"capabilities": ["CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_RAW"]},
  "mounts": [
    {"name": "state", "description": "weft's state (its store); must exist on the host",
     "source": "/var/lib/weft", "destination": "/var/lib/weft", "type": "bind", "options": ["rbind", "rw"], "settable": ["source"]},
    {"name": "api", "description": "directory of weft's gRPC API socket, for the weft CLI on the host; must exist",
     "source": "/run/weft", "destination": "/run/weft", "type": "bind", "options": ["rbind", "rw"], "settable": ["source"]}
  ]
}
JSON
echo "managed plugin in $OUT ($(du -sh "$OUT" | cut -f1)): docker plugin create NAME $OUT && docker plugin enable NAME"
