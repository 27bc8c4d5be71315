/*  zs-events - print a gateway's events, one JSON object per line

    usage: zs-events ENDPOINT [--until KIND[:ATTR=VALUE]] [--timeout SEC]

    Prints every event it receives. With --until, exits 0 as soon as an
    event of that kind (and attribute value) arrives, and 1 when the timeout
    passes first. Without --until, runs until the timeout (default 10 s).
*/

#include "zs_json.h"
#include "zs_proto.h"

static bool
s_matches (zs_proto_t *event, const char *kind, const char *attribute, const char *value)
{
    if (strneq (zs_proto_kind (event), kind))
        return false;
    if (!attribute)
        return true;
    const char *actual = zs_proto_attr (event, attribute);
    return actual && streq (actual, value);
}

static void
s_print (zs_proto_t *event)
{
    zs_json_t *json = zs_json_new ();
    zs_json_object (json);
    zs_json_key (json, "sequence");
    zs_json_number (json, zs_proto_sequence (event));
    zs_json_key (json, "time");
    zs_json_number (json, zs_proto_clock (event));
    zs_json_key (json, "kind");
    zs_json_string (json, zs_proto_kind (event));
    zhashx_t *attrs = zs_proto_attrs (event);
    for (const char *value = (const char *) zhashx_first (attrs); value;
         value = (const char *) zhashx_next (attrs)) {
        zs_json_key (json, (const char *) zhashx_cursor (attrs));
        zs_json_string (json, value);
    }
    zs_json_end (json);
    printf ("%s\n", zs_json_text (json));
    fflush (stdout);
    zs_json_destroy (&json);
}

int
main (int argc, char *argv[])
{
    if (argc < 2) {
        fprintf (stderr, "usage: zs-events ENDPOINT [--until KIND[:ATTR=VALUE]] [--timeout SEC]\n");
        return 2;
    }
    char *until = NULL, *attribute = NULL, *value = NULL;
    int64_t timeout = 10000;
    for (int index = 2; index + 1 < argc; index += 2) {
        if (streq (argv[index], "--until"))
            until = strdup (argv[index + 1]);
        else if (streq (argv[index], "--timeout"))
            timeout = atoll (argv[index + 1]) * 1000;
    }
    if (until && (attribute = strchr (until, ':'))) {
        *attribute++ = 0;
        value = strchr (attribute, '=');
        if (value)
            *value++ = 0;
    }
    zsock_t *subscriber = zsock_new_sub (argv[1], "");
    zpoller_t *poller = zpoller_new (subscriber, NULL);
    zs_proto_t *event = zs_proto_new ();
    int64_t deadline = zclock_mono () + timeout;
    int rc = until ? 1 : 0;
    while (zclock_mono () < deadline && !zsys_interrupted) {
        if (!zpoller_wait (poller, (int) (deadline - zclock_mono ())))
            continue;
        if (zs_proto_recv (event, subscriber) || zs_proto_id (event) != ZS_PROTO_EVENT)
            continue;
        s_print (event);
        if (until && s_matches (event, until, attribute, value ? value : "")) {
            rc = 0;
            break;
        }
    }
    zs_proto_destroy (&event);
    zpoller_destroy (&poller);
    zsock_destroy (&subscriber);
    free (until);
    return rc;
}
