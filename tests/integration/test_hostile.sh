#!/usr/bin/env bash
# Malformed messages, random frames and out-of-place commands sent straight
# to the gateway's endpoints and to a bucket: errors answered where an answer
# is possible, nothing crashes or wedges, normal clients keep being served.
source "$(dirname "$0")/lib.sh"

start_cluster 2
random_file "$WORK/in" 200000
zs put "$WORK/in" before >/dev/null

"$ZS_TOOLS/zs-hostile" client "$CLIENT_EP" || fail "the client endpoint did not answer as it should"
"$ZS_TOOLS/zs-hostile" bucket "$BUCKET_EP" || fail "the bucket endpoint did not answer as it should"
for round in 1 2 3; do
    "$ZS_TOOLS/zs-hostile" client "$CLIENT_EP" || fail "round $round of random frames"
done
kill -0 "${PIDS[gateway]}" || fail "the gateway died"
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
