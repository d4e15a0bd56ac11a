#!/usr/bin/env bash
# Installs Operator Lifecycle Manager into the local cluster (KUBECONFIG), or removes it.
# The images come from test/cluster/images/build.sh olm; the CRDs from
# github.com/operator-framework/api at the version in go.mod (too large for client-side apply,
# so they are applied server-side). Running install again is a no-op.
#
# usage: olm.sh install OLM_CRD_DIR | uninstall OLM_CRD_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

install() {
  local crds=$1
  log "Applying the OLM CRDs from $crds"
  kubectl apply --server-side --force-conflicts -f "$crds" >/dev/null
  kubectl wait --for=condition=Established --timeout=60s \
    $(for f in "$crds"/operators.coreos.com_*.yaml; do basename "$f" .yaml | sed 's/^operators.coreos.com_/crd\//; s/$/.operators.coreos.com/'; done) >/dev/null

  log "Applying OLM"
  kubectl apply --server-side -f "$here/olm/olm.yaml" >/dev/null
  kubectl -n olm rollout status deployment/olm-operator --timeout=180s
  kubectl -n olm rollout status deployment/catalog-operator --timeout=180s

  # olm-operator installs packageserver from its CSV and registers the APIService.
  log "Waiting for packageserver"
  kubectl -n olm wait csv/packageserver --for=jsonpath='{.status.phase}'=Succeeded --timeout=300s
  kubectl wait apiservice/v1.packages.operators.coreos.com --for=condition=Available --timeout=120s
  log "OLM is installed"
}

uninstall() {
  local crds=$1
  log "Removing OLM"
  kubectl delete --ignore-not-found --wait=false apiservice/v1.packages.operators.coreos.com
  kubectl -n olm delete --ignore-not-found csv/packageserver
  kubectl delete --ignore-not-found -f "$here/olm/olm.yaml"
  kubectl delete --ignore-not-found -f "$crds"
}

case "${1:-}" in
  install) install "$2" ;;
  uninstall) uninstall "$2" ;;
  *) echo "usage: $0 install OLM_CRD_DIR | uninstall OLM_CRD_DIR" >&2; exit 2 ;;
esac
