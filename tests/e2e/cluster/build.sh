#!/usr/bin/env bash
# Builds the local control-plane tools (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, etcd, kwok, helm, kstatus) from the Go modules under tools/ into a cache directory
# keyed by a hash of every build input, and copies kwok's Stage definitions next to them.
# A complete cache entry is reused as is. The last line of stdout is the bin directory.
#
# Environment:
#   VEXFS_TOOLS_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache_root="${VEXFS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vexfs-e2e}"

kube_bins=(
  k8s.io/kubernetes/cmd/kube-apiserver
  k8s.io/kubernetes/cmd/kube-controller-manager
  k8s.io/kubernetes/cmd/kube-scheduler
  k8s.io/kubernetes/cmd/kubectl
  ./etcd
  ./kstatus
)
ext_bins=(sigs.k8s.io/kwok/cmd/kwok helm.sh/helm/v3/cmd/helm)
all_names=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kstatus kwok helm)
# kwok Stage files copied from the kwok module (path relative to kustomize/stage/).
stages=(
  node/fast/node-initialize.yaml
  node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  pod/fast/pod-ready.yaml
  pod/fast/pod-complete.yaml
  pod/fast/pod-delete.yaml
  pod/chaos/pod-container-running-failed.yaml
)

log() { echo "build.sh: $*" >&2; }

# Prints the version of a required module as recorded in the given module's go.mod.
module_version() {
  local dir="$1" module="$2"
  (cd "$dir" && go list -m -f '{{.Version}}' "$module")
}

inputs_hash() {
  {
    go version
    cat "${BASH_SOURCE[0]}"
    (cd "$tools" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) | LC_ALL=C sort |
      while read -r f; do echo "== $f"; cat "$f"; done)
  } | sha256sum | cut -c1-16
}

kube_ldflags() {
  local v="$1" major minor
  major="${v#v}"; major="${major%%.*}"
  minor="${v#v*.}"; minor="${minor%%.*}"
  local flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=$v"
  done
  echo "$flags"
}

helm_ldflags() {
  local helm_v="$1" k8s_minor="$2"
  local flags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_v"
  flags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  echo "$flags"
}

go_build() {
  local dir="$1" out="$2" ldflags="$3"; shift 3
  (cd "$dir" && CGO_ENABLED=0 nice -n 10 go build -trimpath -buildvcs=false \
    -ldflags "$ldflags" -o "$out/" "$@")
}

copy_stages() {
  local out="$1" kwok_dir
  kwok_dir="$(cd "$tools/ext" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  mkdir -p "$out"
  for s in "${stages[@]}"; do
    cp "$kwok_dir/kustomize/stage/$s" "$out/"
  done
  chmod u+w "$out"/*.yaml
}

main() {
  local hash dest tmp start
  hash="$(inputs_hash)"
  dest="$cache_root/tools-$hash"
  if [[ -f "$dest/.complete" ]]; then
    log "tools up to date in $dest"
    echo "$dest/bin"
    return 0
  fi
  start=$SECONDS
  mkdir -p "$cache_root"
  tmp="$(mktemp -d "$cache_root/.tools-$hash.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tools/kube" && go mod download) && (cd "$tools/ext" && go mod download)

  local kube_v helm_v minor
  kube_v="$(module_version "$tools/kube" k8s.io/kubernetes)"
  helm_v="$(module_version "$tools/ext" helm.sh/helm/v3)"
  minor="${kube_v#v*.}"; minor="${minor%%.*}"
  log "building Kubernetes $kube_v tools, etcd and kstatus (this takes a while when cold)"
  go_build "$tools/kube" "$tmp/bin" "$(kube_ldflags "$kube_v")" "${kube_bins[@]}"
  log "building kwok and helm $helm_v"
  go_build "$tools/ext" "$tmp/bin" "$(helm_ldflags "$helm_v" "$minor")" "${ext_bins[@]}"
  copy_stages "$tmp/stages"
  for b in "${all_names[@]}"; do
    [[ -x "$tmp/bin/$b" ]] || { log "missing binary $b"; return 1; }
  done
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
  log "built tools in $((SECONDS - start)) s into $dest"
  echo "$dest/bin"
}

main "$@"
