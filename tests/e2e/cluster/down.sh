#!/usr/bin/env bash
# Stops the local control plane started by up.sh: only the PIDs it recorded in its state
# directory. Logs stay in "$VEXFS_E2E_STATE/logs" for debugging; pass --purge to delete the
# whole state directory as well.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

stop_recorded
if [[ "${1:-}" == "--purge" ]]; then
  rm -rf "$state_dir"
  log "removed $state_dir"
fi
log "stopped"
