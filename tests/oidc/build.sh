#!/usr/bin/env bash
# Builds the OpenID provider the OIDC tests run against: the example OP server of the
# zitadel/oidc Go module (in-memory users, clients and signing key), into a cache directory keyed
# by a hash of the build inputs. A complete cache entry is reused as is. The last line of stdout
# is the path of the binary.
#
# Dex is not used: the Go module proxy serves no Dex release newer than v2.13.0 (2018; later
# tags are not module versions), and Ory Hydra's cold build takes well over the 5 minutes the
# test budget allows on a 2-core machine.
#
# Environment:
#   VEXFS_TOOLS_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e)
set -euo pipefail

module=github.com/zitadel/oidc/v3
version=v3.52.0
cache_root="${VEXFS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e}"

log() { echo "tests/oidc/build.sh: $*" >&2; }

main() {
  local hash dest tmp start
  hash="$({ go version; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)"
  dest="$cache_root/oidc-op-$hash"
  if [[ -f "$dest/.complete" ]]; then
    log "OpenID provider up to date in $dest"
    echo "$dest/bin/server"
    return 0
  fi
  start=$SECONDS
  mkdir -p "$cache_root"
  tmp="$(mktemp -d "$cache_root/.oidc-op-$hash.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if [[ -z "${GOTMPDIR:-}" && -d /dev/shm ]]; then
    export GOTMPDIR=/dev/shm/vexfs-gotmp
    mkdir -p "$GOTMPDIR"
  fi
  log "building the $module $version example OP"
  GOBIN="$tmp/bin" CGO_ENABLED=0 GOFLAGS=-trimpath nice -n 10 \
    go install "$module/example/server@$version"
  [[ -x "$tmp/bin/server" ]] || { log "missing binary server"; return 1; }
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  log "built the OpenID provider in $((SECONDS - start)) s into $dest"
  echo "$dest/bin/server"
}

main "$@"
