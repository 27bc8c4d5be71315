#!/usr/bin/env bash
# rm removes every copy; a bucket that was down during rm deletes its copy
# when it returns, also across a gateway restart; tombstones go once seen.
source "$(dirname "$0")/lib.sh"

start_cluster 3
random_file "$WORK/in" 100000

zs put "$WORK/in" gone -r 3 >/dev/null || fail "put"
zs rm gone >/dev/null || fail "rm"
[ "$(copies_on_disk "$ZS_USER" gone)" = 0 ] || fail "copies left after rm"
expect_error 1 "no file 'gone'" zs get gone
[ "$(zs ls --json)" = "[]" ] || fail "ls after rm: $(zs ls --json)"
[ -z "$(find "$WORK/data" -path '*/tombstones/*' -type f)" ] || fail "a tombstone stayed though every holder saw the removal"
expect_error 1 "no file" zs rm gone
ok "rm removes every copy, and a second rm says there is no file"

tombstones () {
    find "$WORK/data" -path '*/tombstones/*' -type f | wc -l
}

zs put "$WORK/in" away -r 2 >/dev/null || fail "put away"
read -r down up <<<"$(holders "$ZS_USER" away)"
kill_process "$down"
zs rm away >/dev/null || fail "rm with a holder down"
expect_error 1 "no file" zs get away
[ "$(tombstones)" -ge 1 ] || fail "no tombstone kept for the bucket that was down"
start_bucket "$down"
wait_until 10 "$down to delete its copy" 'test "$(copies_on_disk "$ZS_USER" away)" = 0'
wait_until 10 "the tombstones to be forgotten" 'test "$(tombstones)" = 0'
expect_error 1 "no file" zs stat away
ok "a holder down during rm deletes its copy when it returns"

zs put "$WORK/in" again -r 2 >/dev/null || fail "put again"
read -r down up <<<"$(holders "$ZS_USER" again)"
kill_process "$down"
zs rm again >/dev/null || fail "rm with a holder down"
kill_process gateway
start_gateway
wait_until 10 "2 buckets back" test_alive 2
wait_until 10 "the index to be ready" ready
expect_error 1 "no file" zs get again
start_bucket "$down"
wait_until 10 "$down to delete its copy after the gateway restart" 'test "$(copies_on_disk "$ZS_USER" again)" = 0'
wait_until 10 "the tombstones to be forgotten" 'test "$(tombstones)" = 0'
expect_error 1 "no file" zs get again
[ "$(zs ls --json)" = "[]" ] || fail "the removed file came back: $(zs ls --json)"
ok "the removal survives a gateway restart while a holder is down"

zs put "$WORK/in" reborn -r 2 >/dev/null
zs rm reborn >/dev/null
zs put "$WORK/in" reborn -r 2 >/dev/null || fail "put after rm"
zs get reborn -o "$WORK/out" && cmp -s "$WORK/in" "$WORK/out" || fail "a name removed can be stored again"
ok "a removed name can be stored again"

# A bucket down while the gateway restarts is unknown to the new gateway: a
# removal then cannot list it, and only the grace period keeps the removal
# alive until it returns
zs put "$WORK/in" unknown -r 2 >/dev/null || fail "put unknown"
read -r down up <<<"$(holders "$ZS_USER" unknown)"
kill_process "$down"
kill_process gateway
start_gateway --tombstone-grace 60000
wait_until 10 "2 buckets back" test_alive 2
wait_until 10 "the index to be ready" ready
zs rm unknown >/dev/null || fail "rm while a holder is unknown"
[ "$(tombstones)" -ge 1 ] || fail "the tombstone was forgotten within its grace period"
start_bucket "$down"
wait_until 10 "$down to delete the copy the gateway did not know of" \
    'test "$(copies_on_disk "$ZS_USER" unknown)" = 0'
expect_error 1 "no file" zs get unknown
ok "a removal outlives its grace period, so a holder unknown to a restarted gateway cannot bring the file back"

kill_process gateway
start_gateway --tombstone-grace 1500
wait_until 10 "3 buckets back" test_alive 3
wait_until 10 "the index to be ready" ready
zs put "$WORK/in" brief -r 2 >/dev/null
removed_at=$SECONDS
zs rm brief >/dev/null
[ "$(tombstones)" -ge 1 ] || fail "no tombstone during the grace period"
wait_until 10 "the tombstones to be forgotten after the grace period" 'test "$(tombstones)" = 0'
[ $((SECONDS - removed_at)) -ge 1 ] || fail "the tombstones went before the grace period"
ok "tombstones are forgotten once the grace period is over"
