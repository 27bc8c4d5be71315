/*  zs_files - what clients ask about files, and convergence

    Stat, list and status answer from the index at once. Remove and replica
    changes send small requests (ops) to the buckets concerned and answer
    the client when every bucket has, or a deadline passes.

    Convergence: an entry's pending buckets may still hold older versions
    (or older tombstones) of the file. Once the current version has all its
    copies live, or at once for a removal, each pending bucket that is alive
    is told to delete everything older; as each confirms, it leaves the
    pending set. A tombstone whose pending set empties is forgotten, by the
    index and by the buckets that kept it.
*/

#include "zs_name.h"
#include "zs_server.h"

#include <stdarg.h>

#define LIST_PAGE_MAX     1000 //  Entries per LIST_OK
#define CONVERGE_PER_TICK 1000 //  Entries examined per housekeeping tick
//  The look at every entry, to retry what failed: it starts this many ms
//  after the last one ended (or the tombstone grace period, when shorter),
//  and looks at this many places of the index per tick (about 1 ms)
#define SWEEP_INTERVAL 30000
#define SWEEP_SLICE    16384

static zs_op_t *
s_op_new (zs_server_t *self, zs_op_kind_t kind, const char *user, const char *name,
          uint64_t version)
{
    zs_op_t *op = (zs_op_t *) zmalloc (sizeof (zs_op_t));
    assert (op);
    op->id = zs_server_next_id (self);
    op->kind = kind;
    op->user = strdup (user);
    op->name = strdup (name);
    op->version = version;
    op->deadline = zclock_mono () + self->transfer_timeout;
    char key[24];
    zs_server_id_key (op->id, key);
    zhashx_insert (self->ops, key, op);
    return op;
}

static void
s_op_reply_to (zs_op_t *op, zframe_t *client, uint64_t request)
{
    op->client = zframe_dup (client);
    op->request = request;
}

//  Sends a request of the op (prepared in self->reply) to a bucket
static void
s_op_send (zs_server_t *self, zs_op_t *op, zs_member_t *member)
{
    zs_proto_set_transfer (self->reply, op->id);
    zs_proto_set_user (self->reply, op->user);
    zs_proto_set_name (self->reply, op->name);
    zs_index_add (op->waiting, &op->waiting_count, member->slot);
    zs_server_send_bucket (self, member);
}

static bool
s_connected (zs_member_t *member)
{
    return member && member->routing_id && !member->lost && member->state != ZS_MEMBER_DEAD;
}

//  Holders that count as live copies and whose bucket is connected
static size_t
s_live_holders (zs_server_t *self, const zs_record_t *record, zs_member_t **live)
{
    size_t count = 0;
    for (uint8_t index = 0; index < record->holder_count; index++) {
        if (!zs_server_holder_live (self, record->holders[index]))
            continue;
        zs_member_t *member = zs_registry_slot (self->registry, record->holders[index]);
        if (s_connected (member))
            live[count++] = member;
    }
    return count;
}

//  Copies being dropped neither count nor serve reads meanwhile (they are
//  unconfirmed), but a removal still reaches them
static void
s_mark_dropping (zs_server_t *self, const char *user, const char *name, uint64_t version,
                 zs_member_t **drop, size_t drop_count)
{
    zs_record_t record;
    if (!zs_index_get (self->index, user, name, &record) || record.version != version)
        return;
    for (size_t index = 0; index < drop_count; index++)
        if (zs_index_has (record.holders, record.holder_count, drop[index]->slot))
            zs_index_add (record.holders, &record.holder_count,
                          drop[index]->slot | ZS_INDEX_UNCONFIRMED);
    zs_index_put (self->index, user, name, &record);
}

//  Finds the entry a request names; answers FAILED when there is none
static bool
s_find (zs_server_t *self, zs_record_t *record)
{
    zs_proto_t *message = self->message;
    zframe_t *client = zs_proto_routing_id (message);
    uint64_t request = zs_proto_request (message);
    const char *problem = zs_name_check_user (zs_proto_user (message));
    if (!problem)
        problem = zs_name_check_file (zs_proto_name (message));
    if (problem) {
        zs_server_fail_client (self, client, request, ZS_STATUS_BAD_REQUEST, "%s", problem);
        return false;
    }
    if (zs_index_get (self->index, zs_proto_user (message), zs_proto_name (message), record)
        && !record->tombstone)
        return true;
    if (self->recovering)
        zs_server_fail_client (self, client, request, ZS_STATUS_RECOVERING,
                               "the gateway is still collecting inventories; try again");
    else
        zs_server_fail_client (self, client, request, ZS_STATUS_NOT_FOUND, "no file '%s'",
                               zs_proto_name (message));
    return false;
}

static void
s_file_event (zs_server_t *self, const char *kind, const char *user, const char *name,
              const zs_record_t *record)
{
    zs_proto_t *event = zs_server_event (self, kind);
    zs_proto_set_attr (event, "user", "%s", user);
    zs_proto_set_attr (event, "name", "%s", name);
    zs_proto_set_attr (event, "version", "%" PRIu64, record->version);
    zs_proto_set_attr (event, "size", "%" PRIu64, record->size);
    zs_proto_set_attr (event, "desired", "%u", record->desired);
    zs_proto_set_attr (event, "actual", "%zu", zs_server_live_copies (self, record));
    zs_events_publish (self->events);
}

//  --------------------------------------------------------------------------
//  Stat, list, status

//  Fills a file record for a client from an index entry
static void
s_describe (zs_server_t *self, const char *name, const zs_record_t *record, bool with_holders,
            zs_fileinfo_t *info)
{
    free (info->name);
    info->name = strdup (name);
    info->version = record->version;
    info->size = record->size;
    info->stamp = record->stamp;
    info->desired = record->desired;
    uint16_t slots[ZS_INDEX_SLOTS_MAX];
    size_t count = zs_server_live_slots (self, record, slots);
    info->actual = (uint8_t) count;
    memcpy (info->checksum, record->checksum, ZS_CHECKSUM_SIZE);
    if (with_holders) {
        char holders[ZS_INDEX_SLOTS_MAX * (ZS_BUCKET_ID_MAX + 1) + 1];
        zs_server_slot_names (self, slots, count, holders, sizeof (holders));
        free (info->buckets);
        info->buckets = strdup (holders);
    }
}

void
zs_files_stat (zs_server_t *self)
{
    zs_record_t record;
    if (!s_find (self, &record))
        return;
    zs_fileinfo_t *info = zs_fileinfo_new ();
    s_describe (self, zs_proto_name (self->message), &record, true, info);
    zs_proto_set_id (self->reply, ZS_PROTO_STAT_OK);
    zs_proto_set_request (self->reply, zs_proto_request (self->message));
    zs_proto_add_entry (self->reply, info);
    zs_fileinfo_destroy (&info);
    zs_server_send_client (self, zs_proto_routing_id (self->message));
}

typedef struct {
    zs_server_t *self;
    zs_fileinfo_t *info;
    char cursor[ZS_NAME_MAX + 1];
} list_page_t;

static int
s_list_one (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) user;
    list_page_t *page = (list_page_t *) arg;
    snprintf (page->cursor, sizeof (page->cursor), "%s", name);
    if (!record->tombstone) {
        s_describe (page->self, name, record, false, page->info);
        zs_proto_add_entry (page->self->reply, page->info);
    }
    return ZS_INDEX_KEEP;
}

void
zs_files_list (zs_server_t *self)
{
    zs_proto_t *message = self->message;
    zframe_t *client = zs_proto_routing_id (message);
    uint64_t request = zs_proto_request (message);
    const char *problem = zs_name_check_user (zs_proto_user (message));
    if (problem) {
        zs_server_fail_client (self, client, request, ZS_STATUS_BAD_REQUEST, "%s", problem);
        return;
    }
    if (self->recovering) {
        zs_server_fail_client (self, client, request, ZS_STATUS_RECOVERING,
                               "the gateway is still collecting inventories; try again");
        return;
    }
    size_t limit = zs_proto_limit (message);
    if (limit == 0 || limit > LIST_PAGE_MAX)
        limit = LIST_PAGE_MAX;
    list_page_t page = { self, zs_fileinfo_new (), "" };
    zs_proto_set_id (self->reply, ZS_PROTO_LIST_OK);
    zs_proto_set_request (self->reply, request);
    bool more = zs_index_list (self->index, zs_proto_user (message), zs_proto_name (message), limit,
                               s_list_one, &page);
    zs_proto_set_name (self->reply, page.cursor);
    zs_proto_set_more (self->reply, more);
    zs_fileinfo_destroy (&page.info);
    zs_server_send_client (self, client);
}

bool
zs_files_under_replicated (const zs_record_t *record, void *arg)
{
    return !record->tombstone
           && zs_server_live_copies ((zs_server_t *) arg, record) < record->desired;
}

uint64_t
zs_files_under_replicated_count (zs_server_t *self)
{
    //  The count follows the files as they change. A bucket whose state
    //  changed changed it for every copy it holds: those are counted again
    //  here, at the first look after, rather than at every look (the
    //  monitor asks twice a second, and a walk of a million files takes
    //  about 80 ms, during which the gateway serves nobody)
    if (self->counted_at != zs_registry_changes (self->registry)) {
        zs_index_recount (self->index);
        self->counted_at = zs_registry_changes (self->registry);
    }
    return zs_index_counted (self->index);
}

void
zs_files_status (zs_server_t *self)
{
    int64_t now = zclock_mono ();
    zs_proto_set_id (self->reply, ZS_PROTO_STATUS_OK);
    zs_proto_set_request (self->reply, zs_proto_request (self->message));
    for (zs_member_t *member = zs_registry_first (self->registry); member;
         member = zs_registry_next (self->registry, member)) {
        zs_bucketinfo_t *bucket = zs_bucketinfo_new ();
        free (bucket->id);
        free (bucket->zone);
        free (bucket->address);
        free (bucket->state);
        bucket->id = strdup (member->id);
        bucket->zone = strdup (member->zone);
        bucket->address = strdup (member->address);
        bucket->state = strdup (zs_server_member_state (self, member));
        bucket->heartbeat_age = member->last_heard ? (uint64_t) (now - member->last_heard) : 0;
        bucket->rtt = member->rtt;
        bucket->files = member->files;
        bucket->used = member->used;
        bucket->free = member->free;
        //  A bucket without a limit has what its file system gives it, which
        //  grows when others free space there
        bucket->capacity = member->capacity > member->used + member->free
                               ? member->capacity
                               : member->used + member->free;
        zs_proto_add_bucket (self->reply, &bucket);
    }
    zs_proto_set_files (self->reply, zs_index_files (self->index));
    zs_proto_set_used (self->reply, zs_index_bytes (self->index));
    zs_proto_set_under_replicated (self->reply, zs_files_under_replicated_count (self));
    zs_proto_set_recovering (self->reply, self->recovering);
    zs_proto_set_uptime (self->reply, (uint64_t) (now - self->started));
    zs_proto_set_sequence (self->reply, zs_events_sequence (self->events));
    zs_proto_set_heartbeat (self->reply, (uint32_t) self->heartbeat);
    zs_proto_set_liveness (self->reply, (uint32_t) self->liveness);
    zs_repair_status (self, self->reply);
    zs_server_send_client (self, zs_proto_routing_id (self->message));
}

//  --------------------------------------------------------------------------
//  Index updates from transfers

void
zs_files_stored (zs_server_t *self, zs_transfer_t *transfer, const uint16_t *slots, size_t count)
{
    zs_record_t current, record;
    bool known = zs_index_get (self->index, transfer->user, transfer->name, &current);
    bool superseded = transfer->kind == ZS_TRANSFER_PUT
                          ? known && current.version > transfer->version
                          : !known || current.tombstone || current.version != transfer->version;
    if (superseded) {
        //  A later put or a removal overtook this one: its copies are stale.
        //  Their buckets become pending on what overtook it, so that they are
        //  cleaned up for sure and a removal waits for them.
        if (!known) {
            for (size_t index = 0; index < count; index++)
                zs_server_tell (self, ZS_PROTO_DROP,
                                zs_registry_slot (self->registry, slots[index]), transfer->user,
                                transfer->name, transfer->version);
            return;
        }
        for (size_t index = 0; index < count; index++)
            zs_index_add (current.pending, &current.pending_count, slots[index]);
        zs_index_put (self->index, transfer->user, transfer->name, &current);
        zs_files_converge (self, transfer->user, transfer->name);
        return;
    }
    if (transfer->kind == ZS_TRANSFER_COPY) {
        for (size_t index = 0; index < count; index++)
            zs_index_add (current.holders, &current.holder_count, slots[index]);
        zs_index_put (self->index, transfer->user, transfer->name, &current);
        s_file_event (self, "file.copied", transfer->user, transfer->name, &current);
        return;
    }
    memset (&record, 0, sizeof (record));
    record.version = transfer->version;
    record.size = transfer->size;
    record.stamp = transfer->stamp;
    record.desired = transfer->desired;
    memcpy (record.checksum, transfer->checksum, ZS_CHECKSUM_SIZE);
    for (size_t index = 0; index < count; index++)
        zs_index_add (record.holders, &record.holder_count, slots[index]);
    if (known) {
        //  Whoever held an older version, or a tombstone, must delete it
        zs_index_union (record.pending, &record.pending_count, current.holders,
                        current.holder_count);
        zs_index_union (record.pending, &record.pending_count, current.pending,
                        current.pending_count);
    }
    zs_index_put (self->index, transfer->user, transfer->name, &record);
    if (record.pending_count)
        zs_files_converge (self, transfer->user, transfer->name);
    if (count < record.desired)
        zs_repair_dirty (self); //  A degraded write: repair adds the rest
    if (self->verbose)
        zsys_debug ("stored %s/%s version %" PRIu64 " (%" PRIu64 " bytes) on %zu buckets",
                    transfer->user, transfer->name, record.version, record.size, count);
    s_file_event (self, "file.stored", transfer->user, transfer->name, &record);
}

void
zs_files_copy_lost (zs_server_t *self, const char *user, const char *name, uint64_t version,
                    zs_member_t *member, const char *why)
{
    zs_record_t record;
    if (!zs_index_get (self->index, user, name, &record) || record.version != version
        || !zs_index_delete (record.holders, &record.holder_count, member->slot))
        return;
    zs_index_put (self->index, user, name, &record);
    zs_repair_dirty (self);
    zsys_warning ("bucket %s: copy of %s/%s lost (%s)", member->id, user, name, why);
    zs_proto_t *event = zs_server_event (self, "copy.lost");
    zs_proto_set_attr (event, "bucket", "%s", member->id);
    zs_proto_set_attr (event, "user", "%s", user);
    zs_proto_set_attr (event, "name", "%s", name);
    zs_proto_set_attr (event, "version", "%" PRIu64, version);
    zs_proto_set_attr (event, "reason", "%s", why);
    zs_events_publish (self->events);
}

//  --------------------------------------------------------------------------
//  Remove

//  Changes wait for the index to be whole: a bucket yet to report may hold
//  copies that a removal must know of
static bool
s_refuse_while_recovering (zs_server_t *self)
{
    if (!self->recovering)
        return false;
    zs_server_fail_client (self, zs_proto_routing_id (self->message),
                           zs_proto_request (self->message), ZS_STATUS_RECOVERING,
                           "the gateway is still collecting inventories; try again");
    return true;
}

void
zs_files_remove (zs_server_t *self)
{
    zs_record_t record;
    if (s_refuse_while_recovering (self) || !s_find (self, &record))
        return;
    zframe_t *client = zs_proto_routing_id (self->message);
    uint64_t request = zs_proto_request (self->message);
    const char *user = zs_proto_user (self->message);
    const char *name = zs_proto_name (self->message);
    //  Every bucket that may hold a copy must see the removal: those alive
    //  now are told at once, and record it for the others
    zs_member_t *keepers[ZS_INDEX_SLOTS_MAX];
    size_t keeper_count = s_live_holders (self, &record, keepers);
    if (keeper_count == 0) {
        size_t wanted = record.desired ? record.desired : 1;
        keeper_count =
            zs_placement_choose (self->registry, 0, NULL, 0,
                                 wanted < ZS_REPLICAS_MAX ? wanted : ZS_REPLICAS_MAX, keepers);
    }
    if (keeper_count == 0) {
        zs_server_fail_client (self, client, request, ZS_STATUS_UNAVAILABLE,
                               "no live bucket to record the removal of '%s'", name);
        return;
    }
    zs_record_t tombstone;
    memset (&tombstone, 0, sizeof (tombstone));
    tombstone.tombstone = true;
    tombstone.version = zs_server_next_version (self);
    tombstone.desired = record.desired;
    zs_index_union (tombstone.pending, &tombstone.pending_count, record.holders,
                    record.holder_count);
    zs_index_union (tombstone.pending, &tombstone.pending_count, record.pending,
                    record.pending_count);
    char pending[ZS_TEXT_MAX];
    zs_server_slot_names (self, tombstone.pending, tombstone.pending_count, pending,
                          sizeof (pending));

    zs_op_t *op = s_op_new (self, ZS_OP_REMOVE, user, name, tombstone.version);
    s_op_reply_to (op, client, request);
    for (size_t index = 0; index < keeper_count; index++) {
        zs_index_add (tombstone.holders, &tombstone.holder_count, keepers[index]->slot);
        zs_proto_set_id (self->reply, ZS_PROTO_DELETE);
        zs_proto_set_version (self->reply, tombstone.version);
        zs_proto_set_pending (self->reply, pending);
        s_op_send (self, op, keepers[index]);
    }
    //  From now on the file is gone for readers
    zs_index_put (self->index, user, name, &tombstone);
}

//  A tombstone that every bucket concerned has seen, and that is older than
//  the grace period, is forgotten: by the index and by the buckets keeping
//  it. The grace period covers buckets a restarted gateway does not know
//  about yet. Otherwise the record is stored as it is.
static void
s_settle_tombstone (zs_server_t *self, const char *user, const char *name,
                    const zs_record_t *record)
{
    bool seen = record->pending_count == 0;
    zs_record_t settled = *record;
    //  The grace period runs from when the last bucket saw it (the stamp,
    //  unused otherwise by a tombstone), as this gateway knows it
    uint64_t now = (uint64_t) zclock_time () * 1000;
    if (seen && settled.stamp == 0)
        settled.stamp = now;
    uint64_t age = seen && now > settled.stamp ? (now - settled.stamp) / 1000 : 0;
    //  A put that began before the removal must find it, or it would win
    if (seen && age >= (uint64_t) self->tombstone_grace
        && !zs_transfers_put_below (self, user, name, record->version)) {
        zs_index_remove (self->index, user, name);
        for (uint8_t index = 0; index < record->holder_count; index++)
            zs_server_tell (
                self, ZS_PROTO_FORGET,
                zs_registry_slot (self->registry, ZS_INDEX_SLOT (record->holders[index])), user,
                name, record->version);
        return;
    }
    zs_index_put (self->index, user, name, &settled);
}

static void
s_remove_done (zs_server_t *self, zs_op_t *op)
{
    zs_record_t record;
    bool current = zs_index_get (self->index, op->user, op->name, &record) && record.tombstone
                   && record.version == op->version;
    if (current) {
        //  Who deleted is no longer pending. Who did not answer stays a
        //  keeper, since it may have written the tombstone all the same.
        for (uint8_t index = 0; index < op->done_count; index++)
            zs_index_delete (record.pending, &record.pending_count, op->done[index]);
        s_settle_tombstone (self, op->user, op->name, &record);
        if (record.pending_count)
            zs_files_converge (self, op->user, op->name);
    }
    if (current && record.pending_count && op->done_count == 0) {
        zs_server_fail_client (self, op->client, op->request, ZS_STATUS_UNAVAILABLE,
                               "the removal of '%s' could not be recorded: %s", op->name,
                               op->reason);
        return;
    }
    zs_proto_set_id (self->reply, ZS_PROTO_REMOVE_OK);
    zs_proto_set_request (self->reply, op->request);
    zs_proto_set_version (self->reply, op->version);
    zs_server_send_client (self, op->client);
    zs_proto_t *event = zs_server_event (self, "file.removed");
    zs_proto_set_attr (event, "user", "%s", op->user);
    zs_proto_set_attr (event, "name", "%s", op->name);
    zs_proto_set_attr (event, "version", "%" PRIu64, op->version);
    zs_events_publish (self->events);
}

//  --------------------------------------------------------------------------
//  Replica count

static void
s_replicas_ok (zs_server_t *self, zframe_t *client, uint64_t request, const char *user,
               const char *name)
{
    zs_record_t record;
    if (!zs_index_get (self->index, user, name, &record) || record.tombstone) {
        zs_server_fail_client (self, client, request, ZS_STATUS_CONFLICT,
                               "'%s' was removed meanwhile", name);
        return;
    }
    zs_proto_set_id (self->reply, ZS_PROTO_REPLICAS_OK);
    zs_proto_set_request (self->reply, request);
    zs_proto_set_replicas (self->reply, record.desired);
    zs_proto_set_copies (self->reply, (uint8_t) zs_server_live_copies (self, &record));
    zs_server_send_client (self, client);
    s_file_event (self, "file.replicas", user, name, &record);
}

//  Records a new replica count on buckets, then answers the client
static void
s_set_replicas (zs_server_t *self, const zs_record_t *record, zs_member_t **keep, size_t keep_count,
                zs_member_t **drop, size_t drop_count, zframe_t *client, uint64_t request,
                const char *user, const char *name)
{
    if (keep_count + drop_count == 0) {
        s_replicas_ok (self, client, request, user, name);
        return;
    }
    zs_op_t *op = s_op_new (self, ZS_OP_REPLICAS, user, name, record->version);
    s_op_reply_to (op, client, request);
    op->replicas = record->desired;
    for (size_t index = 0; index < keep_count; index++) {
        zs_proto_set_id (self->reply, ZS_PROTO_SET_REPLICAS);
        zs_proto_set_version (self->reply, record->version);
        zs_proto_set_replicas (self->reply, record->desired);
        zs_proto_set_stamp (self->reply, record->stamp);
        s_op_send (self, op, keep[index]);
    }
    for (size_t index = 0; index < drop_count; index++) {
        zs_index_add (op->dropping, &op->dropping_count, drop[index]->slot);
        zs_proto_set_id (self->reply, ZS_PROTO_DROP);
        zs_proto_set_version (self->reply, record->version);
        s_op_send (self, op, drop[index]);
    }
    s_mark_dropping (self, user, name, record->version, drop, drop_count);
}

void
zs_files_replicas (zs_server_t *self)
{
    zframe_t *client = zs_proto_routing_id (self->message);
    uint64_t request = zs_proto_request (self->message);
    uint8_t replicas = zs_proto_replicas (self->message);
    if (replicas < 1 || replicas > ZS_REPLICAS_MAX) {
        zs_server_fail_client (self, client, request, ZS_STATUS_BAD_REQUEST,
                               "replicas must be 1 to %d", ZS_REPLICAS_MAX);
        return;
    }
    zs_record_t record;
    if (s_refuse_while_recovering (self) || !s_find (self, &record))
        return;
    const char *user = zs_proto_user (self->message);
    const char *name = zs_proto_name (self->message);
    zs_member_t *live[ZS_INDEX_SLOTS_MAX];
    size_t live_count = s_live_holders (self, &record, live);
    if (live_count == 0) {
        zs_server_fail_client (self, client, request, ZS_STATUS_UNAVAILABLE,
                               "no live bucket holds '%s'", name);
        return;
    }
    if (replicas == record.desired && live_count == replicas) {
        s_replicas_ok (self, client, request, user, name);
        return;
    }
    zs_member_t *targets[ZS_REPLICAS_MAX];
    size_t needed = replicas > live_count ? replicas - live_count : 0;
    size_t found = needed ? zs_placement_choose (self->registry, record.size, record.holders,
                                                 record.holder_count, needed, targets)
                          : 0;
    if (found < needed) {
        zs_server_fail_client (self, client, request, ZS_STATUS_UNAVAILABLE,
                               "%u replicas need %u live buckets with room, only %zu available",
                               replicas, replicas, live_count + found);
        return;
    }
    record.desired = replicas;
    record.stamp = zs_server_next_version (self);
    if (needed) {
        //  New copies first; the count goes to the old ones once they exist
        zs_index_put (self->index, user, name, &record);
        zs_transfers_copy (self, user, name, &record, targets, found, client, request);
        return;
    }
    //  Keep the copies that spread best over zones; drop the rest
    uint16_t order[ZS_INDEX_SLOTS_MAX];
    for (size_t index = 0; index < live_count; index++)
        order[index] = live[index]->slot;
    zs_placement_trim (self->registry, order, live_count, replicas);
    zs_member_t *keep[ZS_INDEX_SLOTS_MAX], *drop[ZS_INDEX_SLOTS_MAX];
    size_t keep_count = 0, drop_count = 0;
    for (size_t index = 0; index < live_count; index++) {
        zs_member_t *member = zs_registry_slot (self->registry, order[index]);
        //  The copies dropped stay holders until their bucket confirms
        if (index < replicas)
            keep[keep_count++] = member;
        else
            drop[drop_count++] = member;
    }
    zs_index_put (self->index, user, name, &record);
    s_set_replicas (self, &record, keep, keep_count, drop, drop_count, client, request, user, name);
}

void
zs_files_replicas_copied (zs_server_t *self, zs_transfer_t *transfer)
{
    zs_record_t record;
    if (!zs_index_get (self->index, transfer->user, transfer->name, &record) || record.tombstone
        || record.version != transfer->version) {
        zs_server_fail_client (self, transfer->client, transfer->request, ZS_STATUS_CONFLICT,
                               "'%s' changed while its copies were made", transfer->name);
        return;
    }
    //  The new copies carry the count; the older ones learn it now
    zs_member_t *live[ZS_INDEX_SLOTS_MAX], *older[ZS_INDEX_SLOTS_MAX];
    size_t live_count = s_live_holders (self, &record, live), older_count = 0;
    for (size_t index = 0; index < live_count; index++) {
        bool is_new = false;
        for (uint8_t sink = 0; sink < transfer->sink_count; sink++)
            is_new |= transfer->sinks[sink].slot == live[index]->slot;
        if (!is_new)
            older[older_count++] = live[index];
    }
    s_set_replicas (self, &record, older, older_count, NULL, 0, transfer->client, transfer->request,
                    transfer->user, transfer->name);
}

//  Copies whose bucket confirmed dropping them stop being holders; those
//  whose bucket did not are confirmed again
static void
s_drops_confirmed (zs_server_t *self, zs_op_t *op)
{
    zs_record_t record;
    if (zs_index_get (self->index, op->user, op->name, &record) && record.version == op->version) {
        for (uint8_t index = 0; index < op->dropping_count; index++) {
            uint16_t slot = op->dropping[index];
            if (zs_index_has (op->done, op->done_count, slot))
                zs_index_delete (record.holders, &record.holder_count, slot);
            else if (zs_index_has (record.holders, record.holder_count, slot))
                zs_index_add (record.holders, &record.holder_count, slot);
        }
        zs_index_put (self->index, op->user, op->name, &record);
    }
}

void
zs_files_trim (zs_server_t *self, const char *user, const char *name, const zs_record_t *record,
               zs_member_t **drop, size_t drop_count)
{
    s_mark_dropping (self, user, name, record->version, drop, drop_count);
    zs_op_t *op = s_op_new (self, ZS_OP_TRIM, user, name, record->version);
    for (size_t index = 0; index < drop_count; index++) {
        zs_index_add (op->dropping, &op->dropping_count, drop[index]->slot);
        zs_proto_set_id (self->reply, ZS_PROTO_DROP);
        zs_proto_set_version (self->reply, record->version);
        s_op_send (self, op, drop[index]);
    }
    if (self->verbose)
        zsys_debug ("trimming %zu extra copies of %s/%s", drop_count, user, name);
}

static void
s_replicas_done (zs_server_t *self, zs_op_t *op)
{
    s_drops_confirmed (self, op);
    if (op->failed_count) {
        zs_server_fail_client (self, op->client, op->request, ZS_STATUS_UNAVAILABLE,
                               "replica count of '%s' is %u, but not every bucket took it: %s",
                               op->name, op->replicas, op->reason);
        return;
    }
    s_replicas_ok (self, op->client, op->request, op->user, op->name);
}

//  --------------------------------------------------------------------------
//  Ops: completion

static void
s_cleanup_done (zs_server_t *self, zs_op_t *op)
{
    zs_record_t record;
    if (!zs_index_get (self->index, op->user, op->name, &record) || record.version != op->version)
        return;
    if (op->done_count == 0)
        return; //  Not done this time: the next sweep tries again
    zs_index_delete (record.pending, &record.pending_count, op->done[0]);
    if (record.tombstone)
        s_settle_tombstone (self, op->user, op->name, &record);
    else
        zs_index_put (self->index, op->user, op->name, &record);
}

static void
s_op_complete (zs_server_t *self, zs_op_t *op)
{
    switch (op->kind) {
        case ZS_OP_REMOVE: s_remove_done (self, op); break;
        case ZS_OP_REPLICAS: s_replicas_done (self, op); break;
        case ZS_OP_CLEANUP: s_cleanup_done (self, op); break;
        case ZS_OP_TRIM: s_drops_confirmed (self, op); break;
    }
    char key[24];
    zs_server_id_key (op->id, key);
    zhashx_delete (self->ops, key);
}

//  Notes a bucket's answer to an op; true when the op has all its answers
static bool
s_op_answer (zs_op_t *op, zs_member_t *member, bool ok, const char *reason)
{
    if (!zs_index_delete (op->waiting, &op->waiting_count, member->slot))
        return false;
    if (ok)
        zs_index_add (op->done, &op->done_count, member->slot);
    else {
        zs_index_add (op->failed, &op->failed_count, member->slot);
        if (!*op->reason)
            snprintf (op->reason, sizeof (op->reason), "bucket %s: %s", member->id, reason);
    }
    return op->waiting_count == 0;
}

bool
zs_files_done (zs_server_t *self, zs_member_t *member)
{
    char key[24];
    zs_server_id_key (zs_proto_transfer (self->message), key);
    zs_op_t *op = (zs_op_t *) zhashx_lookup (self->ops, key);
    if (!op)
        return false;
    bool ok = zs_proto_status (self->message) == ZS_STATUS_OK;
    if (s_op_answer (op, member, ok, zs_proto_reason (self->message)))
        s_op_complete (self, op);
    return true;
}

//  Completes, after the walk over ops, those that a loss or a deadline ended
static void
s_fail_waiting (zs_server_t *self, zs_member_t *member, const char *reason)
{
    zlistx_t *complete = zlistx_new ();
    zs_op_t *op = (zs_op_t *) zhashx_first (self->ops);
    int64_t now = zclock_mono ();
    for (; op; op = (zs_op_t *) zhashx_next (self->ops)) {
        if (member) {
            if (s_op_answer (op, member, false, reason))
                zlistx_add_end (complete, op);
        }
        else if (now > op->deadline) {
            while (op->waiting_count) {
                zs_member_t *late = zs_registry_slot (self->registry, op->waiting[0]);
                if (late)
                    s_op_answer (op, late, false, "no answer in time");
                else
                    zs_index_delete (op->waiting, &op->waiting_count, op->waiting[0]);
            }
            zlistx_add_end (complete, op);
        }
    }
    for (op = (zs_op_t *) zlistx_first (complete); op; op = (zs_op_t *) zlistx_next (complete))
        s_op_complete (self, op);
    zlistx_destroy (&complete);
}

void
zs_files_member_lost (zs_server_t *self, zs_member_t *member)
{
    s_fail_waiting (self, member, "went away");
}

//  --------------------------------------------------------------------------
//  Convergence

void
zs_files_converge (zs_server_t *self, const char *user, const char *name)
{
    char *key = zsys_sprintf ("%s/%s", user, name);
    //  Once in the queue is enough
    if (key && !zhashx_lookup (self->converging, key)) {
        zhashx_insert (self->converging, key, self);
        zlistx_add_end (self->converge, key);
    }
    zstr_free (&key);
}

typedef struct {
    zs_server_t *self;
    zs_member_t *member; //  Entries this bucket must clean up; NULL for all of them
} sweep_t;

static int
s_queue_if_pending (const char *user, const char *name, zs_record_t *record, void *arg)
{
    sweep_t *sweep = (sweep_t *) arg;
    //  For a bucket: entries it holds (they may now have copies to spare) or
    //  must clean; for all: entries with cleanup to do or copies to spare
    bool wanted =
        sweep->member
            ? zs_index_has (record->pending, record->pending_count, sweep->member->slot)
                  || zs_index_has (record->holders, record->holder_count, sweep->member->slot)
            : record->pending_count > 0 || record->tombstone
                  || zs_server_live_copies (sweep->self, record) > record->desired;
    if (wanted)
        zs_files_converge (sweep->self, user, name);
    return ZS_INDEX_KEEP;
}

void
zs_files_converge_member (zs_server_t *self, zs_member_t *member)
{
    sweep_t sweep = { self, member };
    zs_index_foreach (self->index, s_queue_if_pending, &sweep);
}

//  Tells the entry's pending buckets that are alive to delete older versions
static void
s_converge_entry (zs_server_t *self, const char *key)
{
    char user[ZS_USER_MAX + 1];
    const char *slash = strchr (key, '/');
    if (!slash || (size_t) (slash - key) > ZS_USER_MAX)
        return;
    snprintf (user, sizeof (user), "%.*s", (int) (slash - key), key);
    const char *name = slash + 1;
    zs_record_t record;
    if (!zs_index_get (self->index, user, name, &record))
        return;
    if (record.tombstone && record.pending_count == 0) {
        s_settle_tombstone (self, user, name, &record);
        return;
    }
    if (!record.tombstone) {
        //  More live copies than wanted (a bucket came back): keep the set that
        //  spreads best over zones, drop the rest
        zs_member_t *live[ZS_INDEX_SLOTS_MAX];
        size_t live_count = s_live_holders (self, &record, live);
        if (live_count > record.desired) {
            uint16_t order[ZS_INDEX_SLOTS_MAX];
            for (size_t index = 0; index < live_count; index++)
                order[index] = live[index]->slot;
            zs_placement_trim (self->registry, order, live_count, record.desired);
            zs_member_t *extra[ZS_INDEX_SLOTS_MAX];
            size_t extra_count = 0;
            for (size_t index = record.desired; index < live_count; index++)
                extra[extra_count++] = zs_registry_slot (self->registry, order[index]);
            zs_files_trim (self, user, name, &record, extra, extra_count);
        }
    }
    //  Older copies go only once the current version has all its own
    if (!record.tombstone && zs_server_live_copies (self, &record) < record.desired)
        return;
    for (uint8_t index = 0; index < record.pending_count; index++) {
        zs_member_t *member = zs_registry_slot (self->registry, record.pending[index]);
        if (!s_connected (member) || !member->inventory_done)
            continue;
        zs_op_t *op = s_op_new (self, ZS_OP_CLEANUP, user, name, record.version);
        zs_proto_set_id (self->reply, ZS_PROTO_DELETE);
        zs_proto_set_version (self->reply, record.version);
        zs_proto_set_pending (self->reply, "");
        s_op_send (self, op, member);
    }
}

void
zs_files_tick (zs_server_t *self)
{
    s_fail_waiting (self, NULL, NULL);
    if (self->recovering)
        return;
    int64_t now = zclock_mono ();
    //  The look at every entry goes a slice per tick, so that no request
    //  waits behind all of it, and only while the queue keeps up
    sweep_t sweep = { self, NULL };
    if (now >= self->next_sweep && zlistx_size (self->converge) < CONVERGE_PER_TICK
        && zs_index_walk (self->index, &self->sweep, SWEEP_SLICE, s_queue_if_pending, &sweep)) {
        int64_t interval =
            self->tombstone_grace < SWEEP_INTERVAL ? self->tombstone_grace : SWEEP_INTERVAL;
        self->next_sweep = now + (interval > 1000 ? interval : 1000);
    }
    for (size_t done = 0; done < CONVERGE_PER_TICK && zlistx_size (self->converge); done++) {
        char *key = (char *) zlistx_first (self->converge);
        zhashx_delete (self->converging, key);
        s_converge_entry (self, key);
        zlistx_delete (self->converge, zlistx_cursor (self->converge));
    }
}
