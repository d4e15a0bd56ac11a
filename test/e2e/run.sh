#!/usr/bin/env bash
# Runs the e2e suite against the local cluster: brings the cluster up (and stops it again
# afterwards if it was not running), deploys the operator from freshly built images, and
# runs the Ginkgo suite in test/e2e, then operator-sdk scorecard on the bundle.
set -euo pipefail
cd "$(dirname "$0")/../.."

state=${CLUSTER_STATE:-$PWD/.cluster}
if ! make -s cluster-status >/dev/null 2>&1; then
  trap 'make -s cluster-down' EXIT
fi
make deploy-local
CLUSTER_STATE=$state test/cluster/images/build.sh prober

export KUBECONFIG=$state/pki/admin.kubeconfig
export E2E_PROBER_IMAGE=127.0.0.1:5000/prober:v1
export E2E_NGINX_IMAGE_A=127.0.0.1:5000/nginx:1.22-bookworm
export E2E_NGINX_IMAGE_B=127.0.0.1:5000/nginx:1.22-slim
bin/ginkgo -v --label-filter="${E2E_LABELS:-e2e}" --poll-progress-after=120s --timeout=40m ./test/e2e

# Scorecard's basic and olm suites plus our own test, as pods in the same cluster.
make scorecard
