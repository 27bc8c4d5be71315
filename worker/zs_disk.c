/*  zs_disk - a bucket's disk worker
 */

#include "zs_disk.h"
#include "zs_reader.h"
#include "zs_scan.h"
#include "zs_writer.h"

#include <sys/resource.h>

#define INVENTORY_BATCH       1000         //  Records per INVENTORY message
#define INVENTORY_BATCH_BYTES (512 * 1024) //  ... or about this many bytes
#define IDLE_TIMEOUT_DEFAULT  120000       //  ms before an idle transfer is aborted
#define SYNC_BATCH_MAX        64           //  Copies waiting before a sync is forced
#define SYNC_DELAY_MAX        5            //  ms a copy waits for its sync at most
#define AHEAD_MAX             4            //  Chunks read ahead that one worker holds

//  What a transfer waits for the next sync of the file system to answer
typedef enum {
    SYNC_NONE,       //  Nothing
    SYNC_THEN_READY, //  Prepared: STORE_READY
    SYNC_THEN_DONE   //  Committed: DONE
} awaiting_t;

//  A transfer in progress: a copy being written or one being read, or a
//  copy committed and waiting for the sync that makes it durable
typedef struct {
    uint64_t transfer;        //  Gateway's transfer id
    zs_writer_t *writer;      //  Set for a store
    zs_reader_t *reader;      //  Set for a fetch
    zs_fileinfo_t *committed; //  Set for a store committed: what it committed
    awaiting_t awaiting;      //  Store: the answer held until the next sync
    uint32_t next;            //  Fetch: next chunk to send
    uint32_t limit;           //  Fetch: chunks below this may be sent
    zframe_t *ahead;          //  Fetch: chunk next, read before its credit came
    uint32_t ahead_crc;       //  Its CRC
    int64_t active;           //  When the gateway last spoke of it
} transfer_t;

typedef struct {
    zsock_t *pipe;                     //  To the bucket's network thread
    zpoller_t *poller;                 //  Waits on the pipe
    zs_store_t *store;                 //  The data folder
    zhashx_t *transfers;               //  transfer_t by transfer id (as text)
    zhashx_t *reading;                 //  The fetches among them, so that finding those
                                       //  with credit does not walk every remembered copy
    zs_proto_t *message;               //  Message being handled
    zs_proto_t *reply;                 //  Message being sent
    zs_scan_t *scan;                   //  Inventory walk in progress
    int sync_fd;                       //  The data folder, opened by this worker alone, so
                                       //  that its sync sees every write error once
    uint64_t unsynced[SYNC_BATCH_MAX]; //  Transfers waiting for a sync
    size_t unsynced_count;
    int64_t unsynced_since;
    int64_t idle_timeout; //  ms
    int64_t next_idle_check;
    bool verbose;
    bool terminated;
} self_t;

static void
s_transfer_destroy (transfer_t **self_p)
{
    if (*self_p) {
        zs_writer_destroy (&(*self_p)->writer);
        zs_reader_destroy (&(*self_p)->reader);
        zs_fileinfo_destroy (&(*self_p)->committed);
        zframe_destroy (&(*self_p)->ahead);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_key (char *key, uint64_t transfer)
{
    snprintf (key, 24, "%" PRIx64, transfer);
}

static self_t *
s_self_new (zsock_t *pipe, zs_store_t *store)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->pipe = pipe;
    self->store = store;
    self->sync_fd = openat (zs_store_fd (store), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    self->poller = zpoller_new (pipe, NULL);
    self->transfers = zhashx_new ();
    zhashx_set_destructor (self->transfers, (zhashx_destructor_fn *) s_transfer_destroy);
    self->reading = zhashx_new ();
    self->message = zs_proto_new ();
    self->reply = zs_proto_new ();
    self->idle_timeout = IDLE_TIMEOUT_DEFAULT;
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    if (*self_p) {
        self_t *self = *self_p;
        zhashx_destroy (&self->reading);
        zhashx_destroy (&self->transfers);
        if (self->sync_fd >= 0)
            close (self->sync_fd);
        zs_scan_destroy (&self->scan);
        zs_proto_destroy (&self->message);
        zs_proto_destroy (&self->reply);
        zpoller_destroy (&self->poller);
        free (self);
        *self_p = NULL;
    }
}

static void
s_send_done (self_t *self, uint64_t transfer, int status, const char *reason)
{
    zs_proto_reset (self->reply);
    zs_proto_set_id (self->reply, ZS_PROTO_DONE);
    zs_proto_set_transfer (self->reply, transfer);
    zs_proto_set_status (self->reply, (uint16_t) status);
    zs_proto_set_reason (self->reply, "%s", reason ? reason : "");
    zs_proto_send (self->reply, self->pipe);
}

static const char *
s_status_text (int status)
{
    switch (status) {
        case ZS_STATUS_OK: return "";
        case ZS_STATUS_NOT_FOUND: return "no such copy";
        case ZS_STATUS_NO_SPACE: return "bucket is full";
        case ZS_STATUS_CORRUPT: return "copy is corrupt";
        case ZS_STATUS_TOO_LARGE: return "file too large";
        default: return "disk error";
    }
}

static transfer_t *
s_transfer (self_t *self, uint64_t transfer)
{
    char key[24];
    s_key (key, transfer);
    return (transfer_t *) zhashx_lookup (self->transfers, key);
}

static void
s_transfer_end (self_t *self, uint64_t transfer)
{
    char key[24];
    s_key (key, transfer);
    zhashx_delete (self->reading, key);
    zhashx_delete (self->transfers, key);
}

static transfer_t *
s_transfer_add (self_t *self, uint64_t transfer)
{
    transfer_t *item = (transfer_t *) zmalloc (sizeof (transfer_t));
    assert (item);
    item->transfer = transfer;
    item->active = zclock_mono ();
    char key[24];
    s_key (key, transfer);
    zhashx_update (self->transfers, key, item);
    return item;
}

static void s_sync (self_t *self, bool answer);

static void
s_await_sync (self_t *self, transfer_t *item, awaiting_t answer)
{
    item->awaiting = answer;
    if (self->unsynced_count == 0)
        self->unsynced_since = zclock_mono ();
    self->unsynced[self->unsynced_count++] = item->transfer;
    if (self->unsynced_count == SYNC_BATCH_MAX)
        s_sync (self, true);
}

//  Group commit: one sync of the file system makes every copy prepared or
//  committed since the last one durable, then each gets its answer. A failed
//  sync fails them all, since it cannot say whose data it lost; and since it
//  tells of a write error only once, to whichever sync comes first, each
//  prepared copy's own file is asked too. Without answer (the gateway is
//  gone, or the worker stops) nobody is told, but a copy renamed into place
//  is still made durable, or dropped.
static void
s_sync (self_t *self, bool answer)
{
    int rc = self->sync_fd >= 0 ? syncfs (self->sync_fd) : -1;
    int error = self->sync_fd >= 0 ? errno : EBADF;
    zlistx_t *failed = zlistx_new ();
    for (size_t index = 0; index < self->unsynced_count; index++) {
        //  Gone when the gateway aborted it meanwhile
        transfer_t *item = s_transfer (self, self->unsynced[index]);
        if (!item || item->awaiting == SYNC_NONE)
            continue;
        awaiting_t awaiting = item->awaiting;
        item->awaiting = SYNC_NONE;
        bool durable =
            rc == 0 && (awaiting == SYNC_THEN_DONE || zs_writer_check (item->writer) == 0);
        if (!durable)
            zlistx_add_end (failed, item);
        else if (answer && awaiting == SYNC_THEN_READY) {
            zs_proto_reset (self->reply);
            zs_proto_set_id (self->reply, ZS_PROTO_STORE_READY);
            zs_proto_set_transfer (self->reply, item->transfer);
            zs_proto_send (self->reply, self->pipe);
        }
        else {
            //  Answered (or, without answer, the gateway gone), it is the
            //  gateway's: an ABORT that crossed the answer comes with a
            //  DROP of the copy, so nothing is kept
            if (answer)
                s_send_done (self, item->transfer, ZS_STATUS_OK, "");
            s_transfer_end (self, item->transfer);
        }
    }
    self->unsynced_count = 0;
    for (transfer_t *item = (transfer_t *) zlistx_first (failed); item;
         item = (transfer_t *) zlistx_next (failed)) {
        uint64_t transfer = item->transfer;
        zsys_error ("transfer %" PRIu64 ": cannot make the copy durable: %s", transfer,
                    rc ? strerror (error) : zs_writer_reason (item->writer));
        //  In place but maybe not durable: not a copy to count on, so none
        if (item->committed)
            zs_store_drop (self->store, item->committed->user, item->committed->name,
                           item->committed->version);
        if (answer)
            s_send_done (self, transfer, ZS_STATUS_INTERNAL, "cannot make the copy durable");
        s_transfer_end (self, transfer);
    }
    zlistx_destroy (&failed);
}

//  Syncs when nothing more is waiting to join the batch, or when the batch
//  has waited long enough
static void
s_sync_when_due (self_t *self)
{
    if (self->unsynced_count == 0)
        return;
    bool arriving = zsock_events (self->pipe) & ZMQ_POLLIN;
    if (!arriving || zclock_mono () - self->unsynced_since >= SYNC_DELAY_MAX)
        s_sync (self, true);
}

static void
s_store_begin (self_t *self)
{
    uint64_t transfer = zs_proto_transfer (self->message);
    s_transfer_end (self, transfer);
    zs_fileinfo_t *info = zs_fileinfo_new ();
    assert (info);
    zstr_free (&info->user);
    zstr_free (&info->name);
    info->user = strdup (zs_proto_user (self->message));
    info->name = strdup (zs_proto_name (self->message));
    info->version = zs_proto_version (self->message);
    info->size = zs_proto_size (self->message);
    info->desired = zs_proto_replicas (self->message);
    info->stamp = zs_proto_stamp (self->message);
    int status;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    if (writer)
        s_transfer_add (self, transfer)->writer = writer;
    else
        s_send_done (self, transfer, status, s_status_text (status));
    zs_fileinfo_destroy (&info);
}

static void
s_store_chunk (self_t *self)
{
    uint64_t transfer = zs_proto_transfer (self->message);
    transfer_t *item = s_transfer (self, transfer);
    if (!item || !item->writer)
        return; //  Already failed or aborted: the gateway knows
    item->active = zclock_mono ();
    zframe_t *data = zs_proto_data (self->message);
    uint32_t seq = zs_proto_seq (self->message);
    int status = zs_writer_append (item->writer, seq, zframe_data (data), zframe_size (data),
                                   zs_proto_crc (self->message));
    if (status) {
        s_send_done (self, transfer, status, zs_writer_reason (item->writer));
        s_transfer_end (self, transfer);
        return;
    }
    zs_proto_reset (self->reply);
    zs_proto_set_id (self->reply, ZS_PROTO_STORE_ACK);
    zs_proto_set_transfer (self->reply, transfer);
    zs_proto_set_seq (self->reply, seq + 1);
    zs_proto_send (self->reply, self->pipe);
}

//  The content is complete: make it durable, not yet visible
static void
s_store_end (self_t *self)
{
    uint64_t transfer = zs_proto_transfer (self->message);
    transfer_t *item = s_transfer (self, transfer);
    if (!item || !item->writer || item->awaiting != SYNC_NONE)
        return;
    item->active = zclock_mono ();
    int status = zs_writer_prepare (item->writer, zs_proto_size (self->message),
                                    zs_proto_checksum (self->message));
    if (status) {
        s_send_done (self, transfer, status, zs_writer_reason (item->writer));
        s_transfer_end (self, transfer);
        return;
    }
    s_await_sync (self, item, SYNC_THEN_READY);
}

//  Every bucket of the transfer is ready: put the copy in place
static void
s_commit (self_t *self)
{
    uint64_t transfer = zs_proto_transfer (self->message);
    transfer_t *item = s_transfer (self, transfer);
    if (!item || !item->writer)
        return;
    //  The content must be durable before its name: a gateway that commits
    //  before READY gets its sync now
    if (item->awaiting == SYNC_THEN_READY) {
        s_sync (self, true);
        //  A failed sync ended it
        item = s_transfer (self, transfer);
        if (!item || !item->writer)
            return;
    }
    item->active = zclock_mono ();
    int status = zs_writer_commit (item->writer);
    if (status) {
        s_send_done (self, transfer, status, zs_writer_reason (item->writer));
        s_transfer_end (self, transfer);
        return;
    }
    //  Until its sync: if the gateway gives up on the transfer meanwhile,
    //  its ABORT drops the copy
    item->committed = zs_fileinfo_dup (zs_writer_info (item->writer));
    zs_writer_destroy (&item->writer);
    s_await_sync (self, item, SYNC_THEN_DONE);
}

//  The gateway gives up on a transfer: a copy it committed goes too
static void
s_abort (self_t *self)
{
    uint64_t transfer = zs_proto_transfer (self->message);
    transfer_t *item = s_transfer (self, transfer);
    if (item && item->committed)
        zs_store_drop (self->store, item->committed->user, item->committed->name,
                       item->committed->version);
    s_transfer_end (self, transfer);
}

static void
s_fetch (self_t *self)
{
    uint64_t transfer = zs_proto_transfer (self->message);
    s_transfer_end (self, transfer);
    const char *user = zs_proto_user (self->message);
    const char *name = zs_proto_name (self->message);
    uint64_t version = zs_proto_version (self->message);
    int status;
    zs_reader_t *reader = zs_reader_new (self->store, user, name, version, &status);
    if (!reader) {
        if (status == ZS_STATUS_CORRUPT)
            zs_store_quarantine (self->store, user, name, version);
        s_send_done (self, transfer, status, s_status_text (status));
        return;
    }
    uint32_t start = zs_proto_seq (self->message);
    if (start >= zs_reader_chunks (reader)) {
        zs_reader_destroy (&reader);
        s_send_done (self, transfer, ZS_STATUS_BAD_REQUEST, "no such chunk");
        return;
    }
    transfer_t *item = s_transfer_add (self, transfer);
    item->reader = reader;
    char key[24];
    s_key (key, transfer);
    zhashx_insert (self->reading, key, item);
    item->next = start;
    item->limit = zs_proto_limit (self->message);
}

static void
s_fetch_credit (self_t *self)
{
    transfer_t *item = s_transfer (self, zs_proto_transfer (self->message));
    if (item && item->reader) {
        item->active = zclock_mono ();
        if (zs_proto_limit (self->message) > item->limit)
            item->limit = zs_proto_limit (self->message);
    }
}

//  Reads the chunk a fetch sends next; NULL when it cannot, and the fetch
//  failed and ended
static zframe_t *
s_fetch_read (self_t *self, transfer_t *item, uint32_t *crc)
{
    int status;
    zframe_t *chunk = zs_reader_chunk (item->reader, item->next, crc, &status);
    if (!chunk) {
        const zs_fileinfo_t *info = zs_reader_info (item->reader);
        zsys_warning ("copy %s/%s version %" PRIu64 ": %s", info->user, info->name, info->version,
                      zs_reader_reason (item->reader));
        if (status == ZS_STATUS_CORRUPT)
            zs_store_quarantine (self->store, info->user, info->name, info->version);
        s_send_done (self, item->transfer, status, zs_reader_reason (item->reader));
        s_transfer_end (self, item->transfer);
    }
    return chunk;
}

//  Sends one chunk of a fetch that has credit; true if it sent one
static bool
s_fetch_serve (self_t *self, transfer_t *item)
{
    if (!item->reader || item->next >= item->limit)
        return false;
    uint32_t crc = item->ahead_crc;
    zframe_t *chunk = item->ahead;
    item->ahead = NULL;
    if (!chunk && !(chunk = s_fetch_read (self, item, &crc)))
        return true;
    uint64_t transfer = item->transfer;
    zs_proto_reset (self->reply);
    zs_proto_set_id (self->reply, ZS_PROTO_FETCH_CHUNK);
    zs_proto_set_transfer (self->reply, transfer);
    zs_proto_set_seq (self->reply, item->next);
    zs_proto_set_crc (self->reply, crc);
    zs_proto_set_data (self->reply, &chunk);
    zs_proto_send (self->reply, self->pipe);
    zs_proto_reset (self->reply);
    if (++item->next == zs_reader_chunks (item->reader))
        s_transfer_end (self, transfer);
    return true;
}

//  The worker's spare time, when no fetch has credit: reads the next chunk
//  of a fetch that waits for credit, so that the chunk goes as soon as the
//  credit comes instead of after a disk read. True if it read one.
static bool
s_read_ahead (self_t *self)
{
    transfer_t *waiting = NULL;
    size_t held = 0;
    transfer_t *item = (transfer_t *) zhashx_first (self->reading);
    for (; item; item = (transfer_t *) zhashx_next (self->reading))
        if (item->ahead)
            held++;
        else if (!waiting)
            waiting = item;
    if (!waiting || held >= AHEAD_MAX)
        return false;
    uint32_t crc;
    zframe_t *chunk = s_fetch_read (self, waiting, &crc);
    //  A read that failed ended the fetch
    if (chunk) {
        waiting->ahead = chunk;
        waiting->ahead_crc = crc;
    }
    return true;
}

static void
s_inventory_batch (self_t *self)
{
    if (!self->scan)
        return;
    zs_proto_reset (self->reply);
    zs_proto_set_id (self->reply, ZS_PROTO_INVENTORY);
    size_t bytes = 0;
    const zs_fileinfo_t *info = NULL;
    while (zs_proto_entries_size (self->reply) < INVENTORY_BATCH && bytes < INVENTORY_BATCH_BYTES
           && (info = zs_scan_next (self->scan, NULL))) {
        zs_proto_add_entry (self->reply, info);
        bytes += 80 + strlen (info->name) + strlen (info->buckets);
    }
    bool more = info != NULL;
    zs_proto_set_more (self->reply, more);
    zs_proto_send (self->reply, self->pipe);
    zs_proto_reset (self->reply);
    if (!more)
        zs_scan_destroy (&self->scan);
}

//  Runs one of the small operations that answer with DONE
static void
s_operation (self_t *self)
{
    zs_proto_t *m = self->message;
    int status = ZS_STATUS_BAD_REQUEST;
    switch (zs_proto_id (m)) {
        case ZS_PROTO_DROP:
            status = zs_store_drop (self->store, zs_proto_user (m), zs_proto_name (m),
                                    zs_proto_version (m));
            break;
        case ZS_PROTO_DELETE:
            status = zs_store_delete (self->store, zs_proto_user (m), zs_proto_name (m),
                                      zs_proto_version (m), zs_proto_pending (m));
            break;
        case ZS_PROTO_FORGET:
            status = zs_store_forget (self->store, zs_proto_user (m), zs_proto_name (m),
                                      zs_proto_version (m));
            break;
        case ZS_PROTO_SET_REPLICAS:
            status = zs_store_set_replicas (self->store, zs_proto_user (m), zs_proto_name (m),
                                            zs_proto_version (m), zs_proto_replicas (m),
                                            zs_proto_stamp (m));
            break;
    }
    s_send_done (self, zs_proto_transfer (m), status, s_status_text (status));
}

static void
s_handle_message (self_t *self)
{
    if (self->verbose)
        zs_proto_print (self->message, "disk");
    switch (zs_proto_id (self->message)) {
        case ZS_PROTO_STORE_BEGIN: s_store_begin (self); break;
        case ZS_PROTO_STORE_CHUNK: s_store_chunk (self); break;
        case ZS_PROTO_STORE_END: s_store_end (self); break;
        case ZS_PROTO_COMMIT: s_commit (self); break;
        case ZS_PROTO_FETCH: s_fetch (self); break;
        case ZS_PROTO_FETCH_CREDIT: s_fetch_credit (self); break;
        case ZS_PROTO_ABORT: s_abort (self); break;
        case ZS_PROTO_WELCOME:
            zs_scan_destroy (&self->scan);
            self->scan = zs_scan_new (self->store, true);
            s_inventory_batch (self);
            break;
        case ZS_PROTO_INVENTORY_ACK: s_inventory_batch (self); break;
        default: s_operation (self); break;
    }
}

static void
s_handle_command (self_t *self, zmsg_t *msg)
{
    char *command = zmsg_popstr (msg);
    if (streq (command, "$TERM"))
        self->terminated = true;
    else if (streq (command, "RESET")) {
        s_sync (self, false);
        zhashx_purge (self->reading);
        zhashx_purge (self->transfers);
        zs_scan_destroy (&self->scan);
        //  Everything before it is done: the bucket waits for this
        zstr_send (self->pipe, "RESET");
    }
    else if (streq (command, "TIMEOUT")) {
        char *value = zmsg_popstr (msg);
        if (value && atoll (value) > 0)
            self->idle_timeout = atoll (value);
        zstr_free (&value);
    }
    else if (streq (command, "WRITER"))
        setpriority (PRIO_PROCESS, (id_t) gettid (), 10);
    else if (streq (command, "VERBOSE"))
        self->verbose = true;
    zstr_free (&command);
}

static void
s_handle_pipe (self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    zframe_t *first = zmsg_first (msg);
    if (zframe_size (first) >= 2 && memcmp (zframe_data (first), "ZS", 2) == 0) {
        if (zs_proto_decode (self->message, &msg) == 0)
            s_handle_message (self);
        else
            zsys_error ("disk worker: bad message: %s", zs_proto_error (self->message));
    }
    else
        s_handle_command (self, msg);
    zmsg_destroy (&msg);
}

static void
s_expire_idle (self_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->next_idle_check)
        return;
    self->next_idle_check = now + 1000;
    zlistx_t *expired = zlistx_new ();
    transfer_t *item = (transfer_t *) zhashx_first (self->transfers);
    //  One waiting for a sync is not idle: the sync answers it
    for (; item; item = (transfer_t *) zhashx_next (self->transfers))
        if (now - item->active > self->idle_timeout && item->awaiting == SYNC_NONE)
            zlistx_add_end (expired, item);
    for (item = (transfer_t *) zlistx_first (expired); item;
         item = (transfer_t *) zlistx_next (expired)) {
        uint64_t transfer = item->transfer;
        zsys_info ("transfer %" PRIu64 " idle for %" PRId64 " ms: aborted", transfer,
                   now - item->active);
        s_send_done (self, transfer, ZS_STATUS_TIMEOUT, "transfer idle for too long");
        s_transfer_end (self, transfer);
    }
    zlistx_destroy (&expired);
}

void
zs_disk_actor (zsock_t *pipe, void *args)
{
    self_t *self = s_self_new (pipe, (zs_store_t *) args);
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        //  Fetches with credit keep the loop busy; otherwise wait
        bool busy = false;
        transfer_t *item = (transfer_t *) zhashx_first (self->reading);
        for (; item && !busy; item = (transfer_t *) zhashx_next (self->reading))
            busy = item->next < item->limit;
        bool reading_ahead = !busy && s_read_ahead (self);
        zsock_t *which = (zsock_t *) zpoller_wait (self->poller, busy || reading_ahead ? 0 : 1000);
        if (which == pipe)
            s_handle_pipe (self);
        else if (zpoller_terminated (self->poller))
            break;
        //  One chunk per fetch per turn, so that no fetch starves another;
        //  serving a fetch may end it, but never another one
        if (busy) {
            zlistx_t *ready = zlistx_new ();
            for (item = (transfer_t *) zhashx_first (self->reading); item;
                 item = (transfer_t *) zhashx_next (self->reading))
                if (item->next < item->limit)
                    zlistx_add_end (ready, item);
            for (item = (transfer_t *) zlistx_first (ready); item;
                 item = (transfer_t *) zlistx_next (ready))
                s_fetch_serve (self, item);
            zlistx_destroy (&ready);
        }
        s_sync_when_due (self);
        s_expire_idle (self);
    }
    s_sync (self, false);
    s_self_destroy (&self);
}
