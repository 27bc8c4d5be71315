/*  zs_bucket - a bucket server

    States: REGISTERING (REGISTER sent, no WELCOME yet) and REGISTERED. Any
    message from the gateway proves it alive. Silence for liveness
    heartbeats in either state means a new socket and a new REGISTER.
*/

#include "zs_bucket.h"
#include "zs_disk.h"
#include "zs_name.h"
#include "zs_proto.h"
#include "zs_reader.h"
#include "zs_scrub.h"
#include "zs_secure.h"
#include "zs_store.h"

#define WORKERS_MAX       16
#define HEARTBEAT_DEFAULT 1000 //  ms, until the gateway says otherwise
#define LIVENESS_DEFAULT  3
#define BACKOFF_MIN       1000   //  ms between registrations, doubling...
#define BACKOFF_MAX       32000  //  ... up to this
#define OWED_MAX          100000 //  Messages waiting for a worker's room, about 100 B each
#define OWED_RETRY        10     //  ms between tries to send them
#define OWED_RESET        0      //  Id of a RESET waiting, which no protocol message has

typedef enum { REGISTERING, REGISTERED } state_t;

//  A message for a disk worker that must not be lost, as it waits for room
//  in the worker's queue: a RESET, WELCOME or INVENTORY_ACK, or the
//  ABORT or DROP of a copy, with their fields
typedef struct {
    int id;
    uint64_t transfer;
    uint64_t version; //  DROP
    char *user;       //  DROP
    char *name;       //  DROP
} owed_t;

static void
s_owed_destroy (owed_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->user);
        free ((*self_p)->name);
        free (*self_p);
        *self_p = NULL;
    }
}

typedef struct {
    zsock_t *pipe;                  //  Our actor pipe
    zpoller_t *poller;              //  Pipe, gateway and workers
    zsock_t *gateway;               //  DEALER to the gateway, NULL before START
    zactor_t *workers[WORKERS_MAX]; //  Disk workers
    size_t worker_count;
    zlistx_t *owed[WORKERS_MAX]; //  Per worker, what it had no room for, in order
    size_t owed_count;           //  In all of them
    bool owed_overflow;          //  Some were lost in this stall, which was logged
    zs_proto_t *owed_message;    //  One of them being sent
    zactor_t *scrub;             //  Background integrity check, if any
    size_t resets_pending;       //  Workers yet to confirm they dropped the old work
    bool inventory_waiting;      //  WELCOME came: the inventory starts once they have
    zs_store_t *store;           //  Data folder
    zs_proto_t *message;         //  Message from the gateway
    zs_proto_t *reply;           //  Message to the gateway
    char *id;                    //  Bucket id
    char *zone;                  //  Failure zone
    char *endpoint;              //  Gateway's bucket endpoint
    zs_secure_t *secure;         //  Own key pair and the gateway's key, in secure mode
    zactor_t *handshakes;        //  In secure mode: tells when the handshake fails
    int64_t refusal_logged;      //  When a failed handshake was last logged
    state_t state;
    int64_t heartbeat;     //  ms between heartbeats
    int64_t liveness;      //  Heartbeats missed before the gateway counts as gone
    int64_t last_heard;    //  When the gateway last spoke
    int64_t last_sent;     //  When we last spoke
    int64_t last_tick;     //  When the loop last looked at the time
    int64_t next_register; //  When to register again if no WELCOME came
    int64_t backoff;       //  Current wait between registrations
    char *last_refusal;    //  Reason of the last REFUSED, logged once
    bool verbose;
    bool terminated;
} self_t;

static self_t *
s_self_new (zsock_t *pipe)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->pipe = pipe;
    self->poller = zpoller_new (pipe, NULL);
    self->message = zs_proto_new ();
    self->reply = zs_proto_new ();
    for (size_t index = 0; index < WORKERS_MAX; index++) {
        self->owed[index] = zlistx_new ();
        zlistx_set_destructor (self->owed[index], (zlistx_destructor_fn *) s_owed_destroy);
    }
    self->owed_message = zs_proto_new ();
    self->heartbeat = HEARTBEAT_DEFAULT;
    self->liveness = LIVENESS_DEFAULT;
    self->backoff = BACKOFF_MIN;
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    if (*self_p) {
        self_t *self = *self_p;
        zactor_destroy (&self->scrub);
        for (size_t index = 0; index < self->worker_count; index++)
            zactor_destroy (&self->workers[index]);
        zactor_destroy (&self->handshakes);
        zsock_destroy (&self->gateway);
        zs_secure_destroy (&self->secure);
        for (size_t index = 0; index < WORKERS_MAX; index++)
            zlistx_destroy (&self->owed[index]);
        zs_proto_destroy (&self->owed_message);
        zs_store_destroy (&self->store);
        zs_proto_destroy (&self->message);
        zs_proto_destroy (&self->reply);
        zpoller_destroy (&self->poller);
        free (self->id);
        free (self->zone);
        free (self->endpoint);
        free (self->last_refusal);
        free (self);
        *self_p = NULL;
    }
}

static void
s_send (self_t *self)
{
    if (self->verbose)
        zs_proto_print (self->reply, "bucket >");
    if (self->gateway && zs_proto_send (self->reply, self->gateway) == 0)
        self->last_sent = zclock_mono ();
    zs_proto_reset (self->reply);
}

static int
s_send_one (self_t *self, size_t worker, int id, uint64_t transfer, uint64_t version,
            const char *user, const char *name)
{
    zsock_t *pipe = zactor_sock (self->workers[worker]);
    if (id == OWED_RESET)
        return zstr_send (pipe, "RESET");
    zs_proto_t *message = self->owed_message;
    zs_proto_reset (message);
    zs_proto_set_id (message, id);
    zs_proto_set_transfer (message, transfer);
    zs_proto_set_version (message, version);
    zs_proto_set_user (message, user);
    zs_proto_set_name (message, name);
    return zs_proto_send (message, pipe);
}

//  Sends what workers had no room for, in order, as far as each takes it
static void
s_send_owed (self_t *self)
{
    for (size_t worker = 0; self->owed_count && worker < self->worker_count; worker++) {
        owed_t *owed;
        while ((owed = (owed_t *) zlistx_first (self->owed[worker]))
               && s_send_one (self, worker, owed->id, owed->transfer, owed->version, owed->user,
                              owed->name)
                      == 0) {
            zlistx_delete (self->owed[worker], zlistx_cursor (self->owed[worker]));
            self->owed_count--;
        }
    }
    if (self->owed_count == 0)
        self->owed_overflow = false;
}

//  Sends a worker a message that must not be lost: a
//  RESET or WELCOME that never came would hold up the inventory for good,
//  and an ABORT or DROP that never came would leave a copy on disk that the
//  gateway counts as gone. What the worker has no room for waits, behind
//  what already waits for it.
static void
s_send_surely (self_t *self, size_t worker, int id, uint64_t transfer, uint64_t version,
               const char *user, const char *name)
{
    if (zlistx_size (self->owed[worker]) == 0
        && s_send_one (self, worker, id, transfer, version, user, name) == 0)
        return;
    if (self->owed_count >= OWED_MAX) {
        if (!self->owed_overflow)
            zsys_error ("bucket %s: a disk worker is stalled with %d messages waiting for it: "
                        "more are lost, and their copies are settled at the next registration",
                        self->id, OWED_MAX);
        self->owed_overflow = true;
        return;
    }
    owed_t *owed = (owed_t *) zmalloc (sizeof (owed_t));
    assert (owed);
    owed->id = id;
    owed->transfer = transfer;
    owed->version = version;
    owed->user = user ? strdup (user) : NULL;
    owed->name = name ? strdup (name) : NULL;
    zlistx_add_end (self->owed[worker], owed);
    self->owed_count++;
}

//  A fresh socket and a REGISTER on it, as the Paranoid Pirate pattern does
static void
s_register (self_t *self)
{
    if (self->gateway) {
        zpoller_remove (self->poller, self->gateway);
        if (self->handshakes)
            zpoller_remove (self->poller, self->handshakes);
        zactor_destroy (&self->handshakes);
        zsock_destroy (&self->gateway);
    }
    //  Work in progress belongs to the old connection
    for (size_t index = 0; index < self->worker_count; index++) {
        s_send_surely (self, index, OWED_RESET, 0, 0, NULL, NULL);
        self->resets_pending++;
    }
    self->inventory_waiting = false;
    self->gateway = zsock_new (ZMQ_DEALER);
    assert (self->gateway);
    zsock_set_linger (self->gateway, 0);
    zsock_set_sndtimeo (self->gateway, 0);
    zsock_set_sndhwm (self->gateway, 10000);
    //  In secure mode it talks to the gateway whose key it was given, and to
    //  no one else: the handshake fails with any other
    if (self->secure) {
        zs_secure_apply_client (self->secure, self->gateway);
        //  A refused key looks like a gateway that never answers: say which
        self->handshakes = zactor_new (zmonitor, self->gateway);
        zstr_sendx (self->handshakes, "LISTEN", "HANDSHAKE_FAILED_NO_DETAIL",
                    "HANDSHAKE_FAILED_PROTOCOL", "HANDSHAKE_FAILED_AUTH", NULL);
        zstr_send (self->handshakes, "START");
        zsock_wait (self->handshakes);
        zpoller_add (self->poller, self->handshakes);
    }
    zsock_connect (self->gateway, "%s", self->endpoint);
    zpoller_add (self->poller, self->gateway);

    zs_proto_set_id (self->reply, ZS_PROTO_REGISTER);
    zs_proto_set_bucket (self->reply, self->id);
    zs_proto_set_zone (self->reply, self->zone);
    zs_proto_set_instance (self->reply, zs_store_instance (self->store));
    zs_proto_set_capacity (self->reply, zs_store_capacity (self->store));
    zs_proto_set_used (self->reply, zs_store_used (self->store));
    zs_proto_set_free (self->reply, zs_store_free (self->store));
    zs_proto_set_files (self->reply, zs_store_files (self->store));
    s_send (self);

    int64_t now = zclock_mono ();
    self->state = REGISTERING;
    self->last_heard = now;
    self->next_register = now + self->backoff;
    self->backoff = self->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : self->backoff * 2;
}

static void
s_heartbeat (self_t *self, uint64_t clock)
{
    zs_proto_set_id (self->reply, ZS_PROTO_HEARTBEAT);
    zs_proto_set_clock (self->reply, clock);
    zs_proto_set_used (self->reply, zs_store_used (self->store));
    zs_proto_set_free (self->reply, zs_store_free (self->store));
    zs_proto_set_files (self->reply, zs_store_files (self->store));
    s_send (self);
}

//  One disk worker writes, so that one sync of the file system makes all
//  the copies written meanwhile durable (group commit); the others read, so
//  that a read waits behind no sync. With one worker it does both. A
//  transfer always goes to the same worker, so that its messages stay in
//  order. Gives the worker's index.
static size_t
s_worker (self_t *self, uint64_t transfer, bool reading)
{
    size_t readers = self->worker_count - 1;
    if (!reading || readers == 0)
        return 0;
    //  Mixed first: ids that come in a pattern (a put takes every other
    //  one) must not all fall on one worker
    uint64_t mixed = (transfer * 0x9E3779B97F4A7C15ULL) >> 32;
    return 1 + mixed % readers;
}

//  Sends a gateway message on to the disk worker that owns its transfer. A
//  worker too far behind gets no more: the transfer fails rather than the
//  network thread wait, which would stop the heartbeats.
static void
s_to_worker (self_t *self, uint64_t transfer)
{
    zs_proto_t *message = self->message;
    int id = zs_proto_id (message);
    bool reading = id == ZS_PROTO_FETCH || id == ZS_PROTO_FETCH_CREDIT;
    size_t worker = s_worker (self, transfer, reading);
    if (id == ZS_PROTO_ABORT || id == ZS_PROTO_DROP) {
        const char *user = zs_proto_user (message), *name = zs_proto_name (message);
        uint64_t version = zs_proto_version (message);
        //  An abort may be for either kind: the worker without it ignores it
        size_t reader = s_worker (self, transfer, true);
        if (id == ZS_PROTO_ABORT && reader != worker)
            s_send_surely (self, reader, id, transfer, version, user, name);
        s_send_surely (self, worker, id, transfer, version, user, name);
        return;
    }
    //  Nothing may pass what waits for the worker: a RESET among it would
    //  drop this new work
    if (zlistx_size (self->owed[worker]) == 0
        && zs_proto_send (message, zactor_sock (self->workers[worker])) == 0)
        return;
    zs_proto_set_id (self->reply, ZS_PROTO_DONE);
    zs_proto_set_transfer (self->reply, transfer);
    zs_proto_set_status (self->reply, ZS_STATUS_UNAVAILABLE);
    zs_proto_set_reason (self->reply, "bucket %s is overloaded", self->id);
    s_send (self);
}

//  A fetch of a one-chunk copy that is all in memory is served here: two
//  hand-offs to a disk worker and back cost more than the read. Anything
//  that would wait for the disk, or fails a check, goes to a worker, which
//  does it all again and reports it.
static bool
s_fetch_from_memory (self_t *self)
{
    zs_proto_t *fetch = self->message;
    if (zs_proto_seq (fetch) != 0 || zs_proto_limit (fetch) < 1)
        return false;
    int status;
    zs_reader_t *reader =
        zs_reader_new_cached (self->store, zs_proto_user (fetch), zs_proto_name (fetch),
                              zs_proto_version (fetch), &status);
    uint32_t crc;
    zframe_t *chunk = reader && zs_reader_chunks (reader) == 1
                          ? zs_reader_chunk (reader, 0, &crc, &status)
                          : NULL;
    zs_reader_destroy (&reader);
    if (!chunk)
        return false;
    zs_proto_set_id (self->reply, ZS_PROTO_FETCH_CHUNK);
    zs_proto_set_transfer (self->reply, zs_proto_transfer (fetch));
    zs_proto_set_seq (self->reply, 0);
    zs_proto_set_crc (self->reply, crc);
    zs_proto_set_data (self->reply, &chunk);
    s_send (self);
    return true;
}

//  Starts the inventory when WELCOME came and every worker is past RESET
static void
s_start_inventory (self_t *self)
{
    if (!self->inventory_waiting || self->resets_pending)
        return;
    self->inventory_waiting = false;
    s_send_surely (self, 0, ZS_PROTO_WELCOME, 0, 0, NULL, NULL);
}

//  Handles a message waiting from the gateway; false when none was waiting
static bool
s_handle_gateway (self_t *self)
{
    int rc = zs_proto_recv_waiting (self->message, self->gateway);
    if (rc == 1)
        return false;
    if (rc) {
        zsys_warning ("bucket %s: bad message from the gateway: %s", self->id,
                      zs_proto_error (self->message));
        return true;
    }
    self->last_heard = zclock_mono ();
    if (self->verbose)
        zs_proto_print (self->message, "bucket <");
    switch (zs_proto_id (self->message)) {
        case ZS_PROTO_WELCOME:
            if (self->state == REGISTERING)
                zsys_info ("bucket %s: registered with the gateway at %s", self->id,
                           self->endpoint);
            self->state = REGISTERED;
            self->backoff = BACKOFF_MIN;
            zstr_free (&self->last_refusal);
            if (zs_proto_heartbeat (self->message) > 0)
                self->heartbeat = zs_proto_heartbeat (self->message);
            if (zs_proto_liveness (self->message) > 0)
                self->liveness = zs_proto_liveness (self->message);
            //  The inventory goes out in batches, one per INVENTORY_ACK, once
            //  the old connection's work is all done: a copy committed by it
            //  must be in the inventory
            self->inventory_waiting = true;
            s_start_inventory (self);
            break;
        case ZS_PROTO_INVENTORY_ACK:
            s_send_surely (self, 0, ZS_PROTO_INVENTORY_ACK, 0, 0, NULL, NULL);
            break;
        case ZS_PROTO_REFUSED:
            if (!self->last_refusal || strneq (self->last_refusal, zs_proto_reason (self->message)))
                zsys_error ("bucket %s: the gateway refused us: %s (retrying)", self->id,
                            zs_proto_reason (self->message));
            free (self->last_refusal);
            self->last_refusal = strdup (zs_proto_reason (self->message));
            self->state = REGISTERING;
            break;
        case ZS_PROTO_REREGISTER:
            zsys_info ("bucket %s: the gateway does not know us: registering", self->id);
            self->backoff = BACKOFF_MIN;
            s_register (self);
            break;
        case ZS_PROTO_HEARTBEAT: s_heartbeat (self, zs_proto_clock (self->message)); break;
        case ZS_PROTO_STORE_BEGIN:
        case ZS_PROTO_STORE_CHUNK:
        case ZS_PROTO_STORE_END:
        case ZS_PROTO_COMMIT:
        case ZS_PROTO_FETCH:
        case ZS_PROTO_FETCH_CREDIT:
        case ZS_PROTO_ABORT:
        case ZS_PROTO_DROP:
        case ZS_PROTO_DELETE:
        case ZS_PROTO_FORGET:
        case ZS_PROTO_SET_REPLICAS:
            if (self->state == REGISTERED
                && !(zs_proto_id (self->message) == ZS_PROTO_FETCH && s_fetch_from_memory (self)))
                s_to_worker (self, zs_proto_transfer (self->message));
            break;
        default:
            zsys_warning ("bucket %s: unexpected %s from the gateway", self->id,
                          zs_proto_command (self->message));
            break;
    }
    return true;
}

//  Replies of a disk worker go to the gateway as they are. One that cannot
//  go means the gateway stopped reading us: start afresh rather than let it
//  miss an answer it waits for. False when no reply was waiting.
static bool
s_handle_worker (self_t *self, zsock_t *worker)
{
    //  What the poller found waiting is drained without asking again
    zmsg_t *msg = zmsg_recv_nowait (worker);
    if (!msg)
        return false;
    zframe_t *first = zmsg_first (msg);
    if (first && zframe_streq (first, "RESET")) {
        if (self->resets_pending)
            self->resets_pending--;
        s_start_inventory (self);
        zmsg_destroy (&msg);
        return true;
    }
    if (self->gateway && self->state == REGISTERED) {
        if (zmsg_send (&msg, self->gateway) == 0)
            self->last_sent = zclock_mono ();
        else {
            zsys_warning ("bucket %s: the gateway does not take our replies: registering again",
                          self->id);
            s_register (self);
        }
    }
    zmsg_destroy (&msg);
    return true;
}

static void
s_start (self_t *self, zmsg_t *request)
{
    char *id = zmsg_popstr (request), *zone = zmsg_popstr (request);
    char *data = zmsg_popstr (request), *endpoint = zmsg_popstr (request);
    char *capacity = zmsg_popstr (request), *workers = zmsg_popstr (request);
    char error[512] = "";
    if (!workers)
        snprintf (error, sizeof (error), "START needs six arguments");
    else if (self->store)
        snprintf (error, sizeof (error), "already started");
    else if (zs_name_check_bucket (id))
        snprintf (error, sizeof (error), "bad bucket id '%s': %s", id, zs_name_check_bucket (id));
    else if (zs_name_check_zone (zone))
        snprintf (error, sizeof (error), "bad zone '%s': %s", zone, zs_name_check_zone (zone));
    else if (atoi (workers) < 1 || atoi (workers) > WORKERS_MAX)
        snprintf (error, sizeof (error), "workers must be 1 to %d", WORKERS_MAX);
    else if (self->secure
             && !streq (zs_secure_name (self->secure) ? zs_secure_name (self->secure) : "", id))
        snprintf (error, sizeof (error), "the key pair is named '%s', not after this bucket (%s)",
                  zs_secure_name (self->secure) ? zs_secure_name (self->secure) : "", id);
    else
        self->store = zs_store_new (data, id, error, sizeof (error));
    if (self->store) {
        zs_store_set_capacity (self->store, strtoull (capacity, NULL, 10));
        self->id = strdup (id);
        self->zone = strdup (zone);
        self->endpoint = strdup (endpoint);
        self->worker_count = (size_t) atoi (workers);
        for (size_t index = 0; index < self->worker_count; index++) {
            self->workers[index] = zactor_new (zs_disk_actor, self->store);
            zsock_set_sndtimeo (zactor_sock (self->workers[index]), 0);
            if (self->verbose)
                zstr_send (self->workers[index], "VERBOSE");
            if (index == 0 && self->worker_count > 1)
                zstr_send (self->workers[index], "WRITER");
            zpoller_add (self->poller, self->workers[index]);
        }
        zsys_info ("bucket %s: serving %s (%" PRIu64 " copies, %" PRIu64 " bytes) to %s", id, data,
                   zs_store_files (self->store), zs_store_used (self->store), endpoint);
        s_register (self);
    }
    zstr_send (self->pipe, self->store ? "OK" : error);
    zstr_free (&id);
    zstr_free (&zone);
    zstr_free (&data);
    zstr_free (&endpoint);
    zstr_free (&capacity);
    zstr_free (&workers);
}

static void
s_handle_pipe (self_t *self)
{
    zmsg_t *request = zmsg_recv (self->pipe);
    if (!request) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (request);
    if (streq (command, "$TERM"))
        self->terminated = true;
    else if (streq (command, "START"))
        s_start (self, request);
    else if (streq (command, "SECURE") && !self->store) {
        char *cert = zmsg_popstr (request), *gateway_key = zmsg_popstr (request);
        char error[512] = "SECURE needs a key pair and the gateway's key";
        zs_secure_destroy (&self->secure);
        if (cert && gateway_key)
            self->secure = zs_secure_new (cert, gateway_key, error, sizeof (error));
        zstr_send (self->pipe, self->secure ? "OK" : error);
        zstr_free (&cert);
        zstr_free (&gateway_key);
    }
    else if (streq (command, "VERBOSE"))
        self->verbose = true;
    else if (streq (command, "SCRUB") && self->store && !self->scrub) {
        char *rate = zmsg_popstr (request), *pause = zmsg_popstr (request);
        self->scrub = zactor_new (zs_scrub_actor, self->store);
        zstr_sendx (self->scrub, "RATE", rate ? rate : "", NULL);
        zstr_sendx (self->scrub, "PAUSE", pause ? pause : "", NULL);
        zpoller_add (self->poller, self->scrub);
        zstr_free (&rate);
        zstr_free (&pause);
    }
    else if (streq (command, "TIMEOUT")) {
        char *value = zmsg_popstr (request);
        for (size_t index = 0; index < self->worker_count; index++)
            zstr_sendx (self->workers[index], "TIMEOUT", value ? value : "", NULL);
        zstr_free (&value);
    }
    zstr_free (&command);
    zmsg_destroy (&request);
}

//  A failed secure handshake: logged once a minute, as it repeats
static void
s_handle_handshake (self_t *self)
{
    zmsg_t *event = zmsg_recv (self->handshakes);
    char *kind = event ? zmsg_popstr (event) : NULL;
    int64_t now = zclock_mono ();
    if (kind && (!self->refusal_logged || now - self->refusal_logged >= 60000)) {
        self->refusal_logged = now;
        if (streq (kind, "HANDSHAKE_FAILED_AUTH"))
            zsys_error ("bucket %s: the gateway refused this bucket's key (is its public key "
                        "in the gateway's bucket keys?)",
                        self->id);
        else
            zsys_error ("bucket %s: the secure handshake with the gateway failed (is the "
                        "gateway's key the right one, and is it in secure mode?)",
                        self->id);
    }
    zstr_free (&kind);
    zmsg_destroy (&event);
}

static void
s_tick (self_t *self)
{
    if (!self->gateway)
        return;
    int64_t now = zclock_mono ();
    //  A bucket that could not run for a while heard nobody meanwhile: that
    //  silence is not the gateway's
    int64_t stalled = self->last_tick ? now - self->last_tick - self->heartbeat / 2 : 0;
    self->last_tick = now;
    if (stalled > 0)
        self->last_heard += stalled;
    int64_t silence = now - self->last_heard;
    if (self->state == REGISTERED && silence > self->liveness * self->heartbeat) {
        zsys_warning ("bucket %s: no word from the gateway for %" PRId64 " ms: registering again",
                      self->id, silence);
        s_register (self);
    }
    else if (self->state == REGISTERING && now >= self->next_register)
        s_register (self);
    else if (self->state == REGISTERED && now - self->last_sent >= self->heartbeat)
        //  Lets a restarted gateway notice us before its first heartbeat
        s_heartbeat (self, 0);
}

void
zs_bucket_actor (zsock_t *pipe, void *args)
{
    (void) args;
    self_t *self = s_self_new (pipe);
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        int timeout = (int) (self->heartbeat / 4 > 0 ? self->heartbeat / 4 : 1);
        if (self->owed_count)
            timeout = MIN (timeout, OWED_RETRY);
        zsock_t *which = (zsock_t *) zpoller_wait (self->poller, timeout);
        if (which == pipe)
            s_handle_pipe (self);
        else if (which && which == self->gateway)
            for (int taken = 0; taken < ZS_PROTO_BATCH_MAX && s_handle_gateway (self); taken++)
                ;
        else if (which && which == (zsock_t *) self->handshakes)
            s_handle_handshake (self);
        else if (which)
            for (int taken = 0; taken < ZS_PROTO_BATCH_MAX && s_handle_worker (self, which);
                 taken++)
                ;
        else if (zpoller_terminated (self->poller))
            break;
        s_send_owed (self);
        s_tick (self);
    }
    s_self_destroy (&self);
}
