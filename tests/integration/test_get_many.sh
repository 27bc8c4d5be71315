#!/usr/bin/env bash
# Several files at once: `zstore get NAME... -o FOLDER` keeps many gets in
# flight on one connection, each file whole and verified at FOLDER/NAME. A
# missing file fails alone; a bucket killed in the middle loses nothing.
source "$(dirname "$0")/lib.sh"

start_cluster 3

names=()
for i in $(seq 1 30); do
    case $((i % 5)) in
        0) size=0 ;;
        1) size=1 ;;
        2) size=4096 ;;
        3) size=70000 ;;
        4) size=$((3 * 1048576 + 17)) ;;
    esac
    random_file "$WORK/in$i" "$size"
    zs put "$WORK/in$i" "set/$((i % 3))/f$i" -r 2 >/dev/null || fail "put f$i"
    names+=("set/$((i % 3))/f$i")
done

same_files () {
    for i in $(seq 1 30); do
        cmp -s "$WORK/in$i" "$1/set/$((i % 3))/f$i" || return 1
    done
}
zs get "${names[@]}" -o "$WORK/out" -j 8 || fail "get of 30 files"
same_files "$WORK/out" || fail "a file came back different"
[ -z "$(find "$WORK/out" -name '.zstore-*')" ] || fail "temporary files left behind"
ok "30 files of 0 B to 3 MiB, 8 in flight, into their folders"

zs get "${names[@]}" -o "$WORK/one/two" -j 1 || fail "get of 30 files one at a time"
same_files "$WORK/one/two" || fail "a file came back different, one at a time"
ok "one in flight at a time, into a folder made with its parent"

mkdir -p "$WORK/partial/empty"
too_long="long/$(printf 'L%.0s' $(seq 300))/missing"
expect_status 1 zs get set/1/f1 set/none/missing set/2/f2 empty/deep/er/missing \
    shared/a/missing shared/b/missing "$too_long" -o "$WORK/partial"
grep -q "set/none/missing" "$WORK/last.err" || fail "the missing file is not named: $(cat "$WORK/last.err")"
grep -q "5 of 7 files failed" "$WORK/last.err" || fail "no summary: $(cat "$WORK/last.err")"
cmp -s "$WORK/in1" "$WORK/partial/set/1/f1" && cmp -s "$WORK/in2" "$WORK/partial/set/2/f2" \
    || fail "the files that exist were not got"
[ ! -e "$WORK/partial/set/none" ] || fail "a missing file left its folder"
[ ! -e "$WORK/partial/empty/deep" ] || fail "a missing file left the folders made for it"
[ ! -e "$WORK/partial/shared" ] || fail "two missing files left the folder made for both"
[ ! -e "$WORK/partial/long" ] || fail "a name too long for the file system left a folder"
[ -d "$WORK/partial/empty" ] || fail "a failed get removed a folder it did not make"
[ -z "$(find "$WORK/partial" -name '.zstore-*')" ] || fail "temporary files left behind"
ok "a missing file fails alone, is named, and leaves no folder made for it"

mkfifo "$WORK/partial/set/1/f4"
expect_status 1 zs get set/1/f4 set/2/f2 -o "$WORK/partial"
grep -q "is not a regular file" "$WORK/last.err" || fail "no reason: $(cat "$WORK/last.err")"
[ -p "$WORK/partial/set/1/f4" ] || fail "a named pipe in the folder was replaced"
ok "a name whose place holds a pipe fails alone, the pipe left as it was"

expect_error 2 "several files need -o" zs get set/1/f1 set/2/f2
expect_error 2 "bad name" zs get set/1/f1 /absolute -o "$WORK/bad"
expect_error 2 "parallel" zs get set/1/f1 set/2/f2 -o "$WORK/bad" -j 0
[ ! -e "$WORK/bad" ] || fail "a refused command made its folder"
ok "bad usage is refused before anything is fetched"

# Larger files, so that the gets are still running when a bucket dies: the
# gateway takes each from the other copy
big=()
for i in $(seq 1 12); do
    random_file "$WORK/big$i" $((8 * 1048576))
    zs put "$WORK/big$i" "big/f$i" -r 2 >/dev/null || fail "put big/f$i"
    big+=("big/f$i")
done
victim=$(holders "$ZS_USER" big/f12 | cut -d" " -f1)
[ -n "$victim" ] || fail "big/f12 is on no bucket"

# get_big_while WHAT COMMAND...: gets the 12 files, 4 in flight, runs
# COMMAND once the first is in, and checks that every file came back whole
get_big_while () {
    local what=$1
    shift
    rm -rf "$WORK/big"
    zs --timeout 30 get "${big[@]}" -o "$WORK/big" -j 4 2>"$WORK/big.err" &
    PIDS[getter]=$!
    wait_until 20 "the first file to arrive" '[ -e "$WORK/big/big/f1" ]'
    "$@"
    wait "${PIDS[getter]}" || fail "get with $what: $(cat "$WORK/big.err")"
    unset "PIDS[getter]"
    for i in $(seq 1 12); do
        cmp -s "$WORK/big$i" "$WORK/big/big/f$i" || fail "big/f$i came back different with $what"
    done
    ok "$what in the middle: all 12 files came back whole"
}
get_big_while "$victim killed" kill_process "$victim"

# The gateway killed and started again in the middle: the gets cut off go
# again, one at a time, on a new connection
restart_gateway () {
    kill_process gateway
    start_gateway
}
get_big_while "the gateway restarted" restart_gateway

# A get cut off after part of its output was written goes again from where
# its output began: the client is held still once the output has bytes, the
# gateway is killed and started again, and the client, let go, finds its
# connection broken
huge_size=$((160 * 1048576))
random_file "$WORK/huge" "$huge_size"
zs put "$WORK/huge" big/huge -r 2 >/dev/null || fail "put big/huge"
# partial_output FOLDER: the output of big/huge there holds part of it
# (more than any other file got beside it, big/f1, which has 8 MiB)
partial_output () {
    local size
    size=$(find "$1" -name '.zstore-*' -size +8M -printf '%s\n' 2>/dev/null | head -1)
    [ -n "$size" ] && [ "$size" -lt "$huge_size" ]
}
# cut_get_off FOLDER COMMAND...: runs the get COMMAND in the background and
# cuts it off once a temporary output in FOLDER holds part of the file
cut_get_off () {
    local folder=$1
    shift
    mkdir -p "$folder"
    "$@" 2>"$WORK/cut.err" &
    PIDS[getter]=$!
    wait_until 30 "part of the output to be written" partial_output "$folder"
    freeze getter
    partial_output "$folder" || fail "the output was whole before the get was cut off"
    restart_gateway
    thaw getter
    wait "${PIDS[getter]}" || fail "the get cut off failed: $(cat "$WORK/cut.err")"
    unset "PIDS[getter]"
}
cut_get_off "$WORK/cut1" zs --timeout 30 get big/huge -o "$WORK/cut1/huge"
cmp -s "$WORK/huge" "$WORK/cut1/huge" || fail "the get cut off came back different"
cut_get_off "$WORK/cut2" zs --timeout 30 get big/huge big/f1 -o "$WORK/cut2" -j 2
cmp -s "$WORK/huge" "$WORK/cut2/big/huge" && cmp -s "$WORK/big1" "$WORK/cut2/big/f1" \
    || fail "the gets cut off came back different"
[ -z "$(find "$WORK/cut1" "$WORK/cut2" -name '.zstore-*')" ] || fail "temporary files left behind"
ok "gets cut off after part of their output was written go again from its start"
