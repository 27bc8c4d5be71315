#!/bin/sh
# make, on a fresh Debian/Ubuntu machine: installs make, the compiler and the
# libraries first when they are missing, then runs make with the arguments.
#
#   scripts/make.sh run     a local cluster
#   scripts/make.sh test    the whole test suite
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
exec make "$@"
