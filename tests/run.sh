#!/usr/bin/env bash
# Runs zstore's tests: the cmocka unit tests, then the integration tests that
# start real gateways and buckets on 127.0.0.1. Prints one line per test and
# the log of each failure; exits non-zero if any test failed.
#
# usage: tests/run.sh [--build DIR] [--bin DIR] [--unit-only | --integration-only] [TEST...]
set -uo pipefail
cd "$(dirname "$0")/.."

build=build/release
bin=bin
run_unit=1
run_integration=1
only=()
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        --unit-only) run_integration=0; shift ;;
        --integration-only) run_unit=0; shift ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) only+=("$1"); shift ;;
    esac
done

logs="$build/test-logs"
mkdir -p "$logs"
export ZS_BIN="$bin" ZS_TOOLS="$build/tests"
if [[ "$build" == *sanitize* ]]; then
    export ZS_SANITIZE=1
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

selected () {
    [ ${#only[@]} -eq 0 ] && return 0
    local name
    for name in "${only[@]}"; do [ "$name" = "$1" ] && return 0; done
    return 1
}

passed=0
failed=()
started=$SECONDS

run_one () {
    local name=$1
    shift
    local log="$logs/$name.log" begin=$SECONDS status=0
    "$@" >"$log" 2>&1 || status=$?
    # A sanitizer that reports and lets the process go on still fails the test
    if [ $status -eq 0 ] && grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
        status=99
    fi
    if [ $status -eq 0 ]; then
        printf 'PASS  %-28s %4ds\n' "$name" $((SECONDS - begin))
        passed=$((passed + 1))
    else
        printf 'FAIL  %-28s %4ds  (exit %d, log: %s)\n' "$name" $((SECONDS - begin)) $status "$log"
        tail -n 40 "$log" | sed 's/^/      | /'
        failed+=("$name")
    fi
}

if [ $run_unit = 1 ]; then
    for test in "$build"/tests/test_*; do
        [ -x "$test" ] || continue
        name=$(basename "$test")
        selected "$name" && run_one "$name" "$test"
    done
fi
if [ $run_integration = 1 ]; then
    for test in tests/integration/test_*.sh; do
        name=$(basename "$test" .sh)
        selected "$name" && run_one "$name" "$test"
    done
fi

echo "$passed passed, ${#failed[@]} failed in $((SECONDS - started))s"
[ ${#failed[@]} -eq 0 ]
