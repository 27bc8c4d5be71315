#!/usr/bin/env bash
# The gateway's index is soft state: after a SIGKILL and a restart with
# nothing on disk it rebuilds from the buckets' inventories, and ls, stat and
# get answer as before. Buckets keep retrying while it is away.
source "$(dirname "$0")/lib.sh"

start_cluster 3
for i in $(seq 1 40); do
    random_file "$WORK/f$i" $((i * 7919))
    ZS_USER=$([ $((i % 2)) = 0 ] && echo alice || echo bob) zs put "$WORK/f$i" "dir$((i % 3))/f$i" -r $((i % 3 + 1)) >/dev/null
done
zs put "$WORK/f1" gone >/dev/null
zs rm gone >/dev/null
for user in alice bob; do
    ZS_USER=$user zs ls --json >"$WORK/ls.$user.before"
    ZS_USER=$user zs ls --json | jq -r '.[].name' | while read -r name; do
        ZS_USER=$user zs stat "$name" --json | jq -c 'del(.buckets)'
    done >"$WORK/stat.$user.before"
done

kill_process gateway
expect_error 1 "no answer from the gateway" zs --timeout 1 ls
start_gateway
wait_until 10 "3 buckets back" test_alive 3
wait_until 10 "the index to be ready" ready
for user in alice bob; do
    ZS_USER=$user zs ls --json >"$WORK/ls.$user.after"
    cmp -s "$WORK/ls.$user.before" "$WORK/ls.$user.after" || fail "$user's ls changed: $(diff "$WORK/ls.$user.before" "$WORK/ls.$user.after")"
    ZS_USER=$user zs ls --json | jq -r '.[].name' | while read -r name; do
        ZS_USER=$user zs stat "$name" --json | jq -c 'del(.buckets)'
    done >"$WORK/stat.$user.after"
    cmp -s "$WORK/stat.$user.before" "$WORK/stat.$user.after" || fail "$user's stat changed"
done
for i in $(seq 1 40); do
    ZS_USER=$([ $((i % 2)) = 0 ] && echo alice || echo bob) zs get "dir$((i % 3))/f$i" -o "$WORK/out"
    cmp -s "$WORK/f$i" "$WORK/out" || fail "f$i differs after the restart"
done
expect_error 1 "no file" zs get gone
ok "ls, stat and get answer as before after SIGKILL and restart of the gateway"

# Down for longer than the buckets' patience: they back off, then come back
kill_process gateway
wait_until 10 "the buckets to notice" 'grep -q "no word from the gateway" "$WORK/b1.log"'
start_gateway
wait_until 15 "3 buckets back after a long absence" test_alive 3
wait_until 10 "the index to be ready" ready
[ "$(ZS_USER=alice zs ls --json)" = "$(cat "$WORK/ls.alice.before")" ] || fail "alice's ls after the second restart"
ok "buckets register again by themselves when the gateway returns"

# A client asking while the index is still being rebuilt waits for it
kill_process gateway
start_gateway --recovery 2000
[ "$(ZS_USER=alice zs ls --json)" = "$(cat "$WORK/ls.alice.before")" ] || fail "ls during recovery"
ok "requests during recovery wait for the index rather than answer 'no file'"
