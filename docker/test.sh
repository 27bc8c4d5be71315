#!/usr/bin/env bash
# make test-docker: the Docker side of zstore, end to end, as a test.
#
#   1. installs docker.io, docker-compose and jq with apt-get when missing
#   2. starts dockerd when no engine runs (and stops it at the end)
#   3. makes sure of the base image (docker/base-image.sh), builds zstore:latest
#   4. brings the compose cluster up in secure mode and waits for every
#      health check; the host's CLI (with a key pair from docker/keys.sh)
#      and the cli service store files; both read them back after down and
#      up; a key removed is refused
#   5. runs docker/demo-failover.sh and docker/demo-partition.sh
#   6. tears the cluster down with its volumes, also on failure
#   7. deploys docker/stack.yml on a single-node swarm (docker/test-swarm.sh)
#
# The cluster is a compose project of its own (zstoretest) on free ports, so
# a cluster already running here is left alone. Exit status 0 when all passed.
#
#   ZSTORE_OFFLINE=1   do not try to pull the base image: build it here
set -euo pipefail
cd "$(dirname "$0")/.."
ZS_NAME=test-docker
# shellcheck source=docker/lib.sh
source docker/lib.sh
no_arguments "$@"
started=$SECONDS
dockerd_pid='' cluster_up=''

as_root () {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        fail "'$*' needs root"
    fi
}

# apt_install PACKAGE...: with apt-get, quietly, saying what failed
apt_install () {
    say "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "$@"; } \
        >"$ZS_WORK/apt.log" 2>&1 || { tail -n 5 "$ZS_WORK/apt.log" >&2; fail "apt-get install $* failed"; }
}

# A TCP port no socket uses, from /proc (no other tool needed), below the
# range the kernel gives outgoing connections: a port in that range may be
# taken by a connection at any moment, and the gateway's then fails to bind
free_port () {
    local low port hex
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
    [ "${low:-0}" -gt 11000 ] || low=32768
    while :; do
        port=$((10000 + RANDOM % (low - 10000)))
        hex=$(printf '%04X' $port)
        awk '{ print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null \
            | grep -qi ":$hex\$" || { echo $port; return; }
    done
}

# At exit, in this order: the cluster down with its volumes, the engine
# stopped if the test started it, and the verdict
verdict () {
    if [ "$ZS_STATUS" -eq 0 ]; then
        say "PASS ($((SECONDS - started)) s)"
    else
        echo "test-docker: FAIL ($((SECONDS - started)) s)" >&2
    fi
}
stop_dockerd () {
    [ -n "$dockerd_pid" ] || return 0
    # As the engine started for the test: stop it, and wait until it has
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    local deadline=$((SECONDS + 60))
    while kill -0 "$dockerd_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
    say "stopped the docker engine started for the test"
}
cluster_down () {
    [ -n "$cluster_up" ] || return 0
    if [ "$ZS_STATUS" -ne 0 ]; then
        echo "test-docker: the cluster's containers:" >&2
        compose ps >&2 2>&1 || true
    fi
    compose down -v --remove-orphans >"$ZS_WORK/down.log" 2>&1 \
        || { echo "test-docker: compose down failed: $(tail -n 1 "$ZS_WORK/down.log")" >&2; ZS_STATUS=1; }
}
at_exit verdict
at_exit stop_dockerd
at_exit cluster_down

# 1. What is missing, by command rather than package: an engine from
# another source (docker-ce, compose v2) serves as well
missing=()
docker info >/dev/null 2>&1 || command -v dockerd >/dev/null || missing+=(docker.io)
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v jq >/dev/null || missing+=(jq)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
compose_find
[ ${#ZS_COMPOSE[@]} -gt 0 ] || fail "no docker compose after installing it"

# 2. The engine
if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || fail "no docker engine runs, and starting one needs root"
    # In a session of its own, so that a Ctrl-C meant for the test does not
    # reach it: the test stops it, in order, at the end
    setsid dockerd >"$ZS_WORK/dockerd.log" 2>&1 &
    dockerd_pid=$!
    deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
        if ! kill -0 "$dockerd_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            tail -n 5 "$ZS_WORK/dockerd.log" >&2
            fail "dockerd did not start"
        fi
        sleep 0.2
    done
    say "started a docker engine (dockerd $(docker version -f '{{.Server.Version}}'))"
fi

# 3. The images
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1 && ! command -v debootstrap >/dev/null; then
    # In case the base image cannot be pulled; small, and quicker than a failed pull
    apt_install debootstrap
fi
docker/base-image.sh
build_from=$SECONDS
docker build -f docker/Dockerfile -t "$ZS_IMAGE" . >"$ZS_WORK/build.log" 2>&1 \
    || { tail -n 20 "$ZS_WORK/build.log" >&2; fail "docker build failed"; }
# The build stage tagged too (from the cache), so that it stays the cache of
# the next build when the images of earlier builds, now untagged, are removed
docker build -q --target build -f docker/Dockerfile -t zstore-build:latest . >"$ZS_WORK/build.log" 2>&1 \
    || { tail -n 20 "$ZS_WORK/build.log" >&2; fail "docker build --target build failed"; }
docker image prune -f --filter label=org.zstore.image >/dev/null
size=$(docker image inspect -f '{{.Size}}' "$ZS_IMAGE")
say "built $ZS_IMAGE in $((SECONDS - build_from)) s: $((size / 1000000)) MB"

# 4. The compose cluster, with quick heartbeats, repair and health checks
export COMPOSE_PROJECT_NAME=zstoretest
export ZSTORE_HEARTBEAT=250 ZSTORE_LIVENESS=4 ZSTORE_REPAIR_GRACE=2 ZSTORE_HEALTH_INTERVAL=2s
ZSTORE_CLIENT_PORT=$(free_port)
ZSTORE_EVENTS_PORT=$(free_port)
while [ "$ZSTORE_EVENTS_PORT" = "$ZSTORE_CLIENT_PORT" ]; do ZSTORE_EVENTS_PORT=$(free_port); done
export ZSTORE_CLIENT_PORT ZSTORE_EVENTS_PORT
unset ZSTORE_USER ZSTORE_CERT ZSTORE_GATEWAY_KEY ZSTORE_GATEWAY ZSTORE_CLI_USER
all_healthy () {
    local service id
    for service in gateway b1 b2 b3 b4; do
        id=$(container $service)
        [ -n "$id" ] && healthy "$id" || return 1
    done
}
up () {
    compose up -d >"$ZS_WORK/up.log" 2>&1 || { tail -n 5 "$ZS_WORK/up.log" >&2; fail "compose up failed"; }
    within 120 "the gateway and the 4 buckets to be healthy" all_healthy
}
cluster_up=1
# From nothing, also after an earlier run that was killed before its end
compose down -v --remove-orphans >"$ZS_WORK/down.log" 2>&1 || true
up
say "compose cluster up in secure mode (${ZS_COMPOSE[*]}): keys made, gateway and buckets healthy, client port 127.0.0.1:$ZSTORE_CLIENT_PORT"

# The host's CLI, with a key pair from the cluster's keys volume, as
# docker/keys.sh gives it
host=$ZS_WORK/host-keys
docker/keys.sh user test-docker "$host" >/dev/null
host_zs () {
    # shellcheck disable=SC1091 # written by docker/keys.sh
    (. "$host/zstore.env" && exec bin/zstore --timeout 5 "$@")
}
if [ -x bin/zstore ]; then
    gateway_key=$(cat "$host/gateway.cert")
    ! bin/zstore -g "tcp://127.0.0.1:$ZSTORE_CLIENT_PORT" --timeout 2 ls >/dev/null 2>&1 \
        || fail "the gateway answered a client without a key"
    host_zs put README.md readme >/dev/null || fail "the host's CLI could not put with its key pair"
    say "the host's bin/zstore stored a file with the key pair docker/keys.sh gave it; without one it is refused"
else
    say "no bin/zstore here (make): the host's CLI is not tried"
fi

compose run --rm -T cli put - notes.txt <README.md >/dev/null 2>"$ZS_WORK/cli.log" \
    || fail "the cli service could not put: $(tail -n 1 "$ZS_WORK/cli.log")"
compose down >"$ZS_WORK/down.log" 2>&1 || fail "compose down failed: $(tail -n 1 "$ZS_WORK/down.log")"
up
compose run --rm -T cli get notes.txt >"$ZS_WORK/notes.txt" 2>"$ZS_WORK/cli.log" \
    || fail "the cli service could not get: $(tail -n 1 "$ZS_WORK/cli.log")"
cmp -s README.md "$ZS_WORK/notes.txt" || fail "the file read back through the cli service differs"
compose run --rm -T cli rm notes.txt >/dev/null 2>&1 || fail "the cli service could not remove"
say "the cli service stored a file, and read it back after down and up: the volumes kept it"
if [ -x bin/zstore ]; then
    docker/keys.sh user test-docker "$host" >/dev/null
    [ "$(cat "$host/gateway.cert")" = "$gateway_key" ] || fail "the gateway's key changed after down and up"
    host_zs get readme >"$ZS_WORK/readme" && cmp -s README.md "$ZS_WORK/readme" \
        || fail "the host's CLI could not read its file back after down and up"
    host_zs rm readme >/dev/null
    docker/keys.sh rm test-docker >/dev/null
    within 20 "the gateway to refuse a key removed" '! host_zs ls'
    say "after down and up, the keys were the same and the host's CLI read its file back; once its key was removed, it was refused"
fi

# 5. The demos: the failover one with the host's CLI when built, the
# partition one with the cli service
docker/demo-failover.sh
ZSTORE_DEMO_CLI=service docker/demo-partition.sh

# 6. Down, volumes included
compose down -v --remove-orphans >"$ZS_WORK/down.log" 2>&1 || fail "compose down -v failed: $(tail -n 1 "$ZS_WORK/down.log")"
cluster_up=
left=$(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
[ -z "$left" ] || fail "volumes left after down -v: $left"
say "cluster and volumes removed"

# 7. Swarm
ZSTORE_CLIENT_PORT=$(free_port) ZSTORE_EVENTS_PORT=$(free_port) docker/test-swarm.sh
