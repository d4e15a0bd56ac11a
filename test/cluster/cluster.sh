#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, offline: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet and kube-proxy (built from source),
# containerd + runc + CNI bridge (Debian packages), CoreDNS, and an image registry on
# 127.0.0.1:5000 over TLS. Every daemon is started by this script, recorded by PID, and
# stopped only by it; all state lives in CLUSTER_STATE. Optional add-ons, each deployed when
# its binaries are given: metrics-server, Traefik, and monitoring (the Prometheus Operator
# and a Prometheus, monitoring/k8s, that follows every ServiceMonitor, PodMonitor and
# PrometheusRule).
#
# usage: cluster.sh up | down [--purge] | status
#
# Environment (the Makefile sets these):
#   CLUSTER_STATE  state directory (default: <repo>/.cluster)
#   K8S_BIN_DIR    directory with etcd, kube-apiserver, ..., kubelet, kube-proxy
#   COREDNS_BIN    the coredns binary
#   METRICS_SERVER_BIN  the metrics-server binary (optional)
#   TRAEFIK_BIN         the Traefik binary, the ingress controller (optional)
#   PROMETHEUS_BIN, PROMETHEUS_OPERATOR_BIN  the prometheus and prometheus-operator binaries
#                       (optional: monitoring is deployed when both are set)
#   PROMETHEUS_CONFIG_RELOADER_BIN  the operator's prometheus-config-reloader (default: next
#                       to PROMETHEUS_OPERATOR_BIN)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
STATE=${CLUSTER_STATE:-$(cd "$here/../.." && pwd)/.cluster}
K8S_BIN_DIR=${K8S_BIN_DIR:-}
COREDNS_BIN=${COREDNS_BIN:-}

NODE_NAME=webserver-node
NODE_IP=${NODE_IP:-$(ip -4 -o route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i+1)}')}
REGISTRY=127.0.0.1:5000
POD_CIDR=10.245.0.0/16
NODE_POD_CIDR=10.245.0.0/24
SERVICE_CIDR=10.96.0.0/12
DNS_IP=10.96.0.10
BRIDGE=wsbr0
# Non-default etcd ports: envtest's etcds never collide with the cluster's.
ETCD_CLIENT=127.0.0.1:12379
ETCD_PEER=127.0.0.1:12380

PKI=$STATE/pki
RUN=$STATE/run
LOGS=$STATE/logs
CONF=$STATE/conf
export KUBECONFIG=$PKI/admin.kubeconfig

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# running NAME: the recorded PID is alive and still runs the expected binary.
running() {
  local pidfile=$RUN/$1.pid pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$(basename "$2")"
}

# start NAME BINARY ARGS...: start a daemon unless it runs already; its log goes to LOGS.
start() {
  local name=$1 binary=$2
  shift 2
  if running "$name" "$binary"; then
    return 0
  fi
  log "Starting $name"
  # Started as a plain command, so $! is the daemon itself.
  setsid "$binary" "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

# stop NAME BINARY: stop a daemon this script started, by its recorded PID only.
stop() {
  local name=$1 binary=$2 pid
  if running "$name" "$binary"; then
    pid=$(cat "$RUN/$name.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
    log "Stopped $name"
  fi
  rm -f "$RUN/$name.pid"
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.25
  done
  die "timed out after ${seconds}s waiting for $what (logs: $LOGS)"
}

write_configs() {
  mkdir -p "$CONF" "$STATE/cni/net.d" "$STATE/containerd/certs.d/$REGISTRY" "$STATE/registry" "$PKI/registry-ca"
  # Image tools (buildah, skopeo) trust the registry through this directory.
  cp "$PKI/ca.crt" "$PKI/registry-ca/ca.crt"

  cat > "$CONF/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE/registry}
  delete: {enabled: true}
http:
  addr: $REGISTRY
  tls: {certificate: $PKI/registry.crt, key: $PKI/registry.key}
EOF

  # containerd: its own root, state and socket; restrict_oom_score_adj because the machine
  # lacks CAP_SYS_RESOURCE; cgroupfs (no systemd); the sandbox image from the local registry.
  cat > "$CONF/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd"
[grpc]
  address = "$RUN/containerd.sock"
[ttrpc]
  address = "$RUN/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$REGISTRY/pause:3.10"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/bin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$STATE/containerd/certs.d"
EOF
  cat > "$STATE/containerd/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "https://$REGISTRY"
[host."https://$REGISTRY"]
  capabilities = ["pull", "resolve", "push"]
  ca = "$PKI/ca.crt"
EOF
  # operator-sdk's run bundle and run bundle-upgrade put two upstream images in their catalog
  # pods (the opm index image and a ubi9 decompression image, the latter not configurable).
  # Offline, the cluster mirrors those registries to the local one, as a disconnected cluster
  # would; `test/cluster/images/build.sh olm` pushes the stand-ins.
  local upstream
  for upstream in quay.io registry.access.redhat.com; do
    mkdir -p "$STATE/containerd/certs.d/$upstream"
    cat > "$STATE/containerd/certs.d/$upstream/hosts.toml" <<EOF
server = "https://$upstream"
[host."https://$REGISTRY"]
  capabilities = ["pull", "resolve"]
  ca = "$PKI/ca.crt"
EOF
  done

  cat > "$STATE/cni/net.d/10-webserver.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "webserver-net",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {"type": "host-local", "dataDir": "$STATE/cni/ipam", "ranges": [[{"subnet": "$NODE_POD_CIDR"}]],
               "routes": [{"dst": "0.0.0.0/0"}]}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

  cat > "$CONF/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$RUN/containerd.sock
failSwapOn: false
failCgroupV1: false
# Without CAP_SYS_RESOURCE the default -999 cannot be applied.
oomScoreAdj: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
clusterDNS: ["$DNS_IP"]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
podLogsDir: $STATE/kubelet-logs
volumePluginDir: $STATE/kubelet-plugins
serializeImagePulls: false
evictionHard: {memory.available: 100Mi, nodefs.available: "2%", imagefs.available: "2%"}
EOF

  # kube-proxy writes no conntrack sysctls (the machine refuses them).
  cat > "$CONF/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
oomScoreAdj: 0
clientConnection: {kubeconfig: $PKI/kube-proxy.kubeconfig}
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
EOF
}

# The Prometheus Operator's CRDs the stack needs: its Prometheus controller waits for these;
# without their CRDs it starts no Alertmanager, ThanosRuler or PrometheusAgent controller and
# ignores ScrapeConfigs.
PROMETHEUS_CRDS="prometheuses servicemonitors podmonitors probes prometheusrules"

# monitoring_up: the Prometheus Operator and Prometheus monitoring/k8s (manifests/prometheus.yaml),
# their images built from the binaries and tagged with the versions the binaries report.
monitoring_up() {
  local reloader=${PROMETHEUS_CONFIG_RELOADER_BIN:-$(dirname "$PROMETHEUS_OPERATOR_BIN")/prometheus-config-reloader}
  local prometheus_tag operator_tag crd_dir crd files=() crds=()
  prometheus_tag=v$("$PROMETHEUS_BIN" --version 2>/dev/null | awk 'NR == 1 {print $3}')
  operator_tag=v$("$PROMETHEUS_OPERATOR_BIN" --version 2>/dev/null | awk 'NR == 1 {print $3}')
  [ "$prometheus_tag" != v ] && [ "$operator_tag" != v ] ||
    die "the Prometheus binaries report no version (make cluster-prereqs builds them with one)"
  "$here/images/build.sh" prometheus "$PROMETHEUS_BIN" "$prometheus_tag"
  "$here/images/build.sh" prometheus-operator "$PROMETHEUS_OPERATOR_BIN" "$reloader" "$operator_tag"

  # The CRDs ship in the operator's module, pinned by hack/tools/prometheus-operator; they are
  # too large for client-side apply (its last-applied annotation).
  crd_dir=$(cd "$here/../../hack/tools/prometheus-operator" &&
    go mod download github.com/prometheus-operator/prometheus-operator &&
    go list -m -f '{{.Dir}}' github.com/prometheus-operator/prometheus-operator)/example/prometheus-operator-crd
  for crd in $PROMETHEUS_CRDS; do
    files+=(-f "$crd_dir/monitoring.coreos.com_$crd.yaml")
    crds+=("crd/$crd.monitoring.coreos.com")
  done
  kubectl apply --server-side --force-conflicts "${files[@]}" >/dev/null
  # The Prometheus object in the manifest needs its CRD established.
  wait_for "the Prometheus Operator's CRDs" 60 kubectl wait --for=condition=Established "${crds[@]}" --timeout=1s

  sed -e "s|@OPERATOR_IMAGE@|$REGISTRY/prometheus-operator:$operator_tag|" \
    -e "s|@CONFIG_RELOADER_IMAGE@|$REGISTRY/prometheus-config-reloader:$operator_tag|" \
    -e "s|@PROMETHEUS_IMAGE@|$REGISTRY/prometheus:$prometheus_tag|" -e "s|@PROMETHEUS_VERSION@|$prometheus_tag|" \
    "$here/manifests/prometheus.yaml" | kubectl apply -f - >/dev/null
  wait_for "the Prometheus Operator" 120 kubectl -n monitoring rollout status deployment/prometheus-operator --timeout=1s
  # The operator creates the StatefulSet prometheus-k8s; its pod is Ready once Prometheus has
  # loaded the configuration the operator generated.
  wait_for "Prometheus monitoring/k8s" 180 kubectl -n monitoring wait --for=condition=Ready pod/prometheus-k8s-0 --timeout=1s
}

up() {
  [ -n "$K8S_BIN_DIR" ] && [ -x "$K8S_BIN_DIR/kubelet" ] || die "K8S_BIN_DIR must hold the Kubernetes binaries (make cluster-up builds them)"
  [ -n "$NODE_IP" ] || die "cannot find this machine's IP address (set NODE_IP)"
  [ "$(id -u)" = 0 ] || die "the local cluster needs root (kubelet, containerd, iptables)"
  mkdir -p "$RUN" "$LOGS" "$STATE/kubelet"
  "$here/pki.sh" "$PKI" "$NODE_NAME" "$NODE_IP"
  write_configs
  modprobe br_netfilter 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1 2>/dev/null || true
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true

  start registry /usr/bin/docker-registry serve "$CONF/registry.yml"
  wait_for "the registry" 30 curl -sf --cacert "$PKI/ca.crt" "https://$REGISTRY/v2/"
  # The sandbox image must be in the registry before the kubelet creates a pod.
  "$here/images/build.sh" pause
  start containerd /usr/bin/containerd --config "$CONF/containerd.toml"
  start etcd "$K8S_BIN_DIR/etcd" --name "$NODE_NAME" --data-dir "$STATE/etcd" \
    --listen-client-urls "http://$ETCD_CLIENT" --advertise-client-urls "http://$ETCD_CLIENT" \
    --listen-peer-urls "http://$ETCD_PEER" --initial-advertise-peer-urls "http://$ETCD_PEER" \
    --initial-cluster "$NODE_NAME=http://$ETCD_PEER" --listen-metrics-urls http://127.0.0.1:12381 \
    --quota-backend-bytes 2147483648 --log-level warn

  # The apiserver advertises the host's address: the kubernetes Service must not lead pods
  # to their own loopback. It reaches aggregated APIs (metrics-server, OLM's packageserver)
  # at their pods: a connection to a Service IP opened before kube-proxy's rules exist would
  # stay with the machine's egress proxy.
  start kube-apiserver "$K8S_BIN_DIR/kube-apiserver" --etcd-servers "http://$ETCD_CLIENT" \
    --bind-address 0.0.0.0 --secure-port 6443 --advertise-address "$NODE_IP" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction --allow-privileged=true \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --profiling=false
  wait_for "kube-apiserver /readyz" 60 kubectl get --raw /readyz

  start kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
    --kubeconfig "$PKI/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$PKI/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$PKI/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --controllers '*' --use-service-account-credentials=true \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --allocate-node-cidrs=true \
    --cluster-cidr "$POD_CIDR" --node-cidr-mask-size 24
  start kube-scheduler "$K8S_BIN_DIR/kube-scheduler" --kubeconfig "$PKI/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$PKI/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$PKI/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false
  start kubelet "$K8S_BIN_DIR/kubelet" --config "$CONF/kubelet.yaml" --kubeconfig "$PKI/kubelet.kubeconfig" \
    --root-dir "$STATE/kubelet" --cert-dir "$STATE/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
  start kube-proxy "$K8S_BIN_DIR/kube-proxy" --config "$CONF/kube-proxy.yaml"

  wait_for "node $NODE_NAME Ready" 90 kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
  # Pods need the default ServiceAccount, created by the controller-manager a few seconds later.
  wait_for "the default ServiceAccount" 60 kubectl get serviceaccount default -n default
  # Pods reach the API server through kube-proxy's rule for the kubernetes Service.
  wait_for "kube-proxy's rule for the kubernetes Service" 60 sh -c "iptables-save -t nat | grep -q 10.96.0.1/32"

  if [ -n "$COREDNS_BIN" ]; then
    "$here/images/build.sh" coredns "$COREDNS_BIN"
    sed "s/@DNS_IP@/$DNS_IP/; s|@IMAGE@|$REGISTRY/coredns:v1|" "$here/manifests/coredns.yaml" | kubectl apply -f - >/dev/null
    wait_for "CoreDNS" 120 kubectl -n kube-system rollout status deployment/coredns --timeout=1s
  fi
  if [ -n "${METRICS_SERVER_BIN:-}" ]; then
    # Resource metrics for HorizontalPodAutoscalers, through the API server's aggregation layer.
    "$here/images/build.sh" metrics-server "$METRICS_SERVER_BIN"
    sed "s|@IMAGE@|$REGISTRY/metrics-server:v1|" "$here/manifests/metrics-server.yaml" | kubectl apply -f - >/dev/null
    wait_for "metrics-server" 120 kubectl -n kube-system rollout status deployment/metrics-server --timeout=1s
  fi
  if [ -n "${TRAEFIK_BIN:-}" ]; then
    # An ingress controller, so that Ingresses route by host name as in a real cluster.
    "$here/images/build.sh" traefik "$TRAEFIK_BIN"
    sed "s|@IMAGE@|$REGISTRY/traefik:v1|" "$here/manifests/traefik.yaml" | kubectl apply -f - >/dev/null
    wait_for "Traefik" 120 kubectl -n traefik rollout status deployment/traefik --timeout=1s
  fi
  if [ -n "${PROMETHEUS_OPERATOR_BIN:-}" ] && [ -n "${PROMETHEUS_BIN:-}" ]; then
    # Monitoring: Prometheus run by the Prometheus Operator, as clusters commonly have it.
    monitoring_up
  fi
  log "Cluster is up: node $NODE_NAME ($NODE_IP), registry $REGISTRY, KUBECONFIG=$KUBECONFIG"
}

# remove_containers kills every container and sandbox in containerd's Kubernetes namespace,
# so no shim outlives the cluster.
remove_containers() {
  running containerd /usr/bin/containerd || return 0
  local ctr_cmd=(ctr --address "$RUN/containerd.sock" -n k8s.io)
  for c in $("${ctr_cmd[@]}" tasks ls -q 2>/dev/null); do
    "${ctr_cmd[@]}" tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
  done
  sleep 1
  for c in $("${ctr_cmd[@]}" containers ls -q 2>/dev/null); do
    "${ctr_cmd[@]}" tasks delete -f "$c" >/dev/null 2>&1 || true
    "${ctr_cmd[@]}" containers delete "$c" >/dev/null 2>&1 || true
  done
}

# remove_kubelet_chains drops the iptables chains the kubelet creates (kube-proxy cleans its own).
remove_kubelet_chains() {
  local tool table hook chain
  for tool in iptables ip6tables; do
    for table in filter nat mangle; do
      for hook in INPUT OUTPUT; do
        while "$tool" -t "$table" -D "$hook" -j KUBE-FIREWALL 2>/dev/null; do :; done
      done
      for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
        "$tool" -t "$table" -F "$chain" 2>/dev/null || true
        "$tool" -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

down() {
  local purge=${1:-}
  [ -d "$STATE" ] || { log "No cluster state at $STATE"; return 0; }
  mkdir -p "$RUN"
  stop kube-proxy kube-proxy
  stop kube-scheduler kube-scheduler
  stop kube-controller-manager kube-controller-manager
  stop kubelet kubelet
  remove_containers
  stop kube-apiserver kube-apiserver
  stop etcd etcd
  stop containerd containerd
  stop registry docker-registry

  # Pod network leftovers: namespaces, IP allocations, the bridge.
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do ip netns delete "$ns" 2>/dev/null || true; done
  rm -rf "$STATE/cni/ipam"
  ip link delete "$BRIDGE" 2>/dev/null || true
  # Mounts the kubelet and containerd left under the state directory.
  { grep -o " $STATE[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done

  if [ "$purge" = "--purge" ]; then
    [ -x "${K8S_BIN_DIR:-}/kube-proxy" ] && "$K8S_BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1 || true
    remove_kubelet_chains
    rm -rf "$STATE"
    log "Cluster purged"
  else
    log "Cluster stopped (state kept in $STATE)"
  fi
}

status() {
  local all=0
  for c in registry:docker-registry containerd:containerd etcd:etcd kube-apiserver:kube-apiserver \
    kube-controller-manager:kube-controller-manager kube-scheduler:kube-scheduler kubelet:kubelet kube-proxy:kube-proxy; do
    if running "${c%%:*}" "${c##*:}"; then
      printf '%-24s running (pid %s)\n' "${c%%:*}" "$(cat "$RUN/${c%%:*}.pid")"
    else
      printf '%-24s stopped\n' "${c%%:*}"
      all=1
    fi
  done
  if [ $all = 0 ]; then
    kubectl get nodes -o wide
    echo "KUBECONFIG=$KUBECONFIG"
  fi
  return $all
}

case "${1:-}" in
  up) up ;;
  down) down "${2:-}" ;;
  status) status ;;
  *) echo "usage: $0 up | down [--purge] | status" >&2; exit 2 ;;
esac
