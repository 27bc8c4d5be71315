#!/usr/bin/env bash
# Heartbeats: a silent bucket turns suspect, then dead after --liveness
# heartbeats, and is chosen no more; when it speaks again it registers anew.
source "$(dirname "$0")/lib.sh"

start_cluster 3
now_ms () {
    date +%s%3N
}

zs status --json | jq -e '.buckets | all(.[]; .last_heartbeat_ms < 1000 and .rtt_us > 0)' >/dev/null \
    || fail "heartbeat ages and round trips: $(zs status --json)"
ok "status shows fresh heartbeats and their round trips"

frozen_at=$(now_ms)
freeze b2
wait_until 5 "b2 to be suspect" 'bucket_is b2 suspect || bucket_is b2 dead'
wait_until 5 "b2 to be dead" bucket_is b2 dead
dead_after=$(($(now_ms) - frozen_at))
limit=$((HEARTBEAT * LIVENESS))
# Silence began at b2's last heartbeat, up to one interval before the freeze
silence=$(sed -n 's/.*b2: dead (silent for \([0-9]*\) ms).*/\1/p' "$WORK/gateway.log")
[ -n "$silence" ] && [ "$silence" -ge "$limit" ] || fail "dead after $silence ms of silence, before $limit"
[ "$dead_after" -le $((limit + 1000)) ] || fail "dead only after $dead_after ms"
grep -q "b2: suspect" "$WORK/gateway.log" || fail "no suspect stage logged"
ok "silent b2: suspect, then dead after $dead_after ms (liveness $LIVENESS x ${HEARTBEAT} ms)"

random_file "$WORK/in" 100000
for i in 1 2 3 4 5; do
    zs put "$WORK/in" "f$i" -r 2 >/dev/null || fail "put with b2 dead"
    [[ " $(holders "$ZS_USER" "f$i") " != *" b2 "* ]] || fail "a dead bucket was chosen"
done
expect_error 1 "3 replicas need 3 live buckets" zs put "$WORK/in" three -r 3
ok "a dead bucket is not chosen"

thaw b2
wait_until 5 "b2 to be alive again" bucket_is b2 alive
zs put "$WORK/in" three -r 3 >/dev/null || fail "put -r 3 once b2 is back"
ok "b2 registers again when it wakes up"
