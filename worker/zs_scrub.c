/*  zs_scrub - a bucket's background integrity check
 */

#include "zs_scrub.h"
#include "zs_reader.h"
#include "zs_scan.h"

#include <sodium.h>

#define RATE_DEFAULT  (8 << 20) //  Bytes per second
#define PAUSE_DEFAULT 60000     //  ms between passes

typedef struct {
    zsock_t *pipe;        //  To the bucket's network thread
    zpoller_t *poller;    //  Waits on the pipe
    zs_store_t *store;    //  What to check
    zs_scan_t *scan;      //  The pass in progress, NULL while resting
    uint64_t rate;        //  Bytes per second
    int64_t pause;        //  ms between passes
    int64_t pass_ended;   //  Monotonic ms when the last pass ended, 0 before
    int64_t pass_started; //  Monotonic ms when this pass began
    uint64_t pass_bytes;  //  Bytes read in this pass
    uint64_t corrupt;     //  Copies found bad in this pass
    bool terminated;
} self_t;

//  Waits up to ms for a command, and carries it out
static void
s_wait (self_t *self, int64_t ms)
{
    if (zpoller_wait (self->poller, ms > 0 ? (int) MIN (ms, INT_MAX) : 0) != self->pipe)
        return;
    zmsg_t *msg = zmsg_recv (self->pipe);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    char *value = msg ? zmsg_popstr (msg) : NULL;
    long long number = value ? atoll (value) : 0;
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else if (streq (command, "RATE") && number > 0)
        self->rate = (uint64_t) number;
    else if (streq (command, "PAUSE") && number > 0)
        self->pause = number;
    zstr_free (&command);
    zstr_free (&value);
    zmsg_destroy (&msg);
}

//  Waits until reading more stays within the rate
static void
s_wait_for_rate (self_t *self)
{
    int64_t due = self->pass_started + (int64_t) (self->pass_bytes * 1000 / self->rate);
    s_wait (self, due - zclock_mono ());
}

static void
s_report (self_t *self, const zs_fileinfo_t *info, const char *reason)
{
    zsys_warning ("scrub: copy of %s/%s version %" PRIu64 " is bad (%s): moved to quarantine",
                  info->user, info->name, info->version, reason);
    zs_store_quarantine (self->store, info->user, info->name, info->version);
    self->corrupt++;
    zs_proto_t *lost = zs_proto_new ();
    zs_proto_set_id (lost, ZS_PROTO_COPY_LOST);
    zs_proto_set_user (lost, info->user);
    zs_proto_set_name (lost, info->name);
    zs_proto_set_version (lost, info->version);
    zs_proto_set_reason (lost, "scrub: %s", reason);
    zs_proto_send (lost, self->pipe);
    zs_proto_destroy (&lost);
}

//  Reads one copy whole, checking as it goes
static void
s_check (self_t *self, const zs_fileinfo_t *info)
{
    int status;
    zs_reader_t *reader =
        zs_reader_new (self->store, info->user, info->name, info->version, &status);
    if (!reader) {
        //  Gone meanwhile (dropped, overwritten) is no fault
        if (status == ZS_STATUS_CORRUPT)
            s_report (self, info, "its header or size does not match");
        return;
    }
    crypto_generichash_state hash;
    crypto_generichash_init (&hash, NULL, 0, ZS_CHECKSUM_SIZE);
    uint32_t chunks = zs_reader_chunks (reader);
    for (uint32_t seq = 0; seq < chunks && !self->terminated; seq++) {
        s_wait_for_rate (self);
        uint32_t crc;
        zframe_t *chunk = zs_reader_chunk (reader, seq, &crc, &status);
        if (!chunk) {
            if (status == ZS_STATUS_CORRUPT)
                s_report (self, info, zs_reader_reason (reader));
            zs_reader_destroy (&reader);
            return;
        }
        crypto_generichash_update (&hash, zframe_data (chunk), zframe_size (chunk));
        self->pass_bytes += zframe_size (chunk);
        zframe_destroy (&chunk);
    }
    byte checksum[ZS_CHECKSUM_SIZE];
    crypto_generichash_final (&hash, checksum, sizeof (checksum));
    if (!self->terminated && memcmp (checksum, zs_reader_info (reader)->checksum, ZS_CHECKSUM_SIZE))
        s_report (self, info, "its content does not match its checksum");
    zs_reader_destroy (&reader);
}

static void
s_step (self_t *self)
{
    if (!self->scan) {
        self->scan = zs_scan_new (self->store, true);
        self->pass_started = zclock_mono ();
        self->pass_bytes = self->corrupt = 0;
    }
    const zs_fileinfo_t *info = self->scan ? zs_scan_next (self->scan, NULL) : NULL;
    if (info && !(info->flags & ZS_FILE_TOMBSTONE)) {
        zs_fileinfo_t *copy = zs_fileinfo_dup (info);
        s_check (self, copy);
        zs_fileinfo_destroy (&copy);
    }
    else if (!info) {
        if (self->pass_bytes || self->corrupt)
            zsys_info ("scrub: pass done, %" PRIu64 " bytes read, %" PRIu64 " bad copies",
                       self->pass_bytes, self->corrupt);
        zs_scan_destroy (&self->scan);
        self->pass_ended = zclock_mono ();
    }
}

void
zs_scrub_actor (zsock_t *pipe, void *args)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->pipe = pipe;
    self->store = (zs_store_t *) args;
    self->poller = zpoller_new (pipe, NULL);
    self->rate = RATE_DEFAULT;
    self->pause = PAUSE_DEFAULT;
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        //  From the pause as it is now: one set while resting (as the
        //  bucket's settings may come after the first pass) counts at once
        int64_t rest =
            self->scan || !self->pass_ended ? 0 : self->pass_ended + self->pause - zclock_mono ();
        if (rest > 0)
            s_wait (self, rest);
        else {
            s_step (self);
            s_wait (self, 0);
        }
        if (zpoller_terminated (self->poller))
            break;
    }
    zs_scan_destroy (&self->scan);
    zpoller_destroy (&self->poller);
    free (self);
}
