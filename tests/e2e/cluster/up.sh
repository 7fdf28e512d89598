#!/usr/bin/env bash
# Starts a local Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver (client-cert
# admin, RBAC, service-account keys), kube-controller-manager, kube-scheduler and kwok with
# fake nodes. State and logs live in a tmpfs directory; every PID is recorded for down.sh.
# Prints shell `export` lines (KUBECONFIG, VEXFS_E2E_BIN, VEXFS_E2E_STATE) on stdout, also
# written to "$VEXFS_E2E_STATE/env", so `eval "$(up.sh)"` works.
#
# Environment:
#   VEXFS_E2E_STATE  state directory (default: /dev/shm/vexfs-e2e)
#   VEXFS_E2E_BIN    directory of prebuilt tools (default: the output of build.sh)
#   VEXFS_E2E_NODES  number of fake nodes (default: 2)
#   VEXFS_E2E_KCM_ARGS        extra kube-controller-manager flags, space-separated (default: none)
#   VEXFS_E2E_SCHEDULER_ARGS  extra kube-scheduler flags, space-separated (default: none)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=certs.sh
source "$here/certs.sh"

node_count="${VEXFS_E2E_NODES:-2}"

start_etcd() {
  local client="$1" peer
  free_port peer
  start etcd "$bin/etcd" --name=default --data-dir="$state_dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$client" --advertise-client-urls="http://127.0.0.1:$client" \
    --listen-peer-urls="http://127.0.0.1:$peer" --initial-advertise-peer-urls="http://127.0.0.1:$peer" \
    --initial-cluster="default=http://127.0.0.1:$peer" --unsafe-no-fsync --log-level=warn
}

start_apiserver() {
  local etcd_port="$1" port="$2" pki="$state_dir/pki"
  start kube-apiserver "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --secure-port="$port" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true --profiling=false \
    --enable-priority-and-fairness=false --cert-dir="$state_dir/apiserver-certs"
}

start_controllers() {
  local kcfg="$state_dir/admin.kubeconfig" pki="$state_dir/pki" kcm_port scheduler_port
  free_port kcm_port
  free_port scheduler_port
  local auth=(--kubeconfig="$kcfg" --authentication-kubeconfig="$kcfg" --authorization-kubeconfig="$kcfg")
  local kcm_extra scheduler_extra
  read -r -a kcm_extra <<< "${VEXFS_E2E_KCM_ARGS:-}"
  read -r -a scheduler_extra <<< "${VEXFS_E2E_SCHEDULER_ARGS:-}"
  start kube-controller-manager "$bin/kube-controller-manager" "${auth[@]}" \
    --bind-address=127.0.0.1 --secure-port="$kcm_port" --leader-elect=false \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=false --controllers='*' \
    --cert-dir="$state_dir/kcm-certs" "${kcm_extra[@]}"
  start kube-scheduler "$bin/kube-scheduler" "${auth[@]}" \
    --bind-address=127.0.0.1 --secure-port="$scheduler_port" --leader-elect=false \
    --cert-dir="$state_dir/scheduler-certs" "${scheduler_extra[@]}"
}

start_kwok() {
  local cfg="$state_dir/kwok.yaml" port
  free_port port
  : > "$cfg"
  # kwok's own stages, then the suite's (backup Job outcomes, see stages/).
  for f in "$bin/../stages"/*.yaml "$here/stages"/*.yaml; do
    { cat "$f"; echo "---"; } >> "$cfg"
  done
  start kwok "$bin/kwok" --kubeconfig="$state_dir/admin.kubeconfig" --config="$cfg" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=40 --cidr=10.244.0.0/16 --node-ip=10.243.0.1 \
    --server-address="127.0.0.1:$port"
}

# Prints the manifest of fake node NAME (taken over by kwok through its annotation).
node_manifest() {
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
}

kubectl_() { "$bin/kubectl" --kubeconfig="$state_dir/admin.kubeconfig" "$@"; }

create_nodes() {
  for i in $(seq 0 $((node_count - 1))); do
    node_manifest "kwok-node-$i" | kubectl_ apply -f - > /dev/null
  done
  for i in $(seq 0 $((node_count - 1))); do
    wait_for "node kwok-node-$i Ready" 30 \
      kubectl_ wait --for=condition=Ready "node/kwok-node-$i" --timeout=1s
  done
}

write_env() {
  cat > "$state_dir/env" <<EOF
export KUBECONFIG=$state_dir/admin.kubeconfig
export VEXFS_E2E_BIN=$bin
export VEXFS_E2E_STATE=$state_dir
EOF
  cat "$state_dir/env"
}

main() {
  any_running && die "a cluster is already running in $state_dir (run down.sh first)"
  bin="${VEXFS_E2E_BIN:-$("$here/build.sh" | tail -n 1)}"
  bin="$(cd "$bin" && pwd)"
  local start_s=$SECONDS
  rm -rf "$state_dir"
  mkdir -p "$state_dir/logs"
  trap 'rc=$?; if ((rc != 0)); then stop_recorded; fi' EXIT
  make_pki "$state_dir/pki"
  local etcd_port api_port
  free_port etcd_port
  free_port api_port
  write_kubeconfig "$state_dir/pki" "https://127.0.0.1:$api_port" "$state_dir/admin.kubeconfig"
  start_etcd "$etcd_port"
  wait_for "etcd" 20 curl -fsS "http://127.0.0.1:$etcd_port/health"
  start_apiserver "$etcd_port" "$api_port"
  wait_for "kube-apiserver /readyz" 60 kubectl_ get --raw /readyz
  start_controllers
  start_kwok
  create_nodes
  wait_for "the default ServiceAccount" 30 kubectl_ get serviceaccount default -n default
  trap - EXIT
  log "control plane ready in $((SECONDS - start_s)) s (state: $state_dir)"
  write_env
}

main "$@"
