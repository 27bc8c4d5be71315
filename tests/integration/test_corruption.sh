#!/usr/bin/env bash
# A copy that is corrupt or missing is never served: the bucket checks each
# chunk before sending it, moves a corrupt copy aside, and the gateway carries
# on from another copy; the client checks the whole content's checksum.
source "$(dirname "$0")/lib.sh"

LIVENESS=25 start_cluster 3 --repair-grace 0
random_file "$WORK/in" 3500000

copy_of () {
    local key
    key=$("$ZS_TOOLS/zs-key" "$ZS_USER" "$2")
    echo "$WORK"/data/"$1"/objects/"${key:0:2}"/"${key:2:2}"/"$key".*
}

quarantined () {
    [ -n "$(find "$WORK/data/$1/quarantine" -type f)" ]
}

# Only copy corrupt: the get fails with a clear error and writes nothing
zs put "$WORK/in" lonely -r 1 >/dev/null
holder=$(holders "$ZS_USER" lonely)
"$ZS_TOOLS/zs-corrupt" "$(copy_of "$holder" lonely)" 1500000
expect_error 1 "corrupt" zs get lonely -o "$WORK/out"
[ ! -e "$WORK/out" ] || fail "a corrupt get wrote its output"
quarantined "$holder" || fail "the corrupt copy was not moved aside"
[ "$(zs stat lonely --json | jq .replicas.actual)" = 0 ] || fail "the corrupt copy still counts"
ok "the only copy corrupt: the get fails, the copy is quarantined"

# The copy read first is corrupt: the get carries on from the other one. The
# other holder is frozen (suspect) so that the corrupt one is read first.
reads_from_corrupt_copy () {
    local name=$1 damage=$2
    zs put "$WORK/in" "$name" -r 2 >/dev/null
    read -r bad good <<<"$(holders "$ZS_USER" "$name")"
    eval "$damage"
    freeze "$good"
    wait_until 5 "$good to be suspect" bucket_is "$good" suspect
    zs get "$name" -o "$WORK/$name.out" &
    PIDS[reader]=$!
    wait_until 10 "$bad to give up its copy" "grep -q 'copy of $ZS_USER/$name lost' '$WORK/gateway.log'"
    thaw "$good"
    wait "${PIDS[reader]}" || fail "$name: the get failed"
    unset "PIDS[reader]"
    cmp -s "$WORK/in" "$WORK/$name.out" || fail "$name: the get returned wrong bytes"
    wait_until 5 "$good alive" bucket_is "$good" alive
}
reads_from_corrupt_copy flipped '"$ZS_TOOLS/zs-corrupt" "$(copy_of "$bad" flipped)" 2500000'
quarantined "$bad" || fail "the corrupt copy was not moved aside"
ok "a corrupt chunk is caught at the bucket; the get carries on from another copy"
wait_until 20 "the lost copy to be replaced" '[ "$(zs stat flipped --json | jq .replicas.actual)" = 2 ]'
[ "$(copies_on_disk "$ZS_USER" flipped)" = 2 ] || fail "flipped: not 2 copies on disk after its repair"
ok "the corrupt copy the get met is replaced by repair"
reads_from_corrupt_copy missing 'rm "$(copy_of "$bad" missing)"'
ok "a missing copy is skipped for another one"

# Content damaged together with its chunk CRC: only the end-to-end checksum
# can tell, and it does
zs put "$WORK/in" sly -r 1 >/dev/null
"$ZS_TOOLS/zs-corrupt" "$(copy_of "$(holders "$ZS_USER" sly)" sly)" 42 --fix-crc
expect_error 1 "does not match its checksum" zs get sly -o "$WORK/out"
[ ! -e "$WORK/out" ] || fail "a get that failed its checksum wrote its output"
ok "the client's BLAKE2b check catches what the CRCs cannot"
