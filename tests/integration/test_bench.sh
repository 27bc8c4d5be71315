#!/usr/bin/env bash
# The benchmark itself works: zstore-bench --quick starts its own cluster,
# puts and gets small and large files, checks every byte read back, measures
# the machine's limits, and writes JSON with every figure. Speed is not
# judged here: a slow machine passes, a broken benchmark does not.
source "$(dirname "$0")/lib.sh"

# Sanitizer reports of the cluster's programs are in their logs: a run keeps
# its folder, and keep_logs brings the logs where the cleanup looks for
# reports, then removes the folder
keep=()
[ -n "${ZS_SANITIZE:-}" ] && keep=(--keep)
keep_logs () {
    local folder log cluster
    [ ${#keep[@]} -gt 0 ] || return 0
    for folder in "$WORK"/zstore-bench.*; do
        [ -d "$folder" ] || continue
        # A cluster for the small runs, another for the large ones
        for log in "$folder"/*/*.log; do
            [ -f "$log" ] || continue
            cluster=$(basename "$(dirname "$log")")
            cp "$log" "$WORK/$1-$cluster-$(basename "$log")"
        done
        rm -rf "$folder"
    done
}

status=0
"$ZS_BIN/zstore-bench" --quick --dir "$WORK" --json "$WORK/bench.json" "${keep[@]}" \
    >"$WORK/bench.out" 2>"$WORK/bench.log" || status=$?
keep_logs full
[ $status -eq 0 ] || fail "zstore-bench --quick exited $status"
cat "$WORK/bench.out"
ok "zstore-bench --quick ran"

names=(large_put_r1 large_put_r3 large_get_r1 large_get_r3 small_get_p99_under_put
       large_get_r1_of_hash large_get_r3_of_hash
       rss_gateway_max rss_bucket_max index_bytes_per_file
       limit_zmq_1mib limit_zmq_4kib limit_disk_write limit_file_creates limit_blake2b)
for op in put get; do
    for r in 1 3; do
        for c in 1 16 64; do
            names+=("small_${op}_r${r}_c${c}")
        done
    done
done
for name in "${names[@]}"; do
    value=$(jq -r --arg name "$name" '.results[] | select(.name == $name) | .value' "$WORK/bench.json")
    [ -n "$value" ] || fail "no $name in the JSON"
    jq -e --arg name "$name" '.results[] | select(.name == $name) | .value > 0 and .min > 0 and .max >= .min' \
        "$WORK/bench.json" >/dev/null || fail "$name is $value"
done
ok "the JSON has all ${#names[@]} figures, each positive"

jq -e '.machine.cores > 0 and (.machine.date | length > 0)' "$WORK/bench.json" >/dev/null \
    || fail "the JSON does not describe the machine"
jq -e '[.results[] | select(.name | test("^(small|large)_(put|get)_r")) | select(.name | test("_p[0-9]+$") | not)
        | .ratio > 0] | all' "$WORK/bench.json" >/dev/null || fail "a figure has no ratio to its limit"
ok "the machine and the ratios to its limits are there"

! grep -q "not judged" "$WORK/bench.out" || fail "a target went unjudged with the limits measured"
# Without the limits, a target relative to one cannot be judged: it says so
# rather than MISSED, unless the figure missed its absolute part (Swift's)
status=0
"$ZS_BIN/zstore-bench" --quick --seconds 1 --only small --replicas 3 --clients 16 \
    --dir "$WORK" --json "$WORK/small.json" "${keep[@]}" >"$WORK/small.out" 2>"$WORK/small.log" \
    || status=$?
keep_logs small
[ $status -eq 0 ] || fail "zstore-bench --only small exited $status"
verdict="not judged (no limit)"
jq -e '.results[] | select(.name == "small_put_r3_c16") | .value > 142' "$WORK/small.json" \
    >/dev/null || verdict="MISSED"
grep -q "^small_put_r3_c16 .* $verdict: >= 90 % of limit" "$WORK/small.out" \
    || fail "small_put_r3_c16 without its limit, not '$verdict': $(grep '^small_put_r3_c16' "$WORK/small.out")"
ok "a target whose limit was not measured is not judged"

! pgrep -f "$WORK/zstore-bench" >/dev/null || fail "the benchmark left processes running"
leftover=$(find "$WORK" -maxdepth 1 -name 'zstore-bench.*' | wc -l)
[ "$leftover" -eq 0 ] || fail "the benchmark left its folder behind"
ok "the benchmark stopped its cluster and removed its folder"

# Against a running cluster (-g) the benchmark removes what it put, small
# files and large, unless told to keep them
start_cluster 3
status=0
"$ZS_BIN/zstore-bench" -g "$CLIENT_EP" -u "$ZS_USER" --quick --seconds 1 --only small,large \
    --large 32M --clients 16 --replicas 3 --dir "$WORK" >"$WORK/remote.out" 2>"$WORK/remote.log" \
    || status=$?
[ $status -eq 0 ] || fail "zstore-bench -g exited $status: $(tail -n 3 "$WORK/remote.log")"
grep -q "^large_put_r3 " "$WORK/remote.out" || fail "zstore-bench -g measured no large put"
left=$(zs ls --json | jq length)
[ "$left" = 0 ] || fail "zstore-bench -g left $left files on the cluster"
[ -z "$(find "$WORK" -maxdepth 1 -name 'zstore-bench.*')" ] || fail "zstore-bench -g left its folder"
"$ZS_BIN/zstore-bench" -g "$CLIENT_EP" -u "$ZS_USER" --quick --seconds 1 --only small \
    --clients 1 --replicas 1 --keep --dir "$WORK" >"$WORK/kept.out" 2>"$WORK/kept.log" \
    || fail "zstore-bench -g --keep failed"
[ "$(zs ls --json | jq length)" -gt 0 ] || fail "zstore-bench -g --keep kept no file"
rm -rf "$WORK"/zstore-bench.*
ok "against a running cluster, the benchmark removes the files it put, unless --keep"
