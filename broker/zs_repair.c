/*  zs_repair - background copies: repair, drain and rebalancing

    A file whose live copies fall short of its replica count gets new copies
    from a surviving holder, in the background. What counts: a confirmed
    copy on a bucket alive and not draining is live; a copy on a bucket
    suspect, registering, or dead for less than the repair grace period may
    still come back, so it is waited for; a copy on a bucket dead for longer,
    or draining, does not count. Files with fewer live copies go first.
    Rebalancing moves copies from the fullest buckets to the emptiest, a copy
    made before the old one is dropped. All of it runs at most
    --repair-streams copies at a time and --repair-rate bytes per second, so
    that clients keep their latency.
*/

#include "zs_server.h"

#define SCAN_INTERVAL      30000 //  ms between looks at the whole index
#define RETRY_DELAY        1000  //  ms before looking again after a copy failed
#define RATE_WINDOW        1000  //  ms over which the rate is measured
#define REBALANCE_INTERVAL 60000 //  ms between continuous rebalancing passes
#define REBALANCE_SLACK    0.02  //  Fullness above the mean that makes a bucket a source
#define SCAN_SLICE         16384 //  Places of the index a look goes through per tick

static void
s_pending_destroy (zs_pending_copy_t **pending_p)
{
    if (*pending_p) {
        free ((*pending_p)->key);
        free (*pending_p);
        *pending_p = NULL;
    }
}

void
zs_repair_new (zs_server_t *self)
{
    zs_background_t *background = &self->background;
    background->queue = zlistx_new ();
    assert (background->queue);
    zlistx_set_destructor (background->queue, (zlistx_destructor_fn *) s_pending_destroy);
    background->dirty = true;
    background->refilled = background->measured = zclock_mono ();
}

static void s_scan_destroy (zs_repair_scan_t **scan_p);

void
zs_repair_destroy (zs_server_t *self)
{
    zlistx_destroy (&self->background.queue);
    s_scan_destroy (&self->background.scan);
}

void
zs_repair_dirty (zs_server_t *self)
{
    self->background.dirty = true;
}

void
zs_repair_rescan (zs_server_t *self)
{
    self->background.dirty = true;
    s_scan_destroy (&self->background.scan);
}

//  Live copies of a file, and copies it still needs once those that may come
//  back are counted
static size_t
s_copies_needed (zs_server_t *self, const zs_record_t *record, uint8_t *live_p)
{
    int64_t now = zclock_mono ();
    size_t live = 0, waiting = 0;
    for (uint8_t index = 0; index < record->holder_count; index++) {
        uint16_t holder = record->holders[index];
        zs_member_t *member = zs_registry_slot (self->registry, ZS_INDEX_SLOT (holder));
        if (!member)
            continue;
        //  A copy not live now may come back: unless its bucket is draining,
        //  or has been dead past the grace period (or never was registered)
        bool may_return =
            member->state != ZS_MEMBER_DEAD
                ? !member->draining
                : member->ever_registered && now - member->dead_since < self->repair_grace;
        if (zs_server_holder_live (self, holder))
            live++;
        else if (may_return)
            waiting++;
    }
    if (live_p)
        *live_p = (uint8_t) live;
    return record->desired > live + waiting ? record->desired - live - waiting : 0;
}

static zs_pending_copy_t *
s_pending_new (const char *user, const char *name, uint8_t live, uint64_t bytes)
{
    zs_pending_copy_t *pending = (zs_pending_copy_t *) zmalloc (sizeof (zs_pending_copy_t));
    assert (pending);
    pending->key = zsys_sprintf ("%s/%s", user, name);
    pending->live = live;
    pending->bytes = bytes;
    pending->move_from = pending->move_to = -1;
    return pending;
}

//  A look at the index for the files short of copies. While a bucket
//  drains, it looks at every file at once: whether the bucket is drained is
//  read from the look, and only one that saw every file as it was can say
//  so. Otherwise it goes a slice per tick: what it finds is checked again
//  before a copy starts, and what it misses the next look finds.
//
//  It keeps the --repair-queue most urgent files it found, by live copies,
//  and only counts the others: after a mass failure, millions of files may be
//  short of copies, and the queue takes no more anyway. A file counted and
//  shown again (its user's table grew under a look in slices) is counted
//  twice, until the next look.
struct _zs_repair_scan_t {
    zs_server_t *self;
    zlistx_t *levels[ZS_REPLICAS_MAX];    //  zs_pending_copy_t kept, by live copies
    size_t kept;                          //  Files in levels
    uint64_t overflow;                    //  Files found and not kept
    uint64_t overflow_bytes;              //  Their bytes
    zhashx_t *found;                      //  Keys kept: a file shown twice is kept once
    zs_index_cursor_t cursor;             //  How far a look in slices has come
    bool whole;                           //  The look saw every file at once
    size_t drain_left[ZS_REGISTRY_SLOTS]; //  Files a draining bucket still holds alone
};

static zs_repair_scan_t *
s_scan_new (zs_server_t *self)
{
    zs_repair_scan_t *scan = (zs_repair_scan_t *) zmalloc (sizeof (zs_repair_scan_t));
    assert (scan);
    scan->self = self;
    for (size_t live = 0; live < ZS_REPLICAS_MAX; live++) {
        scan->levels[live] = zlistx_new ();
        assert (scan->levels[live]);
        zlistx_set_destructor (scan->levels[live], (zlistx_destructor_fn *) s_pending_destroy);
    }
    scan->found = zhashx_new ();
    assert (scan->found);
    return scan;
}

static void
s_scan_destroy (zs_repair_scan_t **scan_p)
{
    if (*scan_p) {
        for (size_t live = 0; live < ZS_REPLICAS_MAX; live++)
            zlistx_destroy (&(*scan_p)->levels[live]);
        zhashx_destroy (&(*scan_p)->found);
        free (*scan_p);
        *scan_p = NULL;
    }
}

//  Counts a file found but not kept
static void
s_scan_overflow (zs_repair_scan_t *scan, zs_pending_copy_t **pending_p)
{
    scan->overflow++;
    scan->overflow_bytes += (*pending_p)->bytes;
    s_pending_destroy (pending_p);
}

//  Keeps a file found, unless --repair-queue more urgent ones are kept; a
//  less urgent one then makes room
static void
s_scan_keep (zs_repair_scan_t *scan, zs_pending_copy_t *pending)
{
    //  A file short of copies has fewer live ones than its count
    assert (pending->live < ZS_REPLICAS_MAX);
    if (scan->kept >= scan->self->repair_queue) {
        size_t worst = ZS_REPLICAS_MAX - 1;
        while (zlistx_size (scan->levels[worst]) == 0)
            worst--;
        if (worst <= pending->live) {
            s_scan_overflow (scan, &pending);
            return;
        }
        zs_pending_copy_t *dropped =
            (zs_pending_copy_t *) zlistx_detach (scan->levels[worst], NULL);
        zhashx_delete (scan->found, dropped->key);
        s_scan_overflow (scan, &dropped);
        scan->kept--;
    }
    zlistx_add_end (scan->levels[pending->live], pending);
    zhashx_insert (scan->found, pending->key, pending);
    scan->kept++;
}

static int
s_scan_one (const char *user, const char *name, zs_record_t *record, void *arg)
{
    zs_repair_scan_t *scan = (zs_repair_scan_t *) arg;
    if (record->tombstone)
        return ZS_INDEX_KEEP;
    uint8_t live;
    size_t needed = s_copies_needed (scan->self, record, &live);
    //  Without a copy to copy from, there is nothing repair can do
    if (needed == 0 || zs_server_live_copies (scan->self, record) == 0)
        return ZS_INDEX_KEEP;
    zs_pending_copy_t *pending = s_pending_new (user, name, live, record->size * needed);
    if (zhashx_lookup (scan->found, pending->key)) {
        s_pending_destroy (&pending);
        return ZS_INDEX_KEEP;
    }
    s_scan_keep (scan, pending);
    for (uint8_t index = 0; index < record->holder_count; index++) {
        zs_member_t *member =
            zs_registry_slot (scan->self->registry, ZS_INDEX_SLOT (record->holders[index]));
        if (member && member->draining)
            scan->drain_left[member->slot]++;
    }
    return ZS_INDEX_KEEP;
}

//  A look ended: rebuilds the repair part of the queue from what it found;
//  planned moves stay behind the repairs
static void
s_scan_end (zs_server_t *self, zs_repair_scan_t **scan_p)
{
    zs_background_t *background = &self->background;
    zs_repair_scan_t *scan = *scan_p;
    //  Most urgent first: fewest live copies
    zlistx_t *queue = zlistx_new ();
    assert (queue);
    zlistx_set_destructor (queue, (zlistx_destructor_fn *) s_pending_destroy);
    background->overflow = scan->overflow;
    background->overflow_bytes = scan->overflow_bytes;
    if (scan->overflow)
        zsys_info ("repair: %zu files short of copies queued, %" PRIu64
                   " more left for the next look (--repair-queue)",
                   scan->kept, scan->overflow);
    background->queued_bytes = 0;
    zs_pending_copy_t *pending;
    for (size_t live = 0; live < ZS_REPLICAS_MAX; live++)
        while ((pending = (zs_pending_copy_t *) zlistx_detach (scan->levels[live], NULL))) {
            zlistx_add_end (queue, pending);
            background->queued_bytes += pending->bytes;
        }
    //  Planned moves stay, behind the repairs
    pending = (zs_pending_copy_t *) zlistx_first (background->queue);
    for (; pending; pending = (zs_pending_copy_t *) zlistx_next (background->queue))
        if (pending->move_from >= 0) {
            zs_pending_copy_t *move = s_pending_new ("", "", 0, pending->bytes);
            free (move->key);
            move->key = strdup (pending->key);
            move->move_from = pending->move_from;
            move->move_to = pending->move_to;
            zlistx_add_end (queue, move);
            background->queued_bytes += move->bytes;
        }
    zlistx_destroy (&background->queue);
    background->queue = queue;

    //  A draining bucket whose every file has its copies elsewhere is drained
    for (zs_member_t *member = zs_registry_first (self->registry); member && scan->whole;
         member = zs_registry_next (self->registry, member))
        if (member->draining && member->drain_left != scan->drain_left[member->slot]) {
            member->drain_left = scan->drain_left[member->slot];
            if (member->drain_left == 0) {
                zsys_info ("bucket %s: drained, every copy it held is elsewhere too", member->id);
                zs_proto_t *event = zs_server_event (self, "bucket.drained");
                zs_proto_set_attr (event, "bucket", "%s", member->id);
                zs_events_publish (self->events);
            }
        }
    s_scan_destroy (scan_p);
}

//  Starts a look at the index, unless one is going on
static void
s_scan_begin (zs_server_t *self)
{
    zs_background_t *background = &self->background;
    zs_repair_scan_t *scan = s_scan_new (self);
    bool draining = false;
    for (zs_member_t *member = zs_registry_first (self->registry); member && !draining;
         member = zs_registry_next (self->registry, member))
        draining = member->draining;
    //  Without a bucket draining, a file needs a copy only when it has fewer
    //  live copies than its count: when none has, a look would find nothing
    if (draining) {
        zs_index_foreach (self->index, s_scan_one, scan);
        scan->whole = true;
        s_scan_end (self, &scan);
    }
    else if (zs_files_under_replicated_count (self) == 0)
        s_scan_end (self, &scan);
    else
        background->scan = scan;
}

//  The next slice of the look going on
static void
s_scan_continue (zs_server_t *self)
{
    zs_background_t *background = &self->background;
    if (zs_index_walk (self->index, &background->scan->cursor, SCAN_SLICE, s_scan_one,
                       background->scan))
        s_scan_end (self, &background->scan);
}

//  Bytes the queue and the copies in flight have yet to move. Kept as a sum:
//  every copy's events tell it, and a queue may hold many files.
static uint64_t
s_bytes_left (zs_server_t *self)
{
    zs_background_t *background = &self->background;
    return background->active_bytes + background->overflow_bytes + background->queued_bytes;
}

//  A copy's event, with where the whole queue stands: watchers need no poll
static void
s_copy_event (zs_server_t *self, const char *kind, const char *user, const char *name,
              zs_copy_purpose_t purpose, const char *detail)
{
    zs_background_t *background = &self->background;
    zs_proto_t *event = zs_server_event (self, kind);
    zs_proto_set_attr (event, "user", "%s", user);
    zs_proto_set_attr (event, "name", "%s", name);
    zs_proto_set_attr (event, "purpose", "%s", purpose == ZS_COPY_MOVE ? "move" : "repair");
    if (detail)
        zs_proto_set_attr (event, "detail", "%s", detail);
    uint64_t left = s_bytes_left (self);
    zs_proto_set_attr (event, "files_waiting", "%zu",
                       zlistx_size (background->queue) + (size_t) background->overflow);
    zs_proto_set_attr (event, "in_flight", "%zu", background->active);
    zs_proto_set_attr (event, "bytes_left", "%" PRIu64, left);
    zs_proto_set_attr (event, "rate", "%" PRIu64, background->rate);
    if (background->rate)
        zs_proto_set_attr (event, "seconds_left", "%" PRIu64,
                           (left + background->rate - 1) / background->rate);
    zs_events_publish (self->events);
}

//  Starts the copies one queued file needs; false if it needs none now
static bool
s_start (zs_server_t *self, const zs_pending_copy_t *pending)
{
    char user[ZS_USER_MAX + 1];
    const char *slash = strchr (pending->key, '/');
    if (!slash || (size_t) (slash - pending->key) > ZS_USER_MAX)
        return false;
    snprintf (user, sizeof (user), "%.*s", (int) (slash - pending->key), pending->key);
    const char *name = slash + 1;
    zs_record_t record;
    if (!zs_index_get (self->index, user, name, &record) || record.tombstone)
        return false;
    zs_member_t *targets[ZS_REPLICAS_MAX];
    size_t count;
    zs_copy_purpose_t purpose = ZS_COPY_REPAIR;
    if (pending->move_from >= 0) {
        //  A move still makes sense only if both ends are as planned
        zs_member_t *to = zs_registry_slot (self->registry, (uint16_t) pending->move_to);
        if (!to || to->state != ZS_MEMBER_ALIVE || to->draining || !to->routing_id
            || zs_index_has (record.holders, record.holder_count, to->slot)
            || !zs_index_has_confirmed (record.holders, record.holder_count,
                                        (uint16_t) pending->move_from)
            || !zs_server_holder_live (self, (uint16_t) pending->move_from))
            return false;
        targets[0] = to;
        count = 1;
        purpose = ZS_COPY_MOVE;
    }
    else {
        size_t needed = s_copies_needed (self, &record, NULL);
        if (needed == 0)
            return false;
        if (needed > ZS_REPLICAS_MAX)
            needed = ZS_REPLICAS_MAX;
        count = zs_placement_choose (self->registry, record.size, record.holders,
                                     record.holder_count, needed, targets);
        if (count == 0)
            return false; //  No bucket can take a copy now; the next scan tries again
    }
    //  Counted before it starts: a copy that fails at once is uncounted again
    self->background.active++;
    self->background.active_bytes += record.size * count;
    if (zs_transfers_background (self, user, name, &record, targets, count, purpose,
                                 pending->move_from))
        return false;
    char detail[ZS_REPLICAS_MAX * (ZS_BUCKET_ID_MAX + 1) + 32];
    size_t used = 0;
    for (size_t index = 0; index < count; index++)
        used += (size_t) snprintf (detail + used, sizeof (detail) - used, "%s%s",
                                   index ? "," : "to ", targets[index]->id);
    s_copy_event (self, "repair.started", user, name, purpose, detail);
    if (self->verbose)
        zsys_debug ("%s of %s/%s started, %s", purpose == ZS_COPY_MOVE ? "move" : "repair", user,
                    name, detail);
    return true;
}

void
zs_repair_copy_ended (zs_server_t *self, zs_transfer_t *transfer, bool ok)
{
    zs_background_t *background = &self->background;
    if (background->active > 0)
        background->active--;
    uint64_t bytes = transfer->size * transfer->sink_count;
    background->active_bytes =
        background->active_bytes > bytes ? background->active_bytes - bytes : 0;
    s_copy_event (self, ok ? "repair.finished" : "repair.failed", transfer->user, transfer->name,
                  transfer->purpose, NULL);
    //  All done: one more look, to see drains through and catch what changed
    if (background->active == 0 && zlistx_size (background->queue) == 0)
        background->dirty = true;
    if (!ok) {
        //  Look again soon, not at once: whatever failed may fail again
        int64_t retry = zclock_mono () + RETRY_DELAY;
        if (background->next_scan > retry)
            background->next_scan = retry;
        return;
    }
    if (transfer->purpose == ZS_COPY_MOVE && transfer->move_from >= 0) {
        //  The new copy is durable: the old one may go, if it is still extra
        zs_record_t record = { 0 };
        zs_member_t *from = zs_registry_slot (self->registry, (uint16_t) transfer->move_from);
        uint8_t durable = 0;
        if (from && zs_index_get (self->index, transfer->user, transfer->name, &record)
            && record.version == transfer->version)
            s_copies_needed (self, &record, &durable);
        if (durable > record.desired)
            zs_files_trim (self, transfer->user, transfer->name, &record, &from, 1);
    }
}

bool
zs_repair_may_move (zs_server_t *self)
{
    return self->repair_rate == 0 || self->background.tokens > 0;
}

void
zs_repair_moved (zs_server_t *self, size_t bytes)
{
    self->background.tokens -= (int64_t) bytes;
    self->background.moved += bytes;
}

//  After a start, buckets get the recovery window and the grace period to
//  come back before any of their copies is counted as lost
static bool
s_may_repair (zs_server_t *self, int64_t now)
{
    return !self->recovering && now - self->started >= self->recovery + self->repair_grace;
}

static void
s_refill (zs_server_t *self, int64_t now)
{
    zs_background_t *background = &self->background;
    if (self->repair_rate) {
        //  Tokens for the time passed, at most a quarter of a second's worth:
        //  bursts stay short
        int64_t earned =
            (int64_t) (self->repair_rate * (uint64_t) (now - background->refilled) / 1000);
        background->tokens += earned;
        if (background->tokens > (int64_t) self->repair_rate / 4)
            background->tokens = (int64_t) self->repair_rate / 4;
    }
    background->refilled = now;
    if (now - background->measured >= RATE_WINDOW) {
        uint64_t rate = background->moved * 1000 / (uint64_t) (now - background->measured);
        background->rate = (background->rate + rate) / 2;
        background->moved = 0;
        background->measured = now;
    }
    if (zs_repair_may_move (self))
        zs_transfers_resume_background (self);
}

void
zs_repair_tick (zs_server_t *self)
{
    zs_background_t *background = &self->background;
    int64_t now = zclock_mono ();
    s_refill (self, now);
    if (!s_may_repair (self, now))
        return;
    if (!background->scan && (background->dirty || now >= background->next_scan)) {
        background->dirty = false;
        background->next_scan = now + SCAN_INTERVAL;
        s_scan_begin (self);
    }
    if (background->scan)
        s_scan_continue (self);
    if (self->rebalance && zlistx_size (background->queue) == 0 && background->active == 0
        && now >= background->next_rebalance) {
        background->next_rebalance = now + REBALANCE_INTERVAL;
        zs_repair_rebalance (self);
    }
    zs_repair_start_copies (self);
}

bool
zs_repair_start_copies (zs_server_t *self)
{
    zs_background_t *background = &self->background;
    if (background->active >= self->repair_streams || zlistx_size (background->queue) == 0
        || !s_may_repair (self, zclock_mono ()))
        return false;
    //  A copy starts only while the rate allows, as its chunks will count
    bool taken = false;
    while (background->active < self->repair_streams && zlistx_size (background->queue)
           && zs_repair_may_move (self)) {
        zs_pending_copy_t *pending = (zs_pending_copy_t *) zlistx_first (background->queue);
        //  Off the queue before its start tells the bytes left
        background->queued_bytes -= pending->bytes;
        s_start (self, pending);
        zlistx_delete (background->queue, zlistx_cursor (background->queue));
        taken = true;
    }
    //  Files left out of the queue are found by the next look, soon, also
    //  when none of the queue needed a copy after all
    if (taken && zlistx_size (background->queue) == 0 && background->active == 0
        && background->overflow > 0) {
        int64_t soon = zclock_mono () + RETRY_DELAY;
        if (background->next_scan > soon)
            background->next_scan = soon;
    }
    return taken;
}

void
zs_repair_status (zs_server_t *self, zs_proto_t *reply)
{
    zs_background_t *background = &self->background;
    zs_proto_set_repairs (reply, zlistx_size (background->queue) + background->overflow);
    zs_proto_set_repairing (reply, (uint32_t) background->active);
    zs_proto_set_repair_bytes (reply, s_bytes_left (self));
    zs_proto_set_repair_rate (reply, background->rate);
}

//  --------------------------------------------------------------------------
//  Rebalancing

typedef struct {
    zs_server_t *self;
    zs_member_t *from;                   //  The bucket to empty some
    int64_t budget;                      //  Bytes it should give up
    double mean;                         //  Fullness all should come near
    uint64_t planned[ZS_REGISTRY_SLOTS]; //  Bytes already planned onto each bucket
    size_t moves;                        //  Moves planned
} rebalance_t;

static double
s_fullness (const zs_member_t *member, uint64_t planned)
{
    uint64_t total = member->used + member->free;
    return total ? (double) (member->used + member->reserved + planned) / (double) total : 1.0;
}

//  Zones a file's copies would cover with the copy on from moved to to (a
//  bucket without a zone is a zone of its own)
static size_t
s_zones_after_move (zs_server_t *self, const zs_record_t *record, const zs_member_t *from,
                    const zs_member_t *to)
{
    const zs_member_t *members[ZS_INDEX_SLOTS_MAX + 1];
    size_t count = 0, zones = 0;
    for (uint8_t index = 0; index < record->holder_count; index++) {
        const zs_member_t *member =
            zs_registry_slot (self->registry, ZS_INDEX_SLOT (record->holders[index]));
        if (member && member != from)
            members[count++] = member;
    }
    if (to)
        members[count++] = to;
    for (size_t index = 0; index < count; index++) {
        bool seen = false;
        for (size_t other = 0; other < index && *members[index]->zone; other++)
            seen |= streq (members[other]->zone, members[index]->zone);
        zones += !seen;
    }
    return zones;
}

static int
s_plan_move (const char *user, const char *name, zs_record_t *record, void *arg)
{
    rebalance_t *plan = (rebalance_t *) arg;
    zs_server_t *self = plan->self;
    if (plan->budget <= 0 || record->tombstone
        || !zs_index_has_confirmed (record->holders, record->holder_count, plan->from->slot)
        || !zs_server_holder_live (self, plan->from->slot))
        return ZS_INDEX_KEEP;
    //  A move evens out usage without narrowing the file's spread over zones
    size_t zones = s_zones_after_move (self, record, NULL, NULL);
    zs_member_t *best = NULL;
    for (zs_member_t *member = zs_registry_first (self->registry); member;
         member = zs_registry_next (self->registry, member)) {
        if (member->state != ZS_MEMBER_ALIVE || member->draining || !member->routing_id
            || zs_index_has (record->holders, record->holder_count, member->slot)
            || member->free < member->reserved + plan->planned[member->slot] + record->size
            || s_fullness (member, plan->planned[member->slot] + record->size) > plan->mean
            || s_zones_after_move (self, record, plan->from, member) < zones)
            continue;
        if (!best
            || s_fullness (member, plan->planned[member->slot])
                   < s_fullness (best, plan->planned[best->slot]))
            best = member;
    }
    if (!best)
        return ZS_INDEX_KEEP;
    zs_pending_copy_t *move = s_pending_new (user, name, 0, record->size);
    move->move_from = plan->from->slot;
    move->move_to = best->slot;
    zlistx_add_end (self->background.queue, move);
    self->background.queued_bytes += move->bytes;
    plan->planned[best->slot] += record->size;
    plan->budget -= (int64_t) record->size;
    plan->moves++;
    return ZS_INDEX_KEEP;
}

size_t
zs_repair_rebalance (zs_server_t *self)
{
    rebalance_t *plan = (rebalance_t *) zmalloc (sizeof (rebalance_t));
    assert (plan);
    plan->self = self;
    uint64_t used = 0, total = 0;
    for (zs_member_t *member = zs_registry_first (self->registry); member;
         member = zs_registry_next (self->registry, member))
        if (member->state == ZS_MEMBER_ALIVE && !member->draining && member->routing_id) {
            used += member->used;
            total += member->used + member->free;
        }
    plan->mean = total ? (double) used / (double) total : 0;
    for (zs_member_t *member = zs_registry_first (self->registry); member;
         member = zs_registry_next (self->registry, member)) {
        if (member->state != ZS_MEMBER_ALIVE || member->draining || !member->routing_id
            || s_fullness (member, 0) <= plan->mean + REBALANCE_SLACK)
            continue;
        plan->from = member;
        plan->budget = (int64_t) member->used
                       - (int64_t) (plan->mean * (double) (member->used + member->free));
        zs_index_foreach (self->index, s_plan_move, plan);
    }
    size_t moves = plan->moves;
    free (plan);
    if (moves)
        zsys_info ("rebalance: %zu copies to move to emptier buckets", moves);
    return moves;
}
