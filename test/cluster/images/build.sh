#!/usr/bin/env bash
# Builds the local cluster's images without pulling anything (buildah from scratch) and
# pushes them to the cluster's registry (127.0.0.1:5000, TLS with the cluster CA).
#
# usage: build.sh pause
#        build.sh coredns COREDNS_BINARY
#        build.sh metrics-server METRICS_SERVER_BINARY
#        build.sh traefik TRAEFIK_BINARY
#        build.sh prometheus PROMETHEUS_BINARY TAG  # prometheus:TAG (no web UI)
#        build.sh prometheus-operator OPERATOR_BINARY RELOADER_BINARY TAG  # prometheus-operator:TAG, prometheus-config-reloader:TAG
#        build.sh nginx ROOTFS_TARBALL        # nginx:1.22-bookworm, nginx:1.22-slim and nginx:1.22-exits-at-start
#        build.sh operator MANAGER_BINARY TAG  # webserver-operator:TAG, always rebuilt
#        build.sh metrics METRICS_BINARY TAG   # webserver-operator-metrics:TAG, the pods' metrics container, always rebuilt
#        build.sh prober                       # the e2e suite's HTTP client, always rebuilt
#        build.sh bundle BUNDLE_DOCKERFILE TAG   # webserver-operator-bundle:TAG from bundle/
#        build.sh catalog OPM CATALOG_DIR TAG    # webserver-operator-catalog:TAG (grpc_health_probe next to OPM)
#        build.sh scorecard SCORECARD_TEST_BINARY  # scorecard-test, scorecard-untar, webserver-operator-scorecard
#        build.sh olm OLM_BIN_DIR OLM_TAG OPM OPM_TAG  # olm, opm and the stand-ins for operator-sdk's upstream images
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
STATE=${CLUSTER_STATE:-$(cd "$here/../../.." && pwd)/.cluster}
REGISTRY=127.0.0.1:5000
CERTS=$STATE/pki/registry-ca

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

pushed() { skopeo inspect --cert-dir "$CERTS" "docker://$REGISTRY/$1" >/dev/null 2>&1; }

# commit_and_push CONTAINER NAME:TAG
commit_and_push() {
  buildah commit -q --rm "$1" "localhost/$2" >/dev/null
  buildah push -q --cert-dir "$CERTS" "localhost/$2" "docker://$REGISTRY/$2"
  log "Pushed $REGISTRY/$2"
}

# from_scratch FILE:DEST... -- CONFIG...: an image of the given files and buildah config flags.
from_scratch() {
  local name=$1
  shift
  local ctr
  ctr=$(buildah from scratch)
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    buildah copy -q "$ctr" "${1%%:*}" "${1#*:}" >/dev/null
    shift
  done
  shift
  [ $# -gt 0 ] && buildah config "$@" "$ctr"
  commit_and_push "$ctr" "$name"
}

# busybox_root DIR APPLET...: Debian's static busybox as /bin/busybox with the given applets.
busybox_root() {
  local dir=$1
  shift
  mkdir -p "$dir/bin" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in "$@"; do ln -sf busybox "$dir/bin/$applet"; done
}

# with_libs BINARY ROOT: copies BINARY's shared libraries and loader (cgo) into ROOT.
with_libs() {
  local lib
  for lib in $(ldd "$1" | awk '/=>/ {print $3; next} $1 ~ /^\// {print $1}'); do
    mkdir -p "$2$(dirname "$lib")"
    cp -L "$lib" "$2$lib"
  done
}

# opm_with_probe OPM ROOT: opm with its libraries, and the grpc_health_probe found next to it
# (OLM's readiness and liveness probes of catalog pods run it).
opm_with_probe() {
  cp -L "$1" "$2/bin/opm"
  cp -L "$(dirname "$1")/grpc_health_probe" "$2/bin/grpc_health_probe"
  with_libs "$1" "$2"
}

pause_image() {
  pushed pause:3.10 && return 0
  local tmp
  tmp=$(mktemp -d)
  (cd "$here/../../.." && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pause" ./test/cluster/images/pause)
  from_scratch pause:3.10 "$tmp/pause:/pause" -- --entrypoint '["/pause"]' --user 65535:65535
  rm -rf "$tmp"
}

coredns_image() {
  pushed coredns:v1 && return 0
  from_scratch coredns:v1 "$1:/coredns" -- --entrypoint '["/coredns"]' --user 65532:65532
}

metrics_server_image() {
  pushed metrics-server:v1 && return 0
  from_scratch metrics-server:v1 "$1:/metrics-server" -- --entrypoint '["/metrics-server"]' --user 65532:65532
}

traefik_image() {
  pushed traefik:v1 && return 0
  from_scratch traefik:v1 "$1:/traefik" -- --entrypoint '["/traefik"]' --user 65532:65532
}

# Prometheus as the Prometheus Operator runs it: the operator sets only the container's
# arguments, so the binary is the entrypoint; /bin, because the operator mounts the data
# volume (an emptyDir unless the Prometheus object asks for storage) at /prometheus.
prometheus_image() {
  local binary=$1 tag=$2
  pushed "prometheus:$tag" && return 0
  from_scratch "prometheus:$tag" "$binary:/bin/prometheus" -- --entrypoint '["/bin/prometheus"]' \
    --user 65532:65532 --label "org.opencontainers.image.version=$tag"
}

# The Prometheus Operator, and the config reloader it runs next to Prometheus (as
# /bin/prometheus-config-reloader, the command the operator gives that container).
prometheus_operator_images() {
  local operator=$1 reloader=$2 tag=$3
  pushed "prometheus-operator:$tag" || from_scratch "prometheus-operator:$tag" "$operator:/bin/prometheus-operator" -- \
    --entrypoint '["/bin/prometheus-operator"]' --user 65532:65532 --label "org.opencontainers.image.version=$tag"
  pushed "prometheus-config-reloader:$tag" || from_scratch "prometheus-config-reloader:$tag" \
    "$reloader:/bin/prometheus-config-reloader" -- --entrypoint '["/bin/prometheus-config-reloader"]' \
    --user 65532:65532 --label "org.opencontainers.image.version=$tag"
}

# The operand images: Debian's nginx as a full (trimmed) root filesystem, and a slim image
# of just the nginx binary, its libraries and mime.types: two distinct images for upgrades.
nginx_images() {
  pushed nginx:1.22-bookworm && pushed nginx:1.22-slim && pushed nginx:1.22-exits-at-start && return 0
  local rootfs=$1 tmp ctr
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/rootfs" "$tmp/slim/etc/nginx" "$tmp/slim/tmp"
  tar -C "$tmp/rootfs" -xzf "$rootfs"

  ctr=$(buildah from scratch)
  buildah copy -q "$ctr" "$tmp/rootfs" / >/dev/null
  buildah config --entrypoint '["nginx"]' --cmd '["-g", "daemon off;"]' --user 101:101 \
    --stop-signal SIGQUIT --label org.opencontainers.image.version=1.22-bookworm "$ctr"
  commit_and_push "$ctr" nginx:1.22-bookworm

  # ldd inside the root filesystem lists exactly what the binary loads.
  local libs
  libs=$(chroot "$tmp/rootfs" ldd /usr/sbin/nginx | awk '/=>/ {print $3; next} $1 ~ /^\// {print $1}')
  for f in /usr/sbin/nginx $libs /etc/nginx/mime.types /etc/passwd /etc/group; do
    mkdir -p "$tmp/slim$(dirname "$f")"
    cp -L "$tmp/rootfs$f" "$tmp/slim$f"
  done
  chmod 1777 "$tmp/slim/tmp"
  ctr=$(buildah from scratch)
  buildah copy -q "$ctr" "$tmp/slim" / >/dev/null
  buildah config --entrypoint '["/usr/sbin/nginx"]' --cmd '["-g", "daemon off;"]' --user 101:101 \
    --stop-signal SIGQUIT --label org.opencontainers.image.version=1.22-slim "$ctr"
  commit_and_push "$ctr" nginx:1.22-slim

  # The slim image whose server exits at start while `nginx -t` passes (the e2e suite's
  # broken release): test/cluster/images/exits-at-start.
  mv "$tmp/slim/usr/sbin/nginx" "$tmp/slim/usr/sbin/nginx.real"
  (cd "$here/../../.." && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/slim/usr/sbin/nginx" ./test/cluster/images/exits-at-start)
  ctr=$(buildah from scratch)
  buildah copy -q "$ctr" "$tmp/slim" / >/dev/null
  buildah config --entrypoint '["/usr/sbin/nginx"]' --user 101:101 \
    --label org.opencontainers.image.version=1.22-exits-at-start "$ctr"
  commit_and_push "$ctr" nginx:1.22-exits-at-start
}

# prober: the e2e suite's in-cluster HTTP client.
prober_image() {
  local tmp
  tmp=$(mktemp -d)
  (cd "$here/../../.." && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/prober" ./test/e2e/prober)
  from_scratch prober:v1 "$tmp/prober:/prober" -- --entrypoint '["/prober"]' --user 65532:65532
  rm -rf "$tmp"
}

# bundle: an OLM bundle image from a bundle.Dockerfile (FROM scratch, LABEL and COPY lines only,
# relative to the Dockerfile's directory), built without a container engine.
bundle_image() {
  local dockerfile=$1 tag=$2 context ctr labels=() src dest
  context=$(dirname "$dockerfile")
  ctr=$(buildah from scratch)
  while read -r label; do labels+=(--label "$label"); done < <(awk '$1 == "LABEL" {print $2}' "$dockerfile")
  buildah config "${labels[@]}" "$ctr"
  while read -r src dest; do
    buildah copy -q "$ctr" "$context/$src" "$dest" >/dev/null
  done < <(awk '$1 == "COPY" {print $2, $3}' "$dockerfile")
  commit_and_push "$ctr" "webserver-operator-bundle:$tag"
}

# catalog: the file-based catalog served by opm, which needs its C libraries (cgo).
catalog_image() {
  local opm=$1 configs=$2 tag=$3 tmp ctr
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/root/bin" "$tmp/root/tmp"
  opm_with_probe "$opm" "$tmp/root"
  # The serving cache is built here, as `opm generate dockerfile` would at image build time.
  "$opm" serve "$configs" --cache-dir="$tmp/root/tmp/cache" --cache-only 2>/dev/null
  chmod 1777 "$tmp/root/tmp"
  chmod -R a+rX "$tmp/root/tmp/cache"
  ctr=$(buildah from scratch)
  buildah copy -q "$ctr" "$tmp/root" / >/dev/null
  buildah copy -q "$ctr" "$configs" /configs >/dev/null
  buildah config --entrypoint '["/bin/opm"]' --cmd '["serve", "/configs", "--cache-dir=/tmp/cache"]' \
    --env PATH=/bin --user 65532:65532 --label operators.operatorframework.io.index.configs.v1=/configs "$ctr"
  commit_and_push "$ctr" "webserver-operator-catalog:$tag"
}

# scorecard: operator-sdk's scorecard-test (built from its pinned source) and the untar
# image its pods unpack the bundle with (Debian's static busybox).
scorecard_images() {
  local scorecard_test=$1 tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  from_scratch scorecard-test:v1 "$scorecard_test:/usr/local/bin/scorecard-test" -- \
    --env PATH=/usr/local/bin --user 65532:65532 --entrypoint '["/usr/local/bin/scorecard-test"]'
  busybox_root "$tmp" sh tar gzip ls cat
  from_scratch scorecard-untar:v1 "$tmp:/" -- --env PATH=/bin --user 65532:65532
  # webserver-operator's own scorecard test (test/scorecard).
  (cd "$here/../../.." && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/scorecard" ./test/scorecard)
  from_scratch webserver-operator-scorecard:v1 "$tmp/scorecard:/scorecard" -- --user 65532:65532
}

# olm: OLM's binaries (olm-operator, catalog-operator, packageserver, and the helpers its bundle
# unpack jobs and catalog pods copy: cpb, copy-content) with busybox's cp; opm with its libraries
# and a shell, for catalog pods and bundle unpack jobs. operator-sdk's run bundle names
# quay.io/operator-framework/opm:latest and registry.access.redhat.com/ubi9/ubi:9.7 (sh, cat and
# gzip); the cluster mirrors both registries to the local one, so they are pushed under those paths.
olm_images() {
  local bin_dir=$1 olm_tag=$2 opm=$3 opm_tag=$4 tmp ctr
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN

  busybox_root "$tmp/olm" sh cp
  cp "$bin_dir"/{olm,catalog,package-server,copy-content,cpb} "$tmp/olm/bin/"
  from_scratch "olm:$olm_tag" "$tmp/olm:/" -- --env PATH=/bin --user 65532:65532 \
    --label "org.opencontainers.image.version=$olm_tag"

  busybox_root "$tmp/opm" sh cp ls cat
  opm_with_probe "$opm" "$tmp/opm"
  mkdir -p "$tmp/opm/configs"
  ctr=$(buildah from scratch)
  buildah copy -q "$ctr" "$tmp/opm" / >/dev/null
  buildah config --env PATH=/bin --user 65532:65532 --entrypoint '["/bin/opm"]' \
    --label operators.operatorframework.io.index.configs.v1=/configs "$ctr"
  buildah commit -q --rm "$ctr" "localhost/opm:$opm_tag" >/dev/null
  for name in "opm:$opm_tag" operator-framework/opm:latest; do
    buildah push -q --cert-dir "$CERTS" "localhost/opm:$opm_tag" "docker://$REGISTRY/$name"
    log "Pushed $REGISTRY/$name"
  done

  busybox_root "$tmp/ubi" sh cat gzip ls
  from_scratch ubi9/ubi:9.7 "$tmp/ubi:/" -- --env PATH=/bin --user 65532:65532
}

operator_image() {
  local binary=$1 tag=$2
  from_scratch "webserver-operator:$tag" "$binary:/manager" -- \
    --entrypoint '["/manager"]' --user 65532:65532 --label "org.opencontainers.image.version=$tag"
}

metrics_image() {
  local binary=$1 tag=$2
  from_scratch "webserver-operator-metrics:$tag" "$binary:/webserver-metrics" -- \
    --entrypoint '["/webserver-metrics"]' --user 65532:65532 --label "org.opencontainers.image.version=$tag"
}

case "${1:-}" in
  pause) pause_image ;;
  coredns) coredns_image "$2" ;;
  metrics-server) metrics_server_image "$2" ;;
  traefik) traefik_image "$2" ;;
  prometheus) prometheus_image "$2" "$3" ;;
  prometheus-operator) prometheus_operator_images "$2" "$3" "$4" ;;
  nginx) nginx_images "$2" ;;
  operator) operator_image "$2" "$3" ;;
  metrics) metrics_image "$2" "$3" ;;
  prober) prober_image ;;
  bundle) bundle_image "$2" "$3" ;;
  catalog) catalog_image "$2" "$3" "$4" ;;
  scorecard) scorecard_images "$2" ;;
  olm) olm_images "$2" "$3" "$4" "$5" ;;
  *) sed -n "5,/^set /{/^#/p}" "$0" >&2; exit 2 ;;
esac
