#!/usr/bin/env bash
# Limits against abuse, each with a clear error and nothing stored: the
# largest file (known in advance, or found out while streaming), files and
# bytes per user, puts and gets in flight per connection, name length.
source "$(dirname "$0")/lib.sh"

start_cluster 2 --max-file-size 1M --quota-files 3 --quota-bytes 2500K --max-transfers 2 \
    --max-name 20
random_file "$WORK/big" 1100000
random_file "$WORK/m" 1000000

expect_error 1 "files may have 1048576 bytes at most" zs put "$WORK/big" big
expect_error 1 "no file" zs stat big
status=0
zs put - streamed <"$WORK/big" >/dev/null 2>"$WORK/err" || status=$?
[ $status = 1 ] && grep -q "1048576 bytes at most" "$WORK/err" || fail "a streamed put over the limit: $(cat "$WORK/err")"
expect_error 1 "no file" zs stat streamed
ok "a file over --max-file-size is refused, also when its size shows only while it streams"

zs put "$WORK/m" one >/dev/null && zs put "$WORK/m" two >/dev/null || fail "puts within the quota"
expect_error 1 "quota is 2560000 bytes; 2000000 are used, 1000000 more asked" zs put "$WORK/m" three
head -c 100 "$WORK/m" >"$WORK/small"
zs put "$WORK/small" three >/dev/null || fail "a small third file within the quota"
expect_error 1 "alice has 3 files, the quota" zs put "$WORK/small" four
zs put "$WORK/small" one >/dev/null || fail "an overwrite when at the file quota"
ZS_USER=bob zs put "$WORK/m" bobs >/dev/null || fail "another user's quota is their own"
zs rm two >/dev/null
zs put "$WORK/small" four >/dev/null || fail "a put after a removal made room"
ok "--quota-files and --quota-bytes hold per user; overwrites and removals are counted"

"$ZS_TOOLS/zs-hostile" transfers "$CLIENT_EP" 2 || fail "the third put in flight was not refused"
ok "a third put in flight on one connection is refused (--max-transfers 2)"

expect_error 1 "names may have 20 bytes at most" zs put "$WORK/small" this-name-is-too-long-for-it
expect_error 1 "names may have 20 bytes at most" zs stat this-name-is-too-long-for-it
ok "names longer than --max-name are refused"
