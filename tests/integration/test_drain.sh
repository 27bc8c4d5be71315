#!/usr/bin/env bash
# Drain copies everything on a bucket elsewhere with no file ever below its
# replica count; undrain cancels; a drained and stopped bucket can be
# forgotten. A new bucket receives copies when the cluster is rebalanced,
# and no file loses a live copy while they move.
source "$(dirname "$0")/lib.sh"

start_gateway --repair-grace 0 --repair-rate 0
for i in 1 2 3 4; do start_bucket "b$i" "z$(( (i - 1) % 2 + 1 ))" --capacity 100M; done
wait_until 10 "4 buckets alive" test_alive 4
wait_until 10 "the index to be ready" ready
for i in $(seq 1 12); do
    random_file "$WORK/f$i" 1500000
    zs put "$WORK/f$i" "f$i" -r 2 >/dev/null || fail "put f$i"
done

#  Every file keeps at least its replica count of live copies, all along
watch_copies () {
    : >"$WORK/low"
    while [ ! -e "$WORK/stop-watch" ]; do
        zs --timeout 2 ls --json 2>/dev/null | jq -r '.[] | select(.replicas.actual < .replicas.desired) | .name' >>"$WORK/low"
    done
}
watch_copies &
PIDS[watch]=$!

zs drain b1 | grep -q "draining" || fail "drain b1"
[ "$(bucket_state b1)" = draining ] || [ "$(bucket_state b1)" = drained ] || fail "b1 is $(bucket_state b1)"
wait_until 20 "b1 to be drained" bucket_is b1 drained
for i in $(seq 1 12); do
    [ "$(copies_among "$ZS_USER" "f$i" b2 b3 b4)" -ge 2 ] || fail "f$i has not 2 copies away from b1"
done
ok "drain copies everything elsewhere; status shows draining, then drained"

expect_error 1 "only dead or drained" zs forget b2
kill_process b1
wait_until 10 "b1 dead" bucket_is b1 dead
zs forget b1 | grep -q forgotten || fail "forget b1"
[ -z "$(bucket_state b1)" ] || fail "status still lists b1"
[ "$(under_replicated)" = 0 ] || fail "files under-replicated without b1"
for i in $(seq 1 12); do
    zs get "f$i" -o "$WORK/out" && cmp -s "$WORK/f$i" "$WORK/out" || fail "f$i after b1 left"
done
ok "a drained bucket stopped and forgotten takes no file with it"

zs drain b2 >/dev/null
wait_until 20 "b2 to be drained" bucket_is b2 drained
zs undrain b2 | grep -q "new copies again" || fail "undrain b2"
wait_until 5 "b2 alive" bucket_is b2 alive
trimmed () {
    for i in $(seq 1 12); do
        [ "$(copies_among "$ZS_USER" "f$i" b2 b3 b4)" = 2 ] || return 1
    done
}
wait_until 20 "the copies the drain added to be trimmed" trimmed
ok "undrain cancels; the extra copies are trimmed"

#  A new, empty bucket gets copies when the cluster is rebalanced
start_bucket b5 z1 --capacity 100M
wait_until 10 "b5 alive" bucket_is b5 alive
zs rebalance | grep -q "copies to move" || fail "rebalance"
b5_files () {
    zs status --json | jq '.buckets[] | select(.id == "b5") | .files'
}
wait_until 20 "b5 to receive copies" '[ "$(b5_files)" -gt 0 ]'
wait_until 20 "the moves to finish" \
    '[ "$(zs status --json | jq ".repair.files_waiting + .repair.in_flight")" = 0 ]'
balanced () {
    for i in $(seq 1 12); do
        [ "$(copies_among "$ZS_USER" "f$i" b2 b3 b4 b5)" = 2 ] || return 1
    done
}
wait_until 20 "every file to have exactly 2 copies again" balanced
ok "rebalance moves copies onto a new bucket ($(b5_files) there now)"

touch "$WORK/stop-watch"
wait "${PIDS[watch]}"
unset "PIDS[watch]"
[ ! -s "$WORK/low" ] || fail "files fell below their replica count: $(sort -u "$WORK/low" | tr '\n' ' ')"
ok "no file was ever below its replica count"
