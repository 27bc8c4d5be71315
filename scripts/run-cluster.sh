#!/usr/bin/env bash
# A local cluster to try zstore with: a gateway and 3 buckets (zones z1-z3) on
# 127.0.0.1, data under ./data, logs on this terminal. Ctrl-C stops them all.
# It runs in secure mode: at the first start it makes key pairs for the
# gateway, the buckets, you and an admin under data/keys, and writes
# data/zstore.env, which points the CLI and the monitor at them.
#
#   ZS_PORT   first of the gateway's three ports (default 5555: clients 5555,
#             buckets 5556, events 5557)
#   ZS_DATA   data folder (default ./data)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ZS_BIN:-bin}
port=${ZS_PORT:-5555}
data=${ZS_DATA:-data}
keys=$data/keys
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

# You, as the CLI knows you, if your login name can be a zstore user
me=$(id -un 2>/dev/null || echo user)
[[ $me =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$ ]] || me=user
keygen () { # keygen NAME FOLDER-FOR-ITS-PUBLIC-KEY
    [ -e "$keys/private/$1.cert_secret" ] || "$bin/zstore" keygen "$1" -d "$keys/private" >/dev/null
    mkdir -p "$2"
    cp "$keys/private/$1.cert" "$2/"
}
if [ ! -e "$keys/private/gateway.cert_secret" ]; then
    echo "zstore: first start: making key pairs in $keys/"
fi
keygen gateway "$keys"
for i in 1 2 3; do keygen "b$i" "$keys/buckets"; done
for user in "$me" admin; do keygen "$user" "$keys/users"; done
cat >"$data/zstore.env" <<ENV
export ZSTORE_GATEWAY=tcp://127.0.0.1:$port
export ZSTORE_CERT=$(cd "$keys/private" && pwd)/$me.cert_secret
export ZSTORE_GATEWAY_KEY=$(cd "$keys" && pwd)/gateway.cert
ENV

"$bin/zstore-gateway" --clients "tcp://127.0.0.1:$port" --buckets "tcp://127.0.0.1:$((port + 1))" \
    --events "tcp://127.0.0.1:$((port + 2))" --secure --cert "$keys/private/gateway.cert_secret" \
    --bucket-keys "$keys/buckets" --user-keys "$keys/users" --admins "admin,$me" &
pids+=($!)
for i in 1 2 3; do
    "$bin/zstore-bucket" --id "b$i" --zone "z$i" --gateway "tcp://127.0.0.1:$((port + 1))" \
        --data "$data/b$i" --secure --cert "$keys/private/b$i.cert_secret" \
        --gateway-key "$keys/gateway.cert" &
    pids+=($!)
done
# Ready when the three buckets are
# shellcheck disable=SC1091
. "$data/zstore.env"
deadline=$((SECONDS + 30))
until [ "$("$bin/zstore" --timeout 1 status 2>/dev/null | grep -c ' alive ')" = 3 ]; do
    kill -0 "${pids[0]}" 2>/dev/null || { echo "zstore: the gateway stopped (port $port in use?)" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "zstore: the buckets did not register within 30 s" >&2; exit 1; }
done
cat <<TEXT
zstore: a gateway on tcp://127.0.0.1:$port and buckets b1, b2, b3 are running, in secure mode.
        In another terminal:  . $data/zstore.env       (your keys: you are $me)
                              bin/zstore put README.md
                              bin/zstore ls
                              bin/zstore-monitor
        Ctrl-C here stops the cluster.
TEXT
wait
stop 1
