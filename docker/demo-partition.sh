#!/usr/bin/env bash
# A network partition, step by step, on the compose cluster
# (docker/docker-compose.yml, up): files stored with 3 copies; a bucket is
# cut off the network (docker network disconnect) while it keeps running;
# the gateway declares it dead and repairs; meanwhile a file is removed and
# another overwritten; the bucket is reconnected, registers again, and its
# stale and extra copies are dropped. Every step is checked: the script
# exits non-zero when one does not happen in time. It reconnects what it
# cut off, also on failure, and removes its files.
#
#   usage: docker/demo-partition.sh
#
# Settings and quicker timings: as for docker/demo-failover.sh. The demo
# works as user demo-partition, whose key pair it makes in the cluster's
# keys volume.
set -euo pipefail
ZS_NAME=partition ZS_USER=demo-partition
# shellcheck source=docker/lib.sh
source "$(dirname "$0")/lib.sh"
no_arguments "$@"

cut_off='' network=''
# Leave the cluster whole, whatever happened
reconnect () {
    [ -z "$cut_off" ] || docker network connect --alias "$cut_off" "$network" "${cid[$cut_off]}" >/dev/null 2>&1
}

demo_start gateway b1 b2 b3 b4
at_exit reconnect
files=6
demo_store $files 200000
network=$(docker inspect -f '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' "${cid[$victim]}" | awk '{ print $1 }')
docker network disconnect "$network" "${cid[$victim]}"
cut_off=$victim
say "docker network disconnect $network $victim: the bucket runs on, cut off from the gateway"

all_readable || fail "a read failed with $victim cut off"
say "read all $files files back, byte for byte, from the other copies"

within $((dead + 10)) "$victim to be declared dead" bucket_is "$victim" dead
running "${cid[$victim]}" || fail "the container of $victim stopped"
say "the gateway declared $victim dead, though its container still runs"

within $((grace + 60)) "the cluster to repair itself" '[ "$(under_replicated)" = 0 ]'
within 10 "each file to have 3 live copies" with_copies 3
say "after the ${grace} s grace, repair made its copies again on the 3 buckets that can be reached"

demo_rm file$files
demo_put file1 500000
say "while $victim is cut off: removed file$files, and overwrote file1 with new content"

docker network connect --alias "$victim" "$network" "${cid[$victim]}"
cut_off=
within $((dead + 30)) "$victim to register again" bucket_is "$victim" alive
within 60 "its stale and extra copies to be dropped" trimmed
all_readable || fail "a read failed after $victim came back"
! zs stat file$files >/dev/null 2>&1 || fail "file$files, removed, is back"
say "docker network connect: $victim registered again; the removed file's copy and the old file1 were deleted from it, extra copies trimmed"

demo_end
