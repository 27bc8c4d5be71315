#!/usr/bin/env bash
# Many clients at once on the gateway's one event loop: none blocks another,
# and a stalled client or a stalled bucket slows only its own transfers.
source "$(dirname "$0")/lib.sh"

start_gateway --transfer-timeout 3000
for i in 1 2 3 4; do start_bucket "b$i"; done
wait_until 10 "4 buckets alive" test_alive 4
wait_until 10 "the index to be ready" ready

client () {
    local id=$1
    for round in 1 2 3; do
        random_file "$WORK/c$id.$round" $((1000000 + id * 10000 + round))
        zs put "$WORK/c$id.$round" "c$id/$round" -r $((round)) >/dev/null || { echo "put $round" >"$WORK/c$id.err"; return; }
    done
    for round in 1 2 3; do
        zs get "c$id/$round" -o "$WORK/c$id.$round.out" || { echo "get $round" >"$WORK/c$id.err"; return; }
        cmp -s "$WORK/c$id.$round" "$WORK/c$id.$round.out" || { echo "differs $round" >"$WORK/c$id.err"; return; }
    done
}
for id in $(seq 1 16); do client "$id" & PIDS[client$id]=$!; done
for id in $(seq 1 16); do wait "${PIDS[client$id]}"; unset "PIDS[client$id]"; done
for id in $(seq 1 16); do [ ! -e "$WORK/c$id.err" ] || fail "client $id: $(cat "$WORK/c$id.err")"; done
ok "16 clients putting and getting at once all succeed"

# A client that stops reading in the middle of a get: its output is a pipe
# that nobody reads, so it stops taking chunks once the pipe is full
random_file "$WORK/big" 200000000
zs put "$WORK/big" big >/dev/null
mkfifo "$WORK/pipe"
zs --timeout 30 get big >"$WORK/pipe" 2>"$WORK/stalled.err" &
PIDS[stalled]=$!
exec 3<"$WORK/pipe"
for i in $(seq 1 20); do
    zs --timeout 5 get c1/1 -o "$WORK/meanwhile" || fail "get $i while a client stalls"
done
zs --timeout 5 put "$WORK/c1.1" meanwhile >/dev/null || fail "put while a client stalls"
ok "a stalled client does not hold up the others"
wait_until 10 "the gateway to give up on the stalled get" 'grep -q "the client stopped reading" "$WORK/gateway.log"'
cat <&3 >/dev/null &
PIDS[drain]=$!
status=0
wait "${PIDS[stalled]}" || status=$?
unset "PIDS[stalled]"
exec 3<&-
[ $status = 1 ] || fail "the stalled get exited $status"
grep -q "no progress" "$WORK/stalled.err" || fail "the stalled get's error: $(cat "$WORK/stalled.err")"
ok "the gateway drops a stalled transfer and the client gets a clear error"

# A bucket that hangs: a put to it fails once it is dead, others go on
zs put "$WORK/big" spread -r 4 >"$WORK/spread.out" 2>"$WORK/spread.err" &
PIDS[spread]=$!
wait_until 10 "the put to be under way" '[ "$(find "$WORK/data" -path "*/tmp/*.part" -size +1M | wc -l)" -ge 4 ]'
freeze b4
status=0
wait "${PIDS[spread]}" || status=$?
unset "PIDS[spread]"
[ $status = 1 ] || fail "a put to a hung bucket exited $status"
grep -q "b4" "$WORK/spread.err" || fail "the error does not name b4: $(cat "$WORK/spread.err")"
zs put "$WORK/c1.1" during -r 3 >/dev/null || fail "put with one bucket hung"
zs get c2/2 -o "$WORK/out" && cmp -s "$WORK/out" "$WORK/c2.2" || fail "get with one bucket hung"
thaw b4
wait_until 10 "b4 back" bucket_is b4 alive
ok "a hung bucket fails only the transfers it is part of, once it is dead"
