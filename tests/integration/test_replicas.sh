#!/usr/bin/env bash
# Raising and lowering a file's replica count: copies made before the answer,
# extra copies deleted and their space freed; zones spread the copies; the
# count survives a gateway restart.
source "$(dirname "$0")/lib.sh"

ZONES=2 start_cluster 4
random_file "$WORK/in" 2500000

zs put "$WORK/in" f -r 1 >/dev/null || fail "put -r 1"
[ "$(copies_on_disk "$ZS_USER" f)" = 1 ] || fail "not 1 copy"
zs replicas f 3 >/dev/null || fail "replicas f 3"
[ "$(copies_on_disk "$ZS_USER" f)" = 3 ] || fail "raising to 3 did not make 3 copies before answering"
stat=$(zs stat f --json)
[ "$(jq -c .replicas <<<"$stat")" = '{"desired":3,"actual":3}' ] || fail "stat after raise: $stat"
ok "raising to 3 copies the file before answering"

zs replicas f 1 >/dev/null || fail "replicas f 1"
[ "$(copies_on_disk "$ZS_USER" f)" = 1 ] || fail "lowering to 1 left $(copies_on_disk "$ZS_USER" f) copies"
[ "$(zs stat f --json | jq -c .replicas)" = '{"desired":1,"actual":1}' ] || fail "stat after lowering"
copies_reported () {
    test "$(zs status --json | jq '[.buckets[].files] | add')" -eq \
        "$(find "$WORK/data" -path '*/objects/*' -type f | wc -l)"
}
wait_until 5 "the buckets to report the freed copies" copies_reported
zs get f -o "$WORK/out" && cmp -s "$WORK/in" "$WORK/out" || fail "content after lowering"
ok "lowering to 1 deletes the extra copies and frees their space"

zs replicas f 2 >/dev/null || fail "replicas f 2"
zones=$(for bucket in $(holders "$ZS_USER" f); do echo "z$(( (${bucket#b} - 1) % 2 + 1 ))"; done | sort -u | wc -l)
[ "$zones" = 2 ] || fail "two copies are not in two zones: $(holders "$ZS_USER" f)"
for i in 1 2 3 4 5 6; do
    zs put "$WORK/in" "spread$i" -r 2 >/dev/null
    zones=$(for bucket in $(holders "$ZS_USER" "spread$i"); do echo "z$(( (${bucket#b} - 1) % 2 + 1 ))"; done | sort -u | wc -l)
    [ "$zones" = 2 ] || fail "spread$i: copies not in distinct zones: $(holders "$ZS_USER" "spread$i")"
done
ok "copies go to distinct zones"

zs replicas f 2 >/dev/null || fail "setting the same count"
expect_error 1 "5 replicas need 5 live buckets" zs replicas f 5
[ "$(copies_on_disk "$ZS_USER" f)" = 2 ] || fail "a refused raise changed the copies"
ok "same count is a no-op; an impossible count changes nothing"

# The count lives with the copies: a gateway restarted empty learns it back
zs replicas f 4 >/dev/null || fail "replicas f 4"
kill_process gateway
start_gateway
wait_until 10 "4 buckets back" test_alive 4
wait_until 10 "the index to be ready" ready
[ "$(zs stat f --json | jq -c .replicas)" = '{"desired":4,"actual":4}' ] || fail "count lost in restart: $(zs stat f --json)"
zs replicas f 3 >/dev/null || fail "replicas f 3 after restart"
kill_process gateway
start_gateway
wait_until 10 "4 buckets back" test_alive 4
wait_until 10 "the index to be ready" ready
[ "$(zs stat f --json | jq -c .replicas)" = '{"desired":3,"actual":3}' ] || fail "lowered count lost in restart: $(zs stat f --json)"
ok "the replica count survives gateway restarts"
