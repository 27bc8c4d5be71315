#!/usr/bin/env bash
# Overwriting is atomic: readers running meanwhile get the old content or the
# new, never a mix; versions only grow, also across a gateway restart; old
# versions' copies are deleted once the new one is stored.
source "$(dirname "$0")/lib.sh"

start_cluster 3
random_file "$WORK/v0" 6000000
random_file "$WORK/v1" 6000000
zs put "$WORK/v0" doc >/dev/null || fail "first put"
first=$(zs stat doc --json | jq .version)

reader () {
    local id=$1 reads=0
    while [ ! -e "$WORK/stop" ]; do
        zs get doc -o "$WORK/read$id" || { echo "get failed" >"$WORK/reader$id.err"; return; }
        if ! cmp -s "$WORK/read$id" "$WORK/v0" && ! cmp -s "$WORK/read$id" "$WORK/v1"; then
            cp "$WORK/read$id" "$WORK/mixed$id"
            echo "read content that was never written" >"$WORK/reader$id.err"
            return
        fi
        reads=$((reads + 1))
    done
    echo $reads >"$WORK/reader$id.count"
}

for id in 1 2 3; do reader $id & PIDS[reader$id]=$!; done
previous=$first
for round in 1 2 3 4 5 6; do
    zs put "$WORK/v$((round % 2))" doc >/dev/null || fail "overwrite $round"
    version=$(zs stat doc --json | jq .version)
    [ "$version" -gt "$previous" ] || fail "version did not grow: $previous then $version"
    previous=$version
done
touch "$WORK/stop"
for id in 1 2 3; do wait "${PIDS[reader$id]}"; unset "PIDS[reader$id]"; done
for id in 1 2 3; do
    [ ! -e "$WORK/reader$id.err" ] || fail "reader $id: $(cat "$WORK/reader$id.err")"
    [ "$(cat "$WORK/reader$id.count")" -gt 0 ] || fail "reader $id read nothing"
done
zs get doc -o "$WORK/final" && cmp -s "$WORK/final" "$WORK/v0" || fail "last write lost"
ok "6 overwrites under 3 readers: every read whole, versions growing"

key=$("$ZS_TOOLS/zs-key" "$ZS_USER" doc)
version_files () {
    find "$WORK/data" -name "$key.*" -path '*/objects/*' | wc -l
}
wait_until 10 "old versions to be deleted" 'test "$(version_files)" = 2'
ok "old versions' copies are deleted"

kill_process gateway
start_gateway
wait_until 10 "3 buckets back" test_alive 3
wait_until 10 "the index to be ready" ready
[ "$(zs stat doc --json | jq .version)" = "$previous" ] || fail "version changed across the restart"
zs put "$WORK/v1" doc >/dev/null || fail "put after restart"
[ "$(zs stat doc --json | jq .version)" -gt "$previous" ] || fail "version after restart did not grow"
ok "versions keep growing across a gateway restart"
