# webserver-operator Makefile: the Operator SDK (go/v4) layout's targets, with every tool
# built from pinned sources into a cache outside the checkout, so clones share it.

# VERSION is the operator (and bundle) version.
VERSION ?= 0.2.0
IMAGE_TAG_BASE ?= 127.0.0.1:5000/webserver-operator
IMG ?= $(IMAGE_TAG_BASE):v$(VERSION)
# METRICS_IMG is the metrics container of monitored WebServers (RELATED_IMAGE_METRICS).
METRICS_IMG ?= $(IMAGE_TAG_BASE)-metrics:v$(VERSION)

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

# Expensive tools live in TOOLS_CACHE keyed by version; bin/ links to them.
TOOLS_CACHE ?= $(HOME)/.cache/webserver-operator
LOCALBIN ?= $(CURDIR)/bin
GOBIN_CACHE = $(TOOLS_CACHE)/bin

## Tool versions (pinned).
CONTROLLER_TOOLS_VERSION ?= v0.20.0
KUSTOMIZE_VERSION ?= v5.7.1
GOLANGCI_LINT_VERSION ?= v2.6.0
CRD_REF_DOCS_VERSION ?= v0.3.0
HELM_VERSION ?= v3.22.0
GINKGO_VERSION ?= $(shell go list -m -f '{{.Version}}' github.com/onsi/ginkgo/v2)
# Kubernetes binaries for envtest (and the local cluster) come from hack/tools/k8s/go.mod.
K8S_VERSION ?= $(shell awk '$$1 == "k8s.io/kubernetes" {print substr($$2, 2); exit}' hack/tools/k8s/go.mod)
K8S_CACHE = $(TOOLS_CACHE)/k8s/v$(K8S_VERSION)
ENVTEST_ASSETS = $(LOCALBIN)/k8s/$(K8S_VERSION)

OPERATOR_SDK_VERSION ?= $(shell awk '$$1 == "github.com/operator-framework/operator-sdk" {print $$2; exit}' hack/tools/operator-sdk/go.mod)
OPERATOR_SDK ?= $(LOCALBIN)/operator-sdk
OPM_VERSION ?= $(shell awk '$$1 == "github.com/operator-framework/operator-registry" {print $$2; exit}' hack/tools/opm/go.mod)
OPM ?= $(LOCALBIN)/opm
# OLM probes catalog pods with grpc_health_probe, which catalog images carry next to opm.
GRPC_HEALTH_PROBE_VERSION ?= $(shell awk '$$1 == "replace" && $$2 == "github.com/grpc-ecosystem/grpc-health-probe" {print $$5; exit}' hack/tools/opm/go.mod)
GRPC_HEALTH_PROBE_CACHE = $(GOBIN_CACHE)/grpc_health_probe-$(GRPC_HEALTH_PROBE_VERSION)
OLM_VERSION ?= $(shell awk '$$1 == "github.com/operator-framework/operator-lifecycle-manager" {print $$2; exit}' hack/tools/olm/go.mod)
OLM_BIN_DIR = $(TOOLS_CACHE)/olm/$(or $(OLM_VERSION),unknown)
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUSTOMIZE ?= $(LOCALBIN)/kustomize
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
GINKGO ?= $(LOCALBIN)/ginkgo
CRD_REF_DOCS ?= $(LOCALBIN)/crd-ref-docs
HELM ?= $(LOCALBIN)/helm

LOCAL_BIN_MANAGER = $(LOCALBIN)/manager
LOCAL_BIN_METRICS = $(LOCALBIN)/webserver-metrics
version-ldflags = -s -w -X github.com/webserver-operator/webserver-operator/internal/version.Version=$(1)
LDFLAGS = $(call version-ldflags,$(VERSION))

.PHONY: all
all: build

##@ General

.PHONY: print-%
print-%: ## Print a variable (scripts read VERSION and friends from here): make -s print-VERSION
	@echo '$($*)'

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

# The packages controller-gen reads markers from. Not "./...": controller-gen walks every
# directory under it looking for nested modules, the local cluster's state (.cluster) too,
# where the kubelet deletes pod directories mid-walk.
GENERATE_PATHS = ./api/...;./internal/...

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and RBAC manifests.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="$(GENERATE_PATHS)" output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="$(GENERATE_PATHS)"

.PHONY: docs
docs: crd-ref-docs ## Generate the API reference (docs/api.md) from api/v1alpha1 and docs/metrics.md from the metric registry.
	$(CRD_REF_DOCS) --source-path=api/v1alpha1 --config=hack/api-docs/config.yaml --renderer=markdown \
		--max-depth=20 --output-path=docs/api.md
	go run ./hack/metrics-docs docs/metrics.md

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint.
	$(GOLANGCI_LINT) run

# The Prometheus Operator's CRDs, from its module (the build-only module of the local cluster).
PROMETHEUS_OPERATOR_CRDS = $(shell cd hack/tools/prometheus-operator && go mod download github.com/prometheus-operator/prometheus-operator && \
	go list -m -f '{{.Dir}}' github.com/prometheus-operator/prometheus-operator)/example/prometheus-operator-crd

.PHONY: test
test: manifests generate chart fmt vet envtest-assets ginkgo test-chart promtool ## Run unit and envtest (real kube-apiserver + etcd) tests.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" PROMETHEUS_OPERATOR_CRDS="$(PROMETHEUS_OPERATOR_CRDS)" $(GINKGO) -r --randomize-all --fail-on-pending --fail-on-empty \
		--skip-package=test/e2e --cover --coverprofile=cover.out --output-dir=$(LOCALBIN) ./api/... ./internal/... ./test/bundle/... ./test/policy/... ./test/docs/... ./test/chart/... ./test/alerts/... ./test/dashboard/...

.PHONY: verify
verify: manifests generate chart fmt catalog docs build-installer ## Regenerate everything (code, manifests, bundle, catalog) and fail when the tree changes.
	go mod tidy
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "Generated files or go.mod are out of date; run 'make manifests generate chart fmt' and 'go mod tidy':"; \
		git status --porcelain; git --no-pager diff --stat; exit 1; \
	fi

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary and the metrics container's binary.
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o $(LOCAL_BIN_MANAGER) .
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $(LOCAL_BIN_METRICS) ./cmd/webserver-metrics

.PHONY: run
run: manifests generate fmt vet ## Run the operator from this machine against the current kubeconfig.
	go run -ldflags "$(LDFLAGS)" . --metrics-bind-address=0 --health-probe-bind-address=:8081

.PHONY: docker-build
docker-build: ## Build the operator image and the metrics container image with a container engine (CONTAINER_TOOL, default docker).
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) -t $(IMG) .
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) --target metrics -t $(METRICS_IMG) .

.PHONY: docker-push
docker-push: ## Push the operator image and the metrics container image.
	$(CONTAINER_TOOL) push $(IMG)
	$(CONTAINER_TOOL) push $(METRICS_IMG)

CONTAINER_TOOL ?= docker

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUSTOMIZE) build config/crd | kubectl apply --server-side -f -

# WebServers go first, while the operator still runs: their children go by garbage
# collection. Foreground deletion keeps each WebServer until the collector removed its
# children: once the CRD is gone the collector can no longer resolve their owner and would
# leave them behind. (WebServers carry no finalizer of the operator's, so this never waits
# on a missing operator; the operator removes the finalizer older versions added.)
DELETE_WEBSERVERS = if kubectl get crd webservers.webserver.dev >/dev/null 2>&1; then \
	kubectl delete webservers.webserver.dev --all --all-namespaces --cascade=foreground --wait --timeout=60s; fi

.PHONY: uninstall
uninstall: manifests kustomize ## Remove the WebServers, then the CRDs (ignore-not-found=true to ignore missing ones).
	$(DELETE_WEBSERVERS)
	$(KUSTOMIZE) build config/crd | kubectl delete --ignore-not-found=$(ignore-not-found) -f -

# The operator's manifests (config/default plus the references admission policy) with IMG and
# NGINX_IMG set, rendered from a copy of config/ so the checkout's kustomization stays as it is.
# OPERATOR_MONITOR=true adds config/prometheus: a ServiceMonitor for the Prometheus Operator
# that scrapes the operator's metrics with the Prometheus service account's token.
OPERATOR_MONITOR ?= false
define render-operator
rm -rf $(LOCALBIN)/render && mkdir -p $(LOCALBIN)/render && cp -r config $(LOCALBIN)/render/
cd $(LOCALBIN)/render/config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
if [ -n "$(NGINX_IMG)" ]; then cd $(LOCALBIN)/render/config/manager && $(KUSTOMIZE) edit add patch --kind Deployment \
	--name controller-manager --patch '[{"op": "replace", "path": "/spec/template/spec/containers/0/env/0/value", "value": "$(NGINX_IMG)"}]'; fi
cd $(LOCALBIN)/render/config/manager && $(KUSTOMIZE) edit add patch --kind Deployment --name controller-manager \
	--patch '[{"op": "replace", "path": "/spec/template/spec/containers/0/env/1/value", "value": "$(METRICS_IMG)"}]'
if [ "$(OPERATOR_MONITOR)" = true ]; then cd $(LOCALBIN)/render/config/default && $(KUSTOMIZE) edit add resource ../prometheus; fi
mkdir -p $(dir $(1))
{ echo '# webserver-operator v$(VERSION): CRD, RBAC, the operator in webserver-operator-system and the references admission policy.'; \
	echo '# Generated by make build-installer. Install: kubectl apply --server-side -f install.yaml'; \
	$(KUSTOMIZE) build $(LOCALBIN)/render/config/default; echo '---'; $(KUSTOMIZE) build config/policy; } > $(1)
endef

.PHONY: deploy
deploy: manifests kustomize ## Deploy the operator (image IMG; NGINX_IMG sets its default nginx) and the references admission policy into the current kubeconfig's cluster.
	$(call render-operator,$(LOCALBIN)/deploy.yaml)
	kubectl apply --server-side -f $(LOCALBIN)/deploy.yaml

INSTALLER ?= dist/install.yaml

.PHONY: build-installer
build-installer: manifests kustomize ## Write the one-file install (dist/install.yaml: CRD, RBAC, operator, admission policy) for IMG.
	$(call render-operator,$(INSTALLER))

.PHONY: undeploy
undeploy: kustomize ## Remove the WebServers, then the operator and CRDs (ignore-not-found=true to ignore missing ones).
	$(DELETE_WEBSERVERS)
	$(KUSTOMIZE) build config/policy | kubectl delete --ignore-not-found=$(ignore-not-found) -f -
	$(KUSTOMIZE) build config/default | kubectl delete --ignore-not-found=$(ignore-not-found) -f -

##@ Local cluster (offline, single node; needs root)

CLUSTER_STATE ?= $(CURDIR)/.cluster
LOCAL_KUBECONFIG = $(CLUSTER_STATE)/pki/admin.kubeconfig
LOCAL_REGISTRY = 127.0.0.1:5000
COREDNS_VERSION ?= $(shell awk '$$1 == "require" && $$2 == "github.com/coredns/coredns" {print $$3}' hack/tools/coredns/go.mod)
COREDNS_BIN = $(TOOLS_CACHE)/coredns/$(COREDNS_VERSION)/coredns
NGINX_ROOTFS = $(TOOLS_CACHE)/images/nginx-bookworm-rootfs.tar.gz
METRICS_SERVER_VERSION ?= $(shell awk '$$1 == "require" && $$2 == "sigs.k8s.io/metrics-server" {print $$3}' hack/tools/metrics-server/go.mod)
METRICS_SERVER_BIN = $(TOOLS_CACHE)/metrics-server/$(METRICS_SERVER_VERSION)/metrics-server
TRAEFIK_VERSION ?= $(shell awk '$$1 == "require" && $$2 == "github.com/traefik/traefik/v3" {print $$3}' hack/tools/traefik/go.mod)
TRAEFIK_BIN = $(TOOLS_CACHE)/traefik/$(TRAEFIK_VERSION)/traefik
# Prometheus' Go module v0.MMmm.p is Prometheus M.mm.p (v0.316.0 = v3.16.0).
PROMETHEUS_MODULE_VERSION ?= $(shell awk '{sub(/^require /, "")} $$1 == "github.com/prometheus/prometheus" {print $$2; exit}' hack/tools/prometheus/go.mod)
PROMETHEUS_VERSION ?= $(shell echo $(PROMETHEUS_MODULE_VERSION) | awk -F. '{printf "v%d.%d.%s", $$2 / 100, $$2 % 100, $$3}')
PROMETHEUS_BIN = $(TOOLS_CACHE)/prometheus/$(PROMETHEUS_VERSION)/prometheus
PROMTOOL_BIN = $(TOOLS_CACHE)/prometheus/$(PROMETHEUS_VERSION)/promtool
PROMTOOL ?= $(LOCALBIN)/promtool
# No web UI (its assets are generated, missing from the module zip); Kubernetes service discovery only.
PROMETHEUS_BUILD = cd hack/tools/prometheus && CGO_ENABLED=0 go build -trimpath -tags remove_all_sd,enable_kubernetes_sd \
	-ldflags '-s -w -X github.com/prometheus/common/version.Version=$(PROMETHEUS_VERSION:v%=%) \
	-X github.com/prometheus/common/version.Revision=$(PROMETHEUS_MODULE_VERSION)'
PROMETHEUS_OPERATOR_VERSION ?= $(shell awk '{sub(/^require /, "")} $$1 == "github.com/prometheus-operator/prometheus-operator" {print $$2; exit}' hack/tools/prometheus-operator/go.mod)
PROMETHEUS_OPERATOR_BIN = $(TOOLS_CACHE)/prometheus-operator/$(PROMETHEUS_OPERATOR_VERSION)/prometheus-operator
PROMETHEUS_CONFIG_RELOADER_BIN = $(TOOLS_CACHE)/prometheus-operator/$(PROMETHEUS_OPERATOR_VERSION)/prometheus-config-reloader
PROMETHEUS_OPERATOR_BUILD = cd hack/tools/prometheus-operator && CGO_ENABLED=0 go build -trimpath \
	-ldflags '-s -w -X github.com/prometheus/common/version.Version=$(PROMETHEUS_OPERATOR_VERSION:v%=%) \
	-X github.com/prometheus/common/version.Revision=$(PROMETHEUS_OPERATOR_VERSION)'
# The operand images the local cluster serves; the operator defaults to the first.
LOCAL_NGINX_IMG ?= $(LOCAL_REGISTRY)/nginx:1.22-bookworm
CLUSTER = CLUSTER_STATE=$(CLUSTER_STATE) K8S_BIN_DIR=$(K8S_CACHE) COREDNS_BIN=$(COREDNS_BIN) \
	METRICS_SERVER_BIN=$(METRICS_SERVER_BIN) TRAEFIK_BIN=$(TRAEFIK_BIN) PROMETHEUS_BIN=$(PROMETHEUS_BIN) \
	PROMETHEUS_OPERATOR_BIN=$(PROMETHEUS_OPERATOR_BIN) PROMETHEUS_CONFIG_RELOADER_BIN=$(PROMETHEUS_CONFIG_RELOADER_BIN) \
	test/cluster/cluster.sh

.PHONY: cluster-up
cluster-up: cluster-prereqs ## Start the local cluster (builds what is missing; idempotent).
	$(CLUSTER) up

.PHONY: cluster-down
cluster-down: ## Stop the local cluster (PURGE=1 also deletes its state).
	$(CLUSTER) down $(if $(PURGE),--purge)

.PHONY: cluster-status
cluster-status: ## Show the local cluster's daemons and node.
	$(CLUSTER) status

.PHONY: cluster-prereqs
cluster-prereqs: ## Debian packages, Kubernetes binaries, CoreDNS, metrics-server, Traefik, Prometheus, the Prometheus Operator and the nginx root filesystem.
	test/cluster/install-packages.sh
	hack/build-k8s.sh $(K8S_CACHE) etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy
	@[ -x $(COREDNS_BIN) ] || { echo "Building CoreDNS $(COREDNS_VERSION)"; mkdir -p $(dir $(COREDNS_BIN)); \
		cd hack/tools/coredns && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o $(COREDNS_BIN).tmp . && mv $(COREDNS_BIN).tmp $(COREDNS_BIN); }
	test/cluster/images/nginx-rootfs.sh $(NGINX_ROOTFS)
	@[ -x $(METRICS_SERVER_BIN) ] || { echo "Building metrics-server $(METRICS_SERVER_VERSION) (cold ~2 min)"; mkdir -p $(dir $(METRICS_SERVER_BIN)); \
		cd hack/tools/metrics-server && CGO_ENABLED=0 go build -trimpath \
			-ldflags '-s -w -X k8s.io/client-go/pkg/version.gitVersion=$(METRICS_SERVER_VERSION)' \
			-o $(METRICS_SERVER_BIN).tmp sigs.k8s.io/metrics-server/cmd/metrics-server && mv $(METRICS_SERVER_BIN).tmp $(METRICS_SERVER_BIN); }
	@[ -x $(TRAEFIK_BIN) ] || { echo "Building Traefik $(TRAEFIK_VERSION) (cold ~5 min)"; mkdir -p $(dir $(TRAEFIK_BIN)); \
		cd hack/tools/traefik && CGO_ENABLED=0 go build -trimpath \
			-ldflags '-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$(TRAEFIK_VERSION)' \
			-o $(TRAEFIK_BIN).tmp github.com/traefik/traefik/v3/cmd/traefik && mv $(TRAEFIK_BIN).tmp $(TRAEFIK_BIN); }
	@[ -x $(PROMETHEUS_BIN) ] || { echo "Building Prometheus $(PROMETHEUS_VERSION) (cold ~3 min)"; mkdir -p $(dir $(PROMETHEUS_BIN)); \
		$(PROMETHEUS_BUILD) -o $(PROMETHEUS_BIN).tmp github.com/prometheus/prometheus/cmd/prometheus && \
		mv $(PROMETHEUS_BIN).tmp $(PROMETHEUS_BIN); }
	@[ -x $(PROMETHEUS_OPERATOR_BIN) ] || { echo "Building the Prometheus Operator $(PROMETHEUS_OPERATOR_VERSION) (cold ~2 min)"; \
		mkdir -p $(dir $(PROMETHEUS_OPERATOR_BIN)); \
		$(PROMETHEUS_OPERATOR_BUILD) -o $(PROMETHEUS_OPERATOR_BIN).tmp github.com/prometheus-operator/prometheus-operator/cmd/operator && \
		mv $(PROMETHEUS_OPERATOR_BIN).tmp $(PROMETHEUS_OPERATOR_BIN); }
	@[ -x $(PROMETHEUS_CONFIG_RELOADER_BIN) ] || { echo "Building prometheus-config-reloader $(PROMETHEUS_OPERATOR_VERSION)"; \
		mkdir -p $(dir $(PROMETHEUS_CONFIG_RELOADER_BIN)); \
		$(PROMETHEUS_OPERATOR_BUILD) -o $(PROMETHEUS_CONFIG_RELOADER_BIN).tmp \
			github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader && \
		mv $(PROMETHEUS_CONFIG_RELOADER_BIN).tmp $(PROMETHEUS_CONFIG_RELOADER_BIN); }

FUZZTIME ?= 20s
.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME; an input that fails is kept in testdata/fuzz and runs in make test from then on.
	@grep -rl --include='*_test.go' '^func Fuzz' internal test | xargs -n1 dirname | sort -u | while read -r dir; do \
		for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -d' ' -f2); do \
			echo "fuzzing $$target in ./$$dir for $(FUZZTIME)"; \
			go test ./$$dir -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) || exit 1; \
		done; \
	done

# The fleet benchmark's subject: this operator by default; any manager binary with its CRDs,
# a resource template (NAME is replaced) and the kinds of its children measures another.
BENCH_N ?= 1000
BENCH_SUBJECT ?= $(LOCAL_BIN_MANAGER)
BENCH_CRDS ?= config/crd/bases
BENCH_TEMPLATE ?= test/bench/fleet/webserver.yaml
BENCH_CHILDREN ?= apps/v1/Deployment,v1/Service,v1/ServiceAccount
.PHONY: bench
bench: build envtest-assets ## Fleet benchmark on a real API server: BENCH_N (sizes, comma separated) resources converge; writes, restart writes, peak RSS, reconcile latency.
	go run ./test/bench/fleet -n $(BENCH_N) -assets $(ENVTEST_ASSETS) -manager $(BENCH_SUBJECT) -crds $(BENCH_CRDS) \
		-template $(BENCH_TEMPLATE) -children $(BENCH_CHILDREN) $(BENCH_ARGS)

.PHONY: test-faults
test-faults: build ginkgo ## Fault injection (label faults): the manager killed, the API server restarted, the leader lost, namespaces torn down; envtest with Kubernetes' own controllers.
	hack/build-k8s.sh $(K8S_CACHE) etcd kube-apiserver kube-controller-manager
	@mkdir -p $(LOCALBIN)/k8s; ln -sfn $(K8S_CACHE) $(ENVTEST_ASSETS)
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" FAULTS_MANAGER="$(abspath $(LOCAL_BIN_MANAGER))" \
		$(GINKGO) --label-filter faults --fail-on-empty -v ./test/faults

.PHONY: bench-sidecar
bench-sidecar: build ## Measure what the metrics container costs one pod: nginx's throughput with and without monitoring under wrk (root; BENCH_SIDECAR_ARGS).
	test/cluster/install-packages.sh wrk debootstrap
	test/cluster/images/nginx-rootfs.sh $(NGINX_ROOTFS)
	go run ./test/bench/sidecar -rootfs $(NGINX_ROOTFS) -metrics $(LOCAL_BIN_METRICS) $(BENCH_SIDECAR_ARGS)

.PHONY: image
image: build ## Build the operator image offline (binary on an empty base) and push it to the local registry.
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh operator $(LOCAL_BIN_MANAGER) v$(VERSION)
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh metrics $(LOCAL_BIN_METRICS) v$(VERSION)

.PHONY: images
images: image ## The operator image plus the nginx operand images, in the local registry.
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh nginx $(NGINX_ROOTFS)

.PHONY: deploy-local
deploy-local: cluster-up images kustomize ## Deploy the operator from the local registry into the local cluster.
	$(MAKE) deploy KUBECONFIG=$(LOCAL_KUBECONFIG) NGINX_IMG=$(LOCAL_NGINX_IMG) OPERATOR_MONITOR=true \
		IMG=$(LOCAL_REGISTRY)/webserver-operator@$$(skopeo inspect --cert-dir $(CLUSTER_STATE)/pki/registry-ca \
			--format '{{.Digest}}' docker://$(LOCAL_REGISTRY)/webserver-operator:v$(VERSION))
	KUBECONFIG=$(LOCAL_KUBECONFIG) kubectl -n webserver-operator-system rollout status \
		deployment/webserver-operator-controller-manager --timeout=180s

.PHONY: demo
demo: deploy-local ## The main job: local cluster, operator, a sample WebServer answering HTTP.
	KUBECONFIG=$(LOCAL_KUBECONFIG) test/cluster/demo.sh

.PHONY: test-e2e
test-e2e: ginkgo ## End-to-end suite against the local cluster (started and stopped if it was not running).
	test/e2e/run.sh

##@ OLM bundle

# Channels follow OLM's naming convention (candidate, fast, stable).
CHANNELS ?= candidate
DEFAULT_CHANNEL ?= candidate
BUNDLE_METADATA_OPTS ?= --channels=$(CHANNELS) --default-channel=$(DEFAULT_CHANNEL)
# The release date of VERSION: set with VERSION, so regenerating the bundle is reproducible.
CREATED_AT ?= 2026-11-22T00:00:00Z
BUNDLE_CSV = bundle/manifests/webserver-operator.clusterserviceversion.yaml
BUNDLE_IMG ?= $(IMAGE_TAG_BASE)-bundle:v$(VERSION)

.PHONY: bundle
bundle: manifests kustomize operator-sdk ## Regenerate bundle/ and bundle.Dockerfile from config/ and validate them.
	$(OPERATOR_SDK) generate kustomize manifests -q --interactive=false
	rm -rf $(LOCALBIN)/bundle-config && mkdir -p $(LOCALBIN)/bundle-config && cp -r config $(LOCALBIN)/bundle-config/
	cd $(LOCALBIN)/bundle-config/config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build $(LOCALBIN)/bundle-config/config/manifests | \
		$(OPERATOR_SDK) generate bundle -q --overwrite --version $(VERSION) $(BUNDLE_METADATA_OPTS)
	sed -i -e 's|^    createdAt: .*|    createdAt: "$(CREATED_AT)"|' -e 's|^    containerImage: .*|    containerImage: $(IMG)|' $(BUNDLE_CSV)
	$(OPERATOR_SDK) bundle validate ./bundle --select-optional suite=operatorframework

.PHONY: bundle-build
bundle-build: ## Build the bundle image offline (labels from bundle.Dockerfile) and push it to the local registry.
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh bundle bundle.Dockerfile v$(VERSION)

CATALOG_DIR = catalog/webserver-operator
CATALOG_IMG ?= $(IMAGE_TAG_BASE)-catalog:v$(VERSION)

.PHONY: catalog
catalog: bundle opm ## Render the current bundle into the file-based catalog (catalog/) and validate it.
	$(OPM) render ./bundle -o yaml --alpha-image-ref-template '$(IMAGE_TAG_BASE)-bundle:v{{.Version}}' \
		> $(CATALOG_DIR)/bundle-v$(VERSION).yaml
	$(OPM) validate catalog

.PHONY: catalog-build
catalog-build: opm ## Build the catalog image offline (opm serving catalog/) and push it to the local registry.
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh catalog $(OPM) catalog v$(VERSION)

##@ OLM in the local cluster

OLM_PKG = github.com/operator-framework/operator-lifecycle-manager
# OLM's CRDs, from the operator-framework/api module our go.mod pins.
OLM_CRDS = $$(go mod download github.com/operator-framework/api && go list -m -f '{{.Dir}}' github.com/operator-framework/api)/crds

.PHONY: olm-binaries
olm-binaries: ## Build OLM's olm-operator, catalog-operator, packageserver and pod helpers from source.
	@[ -x $(OLM_BIN_DIR)/cpb ] || { echo "Building OLM $(OLM_VERSION)"; rm -rf $(OLM_BIN_DIR).tmp; mkdir -p $(OLM_BIN_DIR).tmp; \
		cd hack/tools/olm && CGO_ENABLED=0 go build -tags json1 -trimpath -o $(OLM_BIN_DIR).tmp/ \
			-ldflags "-s -w -X $(OLM_PKG)/pkg/version.OLMVersion=$(OLM_VERSION:v%=%) -X $(OLM_PKG)/pkg/version.GitCommit=$(OLM_VERSION)" \
			$(addprefix $(OLM_PKG)/,cmd/olm cmd/catalog cmd/package-server cmd/copy-content util/cpb) && \
		rm -rf $(OLM_BIN_DIR) && mv $(OLM_BIN_DIR).tmp $(OLM_BIN_DIR); }

.PHONY: olm-install
olm-install: cluster-up opm olm-binaries ## Install OLM (built from source, images built locally) into the local cluster.
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh olm $(OLM_BIN_DIR) $(OLM_VERSION) $(OPM) $(OPM_VERSION)
	KUBECONFIG=$(LOCAL_KUBECONFIG) test/cluster/olm.sh install $(OLM_CRDS)

.PHONY: olm-uninstall
olm-uninstall: ## Remove OLM from the local cluster.
	KUBECONFIG=$(LOCAL_KUBECONFIG) test/cluster/olm.sh uninstall $(OLM_CRDS)

# The release VERSION replaces, rebuilt from its commit (operator image and bundle) so the
# upgrade tests start from what users of that release run.
PREVIOUS_VERSION ?= 0.1.0
PREVIOUS_COMMIT ?= 587db8c5cee364b074879813175ee3c136bf7b53
PREVIOUS_SRC = $(LOCALBIN)/release-v$(PREVIOUS_VERSION)

.PHONY: previous-release-images
previous-release-images: ## Operator and bundle images of PREVIOUS_VERSION, built from PREVIOUS_COMMIT.
	@git cat-file -e $(PREVIOUS_COMMIT)^{commit} 2>/dev/null || git fetch -q --unshallow 2>/dev/null || true
	@git cat-file -e $(PREVIOUS_COMMIT)^{commit} 2>/dev/null || { \
		echo "Commit $(PREVIOUS_COMMIT) (release $(PREVIOUS_VERSION)) is not in this clone: clone with full history"; exit 1; }
	rm -rf $(PREVIOUS_SRC) && mkdir -p $(PREVIOUS_SRC)
	git archive $(PREVIOUS_COMMIT) | tar -x -C $(PREVIOUS_SRC)
	cd $(PREVIOUS_SRC) && CGO_ENABLED=0 go build -trimpath -ldflags "$(call version-ldflags,$(PREVIOUS_VERSION))" -o manager .
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh operator $(PREVIOUS_SRC)/manager v$(PREVIOUS_VERSION)
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh bundle $(PREVIOUS_SRC)/bundle.Dockerfile v$(PREVIOUS_VERSION)

.PHONY: test-olm
test-olm: ginkgo operator-sdk ## OLM suite: run bundle, run bundle-upgrade, catalog install and upgrade, uninstall (local cluster).
	test/e2e/run.sh olm

SCORECARD_TEST = $(GOBIN_CACHE)/scorecard-test-$(OPERATOR_SDK_VERSION)
SCORECARD_CONFIG = $(LOCALBIN)/scorecard-config.yaml

.PHONY: scorecard
scorecard: operator-sdk deploy-local ## Run operator-sdk scorecard (basic, olm and our own suite) on bundle/ in the local cluster.
	@[ -x $(SCORECARD_TEST) ] || { echo "Building scorecard-test $(OPERATOR_SDK_VERSION)"; \
		cd hack/tools/operator-sdk && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $(SCORECARD_TEST).tmp \
			github.com/operator-framework/operator-sdk/images/scorecard-test && mv $(SCORECARD_TEST).tmp $(SCORECARD_TEST); }
	CLUSTER_STATE=$(CLUSTER_STATE) test/cluster/images/build.sh scorecard $(SCORECARD_TEST)
	sed 's|quay.io/operator-framework/scorecard-test:.*|$(LOCAL_REGISTRY)/scorecard-test:v1|' \
		bundle/tests/scorecard/config.yaml > $(SCORECARD_CONFIG)
	KUBECONFIG=$(LOCAL_KUBECONFIG) kubectl apply -f test/scorecard/rbac.yaml
	KUBECONFIG=$(LOCAL_KUBECONFIG) $(OPERATOR_SDK) scorecard ./bundle --config $(SCORECARD_CONFIG) \
		--untar-image $(LOCAL_REGISTRY)/scorecard-untar:v1 --service-account scorecard --namespace default \
		--wait-time 180s -o json > $(LOCALBIN)/scorecard-results.json || true
	go run ./test/scorecard/report $(LOCALBIN)/scorecard-results.json

##@ Helm chart

.PHONY: helm
helm: ## Build helm.
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

.PHONY: chart
chart: manifests kustomize ## Regenerate the chart's CRD, manager rules, admission policy and version (dist/chart) from config/ and VERSION.
	VERSION=$(VERSION) KUSTOMIZE=$(KUSTOMIZE) hack/chart-sync.sh

# A helm built by go install assumes Kubernetes 1.20, older than the chart's kubeVersion:
# render for the Kubernetes envtest runs. Each set switches options away from the defaults.
CHART_KUBE_VERSION ?= $(K8S_VERSION)
CHART_VALUE_SETS = '' serviceMonitor.enabled=true metrics.secure=false,serviceMonitor.enabled=true \
	metrics.enabled=false,serviceMonitor.enabled=true,leaderElection.enabled=false,crd.enable=false,admissionPolicy.enabled=false \
	crd.keep=false,replicas=2,maxConcurrentReconciles=8,image.tag=sha256:0123,nodeSelector.a=b,podAnnotations.a=b

.PHONY: test-chart
test-chart: helm kustomize ## Lint the chart and render it with the defaults and with every option switched.
	@for set in $(CHART_VALUE_SETS); do \
		echo "helm lint and template: $${set:-defaults}"; \
		$(HELM) lint --strict --quiet --kube-version $(CHART_KUBE_VERSION) dist/chart $${set:+--set $$set}; \
		$(HELM) template webserver-operator dist/chart -n webserver-operator-system --kube-version $(CHART_KUBE_VERSION) \
			$${set:+--set $$set} >/dev/null; \
	done

##@ Tools

# go-install-tool builds package $(2) at version $(3) into the shared cache once and links
# it as $(1).
define go-install-tool
@[ -x "$(GOBIN_CACHE)/$(notdir $(1))-$(3)" ] || { \
	echo "Building $(2)@$(3)"; \
	tmp=$$(mktemp -d); \
	GOBIN=$$tmp go install $(2)@$(3); \
	mkdir -p $(GOBIN_CACHE); mv $$tmp/$$(ls $$tmp) $(GOBIN_CACHE)/$(notdir $(1))-$(3); rm -rf $$tmp; \
}
@mkdir -p $(LOCALBIN); ln -sf $(GOBIN_CACHE)/$(notdir $(1))-$(3) $(1)
endef

.PHONY: controller-gen
controller-gen: ## Build controller-gen.
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: kustomize
kustomize: ## Build kustomize.
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: golangci-lint
golangci-lint: ## Build golangci-lint.
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

.PHONY: crd-ref-docs
crd-ref-docs: ## Build crd-ref-docs (the API reference generator).
	$(call go-install-tool,$(CRD_REF_DOCS),github.com/elastic/crd-ref-docs,$(CRD_REF_DOCS_VERSION))

.PHONY: ginkgo
ginkgo: ## Build the ginkgo CLI at the version go.mod pins.
	$(call go-install-tool,$(GINKGO),github.com/onsi/ginkgo/v2/ginkgo,$(GINKGO_VERSION))

# operator-sdk comes from a build-only module (hack/tools/operator-sdk): the module proxy
# refuses the version lists `go install` needs for it.
.PHONY: operator-sdk
operator-sdk: ## Build operator-sdk.
	@[ -x "$(GOBIN_CACHE)/operator-sdk-$(OPERATOR_SDK_VERSION)" ] || { \
		echo "Building operator-sdk $(OPERATOR_SDK_VERSION)"; mkdir -p $(GOBIN_CACHE); \
		cd hack/tools/operator-sdk && CGO_ENABLED=0 go build -tags containers_image_openpgp -trimpath \
			-ldflags "-s -w -X github.com/operator-framework/operator-sdk/internal/version.Version=$(OPERATOR_SDK_VERSION) \
			-X github.com/operator-framework/operator-sdk/internal/version.GitVersion=$(OPERATOR_SDK_VERSION) \
			-X github.com/operator-framework/operator-sdk/internal/version.ImageVersion=$(OPERATOR_SDK_VERSION) \
			-X github.com/operator-framework/operator-sdk/internal/version.KubernetesVersion=v1.33.9" \
			-o $(GOBIN_CACHE)/operator-sdk-$(OPERATOR_SDK_VERSION).tmp github.com/operator-framework/operator-sdk/cmd/operator-sdk && \
		mv $(GOBIN_CACHE)/operator-sdk-$(OPERATOR_SDK_VERSION).tmp $(GOBIN_CACHE)/operator-sdk-$(OPERATOR_SDK_VERSION); }
	@mkdir -p $(LOCALBIN); ln -sf $(GOBIN_CACHE)/operator-sdk-$(OPERATOR_SDK_VERSION) $(OPERATOR_SDK)

# opm needs cgo (sqlite); like operator-sdk it comes from a build-only module.
.PHONY: opm
opm: ## Build opm.
	@[ -x "$(GOBIN_CACHE)/opm-$(OPM_VERSION)" ] || { \
		echo "Building opm $(OPM_VERSION)"; mkdir -p $(GOBIN_CACHE); \
		cd hack/tools/opm && CGO_ENABLED=1 go build -tags json1,containers_image_openpgp -trimpath \
			-ldflags "-s -w -X github.com/operator-framework/operator-registry/cmd/opm/version.opmVersion=$(OPM_VERSION) \
			-X github.com/operator-framework/operator-registry/cmd/opm/version.gitCommit=$(OPM_VERSION)" \
			-o $(GOBIN_CACHE)/opm-$(OPM_VERSION).tmp github.com/operator-framework/operator-registry/cmd/opm && \
		mv $(GOBIN_CACHE)/opm-$(OPM_VERSION).tmp $(GOBIN_CACHE)/opm-$(OPM_VERSION); }
	@[ -x "$(GRPC_HEALTH_PROBE_CACHE)" ] || { echo "Building grpc_health_probe $(GRPC_HEALTH_PROBE_VERSION)"; \
		cd hack/tools/opm && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $(GRPC_HEALTH_PROBE_CACHE).tmp \
			github.com/grpc-ecosystem/grpc-health-probe && mv $(GRPC_HEALTH_PROBE_CACHE).tmp $(GRPC_HEALTH_PROBE_CACHE); }
	@mkdir -p $(LOCALBIN); ln -sf $(GOBIN_CACHE)/opm-$(OPM_VERSION) $(OPM)
	@ln -sf $(GRPC_HEALTH_PROBE_CACHE) $(LOCALBIN)/grpc_health_probe

# promtool (checks Prometheus configuration, unit-tests alerting and recording rules) at the
# Prometheus version the local cluster runs, from the same build-only module.
.PHONY: promtool
promtool: ## Build promtool (cached; cold ~2 min, seconds after Prometheus itself).
	@[ -x $(PROMTOOL_BIN) ] || { echo "Building promtool $(PROMETHEUS_VERSION)"; mkdir -p $(dir $(PROMTOOL_BIN)); \
		$(PROMETHEUS_BUILD) -o $(PROMTOOL_BIN).tmp github.com/prometheus/prometheus/cmd/promtool && \
		mv $(PROMTOOL_BIN).tmp $(PROMTOOL_BIN); }
	@mkdir -p $(LOCALBIN); ln -sf $(PROMTOOL_BIN) $(PROMTOOL)

.PHONY: envtest-assets
envtest-assets: ## Build etcd and kube-apiserver for envtest from source (cached; cold ~15 min).
	hack/build-k8s.sh $(K8S_CACHE) etcd kube-apiserver
	@mkdir -p $(LOCALBIN)/k8s; ln -sfn $(K8S_CACHE) $(ENVTEST_ASSETS)
