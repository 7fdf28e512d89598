#!/usr/bin/env bash
# Runs the end-to-end suite from scratch: builds the control-plane and Prometheus tools
# (cached), starts a dedicated local cluster, builds the operator, the engine and the kubectl plugin, runs
# `cargo test -p vexfs-e2e`, and stops the cluster on exit whatever happened. Extra arguments go to `cargo test` (e.g. `--test crds`).
#
# Environment:
#   VEXFS_E2E_STATE  state directory of the suite's cluster (default: /dev/shm/vexfs-e2e-test)
#   VEXFS_PROM_BIN   directory with prometheus and promcheck (default: built by
#                    monitoring/tools/build.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export VEXFS_E2E_STATE="${VEXFS_E2E_STATE:-/dev/shm/vexfs-e2e-test}"

export VEXFS_PROM_BIN="${VEXFS_PROM_BIN:-$("$repo/monitoring/tools/build.sh" | tail -n1)}"
trap '"$here/cluster/down.sh"' EXIT
eval "$("$here/cluster/up.sh")"
cd "$repo"
cargo build -p vexfs-operator -p vexfs-engine -p kubectl-vexfs --bins
cargo test -p vexfs-e2e --no-fail-fast "$@"
