#!/usr/bin/env bash
# Builds a minimal Debian bookworm root filesystem holding nginx-light, from the Debian
# mirror with debootstrap (no image registry needed), trimmed and packed as a tarball.
# Skipped when the tarball exists: it is cached outside the checkout.
#
# usage: nginx-rootfs.sh OUT.tar.gz
set -euo pipefail

out=$1
[ -s "$out" ] && exit 0
mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Building the nginx root filesystem with debootstrap from $mirror (takes minutes)"
debootstrap --variant=minbase --include=nginx-light bookworm "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log"; exit 1; }

# What nginx does not need at run time.
rm -rf "$work"/rootfs/usr/share/{doc,man,info,locale,lintian} "$work"/rootfs/var/lib/apt/lists/* \
  "$work"/rootfs/var/cache/apt/* "$work"/rootfs/var/log/* "$work"/rootfs/etc/nginx/sites-enabled/*
mkdir -p "$(dirname "$out")"
tar -C "$work/rootfs" -czf "$out.tmp" .
mv "$out.tmp" "$out"
