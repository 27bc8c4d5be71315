/*  zs_members - the gateway's buckets: registration, inventories,
    heartbeats, and what happens when one goes away

    A bucket is alive while it is heard from; suspect once one and a half
    heartbeats pass in silence; dead after liveness heartbeats. A dead bucket
    keeps its place in the index as the holder of its copies: they count
    again when it registers and reports them.
*/

#include "zs_name.h"
#include "zs_parse.h"
#include "zs_server.h"

#include <stdarg.h>

#define REFUSAL_LOG_INTERVAL 60000 //  ms between two logs of the same refused claim

static void
s_bucket_event (zs_server_t *self, const char *kind, zs_member_t *member)
{
    zs_proto_t *event = zs_server_event (self, kind);
    zs_proto_set_attr (event, "bucket", "%s", member->id);
    zs_proto_set_attr (event, "zone", "%s", member->zone);
    zs_proto_set_attr (event, "address", "%s", member->address);
    zs_proto_set_attr (event, "state", "%s", zs_server_member_state (self, member));
    zs_proto_set_attr (event, "files", "%" PRIu64, member->files);
    zs_proto_set_attr (event, "bytes_used", "%" PRIu64, member->used);
    zs_proto_set_attr (event, "bytes_free", "%" PRIu64, member->free);
    zs_proto_set_attr (event, "rtt_us", "%u", member->rtt);
    zs_proto_set_attr (event, "last_heartbeat_ms", "%" PRId64,
                       member->last_heard ? zclock_mono () - member->last_heard : 0);
    zs_events_publish (self->events);
}

static void s_refuse (zs_server_t *self, const char *format, ...) CHECK_PRINTF (2);

static void
s_refuse (zs_server_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *reason = zsys_vprintf (format, args);
    va_end (args);
    zs_proto_set_id (self->reply, ZS_PROTO_REFUSED);
    zs_proto_set_reason (self->reply, "%s", reason ? reason : "refused");
    zs_proto_set_routing_id (self->reply, zs_proto_routing_id (self->message));
    zs_proto_send (self->reply, self->backend);
    zs_proto_reset (self->reply);
    free (reason);
}

//  A bucket registering again: each copy it held is unconfirmed until its
//  inventory reports it, and still counts where a copy might be meanwhile
static int
s_unconfirm (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) user;
    (void) name;
    zs_member_t *member = (zs_member_t *) arg;
    if (!zs_index_has (record->holders, record->holder_count, member->slot))
        return ZS_INDEX_KEEP;
    zs_index_add (record->holders, &record->holder_count, member->slot | ZS_INDEX_UNCONFIRMED);
    return ZS_INDEX_UPDATE;
}

//  Its inventory complete, a bucket holds no copy it did not report as far
//  as reads go; in case it does after all (a read error hid it), it stays
//  pending, so that a removal still reaches it
static int
s_drop_unconfirmed (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) user;
    (void) name;
    zs_member_t *member = (zs_member_t *) arg;
    uint16_t unconfirmed = member->slot | ZS_INDEX_UNCONFIRMED;
    for (uint8_t index = 0; index < record->holder_count; index++)
        if (record->holders[index] == unconfirmed) {
            zs_index_delete (record->holders, &record->holder_count, unconfirmed);
            zs_index_add (record->pending, &record->pending_count, member->slot);
            return ZS_INDEX_UPDATE;
        }
    return ZS_INDEX_KEEP;
}

void
zs_members_register (zs_server_t *self)
{
    zs_proto_t *message = self->message;
    const char *id = zs_proto_bucket (message);
    const char *zone = zs_proto_zone (message);
    zframe_t *routing_id = zs_proto_routing_id (message);
    if (zs_name_check_bucket (id)) {
        s_refuse (self, "bad bucket id: %s", zs_name_check_bucket (id));
        return;
    }
    if (zs_name_check_zone (zone)) {
        s_refuse (self, "bad zone: %s", zs_name_check_zone (zone));
        return;
    }
    zs_member_t *connected = zs_registry_connected (self->registry, routing_id);
    if (connected && strneq (connected->id, id)) {
        s_refuse (self, "this connection is registered as bucket '%s'", connected->id);
        return;
    }
    zs_member_t *member = zs_registry_lookup (self->registry, id);
    bool same_folder =
        member && memcmp (member->instance, zs_proto_instance (message), ZS_INSTANCE_SIZE) == 0;
    if (member && member->routing_id && !zframe_eq (member->routing_id, routing_id)) {
        if (!same_folder) {
            int64_t now = zclock_mono ();
            if (now - member->last_refusal > REFUSAL_LOG_INTERVAL) {
                member->last_refusal = now;
                const char *address = zs_proto_meta (message, "Peer-Address");
                zsys_error ("bucket %s: refused a second bucket claiming this live id (from %s)",
                            id, address ? address : "?");
            }
            s_refuse (self, "bucket id '%s' belongs to a live bucket with another data folder", id);
            return;
        }
        //  The same data folder from a new process: the old one is gone
        zs_members_lost (self, member, "restarted");
    }
    if (!member && !(member = zs_registry_ensure (self->registry, id))) {
        s_refuse (self, "the gateway knows too many buckets");
        return;
    }
    bool returning = member->ever_registered;
    if (returning && !same_folder)
        zsys_warning ("bucket %s: new data folder; the copies it held are gone", id);
    zs_registry_connect (self->registry, member, routing_id);
    snprintf (member->zone, sizeof (member->zone), "%s", zone);
    const char *address = zs_proto_meta (message, "Peer-Address");
    snprintf (member->address, sizeof (member->address), "%s", address ? address : "");
    memcpy (member->instance, zs_proto_instance (message), ZS_INSTANCE_SIZE);
    member->capacity = zs_proto_capacity (message);
    member->used = zs_proto_used (message);
    member->free = zs_proto_free (message);
    member->files = zs_proto_files (message);
    zs_registry_set_state (self->registry, member, ZS_MEMBER_ALIVE);
    member->grace_over = false;
    member->ever_registered = true;
    member->inventory_done = false;
    member->last_heard = zclock_mono ();
    member->missed = 0;
    member->registered_at = member->last_heard;
    member->next_heartbeat = member->last_heard + self->heartbeat;
    //  The inventory that follows says again what the bucket holds
    zs_index_foreach (self->index, s_unconfirm, member);

    zs_proto_set_id (self->reply, ZS_PROTO_WELCOME);
    zs_proto_set_heartbeat (self->reply, (uint32_t) self->heartbeat);
    zs_proto_set_liveness (self->reply, (uint32_t) self->liveness);
    zs_server_send_bucket (self, member);
    char free_text[32];
    zs_parse_format_size (member->free, free_text, sizeof (free_text));
    zsys_info ("bucket %s: %s (zone '%s', %" PRIu64 " copies, %s free)", id,
               returning ? "back" : "registered", zone, member->files, free_text);
    s_bucket_event (self, returning ? "bucket.back" : "bucket.registered", member);
}

//  Adds a bucket to a slot list, creating members for ids not seen yet
static void
s_add_named (zs_server_t *self, const char *names, uint16_t *slots, uint8_t *count)
{
    char *list = strdup (names);
    char *state = NULL;
    for (char *id = list ? strtok_r (list, ",", &state) : NULL; id;
         id = strtok_r (NULL, ",", &state)) {
        zs_member_t *member =
            zs_name_check_bucket (id) ? NULL : zs_registry_ensure (self->registry, id);
        if (member)
            zs_index_add (slots, count, member->slot);
    }
    free (list);
}

//  Takes one record of a bucket's inventory into the index
//  Whether a record from an inventory makes sense; a bucket's disk or the
//  bucket itself may be damaged
static bool
s_sensible (const zs_fileinfo_t *report)
{
    bool tombstone = (report->flags & ZS_FILE_TOMBSTONE) != 0;
    return !zs_name_check_user (report->user) && !zs_name_check_file (report->name)
           && report->version > 0 && report->version < UINT64_MAX / 2
           && report->size <= (uint64_t) UINT32_MAX * ZS_CHUNK_SIZE
           && (tombstone || (report->desired >= 1 && report->desired <= ZS_REPLICAS_MAX));
}

static void
s_intake (zs_server_t *self, zs_member_t *member, const zs_fileinfo_t *report)
{
    if (!s_sensible (report)) {
        zsys_warning ("bucket %s: ignored a damaged inventory record", member->id);
        return;
    }
    bool tombstone = (report->flags & ZS_FILE_TOMBSTONE) != 0;
    if (!tombstone && zs_server_discarded (self, report->user, report->name, report->version)) {
        //  A copy of a put that failed: it never was the file
        zs_server_tell (self, ZS_PROTO_DROP, member, report->user, report->name, report->version);
        return;
    }
    zs_server_observe_version (self, report->version);
    zs_record_t current, record;
    bool known = zs_index_get (self->index, report->user, report->name, &current);
    if (known && current.version > report->version) {
        //  The bucket holds an older version, or a removal since overtaken
        zs_index_add (current.pending, &current.pending_count, member->slot);
        zs_index_put (self->index, report->user, report->name, &current);
        zs_files_converge (self, report->user, report->name);
        return;
    }
    if (known && current.version == report->version && current.tombstone == tombstone) {
        //  A tombstone's list is taken once: buckets that confirmed since are
        //  not pending again
        zs_index_add (current.holders, &current.holder_count, member->slot);
        if (!tombstone && report->stamp > current.stamp) {
            current.desired = report->desired;
            current.stamp = report->stamp;
        }
        zs_index_put (self->index, report->user, report->name, &current);
        return;
    }
    //  New to the index, or newer than what it had: the others hold older ones
    memset (&record, 0, sizeof (record));
    record.version = report->version;
    record.size = report->size;
    record.stamp = report->stamp;
    record.desired = report->desired;
    record.tombstone = tombstone;
    memcpy (record.checksum, report->checksum, ZS_CHECKSUM_SIZE);
    zs_index_add (record.holders, &record.holder_count, member->slot);
    if (tombstone)
        s_add_named (self, report->buckets, record.pending, &record.pending_count);
    if (known) {
        zs_index_union (record.pending, &record.pending_count, current.holders,
                        current.holder_count);
        zs_index_union (record.pending, &record.pending_count, current.pending,
                        current.pending_count);
    }
    zs_index_delete (record.pending, &record.pending_count, member->slot);
    zs_index_put (self->index, report->user, report->name, &record);
    if (record.pending_count)
        zs_files_converge (self, report->user, report->name);
}

static void
s_inventory (zs_server_t *self, zs_member_t *member)
{
    //  The deadline counts from the last batch: a large inventory may take long
    member->registered_at = zclock_mono ();
    zlistx_t *entries = zs_proto_entries (self->message);
    const zs_fileinfo_t *report = (const zs_fileinfo_t *) zlistx_first (entries);
    for (; report; report = (const zs_fileinfo_t *) zlistx_next (entries))
        s_intake (self, member, report);
    if (zs_proto_more (self->message)) {
        zs_proto_set_id (self->reply, ZS_PROTO_INVENTORY_ACK);
        zs_server_send_bucket (self, member);
        return;
    }
    member->inventory_done = true;
    if (self->verbose)
        zsys_debug ("bucket %s: inventory complete", member->id);
    zs_index_foreach (self->index, s_drop_unconfirmed, member);
    zs_files_converge_member (self, member);
    //  Files short of copies may have a place on it now
    zs_repair_dirty (self);
}

static void
s_heartbeat (zs_server_t *self, zs_member_t *member)
{
    member->used = zs_proto_used (self->message);
    member->free = zs_proto_free (self->message);
    member->files = zs_proto_files (self->message);
    uint64_t clock = zs_proto_clock (self->message);
    uint64_t now = (uint64_t) zclock_usecs ();
    if (clock && clock <= now)
        member->rtt = (uint32_t) (now - clock);
    if (member->state == ZS_MEMBER_SUSPECT) {
        zs_registry_set_state (self->registry, member, ZS_MEMBER_ALIVE);
        zsys_info ("bucket %s: heard again, alive", member->id);
        s_bucket_event (self, "bucket.alive", member);
        //  Its copies may be sources for repairs again
        zs_repair_dirty (self);
    }
    if (clock)
        s_bucket_event (self, "bucket.heartbeat", member);
}

void
zs_members_handle (zs_server_t *self, zs_member_t *member)
{
    switch (zs_proto_id (self->message)) {
        case ZS_PROTO_INVENTORY: s_inventory (self, member); break;
        case ZS_PROTO_HEARTBEAT: s_heartbeat (self, member); break;
        case ZS_PROTO_COPY_LOST:
            zs_files_copy_lost (self, zs_proto_user (self->message), zs_proto_name (self->message),
                                zs_proto_version (self->message), member,
                                zs_proto_reason (self->message));
            break;
        default:
            zsys_warning ("bucket %s: unexpected %s", member->id, zs_proto_command (self->message));
            break;
    }
}

//  Whatever was in progress with the bucket cannot go on
static void
s_detach (zs_server_t *self, zs_member_t *member)
{
    zs_registry_connect (self->registry, member, NULL);
    member->lost = NULL;
    zs_transfers_member_lost (self, member);
    zs_files_member_lost (self, member);
}

void
zs_members_lost (zs_server_t *self, zs_member_t *member, const char *why)
{
    if (!member->routing_id)
        return;
    //  It may be back in a moment on a new connection; until it is, or
    //  until it has been silent too long, it is suspect
    if (member->state == ZS_MEMBER_ALIVE) {
        zs_registry_set_state (self->registry, member, ZS_MEMBER_SUSPECT);
        zsys_warning ("bucket %s: suspect (%s)", member->id, why);
        s_bucket_event (self, "bucket.suspect", member);
    }
    s_detach (self, member);
}

void
zs_members_tick (zs_server_t *self)
{
    int64_t now = zclock_mono ();
    //  A gateway that could not run for a while (a stalled machine, a
    //  debugger) heard nobody meanwhile: that silence is not the buckets'
    int64_t stalled = self->last_tick ? now - self->last_tick - self->heartbeat / 2 : 0;
    self->last_tick = now;
    if (stalled > 0) {
        zsys_warning ("gateway: did not run for %" PRId64 " ms: buckets are not blamed for it",
                      stalled + self->heartbeat / 2);
        for (zs_member_t *member = zs_registry_first (self->registry); member;
             member = zs_registry_next (self->registry, member))
            if (member->state != ZS_MEMBER_DEAD)
                member->last_heard += stalled;
    }
    for (zs_member_t *member = zs_registry_first (self->registry); member;
         member = zs_registry_next (self->registry, member)) {
        if (member->state == ZS_MEMBER_DEAD) {
            //  Its copies count as lost once the grace period is over
            bool expiring = member->ever_registered && !member->grace_over
                            && now - member->dead_since >= self->repair_grace;
            if (expiring) {
                member->grace_over = true;
                zs_repair_rescan (self);
            }
            continue;
        }
        int64_t silence = now - member->last_heard;
        if (silence > self->liveness * self->heartbeat) {
            zs_registry_set_state (self->registry, member, ZS_MEMBER_DEAD);
            member->dead_since = now;
            zs_repair_rescan (self);
            zsys_warning ("bucket %s: dead (silent for %" PRId64 " ms)", member->id, silence);
            s_bucket_event (self, "bucket.dead", member);
            if (member->routing_id)
                s_detach (self, member);
            continue;
        }
        //  One event per heartbeat missed, for those who watch. An answer is
        //  due a round trip after each heartbeat: half an interval more is
        //  allowed before it counts as missed.
        int64_t missed = (silence - self->heartbeat / 2) / self->heartbeat;
        if (missed > member->missed) {
            member->missed = missed;
            zs_proto_t *event = zs_server_event (self, "bucket.missed");
            zs_proto_set_attr (event, "bucket", "%s", member->id);
            zs_proto_set_attr (event, "missed", "%" PRId64, missed);
            zs_proto_set_attr (event, "last_heartbeat_ms", "%" PRId64, silence);
            zs_events_publish (self->events);
        }
        if (member->state == ZS_MEMBER_ALIVE && silence > self->heartbeat * 3 / 2
            && self->liveness > 1) {
            zs_registry_set_state (self->registry, member, ZS_MEMBER_SUSPECT);
            zsys_warning ("bucket %s: suspect (silent for %" PRId64 " ms)", member->id, silence);
            s_bucket_event (self, "bucket.suspect", member);
        }
        //  A bucket that never finishes its inventory would hold up recovery
        if (member->routing_id && !member->inventory_done
            && now - member->registered_at > self->transfer_timeout) {
            zs_members_lost (self, member, "its inventory stalled");
            continue;
        }
        if (member->routing_id && now >= member->next_heartbeat) {
            member->next_heartbeat = now + self->heartbeat;
            zs_proto_set_id (self->reply, ZS_PROTO_HEARTBEAT);
            zs_proto_set_clock (self->reply, (uint64_t) zclock_usecs ());
            zs_server_send_bucket (self, member);
        }
    }
}

//  --------------------------------------------------------------------------
//  Administration: drain, undrain, forget

typedef struct {
    zs_server_t *self;
    uint16_t slot; //  The bucket forgotten
} forget_t;

static int
s_purge (const char *user, const char *name, zs_record_t *record, void *arg)
{
    forget_t *forget = (forget_t *) arg;
    bool holder = zs_index_delete (record->holders, &record->holder_count, forget->slot);
    bool pending = zs_index_delete (record->pending, &record->pending_count, forget->slot);
    if (!holder && !pending)
        return ZS_INDEX_KEEP;
    //  A removal waiting for that bucket alone may now be settled
    if (record->tombstone)
        zs_files_converge (forget->self, user, name);
    return ZS_INDEX_UPDATE;
}

static void s_admin_reply (zs_server_t *self, const char *format, ...) CHECK_PRINTF (2);

static void
s_admin_reply (zs_server_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    zs_proto_set_id (self->reply, ZS_PROTO_ADMIN_OK);
    zs_proto_set_request (self->reply, zs_proto_request (self->message));
    zs_proto_set_reason (self->reply, "%s", text ? text : "");
    zs_server_send_client (self, zs_proto_routing_id (self->message));
    zsys_info ("%s", text ? text : "");
    free (text);
}

void
zs_members_admin (zs_server_t *self)
{
    zframe_t *client = zs_proto_routing_id (self->message);
    uint64_t request = zs_proto_request (self->message);
    const char *kind = zs_proto_kind (self->message);
    if (streq (kind, "rebalance")) {
        size_t moves = zs_repair_rebalance (self);
        s_admin_reply (self, "rebalance: %zu copies to move onto emptier buckets", moves);
        return;
    }
    if (strneq (kind, "drain") && strneq (kind, "undrain") && strneq (kind, "forget")) {
        zs_server_fail_client (self, client, request, ZS_STATUS_BAD_REQUEST,
                               "unknown admin command '%s'", kind);
        return;
    }
    zs_member_t *member = zs_registry_lookup (self->registry, zs_proto_bucket (self->message));
    if (!member) {
        zs_server_fail_client (self, client, request, ZS_STATUS_NOT_FOUND, "no bucket '%s'",
                               zs_proto_bucket (self->message));
        return;
    }
    if (streq (kind, "drain")) {
        if (member->state == ZS_MEMBER_DEAD) {
            zs_server_fail_client (self, client, request, ZS_STATUS_UNAVAILABLE,
                                   "bucket %s is dead: its copies are repaired, not drained",
                                   member->id);
            return;
        }
        if (!member->draining) {
            member->draining = true;
            member->drain_left = 1; //  Until the next scan has counted
            zs_repair_rescan (self);
            s_bucket_event (self, "bucket.draining", member);
        }
        s_admin_reply (self, "bucket %s is draining: its copies are being made elsewhere",
                       member->id);
    }
    else if (streq (kind, "undrain")) {
        if (member->draining) {
            member->draining = false;
            member->drain_left = 0;
            zs_files_converge_member (self, member);
            s_bucket_event (self, "bucket.undrained", member);
        }
        s_admin_reply (self, "bucket %s takes new copies again", member->id);
    }
    else {
        bool drained = member->draining && member->drain_left == 0;
        if (member->state != ZS_MEMBER_DEAD && !drained) {
            zs_server_fail_client (self, client, request, ZS_STATUS_CONFLICT,
                                   "bucket %s is %s: only dead or drained buckets can be "
                                   "forgotten (drain it first, or stop it)",
                                   member->id, zs_server_member_state (self, member));
            return;
        }
        if (member->routing_id)
            zs_members_lost (self, member, "forgotten");
        forget_t forget = { self, member->slot };
        zs_index_foreach (self->index, s_purge, &forget);
        zs_proto_t *event = zs_server_event (self, "bucket.forgotten");
        zs_proto_set_attr (event, "bucket", "%s", member->id);
        zs_events_publish (self->events);
        char id[ZS_BUCKET_ID_MAX + 1];
        snprintf (id, sizeof (id), "%s", member->id);
        zs_registry_remove (self->registry, &member);
        zs_repair_rescan (self);
        s_admin_reply (self, "bucket %s is forgotten", id);
    }
}
