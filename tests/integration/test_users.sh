#!/usr/bin/env bash
# Each user has a namespace of their own: no command of one user lists,
# reads, changes or removes another's files.
source "$(dirname "$0")/lib.sh"

start_cluster 3
echo "alice's secret" >"$WORK/alice"
echo "bob's own" >"$WORK/bob"

ZS_USER=alice zs put "$WORK/alice" shared.txt >/dev/null
ZS_USER=alice zs put "$WORK/alice" alice-only.txt >/dev/null
ZS_USER=bob zs put "$WORK/bob" shared.txt >/dev/null

[ "$(ZS_USER=alice zs get shared.txt)" = "alice's secret" ] || fail "alice reads her shared.txt"
[ "$(ZS_USER=bob zs get shared.txt)" = "bob's own" ] || fail "bob reads his shared.txt"
[ "$(ZS_USER=bob zs ls --json | jq -c 'map(.name)')" = '["shared.txt"]' ] || fail "bob lists: $(ZS_USER=bob zs ls --json)"
[ "$(ZS_USER=alice zs ls --json | jq -c 'map(.name)')" = '["alice-only.txt","shared.txt"]' ] || fail "alice lists"
ok "same name, two users, two files; each lists only their own"

ZS_USER=bob expect_error 1 "no file" zs get alice-only.txt
ZS_USER=bob expect_error 1 "no file" zs stat alice-only.txt
ZS_USER=bob expect_error 1 "no file" zs rm alice-only.txt
ZS_USER=bob expect_error 1 "no file" zs replicas alice-only.txt 3
ZS_USER=bob zs rm shared.txt >/dev/null || fail "bob removes his shared.txt"
[ "$(ZS_USER=alice zs get shared.txt)" = "alice's secret" ] || fail "bob's rm touched alice's file"
[ "$(ZS_USER=alice zs stat alice-only.txt --json | jq .replicas.desired)" = 2 ] || fail "alice's count changed"
ok "bob cannot read, change or remove alice's files"

ZSTORE_USER=carol "$ZS_BIN/zstore" -g "$CLIENT_EP" put "$WORK/bob" c.txt >/dev/null
[ "$(ZSTORE_USER=carol "$ZS_BIN/zstore" -g "$CLIENT_EP" ls --json | jq -r '.[0].name')" = c.txt ] || fail "ZSTORE_USER"
ZSTORE_GATEWAY="$CLIENT_EP" "$ZS_BIN/zstore" -u carol stat c.txt >/dev/null || fail "ZSTORE_GATEWAY"
ok "ZSTORE_USER and ZSTORE_GATEWAY choose the user and gateway"
