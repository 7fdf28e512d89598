# Shared helpers for up.sh and down.sh (sourced, not executed).
#
# Environment:
#   VEXFS_E2E_STATE  state directory of one local cluster (default: /dev/shm/vexfs-e2e)

state_dir="${VEXFS_E2E_STATE:-/dev/shm/vexfs-e2e}"
pid_file="$state_dir/pids"

log() { echo "$(basename "$0"): $*" >&2; }
die() { log "error: $*"; exit 1; }

# True when PID is alive and its command line mentions our state directory, so that a
# recycled PID belonging to an unrelated process is never signalled.
is_ours() {
  local pid="$1"
  [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$state_dir"
}

# Stops every process recorded in the PID file one at a time, newest first, so that the API
# server has no clients left when it is asked to stop: SIGTERM, then SIGKILL after 10 s.
stop_recorded() {
  [[ -f "$pid_file" ]] || return 0
  local entries entry pid name
  mapfile -t entries < <(tac "$pid_file")
  for entry in "${entries[@]}"; do
    read -r name pid <<< "$entry"
    is_ours "$pid" || continue
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do is_ours "$pid" || break; sleep 0.1; done
    if is_ours "$pid"; then
      log "$name (pid $pid) ignored SIGTERM, killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -f "$pid_file"
}

# True when at least one recorded process is still running.
any_running() {
  [[ -f "$pid_file" ]] || return 1
  local name pid
  while read -r name pid; do
    is_ours "$pid" && return 0
  done < "$pid_file"
  return 1
}
