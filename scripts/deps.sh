#!/bin/sh
# Installs the Debian/Ubuntu packages zstore needs, those that are missing,
# with apt-get (through sudo when not root).
#
# usage: scripts/deps.sh [build|test|fuzz|all]
#   build   compiler, make and the libraries (libzmq, czmq, libsodium, cmocka)
#   test    build, plus what the tests use (jq, clang-format, tmux, tcpdump)
#   fuzz    build, plus clang and its fuzzer runtime
set -eu

build="make gcc libc6-dev pkg-config libzmq3-dev libczmq-dev libsodium-dev libcmocka-dev"
test="$build jq clang-format coreutils diffutils findutils mawk tmux tcpdump"
fuzzer="clang libclang-rt-14-dev"
case "${1:-all}" in
    build) wanted=$build ;;
    test) wanted=$test ;;
    fuzz) wanted="$build $fuzzer" ;;
    all) wanted="$test $fuzzer" ;;
    *) echo "usage: scripts/deps.sh [build|test|fuzz|all]" >&2; exit 2 ;;
esac

missing=""
for package in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $package"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo=sudo
else
    echo "zstore: missing packages:$missing; install them as root (apt-get install$missing)" >&2
    exit 1
fi
echo "zstore: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
