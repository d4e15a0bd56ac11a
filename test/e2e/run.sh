#!/usr/bin/env bash
# Runs a Ginkgo suite of test/e2e against the local cluster, which it brings up (and stops
# again afterwards if it was not running).
#
# usage: run.sh [e2e|install|olm]
#   e2e: deploys the operator from freshly built images (kustomize), runs the specs labelled
#        e2e, then operator-sdk scorecard on the bundle, then the install mode.
#   install: removes a kustomize-deployed operator and runs the specs labelled install (the
#        one-file install and the Helm chart, each installed, used and removed).
#   olm: installs OLM, builds the operator, bundle and catalog images of this release and of
#        the one it replaces, removes a kustomize-deployed operator, and runs the specs
#        labelled olm (run bundle, run bundle-upgrade, catalog Subscription, uninstall).
set -euo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-e2e}
state=${CLUSTER_STATE:-$PWD/.cluster}
if ! make -s cluster-status >/dev/null 2>&1; then
  trap 'make -s cluster-down' EXIT
fi

export KUBECONFIG=$state/pki/admin.kubeconfig
export E2E_PROBER_IMAGE=127.0.0.1:5000/prober:v1
export E2E_NGINX_IMAGE_A=127.0.0.1:5000/nginx:1.22-bookworm
export E2E_NGINX_IMAGE_B=127.0.0.1:5000/nginx:1.22-slim
export E2E_NGINX_IMAGE_EXITS=127.0.0.1:5000/nginx:1.22-exits-at-start
ginkgo() { bin/ginkgo -v --label-filter="$1" --poll-progress-after=120s --timeout=40m ./test/e2e; }

install_paths() {
  make -s images helm
  CLUSTER_STATE=$state test/cluster/images/build.sh prober
  # dist/install.yaml and the chart install the operator image of this version, from the local registry.
  timeout 120 make undeploy ignore-not-found=true
  E2E_VERSION=$(make -s print-VERSION) ginkgo install
}

case $mode in
  e2e)
    make deploy-local
    CLUSTER_STATE=$state test/cluster/images/build.sh prober
    ginkgo "${E2E_LABELS:-e2e}"
    # Scorecard's basic and olm suites plus our own test, as pods in the same cluster.
    make scorecard
    install_paths
    ;;
  install)
    install_paths
    ;;
  olm)
    make olm-install images previous-release-images bundle-build catalog-build
    CLUSTER_STATE=$state test/cluster/images/build.sh prober
    # Here OLM installs the operator: one deployed with kustomize (make test-e2e) goes first.
    # The demo's WebServer is still there, and the operator is stopped before anything else
    # (as when it crashed or was removed by hand): uninstalling must still finish at once.
    make demo >/dev/null
    kubectl -n webserver-operator-system scale deployment/webserver-operator-controller-manager --replicas=0
    kubectl -n webserver-operator-system wait pods -l control-plane=controller-manager --for=delete --timeout=60s
    started=$(date +%s)
    timeout 60 make undeploy ignore-not-found=true || { echo "FAIL: make undeploy did not finish within 60 s"; exit 1; }
    for left in crd/webservers.webserver.dev namespace/webserver-operator-system; do
      if kubectl get "$left" -o name 2>/dev/null && ! kubectl wait "$left" --for=delete --timeout=60s; then
        echo "FAIL: $left left behind by make undeploy"; exit 1
      fi
    done
    # Garbage collection removes the demo's children with the WebServer.
    ! kubectl -n demo get deployment/demo -o name 2>/dev/null || kubectl -n demo wait deployment/demo --for=delete --timeout=60s
    echo "make undeploy with the demo WebServer and no operator running: $(( $(date +%s) - started )) s"
    kubectl delete namespace demo --wait=false
    export E2E_OPERATOR_SDK=$PWD/bin/operator-sdk E2E_REGISTRY_CA=$state/pki/ca.crt
    E2E_VERSION=$(make -s print-VERSION) E2E_PREVIOUS_VERSION=$(make -s print-PREVIOUS_VERSION)
    E2E_INDEX_IMAGE=127.0.0.1:5000/opm:$(make -s print-OPM_VERSION)
    export E2E_VERSION E2E_PREVIOUS_VERSION E2E_INDEX_IMAGE
    ginkgo olm
    ;;
  *) echo "usage: $0 [e2e|install|olm]" >&2; exit 2 ;;
esac
