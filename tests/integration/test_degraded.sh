#!/usr/bin/env bash
# Degraded writes, opt in: with --min-write-replicas 2 a put asking for 3
# copies succeeds with 2 durable ones when only 2 buckets can take it, or
# when one of its buckets dies mid-transfer; it says how many copies it made,
# and repair adds the rest once a bucket allows. Fewer than 2 is an error.
source "$(dirname "$0")/lib.sh"

start_gateway --min-write-replicas 2 --repair-grace 0 --transfer-timeout 10000
start_bucket b1
wait_until 10 "b1 alive" test_alive 1
wait_until 10 "the index to be ready" ready
random_file "$WORK/small" 1500000
expect_error 1 "only 1 available" zs put "$WORK/small" small -r 3
expect_error 1 "no file" zs stat small
ok "fewer live buckets than --min-write-replicas: a clear error, nothing stored"

start_bucket b2
wait_until 10 "2 buckets alive" test_alive 2
zs put "$WORK/small" small -r 3 >"$WORK/put.out" || fail "the degraded put failed"
grep -q "2 of 3 copies" "$WORK/put.out" || fail "the reply does not say 2 of 3 copies: $(cat "$WORK/put.out")"
[ "$(zs stat small --json | jq -c '.replicas | [.actual, .desired]')" = "[2,3]" ] \
    || fail "stat does not show 2 of 3 copies"
[ "$(under_replicated)" = 1 ] || fail "the degraded file is not counted under-replicated"
zs get small -o "$WORK/out" && cmp -s "$WORK/small" "$WORK/out" || fail "get of the degraded file"
ok "with 2 live buckets, put -r 3 stores 2 copies and says so"

start_bucket b3
wait_until 20 "repair to add the third copy" '[ "$(under_replicated)" = 0 ]'
[ "$(copies_on_disk "$ZS_USER" small)" = 3 ] || fail "small: not 3 copies on disk after repair"
ok "repair adds the missing copy once a bucket allows"

# A sink dies mid-put: the put goes on with the two others. The input comes
# through a pipe, so that the put is surely under way when the bucket dies.
start_bucket b4
wait_until 10 "4 buckets alive" test_alive 4
random_file "$WORK/big" 30000000
mkfifo "$WORK/pipe"
zs put - big -r 3 <"$WORK/pipe" >"$WORK/put.out" 2>"$WORK/put.err" &
PIDS[writer]=$!
exec 7>"$WORK/pipe"
head -c 10000000 "$WORK/big" >&7
receiving () {
    find "$WORK/data" -path '*/tmp/*.part' -size +1M | sed "s|^$WORK/data/||; s|/.*||" | sort
}
wait_until 10 "three buckets to receive the put" '[ "$(receiving | wc -l)" = 3 ]'
victim=$(receiving | head -1)
kill_process "$victim"
tail -c +10000001 "$WORK/big" >&7
exec 7>&-
status=0
wait "${PIDS[writer]}" || status=$?
unset "PIDS[writer]"
[ $status = 0 ] || fail "the put whose bucket died exited $status: $(cat "$WORK/put.err")"
grep -q "2 of 3 copies" "$WORK/put.out" || fail "the reply does not say 2 of 3 copies: $(cat "$WORK/put.out")"
zs get big -o "$WORK/out" && cmp -s "$WORK/big" "$WORK/out" || fail "get of the put that lost a bucket"
ok "a put whose bucket ($victim) dies mid-transfer completes with 2 copies"

wait_until 30 "repair to bring big back to 3 copies" '[ "$(under_replicated)" = 0 ]'
[ "$(copies_on_disk "$ZS_USER" big)" = 3 ] || fail "big: not 3 copies on disk after repair"
start_bucket "$victim"
wait_until 10 "$victim back" bucket_is "$victim" alive
[ "$(find "$WORK/data/$victim/tmp" -type f | wc -l)" = 0 ] || fail "$victim kept its partial copy"
zs get big -o "$WORK/out" && cmp -s "$WORK/big" "$WORK/out" || fail "get of big after repair"
ok "repair brings it back to 3 copies; the dead bucket's partial copy is gone at its restart"
