# shellcheck shell=bash
# Shared helpers for up.sh and down.sh (sourced, not executed).
#
# Environment:
#   VEXFS_E2E_STATE  state directory of one local cluster (default: /dev/shm/vexfs-e2e)

state_dir="${VEXFS_E2E_STATE:-/dev/shm/vexfs-e2e}"
pid_file="$state_dir/pids"
taken_ports=()

log() { echo "$(basename "$0"): $*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port VAR: stores in VAR a TCP port on 127.0.0.1 that nothing listens on and that this
# script has not handed out before (runs in the current shell so the record is kept).
free_port() {
  local -n _port="$1"
  while :; do
    _port=$((20000 + RANDOM % 30000))
    [[ " ${taken_ports[*]} " == *" $_port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$_port") 2>/dev/null; then
      taken_ports+=("$_port")
      return
    fi
  done
}

# True when PID is alive and was started for our state directory (its environment or command
# line names it), so that a recycled PID belonging to an unrelated process is never signalled.
is_ours() {
  local pid="$1"
  [[ -r "/proc/$pid/environ" ]] || return 1
  { tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -qxF "VEXFS_E2E_STATE=$state_dir" && return 0
  { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$state_dir"
}

# start NAME COMMAND...: runs COMMAND detached with VEXFS_E2E_STATE set (which marks it as ours),
# logging to logs/NAME.log, and records its PID.
start() {
  local name="$1"; shift
  VEXFS_E2E_STATE="$state_dir" setsid "$@" < /dev/null > "$state_dir/logs/$name.log" 2>&1 &
  echo "$name $!" >> "$pid_file"
}

# wait_for DESCRIPTION TIMEOUT_S COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" > /dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      die "timed out after ${timeout}s waiting for $what (logs in $state_dir/logs)"
    fi
    any_running || die "a component exited while waiting for $what (logs in $state_dir/logs)"
    sleep 0.2
  done
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
