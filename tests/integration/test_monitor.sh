#!/usr/bin/env bash
# zstore-monitor for scripts. --json prints the snapshot, then every event
# after it, in order and once; a killed bucket turns suspect, then dead,
# within the configured times, and alive when it is back; the monitor says
# when the gateway is unreachable and re-syncs with a restarted one; a
# stopped monitor does not hold the gateway up. --once prints one snapshot
# and exits 0, or 1 when no gateway answers; wrong usage exits 2.
source "$(dirname "$0")/lib.sh"

monitor () {
    "$ZS_BIN/zstore-monitor" -g "$CLIENT_EP" --events "$EVENT_EP" "$@"
}

now_ms () {
    date +%s%3N
}

# The monitor's JSON lines that match a jq condition, one per line; a line
# still being written is skipped
lines () {
    jq -c -R "fromjson? | select($1)" "$WORK/monitor.json"
}

# first_time CONDITION: the time of the first line that matches
first_time () {
    lines "$1" | head -n 1 | jq -r .time
}

seen () {
    [ -n "$(lines "$1" | head -n 1)" ]
}

expect_error 2 "unknown option" monitor --bogus
expect_error 2 "--interval must be" monitor --interval 10
expect_error 2 "unexpected argument" monitor status
expect_error 2 "give --events" "$ZS_BIN/zstore-monitor" -g ipc:///nowhere --once
expect_status 0 monitor --help
grep -q -- "--once" "$WORK/last.out" || fail "--help does not tell of --once"
ok "wrong usage exits 2 with one line; --help exits 0"

expect_error 1 "no answer from the gateway" monitor --once
expect_error 1 "no answer from the gateway" monitor --once --json
[ ! -s "$WORK/last.out" ] || fail "--once --json printed something without a gateway"
ok "--once exits 1 when no gateway answers"

start_cluster 3
expect_status 0 monitor --once
for id in b1 b2 b3; do
    grep -Eq "^$id +.* alive +" "$WORK/last.out" || fail "--once: no row for $id: $(cat "$WORK/last.out")"
done
grep -q "3 alive  0 suspect  0 dead  3 total" "$WORK/last.out" || fail "--once: no totals"
! grep -q $'\033' "$WORK/last.out" || fail "--once printed colours into a file"
expect_status 0 monitor --once --json
[ "$(wc -l <"$WORK/last.out")" -eq 1 ] || fail "--once --json printed more than one line"
jq -e '.type == "snapshot" and .reason == "once" and (.buckets | length) == 3
    and all(.buckets[]; .state == "alive") and .heartbeat_ms == '"$HEARTBEAT"'
    and .liveness == '"$LIVENESS"' and (.sequence | type) == "number"
    and (.repair | has("files_waiting") and has("in_flight"))' "$WORK/last.out" >/dev/null \
    || fail "--once --json: $(cat "$WORK/last.out")"
# Without --events: the gateway's host, its port + 2; or $ZSTORE_EVENTS
events=$("$ZS_BIN/zstore-monitor" -g "$CLIENT_EP" --once --json | jq -r .events)
[ "$events" = "tcp://127.0.0.1:$((PORTS[0] + 2))" ] || fail "default events endpoint: $events"
events=$(ZSTORE_GATEWAY=$CLIENT_EP ZSTORE_EVENTS=$EVENT_EP "$ZS_BIN/zstore-monitor" --once --json | jq -r .events)
[ "$events" = "$EVENT_EP" ] || fail "\$ZSTORE_EVENTS ignored: $events"
ok "--once prints the cluster as a table, or as one JSON line, and exits 0"

# Started as itself, not through the function, so that its PID is its own
"$ZS_BIN/zstore-monitor" -g "$CLIENT_EP" --events "$EVENT_EP" --json --interval 200 \
    >"$WORK/monitor.json" 2>>"$WORK/monitor.log" &
PIDS[monitor]=$!
wait_until 10 "the monitor's snapshot" 'seen ".type == \"snapshot\""'
head -n 1 "$WORK/monitor.json" | jq -e '.type == "snapshot" and .reason == "start"
    and (.buckets | length) == 3 and all(.buckets[]; .state == "alive")' >/dev/null \
    || fail "the first line is not the snapshot: $(head -n 1 "$WORK/monitor.json")"
wait_until 10 "heartbeats after the snapshot" 'seen ".kind == \"bucket.heartbeat\""'
random_file "$WORK/in" 5000
zs put "$WORK/in" watched >/dev/null
wait_until 10 "the put in the events" 'seen ".kind == \"file.stored\" and .attrs.name == \"watched\""'
ok "--json: the snapshot first, then the events"

killed_at=$(now_ms)
kill_process b2
wait_until 10 "b2 suspect" 'seen ".kind == \"bucket.suspect\" and .attrs.bucket == \"b2\""'
wait_until 10 "b2 dead" 'seen ".kind == \"bucket.dead\" and .attrs.bucket == \"b2\""'
suspect_at=$(first_time '.kind == "bucket.suspect" and .attrs.bucket == "b2"')
dead_at=$(first_time '.kind == "bucket.dead" and .attrs.bucket == "b2"')
# Its silence began at its last heartbeat, up to one interval before the kill
suspect_limit=$((HEARTBEAT * 3 / 2 + 1000))
dead_limit=$((HEARTBEAT * LIVENESS + 1000))
[ $((suspect_at - killed_at)) -le $suspect_limit ] \
    || fail "suspect $((suspect_at - killed_at)) ms after the kill (limit $suspect_limit)"
[ $((dead_at - killed_at)) -le $dead_limit ] \
    || fail "dead $((dead_at - killed_at)) ms after the kill (limit $dead_limit)"
[ "$suspect_at" -le "$dead_at" ] || fail "dead before suspect"
ok "killed b2: suspect after $((suspect_at - killed_at)) ms, dead after $((dead_at - killed_at)) ms"

start_bucket b2
wait_until 10 "b2 alive again" \
    'seen "(.kind == \"bucket.back\" or .kind == \"bucket.alive\") and .attrs.bucket == \"b2\" and .attrs.state == \"alive\" and .time >= $dead_at"'
ok "restarted b2 shows alive again"

# While the monitor is stopped the gateway carries on; then the monitor too
freeze monitor
for i in 1 2 3 4 5; do
    zs --timeout 5 put "$WORK/in" "frozen$i" >/dev/null || fail "a put while the monitor is stopped"
done
thaw monitor
wait_until 10 "the events of the time it was stopped" 'seen ".kind == \"file.stored\" and .attrs.name == \"frozen5\""'
ok "a stopped monitor does not hold the gateway up"

kill_process gateway
wait_until 10 "the gateway unreachable" 'seen ".type == \"unreachable\""'
start_gateway
wait_until 15 "a snapshot of the new gateway" 'seen ".type == \"snapshot\" and .reason == \"restart\""'
wait_until 10 "its events" 'lines ".type == \"snapshot\" or .type == \"event\"" | tail -n 1 | jq -e ".type == \"event\"" >/dev/null'
ok "the monitor says the gateway is unreachable, and re-syncs when it is back"

# Every event after a snapshot, once and in order: each follows the one
# before it, and the first follows the snapshot
lines '.type == "snapshot" or .type == "event"' | jq -s -e '
    reduce .[] as $line ({ok: true, last: null};
        if $line.type == "snapshot" then .last = $line.sequence
        else .ok = (.ok and .last != null and $line.sequence == .last + 1) | .last = $line.sequence
        end) | .ok' >/dev/null || fail "events skipped, repeated or out of order after their snapshot"
ok "each event once and in order after its snapshot"

kill_process monitor TERM
