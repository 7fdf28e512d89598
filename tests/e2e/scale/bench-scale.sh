#!/usr/bin/env bash
# Scale benchmark of the operator: starts a dedicated local control plane with enough kwok nodes,
# runs the operator as released (`scripts/build-operator.sh`), creates N minimal
# VexfsSemantics across 10 namespaces and measures
# (see measure.py): time to 50/90/100% Ready, worst create-to-first-reconcile, convergence after a
# spec change on all N, steady-state API requests by verb and resource, operator RSS and CPU, and
# the time to delete everything. The control plane is stopped on exit whatever happened.
#
# Usage: bench-scale.sh [N]   (default 1000; `make bench-scale N=1000`)
# Environment:
#   VEXFS_E2E_STATE  state directory (default: /dev/shm/vexfs-bench-scale)
#   CONCURRENCY      the operator's --concurrency (default: its own default)
#   STEADY_SECONDS   length of the steady-state window (default: 120)
#   TIMEOUT_SECONDS  longest wait for Ready, convergence and deletion (default: 900)
#   OPERATOR_BIN     operator binary to measure instead of building the release one (smoke runs)
#   VEXFS_E2E_KCM_ARGS, VEXFS_E2E_SCHEDULER_ARGS  the control plane's own client limits (default:
#                    100 requests/s, burst 100, for kube-controller-manager and kube-scheduler; with
#                    the controller-manager's built-in 20/s, burst 30, its StatefulSet controller
#                    alone needs about a minute to create 1,000 pods and more to roll them)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
n="${1:-1000}"
export VEXFS_E2E_STATE="${VEXFS_E2E_STATE:-/dev/shm/vexfs-bench-scale}"
# kwok nodes hold 110 pods each; keep a spare node or two.
export VEXFS_E2E_KCM_ARGS="${VEXFS_E2E_KCM_ARGS---kube-api-qps=100 --kube-api-burst=100}"
export VEXFS_E2E_SCHEDULER_ARGS="${VEXFS_E2E_SCHEDULER_ARGS---kube-api-qps=100 --kube-api-burst=100}"
export VEXFS_E2E_NODES="${VEXFS_E2E_NODES:-$(((n + 109) / 110 + 2))}"

cd "$repo"
operator_bin="${OPERATOR_BIN:-}"
if [[ -z "$operator_bin" ]]; then
  # Built as the image ships it.
  operator_bin="$(scripts/build-operator.sh)"
fi
operator_pid=""
cleanup() {
  if [[ -n "$operator_pid" ]]; then kill "$operator_pid" 2> /dev/null || true; fi
  "$repo/tests/e2e/cluster/down.sh"
}
trap cleanup EXIT
eval "$("$repo/tests/e2e/cluster/up.sh")"
kubectl=("$VEXFS_E2E_BIN/kubectl" --kubeconfig="$KUBECONFIG")
"${kubectl[@]}" apply --server-side -f crds/ > /dev/null
"${kubectl[@]}" wait --for=condition=Established crd --all --timeout=60s > /dev/null

port=$((20000 + RANDOM % 30000))
log="$VEXFS_E2E_STATE/logs/operator.log"
args=(--metrics-addr "127.0.0.1:$port" --log-format text)
if [[ -n "${CONCURRENCY:-}" ]]; then args+=(--concurrency "$CONCURRENCY"); fi
RUST_LOG=info,kube=warn "$operator_bin" "${args[@]}" > "$log" 2>&1 &
operator_pid=$!
for _ in $(seq 60); do
  curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
  sleep 1
done

python3 "$here/measure.py" --count "$n" --namespaces 10 --operator-pid "$operator_pid" \
  --kubectl "$VEXFS_E2E_BIN/kubectl" --kubeconfig "$KUBECONFIG" \
  --steady-seconds "${STEADY_SECONDS:-120}" --timeout "${TIMEOUT_SECONDS:-900}" --out "$repo/target/bench-scale/$n.json"
