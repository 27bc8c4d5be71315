# shellcheck shell=bash disable=SC2034 # some variables are for the scripts that source it
# lib.sh - what the docker scripts share: the compose command, the cluster's
# containers and keys, the zstore CLI (the host's build or the cli service),
# waits on conditions with deadlines, clean-up at exit, and the steps the
# two demos have in common. Source it from bash.
#
#   ZSTORE_CLIENT_PORT   host port of the gateway's clients (default 5555)
#   ZSTORE_DEMO_CLI      host or service: which CLI to use (default: the
#                        host's bin/zstore when built, else the cli service)
#   COMPOSE_PROJECT_NAME the compose project (default: from docker/.env)

set -euo pipefail

ZS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ZS_COMPOSE_FILE=$ZS_ROOT/docker/docker-compose.yml
ZS_NAME=${ZS_NAME:-$(basename "$0" .sh)}
ZS_IMAGE=${ZSTORE_IMAGE:-zstore:latest}

say () {
    echo "$ZS_NAME: $*"
}

fail () {
    echo "$ZS_NAME: $*" >&2
    exit 1
}

# no_arguments "$@": --help prints the script's opening comment; any other
# argument is wrong usage
no_arguments () {
    case "${1:-}" in
        "") ;;
        -h | --help)
            awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
            exit 0
            ;;
        *)
            echo "$ZS_NAME: unknown option '$1' (try --help)" >&2
            exit 2
            ;;
    esac
}

# within SECONDS WHAT CONDITION...: wait for CONDITION (a command line, quoted
# to delay substitutions), or fail saying WHAT did not happen in time
within () {
    local limit=$1 what=$2 deadline=$((SECONDS + $1))
    shift 2
    until eval "$*" >/dev/null 2>&1; do
        [ $SECONDS -lt "$deadline" ] || fail "expected $what within ${limit}s, and it did not happen"
        sleep 0.2
    done
}

# A folder of the script's own, and what to undo at exit: at_exit COMMAND
# runs COMMAND (eval'ed) when the script exits, however, the last registered
# first; ZS_STATUS is the exit status, which a command may change
ZS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/zstore-$ZS_NAME.XXXXXX")
ZS_AT_EXIT=()
ZS_STATUS=0
at_exit () {
    ZS_AT_EXIT+=("$*")
}
zs_exit () {
    ZS_STATUS=$?
    trap - EXIT
    local i
    for ((i = ${#ZS_AT_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${ZS_AT_EXIT[i]}" || true
    done
    rm -rf "$ZS_WORK"
    exit "$ZS_STATUS"
}
trap zs_exit EXIT
trap 'exit 130' INT TERM

# docker compose (v2) when the engine's CLI has it, else docker-compose 1.x
compose_find () {
    if docker compose version >/dev/null 2>&1; then
        ZS_COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        ZS_COMPOSE=(docker-compose)
    else
        ZS_COMPOSE=()
    fi
}
compose_find

compose () {
    [ ${#ZS_COMPOSE[@]} -gt 0 ] || fail "neither 'docker compose' nor docker-compose is installed"
    "${ZS_COMPOSE[@]}" -f "$ZS_COMPOSE_FILE" "$@"
}

# container SERVICE: the id of the service's container (running or not)
container () {
    compose ps -a -q "$1" 2>/dev/null | head -n 1
}

running () {
    [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

healthy () {
    [ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null)" = healthy ]
}

# keys_user NAME DIR: user NAME's key pair, made in the compose cluster's
# keys volume when missing (the gateway accepts it at once), and copied to
# DIR with the gateway's public key: DIR/NAME.cert_secret, DIR/gateway.cert
keys_user () {
    mkdir -p "$2"
    compose run --rm --no-deps -T keys keys --user "$1" --export "$1" 2>"$ZS_WORK/keys.log" \
        | tar -x --no-same-owner -C "$2" -f - 2>>"$ZS_WORK/keys.log" \
        && [ -s "$2/$1.cert_secret" ] \
        || fail "cannot get the keys of $1 from the cluster's keys volume: $(tail -n 1 "$ZS_WORK/keys.log")"
    chmod 0600 "$2/$1.cert_secret"
}

# The CLI, as user $ZS_USER with its own key pair: the host's build talks to
# the published port; otherwise a resident container of the cli service runs
# each command (docker exec is much quicker than a container per command)
ZS_CLI=()
ZS_CLI_CONTAINER=''
ZS_CLI_WHERE=''
cli_start () {
    local mode=${ZSTORE_DEMO_CLI:-} out
    if [ -z "$mode" ]; then
        if [ -x "$ZS_ROOT/bin/zstore" ]; then mode=host; else mode=service; fi
    fi
    case $mode in
        host)
            [ -x "$ZS_ROOT/bin/zstore" ] || fail "bin/zstore is missing: run 'make', or set ZSTORE_DEMO_CLI=service"
            keys_user "$ZS_USER" "$ZS_WORK/keys"
            ZS_CLI=("$ZS_ROOT/bin/zstore" -g "tcp://127.0.0.1:${ZSTORE_CLIENT_PORT:-5555}"
                --cert "$ZS_WORK/keys/$ZS_USER.cert_secret" --gateway-key "$ZS_WORK/keys/gateway.cert")
            ZS_CLI_WHERE="the host's bin/zstore"
            ;;
        service)
            out=$(compose run --rm --no-deps -T keys keys --user "$ZS_USER" 2>&1) \
                || fail "cannot make the keys of $ZS_USER: $(echo "$out" | tail -n 1)"
            ZS_CLI_CONTAINER=$ZS_NAME-cli-$$
            at_exit 'docker rm -f "$ZS_CLI_CONTAINER" >/dev/null 2>&1'
            out=$(compose run -d --name "$ZS_CLI_CONTAINER" --entrypoint sleep cli infinity 2>&1) \
                || fail "cannot start the cli service: $(echo "$out" | tail -n 1)"
            ZS_CLI=(docker exec "$ZS_CLI_CONTAINER" zstore --cert "/keys/private/$ZS_USER.cert_secret")
            ZS_CLI_WHERE="the cli service"
            ;;
        *) fail "ZSTORE_DEMO_CLI is '$mode': host or service" ;;
    esac
}

# zs ARGS...: the CLI, as user $ZS_USER; a put may read standard input
zs () {
    local cli=("${ZS_CLI[@]}")
    # Standard input goes to the cli service's container for a put only
    [ -z "$ZS_CLI_CONTAINER" ] || [ "${1:-}" != put ] || cli=(docker exec -i "${cli[@]:2}")
    "${cli[@]}" -u "$ZS_USER" --timeout 5 "$@"
}

# The cluster as the gateway sees it: st JQ-ARGS... runs jq on its status
status_json () {
    zs status --json
}
st () {
    status_json | jq -r "$@"
}

bucket_is () {
    [ "$(st --arg id "$1" '.buckets[] | select(.id == $id) | .state')" = "$2" ]
}

alive_buckets () {
    st '[.buckets[] | select(.state == "alive")] | length'
}

# ready: the gateway's index is complete (not recovering)
ready () {
    [ "$(st .recovering)" = false ]
}

under_replicated () {
    st .under_replicated
}

# Copies the alive buckets hold on disk, in all, as their heartbeats report
copies_held () {
    st '[.buckets[] | select(.state == "alive") | .files] | add // 0'
}

# How long the gateway waits before a silent bucket is dead, in whole seconds
dead_after () {
    st '(.heartbeat_ms * .liveness + 999) / 1000 | floor'
}

# option_of CONTAINER OPTION: the value of an option in the container's command
option_of () {
    docker inspect -f '{{json .Config.Cmd}}' "$1" \
        | jq -r --arg name "$2" 'index($name) as $i | if $i then .[$i + 1] else empty end'
}

# remove_leftovers: remove the files $ZS_USER still has from an earlier run
# that was interrupted, and wait for their copies to go
remove_leftovers () {
    local copies name before
    copies=$(zs ls --json | jq '[.[].replicas.actual] | add // 0')
    [ "$copies" != 0 ] || return 0
    before=$(copies_held)
    zs ls --json | jq -r '.[].name' | while read -r name; do zs rm "$name" </dev/null >/dev/null; done
    within 30 "the files of an earlier run to be removed" '[ "$(copies_held)" -le $((before - copies)) ]'
}

# --- The demos' common steps. Each demo keeps the content of the files it
# stored in $ZS_WORK/files/NAME, and removes NAME there when it removes it.

declare -A cid=()

# demo_start SERVICE...: the compose cluster must be up with these services;
# the CLI starts, the cluster is waited for until whole, and files left by an
# earlier run of the demo are removed. Sets dead (seconds before a silent
# bucket is dead), grace (the repair grace) and base (copies held by others).
# What a demo registers with at_exit after it runs before the demo's files
# are removed on failure (such as starting again what the demo stopped).
demo_start () {
    local service
    command -v jq >/dev/null || fail "jq is missing (apt-get install jq)"
    for service in "$@"; do
        cid[$service]=$(container "$service")
        [ -n "${cid[$service]}" ] && running "${cid[$service]}" \
            || fail "the cluster is not up ($service is not running): docker compose -f docker/docker-compose.yml up -d"
    done
    mkdir -p "$ZS_WORK/files"
    cli_start
    at_exit demo_failed
    within 60 "the gateway to answer" status_json
    within 60 "4 buckets to be alive" '[ "$(alive_buckets)" = 4 ]'
    within 60 "the gateway's index to be ready" ready
    dead=$(dead_after)
    grace=$(option_of "${cid[gateway]}" --repair-grace)
    grace=${grace:-30}
    remove_leftovers
    within $((grace + 60)) "the cluster to be fully replicated" '[ "$(under_replicated)" = 0 ]'
    base=$(copies_held)
    say "a gateway and 4 buckets (b1, b2 in zone z1; b3, b4 in z2) are up, in secure mode; a silent bucket is dead after ${dead} s, repaired after ${grace} s more; the CLI is $ZS_CLI_WHERE, with the key pair of user $ZS_USER"
}

# demo_store COUNT BYTES: files file1 to fileCOUNT, of BYTES times their
# number, stored with 3 copies each; sets victim, a bucket that holds file1
demo_store () {
    local i
    for i in $(seq 1 "$1"); do demo_put "file$i" $((i * $2)); done
    with_copies 3 || fail "not every file has 3 copies"
    say "stored $1 files ($(($2 / 1000)) KB to $(($1 * $2 / 1000)) KB) with 3 copies each"
    victim=$(zs stat file1 --json | jq -r '.buckets[0]')
}

# On failure: the gateway's last lines, and the demo's files removed
demo_failed () {
    [ "$ZS_STATUS" -ne 0 ] || return 0
    echo "$ZS_NAME: FAILED; last lines of the gateway's log:" >&2
    docker logs --tail 5 "${cid[gateway]:-none}" >&2 2>&1 || true
    local file
    for file in "$ZS_WORK"/files/*; do
        [ -e "$file" ] && zs rm "${file##*/}" >/dev/null 2>&1 || true
    done
}

# demo_put NAME BYTES: store NAME with 3 copies, BYTES of random content
demo_put () {
    head -c "$2" /dev/urandom >"$ZS_WORK/files/$1"
    zs put - "$1" -r 3 <"$ZS_WORK/files/$1" >/dev/null
}

demo_rm () {
    zs rm "$1" >/dev/null
    rm "$ZS_WORK/files/$1"
}

# demo_files: the names of the files the demo has stored
demo_files () {
    local file
    for file in "$ZS_WORK"/files/*; do
        [ ! -e "$file" ] || echo "${file##*/}"
    done
}

all_readable () {
    local name
    for name in $(demo_files); do
        zs get "$name" >"$ZS_WORK/read" && cmp -s "$ZS_WORK/files/$name" "$ZS_WORK/read" || return 1
    done
}

# with_copies N: every file of the demo has N live copies
with_copies () {
    [ "$(zs ls --json | jq --argjson n "$1" '[.[] | select(.replicas.actual == $n)] | length')" \
        = "$(demo_files | wc -l)" ]
}

# trimmed: the buckets hold 3 copies of each of the demo's files, no more
trimmed () {
    [ "$(copies_held)" = $((base + $(demo_files | wc -l) * 3)) ]
}

# demo_end: the demo's files removed, and their copies on disk
demo_end () {
    local name
    for name in $(demo_files); do demo_rm "$name"; done
    within 30 "the copies to be deleted" '[ "$(copies_held)" = "$base" ]'
    say "removed the demo's files, and their copies on disk; every step happened as expected"
}
