# lib.sh - real zstore clusters on 127.0.0.1 for integration tests
#
# Source it from a test script. It makes a temporary folder, finds free
# ports, starts and kills gateways and buckets, and on exit kills every
# process it started (by PID) and removes the folder, even when the test
# fails. Waits are on conditions with deadlines, never on fixed sleeps.
#
#   ZS_BIN    folder of the programs (default: bin)
#   ZS_TOOLS  folder of the test tools (default: build/release/tests)
#   ZS_KEEP   set to keep the temporary folder, for inspection

set -euo pipefail

ZS_BIN=$(cd "${ZS_BIN:-bin}" && pwd)
ZS_TOOLS=$(cd "${ZS_TOOLS:-build/release/tests}" && pwd)
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zstore-$TEST_NAME.XXXXXX")
HEARTBEAT=${HEARTBEAT:-200}
LIVENESS=${LIVENESS:-3}
TOMBSTONE_GRACE=${TOMBSTONE_GRACE:-0}
ZS_USER=${ZS_USER:-alice}
declare -A PIDS=()

# Stops our processes gently, so that sanitizers can report at exit, and
# forcefully after a few seconds
stop_all () {
    local name pid
    for name in "${!PIDS[@]}"; do
        kill -s CONT "${PIDS[$name]}" 2>/dev/null || true
        kill -s TERM "${PIDS[$name]}" 2>/dev/null || true
    done
    local deadline=$((SECONDS + 5))
    for name in "${!PIDS[@]}"; do
        pid=${PIDS[$name]}
        while [ -e "/proc/$pid" ] && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
            if [ $SECONDS -ge $deadline ]; then
                kill -s KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.05
        done
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# at_cleanup COMMAND: run COMMAND (one shell command line) at cleanup, also
# on failure, before our processes are stopped: for what stop_all cannot
# reach by PID, such as a tmux server
CLEANUP_HOOKS=()
at_cleanup () {
    CLEANUP_HOOKS+=("$1")
}

cleanup () {
    local status=$?
    local hook
    for hook in "${CLEANUP_HOOKS[@]}"; do
        eval "$hook" >/dev/null 2>&1 || true
    done
    stop_all
    if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$WORK"/*.log >/dev/null 2>&1; then
        echo "FAIL: $TEST_NAME: a sanitizer reported:" >&2
        grep -hE -A 30 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$WORK"/*.log >&2
        status=1
    fi
    if [ $status -ne 0 ]; then
        for log in "$WORK"/*.log; do
            [ -f "$log" ] || continue
            echo "--- last lines of $(basename "$log")" >&2
            tail -n 15 "$log" >&2
        done
    fi
    if [ -z "${ZS_KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail () {
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}

ok () {
    echo "  ok - $*"
}

# wait_until SECONDS DESCRIPTION CONDITION...: evaluate CONDITION (a shell
# command line: quote it to delay substitutions) until it succeeds
wait_until () {
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until eval "$*" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for: $what"
        sleep 0.05
    done
}

mapfile -t PORTS < <("$ZS_TOOLS/zs-freeport" 3)
CLIENT_EP=tcp://127.0.0.1:${PORTS[0]}
BUCKET_EP=tcp://127.0.0.1:${PORTS[1]}
EVENT_EP=tcp://127.0.0.1:${PORTS[2]}

# zs ARGS...: the CLI against this test's gateway, as $ZS_USER
zs () {
    "$ZS_BIN/zstore" -g "$CLIENT_EP" -u "$ZS_USER" "$@"
}

# start_gateway [OPTIONS...]
start_gateway () {
    "$ZS_BIN/zstore-gateway" --clients "$CLIENT_EP" --buckets "$BUCKET_EP" --events "$EVENT_EP" \
        --heartbeat "$HEARTBEAT" --liveness "$LIVENESS" --tombstone-grace "$TOMBSTONE_GRACE" \
        ${ZS_VERBOSE:+-v} "$@" >>"$WORK/gateway.log" 2>&1 &
    PIDS[gateway]=$!
    wait_until 10 "the gateway to answer" zs --timeout 1 status
}

# start_bucket ID [ZONE] [OPTIONS...]
start_bucket () {
    local id=$1 zone=${2:-}
    shift $(($# < 2 ? $# : 2))
    "$ZS_BIN/zstore-bucket" --id "$id" --gateway "$BUCKET_EP" --data "$WORK/data/$id" \
        ${zone:+--zone "$zone"} "$@" >>"$WORK/$id.log" 2>&1 &
    PIDS[$id]=$!
}

# kill_process NAME [SIGNAL]: stop one of our processes and reap it
kill_process () {
    local name=$1 signal=${2:-KILL}
    kill -s "$signal" "${PIDS[$name]}" 2>/dev/null || true
    wait "${PIDS[$name]}" 2>/dev/null || true
    unset "PIDS[$name]"
}

# freeze NAME / thaw NAME: stop and resume one of our processes (SIGSTOP and
# SIGCONT), as a machine that hangs and comes back would
freeze () {
    kill -s STOP "${PIDS[$1]}"
}

thaw () {
    kill -s CONT "${PIDS[$1]}"
}

# bucket_state ID: the state the gateway reports for a bucket
bucket_state () {
    zs --timeout 2 status --json | jq -r --arg id "$1" '.buckets[] | select(.id == $id) | .state'
}

bucket_is () {
    [ "$(bucket_state "$1")" = "$2" ]
}

alive_count () {
    zs --timeout 2 status --json | jq '[.buckets[] | select(.state == "alive")] | length'
}

# ready: the index is complete (no recovery in progress)
ready () {
    [ "$(zs --timeout 2 status --json | jq -r .recovering)" = "false" ]
}

# start_cluster N [GATEWAY OPTIONS...]: a gateway and buckets b1..bN, all
# registered; with ZONES set, the buckets spread over that many zones
start_cluster () {
    local count=$1
    shift
    start_gateway "$@"
    for i in $(seq 1 "$count"); do
        start_bucket "b$i" "${ZONES:+z$(( (i - 1) % ZONES + 1 ))}"
    done
    wait_until 10 "$count buckets alive" test_alive "$count"
    wait_until 10 "the index to be ready" ready
}

test_alive () {
    [ "$(alive_count)" -eq "$1" ]
}

# copies_on_disk USER NAME: how many buckets hold a copy of the file
copies_on_disk () {
    local key
    key=$("$ZS_TOOLS/zs-key" "$1" "$2")
    local count=0
    for dir in "$WORK"/data/*; do
        if compgen -G "$dir/objects/${key:0:2}/${key:2:2}/$key.*" >/dev/null; then
            count=$((count + 1))
        fi
    done
    echo $count
}

# copies_among USER NAME BUCKET...: how many of these buckets hold a copy
copies_among () {
    local user=$1 name=$2 key count=0
    shift 2
    key=$("$ZS_TOOLS/zs-key" "$user" "$name")
    for bucket in "$@"; do
        if compgen -G "$WORK/data/$bucket/objects/${key:0:2}/${key:2:2}/$key.*" >/dev/null; then
            count=$((count + 1))
        fi
    done
    echo $count
}

# under_replicated: the count status reports
under_replicated () {
    zs --timeout 2 status --json | jq .under_replicated
}

# holders USER NAME: ids of the buckets holding a copy, sorted, space-separated
holders () {
    local key
    key=$("$ZS_TOOLS/zs-key" "$1" "$2")
    for dir in "$WORK"/data/*; do
        if compgen -G "$dir/objects/${key:0:2}/${key:2:2}/$key.*" >/dev/null; then
            basename "$dir"
        fi
    done | sort | tr '\n' ' ' | sed 's/ $//'
}

# random_file PATH BYTES
random_file () {
    head -c "$2" /dev/urandom >"$1"
}

# expect_status CODE COMMAND...: run COMMAND, check its exit status
expect_status () {
    local expected=$1
    shift
    local status=0
    "$@" >"$WORK/last.out" 2>"$WORK/last.err" || status=$?
    [ $status -eq "$expected" ] || fail "'$*' exited $status, expected $expected: $(cat "$WORK/last.err")"
}

# expect_error CODE PATTERN COMMAND...: exit status CODE and stderr matching PATTERN
expect_error () {
    local expected=$1 pattern=$2
    shift 2
    expect_status "$expected" "$@"
    grep -Eq -- "$pattern" "$WORK/last.err" || fail "'$*': stderr '$(cat "$WORK/last.err")' does not match /$pattern/"
    [ "$(wc -l <"$WORK/last.err")" -eq 1 ] || fail "'$*' printed more than one error line: $(cat "$WORK/last.err")"
}
