# Shared by the clustered-mode benchmarks (sourced, not run): builds the release engine, the load
# generator and nats-server; a work directory removed on exit (kept with KEEP set) with every
# process started through `pids` stopped; a 3-node JetStream cluster on loopback (`start_nats`) and
# engines (`start_engine`, `wait_engines`). The caller sets `log` and `ENGINE_ENV` (an array, may be
# empty) and runs from the repository root.

cargo build --release --quiet -p vexfs-engine --bin vexfs-engine --bin vexfs-loadgen
nats_bin="$(tests/nats/build.sh | tail -n 1)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vexfs-cluster-bench.XXXXXX")"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "${KEEP:-}" ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {
  for _ in $(seq 600); do
    curl -fs "$1" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "$1 never answered; the servers' logs end with:"
  tail -n 5 "$work"/*/log >&2
  return 1
}

# Starts three JetStream servers; sets nats_urls.
start_nats() {
  local i client route monitor routes="" urls=()
  local -a clients routes_p monitors
  for i in 0 1 2; do
    clients[i]="$(free_port)"; routes_p[i]="$(free_port)"; monitors[i]="$(free_port)"
    routes+="\"nats-route://127.0.0.1:${routes_p[i]}\","
  done
  for i in 0 1 2; do
    client="${clients[i]}"; route="${routes_p[i]}"; monitor="${monitors[i]}"
    mkdir -p "$work/nats-$i"
    cat > "$work/nats-$i/nats.conf" <<EOF
server_name: n$i
listen: "127.0.0.1:$client"
http: "127.0.0.1:$monitor"
jetstream { store_dir: "$work/nats-$i/js", max_memory_store: 256MB, max_file_store: 8GB }
cluster { name: bench, listen: "127.0.0.1:$route", routes: [${routes%,}] }
EOF
    "$nats_bin" -c "$work/nats-$i/nats.conf" > "$work/nats-$i/log" 2>&1 &
    pids+=($!)
    urls+=("nats://127.0.0.1:$client")
  done
  for i in 0 1 2; do wait_http "http://127.0.0.1:${monitors[i]}/healthz"; done
  nats_urls="$(IFS=,; echo "${urls[*]}")"
}

# Starts an engine on port $3 (default: a free one) with the environment ENGINE_ENV (NAME=value
# words, e.g. to switch analytics off); $1 name, $2 TOML. Appends its URL to engine_urls.
start_engine() {
  local name="$1" toml="$2" port="${3:-$(free_port)}"
  mkdir -p "$work/$name"
  printf '%s\n' "$toml" > "$work/$name.toml"
  env "${ENGINE_ENV[@]}" target/release/vexfs-engine serve --listen "127.0.0.1:$port" --data-dir "$work/$name/data" \
    --config "$work/$name.toml" > "$work/$name/log" 2>&1 &
  pids+=($!)
  engine_urls+=("http://127.0.0.1:$port")
}

# Waits until every engine of engine_urls is ready.
wait_engines() {
  local url
  for url in "${engine_urls[@]}"; do wait_http "$url/readyz"; done
}

