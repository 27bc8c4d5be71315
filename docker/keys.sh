#!/usr/bin/env bash
# The key pairs of the Docker clusters, which run in secure mode (CURVE).
#
#   docker/keys.sh user NAME [DIR]
#       compose cluster: makes user NAME's key pair in the cluster's keys
#       volume when it has none (the gateway accepts it at once, no restart),
#       and copies NAME.cert_secret and the gateway's public key gateway.cert
#       into DIR on this machine (default ./zstore-keys), with DIR/zstore.env
#       for the CLI and the monitor:
#           . DIR/zstore.env && bin/zstore status
#   docker/keys.sh rm NAME
#       compose cluster: removes user NAME's key pair; the gateway refuses
#       it from then on, also on connections already open
#   docker/keys.sh swarm DIR [USER...]
#       for docker/stack.yml: makes in DIR, on this machine, the key pairs
#       that are missing: the gateway's, the buckets' ($ZSTORE_BUCKETS, else
#       b1 b2 b3 b4), the monitor's (ops), the admin's ($ZSTORE_CLI_USER, else
#       zstore) and each USER's; then export ZSTORE_KEYS=DIR for docker stack
#       deploy (see docs/DEPLOY.md). Pairs already in DIR are kept.
#
# The compose cluster is found as the other docker scripts find it
# (COMPOSE_PROJECT_NAME, else docker/.env); ZSTORE_CLIENT_PORT (5555) goes
# into zstore.env. The image is $ZSTORE_IMAGE, else zstore:latest.
set -euo pipefail
ZS_NAME=keys
# shellcheck source=docker/lib.sh
source "$(dirname "$0")/lib.sh"

usage () {
    echo "usage: docker/keys.sh user NAME [DIR] | rm NAME | swarm DIR [USER...] (try --help)" >&2
    exit 2
}

case "${1:-}" in
    user)
        [ $# -ge 2 ] && [ $# -le 3 ] || usage
        name=$2 dir=${3:-zstore-keys}
        keys_user "$name" "$dir"
        dir=$(cd "$dir" && pwd)
        cat >"$dir/zstore.env" <<ENV
export ZSTORE_GATEWAY=tcp://127.0.0.1:${ZSTORE_CLIENT_PORT:-5555}
export ZSTORE_CERT=$dir/$name.cert_secret
export ZSTORE_GATEWAY_KEY=$dir/gateway.cert
unset ZSTORE_USER
ENV
        say "user $name: key pair in $dir/$name.cert_secret, the gateway's public key in $dir/gateway.cert"
        say "for bin/zstore and bin/zstore-monitor: . $dir/zstore.env"
        ;;
    rm)
        [ $# -eq 2 ] || usage
        out=$(compose run --rm --no-deps -T keys keys --rm "$2" 2>&1) \
            || fail "cannot remove the keys of $2: $(echo "$out" | tail -n 1)"
        say "removed user $2's key pair from the cluster: the gateway refuses it from now on"
        ;;
    swarm)
        [ $# -ge 2 ] || usage
        dir=$2
        shift 2
        mkdir -p "$dir"
        dir=$(cd "$dir" && pwd)
        args=()
        for name in ${ZSTORE_BUCKETS:-b1 b2 b3 b4}; do args+=(--bucket "$name"); done
        for name in ops "${ZSTORE_CLI_USER:-zstore}" "$@"; do args+=(--user "$name"); done
        # As the caller, so that the files are the caller's
        docker run --rm --user "$(id -u):$(id -g)" -v "$dir:/keys" "$ZS_IMAGE" keys "${args[@]}" \
            || fail "cannot make the keys in $dir"
        say "key pairs in $dir (secret keys in $dir/private, keep them there)"
        say "before docker stack deploy: export ZSTORE_KEYS=$dir"
        ;;
    -h | --help) no_arguments --help ;;
    *) usage ;;
esac
