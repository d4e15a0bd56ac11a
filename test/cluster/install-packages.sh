#!/usr/bin/env bash
# Installs the Debian packages the local cluster needs (or those named), only those missing. Debian's
# packages start no daemons here (no systemd, and policy-rc.d forbids it during the
# install): the cluster scripts start and stop what they need themselves.
set -euo pipefail

packages=(containerd runc containernetworking-plugins buildah skopeo docker-registry
  debootstrap iptables conntrack ethtool socat busybox-static)
# Arguments name other packages to install instead (a benchmark's load generator).
[ $# -gt 0 ] && packages=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
policy=/usr/sbin/policy-rc.d
created_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=true
fi
trap '$created_policy && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
