#!/usr/bin/env bash
# The gateway answers gets of small files from its cache, without asking a
# bucket, and never with a version other than the current one: an overwrite
# is read back new, a removed file is gone, a large file is always read
# from a bucket, and with --cache 0 every get goes to a bucket.
source "$(dirname "$0")/lib.sh"

# The buckets log every message (-v): the FETCHes they get are counted
fetches () {
    cat "$WORK"/b*.log | grep -c "FETCH\b" || true
}

start_gateway
for i in 1 2 3; do start_bucket "b$i" "" -v; done
wait_until 10 "3 buckets alive" test_alive 3
wait_until 10 "the index to be ready" ready

echo "first version" >"$WORK/small"
zs put "$WORK/small" notes -r 2 >/dev/null || fail "put notes"
before=$(fetches)
for _ in 1 2 3; do
    zs get notes -o "$WORK/out" && cmp -s "$WORK/small" "$WORK/out" || fail "get notes"
done
[ "$(fetches)" = "$before" ] || fail "a get of a file just put went to a bucket ($before, then $(fetches) fetches)"
ok "gets of a small file just put come from the gateway's cache"

echo "second version, longer" >"$WORK/small2"
zs put "$WORK/small2" notes -r 2 >/dev/null || fail "overwrite notes"
zs get notes -o "$WORK/out" && cmp -s "$WORK/small2" "$WORK/out" || fail "the overwrite reads back old"
zs rm notes >/dev/null || fail "rm notes"
expect_error 1 "no file" zs get notes -o "$WORK/out"
ok "an overwrite reads back new, a removed file is gone"

random_file "$WORK/large" 100000
zs put "$WORK/large" large -r 2 >/dev/null || fail "put large"
before=$(fetches)
zs get large -o "$WORK/out" && cmp -s "$WORK/large" "$WORK/out" || fail "get large"
[ "$(fetches)" -gt "$before" ] || fail "a file over 64K did not come from a bucket"
ok "a file over 64K comes from a bucket"

kill_process gateway
start_gateway --cache 0
wait_until 10 "3 buckets alive again" test_alive 3
wait_until 10 "the index to be ready again" ready
echo "kept?" >"$WORK/small3"
zs put "$WORK/small3" other -r 1 >/dev/null || fail "put other"
before=$(fetches)
zs get other -o "$WORK/out" && cmp -s "$WORK/small3" "$WORK/out" || fail "get other"
zs get other -o "$WORK/out" && cmp -s "$WORK/small3" "$WORK/out" || fail "get other again"
[ "$(fetches)" -ge $((before + 2)) ] || fail "with --cache 0, gets did not go to a bucket"
ok "with --cache 0 every get goes to a bucket"
