#!/usr/bin/env bash
# Applies the demo WebServer to the local cluster, waits until it is Available and shows
# it answering HTTP. KUBECONFIG points at the local cluster (the Makefile sets it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

kubectl apply -f "$here/manifests/demo.yaml" >/dev/null
echo "Waiting for WebServer demo/demo to become Available"
kubectl -n demo wait webserver/demo --for=condition=Available --timeout=180s >/dev/null
kubectl -n demo wait webserver/demo --for=jsonpath='{.status.readyReplicas}'=2 --timeout=180s >/dev/null
kubectl -n demo get webserver,deployment,service,pods -o wide

cluster_ip=$(kubectl -n demo get service demo -o jsonpath='{.spec.clusterIP}')
url=$(kubectl -n demo get webserver demo -o jsonpath='{.status.url}')
echo
echo "In-cluster URL: $url"
echo "== curl http://$cluster_ip/ (the Service's ClusterIP, from this machine)"
curl -sS --retry 5 --retry-all-errors --retry-delay 1 -i "http://$cluster_ip/"
echo "== curl http://127.0.0.1:30080/ (NodePort)"
curl -sS --retry 5 --retry-all-errors --retry-delay 1 "http://127.0.0.1:30080/"
cat <<MSG

The operator and the demo run in a local single-node cluster. Use it with:
  export KUBECONFIG=$KUBECONFIG
  kubectl get webservers -A
  kubectl -n demo scale webserver/demo --replicas=3
  kubectl -n demo patch webserver/demo --type=merge -p '{"spec":{"image":"127.0.0.1:5000/nginx:1.22-slim"}}'
Stop it with 'make cluster-down' (PURGE=1 also deletes its state).
MSG
