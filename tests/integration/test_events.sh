#!/usr/bin/env bash
# The gateway publishes cluster events, numbered without gaps: buckets
# registered, heartbeats with stats, suspect, dead and back; files stored,
# replica counts changed, files removed.
source "$(dirname "$0")/lib.sh"

start_cluster 3
"$ZS_TOOLS/zs-events" "$EVENT_EP" --timeout 60 >"$WORK/events" &
PIDS[events]=$!
wait_until 10 "the subscriber to receive heartbeats" 'grep -q bucket.heartbeat "$WORK/events"'
start_bucket b4
wait_until 10 "4 buckets alive" test_alive 4

random_file "$WORK/in" 10000
zs put "$WORK/in" f -r 2 >/dev/null
zs replicas f 3 >/dev/null
zs rm f >/dev/null
freeze b2
wait_until 10 "b2 to be dead" bucket_is b2 dead
thaw b2
wait_until 10 "b2 back" bucket_is b2 alive

seen () {
    jq -s -e --arg kind "$1" --arg key "$2" --arg value "$3" \
        'any(.[]; .kind == $kind and .[$key] == $value)' "$WORK/events" >/dev/null
}
wait_until 5 "the last events to arrive" seen bucket.back bucket b2
for expected in "bucket.registered bucket b4" "bucket.heartbeat bucket b3" "file.stored name f" \
    "file.replicas name f" "file.removed name f" "bucket.suspect bucket b2" \
    "bucket.dead bucket b2" "bucket.back bucket b2"; do
    read -r kind key value <<<"$expected"
    seen "$kind" "$key" "$value" || fail "no $kind event with $key=$value"
done
jq -s -e 'map(select(.kind == "bucket.heartbeat")) | length > 0 and
    all(.[]; .files and .bytes_used and .bytes_free and .rtt_us)' \
    "$WORK/events" >/dev/null || fail "heartbeat events lack the bucket's stats"
jq -s -e 'any(.[]; .kind == "file.stored" and .name == "f" and .user == "alice"
    and .size == "10000" and .desired == "2")' \
    "$WORK/events" >/dev/null || fail "file.stored lacks its details"
jq -s -e '[.[].sequence] | . as $s | all(range(1; length); $s[.] == $s[. - 1] + 1)' "$WORK/events" \
    >/dev/null || fail "event sequence numbers have gaps"
ok "every kind of event arrives, in sequence, with its details"
