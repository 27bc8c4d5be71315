#!/usr/bin/env bash
# scripts/demo-failover.sh runs as a test: it checks each of its steps itself
# and exits non-zero when one does not happen.
source "$(dirname "$0")/lib.sh"

status=0
ZS_BIN="$ZS_BIN" TMPDIR="$WORK" scripts/demo-failover.sh --keep >"$WORK/demo.out" 2>&1 || status=$?
cat "$WORK/demo.out"
[ $status = 0 ] || fail "the demo exited $status"
for step in "killed bucket" "read all 8 files back" "declared .* dead" "every file has 3 live copies" \
    "extra ones were trimmed" "killed the gateway" "rebuilt its index" "every step happened"; do
    grep -q "^demo: .*$step" "$WORK/demo.out" || fail "the demo did not narrate: $step"
done
# Its processes' logs, for the sanitizers
for log in "$WORK"/zstore-demo.*/*.log; do cp "$log" "$WORK/demo-$(basename "$log")"; done
ok "the failover demo passes every step"
