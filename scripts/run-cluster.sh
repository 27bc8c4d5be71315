#!/usr/bin/env bash
# A local cluster to try zstore with: a gateway and 3 buckets (zones z1-z3) on
# 127.0.0.1, data under ./data, logs on this terminal. Ctrl-C stops them all.
#
#   ZS_PORT   first of the gateway's three ports (default 5555: clients 5555,
#             buckets 5556, events 5557)
#   ZS_DATA   data folder (default ./data)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ZS_BIN:-bin}
port=${ZS_PORT:-5555}
data=${ZS_DATA:-data}
pids=()

stop () {
    local status=${1:-0}
    trap - INT TERM EXIT
    [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null
    wait
    echo "zstore: cluster stopped; data kept in $data/"
    exit "$status"
}
trap stop INT TERM
trap 'stop 1' EXIT

"$bin/zstore-gateway" --clients "tcp://127.0.0.1:$port" --buckets "tcp://127.0.0.1:$((port + 1))" \
    --events "tcp://127.0.0.1:$((port + 2))" &
pids+=($!)
# The gateway must be up before the buckets: its ports may be taken
until "$bin/zstore" -g "tcp://127.0.0.1:$port" --timeout 1 status >/dev/null 2>&1; do
    kill -0 "${pids[0]}" 2>/dev/null || { echo "zstore: the gateway did not start" >&2; exit 1; }
done
for i in 1 2 3; do
    "$bin/zstore-bucket" --id "b$i" --zone "z$i" --gateway "tcp://127.0.0.1:$((port + 1))" \
        --data "$data/b$i" &
    pids+=($!)
done
# Ready when the three buckets are
until [ "$("$bin/zstore" -g "tcp://127.0.0.1:$port" --timeout 1 status 2>/dev/null | grep -c ' alive ')" = 3 ]; do
    kill -0 "${pids[0]}" 2>/dev/null || { echo "zstore: the gateway stopped" >&2; exit 1; }
done
cat <<TEXT
zstore: a gateway on tcp://127.0.0.1:$port and buckets b1, b2, b3 are running.
        In another terminal:  bin/zstore put README.md
                              bin/zstore ls
                              bin/zstore status
        Ctrl-C here stops the cluster.
TEXT
wait
stop 1
