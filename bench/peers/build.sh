#!/usr/bin/env bash
# Builds the ingest peer (VictoriaLogs, app/victoria-logs) from the Go module pinned in tools/go.mod
# into a cache directory keyed by a hash of every build input. A complete cache entry is reused as
# is. The last line of stdout is the bin directory.
#
# Environment:
#   VEXFS_BENCH_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-bench)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache_root="${VEXFS_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-bench}"
package=github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs

log() { echo "build.sh: $*" >&2; }

inputs_hash() {
  {
    go version
    cat "${BASH_SOURCE[0]}" "$tools/go.mod" "$tools/go.sum"
  } | sha256sum | cut -c1-16
}

main() {
  local hash dest tmp start version
  hash="$(inputs_hash)"
  dest="$cache_root/tools-$hash"
  if [[ -f "$dest/.complete" ]]; then
    log "peer up to date in $dest"
    echo "$dest/bin"
    return 0
  fi
  start=$SECONDS
  mkdir -p "$cache_root"
  tmp="$(mktemp -d "$cache_root/.tools-$hash.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  version="$(cd "$tools" && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' github.com/VictoriaMetrics/VictoriaLogs)"
  log "building VictoriaLogs $version (a minute or two when cold)"
  # Without cgo the storage uses the pure-Go zstd codec, as upstream's pure builds do.
  (cd "$tools" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 10 go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$version" \
    -o "$tmp/bin/victoria-logs" "$package")
  [[ -x "$tmp/bin/victoria-logs" ]] || { log "missing binary victoria-logs"; return 1; }
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  log "built the peer in $((SECONDS - start)) s into $dest"
  echo "$dest/bin"
}

main "$@"
