#!/usr/bin/env bash
# Makes sure the base image of docker/Dockerfile, debian:bookworm-slim, is in
# the local engine. When it is missing it is pulled; when it cannot be pulled
# (no registry reachable), it is built here from Debian's packages with
# debootstrap and imported, and this script says so. Only a Debian mirror
# is needed then, as for the image's own apt-get.
#
#   usage: docker/base-image.sh [--offline]
#
#   --offline              do not try to pull (also ZSTORE_OFFLINE=1)
#   ZSTORE_DEBIAN_MIRROR   mirror for debootstrap (http://deb.debian.org/debian)
set -euo pipefail

image=debian:bookworm-slim
suite=bookworm
mirror=${ZSTORE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
offline=${ZSTORE_OFFLINE:-}
while [ $# -gt 0 ]; do
    case $1 in
        --offline) offline=1 ;;
        -h | --help) exec sed -n '2,11s/^# \{0,1\}//p' "$0" ;;
        *) echo "base-image: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

if docker image inspect "$image" >/dev/null 2>&1; then
    exit 0
fi
# A registry that does not answer can make a pull hang: bound it
if [ -z "$offline" ] && timeout 120 docker pull -q "$image" >/dev/null 2>&1; then
    echo "base-image: pulled $image"
    exit 0
fi

if [ -n "$offline" ]; then why="is not here (offline: not pulled)"; else why="is not here and cannot be pulled"; fi
[ "$(id -u)" = 0 ] || { echo "base-image: $image $why; building it needs root (debootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "base-image: $image $why; install debootstrap to build it" >&2; exit 1; }
echo "base-image: $image $why: building it from $mirror with debootstrap (a few minutes)"

work=$(mktemp -d "${TMPDIR:-/tmp}/zstore-base.XXXXXX")
root=$work/root
cleanup () {
    # debootstrap may leave /proc and /sys mounted inside when it fails
    umount -R "$root/proc" "$root/sys" 2>/dev/null || true
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    echo "base-image: debootstrap failed; last lines of its log:" >&2
    tail -n 5 "$work/debootstrap.log" >&2
    exit 1
fi

# What the official slim image does too: apt sources with updates and
# security fixes, no documentation installed by later packages, no caches
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
cat >"$root/etc/apt/apt.conf.d/slim" <<'EOF'
APT::Install-Recommends "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF
find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,info,locale}/* "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old "$root"/var/log/*.log \
    "$root"/var/log/apt/* "$root"/tmp/*
# The build host's name and resolver must not stay in the image
: >"$root/etc/resolv.conf"
rm -f "$root/etc/hostname"

tar --numeric-owner -C "$root" -c . \
    | docker import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        - "$image" >/dev/null
echo "base-image: built $image locally ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
