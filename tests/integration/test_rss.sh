#!/usr/bin/env bash
# Memory stays flat as files grow: a 1 GiB put with 3 replicas does not raise
# the peak RSS of the gateway or of any bucket above 64 MiB.
source "$(dirname "$0")/lib.sh"

start_cluster 3
head -c 1073741824 /dev/urandom >"$WORK/big"
checksum=$(b2sum -l 256 "$WORK/big" | cut -d' ' -f1)
zs --timeout 60 put "$WORK/big" big -r 3 >/dev/null || fail "1 GiB put"
peak () {
    awk '/VmHWM/ { print $2 }' "/proc/$1/status"
}
limit=$((64 * 1024))
report=""
for name in gateway b1 b2 b3; do
    kb=$(peak "${PIDS[$name]}")
    report="$report $name=$((kb / 1024))MiB"
    if [ -z "${ZS_SANITIZE:-}" ]; then
        [ "$kb" -lt "$limit" ] || fail "$name peaked at $kb kB during a 1 GiB put"
    fi
done
ok "peak RSS during a 1 GiB put:$report"
[ "$(zs stat big --json | jq -r .checksum)" = "$checksum" ] || fail "checksum of the 1 GiB file"
rm -f "$WORK/big"
zs --timeout 60 get big | b2sum -l 256 | grep -q "^$checksum " || fail "1 GiB get differs"
ok "the 1 GiB file comes back intact"
