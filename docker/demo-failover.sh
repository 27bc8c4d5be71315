#!/usr/bin/env bash
# Failover, step by step, on the compose cluster (docker/docker-compose.yml,
# up): files stored with 3 copies; a bucket container is killed, every file
# is still read and the cluster repairs itself; the bucket comes back and
# its extra copies are trimmed; two buckets are killed in turn; the gateway
# container is killed and restarted and nothing is lost. Every step is
# checked: the script exits non-zero when one does not happen in time. It
# starts again whatever it stopped, also on failure, and removes its files.
#
#   usage: docker/demo-failover.sh
#
# Quicker with short heartbeats and repair grace, for instance:
#   ZSTORE_HEARTBEAT=250 ZSTORE_LIVENESS=4 ZSTORE_REPAIR_GRACE=2 \
#       docker compose -f docker/docker-compose.yml up -d
# Settings: see docker/lib.sh (ZSTORE_CLIENT_PORT, ZSTORE_DEMO_CLI). The
# demo works as user demo-failover, whose key pair it makes in the
# cluster's keys volume.
set -euo pipefail
ZS_NAME=demo ZS_USER=demo-failover
# shellcheck source=docker/lib.sh
source "$(dirname "$0")/lib.sh"
no_arguments "$@"

declare -A stopped=()
# Leave the cluster whole, whatever happened
restart_stopped () {
    local service
    for service in "${!stopped[@]}"; do docker start "${cid[$service]}" >/dev/null 2>&1 || true; done
}

# kill_container SERVICE: SIGKILL, as a crash would; docker does not restart
# a container it was told to kill
kill_container () {
    docker kill "${cid[$1]}" >/dev/null
    stopped[$1]=1
}

start_container () {
    docker start "${cid[$1]}" >/dev/null
    unset "stopped[$1]"
}

monitor_view () {
    docker exec -e NO_COLOR=1 "${cid[monitor]}" zstore-monitor --once | sed 's/^/    /'
}

demo_start gateway b1 b2 b3 b4 monitor
at_exit restart_stopped
files=8
demo_store $files 300000
held=$(st --arg id "$victim" '.buckets[] | select(.id == $id) | .files')
kill_container "$victim"
say "docker kill $victim: its bucket is killed (SIGKILL), with the $held copies it held"

all_readable || fail "a read failed with $victim down"
say "read all $files files back, byte for byte, while $victim is down"

within $((dead + 10)) "$victim to be declared dead" bucket_is "$victim" dead
say "the gateway declared $victim dead; the monitor's view (zstore-monitor --once):"
monitor_view

healed_from=$SECONDS
within $((grace + 60)) "the cluster to repair itself" '[ "$(under_replicated)" = 0 ]'
within 10 "each file to have 3 live copies" with_copies 3
say "after the ${grace} s grace, repair made the lost copies again on the 3 buckets left: every file has 3 live copies ($((SECONDS - healed_from)) s)"

start_container "$victim"
within 30 "$victim to come back" bucket_is "$victim" alive
within 60 "the extra copies to be trimmed" trimmed
say "docker start $victim: it came back with its old copies, and the extra ones were trimmed to 3 per file"

mapfile -t others < <(printf '%s\n' b1 b2 b3 b4 | grep -vx "$victim")
first=${others[0]} second=${others[1]}
kill_container "$first"
within $((dead + 10)) "$first to be declared dead" bucket_is "$first" dead
within $((grace + 60)) "the cluster to repair itself without $first" '[ "$(under_replicated)" = 0 ]'
within 10 "each file to have 3 live copies" with_copies 3
say "docker kill $first: dead, and repaired: each file has 3 copies on the 3 buckets left"
kill_container "$second"
within $((dead + 10)) "$second to be declared dead" bucket_is "$second" dead
all_readable || fail "a read failed with $first and $second down"
with_copies 2 || fail "files should have 2 live copies with $first and $second down"
say "docker kill $second too: 2 buckets left, every file read back from its 2 live copies (repair waits for a third bucket)"
start_container "$first"
start_container "$second"
within 30 "$first and $second to come back" '[ "$(alive_buckets)" = 4 ]'
within $((grace + 60)) "the cluster to be fully replicated" '[ "$(under_replicated)" = 0 ]'
within 60 "the extra copies to be trimmed" trimmed
say "docker start $first $second: both back, every file has 3 copies again, extra ones trimmed"

kill_container gateway
say "docker kill the gateway: the cluster's index was in its memory only"
start_container gateway
within 60 "the buckets to register with the new gateway" '[ "$(alive_buckets)" = 4 ]'
within 60 "the index to be rebuilt" ready
[ "$(zs ls --json | jq length)" = $files ] || fail "the new gateway does not list $files files"
all_readable || fail "a read failed after the gateway restart"
[ "$(under_replicated)" = 0 ] || fail "files are under-replicated after the gateway restart"
say "docker start the gateway: it rebuilt its index from the buckets' inventories; all $files files read back, none under-replicated"

demo_end
