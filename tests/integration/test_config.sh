#!/usr/bin/env bash
# Settings from ZPL config files, for the gateway and the buckets; the
# command line wins over the file.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/gateway.cfg" <<CFG
gateway
    clients = "$CLIENT_EP"
    buckets = "$BUCKET_EP"
    events = "$EVENT_EP"
    heartbeat = 150
    liveness = 4
    default-replicas = 3
CFG
"$ZS_BIN/zstore-gateway" --config "$WORK/gateway.cfg" >>"$WORK/gateway.log" 2>&1 &
PIDS[gateway]=$!
wait_until 10 "the gateway to answer" zs --timeout 1 status
for i in 1 2 3; do
    cat >"$WORK/b$i.cfg" <<CFG
bucket
    id = b$i
    gateway = "$BUCKET_EP"
    data = "$WORK/data/b$i"
    zone = zone$i
CFG
    "$ZS_BIN/zstore-bucket" --config "$WORK/b$i.cfg" >>"$WORK/b$i.log" 2>&1 &
    PIDS[b$i]=$!
done
wait_until 10 "3 buckets alive" test_alive 3
[ "$(zs status --json | jq -c '[.buckets[].zone] | sort')" = '["zone1","zone2","zone3"]' ] \
    || fail "zones from the bucket config files"
echo data >"$WORK/in"
zs put "$WORK/in" f >/dev/null
[ "$(copies_on_disk "$ZS_USER" f)" = 3 ] || fail "default-replicas from the config file"
ok "the gateway and buckets take their settings from config files"

kill_process gateway
"$ZS_BIN/zstore-gateway" --config "$WORK/gateway.cfg" --default-replicas 1 >>"$WORK/gateway.log" 2>&1 &
PIDS[gateway]=$!
wait_until 10 "3 buckets back" test_alive 3
zs put "$WORK/in" g >/dev/null
[ "$(copies_on_disk "$ZS_USER" g)" = 1 ] || fail "the command line did not win over the config file"
ok "the command line wins over the config file"

expect_error 2 "cannot read config file" "$ZS_BIN/zstore-gateway" --config "$WORK/missing.cfg"
expect_error 2 "cannot read config file" "$ZS_BIN/zstore-bucket" --config "$WORK/missing.cfg"
printf 'gateway\n    heartbeat = lots\n' >"$WORK/bad.cfg"
expect_error 2 "heartbeat" "$ZS_BIN/zstore-gateway" --config "$WORK/bad.cfg"
expect_error 2 "repair-queue" "$ZS_BIN/zstore-gateway" --repair-queue 0
ok "a missing or wrong config file is a usage error, and so is a setting out of range"
