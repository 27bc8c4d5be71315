#!/bin/sh
# Health check of a gateway or bucket container (compose and stack files run
# it as zstore-health). It looks at the container's own program, process 1,
# and takes its options from that command line, so it needs no settings:
#
#   gateway   answers a status request on its client port
#   bucket    runs with a writable data folder; and when the gateway answers
#             ($ZSTORE_GATEWAY), it lists the bucket as registered, not dead.
#             A gateway that does not answer says nothing of the bucket, so
#             that buckets are not restarted for the gateway's sake.
#
# In secure mode the status request goes with the key pair $ZSTORE_CERT and
# the gateway's public key $ZSTORE_GATEWAY_KEY (a user's, such as the
# monitor's: the container's own key is a gateway's or a bucket's).
#
# Exit status 0 healthy, 1 not, with one line on stdout saying why.
set -eu

# option NAME: the value of option NAME on process 1's command line
option () {
    tr '\0' '\n' </proc/1/cmdline | awk -v name="$1" '
        found { print; exit }
        $0 == name { found = 1 }
        index($0, name "=") == 1 { print substr($0, length(name) + 2); exit }'
}

program=$(tr '\0' '\n' </proc/1/cmdline | head -n 1)
case ${program##*/} in
    zstore-gateway)
        port=$(option --clients)
        port=${port##*:}
        zstore -g "tcp://127.0.0.1:${port:-5555}" --timeout 2 status >/dev/null 2>&1 || {
            echo "the gateway does not answer on port ${port:-5555}"
            exit 1
        }
        echo "the gateway answers"
        ;;
    zstore-bucket)
        id=$(option --id)
        data=$(option --data)
        [ -d "$data" ] && [ -w "$data" ] || {
            echo "data folder $data is not writable"
            exit 1
        }
        if [ -n "${ZSTORE_GATEWAY:-}" ] && status=$(zstore --timeout 2 status 2>/dev/null); then
            state=$(echo "$status" | awk -v id="$id" '$1 == id { print $3 }')
            case $state in
                "") echo "the gateway does not know bucket $id"; exit 1 ;;
                dead) echo "the gateway says bucket $id is dead"; exit 1 ;;
                *) echo "bucket $id is $state" ;;
            esac
        else
            echo "bucket $id runs; the gateway does not answer"
        fi
        ;;
    *)
        echo "no gateway or bucket in this container (${program:-nothing} runs)"
        exit 1
        ;;
esac
