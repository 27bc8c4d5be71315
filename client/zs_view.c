/*  zs_view - the cluster as the monitor sees it

    Four sequence numbers keep events in order and counted once:
    seen       the last event received: the next must be seen + 1, else
               events were lost (a gap), or a new gateway counts from 1
    applied    the last event the state includes (a snapshot's sequence, or
               events applied after it)
    announced  the last event logged and told to the listener
    floor      the sequence of the snapshot last synced from: events up to
               it are in that snapshot, and are not news
    The backlog keeps the latest events received, without holes (a gap
    clears it), so that a snapshot overtaken by events in flight can be
    brought up to date by applying them again.
*/

#include "zs_view.h"
#include "zs_parse.h"

#include <ctype.h>
#include <stdarg.h>

#define BACKLOG_MAX   1024 //  Events kept to bring a late snapshot up to date
#define LOG_MAX       256  //  Log entries kept
#define FILE_RATE     5    //  File events logged per second, by default
#define RESTART_SLACK 1000 //  ms a gateway's start time may seem to move by
#define LINE_MAX_SIZE 512  //  Bytes in a log line

struct _zs_view_t {
    zhashx_t *buckets;          //  zs_view_bucket_t by id
    zs_view_bucket_t **ordered; //  The same, ordered by id
    size_t ordered_size;        //  Entries in ordered
    bool reorder;               //  Buckets came or went since ordered was made
    zs_view_cluster_t cluster;  //  From the last snapshot
    bool have_snapshot;         //  One came
    uint64_t started;           //  When the gateway started, as the last snapshot tells

    bool synced;             //  The state is valid and events apply as they come
    const char *sync_reason; //  The next snapshot is a sync point, and why
    uint64_t seen;           //  See above
    uint64_t applied;
    uint64_t announced;
    uint64_t floor;
    bool fresh;                       //  The backlog began with a new gateway's events
    zs_proto_t *backlog[BACKLOG_MAX]; //  Ring of events received
    size_t backlog_head;              //  Index of the oldest
    size_t backlog_size;              //  Events in it
    uint64_t resyncs;                 //  Syncs after the first

    bool reachable;             //  The gateway answered its last request
    uint64_t unreachable_since; //  Since when it has not
    char problem[256];          //  Why

    zs_view_entry_t log[LOG_MAX]; //  Ring of entries
    size_t log_head;              //  Index of the newest
    size_t log_size;              //  Entries in it
    unsigned int file_rate;       //  File events logged per second
    uint64_t window_start;        //  Start of the current second of file events
    unsigned int window_count;    //  File events logged in it
    uint64_t held_stored;         //  File events held back in it, by kind
    uint64_t held_removed;
    uint64_t held_repairs;
    uint64_t held_other;

    zs_view_snapshot_fn *on_snapshot;
    zs_view_event_fn *on_event;
    void *listener_arg;
};

static void
s_bucket_destroy (zs_view_bucket_t **self_p)
{
    if (*self_p) {
        zs_view_bucket_t *self = *self_p;
        free (self->id);
        free (self->zone);
        free (self->address);
        free (self->state);
        free (self);
        *self_p = NULL;
    }
}

static zs_view_bucket_t *
s_bucket_new (const char *id)
{
    zs_view_bucket_t *self = (zs_view_bucket_t *) zmalloc (sizeof (zs_view_bucket_t));
    if (self) {
        self->id = strdup (id);
        self->zone = strdup ("");
        self->address = strdup ("");
        self->state = strdup ("");
        if (!self->id || !self->zone || !self->address || !self->state)
            s_bucket_destroy (&self);
    }
    return self;
}

zs_view_t *
zs_view_new (void)
{
    zs_view_t *self = (zs_view_t *) zmalloc (sizeof (zs_view_t));
    if (!self)
        return NULL;
    self->buckets = zhashx_new ();
    if (!self->buckets) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->buckets, (zhashx_destructor_fn *) s_bucket_destroy);
    self->sync_reason = "start";
    self->reachable = true;
    self->file_rate = FILE_RATE;
    return self;
}

static void
s_backlog_clear (zs_view_t *self)
{
    while (self->backlog_size) {
        zs_proto_destroy (&self->backlog[self->backlog_head]);
        self->backlog_head = (self->backlog_head + 1) % BACKLOG_MAX;
        self->backlog_size--;
    }
    self->backlog_head = 0;
}

void
zs_view_destroy (zs_view_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_view_t *self = *self_p;
        s_backlog_clear (self);
        for (size_t index = 0; index < LOG_MAX; index++)
            free (self->log[index].text);
        free (self->ordered);
        zhashx_destroy (&self->buckets);
        free (self);
        *self_p = NULL;
    }
}

void
zs_view_set_listener (zs_view_t *self, zs_view_snapshot_fn *on_snapshot, zs_view_event_fn *on_event,
                      void *arg)
{
    assert (self);
    self->on_snapshot = on_snapshot;
    self->on_event = on_event;
    self->listener_arg = arg;
}

void
zs_view_set_file_rate (zs_view_t *self, unsigned int per_second)
{
    assert (self);
    self->file_rate = per_second;
}

//  --------------------------------------------------------------------------
//  The log

static void s_log (zs_view_t *self, uint64_t now, zs_view_level_t level, const char *format, ...)
    CHECK_PRINTF (4);

static void
s_log (zs_view_t *self, uint64_t now, zs_view_level_t level, const char *format, ...)
{
    char line[LINE_MAX_SIZE];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof (line), format, args);
    va_end (args);
    //  One line, whatever an attribute holds
    for (char *cursor = line; *cursor; cursor++)
        if ((unsigned char) *cursor < 0x20 || *cursor == 0x7f)
            *cursor = ' ';
    char *text = strdup (line);
    if (!text)
        return;
    if (self->log_size)
        self->log_head = (self->log_head + 1) % LOG_MAX;
    if (self->log_size < LOG_MAX)
        self->log_size++;
    zs_view_entry_t *entry = &self->log[self->log_head];
    free (entry->text);
    entry->text = text;
    entry->time = now;
    entry->level = level;
}

//  Logs the file events held back in the second that ended
static void
s_flush_held (zs_view_t *self, uint64_t now)
{
    uint64_t held = self->held_stored + self->held_removed + self->held_repairs + self->held_other;
    if (held) {
        char detail[128] = "";
        size_t size = 0;
        if (self->held_stored)
            size += (size_t) snprintf (detail + size, sizeof (detail) - size,
                                       ", %" PRIu64 " stored", self->held_stored);
        if (self->held_removed)
            size += (size_t) snprintf (detail + size, sizeof (detail) - size,
                                       ", %" PRIu64 " removed", self->held_removed);
        if (self->held_repairs)
            size += (size_t) snprintf (detail + size, sizeof (detail) - size,
                                       ", %" PRIu64 " repairs", self->held_repairs);
        if (self->held_other)
            snprintf (detail + size, sizeof (detail) - size, ", %" PRIu64 " other",
                      self->held_other);
        s_log (self, now, ZS_VIEW_INFO, "... %" PRIu64 " more file event%s (%s)", held,
               held == 1 ? "" : "s", detail + 2);
    }
    self->held_stored = self->held_removed = self->held_repairs = self->held_other = 0;
}

//  Whether an event about one file (stored, removed, repaired...) may be
//  logged now; counts it when not
static bool
s_file_allowed (zs_view_t *self, const char *kind, uint64_t now)
{
    if (now >= self->window_start + 1000 || now < self->window_start) {
        s_flush_held (self, now);
        self->window_start = now;
        self->window_count = 0;
    }
    if (self->window_count < self->file_rate) {
        self->window_count++;
        return true;
    }
    if (streq (kind, "file.stored"))
        self->held_stored++;
    else if (streq (kind, "file.removed"))
        self->held_removed++;
    else if (strncmp (kind, "repair.", 7) == 0)
        self->held_repairs++;
    else
        self->held_other++;
    return false;
}

void
zs_view_tick (zs_view_t *self, uint64_t now)
{
    assert (self);
    if (now >= self->window_start + 1000 || now < self->window_start) {
        s_flush_held (self, now);
        self->window_start = now;
        self->window_count = 0;
    }
}

static const char *
s_attr (zs_proto_t *event, const char *key)
{
    const char *value = zs_proto_attr (event, key);
    return value ? value : "";
}

static uint64_t
s_number (zs_proto_t *event, const char *key, bool *present)
{
    const char *value = zs_proto_attr (event, key);
    uint64_t number = 0;
    bool valid = value && zs_parse_count (value, 0, UINT64_MAX, &number) == 0;
    if (present)
        *present = valid;
    return valid ? number : 0;
}

//  Any event, as kind and attributes sorted by name: for kinds not known yet
static void
s_log_generic (zs_view_t *self, zs_proto_t *event, uint64_t now, zs_view_level_t level)
{
    char line[LINE_MAX_SIZE];
    size_t size = (size_t) snprintf (line, sizeof (line), "%s", zs_proto_kind (event));
    zhashx_t *attrs = zs_proto_attrs (event);
    zlistx_t *keys = attrs ? zhashx_keys (attrs) : NULL;
    if (keys) {
        zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
        zlistx_sort (keys);
        for (const char *key = (const char *) zlistx_first (keys); key && size < sizeof (line);
             key = (const char *) zlistx_next (keys))
            size += (size_t) snprintf (line + size, sizeof (line) - size, " %s=%s", key,
                                       (const char *) zhashx_lookup (attrs, key));
        zlistx_destroy (&keys);
    }
    s_log (self, now, level, "%s", line);
}

static void
s_log_event (zs_view_t *self, zs_proto_t *event, uint64_t now)
{
    const char *kind = zs_proto_kind (event);
    const char *bucket = s_attr (event, "bucket");
    char size[32];
    if (streq (kind, "bucket.heartbeat"))
        return; //  In the bucket's history: the log is for news
    if (streq (kind, "bucket.registered")) {
        const char *zone = s_attr (event, "zone");
        s_log (self, now, ZS_VIEW_GOOD, "%s registered%s%s, %s, %" PRIu64 " files", bucket,
               *zone ? " in zone " : "", zone, s_attr (event, "address"),
               s_number (event, "files", NULL));
    }
    else if (streq (kind, "bucket.back"))
        s_log (self, now, ZS_VIEW_GOOD, "%s back, %" PRIu64 " files", bucket,
               s_number (event, "files", NULL));
    else if (streq (kind, "bucket.alive"))
        s_log (self, now, ZS_VIEW_GOOD, "%s heard again: alive", bucket);
    else if (streq (kind, "bucket.missed"))
        s_log (self, now, ZS_VIEW_WARNING,
               "%s missed heartbeat %" PRIu64 " (silent %" PRIu64 " ms)", bucket,
               s_number (event, "missed", NULL), s_number (event, "last_heartbeat_ms", NULL));
    else if (streq (kind, "bucket.suspect"))
        s_log (self, now, ZS_VIEW_WARNING, "%s suspect (silent %" PRIu64 " ms)", bucket,
               s_number (event, "last_heartbeat_ms", NULL));
    else if (streq (kind, "bucket.dead"))
        s_log (self, now, ZS_VIEW_BAD, "%s dead (silent %" PRIu64 " ms)", bucket,
               s_number (event, "last_heartbeat_ms", NULL));
    else if (streq (kind, "copy.lost"))
        s_log (self, now, ZS_VIEW_BAD, "copy lost on %s: %s/%s (%s)", bucket,
               s_attr (event, "user"), s_attr (event, "name"), s_attr (event, "reason"));
    else if (strncmp (kind, "file.", 5) == 0) {
        if (!s_file_allowed (self, kind, now))
            return;
        const char *user = s_attr (event, "user");
        const char *name = s_attr (event, "name");
        uint64_t desired = s_number (event, "desired", NULL);
        uint64_t actual = s_number (event, "actual", NULL);
        zs_parse_format_size (s_number (event, "size", NULL), size, sizeof (size));
        if (streq (kind, "file.stored"))
            s_log (self, now, ZS_VIEW_INFO, "stored %s/%s (%s, %" PRIu64 "/%" PRIu64 " copies)",
                   user, name, size, actual, desired);
        else if (streq (kind, "file.removed"))
            s_log (self, now, ZS_VIEW_INFO, "removed %s/%s", user, name);
        else if (streq (kind, "file.copied"))
            s_log (self, now, ZS_VIEW_INFO, "copied %s/%s (%" PRIu64 "/%" PRIu64 " copies)", user,
                   name, actual, desired);
        else if (streq (kind, "file.replicas"))
            s_log (self, now, ZS_VIEW_INFO, "%s/%s now wants %" PRIu64 " copies (%" PRIu64 " live)",
                   user, name, desired, actual);
        else
            s_log_generic (self, event, now, ZS_VIEW_INFO);
    }
    else if (strncmp (kind, "repair.", 7) == 0) {
        //  repair.started, repair.finished, repair.failed: copies made again
        //  after a loss, or moved (drain, rebalancing)
        if (!s_file_allowed (self, kind, now))
            return;
        const char *detail = s_attr (event, "detail");
        zs_view_level_t level = streq (kind, "repair.failed")     ? ZS_VIEW_BAD
                                : streq (kind, "repair.finished") ? ZS_VIEW_GOOD
                                                                  : ZS_VIEW_NOTE;
        s_log (self, now, level, "%s %s: %s/%s%s%s%s",
               streq (s_attr (event, "purpose"), "move") ? "move" : "repair", kind + 7,
               s_attr (event, "user"), s_attr (event, "name"), *detail ? " (" : "", detail,
               *detail ? ")" : "");
    }
    else if (streq (kind, "gateway.ready"))
        s_log (self, now, ZS_VIEW_NOTE, "gateway ready: %" PRIu64 " files, %" PRIu64 " buckets",
               s_number (event, "files", NULL), s_number (event, "buckets", NULL));
    else
        s_log_generic (self, event, now,
                       strncmp (kind, "bucket.", 7) ? ZS_VIEW_NOTE : ZS_VIEW_WARNING);
}

//  --------------------------------------------------------------------------
//  Buckets

static int
s_natural_compare (const char *left, const char *right)
{
    while (*left && *right) {
        if (isdigit ((unsigned char) *left) && isdigit ((unsigned char) *right)) {
            //  Numbers compare by value: fewer digits (leading zeros aside) is smaller
            while (*left == '0')
                left++;
            while (*right == '0')
                right++;
            size_t left_digits = 0, right_digits = 0;
            while (isdigit ((unsigned char) left[left_digits]))
                left_digits++;
            while (isdigit ((unsigned char) right[right_digits]))
                right_digits++;
            if (left_digits != right_digits)
                return left_digits < right_digits ? -1 : 1;
            int order = strncmp (left, right, left_digits);
            if (order)
                return order;
            left += left_digits;
            right += right_digits;
        }
        else {
            if (*left != *right)
                return (unsigned char) *left < (unsigned char) *right ? -1 : 1;
            left++;
            right++;
        }
    }
    return *left ? 1 : *right ? -1 : 0;
}

static int
s_bucket_order (const void *left, const void *right)
{
    const zs_view_bucket_t *a = *(const zs_view_bucket_t *const *) left;
    const zs_view_bucket_t *b = *(const zs_view_bucket_t *const *) right;
    int order = s_natural_compare (a->id, b->id);
    return order ? order : strcmp (a->id, b->id);
}

static void
s_reorder (zs_view_t *self)
{
    if (!self->reorder)
        return;
    size_t size = zhashx_size (self->buckets);
    zs_view_bucket_t **ordered =
        (zs_view_bucket_t **) realloc (self->ordered, (size ? size : 1) * sizeof (*ordered));
    if (!ordered)
        return;
    self->ordered = ordered;
    self->ordered_size = 0;
    for (zs_view_bucket_t *bucket = (zs_view_bucket_t *) zhashx_first (self->buckets); bucket;
         bucket = (zs_view_bucket_t *) zhashx_next (self->buckets))
        ordered[self->ordered_size++] = bucket;
    qsort (ordered, self->ordered_size, sizeof (*ordered), s_bucket_order);
    self->reorder = false;
}

static zs_view_bucket_t *
s_bucket_require (zs_view_t *self, const char *id)
{
    zs_view_bucket_t *bucket = (zs_view_bucket_t *) zhashx_lookup (self->buckets, id);
    if (!bucket && (bucket = s_bucket_new (id))) {
        zhashx_insert (self->buckets, id, bucket);
        self->reorder = true;
    }
    return bucket;
}

static void
s_set_string (char **field, const char *value)
{
    if (value && strneq (*field, value)) {
        char *copy = strdup (value);
        if (copy) {
            free (*field);
            *field = copy;
        }
    }
}

static void
s_mark (zs_view_bucket_t *bucket, zs_view_mark_t mark)
{
    if (bucket->history_size == ZS_VIEW_HISTORY) {
        memmove (bucket->history, bucket->history + 1, ZS_VIEW_HISTORY - 1);
        bucket->history_size--;
    }
    bucket->history[bucket->history_size++] = (uint8_t) mark;
}

//  The state an event of this kind leaves a bucket in, when it does not say
static const char *
s_state_of (const char *kind)
{
    if (streq (kind, "bucket.registered") || streq (kind, "bucket.back")
        || streq (kind, "bucket.alive"))
        return "alive";
    if (streq (kind, "bucket.suspect"))
        return "suspect";
    if (streq (kind, "bucket.dead"))
        return "dead";
    return NULL;
}

//  --------------------------------------------------------------------------
//  Events

//  What an event changes in the state
static void
s_update (zs_view_t *self, zs_proto_t *event, uint64_t now)
{
    const char *kind = zs_proto_kind (event);
    const char *id = zs_proto_attr (event, "bucket");
    if (strncmp (kind, "bucket.", 7) || !id)
        return; //  Files and totals come with the next snapshot
    if (streq (kind, "bucket.forgotten")) {
        //  The gateway let go of it for good
        if (zhashx_lookup (self->buckets, id)) {
            zhashx_delete (self->buckets, id);
            self->reorder = true;
        }
        return;
    }
    zs_view_bucket_t *bucket = s_bucket_require (self, id);
    if (!bucket)
        return;
    s_set_string (&bucket->zone, zs_proto_attr (event, "zone"));
    s_set_string (&bucket->address, zs_proto_attr (event, "address"));
    const char *state = zs_proto_attr (event, "state");
    s_set_string (&bucket->state, state ? state : s_state_of (kind));
    bool present;
    uint64_t value = s_number (event, "files", &present);
    if (present)
        bucket->files = value;
    value = s_number (event, "bytes_used", &present);
    if (present)
        bucket->used = value;
    value = s_number (event, "bytes_free", &present);
    if (present)
        bucket->free = value;
    value = s_number (event, "rtt_us", &present);
    if (present)
        bucket->rtt = (uint32_t) (value > UINT32_MAX ? UINT32_MAX : value);
    value = s_number (event, "last_heartbeat_ms", &present);
    if (present) {
        bucket->age = value;
        bucket->measured_at = now;
    }
}

//  Logs an event, marks its bucket's history and tells the listener: once
//  per event, and only for events after the snapshot synced from
static void
s_announce (zs_view_t *self, zs_proto_t *event, uint64_t now)
{
    uint64_t sequence = zs_proto_sequence (event);
    if (sequence <= self->announced || sequence <= self->floor)
        return;
    self->announced = sequence;
    if (self->on_event)
        self->on_event (event, self->listener_arg);
    const char *kind = zs_proto_kind (event);
    const char *id = zs_proto_attr (event, "bucket");
    //  A gateway may count a heartbeat interval as missed the moment it
    //  ends, before the heartbeat it is about to send could be answered: a
    //  miss shows once the silence reaches the suspect threshold
    uint64_t heartbeat = self->cluster.heartbeat;
    if (streq (kind, "bucket.missed") && heartbeat
        && s_number (event, "last_heartbeat_ms", NULL) < heartbeat * 3 / 2)
        return;
    zs_view_bucket_t *bucket = id ? (zs_view_bucket_t *) zhashx_lookup (self->buckets, id) : NULL;
    if (bucket) {
        if (streq (kind, "bucket.heartbeat"))
            s_mark (bucket, ZS_VIEW_BEAT);
        else if (streq (kind, "bucket.missed"))
            s_mark (bucket, ZS_VIEW_MISSED);
        else if (streq (kind, "bucket.registered") || streq (kind, "bucket.back"))
            s_mark (bucket, ZS_VIEW_UP);
        else if (streq (kind, "bucket.dead"))
            s_mark (bucket, ZS_VIEW_DOWN);
    }
    s_log_event (self, event, now);
}

//  The state is no longer known to be complete: events wait for a snapshot
static void
s_unsync (zs_view_t *self, const char *reason)
{
    if (self->have_snapshot && self->synced)
        self->resyncs++;
    self->synced = false;
    if (self->have_snapshot)
        self->sync_reason = reason;
}

//  An event in order, with the view in sync
static zs_view_result_t
s_take (zs_view_t *self, zs_proto_t *event, uint64_t now)
{
    uint64_t sequence = zs_proto_sequence (event);
    uint64_t next = (self->announced > self->floor ? self->announced : self->floor) + 1;
    if (sequence > next) {
        //  Events that are news never came: the state may have them from a
        //  snapshot, but the log and the listener would miss them
        s_log (self, now, ZS_VIEW_NOTE, "events %" PRIu64 " to %" PRIu64 " lost: re-syncing", next,
               sequence - 1);
        s_unsync (self, "gap");
        return ZS_VIEW_GAP;
    }
    if (sequence <= self->applied) {
        //  In the snapshot already, yet not logged if it overtook the event
        s_announce (self, event, now);
        return ZS_VIEW_KNOWN;
    }
    if (sequence > self->applied + 1) {
        //  The events between the snapshot and this one never came
        s_log (self, now, ZS_VIEW_NOTE, "events %" PRIu64 " to %" PRIu64 " lost: re-syncing",
               self->applied + 1, sequence - 1);
        s_unsync (self, "gap");
        return ZS_VIEW_GAP;
    }
    s_update (self, event, now);
    self->applied = sequence;
    s_announce (self, event, now);
    return ZS_VIEW_APPLIED;
}

static zs_proto_t *
s_event_dup (zs_proto_t *event)
{
    zmsg_t *msg = zs_proto_encode (event);
    zs_proto_t *copy = msg ? zs_proto_new () : NULL;
    if (copy && zs_proto_decode (copy, &msg))
        zs_proto_destroy (&copy);
    zmsg_destroy (&msg);
    return copy;
}

static void
s_backlog_push (zs_view_t *self, zs_proto_t *event)
{
    zs_proto_t *copy = s_event_dup (event);
    if (!copy) {
        //  Without it the backlog would have a hole
        s_backlog_clear (self);
        return;
    }
    if (self->backlog_size == BACKLOG_MAX) {
        zs_proto_destroy (&self->backlog[self->backlog_head]);
        self->backlog_head = (self->backlog_head + 1) % BACKLOG_MAX;
        self->backlog_size--;
    }
    self->backlog[(self->backlog_head + self->backlog_size) % BACKLOG_MAX] = copy;
    self->backlog_size++;
}

static zs_proto_t *
s_backlog_at (zs_view_t *self, size_t index)
{
    return self->backlog[(self->backlog_head + index) % BACKLOG_MAX];
}

zs_view_result_t
zs_view_apply (zs_view_t *self, zs_proto_t *event, uint64_t now)
{
    assert (self);
    assert (event);
    uint64_t sequence = zs_proto_sequence (event);
    zs_view_result_t result = ZS_VIEW_BUFFERED;
    if (self->seen && sequence <= self->seen) {
        //  One gateway's numbers only grow: this is a new one, counting from 1
        s_log (self, now, ZS_VIEW_NOTE,
               "event %" PRIu64 " after %" PRIu64 ": a new gateway; re-syncing", sequence,
               self->seen);
        s_backlog_clear (self);
        self->announced = 0;
        self->floor = 0;
        self->fresh = true;
        s_unsync (self, "restart");
        result = ZS_VIEW_RESTART;
    }
    else if (self->seen && sequence > self->seen + 1) {
        //  The publisher dropped events for us
        s_log (self, now, ZS_VIEW_NOTE, "events %" PRIu64 " to %" PRIu64 " lost: re-syncing",
               self->seen + 1, sequence - 1);
        s_backlog_clear (self);
        s_unsync (self, "gap");
        result = ZS_VIEW_GAP;
    }
    self->seen = sequence;
    s_backlog_push (self, event);
    if (!self->synced)
        return result;
    return s_take (self, event, now);
}

bool
zs_view_wants_snapshot (zs_view_t *self)
{
    assert (self);
    return !self->synced;
}

//  --------------------------------------------------------------------------
//  Snapshots

static void
s_take_totals (zs_view_t *self, zs_proto_t *status, uint64_t now)
{
    zs_view_cluster_t *cluster = &self->cluster;
    cluster->files = zs_proto_files (status);
    cluster->bytes = zs_proto_used (status);
    cluster->under_replicated = zs_proto_under_replicated (status);
    cluster->repairs = zs_proto_repairs (status);
    cluster->repairing = zs_proto_repairing (status);
    cluster->repair_bytes = zs_proto_repair_bytes (status);
    cluster->repair_rate = zs_proto_repair_rate (status);
    cluster->recovering = zs_proto_recovering (status) != 0;
    cluster->heartbeat = zs_proto_heartbeat (status);
    cluster->liveness = zs_proto_liveness (status);
    cluster->uptime = zs_proto_uptime (status);
    cluster->measured_at = now;
}

static void
s_take_buckets (zs_view_t *self, zs_proto_t *status, uint64_t now)
{
    zhashx_t *reported = zhashx_new ();
    zlistx_t *buckets = zs_proto_buckets (status);
    for (const zs_bucketinfo_t *info = (const zs_bucketinfo_t *) zlistx_first (buckets); info;
         info = (const zs_bucketinfo_t *) zlistx_next (buckets)) {
        zs_view_bucket_t *bucket = s_bucket_require (self, info->id);
        if (!bucket)
            continue;
        if (reported)
            zhashx_insert (reported, info->id, bucket);
        s_set_string (&bucket->zone, info->zone);
        s_set_string (&bucket->address, info->address);
        s_set_string (&bucket->state, info->state);
        bucket->age = info->heartbeat_age;
        bucket->measured_at = now;
        bucket->rtt = info->rtt;
        bucket->files = info->files;
        bucket->used = info->used;
        bucket->free = info->free;
        bucket->capacity = info->capacity;
    }
    //  Buckets the gateway no longer knows go
    if (reported) {
        zlistx_t *ids = zhashx_keys (self->buckets);
        for (const char *id = ids ? (const char *) zlistx_first (ids) : NULL; id;
             id = (const char *) zlistx_next (ids))
            if (!zhashx_lookup (reported, id)) {
                zhashx_delete (self->buckets, id);
                self->reorder = true;
            }
        zlistx_destroy (&ids);
        zhashx_destroy (&reported);
    }
}

zs_view_result_t
zs_view_load (zs_view_t *self, zs_proto_t *status, uint64_t now)
{
    assert (self);
    assert (status);
    uint64_t sequence = zs_proto_sequence (status);
    uint64_t uptime = zs_proto_uptime (status);
    uint64_t started = now > uptime ? now - uptime : 0;
    if (self->have_snapshot && started > self->started + RESTART_SLACK) {
        s_log (self, now, ZS_VIEW_NOTE, "the gateway restarted: re-syncing");
        if (!self->fresh) {
            //  The events kept are the old gateway's
            s_backlog_clear (self);
            self->seen = 0;
            self->announced = 0;
        }
        s_unsync (self, "restart");
    }
    self->started = started;
    self->fresh = false;
    if (!self->reachable) {
        uint64_t since = self->unreachable_since;
        s_log (self, now, ZS_VIEW_NOTE, "the gateway answers again, after %" PRIu64 " s",
               (now > since ? now - since : 0) / 1000);
        self->reachable = true;
        self->problem[0] = 0;
        if (self->synced)
            self->sync_reason = "reconnect";
    }
    s_take_totals (self, status, now);
    //  Whether the backlog holds every event received after the snapshot
    bool covered =
        self->seen <= sequence
        || (self->backlog_size && zs_proto_sequence (s_backlog_at (self, 0)) <= sequence + 1);
    if (self->synced && !self->sync_reason && !covered)
        return ZS_VIEW_KNOWN;
    bool first = !self->have_snapshot;
    self->have_snapshot = true;
    s_take_buckets (self, status, now);
    self->applied = sequence;
    if (!covered) {
        s_log (self, now, ZS_VIEW_NOTE, "events after %" PRIu64 " lost: re-syncing", sequence);
        s_unsync (self, self->sync_reason ? self->sync_reason : "gap");
        return ZS_VIEW_GAP;
    }
    zs_view_result_t result = ZS_VIEW_REFRESHED;
    if (self->sync_reason) {
        self->floor = sequence;
        if (first)
            s_log (self, now, ZS_VIEW_NOTE,
                   "snapshot: %zu buckets, %" PRIu64 " files, up to event %" PRIu64,
                   zhashx_size (self->buckets), self->cluster.files, sequence);
        else
            s_log (self, now, ZS_VIEW_NOTE, "re-synced (%s) at event %" PRIu64, self->sync_reason,
                   sequence);
        if (self->on_snapshot)
            self->on_snapshot (status, self->sync_reason, self->listener_arg);
        self->sync_reason = NULL;
        result = ZS_VIEW_SYNCED;
    }
    self->synced = true;
    //  The events after the snapshot, received meanwhile or before it
    for (size_t index = 0; index < self->backlog_size && self->synced; index++) {
        zs_proto_t *event = s_backlog_at (self, index);
        if (zs_proto_sequence (event) > sequence)
            s_take (self, event, now);
    }
    return result;
}

//  --------------------------------------------------------------------------
//  Reachability

bool
zs_view_set_unreachable (zs_view_t *self, const char *problem, uint64_t now)
{
    assert (self);
    snprintf (self->problem, sizeof (self->problem), "%s", problem ? problem : "no answer");
    if (!self->reachable)
        return false;
    self->reachable = false;
    self->unreachable_since = now;
    s_log (self, now, ZS_VIEW_BAD, "gateway unreachable: %s", self->problem);
    return true;
}

bool
zs_view_reachable (zs_view_t *self)
{
    assert (self);
    return self->reachable;
}

uint64_t
zs_view_unreachable_since (zs_view_t *self)
{
    assert (self);
    return self->unreachable_since;
}

const char *
zs_view_problem (zs_view_t *self)
{
    assert (self);
    return self->problem;
}

//  --------------------------------------------------------------------------
//  Accessors

const zs_view_cluster_t *
zs_view_cluster (zs_view_t *self)
{
    assert (self);
    return self->have_snapshot ? &self->cluster : NULL;
}

uint64_t
zs_view_uptime (zs_view_t *self, uint64_t now)
{
    assert (self);
    const zs_view_cluster_t *cluster = &self->cluster;
    return cluster->uptime + (now > cluster->measured_at ? now - cluster->measured_at : 0);
}

uint64_t
zs_view_sequence (zs_view_t *self)
{
    assert (self);
    return self->applied;
}

uint64_t
zs_view_resyncs (zs_view_t *self)
{
    assert (self);
    return self->resyncs;
}

size_t
zs_view_bucket_count (zs_view_t *self)
{
    assert (self);
    s_reorder (self);
    return self->reorder ? 0 : self->ordered_size;
}

const zs_view_bucket_t *
zs_view_bucket (zs_view_t *self, size_t index)
{
    assert (self);
    s_reorder (self);
    return !self->reorder && index < self->ordered_size ? self->ordered[index] : NULL;
}

const zs_view_bucket_t *
zs_view_bucket_find (zs_view_t *self, const char *id)
{
    assert (self);
    return (const zs_view_bucket_t *) zhashx_lookup (self->buckets, id);
}

uint64_t
zs_view_bucket_age (const zs_view_bucket_t *bucket, uint64_t now)
{
    assert (bucket);
    return bucket->age + (now > bucket->measured_at ? now - bucket->measured_at : 0);
}

void
zs_view_counts (zs_view_t *self, size_t *alive, size_t *suspect, size_t *dead, size_t *total)
{
    assert (self);
    size_t counts[3] = { 0, 0, 0 };
    for (zs_view_bucket_t *bucket = (zs_view_bucket_t *) zhashx_first (self->buckets); bucket;
         bucket = (zs_view_bucket_t *) zhashx_next (self->buckets)) {
        if (streq (bucket->state, "alive"))
            counts[0]++;
        else if (streq (bucket->state, "suspect"))
            counts[1]++;
        else if (streq (bucket->state, "dead"))
            counts[2]++;
    }
    if (alive)
        *alive = counts[0];
    if (suspect)
        *suspect = counts[1];
    if (dead)
        *dead = counts[2];
    if (total)
        *total = zhashx_size (self->buckets);
}

size_t
zs_view_log_size (zs_view_t *self)
{
    assert (self);
    return self->log_size;
}

const zs_view_entry_t *
zs_view_log_entry (zs_view_t *self, size_t index)
{
    assert (self);
    if (index >= self->log_size)
        return NULL;
    return &self->log[(self->log_head + LOG_MAX - index) % LOG_MAX];
}
