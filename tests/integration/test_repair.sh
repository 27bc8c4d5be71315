#!/usr/bin/env bash
# Self-healing: when buckets die, every file short of copies gets them back
# by itself, files with one live copy first, at a bounded rate; a bucket that
# returns has its extra copies trimmed; one that returns empty is just empty;
# within the grace period nothing is copied; scrubbing finds a damaged copy
# and repair replaces it.
source "$(dirname "$0")/lib.sh"

# The queue holds 2 files at once: the others short of copies are counted,
# and found again by the looks that follow
start_gateway --repair-grace 0 --repair-streams 1 --repair-rate 8M --repair-queue 2
scrub=(--scrub-rate 64M --scrub-pause 300)
for i in 1 2 3 4 5; do start_bucket "b$i" "" "${scrub[@]}"; done
wait_until 10 "5 buckets alive" test_alive 5
wait_until 10 "the index to be ready" ready
"$ZS_TOOLS/zs-events" "$EVENT_EP" --timeout 120 >"$WORK/events" &
PIDS[events]=$!
wait_until 10 "the subscriber to receive heartbeats" 'grep -q bucket.heartbeat "$WORK/events"'

for i in $(seq 1 10); do
    random_file "$WORK/f$i" 2000000
    zs put "$WORK/f$i" "f$i" -r 3 >/dev/null || fail "put f$i"
done
#  Which files lose two copies when b1 and b2 die, and how many copies go
urgent=()
lost=0
affected=0
for i in $(seq 1 10); do
    on_dying=$(copies_among "$ZS_USER" "f$i" b1 b2)
    lost=$((lost + on_dying))
    [ "$on_dying" = 0 ] || affected=$((affected + 1))
    [ "$on_dying" = 2 ] && urgent+=("f$i")
done
[ "$affected" -ge 4 ] || fail "only $affected files have a copy on b1 or b2"
# Both stop at once (a frozen process is silent, as a dead one), so that the
# gateway finds them dead together; then they die for real
kill -s STOP "${PIDS[b1]}" "${PIDS[b2]}"
wait_until 10 "b1 and b2 dead" 'bucket_is b1 dead && bucket_is b2 dead'
kill_process b1
kill_process b2
wait_until 10 "files to show under-replicated" '[ "$(under_replicated)" -gt 0 ]'
repairing () {
    zs status --json | jq -e '.repair.files_waiting + .repair.in_flight > 0 and .repair.bytes_left > 0
        and (.repair | has("seconds_left"))'
}
wait_until 10 "status to show the repair queue" repairing
wait_until 10 "a repair event counting more files waiting than the queue holds" \
    "jq -s -e 'any(.[]; .kind == \"repair.started\" and (.files_waiting | tonumber) > 2)' '$WORK/events'"
wait_until 10 "the gateway to say that it queued 2 files and left the others" \
    "grep -q 'repair: 2 files short of copies queued, [0-9]* more left for the next look' '$WORK/gateway.log'"
jq -s -e 'any(.[]; .kind == "repair.started" and (.bytes_left | tonumber) > 0 and has("files_waiting"))' \
    "$WORK/events" >/dev/null || fail "the repair events do not show the queue"
zs status | grep -q "^repair: " || fail "status text does not show the repair"
started=$SECONDS
wait_until 60 "under_replicated to fall back to 0" '[ "$(under_replicated)" = 0 ]'
took=$((SECONDS - started))
for i in $(seq 1 10); do
    [ "$(copies_among "$ZS_USER" "f$i" b3 b4 b5)" = 3 ] || fail "f$i: not 3 copies on the live buckets"
    zs get "f$i" -o "$WORK/out" && cmp -s "$WORK/f$i" "$WORK/out" || fail "f$i after repair"
done
ok "after two buckets died, every file is back to 3 copies (in ${took}s)"

#  Once both were dead, urgent files (one live copy) were all started before
#  any other. (Before the second was found dead, the first one's files were
#  all equally urgent: heartbeats of two buckets are up to an interval apart.)
if [ ${#urgent[@]} -gt 0 ]; then
    both_dead=$(jq -s '[.[] | select(.kind == "bucket.dead") | .time] | max' "$WORK/events")
    #  A file that got a copy before that has two live copies now, or is
    #  still getting it, and was queued by what the scan saw: it is left out
    early=$(jq -r --argjson since "$both_dead" \
        'select(.kind == "repair.started" and .time < $since) | .name' "$WORK/events")
    still_urgent=()
    for name in "${urgent[@]}"; do
        grep -qxF "$name" <<<"$early" || still_urgent+=("$name")
    done
    order=$(jq -r --argjson since "$both_dead" \
        'select(.kind == "repair.started" and .time >= $since) | .name' "$WORK/events")
    last_urgent=0
    first_other=999
    position=0
    while read -r name; do
        grep -qxF "$name" <<<"$early" && continue
        position=$((position + 1))
        if [[ " ${still_urgent[*]} " == *" $name "* ]]; then
            last_urgent=$position
        elif [ $first_other = 999 ]; then
            first_other=$position
        fi
    done <<<"$order"
    [ $last_urgent -lt $first_other ] || fail "a file with two live copies was repaired before one with one: $(echo $order) (one copy left: ${still_urgent[*]})"
    ok "files with one live copy were repaired first (${#still_urgent[*]} of them)"
fi

#  The rate: 8 MiB/s, so the copies (2 MB each) take their time
copies=$(jq -s '[.[] | select(.kind == "repair.started") | .detail | split(",") | length] | add' "$WORK/events")
span=$(jq -s '[.[] | select(.kind == "repair.started" or .kind == "repair.finished") | .time]
    | max - min' "$WORK/events")
bytes=$((copies * 2000000))
[ "$copies" -ge "$lost" ] || fail "only $copies copies made for $lost lost"
#  Allow one short burst ahead of the rate
[ $((bytes - 4000000)) -le $((span * 8388608 / 1000)) ] \
    || fail "$bytes bytes copied in $span ms: faster than 8 MiB/s"
ok "repair stayed within its rate ($copies copies, $bytes bytes in $span ms)"

#  A bucket that returns with its copies: they are extra now, and trimmed
start_bucket b1 "" "${scrub[@]}"
wait_until 10 "b1 back" bucket_is b1 alive
trimmed () {
    for i in $(seq 1 10); do
        [ "$(copies_among "$ZS_USER" "f$i" b1 b3 b4 b5)" = 3 ] || return 1
    done
}
wait_until 20 "the extra copies to be trimmed" trimmed
ok "a bucket that returns has its extra copies trimmed"

#  A bucket that returns empty (a replaced disk) is just an empty bucket
rm -rf "$WORK/data/b2"
start_bucket b2 "" "${scrub[@]}"
wait_until 10 "b2 back" bucket_is b2 alive
[ "$(zs status --json | jq '.buckets[] | select(.id == "b2") | .files')" = 0 ] || fail "b2 is not empty"
[ "$(under_replicated)" = 0 ] || fail "an empty bucket made files under-replicated"
ok "a bucket back with an empty disk is an empty bucket"

#  Scrubbing: a damaged copy is found, moved aside and replaced
key=$("$ZS_TOOLS/zs-key" "$ZS_USER" f1)
read -r victim _ <<<"$(holders "$ZS_USER" f1)"
"$ZS_TOOLS/zs-corrupt" "$(echo "$WORK/data/$victim/objects/${key:0:2}/${key:2:2}/$key".*)" 1234567
wait_until 20 "the scrubber to find the damage" \
    "jq -s -e 'any(.[]; .kind == \"copy.lost\" and .name == \"f1\" and .bucket == \"$victim\")' '$WORK/events'"
[ -n "$(find "$WORK/data/$victim/quarantine" -type f)" ] || fail "the damaged copy was not moved aside"
wait_until 20 "f1 to be repaired" '[ "$(under_replicated)" = 0 ]'
zs get f1 -o "$WORK/out" && cmp -s "$WORK/f1" "$WORK/out" || fail "f1 after its repair"
[ "$(zs stat f1 --json | jq .replicas.actual)" = 3 ] || fail "f1 not back to 3 copies"
ok "scrubbing finds a damaged copy; repair replaces it"

#  Within the grace period nothing is copied: the bucket may be back soon
kill_process gateway
start_gateway --repair-grace 4
wait_until 10 "5 buckets back" test_alive 5
wait_until 10 "the index to be ready" ready
: >"$WORK/events"
"$ZS_TOOLS/zs-events" "$EVENT_EP" --timeout 60 >"$WORK/events2" &
PIDS[events2]=$!
wait_until 10 "the subscriber to receive heartbeats" 'grep -q bucket.heartbeat "$WORK/events2"'
kill_process b3
wait_until 10 "b3 dead" bucket_is b3 dead
start_bucket b3 "" "${scrub[@]}"
wait_until 10 "b3 back" bucket_is b3 alive
! grep -q repair.started "$WORK/events2" || fail "a repair started within the grace period"
[ "$(under_replicated)" = 0 ] || fail "files under-replicated after b3 came back"
ok "a bucket back within the grace period causes no copying"
