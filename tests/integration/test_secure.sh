#!/usr/bin/env bash
# Secure mode: CURVE on every link, so that a capture of the traffic shows no
# content and no name (while an insecure cluster's capture does); only known
# keys get in, each as the user or bucket its certificate names; keys added
# or removed take effect without a restart; refusals are clear and logged
# once a minute; without --secure, nothing listens beyond loopback.
source "$(dirname "$0")/lib.sh"

keys=$WORK/keys
mkdir -p "$keys/buckets" "$keys/users"
newkey () { # newkey NAME FOLDER-FOR-ITS-PUBLIC-KEY
    "$ZS_BIN/zstore" keygen "$1" -d "$keys/private" >/dev/null || fail "keygen $1"
    [ -z "$2" ] || cp "$keys/private/$1.cert" "$2/"
}
newkey gateway ""
for id in b1 b2 b3; do newkey "$id" "$keys/buckets"; done
for user in alice bob admin; do newkey "$user" "$keys/users"; done
newkey carol ""
newkey intruder ""
[ "$(stat -c %a "$keys/private/alice.cert_secret")" = 600 ] || fail "a secret key is readable by others"
expect_error 1 "already has a key named alice" "$ZS_BIN/zstore" keygen alice -d "$keys/private"
ok "keygen writes key pairs, the secret one private, and never overwrites one"

secure_gateway () {
    start_gateway --secure --cert "$keys/private/gateway.cert_secret" --bucket-keys "$keys/buckets" \
        --user-keys "$keys/users" "$@"
}
secure_bucket () { # secure_bucket ID [KEY PAIR]
    start_bucket "$1" "" --secure --cert "${2:-$keys/private/$1.cert_secret}" \
        --gateway-key "$keys/private/gateway.cert"
}
as () { # as USER COMMAND...: the CLI with USER's key pair
    local user=$1
    shift
    ZSTORE_CERT=$keys/private/$user.cert_secret ZSTORE_GATEWAY_KEY=$keys/private/gateway.cert \
        "$ZS_BIN/zstore" -g "$CLIENT_EP" --timeout 5 "$@"
}
MODE=insecure
zs () { # the lib's helpers ask the gateway's status: as admin in secure mode
    if [ $MODE = secure ]; then
        as admin "$@"
    else
        "$ZS_BIN/zstore" -g "$CLIENT_EP" -u "$ZS_USER" "$@"
    fi
}

# Captures loopback traffic on the cluster's ports into FILE while COMMAND runs
capture () {
    local file=$1
    shift
    local client_port=${CLIENT_EP##*:} bucket_port=${BUCKET_EP##*:}
    tcpdump -i lo -U -w "$file" "tcp port $client_port or tcp port $bucket_port" \
        >/dev/null 2>"$file.log" &
    PIDS[tcpdump]=$!
    wait_until 10 "tcpdump to listen" "grep -q 'listening on' '$file.log'"
    "$@"
    kill_process tcpdump INT
}
secret_text=$(printf 'zstore-secret-%s' "$RANDOM$RANDOM")
{ for i in $(seq 1 2000); do echo "$secret_text line $i"; done; } >"$WORK/secret.txt"
put_secret () {
    "$@" put "$WORK/secret.txt" "confidential-$secret_text.txt" -r 2 >/dev/null || fail "put over $*"
    "$@" get "confidential-$secret_text.txt" -o "$WORK/back.txt" || fail "get over $*"
    cmp -s "$WORK/secret.txt" "$WORK/back.txt" || fail "the content came back changed"
}
in_capture () {
    grep -a -q "$secret_text" "$1"
}

# The check can fail: an insecure cluster's traffic shows content and name
start_cluster 2
insecure_zs () { "$ZS_BIN/zstore" -g "$CLIENT_EP" -u alice "$@"; }
capture "$WORK/insecure.pcap" put_secret insecure_zs
in_capture "$WORK/insecure.pcap" || fail "the insecure capture lacks the content: the check is blind"
kill_process gateway
kill_process b1
kill_process b2
rm -rf "$WORK/data"
ok "without --secure, a capture of the traffic shows content and names"

MODE=secure
secure_gateway
for id in b1 b2 b3; do secure_bucket "$id"; done
wait_until 10 "3 buckets alive" test_alive 3
wait_until 10 "the index to be ready" ready
capture "$WORK/secure.pcap" put_secret as alice
[ -s "$WORK/secure.pcap" ] || fail "the capture is empty"
! in_capture "$WORK/secure.pcap" || fail "content or name in clear in the secure capture"
ok "with --secure, a capture of client and bucket traffic shows neither content nor name"

# Each user sees their own files: the key says who is asking
[ "$(as alice ls --json | jq length)" = 1 ] || fail "alice does not see her file"
[ "$(as bob ls --json | jq length)" = 0 ] || fail "bob sees alice's file"
expect_error 2 "the key pair is user alice's, not bob's" as alice -u bob ls
expect_error 1 "no file" as bob get "confidential-$secret_text.txt" -o "$WORK/stolen"
"$ZS_TOOLS/zs-hostile" forge "$CLIENT_EP" "$keys/private/bob.cert_secret" "$keys/private/gateway.cert" alice \
    || fail "the gateway let bob's key act as alice"
ZSTORE_CERT=$keys/private/alice.cert_secret ZSTORE_GATEWAY_KEY=$keys/private/gateway.cert \
    "$ZS_BIN/zstore-monitor" -g "$CLIENT_EP" --events "$EVENT_EP" --once --json >"$WORK/monitor.json" \
    || fail "the monitor in secure mode"
[ "$(jq -r .type "$WORK/monitor.json")" = snapshot ] || fail "the monitor's snapshot"
ok "a client acts as the user its key names, and nobody else"

# Unknown keys get nothing, and a clear word; the gateway logs them once a minute
for attempt in 1 2 3; do
    expect_error 1 "the gateway refused this client's key" as carol ls
done
carol_key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$keys/private/carol.cert")
[ "$(grep -cF -e "$carol_key" "$WORK/gateway.log")" = 1 ] || fail "carol's refusal logged $(grep -cF -e "$carol_key" "$WORK/gateway.log") times"
cp "$keys/private/carol.cert" "$keys/users/"
wait_until 5 "carol's key to be accepted" "as carol ls"
ok "an unknown key is refused with a clear error, logged once; added, it works at once"

# A key taken out stops working, also on a connection made before
rm "$keys/users/bob.cert"
#  The gateway looks at its folders again at most ten times a second
wait_until 5 "bob's key to be refused" '! as bob ls'
expect_error 1 "refused this client's key" as bob ls
ZSTORE_CERT=$keys/private/carol.cert_secret ZSTORE_GATEWAY_KEY=$keys/private/gateway.cert \
    "$ZS_BIN/zstore-monitor" -g "$CLIENT_EP" --events "$EVENT_EP" --json --interval 200 >"$WORK/watch.json" &
PIDS[watch]=$!
wait_until 10 "the monitor's first snapshot" "grep -q snapshot '$WORK/watch.json'"
as alice put "$WORK/secret.txt" seen-by-the-monitor >/dev/null
wait_until 10 "the event over the secure event stream" "grep -q seen-by-the-monitor '$WORK/watch.json'"
rm "$keys/users/carol.cert"
wait_until 10 "the monitor to be refused" "grep -q 'no longer accepted' '$WORK/watch.json'"
kill_process watch TERM
ok "a key removed is refused at once, on new and established connections alike"

# Wrong keys on the client's side: said plainly
newkey impostor ""
expect_error 1 "secure handshake with the gateway failed" \
    env ZSTORE_CERT="$keys/private/alice.cert_secret" ZSTORE_GATEWAY_KEY="$keys/private/impostor.cert" \
    "$ZS_BIN/zstore" -g "$CLIENT_EP" --timeout 5 ls
expect_error 1 "does it want --secure" "$ZS_BIN/zstore" -g "$CLIENT_EP" -u alice --timeout 5 ls
ok "a wrong gateway key, or no secure mode, fails with a clear error"

# Buckets: only known keys, each under its own id
newkey b4 ""
secure_bucket b4
b4_key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$keys/private/b4.cert")
wait_until 10 "the gateway to log the unknown bucket key" "grep -qF -e '$b4_key' '$WORK/gateway.log'"
[ -z "$(bucket_state b4)" ] || fail "a bucket with an unknown key registered"
wait_until 10 "the bucket to say its key was refused" "grep -q \"refused this bucket's key\" '$WORK/b4.log'"
kill_process b4
expect_error 1 "named 'b1', not after this bucket \(b5\)" \
    "$ZS_BIN/zstore-bucket" --id b5 --gateway "$BUCKET_EP" --data "$WORK/data/b5" --secure \
    --cert "$keys/private/b1.cert_secret" --gateway-key "$keys/private/gateway.cert"
ok "a bucket with an unknown key is refused and logged; a key serves its own bucket id only"

# Administration is for admins
expect_error 1 "alice may not administer" as alice rebalance
as admin rebalance >/dev/null || fail "admin cannot rebalance"
ok "only the gateway's --admins may drain, forget and rebalance"

# Without --secure, only loopback, unless --insecure says otherwise
kill_process gateway
expect_error 1 "not on loopback: without --secure" "$ZS_BIN/zstore-gateway" --clients "tcp://0.0.0.0:${CLIENT_EP##*:}" \
    --buckets "$BUCKET_EP" --events "$EVENT_EP"
expect_error 2 "not on loopback: without --secure" "$ZS_BIN/zstore-bucket" --id b9 \
    --gateway tcp://10.255.255.1:5556 --data "$WORK/data/b9"
[ ! -e "$WORK/data/b9" ] || fail "a refused bucket created its data folder"
MODE=insecure
start_gateway --insecure --clients "tcp://0.0.0.0:${CLIENT_EP##*:}"
grep -q "insecure mode" "$WORK/gateway.log" || fail "the gateway does not say it runs insecure"
ok "without --secure, gateway and buckets stay on loopback unless --insecure; they say so"
