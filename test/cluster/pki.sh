#!/usr/bin/env bash
# Generates the local cluster's PKI and kubeconfigs with openssl and kubectl, once:
# existing files are kept, so restarts reuse them.
#
# usage: pki.sh DIR NODE_NAME NODE_IP
set -euo pipefail

dir=$1 node_name=$2 node_ip=$3
mkdir -p "$dir"
cd "$dir"
[ -s admin.kubeconfig ] && exit 0

echo "Generating the cluster PKI in $dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# ca NAME CN: a self-signed certificate authority.
ca() {
  key "$1"
  openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# cert NAME SUBJECT CA [SANS]: a serving and client certificate signed by CA.
cert() {
  local name=$1 subject=$2 signer=$3 sans=${4:-}
  key "$name"
  openssl req -new -key "$name.key" -out "$name.csr" -subj "$subject" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [ -n "$sans" ] && echo "subjectAltName=$sans"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$signer.crt" -CAkey "$signer.key" -CAcreateserial \
    -out "$name.crt" -days 3650 -extfile "$name.ext" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

kubeconfig() {
  local name=$1 user=$2
  local file=$name.kubeconfig
  kubectl config --kubeconfig="$file" set-cluster local --server=https://127.0.0.1:6443 \
    --certificate-authority=ca.crt --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$file" set-credentials "$user" \
    --client-certificate="$name.crt" --client-key="$name.key" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$file" set-context local --cluster=local --user="$user" >/dev/null
  kubectl config --kubeconfig="$file" use-context local >/dev/null
}

ca ca "webserver-operator local cluster CA"
ca front-proxy-ca "webserver-operator local front-proxy CA"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null

cert apiserver "/CN=kube-apiserver" ca \
  "IP:127.0.0.1,IP:10.96.0.1,IP:$node_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client/O=system:masters" ca
cert front-proxy-client "/CN=front-proxy-client" front-proxy-ca
# The image registry serves TLS too: the OLM tooling speaks only HTTPS to registries.
cert registry "/CN=registry" ca "IP:127.0.0.1,IP:$node_ip,DNS:localhost"

cert admin "/CN=admin/O=system:masters" ca
cert kubelet "/CN=system:node:$node_name/O=system:nodes" ca
cert kube-controller-manager "/CN=system:kube-controller-manager" ca
cert kube-scheduler "/CN=system:kube-scheduler" ca
cert kube-proxy "/CN=system:kube-proxy" ca
kubeconfig kubelet "system:node:$node_name"
kubeconfig kube-controller-manager system:kube-controller-manager
kubeconfig kube-scheduler system:kube-scheduler
kubeconfig kube-proxy system:kube-proxy
# Last: its presence marks a complete PKI.
kubeconfig admin admin
