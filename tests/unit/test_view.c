/*  test_view - the monitor's cluster view

    A snapshot and the events after it, each applied once and in order;
    gaps and a restarted gateway make the view ask for a new snapshot;
    heartbeat histories; the log and its rate limit.
*/

#include "zs_view.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define T0        1800000000000ULL //  Some wall-clock time, ms
#define HEARTBEAT 200

//  --------------------------------------------------------------------------
//  Messages as the gateway sends them

//  A STATUS_OK up to event sequence, from a gateway up for uptime ms, with
//  buckets given as "id:state" strings, NULL-terminated
static zs_proto_t *
s_status (uint64_t sequence, uint64_t uptime, ...)
{
    zs_proto_t *status = zs_proto_new ();
    zs_proto_set_id (status, ZS_PROTO_STATUS_OK);
    zs_proto_set_sequence (status, sequence);
    zs_proto_set_uptime (status, uptime);
    zs_proto_set_heartbeat (status, HEARTBEAT);
    zs_proto_set_liveness (status, 3);
    zs_proto_set_files (status, 7);
    zs_proto_set_used (status, 7000);
    va_list args;
    va_start (args, uptime);
    const char *spec;
    while ((spec = va_arg (args, const char *))) {
        zs_bucketinfo_t *bucket = zs_bucketinfo_new ();
        const char *colon = strchr (spec, ':');
        free (bucket->id);
        bucket->id = strndup (spec, (size_t) (colon - spec));
        free (bucket->state);
        bucket->state = strdup (colon + 1);
        free (bucket->zone);
        bucket->zone = strdup ("z1");
        bucket->heartbeat_age = 50;
        bucket->rtt = 300;
        bucket->files = 3;
        zs_proto_add_bucket (status, &bucket);
    }
    va_end (args);
    return status;
}

//  An event of kind about a bucket (NULL: none)
static zs_proto_t *
s_event (uint64_t sequence, const char *kind, const char *bucket)
{
    zs_proto_t *event = zs_proto_new ();
    zs_proto_set_id (event, ZS_PROTO_EVENT);
    zs_proto_set_sequence (event, sequence);
    zs_proto_set_clock (event, T0);
    zs_proto_set_kind (event, kind);
    if (bucket) {
        zs_proto_set_attr (event, "bucket", "%s", bucket);
        if (streq (kind, "bucket.missed"))
            zs_proto_set_attr (event, "last_heartbeat_ms", "%d", HEARTBEAT * 2);
        else
            zs_proto_set_attr (event, "last_heartbeat_ms", "0");
    }
    return event;
}

static zs_view_result_t
s_apply (zs_view_t *view, uint64_t sequence, const char *kind, const char *bucket)
{
    zs_proto_t *event = s_event (sequence, kind, bucket);
    zs_view_result_t result = zs_view_apply (view, event, T0);
    zs_proto_destroy (&event);
    return result;
}

static zs_view_result_t
s_load (zs_view_t *view, zs_proto_t *status, uint64_t now)
{
    zs_view_result_t result = zs_view_load (view, status, now);
    zs_proto_destroy (&status);
    return result;
}

static const char *
s_state (zs_view_t *view, const char *id)
{
    const zs_view_bucket_t *bucket = zs_view_bucket_find (view, id);
    return bucket ? bucket->state : "(none)";
}

//  What the listener was told, in order
typedef struct {
    char said[4096];
    int snapshots;
    int events;
} heard_t;

static void
s_heard_snapshot (zs_proto_t *status, const char *reason, void *arg)
{
    heard_t *heard = (heard_t *) arg;
    size_t size = strlen (heard->said);
    snprintf (heard->said + size, sizeof (heard->said) - size, "S%" PRIu64 "(%s) ",
              zs_proto_sequence (status), reason);
    heard->snapshots++;
}

static void
s_heard_event (zs_proto_t *event, void *arg)
{
    heard_t *heard = (heard_t *) arg;
    size_t size = strlen (heard->said);
    snprintf (heard->said + size, sizeof (heard->said) - size, "%" PRIu64 " ",
              zs_proto_sequence (event));
    heard->events++;
}

static zs_view_t *
s_view (heard_t *heard)
{
    zs_view_t *view = zs_view_new ();
    assert_non_null (view);
    if (heard) {
        memset (heard, 0, sizeof (*heard));
        zs_view_set_listener (view, s_heard_snapshot, s_heard_event, heard);
    }
    return view;
}

//  Whether some log entry holds text
static bool
s_logged (zs_view_t *view, const char *text)
{
    for (size_t index = 0; index < zs_view_log_size (view); index++)
        if (strstr (zs_view_log_entry (view, index)->text, text))
            return true;
    return false;
}

static size_t
s_logged_count (zs_view_t *view, const char *text)
{
    size_t count = 0;
    for (size_t index = 0; index < zs_view_log_size (view); index++)
        if (strstr (zs_view_log_entry (view, index)->text, text))
            count++;
    return count;
}

//  --------------------------------------------------------------------------

static void
test_new_view (void **state)
{
    (void) state;
    zs_view_t *view = s_view (NULL);
    assert_true (zs_view_wants_snapshot (view));
    assert_null (zs_view_cluster (view));
    assert_int_equal (zs_view_bucket_count (view), 0);
    assert_int_equal (zs_view_log_size (view), 0);
    assert_true (zs_view_reachable (view));
    zs_view_destroy (&view);
    assert_null (view);
    zs_view_destroy (&view);
}

static void
test_snapshot_then_events (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    //  Subscribed first: events come before the snapshot and wait
    assert_int_equal (s_apply (view, 5, "bucket.heartbeat", "b1"), ZS_VIEW_BUFFERED);
    assert_int_equal (s_apply (view, 6, "bucket.heartbeat", "b2"), ZS_VIEW_BUFFERED);
    assert_int_equal (s_apply (view, 7, "bucket.suspect", "b2"), ZS_VIEW_BUFFERED);
    assert_int_equal (zs_view_bucket_count (view), 0);
    assert_int_equal (
        s_load (view, s_status (6, 10000, "b1:alive", "b2:alive", "b3:alive", NULL), T0),
        ZS_VIEW_SYNCED);
    assert_false (zs_view_wants_snapshot (view));
    //  The snapshot, then only the event after it
    assert_string_equal (heard.said, "S6(start) 7 ");
    assert_int_equal (zs_view_sequence (view), 7);
    assert_string_equal (s_state (view, "b2"), "suspect");
    assert_string_equal (s_state (view, "b1"), "alive");
    assert_int_equal (s_apply (view, 8, "bucket.dead", "b2"), ZS_VIEW_APPLIED);
    assert_string_equal (s_state (view, "b2"), "dead");
    size_t alive, suspect, dead, total;
    zs_view_counts (view, &alive, &suspect, &dead, &total);
    assert_int_equal (alive, 2);
    assert_int_equal (suspect, 0);
    assert_int_equal (dead, 1);
    assert_int_equal (total, 3);
    assert_true (s_logged (view, "b2 suspect"));
    assert_true (s_logged (view, "b2 dead"));
    //  A bucket that registers is added
    assert_int_equal (s_apply (view, 9, "bucket.registered", "b4"), ZS_VIEW_APPLIED);
    assert_string_equal (s_state (view, "b4"), "alive");
    assert_int_equal (zs_view_bucket_count (view), 4);
    const zs_view_cluster_t *cluster = zs_view_cluster (view);
    assert_non_null (cluster);
    assert_int_equal (cluster->files, 7);
    assert_int_equal (cluster->heartbeat, HEARTBEAT);
    assert_int_equal (zs_view_uptime (view, T0 + 500), 10500);
    assert_int_equal (zs_view_resyncs (view), 0);
    zs_view_destroy (&view);
}

static void
test_events_before_the_snapshot_are_not_counted (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    for (uint64_t sequence = 3; sequence <= 9; sequence++)
        s_apply (view, sequence, "bucket.heartbeat", "b1");
    s_load (view, s_status (9, 1000, "b1:alive", NULL), T0);
    //  Every buffered event is in the snapshot: none is news
    assert_string_equal (heard.said, "S9(start) ");
    assert_int_equal (zs_view_bucket (view, 0)->history_size, 0);
    assert_int_equal (s_apply (view, 10, "bucket.heartbeat", "b1"), ZS_VIEW_APPLIED);
    assert_int_equal (zs_view_bucket (view, 0)->history_size, 1);
    assert_string_equal (heard.said, "S9(start) 10 ");
    zs_view_destroy (&view);
}

static void
test_gap_resyncs (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    s_load (view, s_status (10, 1000, "b1:alive", "b2:alive", NULL), T0);
    assert_int_equal (s_apply (view, 11, "bucket.heartbeat", "b1"), ZS_VIEW_APPLIED);
    //  12 and 13 were dropped by the publisher
    assert_int_equal (s_apply (view, 14, "bucket.suspect", "b2"), ZS_VIEW_GAP);
    assert_true (zs_view_wants_snapshot (view));
    assert_true (s_logged (view, "events 12 to 13 lost"));
    //  Meanwhile events wait, and the state does not move
    assert_int_equal (s_apply (view, 15, "bucket.dead", "b2"), ZS_VIEW_BUFFERED);
    assert_string_equal (s_state (view, "b2"), "alive");
    //  The new snapshot includes 14; 15 follows it
    assert_int_equal (s_load (view, s_status (14, 1500, "b1:alive", "b2:suspect", NULL), T0 + 500),
                      ZS_VIEW_SYNCED);
    assert_false (zs_view_wants_snapshot (view));
    assert_string_equal (s_state (view, "b2"), "dead");
    assert_string_equal (heard.said, "S10(start) 11 S14(gap) 15 ");
    assert_int_equal (zs_view_resyncs (view), 1);
    zs_view_destroy (&view);
}

static void
test_late_subscription_resyncs (void **state)
{
    (void) state;
    zs_view_t *view = s_view (NULL);
    //  The subscription took effect after the snapshot was taken: 11 and
    //  12 never came
    s_load (view, s_status (10, 1000, "b1:alive", NULL), T0);
    assert_int_equal (s_apply (view, 13, "bucket.dead", "b1"), ZS_VIEW_GAP);
    assert_true (zs_view_wants_snapshot (view));
    //  A snapshot older than the first event kept does not do either
    assert_int_equal (s_load (view, s_status (11, 1100, "b1:alive", NULL), T0 + 100), ZS_VIEW_GAP);
    assert_true (zs_view_wants_snapshot (view));
    assert_int_equal (s_load (view, s_status (12, 1200, "b1:suspect", NULL), T0 + 200),
                      ZS_VIEW_SYNCED);
    assert_string_equal (s_state (view, "b1"), "dead");
    assert_int_equal (zs_view_sequence (view), 13);
    zs_view_destroy (&view);
}

static void
test_sequence_going_back_resyncs (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    s_load (view, s_status (20, 60000, "b1:alive", "b2:alive", NULL), T0);
    assert_int_equal (s_apply (view, 21, "bucket.heartbeat", "b1"), ZS_VIEW_APPLIED);
    //  A new gateway counts from 1 again
    assert_int_equal (s_apply (view, 1, "bucket.registered", "b1"), ZS_VIEW_RESTART);
    assert_true (zs_view_wants_snapshot (view));
    assert_int_equal (s_apply (view, 2, "bucket.registered", "b3"), ZS_VIEW_BUFFERED);
    //  Its snapshot says it is young; the events after it still count
    assert_int_equal (s_load (view, s_status (1, 300, "b1:alive", NULL), T0 + 5000),
                      ZS_VIEW_SYNCED);
    assert_string_equal (heard.said, "S20(start) 21 S1(restart) 2 ");
    //  The old gateway's buckets went with it
    assert_null (zs_view_bucket_find (view, "b2"));
    assert_string_equal (s_state (view, "b3"), "alive");
    assert_int_equal (zs_view_sequence (view), 2);
    assert_int_equal (s_apply (view, 3, "bucket.heartbeat", "b3"), ZS_VIEW_APPLIED);
    zs_view_destroy (&view);
}

static void
test_restart_seen_in_snapshot (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    s_load (view, s_status (50, 60000, "b1:alive", NULL), T0);
    assert_int_equal (s_apply (view, 51, "bucket.heartbeat", "b1"), ZS_VIEW_APPLIED);
    //  The gateway went and came back before any of its events arrived:
    //  its uptime says it started after the last snapshot
    assert_int_equal (zs_view_set_unreachable (view, "no answer", T0 + 1000), true);
    assert_int_equal (zs_view_set_unreachable (view, "no answer", T0 + 2000), false);
    assert_false (zs_view_reachable (view));
    assert_int_equal (s_load (view, s_status (4, 800, "b1:alive", NULL), T0 + 3000),
                      ZS_VIEW_SYNCED);
    assert_true (zs_view_reachable (view));
    assert_string_equal (heard.said, "S50(start) 51 S4(restart) ");
    //  Its events follow on from its snapshot
    assert_int_equal (s_apply (view, 5, "bucket.heartbeat", "b1"), ZS_VIEW_APPLIED);
    assert_int_equal (zs_view_sequence (view), 5);
    zs_view_destroy (&view);
}

static void
test_reconnect_to_the_same_gateway (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    s_load (view, s_status (10, 60000, "b1:alive", NULL), T0);
    zs_view_set_unreachable (view, "no answer within 1500 ms", T0 + 1000);
    assert_string_equal (zs_view_problem (view), "no answer within 1500 ms");
    assert_int_equal (zs_view_unreachable_since (view), T0 + 1000);
    assert_true (s_logged (view, "gateway unreachable"));
    //  Frozen for a while, the same gateway answers again
    assert_int_equal (s_load (view, s_status (12, 64000, "b1:alive", NULL), T0 + 4000),
                      ZS_VIEW_SYNCED);
    assert_string_equal (heard.said, "S10(start) S12(reconnect) ");
    assert_true (s_logged (view, "answers again"));
    zs_view_destroy (&view);
}

static void
test_no_double_counting (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    s_load (view, s_status (10, 1000, "b1:alive", "b2:alive", NULL), T0);
    assert_int_equal (s_apply (view, 11, "bucket.heartbeat", "b1"), ZS_VIEW_APPLIED);

    //  A periodic snapshot overtakes events 12 and 13, still in flight:
    //  they are not applied again, yet told and logged once
    assert_int_equal (s_load (view, s_status (13, 1300, "b1:alive", "b2:suspect", NULL), T0 + 300),
                      ZS_VIEW_REFRESHED);
    assert_string_equal (s_state (view, "b2"), "suspect");
    assert_int_equal (s_apply (view, 12, "bucket.heartbeat", "b1"), ZS_VIEW_KNOWN);
    assert_int_equal (s_apply (view, 13, "bucket.suspect", "b2"), ZS_VIEW_KNOWN);
    assert_int_equal (s_apply (view, 14, "bucket.dead", "b2"), ZS_VIEW_APPLIED);
    assert_string_equal (heard.said, "S10(start) 11 12 13 14 ");
    assert_int_equal (s_logged_count (view, "b2 suspect"), 1);
    assert_int_equal (s_logged_count (view, "b2 dead"), 1);
    const zs_view_bucket_t *b1 = zs_view_bucket_find (view, "b1");
    assert_int_equal (b1->history_size, 2);

    //  A snapshot older than the events applied: the state goes back to
    //  it, then forward again through the events kept, which are neither
    //  told nor marked twice
    assert_int_equal (s_apply (view, 15, "bucket.heartbeat", "b1"), ZS_VIEW_APPLIED);
    assert_int_equal (s_load (view, s_status (13, 1350, "b1:alive", "b2:suspect", NULL), T0 + 350),
                      ZS_VIEW_REFRESHED);
    assert_string_equal (s_state (view, "b2"), "dead");
    assert_int_equal (zs_view_sequence (view), 15);
    assert_string_equal (heard.said, "S10(start) 11 12 13 14 15 ");
    assert_int_equal (b1->history_size, 3);
    zs_view_destroy (&view);
}

static void
test_news_lost_behind_a_snapshot_resyncs (void **state)
{
    (void) state;
    heard_t heard;
    zs_view_t *view = s_view (&heard);
    s_load (view, s_status (2, 100, "b1:alive", NULL), T0);
    //  A periodic snapshot covers events 3 to 12, but 3 to 9 never came
    //  (the subscription was not connected yet): the state has them, the
    //  log and the listener would not
    assert_int_equal (s_load (view, s_status (12, 600, "b1:alive", NULL), T0 + 500),
                      ZS_VIEW_REFRESHED);
    assert_int_equal (s_apply (view, 10, "bucket.heartbeat", "b1"), ZS_VIEW_GAP);
    assert_true (zs_view_wants_snapshot (view));
    assert_int_equal (s_apply (view, 11, "bucket.heartbeat", "b1"), ZS_VIEW_BUFFERED);
    assert_int_equal (s_load (view, s_status (10, 900, "b1:alive", NULL), T0 + 800),
                      ZS_VIEW_SYNCED);
    assert_string_equal (heard.said, "S2(start) S10(gap) 11 ");
    zs_view_destroy (&view);
}

static void
test_heartbeat_history (void **state)
{
    (void) state;
    zs_view_t *view = s_view (NULL);
    s_load (view, s_status (0, 1000, "b1:alive", NULL), T0);
    uint64_t sequence = 0;
    s_apply (view, ++sequence, "bucket.heartbeat", "b1");
    s_apply (view, ++sequence, "bucket.heartbeat", "b1");
    s_apply (view, ++sequence, "bucket.missed", "b1");
    //  A miss reported the moment the interval ends is no miss yet
    zs_proto_t *early = s_event (++sequence, "bucket.missed", "b1");
    zs_proto_set_attr (early, "last_heartbeat_ms", "%d", HEARTBEAT);
    assert_int_equal (zs_view_apply (view, early, T0), ZS_VIEW_APPLIED);
    zs_proto_destroy (&early);
    s_apply (view, ++sequence, "bucket.dead", "b1");
    s_apply (view, ++sequence, "bucket.back", "b1");
    s_apply (view, ++sequence, "bucket.heartbeat", "b1");
    const zs_view_bucket_t *bucket = zs_view_bucket_find (view, "b1");
    const uint8_t expected[] = { ZS_VIEW_BEAT, ZS_VIEW_BEAT, ZS_VIEW_MISSED,
                                 ZS_VIEW_DOWN, ZS_VIEW_UP,   ZS_VIEW_BEAT };
    assert_int_equal (bucket->history_size, sizeof (expected));
    assert_memory_equal (bucket->history, expected, sizeof (expected));
    assert_int_equal (s_logged_count (view, "missed heartbeat"), 1);
    assert_string_equal (bucket->state, "alive");

    //  The history keeps the newest marks
    for (int beat = 0; beat < ZS_VIEW_HISTORY; beat++)
        s_apply (view, ++sequence, "bucket.heartbeat", "b1");
    s_apply (view, ++sequence, "bucket.missed", "b1");
    assert_int_equal (bucket->history_size, ZS_VIEW_HISTORY);
    assert_int_equal (bucket->history[ZS_VIEW_HISTORY - 1], ZS_VIEW_MISSED);
    assert_int_equal (bucket->history[0], ZS_VIEW_BEAT);

    //  The age of the last heartbeat grows with time, and events reset it
    zs_proto_t *event = s_event (++sequence, "bucket.heartbeat", "b1");
    zs_proto_set_attr (event, "last_heartbeat_ms", "20");
    zs_proto_set_attr (event, "rtt_us", "450");
    zs_proto_set_attr (event, "files", "12");
    zs_proto_set_attr (event, "bytes_used", "4096");
    zs_proto_set_attr (event, "bytes_free", "8192");
    zs_view_apply (view, event, T0 + 1000);
    zs_proto_destroy (&event);
    assert_int_equal (zs_view_bucket_age (bucket, T0 + 1000), 20);
    assert_int_equal (zs_view_bucket_age (bucket, T0 + 1500), 520);
    assert_int_equal (bucket->rtt, 450);
    assert_int_equal (bucket->files, 12);
    assert_int_equal (bucket->used, 4096);
    assert_int_equal (bucket->free, 8192);
    zs_view_destroy (&view);
}

static void
test_log_rate_limit (void **state)
{
    (void) state;
    zs_view_t *view = s_view (NULL);
    zs_view_set_file_rate (view, 3);
    s_load (view, s_status (0, 1000, "b1:alive", NULL), T0);
    uint64_t sequence = 0;
    for (int index = 0; index < 10; index++) {
        zs_proto_t *event = s_event (++sequence, index < 8 ? "file.stored" : "file.removed", NULL);
        zs_proto_set_attr (event, "user", "alice");
        zs_proto_set_attr (event, "name", "f%d", index);
        zs_proto_set_attr (event, "size", "1024");
        zs_view_apply (view, event, T0 + 10);
        zs_proto_destroy (&event);
    }
    //  Bucket events are never held back
    for (int index = 0; index < 10; index++)
        s_apply (view, ++sequence, "bucket.suspect", "b1");
    assert_int_equal (s_logged_count (view, "stored alice/f"), 3);
    assert_int_equal (s_logged_count (view, "b1 suspect"), 10);
    assert_false (s_logged (view, "more file events"));
    //  Within the second, nothing more; after it, one line for the rest
    zs_view_tick (view, T0 + 500);
    assert_false (s_logged (view, "more file events"));
    zs_view_tick (view, T0 + 1010);
    assert_true (s_logged (view, "... 7 more file events (5 stored, 2 removed)"));
    assert_int_equal (s_logged_count (view, "more file events"), 1);
    zs_view_tick (view, T0 + 3000);
    assert_int_equal (s_logged_count (view, "more file events"), 1);
    //  A new second logs again
    zs_proto_t *event = s_event (++sequence, "file.removed", NULL);
    zs_proto_set_attr (event, "user", "alice");
    zs_proto_set_attr (event, "name", "f1");
    zs_view_apply (view, event, T0 + 3100);
    zs_proto_destroy (&event);
    assert_true (s_logged (view, "removed alice/f1"));
    //  Newest first
    assert_string_equal (zs_view_log_entry (view, 0)->text, "removed alice/f1");
    assert_int_equal (zs_view_log_entry (view, 0)->time, T0 + 3100);
    assert_int_equal (zs_view_log_entry (view, 0)->level, ZS_VIEW_INFO);
    assert_null (zs_view_log_entry (view, zs_view_log_size (view)));
    zs_view_destroy (&view);
}

static void
test_log_keeps_the_latest (void **state)
{
    (void) state;
    zs_view_t *view = s_view (NULL);
    s_load (view, s_status (0, 1000, "b1:alive", NULL), T0);
    for (uint64_t sequence = 1; sequence <= 1000; sequence++) {
        zs_proto_t *event = s_event (sequence, "gateway.ready", NULL);
        zs_proto_set_attr (event, "files", "%" PRIu64, sequence);
        zs_view_apply (view, event, T0);
        zs_proto_destroy (&event);
    }
    size_t size = zs_view_log_size (view);
    assert_true (size > 10 && size < 1000);
    assert_true (strstr (zs_view_log_entry (view, 0)->text, "1000 files"));
    //  Kinds not known yet are logged with their attributes, sorted
    zs_proto_t *event = s_event (1001, "zone.added", NULL);
    zs_proto_set_attr (event, "zone", "z9");
    zs_proto_set_attr (event, "buckets", "2");
    zs_view_apply (view, event, T0);
    zs_proto_destroy (&event);
    assert_string_equal (zs_view_log_entry (view, 0)->text, "zone.added buckets=2 zone=z9");
    assert_int_equal (zs_view_log_entry (view, 0)->level, ZS_VIEW_NOTE);
    //  The log is one line per entry, whatever an attribute holds
    //  Copies made again, or moved
    event = s_event (1002, "repair.started", NULL);
    zs_proto_set_attr (event, "user", "alice");
    zs_proto_set_attr (event, "name", "x");
    zs_proto_set_attr (event, "purpose", "move");
    zs_proto_set_attr (event, "detail", "b1 to b2");
    zs_view_apply (view, event, T0 + 5000);
    zs_proto_destroy (&event);
    assert_string_equal (zs_view_log_entry (view, 0)->text, "move started: alice/x (b1 to b2)");
    event = s_event (1003, "repair.failed", NULL);
    zs_proto_set_attr (event, "user", "alice");
    zs_proto_set_attr (event, "name", "x");
    zs_proto_set_attr (event, "purpose", "repair");
    zs_view_apply (view, event, T0 + 5000);
    zs_proto_destroy (&event);
    assert_string_equal (zs_view_log_entry (view, 0)->text, "repair failed: alice/x");
    assert_int_equal (zs_view_log_entry (view, 0)->level, ZS_VIEW_BAD);
    event = s_event (1004, "copy.lost", "b1");
    zs_proto_set_attr (event, "reason", "bad\nchunk");
    zs_proto_set_attr (event, "user", "bob");
    zs_proto_set_attr (event, "name", "y");
    zs_view_apply (view, event, T0);
    zs_proto_destroy (&event);
    assert_null (strchr (zs_view_log_entry (view, 0)->text, '\n'));
    assert_int_equal (zs_view_log_entry (view, 0)->level, ZS_VIEW_BAD);
    zs_view_destroy (&view);
}

static void
test_buckets_in_order (void **state)
{
    (void) state;
    zs_view_t *view = s_view (NULL);
    s_load (view, s_status (0, 1000, "b10:alive", "b2:dead", "a:alive", "b1:suspect", NULL), T0);
    assert_int_equal (zs_view_bucket_count (view), 4);
    assert_string_equal (zs_view_bucket (view, 0)->id, "a");
    assert_string_equal (zs_view_bucket (view, 1)->id, "b1");
    assert_string_equal (zs_view_bucket (view, 2)->id, "b2");
    assert_string_equal (zs_view_bucket (view, 3)->id, "b10");
    assert_null (zs_view_bucket (view, 4));
    assert_string_equal (zs_view_bucket (view, 0)->zone, "z1");
    assert_int_equal (zs_view_bucket_age (zs_view_bucket (view, 0), T0 + 100), 150);
    //  States the gateway may add later show as they are
    zs_proto_t *event = s_event (1, "bucket.draining", "b10");
    zs_proto_set_attr (event, "state", "draining");
    zs_view_apply (view, event, T0);
    zs_proto_destroy (&event);
    assert_string_equal (s_state (view, "b10"), "draining");
    size_t alive, suspect, dead, total;
    zs_view_counts (view, &alive, &suspect, &dead, &total);
    assert_int_equal (alive + suspect + dead, 3);
    assert_int_equal (total, 4);
    //  A bucket the gateway forgets goes
    s_apply (view, 2, "bucket.forgotten", "b1");
    assert_null (zs_view_bucket_find (view, "b1"));
    assert_int_equal (zs_view_bucket_count (view), 3);
    //  A snapshot without a bucket drops it
    s_load (view, s_status (2, 1200, "a:alive", NULL), T0 + 200);
    assert_int_equal (zs_view_bucket_count (view), 1);
    zs_view_destroy (&view);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_view),
        cmocka_unit_test (test_snapshot_then_events),
        cmocka_unit_test (test_events_before_the_snapshot_are_not_counted),
        cmocka_unit_test (test_gap_resyncs),
        cmocka_unit_test (test_late_subscription_resyncs),
        cmocka_unit_test (test_sequence_going_back_resyncs),
        cmocka_unit_test (test_restart_seen_in_snapshot),
        cmocka_unit_test (test_reconnect_to_the_same_gateway),
        cmocka_unit_test (test_no_double_counting),
        cmocka_unit_test (test_news_lost_behind_a_snapshot_resyncs),
        cmocka_unit_test (test_heartbeat_history),
        cmocka_unit_test (test_log_rate_limit),
        cmocka_unit_test (test_log_keeps_the_latest),
        cmocka_unit_test (test_buckets_in_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
