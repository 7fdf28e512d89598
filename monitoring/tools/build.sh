#!/usr/bin/env bash
# Builds Prometheus and promtool from the Go module pinned in go.mod, and promcheck (checks rule
# and dashboard queries against a running Prometheus), into a cache directory keyed by a hash of
# every build input. A complete cache entry is reused as is. Service discovery
# plugins are left out (build tag remove_all_sd): the tests only use static scrape targets.
# The last line of stdout is the bin directory.
#
# Environment:
#   VEXFS_TOOLS_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${VEXFS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e}"
bins=(github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool
  ./promcheck)

log() { echo "monitoring/tools/build.sh: $*" >&2; }

inputs_hash() {
  {
    go version
    cat "${BASH_SOURCE[0]}" "$here/go.mod" "$here/go.sum"
    (cd "$here" && find . -name '*.go' | LC_ALL=C sort | while read -r f; do echo "== $f"; cat "$f"; done)
  } | sha256sum | cut -c1-16
}

main() {
  local hash dest tmp start version pkg
  hash="$(inputs_hash)"
  dest="$cache_root/prom-$hash"
  if [[ -f "$dest/.complete" ]]; then
    log "Prometheus up to date in $dest"
    echo "$dest/bin"
    return 0
  fi
  start=$SECONDS
  mkdir -p "$cache_root"
  tmp="$(mktemp -d "$cache_root/.prom-$hash.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  cd "$here"
  go mod download
  version="$(go list -m -f '{{.Version}}' github.com/prometheus/prometheus)"
  log "building Prometheus and promtool $version (this takes a while when cold)"
  pkg=github.com/prometheus/common/version
  CGO_ENABLED=0 nice -n 10 go build -trimpath -buildvcs=false -tags remove_all_sd \
    -ldflags "-s -w -X $pkg.Version=$version -X $pkg.Branch=module -X $pkg.Revision=$version" \
    -o "$tmp/bin/" "${bins[@]}"
  for b in prometheus promtool promcheck; do
    [[ -x "$tmp/bin/$b" ]] || { log "missing binary $b"; return 1; }
  done
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  log "built Prometheus in $((SECONDS - start)) s into $dest"
  echo "$dest/bin"
}

main "$@"
