#!/usr/bin/env bash
# The swarm part of make test-docker: deploys docker/stack.yml on the local
# engine as a single-node swarm, in secure mode with keys made by
# docker/keys.sh swarm; stores and reads a file through the port the
# gateway publishes, with the host's CLI (or the image's); kills a bucket's
# container, reads the file from the other copies, and checks that swarm
# starts the bucket again with its volume; then removes the stack, its
# secrets and volumes, and leaves the swarm when it made it (else takes its
# node labels back), also on failure.
#
#   usage: docker/test-swarm.sh    (the image zstore:latest must be built)
#
#   ZSTORE_STACK         the stack's name (default zstoretest)
#   ZSTORE_CLIENT_PORT, ZSTORE_EVENTS_PORT, ZSTORE_HEARTBEAT, ...: as for
#                        docker/stack.yml
set -euo pipefail
ZS_NAME=test-swarm ZS_USER=swarm-test
# shellcheck source=docker/lib.sh
source "$(dirname "$0")/lib.sh"
no_arguments "$@"
command -v jq >/dev/null || fail "jq is missing (apt-get install jq)"

stack=${ZSTORE_STACK:-zstoretest}
port=${ZSTORE_CLIENT_PORT:-5555}
keys=$ZS_WORK/keys
made_swarm='' node='' labels=() had_gwbridge=''

# The stack's containers, all or those of one service
stack_containers () {
    docker ps -aq --filter "label=com.docker.stack.namespace=$stack" \
        ${1:+--filter "label=com.docker.swarm.service.name=${stack}_$1"}
}

# Everything the test made goes, whatever happened
teardown () {
    if [ "$ZS_STATUS" -ne 0 ]; then
        echo "test-swarm: FAILED; the stack's tasks and the gateway's last lines:" >&2
        docker stack ps --no-trunc "$stack" >&2 2>&1 || true
        docker service logs --tail 5 "${stack}_gateway" >&2 2>&1 || true
    fi
    if docker stack ls 2>/dev/null | grep -q "^$stack "; then
        docker stack rm "$stack" >/dev/null 2>&1 || true
        # Volumes can go only once their containers have
        local deadline=$((SECONDS + 60))
        while [ -n "$(stack_containers)" ]; do
            if [ $SECONDS -ge $deadline ]; then
                echo "test-swarm: the stack's containers are still there after 60 s" >&2
                ZS_STATUS=1
                break
            fi
            sleep 0.5
        done
    fi
    local volume
    for volume in b1 b2 b3 b4; do docker volume rm "${stack}_$volume" >/dev/null 2>&1 || true; done
    if [ -n "$made_swarm" ]; then
        docker swarm leave --force >/dev/null 2>&1 || true
        [ -n "$had_gwbridge" ] || docker network rm docker_gwbridge >/dev/null 2>&1 || true
        echo "test-swarm: left the swarm made for the test"
    elif [ ${#labels[@]} -gt 0 ]; then
        local remove=() label
        for label in "${labels[@]}"; do remove+=(--label-rm "$label"); done
        docker node update "${remove[@]}" "$node" >/dev/null 2>&1 || true
    fi
}
at_exit teardown

case $(docker info -f '{{.Swarm.LocalNodeState}}') in
    inactive)
        docker network inspect docker_gwbridge >/dev/null 2>&1 && had_gwbridge=1
        # Loopback only: nothing of the test is reachable from elsewhere
        made_swarm=1
        docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
        say "made a single-node swarm of the local engine"
        ;;
    active)
        [ "$(docker info -f '{{.Swarm.ControlAvailable}}')" = true ] \
            || fail "this engine is a swarm worker: run the test on a manager"
        say "the engine is in a swarm already: the stack goes on this node, by its labels"
        ;;
    *) fail "the engine's swarm state is $(docker info -f '{{.Swarm.LocalNodeState}}')" ;;
esac
node=$(docker info -f '{{.Swarm.NodeID}}')
for label in zstore.gateway zstore.b1 zstore.b2 zstore.b3 zstore.b4; do
    if [ "$(docker node inspect -f "{{index .Spec.Labels \"$label\"}}" "$node")" != true ]; then
        labels+=("$label")
    fi
done
add=()
for label in "${labels[@]}"; do add+=(--label-add "$label=true"); done
[ ${#add[@]} -eq 0 ] || docker node update "${add[@]}" "$node" >/dev/null

out=$("$ZS_ROOT/docker/keys.sh" swarm "$keys" "$ZS_USER" 2>&1) || fail "docker/keys.sh swarm failed: $(echo "$out" | tail -n 1)"
# A grace longer than swarm takes to restart a task: the killed bucket is
# back before any repair, and its own copy counts again
export ZSTORE_REPAIR_GRACE=60 ZSTORE_KEYS=$keys
# The image is local: no registry to ask for its digest
out=$(docker stack deploy --resolve-image never -c "$ZS_ROOT/docker/stack.yml" "$stack" 2>&1) \
    || fail "docker stack deploy failed: $(echo "$out" | tail -n 1)"
say "deployed docker/stack.yml as stack $stack, in secure mode: a gateway, 4 buckets and a monitor on an overlay network"

# Through the port the gateway publishes on this node (host mode): the
# host's build when there is one, else the image's CLI on the host's network
if [ -x "$ZS_ROOT/bin/zstore" ]; then
    ZS_CLI=("$ZS_ROOT/bin/zstore")
else
    ZS_CLI=(docker run --rm -i --network host --user "$(id -u)" -v "$keys:$keys:ro" "$ZS_IMAGE" cli)
fi
ZS_CLI+=(-g "tcp://127.0.0.1:$port" --cert "$keys/private/$ZS_USER.cert_secret" --gateway-key "$keys/gateway.cert")
within 180 "the gateway to answer on port $port" status_json
within 120 "4 buckets to be alive" '[ "$(alive_buckets)" = 4 ]'
within 60 "the gateway's index to be ready" ready
say "the gateway answers on 127.0.0.1:$port; 4 buckets registered with their keys"

head -c 1500000 /dev/urandom >"$ZS_WORK/file"
zs put - file -r 3 <"$ZS_WORK/file" >/dev/null
zs get file >"$ZS_WORK/read" && cmp -s "$ZS_WORK/file" "$ZS_WORK/read" || fail "the file read back differs"
docker run --rm --network "${stack}_zstore" --user "$(id -u)" -v "$keys:/keys:ro" "$ZS_IMAGE" cli \
    -g tcp://gateway:5555 --cert "/keys/private/$ZS_USER.cert_secret" --gateway-key /keys/gateway.cert ls \
    | grep -q ' file$' || fail "the image's CLI on the overlay network does not list the file"
say "stored a file with 3 copies and read it back; the image's CLI on the overlay network lists it"

# The health checks ask the gateway with the monitor's key pair (a secret)
stack_healthy () {
    local service id
    for service in gateway b1 b2 b3 b4; do
        id=$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_$service")
        [ -n "$id" ] && healthy "$id" || return 1
    done
}
within 90 "the gateway and the buckets to be healthy" stack_healthy
say "the gateway and the 4 buckets are healthy (their health checks use the monitor's key pair)"

victim=$(zs stat file --json | jq -r '.buckets[0]')
old=$(stack_containers "$victim")
[ -n "$old" ] || fail "no container for $victim"
docker kill "$old" >/dev/null
zs get file >"$ZS_WORK/read" && cmp -s "$ZS_WORK/file" "$ZS_WORK/read" || fail "a read failed with $victim killed"
say "docker kill $victim's container; the file is read from its other copies"

# Swarm starts a new task, on the node that holds its volume
restarted () {
    local now
    now=$(docker ps -q --no-trunc --filter "label=com.docker.swarm.service.name=${stack}_$victim")
    [ -n "$now" ] && [ "${now:0:12}" != "${old:0:12}" ]
}
within 120 "swarm to start $victim again" restarted
within 60 "$victim to register again" bucket_is "$victim" alive
within 30 "$victim to report the copy it held" \
    '[ "$(st --arg id "$victim" ".buckets[] | select(.id == \$id) | .files")" = 1 ]'
within 30 "the file's 3 copies to be live" '[ "$(zs stat file --json | jq ".replicas.actual")" = 3 ]'
zs get file >"$ZS_WORK/read" && cmp -s "$ZS_WORK/file" "$ZS_WORK/read" || fail "the file read back differs"
say "swarm started $victim again on its volume: it registered with its copy, and the file has its 3 live copies"
zs rm file >/dev/null
