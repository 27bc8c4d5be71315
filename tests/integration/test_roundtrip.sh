#!/usr/bin/env bash
# Files of 0 B to 100 MiB, random bytes, with 1, 2 and 3 replicas on 3
# buckets: back byte for byte, with the right checksum, and on exactly N
# buckets' disks. Also standard input and output.
source "$(dirname "$0")/lib.sh"

start_cluster 3

for size in 0 1 4096 1048576 1048577 104857600; do
    random_file "$WORK/in" "$size"
    checksum=$(b2sum -l 256 "$WORK/in" | cut -d' ' -f1)
    for replicas in 1 2 3; do
        name="sizes/$size-r$replicas"
        zs put "$WORK/in" "$name" -r "$replicas" >/dev/null || fail "put $name"
        zs get "$name" -o "$WORK/out" || fail "get $name"
        cmp -s "$WORK/in" "$WORK/out" || fail "$name came back different"
        stat=$(zs stat "$name" --json)
        [ "$(jq -r .size <<<"$stat")" = "$size" ] || fail "$name: stat size $stat"
        [ "$(jq -r .checksum <<<"$stat")" = "$checksum" ] || fail "$name: stat checksum"
        [ "$(jq -r .replicas.desired <<<"$stat")" = "$replicas" ] || fail "$name: desired $stat"
        [ "$(jq -r .replicas.actual <<<"$stat")" = "$replicas" ] || fail "$name: actual $stat"
        [ "$(jq '.buckets | length' <<<"$stat")" = "$replicas" ] || fail "$name: buckets $stat"
        [ "$(copies_on_disk "$ZS_USER" "$name")" = "$replicas" ] || fail "$name: copies on disk"
    done
    ok "$size bytes with 1, 2 and 3 replicas"
done

random_file "$WORK/in" 3000000
zs put - piped <"$WORK/in" >/dev/null || fail "put from standard input"
zs get piped >"$WORK/out" || fail "get to standard output"
cmp -s "$WORK/in" "$WORK/out" || fail "standard input to standard output differs"
[ "$(copies_on_disk "$ZS_USER" piped)" = 2 ] || fail "default replica count is not 2"
ok "standard input and output, default of 2 replicas"

# A pipe (or a device) named by -o is written into, never replaced
mkfifo "$WORK/pipe"
cat "$WORK/pipe" >"$WORK/from-pipe" &
PIDS[reader]=$!
zs get piped -o "$WORK/pipe" || fail "get into a named pipe"
wait "${PIDS[reader]}" || fail "the pipe's reader failed"
unset 'PIDS[reader]'
[ -p "$WORK/pipe" ] || fail "the named pipe was replaced by a file"
cmp -s "$WORK/in" "$WORK/from-pipe" || fail "what came through the pipe differs"
ok "get -o into a named pipe writes through it"

# The output's name may be as long as the file system allows, and a new
# file gets the permissions the umask leaves
long=$(printf 'n%.0s' $(seq 1 250))
zs put "$WORK/in" "deep/$long" >/dev/null || fail "put of a 250-byte last segment"
(umask 027 && zs get "deep/$long" -o "$WORK/$long") || fail "get into a 250-byte file name"
cmp -s "$WORK/in" "$WORK/$long" || fail "the file with a long name differs"
[ "$(stat -c %a "$WORK/$long")" = 640 ] || fail "umask 027 gave $(stat -c %a "$WORK/$long")"
zs get "deep/$long" piped -o "$WORK/many" || fail "multi-get of a 250-byte last segment"
cmp -s "$WORK/in" "$WORK/many/deep/$long" || fail "the long name got by multi-get differs"
[ -z "$(find "$WORK" -name '.zstore-*')" ] || fail "temporary files left behind"
ok "outputs with 250-byte names, permissions from the umask"

zs put "$WORK/in" >/dev/null || fail "put without a name"
zs stat in >/dev/null || fail "the name defaults to the base name"
ok "name defaults to the file's base name"

name='photos/2024/été 日本.jpg'
zs put "$WORK/in" "$name" >/dev/null || fail "put of a UTF-8 name with slashes"
zs get "$name" -o "$WORK/out" && cmp -s "$WORK/in" "$WORK/out" || fail "get of a UTF-8 name"
zs ls --json | jq -e --arg n "$name" 'map(.name) | index($n) != null' >/dev/null \
    || fail "ls does not show $name"
ok "UTF-8 names with '/'"

# Each bucket's writing disk worker runs at nice 10, so that bulk writes
# yield the CPU to the network thread and the readers; nothing else does.
# (Tests run at a nice value below 10, as the bucket then sets 10.)
nice_of () {
    sed 's/^.*) //' "$1" | awk '{ print $17 }'
}
base=$(nice_of /proc/$$/stat)
if [ "$base" -lt 10 ]; then
    for bucket in b1 b2 b3; do
        others=0 niced=0
        for stat in /proc/"${PIDS[$bucket]}"/task/*/stat; do
            case $(nice_of "$stat") in
                "$base") others=$((others + 1)) ;;
                10) niced=$((niced + 1)) ;;
                *) fail "$bucket: a thread at nice $(nice_of "$stat")" ;;
            esac
        done
        [ "$niced" = 1 ] && [ "$others" -gt 1 ] || fail "$bucket: $niced threads at nice 10, $others at $base"
    done
    ok "one thread of each bucket, its writer, runs at nice 10"
fi
