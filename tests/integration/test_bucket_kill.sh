#!/usr/bin/env bash
# SIGKILL of buckets in the middle of work: reads carry on from another
# copy, status shows the bucket dead in time, and a put whose bucket dies
# fails cleanly and leaves no copy anywhere.
source "$(dirname "$0")/lib.sh"

start_gateway --transfer-timeout 5000
for i in 1 2 3; do start_bucket "b$i" "" -v; done
wait_until 10 "3 buckets alive" test_alive 3
wait_until 10 "the index to be ready" ready

random_file "$WORK/in" 3000000
zs put "$WORK/in" small -r 2 >/dev/null
read -r victim other <<<"$(holders "$ZS_USER" small)"
killed_at=$SECONDS
kill_process "$victim"
zs get small -o "$WORK/out" && cmp -s "$WORK/in" "$WORK/out" || fail "get after killing $victim"
[ "$(zs stat small --json | jq -c .buckets)" = "[\"$other\"]" ] || fail "stat still lists $victim"
wait_until 5 "$victim to be dead" bucket_is "$victim" dead
dead_after=$((SECONDS - killed_at))
[ "$dead_after" -le 3 ] || fail "$victim declared dead after ${dead_after}s"
ok "a 2-replica file stays readable after SIGKILL of a holder; dead after ${dead_after}s"

# Kill the bucket that is serving a large get, mid-transfer
start_bucket "$victim" "" -v
wait_until 10 "3 buckets alive" test_alive 3
random_file "$WORK/big" 400000000
zs put "$WORK/big" big -r 2 >/dev/null
for log in "$WORK"/b?.log; do : >"$log"; done
zs get big -o "$WORK/big.out" &
PIDS[reader]=$!
source_bucket () {
    grep -l "disk: FETCH " "$WORK"/b?.log | head -1 | xargs -r basename | sed 's/\.log$//'
}
wait_until 10 "a bucket to serve the get" 'test -n "$(source_bucket)"'
serving=$(source_bucket)
kill_process "$serving"
wait "${PIDS[reader]}" || fail "the get failed when $serving died under it"
unset "PIDS[reader]"
cmp -s "$WORK/big" "$WORK/big.out" || fail "the get that lost its source returned wrong bytes"
ok "a get carries on from another copy when its source dies mid-transfer"

# Kill a bucket chosen for a put, mid-transfer
start_bucket "$serving" "" -v
wait_until 10 "3 buckets alive" test_alive 3
zs put "$WORK/big" doomed -r 3 >"$WORK/put.out" 2>"$WORK/put.err" &
PIDS[writer]=$!
stored_some () {
    [ "$(find "$WORK/data" -path '*/tmp/*.part' -size +10M | wc -l)" -ge 1 ]
}
wait_until 10 "the put to be under way" stored_some
kill_process b3
status=0
wait "${PIDS[writer]}" || status=$?
unset "PIDS[writer]"
[ $status -eq 1 ] || fail "the put whose bucket died exited $status: $(cat "$WORK/put.err")"
grep -q "b3" "$WORK/put.err" || fail "the error does not name the bucket: $(cat "$WORK/put.err")"
expect_error 1 "no file" zs stat doomed
[ "$(copies_on_disk "$ZS_USER" doomed)" = 0 ] || fail "the failed put left a visible copy"
wait_until 10 "temporary files of the failed put to go" \
    'test "$(find "$WORK/data/b1/tmp" "$WORK/data/b2/tmp" -type f | wc -l)" = 0'
start_bucket b3 "" -v
wait_until 10 "b3 back" bucket_is b3 alive
[ "$(find "$WORK/data/b3/tmp" -type f | wc -l)" = 0 ] || fail "b3 kept its partial copy after restart"
expect_error 1 "no file" zs stat doomed
ok "a put whose bucket dies fails with a clear error and leaves no copy"
