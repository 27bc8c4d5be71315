#!/usr/bin/env bash
# Chaos: several clients put, overwrite, read and remove files of mixed sizes
# (zs-chaos) while buckets are SIGKILLed and restarted at random, never more
# than replicas-1 at once, and the gateway once. zs-chaos records every
# acknowledged operation and checks, during the run and at the end, that
# each one holds, that no read returns bytes never written, and that
# under_replicated returns to 0 within a bound.
#
#   CHAOS_SECONDS   seconds of load (default 40; make test-chaos: 600)
#   CHAOS_CLIENTS   client threads (default 4)
#   CHAOS_NAMES     names per client (default 8)
#   CHAOS_SETTLE    bound for under_replicated to return to 0 (default 60)
#   CHAOS_SEED      seed of the random choices, to repeat a run's choices

# A removal is remembered for the default day: with no grace, a bucket that
# is away while the gateway restarts may bring a removed file back, as
# DESIGN.md says, and this test kills buckets and the gateway together.
TOMBSTONE_GRACE=${TOMBSTONE_GRACE:-86400000}
source "$(dirname "$0")/lib.sh"

LOAD_SECONDS=${CHAOS_SECONDS:-40}
CLIENTS=${CHAOS_CLIENTS:-4}
NAMES=${CHAOS_NAMES:-8}
SETTLE=${CHAOS_SETTLE:-60}
SEED=${CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
BUCKETS=5
REPLICAS=3
TIMEOUT=20
# Operations between two faults
STEP=$((CLIENTS * 3))
# How long the work may stand still: a request under way when the gateway
# dies may wait for an answer the new gateway never gives, until zs-chaos
# wakes it after the timeout (--patience); a retry may take as long again
STALL=$((3 * TIMEOUT + 30))
GATEWAY_OPTIONS=(--repair-grace 0 --transfer-timeout 10000)
echo "  seed $SEED, $LOAD_SECONDS s, $CLIENTS clients x $NAMES names, $BUCKETS buckets, replicas $REPLICAS"

start_gateway "${GATEWAY_OPTIONS[@]}"
for i in $(seq 1 $BUCKETS); do start_bucket "b$i"; done
wait_until 10 "$BUCKETS buckets alive" test_alive $BUCKETS
wait_until 10 "the index to be ready" ready

"$ZS_TOOLS/zs-chaos" -g "$CLIENT_EP" --clients "$CLIENTS" --seconds "$LOAD_SECONDS" \
    --names "$NAMES" --replicas $REPLICAS --timeout $TIMEOUT --settle "$SETTLE" \
    --progress "$WORK/progress" --trace "$WORK/chaos.trace" --seed "$SEED" \
    >"$WORK/chaos.out" 2>"$WORK/chaos.log" &
PIDS[chaos]=$!

# operations: done so far; phase: load, drain, settle, verify, done
operations () {
    local count=0
    [ -f "$WORK/progress" ] && read -r count <"$WORK/progress"
    echo "${count:-0}"
}

phase () {
    sed -n 2p "$WORK/progress" 2>/dev/null
}

chaos_running () {
    local pid=${PIDS[chaos]}
    [ -e "/proc/$pid" ] && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# load_over: zs-chaos is past its load, or gone (before its first progress
# report, it is still starting)
load_over () {
    case "$(phase)" in drain | settle | verify | done) return 0 ;; esac
    ! chaos_running
}

# advanced BASE: STEP more operations done since BASE, or the load is over
advanced () {
    [ "$(operations)" -ge $(($1 + STEP)) ] || load_over
}

# under_replicated_count: what status says
under_replicated_count () {
    zs --timeout 2 status --json | jq -r .under_replicated
}

# gone ID: the gateway has the bucket dead, or does not know it (a restarted
# gateway knows only the buckets that registered with it)
gone () {
    local state
    state=$(bucket_state "$1") || return 1
    [ "$state" = dead ] || [ -z "$state" ]
}

down=()
bucket_kills=0
gateway_kills=0
# The gateway dies once, between 15% and 35% of the load, so that the work
# goes on against the new gateway for a while
gateway_at=$((SECONDS + LOAD_SECONDS * (15 + RANDOM % 21) / 100))

kill_bucket () {
    local up=() id
    for i in $(seq 1 $BUCKETS); do
        [[ " ${down[*]} " == *" b$i "* ]] || up+=("b$i")
    done
    id=${up[RANDOM % ${#up[@]}]}
    kill_process "$id"
    down+=("$id")
    bucket_kills=$((bucket_kills + 1))
    echo "  $(operations) ops: killed $id (down: ${down[*]})"
    wait_until 10 "$id to be seen dead" gone "$id"
}

restart_bucket () {
    local id=${down[0]}
    down=("${down[@]:1}")
    start_bucket "$id"
    echo "  $(operations) ops: restarted $id"
    wait_until 40 "$id alive again" bucket_is "$id" alive
}

restart_gateway () {
    kill_process gateway
    gateway_kills=$((gateway_kills + 1))
    echo "  $(operations) ops: killed the gateway (down: ${down[*]:-none})"
    start_gateway "${GATEWAY_OPTIONS[@]}"
    wait_until 40 "the buckets up to register again" test_alive $((BUCKETS - ${#down[@]}))
    echo "  $(operations) ops: gateway back"
}

# In the last eighth of the load, buckets are killed but not restarted: those
# down at the end stay down while zs-chaos waits for under_replicated to
# return to 0, so that repair has to make their copies elsewhere
ending_at=$((SECONDS + LOAD_SECONDS * 7 / 8))
wait_until 30 "the load to begin" '[ "$(operations)" -gt 0 ] || load_over'
until load_over; do
    if [ $gateway_kills = 0 ] && [ $SECONDS -ge $gateway_at ]; then
        restart_gateway
    elif [ ${#down[@]} -lt $((REPLICAS - 1)) ] && { [ ${#down[@]} = 0 ] || [ $((RANDOM % 2)) = 0 ]; }; then
        kill_bucket
    elif [ $SECONDS -lt $ending_at ]; then
        restart_bucket
    fi
    base=$(operations)
    wait_until $STALL "$STEP more operations" advanced "$base"
done
[ ${#down[@]} -gt 0 ] || kill_bucket
echo "  load over after $(operations) ops; down until zs-chaos is done: ${down[*]}"

wait_until $((STALL + SETTLE + 120)) "zs-chaos to finish" '! chaos_running'
status=0
wait "${PIDS[chaos]}" || status=$?
unset "PIDS[chaos]"
faults=$((bucket_kills + gateway_kills))
sed 's/^/  /' "$WORK/chaos.out"
echo "  faults injected: $faults ($bucket_kills bucket SIGKILLs, $gateway_kills gateway SIGKILL)"
if [ $status -ne 0 ]; then
    anomalies=$(sed -n 's/^anomalies: //p' "$WORK/chaos.out")
    [ "${anomalies:-0}" = 0 ] || fail "zs-chaos found $anomalies anomalies (the 'anomaly:' lines above; ZS_KEEP=1 keeps chaos.trace, every operation)"
    fail "zs-chaos exited $status before it could check everything: $(tail -n 3 "$WORK/chaos.log")"
fi
[ $gateway_kills = 1 ] || fail "the load ended before the gateway was killed"
[ $bucket_kills -ge 1 ] || fail "no bucket was killed"
ok "$(sed -n 's/^operations: //p' "$WORK/chaos.out") operations, $faults faults, 0 anomalies"

# The buckets left down come back with copies now extra, or stale
while [ ${#down[@]} -gt 0 ]; do restart_bucket; done
wait_until 30 "the index to be ready" ready
wait_until 30 "under_replicated 0 with every bucket back" '[ "$(under_replicated_count)" = 0 ]'
ok "every bucket back, nothing under-replicated"
