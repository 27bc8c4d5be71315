#!/bin/sh
# The image's entry point. One image serves every role; the first argument
# picks it, the rest are the program's own options:
#
#   gateway ...   zstore-gateway    (plus $ZSTORE_SERVER_OPTS)
#   bucket ...    zstore-bucket     (plus --zone $ZSTORE_ZONE when set, and
#                                    $ZSTORE_SERVER_OPTS)
#   monitor ...   zstore-monitor
#   cli ...       zstore            (the command-line client)
#   keys ...      the key pairs of secure mode, in /keys (see below)
#   anything else runs as given, e.g. zstore-health or sh
#
# ZSTORE_SERVER_OPTS holds options that the gateway and every bucket need
# alike, so that a compose or stack file sets them in one place.
# ZSTORE_ZONE lets a swarm name a bucket's zone from a template, such as the
# node's hostname, which a command line cannot.
#
# keys [--bucket ID | --user NAME | --rm NAME | --export NAME]...
#   makes the gateway's key pair, and each one named, when missing: secret
#   and public keys in /keys/private, public keys also in /keys/gateway.cert,
#   /keys/buckets (the gateway's --bucket-keys) and /keys/users (its
#   --user-keys). A pair that exists is kept, and so is a public key removed
#   from buckets/ or users/ (it stays refused). --rm NAME removes user NAME's
#   keys; --export NAME writes a tar of NAME.cert_secret and gateway.cert on
#   standard output.
set -eu

role=${1:-help}
[ $# -gt 0 ] && shift

keys_name () {
    case $1 in
        "" | .* | *[!A-Za-z0-9._-]*)
            echo "keys: '$1' is not a valid name" >&2
            exit 2
            ;;
    esac
}

# keys_pair NAME FOLDER: NAME's key pair, made when missing, its public key
# then put in FOLDER (by a rename, as the gateway watches that folder)
keys_pair () {
    keys_name "$1"
    [ ! -e "/keys/private/$1.cert_secret" ] || return 0
    [ -d /keys/private ] || mkdir -m 0700 /keys/private
    mkdir -p "$2"
    zstore keygen "$1" -d /keys/private >/dev/null
    cp "/keys/private/$1.cert" "$2/.$1.cert.new"
    mv "$2/.$1.cert.new" "$2/$1.cert"
    echo "keys: made the key pair of $1" >&2
}

case $role in
    gateway)
        # shellcheck disable=SC2086 # a list of options, split on purpose
        exec zstore-gateway ${ZSTORE_SERVER_OPTS:-} "$@"
        ;;
    bucket)
        if [ -n "${ZSTORE_ZONE:-}" ]; then
            set -- --zone "$ZSTORE_ZONE" "$@"
        fi
        # shellcheck disable=SC2086
        exec zstore-bucket ${ZSTORE_SERVER_OPTS:-} "$@"
        ;;
    monitor) exec zstore-monitor "$@" ;;
    cli) exec zstore "$@" ;;
    keys)
        keys_pair gateway /keys
        while [ $# -gt 0 ]; do
            [ $# -ge 2 ] || { echo "keys: $1 needs a name" >&2; exit 2; }
            case $1 in
                --bucket) keys_pair "$2" /keys/buckets ;;
                --user) keys_pair "$2" /keys/users ;;
                --rm)
                    keys_name "$2"
                    rm -f "/keys/users/$2.cert" "/keys/private/$2.cert" "/keys/private/$2.cert_secret"
                    echo "keys: removed the key pair of $2" >&2
                    ;;
                --export)
                    keys_name "$2"
                    tar -C /keys -c gateway.cert -C private "$2.cert_secret"
                    ;;
                *) echo "keys: unknown option '$1'" >&2; exit 2 ;;
            esac
            shift 2
        done
        ;;
    help | -h | --help)
        sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
        ;;
    *) exec "$role" "$@" ;;
esac
