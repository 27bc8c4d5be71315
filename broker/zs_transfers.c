/*  zs_transfers - content in motion through the gateway

    A transfer moves one version of a file from a source to sinks, a chunk
    at a time, and passes each chunk on as it arrives (the content frame is
    shared, not copied). The source may run at most ZS_WINDOW chunks ahead
    of the slowest sink (a put's client, once past its first ZS_WINDOW
    chunks, PUT_AHEAD): sinks acknowledge chunks, and the gateway grants the
    source credit as the slowest one advances, so no process holds more than
    a window of any file.

        put   client  -> buckets   success only when every bucket has its copy
                                   durable and in place (two phases: every
                                   bucket READY, then COMMIT, then DONE)
        get   bucket  -> client    on a failed or corrupt source, carries on
                                   from another holder at the same chunk
        copy  bucket  -> buckets   new copies for a raised replica count

    A transfer that finishes or fails is marked and freed after the current
    message, never in the middle of a loop over transfers.
*/

#include "zs_name.h"
#include "zs_server.h"

#include <stdarg.h>

#define PUT_AHEAD 1 //  Chunks a put's client may run ahead once under way

static zs_transfer_t *
s_new (zs_server_t *self, zs_transfer_kind_t kind, const char *user, const char *name)
{
    zs_transfer_t *transfer = (zs_transfer_t *) zmalloc (sizeof (zs_transfer_t));
    assert (transfer);
    transfer->id = zs_server_next_id (self);
    transfer->kind = kind;
    transfer->user = strdup (user);
    transfer->name = strdup (name);
    transfer->source = -1;
    transfer->move_from = -1;
    transfer->active = zclock_mono ();
    char key[24];
    zs_server_id_key (transfer->id, key);
    zhashx_insert (self->transfers, key, transfer);
    return transfer;
}

static zs_transfer_t *
s_lookup (zs_server_t *self, uint64_t id)
{
    char key[24];
    zs_server_id_key (id, key);
    zs_transfer_t *transfer = (zs_transfer_t *) zhashx_lookup (self->transfers, key);
    return transfer && !transfer->finished ? transfer : NULL;
}

static zs_transfer_t *
s_by_request (zs_server_t *self)
{
    char key[600];
    zs_server_request_key (zs_proto_routing_id (self->message), zs_proto_request (self->message),
                           key, sizeof (key));
    const char *id = (const char *) zhashx_lookup (self->requests, key);
    return id ? s_lookup (self, strtoull (id, NULL, 16)) : NULL;
}

static void
s_bind_request (zs_server_t *self, zs_transfer_t *transfer)
{
    char key[600], id[24];
    zs_server_request_key (transfer->client, transfer->request, key, sizeof (key));
    zs_server_id_key (transfer->id, id);
    zhashx_update (self->requests, key, id);
}

static void
s_finish (zs_server_t *self, zs_transfer_t *transfer)
{
    if (transfer->finished)
        return;
    transfer->finished = true;
    zs_access_count_transfer (self, transfer, -1);
    char key[24];
    zs_server_id_key (transfer->id, key);
    zlistx_add_end (self->finished, key);
}

static zs_sink_t *
s_sink (zs_transfer_t *transfer, zs_member_t *member)
{
    for (uint8_t index = 0; index < transfer->sink_count; index++)
        if (transfer->sinks[index].slot == member->slot)
            return &transfer->sinks[index];
    return NULL;
}

//  Repairs and moves run in the background, within the repair rate
static bool
s_background (const zs_transfer_t *transfer)
{
    return transfer->kind == ZS_TRANSFER_COPY && transfer->purpose != ZS_COPY_REPLICAS;
}

static void
s_add_sink (zs_transfer_t *transfer, zs_member_t *member)
{
    zs_sink_t *sink = &transfer->sinks[transfer->sink_count++];
    memset (sink, 0, sizeof (*sink));
    sink->slot = member->slot;
    member->transfers++;
    member->reserved += transfer->reserved;
}

//  Sends the reply to every sink still working; the reply is then cleared
static void
s_send_sinks (zs_server_t *self, zs_transfer_t *transfer, zs_proto_t *message)
{
    for (uint8_t index = 0; index < transfer->sink_count; index++) {
        zs_sink_t *sink = &transfer->sinks[index];
        zs_member_t *member = zs_registry_slot (self->registry, sink->slot);
        if (sink->failed || sink->stored || !member || !member->routing_id)
            continue;
        zs_proto_set_routing_id (message, member->routing_id);
        if (self->verbose)
            zs_proto_print (message, member->id);
        if (zs_proto_send (message, self->backend) && !member->lost)
            member->lost = errno == EHOSTUNREACH ? "connection closed" : "send queue full";
    }
    zs_proto_reset (message);
}

//  Sends a transfer message without content to one bucket
static void
s_tell (zs_server_t *self, int id, uint64_t transfer, zs_member_t *member)
{
    if (!member || !member->routing_id)
        return;
    zs_proto_set_id (self->reply, id);
    zs_proto_set_transfer (self->reply, transfer);
    zs_server_send_bucket (self, member);
}

//  Tells the buckets of a put that stored their copy to drop it
static void
s_drop_stored (zs_server_t *self, zs_transfer_t *transfer)
{
    for (uint8_t index = 0; index < transfer->sink_count; index++) {
        zs_sink_t *sink = &transfer->sinks[index];
        if (!sink->stored)
            continue;
        zs_server_tell (self, ZS_PROTO_DROP, zs_registry_slot (self->registry, sink->slot),
                        transfer->user, transfer->name, transfer->version);
    }
}

static void s_fail (zs_server_t *self, zs_transfer_t *transfer, int status, const char *format, ...)
    CHECK_PRINTF (4);

static void
s_fail (zs_server_t *self, zs_transfer_t *transfer, int status, const char *format, ...)
{
    if (transfer->finished)
        return;
    va_list args;
    va_start (args, format);
    char *reason = zsys_vprintf (format, args);
    va_end (args);
    static const char *verbs[] = { "put", "get", "copy" };
    zsys_warning ("%s of %s/%s failed: %s", verbs[transfer->kind], transfer->user, transfer->name,
                  reason);
    if (transfer->client && !transfer->client_gone)
        zs_server_fail_client (self, transfer->client, transfer->request, status, "%s", reason);
    free (reason);
    //  Whatever a bucket is still doing for it, it may stop. One told to
    //  commit a put may have done it, its DONE crossing this: since a
    //  bucket forgets a transfer once it answered, the copy goes by its
    //  name. (A copy made by repair that landed is a good one, counted
    //  when its bucket reports it; dropping by name might take a counted
    //  copy of the same version.)
    for (uint8_t index = 0; index < transfer->sink_count; index++) {
        zs_sink_t *sink = &transfer->sinks[index];
        if (sink->failed || sink->stored)
            continue;
        zs_member_t *member = zs_registry_slot (self->registry, sink->slot);
        s_tell (self, ZS_PROTO_ABORT, transfer->id, member);
        if (transfer->committing && transfer->kind == ZS_TRANSFER_PUT)
            zs_server_tell (self, ZS_PROTO_DROP, member, transfer->user, transfer->name,
                            transfer->version);
    }
    if (transfer->source >= 0)
        s_tell (self, ZS_PROTO_ABORT, transfer->id,
                zs_registry_slot (self->registry, (uint16_t) transfer->source));
    if (transfer->kind == ZS_TRANSFER_PUT) {
        s_drop_stored (self, transfer);
        //  A bucket out of reach may have committed: its copy must not
        //  come back as the file when it reports it
        if (transfer->committing)
            zs_server_discard (self, transfer->user, transfer->name, transfer->version);
    }
    else if (transfer->kind == ZS_TRANSFER_COPY) {
        //  Copies that did land are good copies of the current version
        uint16_t slots[ZS_REPLICAS_MAX];
        size_t count = 0;
        for (uint8_t index = 0; index < transfer->sink_count; index++)
            if (transfer->sinks[index].stored)
                slots[count++] = transfer->sinks[index].slot;
        if (count)
            zs_files_stored (self, transfer, slots, count);
        if (s_background (transfer))
            zs_repair_copy_ended (self, transfer, false);
    }
    s_finish (self, transfer);
}

//  The slowest sink's progress decides how far the source may go: a put's
//  client, once past the first ZS_WINDOW chunks, one chunk ahead of its
//  slowest bucket, as every chunk queued on a gateway-to-bucket connection
//  is one that the fetches of small gets wait behind
static void
s_grant (zs_server_t *self, zs_transfer_t *transfer)
{
    uint32_t slowest = UINT32_MAX;
    for (uint8_t index = 0; index < transfer->sink_count; index++)
        if (!transfer->sinks[index].failed && transfer->sinks[index].acked < slowest)
            slowest = transfer->sinks[index].acked;
    uint32_t ahead = transfer->kind == ZS_TRANSFER_PUT ? PUT_AHEAD : ZS_WINDOW;
    if (slowest == UINT32_MAX || slowest + ahead <= transfer->source_limit)
        return;
    //  A background copy waits when the repair rate is spent; the next
    //  refill resumes it
    if (s_background (transfer) && !zs_repair_may_move (self))
        return;
    transfer->source_limit = slowest + ahead;
    if (transfer->kind == ZS_TRANSFER_PUT) {
        zs_proto_set_id (self->reply, ZS_PROTO_PUT_CREDIT);
        zs_proto_set_request (self->reply, transfer->request);
        zs_proto_set_limit (self->reply, transfer->source_limit);
        if (zs_server_send_client (self, transfer->client))
            s_fail (self, transfer, ZS_STATUS_TIMEOUT, "the client went away");
    }
    else if (transfer->source >= 0) {
        zs_proto_set_id (self->reply, ZS_PROTO_FETCH_CREDIT);
        zs_proto_set_transfer (self->reply, transfer->id);
        zs_proto_set_limit (self->reply, transfer->source_limit);
        zs_server_send_bucket (self,
                               zs_registry_slot (self->registry, (uint16_t) transfer->source));
    }
}

//  Reads from the next holder not tried yet, at the chunk the transfer is at.
//  Returns false when no holder is left.
static bool
s_next_source (zs_server_t *self, zs_transfer_t *transfer)
{
    if (transfer->source >= 0) {
        zs_member_t *previous = zs_registry_slot (self->registry, (uint16_t) transfer->source);
        if (previous) {
            s_tell (self, ZS_PROTO_ABORT, transfer->id, previous);
            previous->transfers--;
        }
        transfer->source = -1;
    }
    zs_record_t record;
    if (!zs_index_get (self->index, transfer->user, transfer->name, &record) || record.tombstone
        || record.version != transfer->version)
        return false;
    //  Alive holders first, the least busy of them; suspect ones if need be
    zs_member_t *best = NULL;
    for (uint8_t index = 0; index < record.holder_count; index++) {
        if (record.holders[index] & ZS_INDEX_UNCONFIRMED)
            continue; //  Serves nothing until its bucket confirms it
        zs_member_t *member = zs_registry_slot (self->registry, record.holders[index]);
        if (!member || !member->routing_id || member->lost
            || zs_index_has (transfer->tried, transfer->tried_count, member->slot))
            continue;
        if (!best || (member->state == ZS_MEMBER_ALIVE && best->state != ZS_MEMBER_ALIVE)
            || (member->state == best->state && member->transfers < best->transfers))
            best = member;
    }
    if (!best)
        return false;
    zs_index_add (transfer->tried, &transfer->tried_count, best->slot);
    transfer->source = best->slot;
    best->transfers++;
    uint32_t limit =
        transfer->kind == ZS_TRANSFER_GET ? transfer->client_limit : transfer->source_limit;
    zs_proto_set_id (self->reply, ZS_PROTO_FETCH);
    zs_proto_set_transfer (self->reply, transfer->id);
    zs_proto_set_user (self->reply, transfer->user);
    zs_proto_set_name (self->reply, transfer->name);
    zs_proto_set_version (self->reply, transfer->version);
    zs_proto_set_seq (self->reply, transfer->forwarded);
    zs_proto_set_limit (self->reply, limit);
    zs_server_send_bucket (self, best);
    return true;
}

//  The source failed (its copy bad when copy_lost); carry on from another
//  holder or give up
static void
s_source_failed (zs_server_t *self, zs_transfer_t *transfer, bool copy_lost, const char *why)
{
    if (s_next_source (self, transfer))
        return;
    zs_record_t record;
    bool current = zs_index_get (self->index, transfer->user, transfer->name, &record)
                   && !record.tombstone && record.version == transfer->version;
    if (!current)
        s_fail (self, transfer, ZS_STATUS_CONFLICT,
                "'%s' was overwritten or removed during the transfer; try again", transfer->name);
    else if (copy_lost && record.holder_count == 0)
        s_fail (self, transfer, ZS_STATUS_CORRUPT, "no good copy of '%s' is left (%s)",
                transfer->name, why);
    else
        s_fail (self, transfer, ZS_STATUS_UNAVAILABLE, "no live bucket could serve '%s' (%s)",
                transfer->name, why);
}

//  Tells the sinks of a transfer to begin a copy
static void
s_store_begin (zs_server_t *self, zs_transfer_t *transfer)
{
    zs_proto_t *begin = self->reply;
    zs_proto_set_id (begin, ZS_PROTO_STORE_BEGIN);
    zs_proto_set_transfer (begin, transfer->id);
    zs_proto_set_user (begin, transfer->user);
    zs_proto_set_name (begin, transfer->name);
    zs_proto_set_version (begin, transfer->version);
    zs_proto_set_size (begin, transfer->size);
    zs_proto_set_replicas (begin, transfer->desired);
    zs_proto_set_stamp (begin, transfer->stamp);
    s_send_sinks (self, transfer, begin);
}

static void
s_store_end (zs_server_t *self, zs_transfer_t *transfer)
{
    zs_proto_set_id (self->reply, ZS_PROTO_STORE_END);
    zs_proto_set_transfer (self->reply, transfer->id);
    zs_proto_set_size (self->reply, transfer->size);
    zs_proto_set_checksum (self->reply, transfer->checksum);
    s_send_sinks (self, transfer, self->reply);
    transfer->ended = true;
}

//  Checks the request names a valid user and file; answers FAILED if not
static bool
s_valid_request (zs_server_t *self)
{
    const char *user = zs_proto_user (self->message);
    const char *name = zs_proto_name (self->message);
    const char *problem = zs_name_check_user (user);
    if (!problem)
        problem = zs_name_check_file (name);
    if (problem)
        zs_server_fail_client (self, zs_proto_routing_id (self->message),
                               zs_proto_request (self->message), ZS_STATUS_BAD_REQUEST, "%s",
                               problem);
    return problem == NULL;
}

void
zs_transfers_put_begin (zs_server_t *self)
{
    zs_proto_t *message = self->message;
    zframe_t *client = zs_proto_routing_id (message);
    uint64_t request = zs_proto_request (message);
    if (!s_valid_request (self))
        return;
    uint8_t replicas =
        zs_proto_replicas (message) ? zs_proto_replicas (message) : self->default_replicas;
    if (replicas > ZS_REPLICAS_MAX) {
        zs_server_fail_client (self, client, request, ZS_STATUS_BAD_REQUEST,
                               "replicas must be 1 to %d", ZS_REPLICAS_MAX);
        return;
    }
    if (s_by_request (self)) {
        zs_server_fail_client (self, client, request, ZS_STATUS_CONFLICT,
                               "request %" PRIu64 " is already in progress", request);
        return;
    }
    uint64_t size = zs_proto_size (message);
    const char *over =
        zs_access_storage (self, zs_proto_user (message), zs_proto_name (message), size);
    if (over) {
        zs_server_fail_client (self, client, request, ZS_STATUS_TOO_LARGE, "%s", over);
        return;
    }
    if (!zs_access_may_transfer (self, client, request))
        return;
    zs_member_t *chosen[ZS_REPLICAS_MAX];
    size_t found = zs_placement_choose (self->registry, size, NULL, 0, replicas, chosen);
    //  With --min-write-replicas, fewer buckets will do; repair adds the rest
    bool enough =
        found == replicas || (self->min_write_replicas && found >= self->min_write_replicas);
    if (!enough) {
        //  While recovering, buckets may still be on their way back: the
        //  client is told to try again
        zs_server_fail_client (self, client, request,
                               self->recovering ? ZS_STATUS_RECOVERING : ZS_STATUS_UNAVAILABLE,
                               "%u replicas need %u live buckets with room, only %zu available",
                               replicas, replicas, found);
        return;
    }
    zs_transfer_t *transfer =
        s_new (self, ZS_TRANSFER_PUT, zs_proto_user (message), zs_proto_name (message));
    transfer->client = zframe_dup (client);
    zs_access_count_transfer (self, transfer, 1);
    transfer->request = request;
    transfer->version = zs_server_next_version (self);
    transfer->stamp = transfer->version;
    transfer->desired = replicas;
    transfer->size = size;
    transfer->reserved = size == UINT64_MAX ? 0 : size;
    //  The client may send a first window before it hears from us
    transfer->source_limit = ZS_WINDOW;
    for (size_t index = 0; index < found; index++)
        s_add_sink (transfer, chosen[index]);
    s_bind_request (self, transfer);
    s_store_begin (self, transfer);
}

void
zs_transfers_put_chunk (zs_server_t *self)
{
    zs_transfer_t *transfer = s_by_request (self);
    if (!transfer || transfer->kind != ZS_TRANSFER_PUT)
        return; //  Refused or failed already: the client was told
    uint32_t seq = zs_proto_seq (self->message);
    size_t size = zframe_size (zs_proto_data (self->message));
    if (transfer->ended)
        return; //  Too late to change anything; the outcome is under way
    if (seq != transfer->forwarded) {
        s_fail (self, transfer, ZS_STATUS_BAD_REQUEST, "chunk %u out of order (expected %u)", seq,
                transfer->forwarded);
        return;
    }
    if (seq >= transfer->source_limit) {
        s_fail (self, transfer, ZS_STATUS_BAD_REQUEST, "chunk %u sent beyond its credit", seq);
        return;
    }
    if (size == 0 || (transfer->bytes % ZS_CHUNK_SIZE) != 0) {
        s_fail (self, transfer, ZS_STATUS_BAD_REQUEST, "chunk %u of %zu bytes after a short one",
                seq, size);
        return;
    }
    //  A put of unknown size meets the limits as it goes
    const char *over =
        zs_access_storage (self, transfer->user, transfer->name, transfer->bytes + size);
    if (over) {
        s_fail (self, transfer, ZS_STATUS_TOO_LARGE, "%s", over);
        return;
    }
    //  A file of one short chunk: kept for the cache once it is stored
    if (transfer->forwarded == 0 && size < ZS_CHUNK_SIZE && self->cache
        && zs_cache_fits (self->cache, size)) {
        transfer->content = zframe_dup (zs_proto_data (self->message));
        transfer->content_crc = zs_proto_crc (self->message);
    }
    transfer->forwarded++;
    transfer->bytes += size;
    transfer->active = zclock_mono ();
    //  The client's message goes on as it is, content shared, to every bucket
    zs_proto_set_id (self->message, ZS_PROTO_STORE_CHUNK);
    zs_proto_set_transfer (self->message, transfer->id);
    s_send_sinks (self, transfer, self->message);
}

void
zs_transfers_put_end (zs_server_t *self)
{
    zs_transfer_t *transfer = s_by_request (self);
    if (!transfer) {
        //  The client asks after a put this gateway never saw to its end: it
        //  failed, or the gateway that had it is gone. The client may put again.
        zs_server_fail_client (self, zs_proto_routing_id (self->message),
                               zs_proto_request (self->message), ZS_STATUS_GONE,
                               "no such put in progress");
        return;
    }
    if (transfer->kind != ZS_TRANSFER_PUT)
        return;
    if (transfer->ended) {
        //  Asked again: the put is still being committed
        zs_proto_set_id (self->reply, ZS_PROTO_PUT_CREDIT);
        zs_proto_set_request (self->reply, transfer->request);
        zs_proto_set_limit (self->reply, transfer->source_limit);
        zs_server_send_client (self, transfer->client);
        return;
    }
    uint64_t size = zs_proto_size (self->message);
    if (size != transfer->bytes) {
        s_fail (self, transfer, ZS_STATUS_BAD_REQUEST,
                "the end says %" PRIu64 " bytes, %" PRIu64 " were sent", size, transfer->bytes);
        return;
    }
    transfer->size = size;
    transfer->chunks = transfer->forwarded;
    memcpy (transfer->checksum, zs_proto_checksum (self->message), ZS_CHECKSUM_SIZE);
    transfer->active = zclock_mono ();
    s_store_end (self, transfer);
}

void
zs_transfers_store_ack (zs_server_t *self, zs_member_t *member)
{
    zs_transfer_t *transfer = s_lookup (self, zs_proto_transfer (self->message));
    zs_sink_t *sink = transfer ? s_sink (transfer, member) : NULL;
    if (!sink || sink->failed)
        return;
    uint32_t seq = zs_proto_seq (self->message);
    if (seq > sink->acked && seq <= transfer->forwarded)
        sink->acked = seq;
    transfer->active = zclock_mono ();
    s_grant (self, transfer);
}

//  Every sink has its copy durable: the transfer has done its job
static void
s_completed (zs_server_t *self, zs_transfer_t *transfer)
{
    uint16_t slots[ZS_REPLICAS_MAX];
    size_t count = 0;
    for (uint8_t index = 0; index < transfer->sink_count; index++)
        if (transfer->sinks[index].stored)
            slots[count++] = transfer->sinks[index].slot;
    zs_files_stored (self, transfer, slots, count);
    if (transfer->kind == ZS_TRANSFER_PUT && transfer->content && transfer->chunks == 1)
        zs_cache_put (self->cache, transfer->user, transfer->name, transfer->version,
                      transfer->content, transfer->content_crc);
    if (transfer->kind == ZS_TRANSFER_PUT) {
        zs_proto_set_id (self->reply, ZS_PROTO_PUT_OK);
        zs_proto_set_request (self->reply, transfer->request);
        zs_proto_set_version (self->reply, transfer->version);
        zs_proto_set_copies (self->reply, (uint8_t) count);
        zs_server_send_client (self, transfer->client);
    }
    else if (s_background (transfer))
        zs_repair_copy_ended (self, transfer, true);
    else if (transfer->client)
        zs_files_replicas_copied (self, transfer);
    s_finish (self, transfer);
}

//  Sinks still working for the transfer
static size_t
s_working_sinks (const zs_transfer_t *transfer)
{
    size_t working = 0;
    for (uint8_t index = 0; index < transfer->sink_count; index++)
        working += !transfer->sinks[index].failed;
    return working;
}

//  Moves a transfer on once every working sink has reached a phase: all
//  ready, COMMIT; all stored, done
static void
s_advance (zs_server_t *self, zs_transfer_t *transfer)
{
    bool all_ready = true, all_stored = true;
    for (uint8_t index = 0; index < transfer->sink_count; index++) {
        zs_sink_t *sink = &transfer->sinks[index];
        if (sink->failed)
            continue;
        all_ready &= sink->ready;
        all_stored &= sink->stored;
    }
    if (transfer->committing) {
        if (all_stored)
            s_completed (self, transfer);
        return;
    }
    if (!transfer->ended || !all_ready)
        return;
    //  Every bucket holds the whole content, durable: now they may commit
    transfer->committing = true;
    zs_proto_set_id (self->reply, ZS_PROTO_COMMIT);
    zs_proto_set_transfer (self->reply, transfer->id);
    s_send_sinks (self, transfer, self->reply);
}

//  A sink failed. The transfer goes on without it when enough sinks are
//  left: for a put, as many as --min-write-replicas (when set); for a copy,
//  one. Otherwise it fails.
static void
s_sink_failed (zs_server_t *self, zs_transfer_t *transfer, zs_sink_t *sink, int status,
               const char *reason)
{
    sink->failed = true;
    size_t needed = transfer->kind == ZS_TRANSFER_COPY ? 1
                    : self->min_write_replicas         ? self->min_write_replicas
                                                       : transfer->sink_count;
    if (s_working_sinks (transfer) < needed) {
        s_fail (self, transfer, status, "%s", reason);
        return;
    }
    zs_member_t *member = zs_registry_slot (self->registry, sink->slot);
    zsys_warning ("%s/%s: going on without bucket %s (%s)", transfer->user, transfer->name,
                  member ? member->id : "?", reason);
    //  Before the commit its work is worthless; after, its copy is a good one
    if (!transfer->committing)
        s_tell (self, ZS_PROTO_ABORT, transfer->id, member);
    s_grant (self, transfer);
    s_advance (self, transfer);
}

bool
zs_transfers_done (zs_server_t *self, zs_member_t *member)
{
    zs_transfer_t *transfer = s_lookup (self, zs_proto_transfer (self->message));
    if (!transfer)
        return false;
    uint16_t status = zs_proto_status (self->message);
    const char *reason = zs_proto_reason (self->message);
    transfer->active = zclock_mono ();
    if (transfer->source == member->slot) {
        //  A source only answers DONE when it cannot go on
        bool copy_lost = status == ZS_STATUS_CORRUPT || status == ZS_STATUS_NOT_FOUND;
        if (copy_lost)
            zs_files_copy_lost (self, transfer->user, transfer->name, transfer->version, member,
                                reason);
        char why[320];
        snprintf (why, sizeof (why), "bucket %s: %s", member->id, reason);
        s_source_failed (self, transfer, copy_lost, why);
        return true;
    }
    zs_sink_t *sink = s_sink (transfer, member);
    if (!sink || sink->failed || sink->stored)
        return true;
    if (status != ZS_STATUS_OK) {
        char why[400];
        snprintf (why, sizeof (why), "bucket %s could not store '%s': %s", member->id,
                  transfer->name, reason);
        s_sink_failed (self, transfer, sink, status, why);
        return true;
    }
    //  Only the answer to COMMIT says the copy is in place
    if (transfer->committing) {
        sink->stored = true;
        s_advance (self, transfer);
    }
    return true;
}

void
zs_transfers_store_ready (zs_server_t *self, zs_member_t *member)
{
    zs_transfer_t *transfer = s_lookup (self, zs_proto_transfer (self->message));
    zs_sink_t *sink = transfer ? s_sink (transfer, member) : NULL;
    if (!sink || sink->failed || !transfer->ended || transfer->committing)
        return;
    sink->ready = true;
    transfer->active = zclock_mono ();
    s_advance (self, transfer);
}

bool
zs_transfers_put_below (zs_server_t *self, const char *user, const char *name, uint64_t version)
{
    zs_transfer_t *transfer = (zs_transfer_t *) zhashx_first (self->transfers);
    for (; transfer; transfer = (zs_transfer_t *) zhashx_next (self->transfers))
        if (!transfer->finished && transfer->kind == ZS_TRANSFER_PUT && transfer->version < version
            && streq (transfer->user, user) && streq (transfer->name, name))
            return true;
    return false;
}

//  Sends GET_BEGIN: what the chunks to come make up; 0 or -1
static int
s_send_get_begin (zs_server_t *self, zframe_t *client, uint64_t request, uint64_t version,
                  uint64_t size, const byte *checksum)
{
    zs_proto_set_id (self->reply, ZS_PROTO_GET_BEGIN);
    zs_proto_set_request (self->reply, request);
    zs_proto_set_version (self->reply, version);
    zs_proto_set_size (self->reply, size);
    zs_proto_set_checksum (self->reply, checksum);
    return zs_server_send_client (self, client);
}

//  GET_BEGIN goes with the first chunk, not before it: the two then cross
//  every thread and socket together, which halves the wake-ups of a small
//  get. 0, or -1 when the client is gone (the transfer failed).
static int
s_get_begin (zs_server_t *self, zs_transfer_t *transfer)
{
    if (s_send_get_begin (self, transfer->client, transfer->request, transfer->version,
                          transfer->size, transfer->checksum)
        == 0)
        return 0;
    transfer->client_gone = true;
    s_fail (self, transfer, ZS_STATUS_TIMEOUT, "the client went away");
    return -1;
}

//  A small file the cache holds, while a live bucket holds it too (the
//  cache shortens the way to a copy, it does not stand for one): answered
//  at once. True when it was.
static bool
s_get_cached (zs_server_t *self, zframe_t *client, uint64_t request, const char *user,
              const char *name, const zs_record_t *record)
{
    if (record->size == 0 || !self->cache || !zs_cache_fits (self->cache, record->size)
        || zs_server_live_copies (self, record) == 0)
        return false;
    uint32_t crc;
    zframe_t *content = zs_cache_get (self->cache, user, name, record->version, &crc);
    if (!content)
        return false;
    if (s_send_get_begin (self, client, request, record->version, record->size, record->checksum)
        == 0) {
        zs_proto_set_id (self->reply, ZS_PROTO_GET_CHUNK);
        zs_proto_set_request (self->reply, request);
        zs_proto_set_seq (self->reply, 0);
        zs_proto_set_crc (self->reply, crc);
        zs_proto_set_data (self->reply, &content);
        zs_server_send_client (self, client);
    }
    zframe_destroy (&content);
    return true;
}

void
zs_transfers_get (zs_server_t *self)
{
    zs_proto_t *message = self->message;
    zframe_t *client = zs_proto_routing_id (message);
    uint64_t request = zs_proto_request (message);
    if (!s_valid_request (self))
        return;
    const char *user = zs_proto_user (message);
    const char *name = zs_proto_name (message);
    zs_record_t record;
    if (!zs_index_get (self->index, user, name, &record) || record.tombstone) {
        if (self->recovering)
            zs_server_fail_client (self, client, request, ZS_STATUS_RECOVERING,
                                   "the gateway is still collecting inventories; try again");
        else
            zs_server_fail_client (self, client, request, ZS_STATUS_NOT_FOUND, "no file '%s'",
                                   name);
        return;
    }
    if (s_by_request (self)) {
        zs_server_fail_client (self, client, request, ZS_STATUS_CONFLICT,
                               "request %" PRIu64 " is already in progress", request);
        return;
    }
    if (s_get_cached (self, client, request, user, name, &record))
        return;
    if (!zs_access_may_transfer (self, client, request))
        return;
    zs_transfer_t *transfer = s_new (self, ZS_TRANSFER_GET, user, name);
    transfer->client = zframe_dup (client);
    zs_access_count_transfer (self, transfer, 1);
    transfer->request = request;
    transfer->version = record.version;
    transfer->size = record.size;
    transfer->chunks = (uint32_t) ((record.size + ZS_CHUNK_SIZE - 1) / ZS_CHUNK_SIZE);
    memcpy (transfer->checksum, record.checksum, ZS_CHECKSUM_SIZE);
    transfer->client_limit = ZS_WINDOW;
    if (transfer->chunks > 0 && !s_next_source (self, transfer)) {
        char holders[512];
        zs_server_slot_names (self, record.holders, record.holder_count, holders, sizeof (holders));
        zs_server_fail_client (self, client, request, ZS_STATUS_UNAVAILABLE,
                               "no live bucket holds '%s' (holders: %s)", name,
                               *holders ? holders : "none");
        s_finish (self, transfer);
        return;
    }
    if (transfer->chunks == 0) {
        if (s_get_begin (self, transfer) == 0)
            s_finish (self, transfer);
    }
    else
        s_bind_request (self, transfer);
}

void
zs_transfers_get_credit (zs_server_t *self)
{
    zs_transfer_t *transfer = s_by_request (self);
    if (!transfer || transfer->kind != ZS_TRANSFER_GET)
        return;
    uint32_t limit = zs_proto_limit (self->message);
    //  A client may take a window beyond what it has received, no more
    if (limit > transfer->forwarded + ZS_WINDOW)
        limit = transfer->forwarded + ZS_WINDOW;
    if (limit <= transfer->client_limit)
        return;
    transfer->client_limit = limit;
    transfer->active = zclock_mono ();
    if (transfer->source >= 0) {
        zs_proto_set_id (self->reply, ZS_PROTO_FETCH_CREDIT);
        zs_proto_set_transfer (self->reply, transfer->id);
        zs_proto_set_limit (self->reply, limit);
        zs_server_send_bucket (self,
                               zs_registry_slot (self->registry, (uint16_t) transfer->source));
    }
}

void
zs_transfers_cancel (zs_server_t *self)
{
    zs_transfer_t *transfer = s_by_request (self);
    //  After the end, the outcome is the gateway's to decide
    if (!transfer || (transfer->kind == ZS_TRANSFER_PUT && transfer->ended))
        return;
    //  The client is leaving: nobody to answer
    transfer->client_gone = true;
    s_fail (self, transfer, ZS_STATUS_BAD_REQUEST, "cancelled by the client");
}

void
zs_transfers_fetch_chunk (zs_server_t *self, zs_member_t *member)
{
    zs_transfer_t *transfer = s_lookup (self, zs_proto_transfer (self->message));
    if (!transfer || transfer->source != member->slot
        || zs_proto_seq (self->message) != transfer->forwarded)
        return; //  From a source we left, or late: not ours to pass on
    transfer->forwarded++;
    transfer->active = zclock_mono ();
    if (transfer->kind == ZS_TRANSFER_GET) {
        if (transfer->forwarded == 1 && s_get_begin (self, transfer))
            return;
        if (transfer->chunks == 1 && self->cache && zs_cache_fits (self->cache, transfer->size))
            zs_cache_put (self->cache, transfer->user, transfer->name, transfer->version,
                          zs_proto_data (self->message), zs_proto_crc (self->message));
        zs_proto_set_id (self->message, ZS_PROTO_GET_CHUNK);
        zs_proto_set_request (self->message, transfer->request);
        zs_proto_set_routing_id (self->message, transfer->client);
        if (zs_proto_send (self->message, self->frontend)) {
            transfer->client_gone = true;
            s_fail (self, transfer, ZS_STATUS_TIMEOUT, "the client went away");
            return;
        }
        if (transfer->forwarded == transfer->chunks)
            s_finish (self, transfer);
        return;
    }
    //  The rate counts bytes written, once per bucket written to
    if (s_background (transfer))
        zs_repair_moved (self,
                         zframe_size (zs_proto_data (self->message)) * s_working_sinks (transfer));
    zs_proto_set_id (self->message, ZS_PROTO_STORE_CHUNK);
    s_send_sinks (self, transfer, self->message);
    if (transfer->forwarded == transfer->chunks) {
        //  The source has done its part: what remains is the sinks'
        zs_member_t *source = zs_registry_slot (self->registry, (uint16_t) transfer->source);
        if (source)
            source->transfers--;
        transfer->source = -1;
        s_store_end (self, transfer);
    }
}

//  Starts a copy of a file to new buckets
static int
s_copy (zs_server_t *self, const char *user, const char *name, const zs_record_t *record,
        zs_member_t **targets, size_t target_count, zs_copy_purpose_t purpose, int move_from,
        zframe_t *client, uint64_t request)
{
    zs_transfer_t *transfer = s_new (self, ZS_TRANSFER_COPY, user, name);
    transfer->purpose = purpose;
    transfer->move_from = move_from;
    transfer->client = client ? zframe_dup (client) : NULL;
    transfer->request = request;
    transfer->version = record->version;
    transfer->size = record->size;
    transfer->stamp = record->stamp;
    transfer->desired = record->desired;
    transfer->reserved = record->size;
    transfer->chunks = (uint32_t) ((record->size + ZS_CHUNK_SIZE - 1) / ZS_CHUNK_SIZE);
    memcpy (transfer->checksum, record->checksum, ZS_CHECKSUM_SIZE);
    //  A background copy starts small: the rate decides how it goes on
    transfer->source_limit = s_background (transfer) ? 1 : ZS_WINDOW;
    for (size_t index = 0; index < target_count; index++)
        s_add_sink (transfer, targets[index]);
    s_store_begin (self, transfer);
    if (transfer->chunks == 0)
        s_store_end (self, transfer);
    else if (!s_next_source (self, transfer)) {
        s_fail (self, transfer, ZS_STATUS_UNAVAILABLE, "no live bucket can serve '%s'", name);
        return -1;
    }
    return 0;
}

int
zs_transfers_copy (zs_server_t *self, const char *user, const char *name, const zs_record_t *record,
                   zs_member_t **targets, size_t target_count, zframe_t *client, uint64_t request)
{
    return s_copy (self, user, name, record, targets, target_count, ZS_COPY_REPLICAS, -1, client,
                   request);
}

int
zs_transfers_background (zs_server_t *self, const char *user, const char *name,
                         const zs_record_t *record, zs_member_t **targets, size_t target_count,
                         zs_copy_purpose_t purpose, int move_from)
{
    return s_copy (self, user, name, record, targets, target_count, purpose, move_from, NULL, 0);
}

void
zs_transfers_resume_background (zs_server_t *self)
{
    zs_transfer_t *transfer = (zs_transfer_t *) zhashx_first (self->transfers);
    for (; transfer; transfer = (zs_transfer_t *) zhashx_next (self->transfers))
        if (!transfer->finished && s_background (transfer))
            s_grant (self, transfer);
}

void
zs_transfers_member_lost (zs_server_t *self, zs_member_t *member)
{
    zs_transfer_t *transfer = (zs_transfer_t *) zhashx_first (self->transfers);
    for (; transfer; transfer = (zs_transfer_t *) zhashx_next (self->transfers)) {
        if (transfer->finished)
            continue;
        if (transfer->source == member->slot) {
            char why[128];
            snprintf (why, sizeof (why), "bucket %s went away", member->id);
            s_source_failed (self, transfer, false, why);
            continue;
        }
        zs_sink_t *sink = s_sink (transfer, member);
        //  A sink that already made its copy durable has done its part
        if (sink && !sink->stored && !sink->failed) {
            char why[200];
            snprintf (why, sizeof (why), "bucket %s went away while storing '%s'", member->id,
                      transfer->name);
            s_sink_failed (self, transfer, sink, ZS_STATUS_UNAVAILABLE, why);
        }
    }
}

//  Which side a stalled transfer waits for, for the error message
static void
s_describe_stall (zs_server_t *self, zs_transfer_t *transfer, char *text, size_t size)
{
    if (transfer->kind == ZS_TRANSFER_PUT && !transfer->ended
        && transfer->forwarded < transfer->source_limit) {
        snprintf (text, size, "the client sent nothing");
        return;
    }
    if (transfer->kind == ZS_TRANSFER_GET) {
        snprintf (text, size, "the client stopped reading");
        return;
    }
    size_t used = (size_t) snprintf (text, size, "no answer from bucket");
    for (uint8_t index = 0; index < transfer->sink_count && used < size; index++) {
        zs_sink_t *sink = &transfer->sinks[index];
        zs_member_t *member = zs_registry_slot (self->registry, sink->slot);
        if (!sink->stored && !sink->failed && member)
            used += (size_t) snprintf (text + used, size - used, " %s", member->id);
    }
}

void
zs_transfers_tick (zs_server_t *self)
{
    int64_t now = zclock_mono ();
    zs_transfer_t *transfer = (zs_transfer_t *) zhashx_first (self->transfers);
    for (; transfer; transfer = (zs_transfer_t *) zhashx_next (self->transfers)) {
        if (transfer->finished || now - transfer->active <= self->transfer_timeout)
            continue;
        transfer->active = now;
        bool source_stalled =
            transfer->source >= 0
            && (transfer->kind == ZS_TRANSFER_COPY || transfer->forwarded < transfer->client_limit);
        if (source_stalled) {
            zs_member_t *source = zs_registry_slot (self->registry, (uint16_t) transfer->source);
            char why[128];
            snprintf (why, sizeof (why), "bucket %s stopped sending", source ? source->id : "?");
            s_source_failed (self, transfer, false, why);
            continue;
        }
        char why[256];
        s_describe_stall (self, transfer, why, sizeof (why));
        s_fail (self, transfer, ZS_STATUS_TIMEOUT, "no progress for %" PRId64 " ms (%s)",
                self->transfer_timeout, why);
    }
}

void
zs_transfers_sweep (zs_server_t *self)
{
    char *key = (char *) zlistx_first (self->finished);
    for (; key; key = (char *) zlistx_next (self->finished)) {
        zs_transfer_t *transfer = (zs_transfer_t *) zhashx_lookup (self->transfers, key);
        if (!transfer)
            continue;
        if (transfer->client) {
            char request[600];
            zs_server_request_key (transfer->client, transfer->request, request, sizeof (request));
            const char *bound = (const char *) zhashx_lookup (self->requests, request);
            if (bound && streq (bound, key))
                zhashx_delete (self->requests, request);
        }
        for (uint8_t index = 0; index < transfer->sink_count; index++) {
            zs_member_t *member = zs_registry_slot (self->registry, transfer->sinks[index].slot);
            if (member) {
                member->transfers--;
                member->reserved -= transfer->reserved;
            }
        }
        zs_member_t *source = transfer->source >= 0
                                  ? zs_registry_slot (self->registry, (uint16_t) transfer->source)
                                  : NULL;
        if (source)
            source->transfers--;
        zhashx_delete (self->transfers, key);
    }
    zlistx_purge (self->finished);
}
