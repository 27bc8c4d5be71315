#!/usr/bin/env bash
# Malformed messages, random frames, raw bytes and out-of-place commands sent
# straight to the gateway's three endpoints and to a bucket: errors answered
# where an answer is possible, nothing crashes or wedges, and a normal client
# reading all the while keeps getting correct answers.
source "$(dirname "$0")/lib.sh"

start_cluster 2
random_file "$WORK/in" 200000
zs put "$WORK/in" before >/dev/null

# A normal client, reading all along
reader () {
    while [ ! -e "$WORK/stop" ]; do
        zs get before -o "$WORK/read" 2>>"$WORK/reader.err" && cmp -s "$WORK/in" "$WORK/read" \
            || echo "a read failed or came back wrong" >>"$WORK/reader.failed"
        echo . >>"$WORK/reads"
    done
}
reader &
PIDS[reader]=$!

# Bytes from something that is not ZeroMQ at all, at every endpoint
for endpoint in "$CLIENT_EP" "$BUCKET_EP" "$EVENT_EP"; do
    head -c 300000 /dev/urandom >"/dev/tcp/127.0.0.1/${endpoint##*:}" 2>/dev/null || true
done
"$ZS_TOOLS/zs-hostile" events "$EVENT_EP" || fail "the event endpoint did not stand junk"
"$ZS_TOOLS/zs-hostile" client "$CLIENT_EP" || fail "the client endpoint did not answer as it should"
"$ZS_TOOLS/zs-hostile" bucket "$BUCKET_EP" || fail "the bucket endpoint did not answer as it should"
# Three rounds at least, and more until the reader has read twice meanwhile:
# a fast machine is done with three before the first read
reads () {
    if [ -f "$WORK/reads" ]; then wc -l <"$WORK/reads"; else echo 0; fi
}
round=0
deadline=$((SECONDS + 30))
while [ $round -lt 3 ] || [ "$(reads)" -lt 2 ]; do
    [ $SECONDS -lt $deadline ] || fail "the reader did not get to read during the abuse"
    round=$((round + 1))
    "$ZS_TOOLS/zs-hostile" client "$CLIENT_EP" || fail "round $round of random frames"
done
kill -0 "${PIDS[gateway]}" || fail "the gateway died"
touch "$WORK/stop"
wait "${PIDS[reader]}"
unset "PIDS[reader]"
[ ! -e "$WORK/reader.failed" ] || fail "the reader saw failures: $(tail -n 3 "$WORK/reader.err")"
zs get before -o "$WORK/out" && cmp -s "$WORK/in" "$WORK/out" || fail "get after the abuse"
zs put "$WORK/in" after >/dev/null || fail "put after the abuse"
[ "$(alive_count)" = 2 ] || fail "buckets lost in the abuse"
ok "the gateway answers malformed input with errors and keeps serving"

mapfile -t fake < <("$ZS_TOOLS/zs-freeport" 1)
"$ZS_TOOLS/zs-hostile" gateway "tcp://127.0.0.1:${fake[0]}" &
PIDS[fake]=$!
"$ZS_BIN/zstore-bucket" --id lonely --gateway "tcp://127.0.0.1:${fake[0]}" --data "$WORK/data/lonely" \
    >>"$WORK/lonely.log" 2>&1 &
PIDS[lonely]=$!
wait "${PIDS[fake]}" || fail "the bucket did not stand up to a hostile gateway"
unset "PIDS[fake]"
kill -0 "${PIDS[lonely]}" || fail "the bucket died"
[ -z "$(find "$WORK" -name passwd)" ] || fail "a name escaped into a path"
ok "a bucket fed malformed work keeps answering heartbeats"
