/*  zs_gateway - the gateway: the one address clients know

    The actor shell: settings, sockets, the event loop, dispatch of each
    message to the part that handles it, and the housekeeping timer. Sends
    never block: both ROUTERs are mandatory (a send to a departed peer fails
    at once) and have a zero send timeout (a full queue fails at once).
*/

#include "zs_gateway.h"
#include "zs_guard.h"
#include "zs_server.h"

#include <stdarg.h>

#define TICKS_PER_HEARTBEAT 4
#define SNDHWM              10000 //  Messages queued per peer; credit keeps real use far lower
#define CACHE_ENTRY_MAX     65536 //  Largest file the cache keeps

static void
s_transfer_destroy (zs_transfer_t **transfer_p)
{
    if (*transfer_p) {
        zs_transfer_t *transfer = *transfer_p;
        zframe_destroy (&transfer->client);
        free (transfer->user);
        free (transfer->name);
        zframe_destroy (&transfer->content);
        free (transfer);
        *transfer_p = NULL;
    }
}

static void
s_op_destroy (zs_op_t **op_p)
{
    if (*op_p) {
        zs_op_t *op = *op_p;
        zframe_destroy (&op->client);
        free (op->user);
        free (op->name);
        free (op);
        *op_p = NULL;
    }
}

static zs_server_t *
s_server_new (zsock_t *pipe)
{
    zs_server_t *self = (zs_server_t *) zmalloc (sizeof (zs_server_t));
    assert (self);
    self->pipe = pipe;
    self->heartbeat = 1000;
    self->liveness = 3;
    self->default_replicas = 2;
    self->transfer_timeout = 30000;
    self->recovery = -1;
    self->tombstone_grace = 86400000;
    self->repair_grace = 30000;
    self->repair_streams = 2;
    self->repair_queue = 100000;
    self->repair_rate = 64 << 20;
    self->max_file_size = 1ULL << 40;
    self->max_transfers = 256;
    self->max_name = ZS_NAME_MAX;
    self->max_message = ZS_CHUNK_SIZE + 65536;
    self->cache_budget = 16 << 20;
    self->admins = strdup ("admin");
    self->registry = zs_registry_new ();
    self->index = zs_index_new ();
    self->transfers = zhashx_new ();
    zhashx_set_destructor (self->transfers, (zhashx_destructor_fn *) s_transfer_destroy);
    self->requests = zhashx_new ();
    zhashx_set_destructor (self->requests, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->requests, (zhashx_duplicator_fn *) strdup);
    self->client_transfers = zhashx_new ();
    self->ops = zhashx_new ();
    zhashx_set_destructor (self->ops, (zhashx_destructor_fn *) s_op_destroy);
    self->finished = zlistx_new ();
    zlistx_set_destructor (self->finished, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (self->finished, (zlistx_duplicator_fn *) strdup);
    self->discarded = zhashx_new ();
    self->converge = zlistx_new ();
    self->converging = zhashx_new ();
    zlistx_set_destructor (self->converge, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (self->converge, (zlistx_duplicator_fn *) strdup);
    self->message = zs_proto_new ();
    self->reply = zs_proto_new ();
    zs_repair_new (self);
    //  Ids that a restarted gateway will not reuse while buckets remember them
    self->next_id = (uint64_t) zclock_time () * 1000;
    assert (self->registry && self->index);
    zs_index_set_counted (self->index, zs_files_under_replicated, self);
    return self;
}

static void
s_server_destroy (zs_server_t **self_p)
{
    if (*self_p) {
        zs_server_t *self = *self_p;
        zloop_destroy (&self->loop);
        zhashx_destroy (&self->transfers);
        zhashx_destroy (&self->requests);
        zhashx_destroy (&self->client_transfers);
        zhashx_destroy (&self->ops);
        zlistx_destroy (&self->converge);
        zhashx_destroy (&self->converging);
        zlistx_destroy (&self->finished);
        zhashx_destroy (&self->discarded);
        zs_repair_destroy (self);
        zs_registry_destroy (&self->registry);
        zs_index_destroy (&self->index);
        zs_cache_destroy (&self->cache);
        zs_proto_destroy (&self->message);
        zs_proto_destroy (&self->reply);
        zsock_destroy (&self->frontend);
        zsock_destroy (&self->backend);
        zs_events_destroy (&self->events);
        //  After the sockets: the ZAP handler must outlive what it serves
        zs_access_destroy (self);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Shared helpers

uint64_t
zs_server_next_id (zs_server_t *self)
{
    return ++self->next_id;
}

uint64_t
zs_server_next_version (zs_server_t *self)
{
    //  Microseconds of wall time, and always above any version seen: grows
    //  across restarts, since the buckets report every version they hold
    uint64_t now = (uint64_t) zclock_time () * 1000 + (uint64_t) (zclock_usecs () % 1000);
    self->last_version = now > self->last_version ? now : self->last_version + 1;
    return self->last_version;
}

void
zs_server_observe_version (zs_server_t *self, uint64_t version)
{
    if (version > self->last_version)
        self->last_version = version;
}

int
zs_server_send_bucket (zs_server_t *self, zs_member_t *member)
{
    if (!member->routing_id) {
        zs_proto_reset (self->reply);
        return -1;
    }
    if (self->verbose)
        zs_proto_print (self->reply, member->id);
    zs_proto_set_routing_id (self->reply, member->routing_id);
    int rc = zs_proto_send (self->reply, self->backend);
    if (rc && !member->lost)
        member->lost = errno == EHOSTUNREACH ? "connection closed" : "send queue full";
    zs_proto_reset (self->reply);
    return rc;
}

void
zs_server_tell (zs_server_t *self, int id, zs_member_t *member, const char *user, const char *name,
                uint64_t version)
{
    if (!member || !member->routing_id)
        return;
    zs_proto_set_id (self->reply, id);
    zs_proto_set_transfer (self->reply, zs_server_next_id (self));
    zs_proto_set_user (self->reply, user);
    zs_proto_set_name (self->reply, name);
    zs_proto_set_version (self->reply, version);
    zs_server_send_bucket (self, member);
}

int
zs_server_send_client (zs_server_t *self, zframe_t *client)
{
    if (self->verbose)
        zs_proto_print (self->reply, "client");
    zs_proto_set_routing_id (self->reply, client);
    int rc = zs_proto_send (self->reply, self->frontend);
    zs_proto_reset (self->reply);
    return rc;
}

void
zs_server_fail_client (zs_server_t *self, zframe_t *client, uint64_t request, int status,
                       const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *reason = zsys_vprintf (format, args);
    va_end (args);
    zs_proto_reset (self->reply);
    zs_proto_set_id (self->reply, ZS_PROTO_FAILED);
    zs_proto_set_request (self->reply, request);
    zs_proto_set_status (self->reply, (uint16_t) status);
    zs_proto_set_reason (self->reply, "%s", reason ? reason : "failed");
    if (self->verbose)
        zsys_debug ("request %" PRIu64 " failed: %s", request, reason);
    free (reason);
    zs_server_send_client (self, client);
}

zs_proto_t *
zs_server_event (zs_server_t *self, const char *kind)
{
    return zs_events_begin (self->events, kind);
}

void
zs_server_request_key (zframe_t *client, uint64_t request, char *key, size_t size)
{
    char *hex = zframe_strhex (client);
    snprintf (key, size, "%s:%" PRIx64, hex ? hex : "", request);
    free (hex);
}

void
zs_server_id_key (uint64_t id, char *key)
{
    snprintf (key, 24, "%" PRIx64, id);
}

bool
zs_server_holder_live (zs_server_t *self, uint16_t holder)
{
    if (holder & ZS_INDEX_UNCONFIRMED)
        return false;
    zs_member_t *member = zs_registry_slot (self->registry, holder);
    return member && member->state == ZS_MEMBER_ALIVE && !member->draining;
}

size_t
zs_server_live_slots (zs_server_t *self, const zs_record_t *record, uint16_t *slots)
{
    if (record->tombstone)
        return 0;
    //  A draining bucket's copies still exist and serve: they count here,
    //  though not for repair, which must replace them
    size_t live = 0;
    for (uint8_t index = 0; index < record->holder_count; index++) {
        uint16_t holder = record->holders[index];
        zs_member_t *member = zs_registry_slot (self->registry, holder);
        if (!(holder & ZS_INDEX_UNCONFIRMED) && member && member->state == ZS_MEMBER_ALIVE)
            slots[live++] = holder;
    }
    return live;
}

size_t
zs_server_live_copies (zs_server_t *self, const zs_record_t *record)
{
    uint16_t slots[ZS_INDEX_SLOTS_MAX];
    return zs_server_live_slots (self, record, slots);
}

const char *
zs_server_member_state (zs_server_t *self, zs_member_t *member)
{
    (void) self;
    if (member->draining && member->state == ZS_MEMBER_ALIVE)
        return member->drain_left ? "draining" : "drained";
    return zs_registry_state_name (member->state);
}

//  How long a failed put's version stays refused: longer than any bucket
//  takes to come back within one gateway's life
#define DISCARD_MEMORY (3600 * 1000)

static void
s_discard_key (const char *user, const char *name, uint64_t version, char *key, size_t size)
{
    snprintf (key, size, "%s/%" PRIx64 "/%s", user, version, name);
}

void
zs_server_discard (zs_server_t *self, const char *user, const char *name, uint64_t version)
{
    char key[ZS_USER_MAX + ZS_NAME_MAX + 24];
    s_discard_key (user, name, version, key, sizeof (key));
    zhashx_update (self->discarded, key, (void *) (intptr_t) (zclock_mono () + DISCARD_MEMORY));
}

bool
zs_server_discarded (zs_server_t *self, const char *user, const char *name, uint64_t version)
{
    char key[ZS_USER_MAX + ZS_NAME_MAX + 24];
    s_discard_key (user, name, version, key, sizeof (key));
    return zhashx_lookup (self->discarded, key) != NULL;
}

static void
s_expire_discarded (zs_server_t *self)
{
    int64_t now = zclock_mono ();
    zlistx_t *expired = zlistx_new ();
    for (void *expiry = zhashx_first (self->discarded); expiry;
         expiry = zhashx_next (self->discarded))
        if ((int64_t) (intptr_t) expiry < now)
            zlistx_add_end (expired, (void *) zhashx_cursor (self->discarded));
    for (const char *key = (const char *) zlistx_first (expired); key;
         key = (const char *) zlistx_next (expired))
        zhashx_delete (self->discarded, key);
    zlistx_destroy (&expired);
}

void
zs_server_slot_names (zs_server_t *self, const uint16_t *slots, size_t count, char *text,
                      size_t size)
{
    size_t used = 0;
    text[0] = 0;
    for (size_t index = 0; index < count && used < size; index++) {
        zs_member_t *member = zs_registry_slot (self->registry, ZS_INDEX_SLOT (slots[index]));
        int written =
            snprintf (text + used, size - used, "%s%s", used ? "," : "", member ? member->id : "?");
        if (written > 0)
            used += (size_t) written;
    }
}

//  --------------------------------------------------------------------------
//  Dispatch

//  Handles what the last message left for later: buckets whose connection
//  failed during a send, transfers that finished
static void
s_settle_lost (zs_server_t *self)
{
    bool again = true;
    while (again) {
        again = false;
        for (zs_member_t *member = zs_registry_first (self->registry); member;
             member = zs_registry_next (self->registry, member))
            if (member->lost) {
                const char *why = member->lost;
                member->lost = NULL;
                zs_members_lost (self, member, why);
                again = true;
            }
    }
}

static void
s_settle (zs_server_t *self)
{
    s_settle_lost (self);
    zs_transfers_sweep (self);
    //  Background copies that ended make room for the next ones now; what
    //  starting them found (a lost bucket, a copy failed at once) is settled
    if (zs_repair_start_copies (self)) {
        s_settle_lost (self);
        zs_transfers_sweep (self);
    }
}

//  Handles a message waiting from a client; false when none was waiting
static bool
s_client_message (zs_server_t *self, zsock_t *frontend)
{
    int rc = zs_proto_recv_waiting (self->message, frontend);
    if (rc == 1)
        return false;
    if (rc) {
        zframe_t *client = zs_proto_routing_id (self->message);
        if (client && zs_proto_id (self->message) != ZS_PROTO_FAILED)
            zs_server_fail_client (self, client, zs_proto_request (self->message),
                                   ZS_STATUS_BAD_REQUEST, "malformed message: %s",
                                   zs_proto_error (self->message));
        return true;
    }
    if (self->verbose)
        zs_proto_print (self->message, "gateway < client");
    if (!zs_access_client (self))
        return true;
    switch (zs_proto_id (self->message)) {
        case ZS_PROTO_PUT_BEGIN: zs_transfers_put_begin (self); break;
        case ZS_PROTO_PUT_CHUNK: zs_transfers_put_chunk (self); break;
        case ZS_PROTO_PUT_END: zs_transfers_put_end (self); break;
        case ZS_PROTO_GET: zs_transfers_get (self); break;
        case ZS_PROTO_GET_CREDIT: zs_transfers_get_credit (self); break;
        case ZS_PROTO_CANCEL: zs_transfers_cancel (self); break;
        case ZS_PROTO_STAT: zs_files_stat (self); break;
        case ZS_PROTO_LIST: zs_files_list (self); break;
        case ZS_PROTO_REMOVE: zs_files_remove (self); break;
        case ZS_PROTO_REPLICAS: zs_files_replicas (self); break;
        case ZS_PROTO_STATUS: zs_files_status (self); break;
        case ZS_PROTO_ADMIN: zs_members_admin (self); break;
        default:
            zs_server_fail_client (self, zs_proto_routing_id (self->message),
                                   zs_proto_request (self->message), ZS_STATUS_BAD_REQUEST,
                                   "%s is not a client request", zs_proto_command (self->message));
            break;
    }
    s_settle (self);
    return true;
}

//  Handles a message waiting from a bucket; false when none was waiting
static bool
s_bucket_message (zs_server_t *self, zsock_t *backend)
{
    int rc = zs_proto_recv_waiting (self->message, backend);
    if (rc == 1)
        return false;
    if (rc) {
        //  Nothing to answer a broken bucket message with; say so, sparingly
        int64_t now = zclock_mono ();
        if (now - self->last_warning > 1000) {
            self->last_warning = now;
            zsys_warning ("malformed message on the bucket endpoint: %s",
                          zs_proto_error (self->message));
        }
        return true;
    }
    if (self->verbose)
        zs_proto_print (self->message, "gateway < bucket");
    if (!zs_access_bucket (self))
        return true;
    if (zs_proto_id (self->message) == ZS_PROTO_REGISTER) {
        zs_members_register (self);
        s_settle (self);
        return true;
    }
    zs_member_t *member =
        zs_registry_connected (self->registry, zs_proto_routing_id (self->message));
    if (!member) {
        //  A bucket we do not know, or no longer: it must register again
        zs_proto_set_id (self->reply, ZS_PROTO_REREGISTER);
        zs_proto_set_routing_id (self->reply, zs_proto_routing_id (self->message));
        zs_proto_send (self->reply, self->backend);
        zs_proto_reset (self->reply);
        return true;
    }
    member->last_heard = zclock_mono ();
    member->missed = 0;
    switch (zs_proto_id (self->message)) {
        case ZS_PROTO_STORE_ACK: zs_transfers_store_ack (self, member); break;
        case ZS_PROTO_STORE_READY: zs_transfers_store_ready (self, member); break;
        case ZS_PROTO_FETCH_CHUNK: zs_transfers_fetch_chunk (self, member); break;
        case ZS_PROTO_DONE:
            if (!zs_transfers_done (self, member))
                zs_files_done (self, member);
            break;
        default: zs_members_handle (self, member); break;
    }
    s_settle (self);
    return true;
}

//  Messages waiting on a socket are taken in one turn of the loop
static int
s_handle_client (zloop_t *loop, zsock_t *frontend, void *arg)
{
    (void) loop;
    for (int taken = 0;
         taken < ZS_PROTO_BATCH_MAX && s_client_message ((zs_server_t *) arg, frontend); taken++)
        ;
    return 0;
}

static int
s_handle_bucket (zloop_t *loop, zsock_t *backend, void *arg)
{
    (void) loop;
    for (int taken = 0;
         taken < ZS_PROTO_BATCH_MAX && s_bucket_message ((zs_server_t *) arg, backend); taken++)
        ;
    return 0;
}

static void
s_check_recovery (zs_server_t *self)
{
    if (!self->recovering || zclock_mono () - self->started < self->recovery)
        return;
    for (zs_member_t *member = zs_registry_first (self->registry); member;
         member = zs_registry_next (self->registry, member))
        if (member->routing_id && !member->inventory_done)
            return;
    self->recovering = false;
    zsys_info ("index ready: %" PRIu64 " files from %zu buckets", zs_index_files (self->index),
               zs_registry_size (self->registry));
    zs_proto_t *event = zs_server_event (self, "gateway.ready");
    zs_proto_set_attr (event, "files", "%" PRIu64, zs_index_files (self->index));
    zs_proto_set_attr (event, "buckets", "%zu", zs_registry_size (self->registry));
    zs_events_publish (self->events);
}

static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    zs_server_t *self = (zs_server_t *) arg;
    zs_members_tick (self);
    zs_transfers_tick (self);
    zs_files_tick (self);
    zs_repair_tick (self);
    s_expire_discarded (self);
    s_check_recovery (self);
    s_settle (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Settings and start

//  A setting whose value is text
static bool
s_set_text (zs_server_t *self, const char *setting, const char *value)
{
    char **field = streq (setting, "cert")          ? &self->cert_path
                   : streq (setting, "bucket-keys") ? &self->bucket_keys_path
                   : streq (setting, "user-keys")   ? &self->user_keys_path
                   : streq (setting, "admins")      ? &self->admins
                                                    : NULL;
    if (!field)
        return false;
    zstr_free (field);
    *field = strdup (value);
    return true;
}

static const char *
s_set (zs_server_t *self, const char *setting, const char *value)
{
    long long number = value ? atoll (value) : 0;
    if (!setting || !value)
        return "SET needs a setting and a value";
    if (s_set_text (self, setting, value))
        return NULL;
    if (streq (setting, "heartbeat") && number >= 10 && number <= 600000)
        self->heartbeat = number;
    else if (streq (setting, "liveness") && number >= 1 && number <= 100)
        self->liveness = number;
    else if (streq (setting, "default-replicas") && number >= 1 && number <= ZS_REPLICAS_MAX)
        self->default_replicas = (uint8_t) number;
    else if (streq (setting, "transfer-timeout") && number >= 100 && number <= 86400000)
        self->transfer_timeout = number;
    else if (streq (setting, "recovery") && number >= 0 && number <= 3600000)
        self->recovery = number;
    else if (streq (setting, "tombstone-grace") && number >= 0 && number <= 31536000000LL)
        self->tombstone_grace = number;
    else if (streq (setting, "repair-grace") && number >= 0 && number <= 31536000000LL)
        self->repair_grace = number;
    else if (streq (setting, "repair-streams") && number >= 1 && number <= 256)
        self->repair_streams = (size_t) number;
    else if (streq (setting, "repair-queue") && number >= 1 && number <= 100000000)
        self->repair_queue = (size_t) number;
    else if (streq (setting, "repair-rate") && number >= 0)
        self->repair_rate = (uint64_t) number;
    else if (streq (setting, "min-write-replicas") && number >= 0 && number <= ZS_REPLICAS_MAX)
        self->min_write_replicas = (uint8_t) number;
    else if (streq (setting, "rebalance") && (number == 0 || number == 1))
        self->rebalance = number == 1;
    else if (streq (setting, "secure") && (number == 0 || number == 1))
        self->secure_mode = number == 1;
    else if (streq (setting, "insecure") && (number == 0 || number == 1))
        self->insecure = number == 1;
    else if (streq (setting, "max-file-size") && number >= 0)
        self->max_file_size = (uint64_t) number;
    else if (streq (setting, "quota-files") && number >= 0)
        self->quota_files = (uint64_t) number;
    else if (streq (setting, "quota-bytes") && number >= 0)
        self->quota_bytes = (uint64_t) number;
    else if (streq (setting, "max-transfers") && number >= 1 && number <= 100000)
        self->max_transfers = (size_t) number;
    else if (streq (setting, "max-name") && number >= 1 && number <= ZS_NAME_MAX)
        self->max_name = (size_t) number;
    else if (streq (setting, "max-message") && number >= 65536 && number <= ZS_CHUNK_SIZE + 65536)
        self->max_message = (size_t) number;
    else if (streq (setting, "cache") && number >= 0)
        self->cache_budget = (size_t) number;
    else
        return "unknown setting or value out of range";
    return NULL;
}

static zsock_t *
s_bind_router (zs_server_t *self, const char *endpoint, char *error, size_t size, const char *what,
               const char *domain)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router);
    zsock_set_router_mandatory (router, 1);
    zsock_set_sndtimeo (router, 0);
    zsock_set_sndhwm (router, SNDHWM);
    zsock_set_linger (router, 0);
    zs_access_secure (self, router, domain);
    if (zsock_bind (router, "%s", endpoint) < 0) {
        snprintf (error, size, "cannot bind the %s endpoint %s: %s", what, endpoint,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&router);
    }
    return router;
}

static void
s_start (zs_server_t *self, zmsg_t *request)
{
    char *clients = zmsg_popstr (request);
    char *buckets = zmsg_popstr (request);
    char *events = zmsg_popstr (request);
    char error[512] = "";
    bool running = self->frontend != NULL;
    if (!events)
        snprintf (error, sizeof (error), "START needs three endpoints");
    else if (running)
        snprintf (error, sizeof (error), "already started");
    else if (zs_access_start (self, (const char *[]){ clients, buckets, events }, error,
                              sizeof (error))
             == 0) {
        self->frontend =
            s_bind_router (self, clients, error, sizeof (error), "client", ZS_GUARD_CLIENTS);
        if (self->frontend)
            self->backend =
                s_bind_router (self, buckets, error, sizeof (error), "bucket", ZS_GUARD_BUCKETS);
        if (self->backend) {
            self->events = zs_events_new ();
            assert (self->events);
            zs_access_secure (self, zs_events_socket (self->events), ZS_GUARD_EVENTS);
            if (zs_events_bind (self->events, events))
                snprintf (error, sizeof (error), "cannot bind the event endpoint %s: %s", events,
                          zmq_strerror (zmq_errno ()));
        }
    }
    if (*error) {
        if (!running) {
            //  Only what this call created: a running gateway keeps its sockets
            zsock_destroy (&self->frontend);
            zsock_destroy (&self->backend);
            zs_events_destroy (&self->events);
        }
        zstr_send (self->pipe, error);
    }
    else {
        if (self->recovery < 0)
            self->recovery = self->liveness * self->heartbeat;
        self->cache = zs_cache_new (self->cache_budget, CACHE_ENTRY_MAX);
        assert (self->cache);
        self->started = zclock_mono ();
        self->recovering = true;
        zloop_reader (self->loop, self->frontend, s_handle_client, self);
        zloop_reader (self->loop, self->backend, s_handle_bucket, self);
        zloop_reader_set_tolerant (self->loop, self->frontend);
        zloop_reader_set_tolerant (self->loop, self->backend);
        size_t tick = (size_t) (self->heartbeat / TICKS_PER_HEARTBEAT);
        zloop_timer (self->loop, tick > 0 ? tick : 1, 0, s_tick, self);
        zstr_sendx (self->pipe, "OK", zsock_endpoint (self->frontend),
                    zsock_endpoint (self->backend),
                    zsock_endpoint (zs_events_socket (self->events)), NULL);
        zsys_info ("gateway: clients on %s, buckets on %s, events on %s",
                   zsock_endpoint (self->frontend), zsock_endpoint (self->backend),
                   zsock_endpoint (zs_events_socket (self->events)));
        if (!self->secure)
            zsys_warning ("gateway: insecure mode: traffic is neither encrypted nor "
                          "authenticated%s",
                          self->insecure ? "" : " (loopback only)");
    }
    zstr_free (&clients);
    zstr_free (&buckets);
    zstr_free (&events);
}

static int
s_handle_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    zs_server_t *self = (zs_server_t *) arg;
    zmsg_t *request = zmsg_recv (pipe);
    if (!request)
        return -1;
    char *command = zmsg_popstr (request);
    int rc = 0;
    if (streq (command, "$TERM"))
        rc = -1;
    else if (streq (command, "VERBOSE"))
        self->verbose = true;
    else if (streq (command, "SET")) {
        char *setting = zmsg_popstr (request), *value = zmsg_popstr (request);
        const char *error = s_set (self, setting, value);
        zstr_send (pipe, error ? error : "OK");
        zstr_free (&setting);
        zstr_free (&value);
    }
    else if (streq (command, "START"))
        s_start (self, request);
    zstr_free (&command);
    zmsg_destroy (&request);
    return rc;
}

void
zs_gateway_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zs_server_t *self = s_server_new (pipe);
    self->loop = zloop_new ();
    zloop_reader (self->loop, pipe, s_handle_pipe, self);
    zsock_signal (pipe, 0);
    zloop_start (self->loop);
    s_server_destroy (&self);
}
