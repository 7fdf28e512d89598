# shellcheck shell=bash
# PKI for the local control plane (sourced by up.sh): a CA, the API server's serving
# certificate, an admin client certificate (group system:masters), the service-account
# signing key pair and the admin kubeconfig. Everything is written below "$1".

_openssl_leaf() {
  local dir="$1" name="$2" subject="$3" ext="$4"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$name.key" 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr"
  printf '%b\n' "$ext" > "$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# make_pki DIR: writes ca.{crt,key}, apiserver.{crt,key}, admin.{crt,key}, sa.{key,pub}.
make_pki() {
  local dir="$1"
  mkdir -p "$dir"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=vexfs-e2e-ca" -days 30 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$dir/ca.crt"
  local common="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment"
  local sans="DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  sans+=",DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1"
  _openssl_leaf "$dir" apiserver "/CN=kube-apiserver" \
    "$common\nextendedKeyUsage=serverAuth\nsubjectAltName=$sans"
  _openssl_leaf "$dir" admin "/O=system:masters/CN=vexfs-e2e-admin" \
    "$common\nextendedKeyUsage=clientAuth"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/sa.key" 2>/dev/null
  openssl pkey -in "$dir/sa.key" -pubout -out "$dir/sa.pub"
}

# write_kubeconfig DIR SERVER_URL OUT: an admin kubeconfig with embedded certificates.
write_kubeconfig() {
  local dir="$1" server="$2" out="$3"
  cat > "$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: vexfs-e2e
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$dir/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(base64 -w0 < "$dir/admin.crt")
    client-key-data: $(base64 -w0 < "$dir/admin.key")
contexts:
- name: vexfs-e2e
  context:
    cluster: vexfs-e2e
    user: admin
    namespace: default
current-context: vexfs-e2e
EOF
}
