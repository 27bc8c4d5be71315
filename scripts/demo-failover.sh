#!/usr/bin/env bash
# Failover, step by step, on local processes: a gateway and 4 buckets store
# files with 3 copies; a bucket is killed, reads go on and the cluster heals;
# the bucket comes back and its extra copies are trimmed; the gateway is
# killed and restarted and rebuilds its index from the buckets. Every step is
# checked: the script exits non-zero when one does not happen in time.
#
#   usage: scripts/demo-failover.sh [--keep]
#
#   --keep    keep the data folder and logs, and print where they are
#   ZS_BIN    folder of the programs (default: bin; run 'make' first)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    "") keep= ;;
    --keep) keep=1 ;;
    -h | --help)
        sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "demo: unknown option '$1' (try --help)" >&2
        exit 2
        ;;
esac
bin=$(cd "${ZS_BIN:-bin}" && pwd)
for program in zstore-gateway zstore-bucket zstore; do
    [ -x "$bin/$program" ] || { echo "demo: $bin/$program is missing: run 'make' first" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/zstore-demo.XXXXXX")
declare -A pids=()
files=8

stop_all () {
    local name
    for name in "${!pids[@]}"; do kill -s TERM "${pids[$name]}" 2>/dev/null || true; done
    for name in "${!pids[@]}"; do wait "${pids[$name]}" 2>/dev/null || true; done
    pids=()
}

finish () {
    local status=$?
    stop_all
    if [ $status -ne 0 ]; then
        echo "demo: FAILED; last lines of the logs:" >&2
        tail -n 5 "$work"/*.log >&2 2>/dev/null || true
    fi
    if [ -n "$keep" ]; then echo "demo: data and logs kept in $work"; else rm -rf "$work"; fi
    exit $status
}
trap finish EXIT
trap 'exit 130' INT TERM

say () {
    echo "demo: $*"
}

# within SECONDS WHAT CONDITION: wait for CONDITION (a command line, quoted
# to delay substitutions), or fail saying WHAT did not happen
within () {
    local limit=$1 what=$2 deadline=$((SECONDS + $1))
    shift 2
    until eval "$*" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            echo "demo: expected $what within ${limit}s, and it did not happen" >&2
            exit 1
        fi
        sleep 0.1
    done
}

zs () {
    "$bin/zstore" -g "$clients" -u demo --timeout 5 "$@"
}

status_json () {
    zs status --json
}

bucket_is () {
    [ "$(status_json | jq -r --arg id "$1" '.buckets[] | select(.id == $id) | .state')" = "$2" ]
}

alive_buckets () {
    status_json | jq '[.buckets[] | select(.state == "alive")] | length'
}

ready () {
    [ "$(status_json | jq .recovering)" = false ]
}

# Copies the buckets hold on disk, in all, as their heartbeats report them
copies_held () {
    status_json | jq '[.buckets[] | select(.state == "alive") | .files] | add'
}

all_readable () {
    for i in $(seq 1 $files); do
        zs get "file$i" -o "$work/read" && cmp -s "$work/file$i" "$work/read" || return 1
    done
}

start_gateway () {
    "$bin/zstore-gateway" --clients "$clients" --buckets "$buckets" --events "$events" \
        --heartbeat 250 --liveness 4 --repair-grace 2 >>"$work/gateway.log" 2>&1 &
    pids[gateway]=$!
}

start_bucket () {
    "$bin/zstore-bucket" --id "$1" --zone "z${1#b}" --gateway "$buckets" --data "$work/data/$1" \
        >>"$work/$1.log" 2>&1 &
    pids[$1]=$!
}

kill_process () {
    kill -s KILL "${pids[$1]}"
    wait "${pids[$1]}" 2>/dev/null || true
    unset "pids[$1]"
}

# The gateway binds ports the system picks; the buckets and the restarted
# gateway use the same ones
clients=tcp://127.0.0.1:* buckets=tcp://127.0.0.1:* events=tcp://127.0.0.1:*
start_gateway
within 10 "the gateway to start" grep -q '"clients on "' "$work/gateway.log"
read -r clients buckets events <<<"$(sed -n 's/.*clients on \([^,]*\), buckets on \([^,]*\), events on \(.*\)$/\1 \2 \3/p' "$work/gateway.log")"
for id in b1 b2 b3 b4; do start_bucket $id; done
within 10 "4 buckets to register" '[ "$(alive_buckets)" = 4 ]'
within 10 "the index to be ready" ready
say "a gateway on $clients and 4 buckets (b1-b4, one zone each) are running"

for i in $(seq 1 $files); do
    head -c $((i * 300000)) /dev/urandom >"$work/file$i"
    zs put "$work/file$i" "file$i" -r 3 >/dev/null
done
[ "$(zs ls --json | jq '[.[] | select(.replicas.actual == 3)] | length')" = $files ] \
    || { echo "demo: not every file has 3 copies" >&2; exit 1; }
say "stored $files files with 3 copies each"

victim=$(zs stat file1 --json | jq -r '.buckets[0]')
held=$(status_json | jq --arg id "$victim" '.buckets[] | select(.id == $id) | .files')
kill_process "$victim"
say "killed bucket $victim (SIGKILL), which held $held of the copies"

all_readable || { echo "demo: a read failed with $victim down" >&2; exit 1; }
say "read all $files files back, byte for byte, while $victim is down"

within 10 "$victim to be declared dead" bucket_is "$victim" dead
say "the gateway declared $victim dead after 4 missed heartbeats"

healed_from=$SECONDS
within 60 "the cluster to heal" '[ "$(status_json | jq .under_replicated)" = 0 ]'
within 10 "each file to have 3 live copies" \
    '[ "$(zs ls --json | jq "[.[] | select(.replicas.actual == 3)] | length")" = $files ]'
say "after a 2 s grace period, repair made the lost copies again: every file has 3 live copies ($((SECONDS - healed_from)) s)"

start_bucket "$victim"
within 10 "$victim to come back" bucket_is "$victim" alive
within 30 "the extra copies to be trimmed" '[ "$(copies_held)" = $((files * 3)) ]'
say "restarted $victim with its old copies; the extra ones were trimmed: $((files * 3)) copies on 4 buckets"

kill_process gateway
say "killed the gateway (SIGKILL)"
start_gateway
within 20 "the buckets to register with the new gateway" '[ "$(alive_buckets)" = 4 ]'
within 20 "the index to be rebuilt" ready
[ "$(zs ls --json | jq length)" = $files ] || { echo "demo: the new gateway does not list $files files" >&2; exit 1; }
all_readable || { echo "demo: a read failed after the gateway restart" >&2; exit 1; }
say "restarted the gateway: it rebuilt its index from the buckets' inventories; all $files files read back"

[ "$(status_json | jq .under_replicated)" = 0 ] || { echo "demo: files under-replicated at the end" >&2; exit 1; }
say "every step happened as expected"
