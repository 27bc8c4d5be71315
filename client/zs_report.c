/*  zs_report - the monitor's JSON lines, for scripts
 */

#include "zs_report.h"
#include "zs_json.h"

//  The writer's text, as a string of the caller's
static char *
s_finish (zs_json_t **json_p)
{
    const char *text = *json_p ? zs_json_text (*json_p) : NULL;
    char *line = text ? strdup (text) : NULL;
    zs_json_destroy (json_p);
    return line;
}

static void
s_bucket (zs_json_t *json, const zs_bucketinfo_t *bucket)
{
    zs_json_object (json);
    zs_json_key (json, "id");
    zs_json_string (json, bucket->id);
    zs_json_key (json, "zone");
    zs_json_string (json, bucket->zone);
    zs_json_key (json, "address");
    zs_json_string (json, bucket->address);
    zs_json_key (json, "state");
    zs_json_string (json, bucket->state);
    zs_json_key (json, "last_heartbeat_ms");
    zs_json_number (json, bucket->heartbeat_age);
    zs_json_key (json, "rtt_us");
    zs_json_number (json, bucket->rtt);
    zs_json_key (json, "files");
    zs_json_number (json, bucket->files);
    zs_json_key (json, "bytes_used");
    zs_json_number (json, bucket->used);
    zs_json_key (json, "bytes_free");
    zs_json_number (json, bucket->free);
    zs_json_key (json, "capacity");
    zs_json_number (json, bucket->capacity);
    zs_json_end (json);
}

void
zs_report_status (zs_json_t *json, zs_proto_t *status)
{
    assert (json && status);
    zs_json_key (json, "buckets");
    zs_json_array (json);
    zlistx_t *buckets = zs_proto_buckets (status);
    for (const zs_bucketinfo_t *bucket = (const zs_bucketinfo_t *) zlistx_first (buckets); bucket;
         bucket = (const zs_bucketinfo_t *) zlistx_next (buckets))
        s_bucket (json, bucket);
    zs_json_end (json);
    zs_json_key (json, "files");
    zs_json_number (json, zs_proto_files (status));
    zs_json_key (json, "bytes");
    zs_json_number (json, zs_proto_used (status));
    zs_json_key (json, "under_replicated");
    zs_json_number (json, zs_proto_under_replicated (status));
    zs_json_key (json, "recovering");
    zs_json_bool (json, zs_proto_recovering (status) != 0);
    zs_json_key (json, "uptime_ms");
    zs_json_number (json, zs_proto_uptime (status));
    zs_json_key (json, "sequence");
    zs_json_number (json, zs_proto_sequence (status));
    zs_json_key (json, "heartbeat_ms");
    zs_json_number (json, zs_proto_heartbeat (status));
    zs_json_key (json, "liveness");
    zs_json_number (json, zs_proto_liveness (status));
    zs_json_key (json, "repair");
    zs_json_object (json);
    zs_json_key (json, "files_waiting");
    zs_json_number (json, zs_proto_repairs (status));
    zs_json_key (json, "in_flight");
    zs_json_number (json, zs_proto_repairing (status));
    zs_json_key (json, "bytes_left");
    zs_json_number (json, zs_proto_repair_bytes (status));
    zs_json_key (json, "rate");
    zs_json_number (json, zs_proto_repair_rate (status));
    //  At the rate of late; 0 with nothing left, null before a rate is known
    zs_json_key (json, "seconds_left");
    uint64_t rate = zs_proto_repair_rate (status), left = zs_proto_repair_bytes (status);
    if (rate)
        zs_json_number (json, (left + rate - 1) / rate);
    else if (left)
        zs_json_null (json);
    else
        zs_json_number (json, 0);
    zs_json_end (json);
}

char *
zs_report_snapshot (zs_proto_t *status, const char *reason, const char *gateway, const char *events,
                    uint64_t now)
{
    assert (status);
    zs_json_t *json = zs_json_new ();
    if (!json)
        return NULL;
    zs_json_object (json);
    zs_json_key (json, "type");
    zs_json_string (json, "snapshot");
    zs_json_key (json, "reason");
    zs_json_string (json, reason);
    zs_json_key (json, "time");
    zs_json_number (json, now);
    zs_json_key (json, "gateway");
    zs_json_string (json, gateway);
    zs_json_key (json, "events");
    zs_json_string (json, events);
    zs_report_status (json, status);
    zs_json_end (json);
    return s_finish (&json);
}

char *
zs_report_event (zs_proto_t *event)
{
    assert (event);
    zs_json_t *json = zs_json_new ();
    if (!json)
        return NULL;
    zs_json_object (json);
    zs_json_key (json, "type");
    zs_json_string (json, "event");
    zs_json_key (json, "sequence");
    zs_json_number (json, zs_proto_sequence (event));
    zs_json_key (json, "time");
    zs_json_number (json, zs_proto_clock (event));
    zs_json_key (json, "kind");
    zs_json_string (json, zs_proto_kind (event));
    zs_json_key (json, "attrs");
    zs_json_object (json);
    //  Sorted, so that the same event always reads the same
    zhashx_t *attrs = zs_proto_attrs (event);
    zlistx_t *keys = attrs ? zhashx_keys (attrs) : NULL;
    if (keys) {
        zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
        zlistx_sort (keys);
        for (const char *key = (const char *) zlistx_first (keys); key;
             key = (const char *) zlistx_next (keys)) {
            zs_json_key (json, key);
            zs_json_string (json, (const char *) zhashx_lookup (attrs, key));
        }
        zlistx_destroy (&keys);
    }
    zs_json_end (json);
    zs_json_end (json);
    return s_finish (&json);
}

char *
zs_report_unreachable (const char *gateway, const char *problem, uint64_t now)
{
    zs_json_t *json = zs_json_new ();
    if (!json)
        return NULL;
    zs_json_object (json);
    zs_json_key (json, "type");
    zs_json_string (json, "unreachable");
    zs_json_key (json, "time");
    zs_json_number (json, now);
    zs_json_key (json, "gateway");
    zs_json_string (json, gateway);
    zs_json_key (json, "reason");
    zs_json_string (json, problem);
    zs_json_end (json);
    return s_finish (&json);
}
