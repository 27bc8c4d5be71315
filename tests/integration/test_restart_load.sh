#!/usr/bin/env bash
# Gateway restarts under load: clients that keep putting, getting, listing
# and asking for status ride through a SIGKILL and restart of the gateway,
# retrying with back-off within their --timeout; past it they fail with a
# clear error. The restarted gateway shows its recovery in status, and does
# not repair anything while buckets are still coming back.
source "$(dirname "$0")/lib.sh"

start_cluster 3 --repair-grace 0
for i in 1 2 3; do
    random_file "$WORK/f$i" $((i * 700000))
    zs put "$WORK/f$i" "load$i" -r 2 >/dev/null || fail "put load$i"
done

# One client's loop: every command it runs must succeed. It runs each one in
# the background and waits, so that a TERM at cleanup stops it at once.
client_loop () {
    local n=$1 round=0 child
    trap 'kill "$child" 2>/dev/null; exit 1' TERM
    attempt () {
        "$ZS_BIN/zstore" -g "$CLIENT_EP" -u "$ZS_USER" --timeout 20 "$@" >/dev/null 2>>"$WORK/errors.$n" &
        child=$!
        wait "$child" || echo "round $round: $1 failed" >>"$WORK/failed.$n"
    }
    while [ ! -e "$WORK/stop" ]; do
        round=$((round + 1))
        attempt put "$WORK/f$n" "load$n" -r 2
        attempt get "load$n" -o "$WORK/out.$n"
        cmp -s "$WORK/f$n" "$WORK/out.$n" || echo "round $round: get returned other bytes" >>"$WORK/failed.$n"
        attempt ls
        attempt stat "load$n"
        attempt status
        echo $round >"$WORK/rounds.$n"
    done
}
rounds () {
    cat "$WORK/rounds.$1" 2>/dev/null || echo 0
}
all_past () {
    for n in 1 2 3; do [ "$(rounds $n)" -ge "$1" ] || return 1; done
}
for n in 1 2 3; do
    client_loop $n &
    PIDS[client$n]=$!
done
wait_until 30 "every client to get going" all_past 2

kill_process gateway
wait_until 10 "the buckets to notice the gateway gone" 'grep -q "no word from the gateway" "$WORK/b1.log"'
: >"$WORK/events"
"$ZS_TOOLS/zs-events" "$EVENT_EP" --timeout 120 >"$WORK/events" &
PIDS[events]=$!
before=$(rounds 1)
start_gateway --repair-grace 0 --recovery 3000
[ "$(zs --timeout 2 status --json | jq .recovering)" = true ] || fail "status does not show the recovery"
zs --timeout 2 status | grep -qi "recovering" || fail "status text does not show the recovery"
wait_until 15 "the index to be ready" ready
wait_until 60 "every client to do two more rounds" all_past $((before + 2))
touch "$WORK/stop"
for n in 1 2 3; do
    wait "${PIDS[client$n]}" || true
    unset "PIDS[client$n]"
done
for n in 1 2 3; do
    [ ! -s "$WORK/failed.$n" ] || fail "client $n: $(cat "$WORK/failed.$n") ($(tail -n 3 "$WORK/errors.$n"))"
done
ok "clients putting, getting and listing all the while saw no failure across the restart ($(rounds 1) rounds each)"

! jq -s -e 'any(.[]; .kind == "repair.started")' "$WORK/events" >/dev/null \
    || fail "the restarted gateway repaired files while buckets came back"
[ "$(under_replicated)" = 0 ] || fail "files under-replicated after the restart"
for n in 1 2 3; do
    [ "$(copies_on_disk "$ZS_USER" "load$n")" = 2 ] || fail "load$n: not 2 copies after the restart"
done
ok "no repair while the buckets came back; every file has its copies"

# A bucket that comes back after the recovery window, within the grace
# period, causes no repair either
kill_process gateway
kill_process b3
start_gateway --repair-grace 5 --recovery 500
wait_until 10 "b1 and b2 back" test_alive 2
wait_until 10 "the index to be ready" ready
start_bucket b3
wait_until 10 "b3 back" test_alive 3
wait_until 10 "every file to have its copies" '[ "$(under_replicated)" = 0 ]'
! jq -s -e 'any(.[]; .kind == "repair.started")' "$WORK/events" >/dev/null \
    || fail "a bucket back within the grace period after a restart caused a repair"
ok "a bucket back late, within the grace period, causes no repair"

# A removal the gateway is working on when it dies: the client hears the
# connection break and says so at once, rather than wait for an answer that
# will never come. (Its holders are frozen, so that the removal waits.)
kill_process gateway
LIVENESS=50 start_gateway --recovery 500
wait_until 10 "3 buckets back" test_alive 3
wait_until 10 "the index to be ready" ready
read -r holder1 holder2 <<<"$(holders "$ZS_USER" load1)"
freeze "$holder1"
freeze "$holder2"
zs --timeout 60 rm load1 >"$WORK/rm.out" 2>"$WORK/rm.err" &
PIDS[remover]=$!
wait_until 10 "the removal to begin" '! zs --timeout 2 stat load1'
kill_process gateway
wait_until 5 "the rm to give up" '! kill -0 "${PIDS[remover]}"'
status=0
wait "${PIDS[remover]}" || status=$?
unset "PIDS[remover]"
[ $status = 1 ] || fail "the rm whose gateway died exited $status"
grep -q "connection to the gateway at .* broke before it answered: it may or may not have been done" \
    "$WORK/rm.err" || fail "the rm does not say what happened: $(cat "$WORK/rm.err")"
thaw "$holder1"
thaw "$holder2"
ok "an rm in flight when the gateway dies fails at once, saying it may or may not be done"

# Past the timeout, a clear error
for command in "ls" "status" "stat load1" "get load1 -o $WORK/late" "put $WORK/f1 load1"; do
    # shellcheck disable=SC2086
    expect_error 1 "no answer from the gateway at .* within 1000 ms" zs --timeout 1 $command
done
[ ! -e "$WORK/late" ] || fail "a get that timed out wrote its output"
ok "with the gateway away past --timeout, every command fails with a clear error"
