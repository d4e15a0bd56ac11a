#!/usr/bin/env bash
# Builds pinned Kubernetes and etcd binaries from source through the Go module proxy
# (no release downloads are reachable offline). Binaries land in OUT_DIR; ones that
# already exist are skipped, so a warm cache costs nothing.
#
# usage: hack/build-k8s.sh OUT_DIR COMPONENT...
#   COMPONENT: etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy
set -euo pipefail

out_dir=$1; shift
tools_dir=$(cd "$(dirname "$0")/tools/k8s" && pwd)
k8s_version=$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' "$tools_dir/go.mod")
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$tools_dir/go.mod")
minor=$(echo "$k8s_version" | cut -d. -f2)
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# Stamp the version: unstamped binaries report v0.0.0-master and break version checks.
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

mkdir -p "$out_dir"
cd "$tools_dir"
for component in "$@"; do
  target="$out_dir/$component"
  if [ -x "$target" ]; then
    continue
  fi
  case "$component" in
    etcd) pkg=go.etcd.io/etcd/server/v3; version=$etcd_version ;;
    *) pkg=k8s.io/kubernetes/cmd/$component; version=$k8s_version ;;
  esac
  echo "Building $component $version (cold builds take minutes)"
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w $stamp" -o "$target.tmp" "$pkg"
  mv "$target.tmp" "$target"
done
