#!/usr/bin/env bash
# Builds nats-server, the JetStream cluster the engine's clustered-mode tests run against, from
# its Go module at a pinned version, into a cache directory keyed by a hash of the build inputs.
# A complete cache entry is reused as is. The last line of stdout is the path of the binary.
#
# Environment:
#   VEXFS_TOOLS_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e)
set -euo pipefail

module=github.com/nats-io/nats-server/v2
version=v2.15.2
cache_root="${VEXFS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e}"

log() { echo "tests/nats/build.sh: $*" >&2; }

main() {
  local hash dest tmp start
  hash="$({ go version; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)"
  dest="$cache_root/nats-$hash"
  if [[ -f "$dest/.complete" ]]; then
    log "nats-server up to date in $dest"
    echo "$dest/bin/nats-server"
    return 0
  fi
  start=$SECONDS
  mkdir -p "$cache_root"
  tmp="$(mktemp -d "$cache_root/.nats-$hash.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if [[ -z "${GOTMPDIR:-}" && -d /dev/shm ]]; then
    export GOTMPDIR=/dev/shm/vexfs-gotmp
    mkdir -p "$GOTMPDIR"
  fi
  log "building nats-server $version from $module"
  GOBIN="$tmp/bin" CGO_ENABLED=0 GOFLAGS=-trimpath nice -n 10 \
    go install -ldflags "-s -w" "$module@$version"
  [[ -x "$tmp/bin/nats-server" ]] || { log "missing binary nats-server"; return 1; }
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  log "built nats-server in $((SECONDS - start)) s into $dest"
  echo "$dest/bin/nats-server"
}

main "$@"
