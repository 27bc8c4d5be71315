#!/usr/bin/env bash
# Wrong usage exits 2, failed operations exit 1, each with one clear line on
# stderr; refused input stores nothing anywhere.
source "$(dirname "$0")/lib.sh"

for program in zstore zstore-gateway zstore-bucket; do
    "$ZS_BIN/$program" --help | grep -q usage || fail "$program --help"
done
for command in put get ls stat rm replicas status; do
    "$ZS_BIN/zstore" "$command" --help | grep -q "usage: zstore" || fail "zstore $command --help"
    "$ZS_BIN/zstore" "$command" -h | grep -q "usage: zstore" || fail "zstore $command -h"
done
ok "every program and command answers --help"

expect_error 2 "unknown command" zs frobnicate
expect_error 2 "no command" zs
expect_error 2 "unknown option" zs --frob status
expect_error 2 "unknown option" zs status --frob
expect_error 2 "-r must be 1 to 16" zs put /etc/hostname -r 0
expect_error 2 "-r must be 1 to 16" zs put /etc/hostname -r 17
expect_error 2 "-r must be 1 to 16" zs put /etc/hostname -r two
expect_error 2 "missing" zs get
expect_error 2 "too many" zs stat a b
expect_error 2 "N must be 1 to 16" zs replicas a 0
expect_error 2 "bad user" "$ZS_BIN/zstore" -g "$CLIENT_EP" -u "../root" ls
expect_error 2 "timeout" zs --timeout 0 ls
expect_error 2 "standard input" zs put -
expect_error 2 "required" "$ZS_BIN/zstore-bucket" --id b1
expect_error 2 "bad bucket id" "$ZS_BIN/zstore-bucket" --id "../b" --gateway "$BUCKET_EP" --data "$WORK/x"
expect_error 2 "unexpected argument" "$ZS_BIN/zstore-gateway" extra
expect_error 2 "liveness" "$ZS_BIN/zstore-gateway" --liveness 0
ok "wrong usage exits 2"

expect_error 1 "no answer from the gateway" zs --timeout 1 status
expect_error 1 "no answer from the gateway" zs --timeout 1 ls
ok "an unreachable gateway exits 1"

start_cluster 3
random_file "$WORK/in" 5000

refused=("" "/abs" "a//b" "a/" "." ".." "a/./b" "a/../b" "../x" $'bad\x01name' $'tab\tname'
    "$(printf 'n%.0s' {1..1025})")
for name in "${refused[@]}"; do
    expect_error 2 "bad name" zs put "$WORK/in" "$name"
    expect_error 2 "bad name" zs get "$name"
done
[ "$(find "$WORK/data" -path '*/objects/*' -type f | wc -l)" = 0 ] || fail "a refused name left a copy"
zs put "$WORK/in" "$(printf 'n%.0s' {1..1024})" >/dev/null || fail "a 1024-byte name is refused"
ok "refused names exit 2 and store nothing"

expect_error 1 "no file 'missing'" zs get missing
expect_error 1 "no file 'missing'" zs stat missing
expect_error 1 "no file 'missing'" zs rm missing
expect_error 1 "no file 'missing'" zs replicas missing 2
expect_error 1 "cannot read" zs put "$WORK/does-not-exist" x
expect_error 1 "directory" zs put "$WORK" x
ok "missing files exit 1"

expect_error 1 "4 replicas need 4 live buckets" zs put "$WORK/in" toomany -r 4
expect_error 1 "no file" zs stat toomany
[ "$(copies_on_disk "$ZS_USER" toomany)" = 0 ] || fail "a refused put left copies"
zs put "$WORK/in" three -r 3 >/dev/null || fail "put -r 3"
expect_error 1 "4 replicas need 4 live buckets" zs replicas three 4
[ "$(zs stat three --json | jq .replicas.desired)" = 3 ] || fail "a refused change changed the count"
ok "more replicas than live buckets: a clear error, nothing changed"

mkdir -p "$WORK/readonly" && chmod 0555 "$WORK/readonly"
if [ "$(id -u)" != 0 ]; then
    expect_error 1 "cannot write" zs get three -o "$WORK/readonly/out"
fi
zs get three -o "$WORK/out" && cmp -s "$WORK/in" "$WORK/out" || fail "get -o"
expect_error 1 "no file" zs get missing -o "$WORK/never"
[ ! -e "$WORK/never" ] || fail "a failed get left its output file"
[ -z "$(find "$WORK" -maxdepth 1 -name '.zstore-*')" ] || fail "a failed get left a temporary file"
ok "get -o writes the file only when it is complete"

expect_error 1 "in use by another bucket" "$ZS_BIN/zstore-bucket" --id b1 --gateway "$BUCKET_EP" --data "$WORK/data/b1"
expect_error 1 "belongs to bucket 'b1'" "$ZS_BIN/zstore-bucket" --id b9 --gateway "$BUCKET_EP" --data "$WORK/data/b1"
ok "a data folder serves one bucket, of one id"

# A second bucket claiming a live id, with a folder of its own
start_bucket imposter "" --id b1
wait_until 10 "the gateway to refuse the second b1" 'grep -q "refused a second bucket claiming this live id" "$WORK/gateway.log"'
bucket_is b1 alive || fail "the live b1 was displaced"
grep -q "refused us" "$WORK/imposter.log" || fail "the second b1 did not log its refusal"
ok "a second bucket claiming a live id is refused"
