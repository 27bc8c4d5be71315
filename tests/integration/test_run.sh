#!/usr/bin/env bash
# The quick start's cluster (scripts/run-cluster.sh, what `make run` starts):
# it makes its keys at the first start, runs in secure mode, and the CLI
# works with the environment file it writes; a second start reuses the keys
# and the data.
source "$(dirname "$0")/lib.sh"

# Three consecutive free ports: the script takes a first one and the next two
run_cluster () {
    local attempt
    for attempt in 1 2 3 4 5; do
        port=$("$ZS_TOOLS/zs-freeport" 1)
        ZS_PORT=$port ZS_DATA=$WORK/data scripts/run-cluster.sh >>"$WORK/cluster.log" 2>&1 &
        PIDS[cluster]=$!
        local deadline=$((SECONDS + 30))
        while kill -0 "${PIDS[cluster]}" 2>/dev/null; do
            grep -q "are running, in secure mode" "$WORK/cluster.log" && return 0
            [ $SECONDS -lt $deadline ] || fail "the cluster did not come up"
            sleep 0.1
        done
        wait "${PIDS[cluster]}" 2>/dev/null || true
        unset "PIDS[cluster]"
        grep -q "in use" "$WORK/cluster.log" || fail "the cluster script failed: $(tail -n 5 "$WORK/cluster.log")"
    done
    fail "no three free ports in a row"
}
run_cluster
[ -s "$WORK/data/keys/private/gateway.cert_secret" ] || fail "no gateway key pair"
grep -q "ZSTORE_CERT=" "$WORK/data/zstore.env" || fail "no environment file"
random_file "$WORK/in" 300000
(
    # shellcheck disable=SC1091
    . "$WORK/data/zstore.env"
    "$ZS_BIN/zstore" put "$WORK/in" hello >/dev/null && "$ZS_BIN/zstore" get hello -o "$WORK/out"
) || fail "put and get with the environment file"
cmp -s "$WORK/in" "$WORK/out" || fail "the file came back changed"
"$ZS_BIN/zstore" -g "tcp://127.0.0.1:$port" -u alice --timeout 2 ls >/dev/null 2>&1 \
    && fail "the cluster answered a client without keys"
ok "the quick start's cluster runs in secure mode with keys it made, and the CLI works with them"

fingerprint=$(sha256sum "$WORK/data/keys/private/gateway.cert_secret")
kill_process cluster TERM
: >"$WORK/cluster.log"
run_cluster
[ "$(sha256sum "$WORK/data/keys/private/gateway.cert_secret")" = "$fingerprint" ] || fail "the keys were made again"
(
    # shellcheck disable=SC1091
    . "$WORK/data/zstore.env"
    "$ZS_BIN/zstore" get hello -o "$WORK/out2"
) || fail "get after a restart"
cmp -s "$WORK/in" "$WORK/out2" || fail "the file came back changed after a restart"
ok "started again, it keeps its keys and its data"
