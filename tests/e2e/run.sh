#!/usr/bin/env bash
# Runs the end-to-end suite from scratch: builds the control-plane tools (cached), starts a
# dedicated local cluster, builds the operator, runs `cargo test -p vexfs-e2e`, and stops the
# cluster on exit whatever happened. Extra arguments go to `cargo test` (e.g. `--test crds`).
#
# Environment:
#   VEXFS_E2E_STATE  state directory of the suite's cluster (default: /dev/shm/vexfs-e2e-test)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export VEXFS_E2E_STATE="${VEXFS_E2E_STATE:-/dev/shm/vexfs-e2e-test}"

trap '"$here/cluster/down.sh"' EXIT
eval "$("$here/cluster/up.sh")"
cd "$repo"
cargo build -p vexfs-operator --bins
cargo test -p vexfs-e2e --no-fail-fast "$@"
