/*  zs_client - the zstore client library
 */

#include "zs_client.h"
#include "zs_receipt.h"
#include "zs_crc32c.h"
#include "zs_name.h"
#include "zs_secure.h"

#include <sodium.h>
#include <stdarg.h>
#include <sys/stat.h>

#define TIMEOUT_DEFAULT  10000 //  ms
#define ATTEMPT_MAX      2500  //  ms to wait before sending an idempotent request again
#define RETRY_PAUSE      250   //  ms between tries while the gateway recovers, doubling...
#define RETRY_MAX        2000  //  ... up to this, after the gateway went silent
#define HANDSHAKES_TRIED 2     //  Handshakes failed in a row that make a refusal
//  How long to wait at least for an answer the gateway always gives, once it
//  has what it needs (a removal, a replica change): it fails such work
//  itself after its transfer timeout
#define ANSWER_WAIT 120000

struct _zs_client_t {
    char *endpoint;        //  Gateway's client endpoint
    char *user;            //  Whose files
    zsock_t *socket;       //  DEALER to the gateway
    zactor_t *monitor;     //  Tells when the connection to the gateway breaks
    bool lost;             //  It broke while we waited for an answer
    const char *refusal;   //  Why the secure handshake failed, if it did
    int handshakes_failed; //  In a row, since the last answer
    bool unsent;           //  The last connection broke in its handshake
    zs_secure_t *secure;   //  Key pair and gateway key, in secure mode
    zpoller_t *poller;     //  Waits on the socket
    zs_proto_t *request;   //  Message sent
    zs_proto_t *reply;     //  Message received
    uint64_t next_id;      //  Last request id used
    int64_t timeout;       //  ms to wait for the gateway
    int status;            //  ZS_STATUS_ of the last failure
    bool refused;          //  The gateway itself answered FAILED
    char error[512];       //  Why the last call failed
};

//  How often a put that has sent its end asks whether the gateway is still
//  at work on it
static int64_t
s_probe_interval (zs_client_t *self)
{
    return self->timeout / 4 < ATTEMPT_MAX ? self->timeout / 4 : ATTEMPT_MAX;
}

static int s_failed (zs_client_t *self, int status, const char *format, ...) CHECK_PRINTF (3);

static int
s_failed (zs_client_t *self, int status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof (self->error), format, args);
    va_end (args);
    self->status = status;
    return -1;
}

static void
s_connect (zs_client_t *self)
{
    if (self->socket) {
        zpoller_destroy (&self->poller);
        zactor_destroy (&self->monitor);
        zsock_destroy (&self->socket);
    }
    self->socket = zsock_new (ZMQ_DEALER);
    assert (self->socket);
    //  Long enough for a last CANCEL to leave before the process does
    zsock_set_linger (self->socket, 200);
    zsock_set_sndtimeo (self->socket, (int) self->timeout);
    //  A gateway that dies closes its connections: a request in flight then
    //  will never be answered, and waiting for it is pointless
    self->monitor = zactor_new (zmonitor, self->socket);
    assert (self->monitor);
    zstr_sendx (self->monitor, "LISTEN", "DISCONNECTED", "HANDSHAKE_FAILED_NO_DETAIL",
                "HANDSHAKE_FAILED_PROTOCOL", "HANDSHAKE_FAILED_AUTH", NULL);
    zstr_send (self->monitor, "START");
    zsock_wait (self->monitor);
    if (self->secure)
        zs_secure_apply_client (self->secure, self->socket);
    zsock_connect (self->socket, "%s", self->endpoint);
    self->poller = zpoller_new (self->socket, self->monitor, NULL);
    self->lost = false;
    self->unsent = false;
}

zs_client_t *
zs_client_new (const char *endpoint, const char *user)
{
    if (!endpoint || zs_name_check_user (user) || sodium_init () < 0) {
        errno = EINVAL;
        return NULL;
    }
    zs_client_t *self = (zs_client_t *) zmalloc (sizeof (zs_client_t));
    if (!self)
        return NULL;
    self->endpoint = strdup (endpoint);
    self->user = strdup (user);
    self->request = zs_proto_new ();
    self->reply = zs_proto_new ();
    self->timeout = TIMEOUT_DEFAULT;
    self->next_id = randombytes_random ();
    zsock_t *probe = zsock_new (ZMQ_DEALER);
    bool valid = probe && zsock_connect (probe, "%s", endpoint) == 0;
    zsock_destroy (&probe);
    if (!valid) {
        zs_client_destroy (&self);
        errno = EINVAL;
        return NULL;
    }
    s_connect (self);
    return self;
}

void
zs_client_destroy (zs_client_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_client_t *self = *self_p;
        zpoller_destroy (&self->poller);
        zactor_destroy (&self->monitor);
        zsock_destroy (&self->socket);
        zs_secure_destroy (&self->secure);
        zs_proto_destroy (&self->request);
        zs_proto_destroy (&self->reply);
        free (self->endpoint);
        free (self->user);
        free (self);
        *self_p = NULL;
    }
}

void
zs_client_set_timeout (zs_client_t *self, int64_t timeout)
{
    assert (self);
    self->timeout = timeout > 0 ? timeout : TIMEOUT_DEFAULT;
    zsock_set_sndtimeo (self->socket, (int) self->timeout);
}

const char *
zs_client_error (zs_client_t *self)
{
    assert (self);
    return self->error;
}

int
zs_client_status_code (zs_client_t *self)
{
    assert (self);
    return self->status;
}

void
zs_client_checksum_hex (const byte *checksum, char *text)
{
    sodium_bin2hex (text, ZS_CHECKSUM_SIZE * 2 + 1, checksum, ZS_CHECKSUM_SIZE);
}

//  Clears the last failure: called as each method starts
static void
s_begin (zs_client_t *self)
{
    self->status = ZS_STATUS_OK;
    self->error[0] = 0;
    self->refused = false;
}

int
zs_client_set_secure (zs_client_t *self, const char *cert_path, const char *gateway_key_path)
{
    assert (self && cert_path && gateway_key_path);
    s_begin (self);
    char error[512];
    zs_secure_t *secure = zs_secure_new (cert_path, gateway_key_path, error, sizeof (error));
    if (!secure)
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "%s", error);
    const char *name = zs_secure_name (secure);
    if (!name || zs_name_check_user (name)) {
        zs_secure_destroy (&secure);
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "%s names no user", cert_path);
    }
    zs_secure_destroy (&self->secure);
    self->secure = secure;
    free (self->user);
    self->user = strdup (name);
    s_connect (self);
    return 0;
}

const char *
zs_client_user (zs_client_t *self)
{
    assert (self);
    return self->user;
}

//  Sends self->request, a message of a request already under way: a break
//  of the connection since it started is news, and stays for s_next_reply
static int
s_send (zs_client_t *self)
{
    //  A handshake that failed before fails again, and says so again
    self->lost = false;
    self->refusal = NULL;
    self->unsent = false;
    if (zs_proto_send (self->request, self->socket))
        return s_failed (self, ZS_STATUS_UNAVAILABLE, "cannot send to the gateway at %s: %s",
                         self->endpoint, zmq_strerror (errno));
    return 0;
}

//  Sends self->request, the first message of a request, while no other is
//  under way. A break before it is no news about it: the socket connects
//  again by itself and the request goes on the new connection.
static int
s_send_first (zs_client_t *self)
{
    while (zsock_events (zactor_sock (self->monitor)) & ZMQ_POLLIN) {
        zmsg_t *event = zmsg_recv (self->monitor);
        zmsg_destroy (&event);
    }
    return s_send (self);
}

//  Waits up to until (monotonic ms) for a reply to any request; 0 when one
//  came, -1 on timeout, interrupt or a broken connection (self->lost)
static int
s_next_reply (zs_client_t *self, int64_t until)
{
    while (true) {
        //  With many requests in flight a reply is often there already: taken
        //  without asking the kernel (the monitor matters only to one waiting)
        int rc = zs_proto_recv_waiting (self->reply, self->socket);
        if (rc == 0) {
            self->handshakes_failed = 0;
            return 0;
        }
        if (rc == -1)
            continue; //  Malformed: not a reply to anything
        int64_t left = until - zclock_mono ();
        if (left <= 0)
            return -1;
        void *which = zpoller_wait (self->poller, (int) left);
        if (!which) {
            if (zpoller_terminated (self->poller))
                return s_failed (self, ZS_STATUS_TIMEOUT, "interrupted");
            continue;
        }
        if (which == self->monitor) {
            zmsg_t *event = zmsg_recv (self->monitor);
            char *kind = event ? zmsg_popstr (event) : NULL;
            zmsg_destroy (&event);
            bool handshake = kind && strneq (kind, "DISCONNECTED");
            bool unsent = self->unsent;
            self->unsent = handshake;
            //  A connection that broke in its handshake carried nothing: the
            //  request waits for the next one, which the socket makes by
            //  itself. A gateway that stops in the middle of a handshake
            //  breaks one; a gateway that wants another mechanism breaks
            //  every one.
            if (kind && streq (kind, "HANDSHAKE_FAILED_AUTH"))
                self->refusal = "the gateway refused this client's key";
            else if (handshake && ++self->handshakes_failed >= HANDSHAKES_TRIED)
                self->refusal = self->secure ? "the secure handshake with the gateway failed "
                                               "(is its key the right one?)"
                                             : "the handshake with the gateway failed (does it "
                                               "want --secure?)";
            bool carry_on = !self->refusal && (handshake || unsent);
            zstr_free (&kind);
            if (carry_on)
                continue;
            self->lost = true;
            return -1;
        }
    }
}

//  Waits up to until for a reply to request, as s_next_reply; replies to
//  other requests are dropped
static int
s_wait (zs_client_t *self, uint64_t request, int64_t until)
{
    while (s_next_reply (self, until) == 0)
        if (zs_proto_request (self->reply) == request)
            return 0;
    return -1;
}

//  Says more about the last failure
static void
s_add_to_error (zs_client_t *self, const char *more)
{
    size_t used = strlen (self->error);
    snprintf (self->error + used, sizeof (self->error) - used, "%s", more);
}

static int
s_failure_reply (zs_client_t *self)
{
    self->refused = true;
    return s_failed (self, zs_proto_status (self->reply), "%s", zs_proto_reason (self->reply));
}

static int
s_unreachable (zs_client_t *self)
{
    if (zsys_interrupted)
        return s_failed (self, ZS_STATUS_TIMEOUT, "interrupted");
    if (self->refusal) {
        self->refused = true;
        return s_failed (self, ZS_STATUS_FORBIDDEN, "%s", self->refusal);
    }
    if (self->lost)
        return s_failed (self, ZS_STATUS_TIMEOUT,
                         "the connection to the gateway at %s broke before it answered",
                         self->endpoint);
    return s_failed (self, ZS_STATUS_TIMEOUT,
                     "no answer from the gateway at %s within %" PRId64 " ms", self->endpoint,
                     self->timeout);
}

//  Sends self->request and waits for its reply. While the gateway recovers
//  (it did nothing), asks again. When it is silent, an idempotent request
//  that it answers at once (prompt) goes again on a new connection; one
//  whose answer waits for a bucket (a get's first chunk) waits the whole
//  timeout, as the gateway itself moves on from a bucket that stalls; any
//  other waits for the answer, which the gateway always gives. A broken
//  connection sends an idempotent request again at once. Returns 0 with
//  the reply in self->reply, which may be FAILED.
static int
s_call (zs_client_t *self, bool idempotent, bool prompt)
{
    int64_t patience = idempotent || self->timeout > ANSWER_WAIT ? self->timeout : ANSWER_WAIT;
    int64_t deadline = zclock_mono () + patience;
    uint64_t request = ++self->next_id;
    while (true) {
        zs_proto_set_request (self->request, request);
        if (s_send_first (self))
            return -1;
        int64_t attempt = zclock_mono () + (idempotent && prompt ? ATTEMPT_MAX : patience);
        if (s_wait (self, request, attempt < deadline ? attempt : deadline) == 0) {
            bool recovering = zs_proto_id (self->reply) == ZS_PROTO_FAILED
                              && zs_proto_status (self->reply) == ZS_STATUS_RECOVERING;
            if (!recovering || zclock_mono () + RETRY_PAUSE >= deadline)
                return 0;
            zclock_sleep (RETRY_PAUSE);
        }
        else if (self->refusal)
            return s_unreachable (self);
        else if (!idempotent && self->lost && !zsys_interrupted) {
            int rc = s_unreachable (self);
            s_add_to_error (self, ": it may or may not have been done");
            return rc;
        }
        else if (zsys_interrupted || zclock_mono () >= deadline || !idempotent)
            return s_unreachable (self);
        else
            s_connect (self);
        request = ++self->next_id;
    }
}

static void
s_file_request (zs_client_t *self, int id, const char *name)
{
    zs_proto_reset (self->request);
    zs_proto_set_id (self->request, id);
    zs_proto_set_user (self->request, self->user);
    zs_proto_set_name (self->request, name);
}

static int
s_check_name (zs_client_t *self, const char *name)
{
    s_begin (self);
    const char *problem = zs_name_check_file (name);
    if (problem)
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "bad name: %s", problem);
    return 0;
}

//  Reads up to a full chunk; returns the bytes read, 0 at the end, -1 on error
static ssize_t
s_read_chunk (int fd, byte *buffer)
{
    size_t got = 0;
    while (got < ZS_CHUNK_SIZE) {
        ssize_t size = read (fd, buffer + got, ZS_CHUNK_SIZE - got);
        if (size < 0 && errno == EINTR && !zsys_interrupted)
            continue;
        if (size < 0)
            return -1;
        if (size == 0)
            break;
        got += (size_t) size;
    }
    return (ssize_t) got;
}

static void
s_cancel (zs_client_t *self, uint64_t request)
{
    zs_proto_reset (self->request);
    zs_proto_set_id (self->request, ZS_PROTO_CANCEL);
    zs_proto_set_request (self->request, request);
    zs_proto_send (self->request, self->socket);
}

//  Read, hash and frame the next chunk of a put: *next is NULL at the end
//  of the input
static int
s_read_ahead (zs_client_t *self, int fd, byte *buffer, crypto_generichash_state *hash,
              zframe_t **next, uint32_t *crc)
{
    ssize_t size = s_read_chunk (fd, buffer);
    if (size < 0)
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "cannot read the input: %s",
                         strerror (errno));
    *next = NULL;
    if (size == 0)
        return 0;
    crypto_generichash_update (hash, buffer, (size_t) size);
    *crc = zs_crc32c (0, buffer, (size_t) size);
    *next = zframe_new (buffer, (size_t) size);
    return *next ? 0 : s_failed (self, ZS_STATUS_INTERNAL, "out of memory");
}

//  One attempt at a put, from where fd is
static int
s_put_once (zs_client_t *self, const char *name, int fd, uint8_t replicas, uint64_t *version,
            uint8_t *copies)
{
    struct stat info;
    uint64_t size_hint =
        fstat (fd, &info) == 0 && S_ISREG (info.st_mode) ? (uint64_t) info.st_size : UINT64_MAX;
    byte *buffer = (byte *) malloc (ZS_CHUNK_SIZE);
    if (!buffer)
        return s_failed (self, ZS_STATUS_INTERNAL, "out of memory");
    crypto_generichash_state hash;
    crypto_generichash_init (&hash, NULL, 0, ZS_CHECKSUM_SIZE);
    uint64_t request = ++self->next_id;
    s_file_request (self, ZS_PROTO_PUT_BEGIN, name);
    zs_proto_set_request (self->request, request);
    zs_proto_set_size (self->request, size_hint);
    zs_proto_set_replicas (self->request, replicas);
    int rc = s_send_first (self);
    uint32_t sent = 0, limit = ZS_WINDOW, next_crc = 0;
    uint64_t bytes = 0;
    bool end_sent = false;
    //  The next chunk is always read and hashed already, while the gateway
    //  and the buckets work on those sent, so that it goes as soon as the
    //  credit allows
    zframe_t *next = NULL;
    if (rc == 0)
        rc = s_read_ahead (self, fd, buffer, &hash, &next, &next_crc);
    int64_t deadline = zclock_mono () + self->timeout;
    while (rc == 0) {
        //  Send what the credit allows, then wait for more credit or the answer
        while (!end_sent && sent < limit) {
            zs_proto_reset (self->request);
            zs_proto_set_request (self->request, request);
            if (next) {
                bytes += zframe_size (next);
                zs_proto_set_id (self->request, ZS_PROTO_PUT_CHUNK);
                zs_proto_set_seq (self->request, sent++);
                zs_proto_set_crc (self->request, next_crc);
                zs_proto_set_data (self->request, &next);
            }
            else {
                byte checksum[ZS_CHECKSUM_SIZE];
                crypto_generichash_final (&hash, checksum, sizeof (checksum));
                zs_proto_set_id (self->request, ZS_PROTO_PUT_END);
                zs_proto_set_size (self->request, bytes);
                zs_proto_set_checksum (self->request, checksum);
                end_sent = true;
            }
            if ((rc = s_send (self))
                || (!end_sent && (rc = s_read_ahead (self, fd, buffer, &hash, &next, &next_crc))))
                break;
        }
        if (rc)
            break;
        //  Once all is sent, the gateway answers when the buckets are done;
        //  meanwhile the end goes again now and then, and the gateway says
        //  whether it is still at work on the put
        int64_t until = deadline;
        if (end_sent && zclock_mono () + s_probe_interval (self) < deadline)
            until = zclock_mono () + s_probe_interval (self);
        if (s_wait (self, request, until)) {
            if (zsys_interrupted || self->lost || zclock_mono () >= deadline) {
                rc = s_unreachable (self);
                if (end_sent)
                    s_add_to_error (self, ", after the whole content was sent: the file may or "
                                          "may not be stored");
                break;
            }
            rc = s_send (self);
            continue;
        }
        deadline = zclock_mono () + self->timeout;
        int id = zs_proto_id (self->reply);
        if (id == ZS_PROTO_PUT_CREDIT) {
            if (zs_proto_limit (self->reply) > limit)
                limit = zs_proto_limit (self->reply);
        }
        else if (id == ZS_PROTO_PUT_OK) {
            if (version)
                *version = zs_proto_version (self->reply);
            if (copies)
                *copies = zs_proto_copies (self->reply);
            break;
        }
        else if (id == ZS_PROTO_FAILED && zs_proto_status (self->reply) == ZS_STATUS_GONE) {
            //  Not a refusal: the gateway that had the put is gone
            rc = s_failed (self, ZS_STATUS_GONE,
                           "the gateway restarted after the whole content was sent: the file "
                           "may or may not be stored");
            break;
        }
        else if (id == ZS_PROTO_FAILED && zs_proto_status (self->reply) == ZS_STATUS_RECOVERING) {
            //  Not a refusal either: buckets are still registering
            rc = s_failed (self, ZS_STATUS_RECOVERING, "the gateway is recovering: %s",
                           zs_proto_reason (self->reply));
            break;
        }
        else if (id == ZS_PROTO_FAILED) {
            rc = s_failure_reply (self);
            break;
        }
    }
    //  Before the end, tell the gateway to let the put go; after it, the
    //  outcome is the gateway's to decide, and a cancel would only race it
    if (rc && !self->refused && !end_sent)
        s_cancel (self, request);
    zframe_destroy (&next);
    free (buffer);
    return rc;
}

//  Whether a failed attempt may be made again: the gateway did not answer
//  (it may be restarting), lost the put in a restart, or is still recovering;
//  there is time left, and the caller's file can be rewound. Waits the
//  back-off before saying yes.
static bool
s_retry (zs_client_t *self, int64_t *deadline, int64_t *backoff)
{
    bool again = self->status == ZS_STATUS_TIMEOUT || self->status == ZS_STATUS_GONE
                 || self->status == ZS_STATUS_RECOVERING;
    if (self->refused || !again || zsys_interrupted)
        return false;
    int64_t now = zclock_mono ();
    if (*deadline == 0)
        *deadline = now + self->timeout;
    if (now + *backoff >= *deadline)
        return false;
    zclock_sleep ((int) *backoff);
    *backoff = *backoff * 2 > RETRY_MAX ? RETRY_MAX : *backoff * 2;
    s_connect (self);
    return true;
}

int
zs_client_put (zs_client_t *self, const char *name, int fd, uint8_t replicas, uint64_t *version,
               uint8_t *copies)
{
    assert (self);
    if (s_check_name (self, name))
        return -1;
    //  The same content under the same name may go again: from a file that
    //  can be read again from where it began
    off_t start = lseek (fd, 0, SEEK_CUR);
    int64_t deadline = 0, backoff = RETRY_PAUSE;
    while (true) {
        int rc = s_put_once (self, name, fd, replicas, version, copies);
        if (rc == 0 || start < 0 || !s_retry (self, &deadline, &backoff)
            || lseek (fd, start, SEEK_SET) != start)
            return rc;
        s_begin (self);
    }
}

//  Asks for the chunks of a get up to limit
static int
s_send_credit (zs_client_t *self, uint64_t request, uint32_t limit)
{
    zs_proto_reset (self->request);
    zs_proto_set_id (self->request, ZS_PROTO_GET_CREDIT);
    zs_proto_set_request (self->request, request);
    zs_proto_set_limit (self->request, limit);
    return s_send (self);
}

//  Takes the chunk in self->reply; 0, or -1 with the reason. Credit goes
//  only for chunks that exist: a file within the first window (every small
//  one) needs none.
static int
s_take_chunk (zs_client_t *self, zs_receipt_t *receipt)
{
    if (zs_proto_id (self->reply) == ZS_PROTO_FAILED)
        return s_failure_reply (self);
    uint32_t seq = zs_proto_seq (self->reply);
    if (zs_proto_id (self->reply) != ZS_PROTO_GET_CHUNK)
        return s_failed (self, ZS_STATUS_INTERNAL, "unexpected %s from the gateway",
                         zs_proto_command (self->reply));
    zframe_t *data = zs_proto_data (self->reply);
    int status = zs_receipt_chunk (receipt, seq, zframe_data (data), zframe_size (data),
                                   zs_proto_crc (self->reply));
    if (status)
        return s_failed (self, status, "%s", zs_receipt_error (receipt));
    if (seq + ZS_WINDOW < zs_receipt_chunks (receipt)
        && s_send_credit (self, zs_proto_request (self->reply), seq + 1 + ZS_WINDOW))
        return -1;
    return 0;
}

//  Every chunk came: checks the content against its checksum
static int
s_finish_receipt (zs_client_t *self, zs_receipt_t *receipt)
{
    int status = zs_receipt_finish (receipt);
    return status ? s_failed (self, status, "%s", zs_receipt_error (receipt)) : 0;
}

//  Receives a file's chunks after GET_BEGIN, writing them to fd. Returns 0,
//  or -1; *written tells how many bytes reached fd.
static int
s_receive (zs_client_t *self, uint64_t request, int fd, uint64_t *written)
{
    zs_receipt_t *receipt =
        zs_receipt_new (zs_proto_size (self->reply), zs_proto_checksum (self->reply), fd);
    if (!receipt)
        return s_failed (self, ZS_STATUS_INTERNAL, "out of memory");
    int rc = 0;
    while (rc == 0 && zs_receipt_taken (receipt) < zs_receipt_chunks (receipt)) {
        if (s_wait (self, request, zclock_mono () + self->timeout))
            rc = s_unreachable (self);
        else
            rc = s_take_chunk (self, receipt);
    }
    if (rc == 0)
        rc = s_finish_receipt (self, receipt);
    *written = zs_receipt_written (receipt);
    zs_receipt_destroy (&receipt);
    return rc;
}

//  Whether the output is ready for the get to go again: nothing was written,
//  or it was cut back to where it began. Where it began is found only now,
//  from the written bytes behind the offset, as a get that goes again is
//  rare and every get would otherwise pay two system calls to note it.
static bool
s_output_rewind (int fd, uint64_t written)
{
    if (written == 0)
        return true;
    struct stat file;
    if (fstat (fd, &file) || !S_ISREG (file.st_mode))
        return false;
    off_t end = lseek (fd, 0, SEEK_CUR);
    if (end < 0 || (uint64_t) end < written)
        return false;
    off_t start = end - (off_t) written;
    return ftruncate (fd, start) == 0 && lseek (fd, start, SEEK_SET) == start;
}

int
zs_client_get (zs_client_t *self, const char *name, int fd, zs_fileinfo_t **info)
{
    assert (self);
    if (s_check_name (self, name))
        return -1;
    int64_t deadline = 0, backoff = RETRY_PAUSE;
    while (true) {
        s_file_request (self, ZS_PROTO_GET, name);
        if (s_call (self, true, false))
            return -1;
        if (zs_proto_id (self->reply) == ZS_PROTO_FAILED)
            return s_failure_reply (self);
        if (zs_proto_id (self->reply) != ZS_PROTO_GET_BEGIN)
            return s_failed (self, ZS_STATUS_INTERNAL, "unexpected %s from the gateway",
                             zs_proto_command (self->reply));
        if (info) {
            *info = zs_fileinfo_new ();
            free ((*info)->name);
            (*info)->name = strdup (name);
            (*info)->version = zs_proto_version (self->reply);
            (*info)->size = zs_proto_size (self->reply);
            memcpy ((*info)->checksum, zs_proto_checksum (self->reply), ZS_CHECKSUM_SIZE);
        }
        uint64_t request = zs_proto_request (self->reply), written = 0;
        if (s_receive (self, request, fd, &written) == 0)
            return 0;
        if (!self->refused)
            s_cancel (self, request);
        if (info)
            zs_fileinfo_destroy (info);
        if (!s_output_rewind (fd, written) || !s_retry (self, &deadline, &backoff))
            return -1;
        s_begin (self);
    }
}

//  --------------------------------------------------------------------------
//  Many gets in flight at once

//  A get of zs_client_get_many, from its request to its end
typedef struct {
    char *name;            //  NULL: the slot is free
    int fd;                //  Where the content goes
    uint64_t request;      //  Its request id
    zs_receipt_t *receipt; //  Once GET_BEGIN came
    uint64_t written;      //  Bytes written to fd when it went to go again
    int64_t deadline;      //  For the next message of it
    bool again;            //  Goes again, alone, through zs_client_get
} flight_t;

typedef struct {
    zs_client_t *client;
    flight_t *flights;
    size_t depth;            //  Flights in all
    size_t waiting;          //  Flights waiting for a reply
    size_t again;            //  Flights to go again alone
    size_t failures;         //  Gets that failed so far
    int status;              //  ZS_STATUS_ of the last that failed
    zs_client_done_fn *done; //  Hears how each ends
    void *arg;               //  For next and done
} many_t;

static void
s_flight_end (many_t *many, flight_t *flight, int rc)
{
    if (rc) {
        many->failures++;
        many->status = many->client->status;
    }
    else
        s_begin (many->client);
    many->done (many->arg, flight->name, flight->fd, rc);
    zstr_free (&flight->name);
    zs_receipt_destroy (&flight->receipt);
}

//  The flight stops waiting: it ends with rc, or goes again alone
static void
s_flight_land (many_t *many, flight_t *flight, int rc, bool again)
{
    many->waiting--;
    if (again) {
        flight->again = true;
        flight->written = flight->receipt ? zs_receipt_written (flight->receipt) : 0;
        zs_receipt_destroy (&flight->receipt);
        many->again++;
    }
    else
        s_flight_end (many, flight, rc);
}

static void
s_flight_start (many_t *many, flight_t *flight, const char *name, int fd)
{
    zs_client_t *self = many->client;
    memset (flight, 0, sizeof (flight_t));
    flight->fd = fd;
    flight->name = strdup (name);
    if (!flight->name) {
        many->failures++;
        many->status = ZS_STATUS_INTERNAL;
        s_failed (self, ZS_STATUS_INTERNAL, "out of memory");
        many->done (many->arg, name, fd, -1);
        return;
    }
    if (s_check_name (self, name)) {
        s_flight_end (many, flight, -1);
        return;
    }
    flight->request = ++self->next_id;
    s_file_request (self, ZS_PROTO_GET, name);
    zs_proto_set_request (self->request, flight->request);
    if (many->waiting ? s_send (self) : s_send_first (self)) {
        s_flight_end (many, flight, -1);
        return;
    }
    flight->deadline = zclock_mono () + self->timeout;
    many->waiting++;
}

//  Takes self->reply for the flight it answers
static void
s_flight_reply (many_t *many)
{
    zs_client_t *self = many->client;
    flight_t *flight = NULL;
    for (size_t index = 0; index < many->depth && !flight; index++)
        if (many->flights[index].name && !many->flights[index].again
            && many->flights[index].request == zs_proto_request (self->reply))
            flight = &many->flights[index];
    if (!flight)
        return; //  Of a get given up on
    flight->deadline = zclock_mono () + self->timeout;
    int id = zs_proto_id (self->reply);
    int rc = 0;
    if (id == ZS_PROTO_FAILED && zs_proto_status (self->reply) == ZS_STATUS_RECOVERING)
        s_flight_land (many, flight, -1, true);
    else if (!flight->receipt && id == ZS_PROTO_FAILED)
        s_flight_land (many, flight, s_failure_reply (self), false);
    else if (!flight->receipt && id != ZS_PROTO_GET_BEGIN) {
        rc = s_failed (self, ZS_STATUS_INTERNAL, "unexpected %s from the gateway",
                       zs_proto_command (self->reply));
        s_flight_land (many, flight, rc, false);
    }
    else if (!flight->receipt) {
        flight->receipt = zs_receipt_new (zs_proto_size (self->reply),
                                          zs_proto_checksum (self->reply), flight->fd);
        if (!flight->receipt)
            s_flight_land (many, flight, s_failed (self, ZS_STATUS_INTERNAL, "out of memory"),
                           false);
        else if (zs_receipt_chunks (flight->receipt) == 0)
            s_flight_land (many, flight, s_finish_receipt (self, flight->receipt), false);
    }
    else if (s_take_chunk (self, flight->receipt)) {
        if (!self->refused)
            s_cancel (self, flight->request);
        s_flight_land (many, flight, -1, false);
    }
    else if (zs_receipt_taken (flight->receipt) == zs_receipt_chunks (flight->receipt))
        s_flight_land (many, flight, s_finish_receipt (self, flight->receipt), false);
}

//  No reply came in time, or the connection broke. As zs_client_get would,
//  a broken connection sends its gets again, and so does a silence in the
//  middle of a file; a get that had no answer at all in time ends.
static void
s_flight_silence (many_t *many)
{
    zs_client_t *self = many->client;
    bool broken = self->lost && !self->refusal && !zsys_interrupted;
    int64_t now = zclock_mono ();
    for (size_t index = 0; index < many->depth; index++) {
        flight_t *flight = &many->flights[index];
        if (!flight->name || flight->again)
            continue;
        bool stalled =
            flight->receipt && now >= flight->deadline && !self->refusal && !zsys_interrupted;
        if (stalled)
            s_cancel (self, flight->request);
        if (broken || stalled)
            s_flight_land (many, flight, -1, true);
        else if (self->refusal || zsys_interrupted || now >= flight->deadline) {
            if (!self->refusal)
                s_cancel (self, flight->request);
            s_flight_land (many, flight, s_unreachable (self), false);
        }
    }
}

//  Gets that cannot go on with the others go again one at a time, once the
//  others have ended
static void
s_flights_again (many_t *many)
{
    zs_client_t *self = many->client;
    for (size_t index = 0; index < many->depth; index++) {
        flight_t *flight = &many->flights[index];
        if (!flight->again)
            continue;
        int rc = s_output_rewind (flight->fd, flight->written)
                     ? zs_client_get (self, flight->name, flight->fd, NULL)
                     : s_failed (self, ZS_STATUS_INTERNAL,
                                 "the get broke off after part of the output was written, "
                                 "and the output cannot be cut back");
        flight->again = false;
        s_flight_end (many, flight, rc);
    }
    many->again = 0;
}

int
zs_client_get_many (zs_client_t *self, size_t depth, zs_client_next_fn *next,
                    zs_client_done_fn *done, void *arg)
{
    assert (self && depth > 0 && next && done);
    s_begin (self);
    many_t many = { .client = self,
                    .flights = (flight_t *) calloc (depth, sizeof (flight_t)),
                    .depth = depth,
                    .done = done,
                    .arg = arg };
    if (!many.flights)
        return s_failed (self, ZS_STATUS_INTERNAL, "out of memory");
    bool more = true;
    while (more || many.waiting || many.again) {
        //  While some must go again alone, no new one starts
        for (size_t index = 0; more && !many.again && index < depth; index++) {
            if (many.flights[index].name)
                continue;
            const char *name;
            int fd;
            more = !zsys_interrupted && next (arg, &name, &fd);
            if (more)
                s_flight_start (&many, &many.flights[index], name, fd);
        }
        if (many.waiting == 0) {
            s_flights_again (&many);
            continue;
        }
        int64_t until = INT64_MAX;
        for (size_t index = 0; index < depth; index++)
            if (many.flights[index].name && !many.flights[index].again
                && many.flights[index].deadline < until)
                until = many.flights[index].deadline;
        if (s_next_reply (self, until) == 0)
            s_flight_reply (&many);
        else
            s_flight_silence (&many);
    }
    free (many.flights);
    if (more && zsys_interrupted)
        return s_failed (self, ZS_STATUS_TIMEOUT, "interrupted");
    if (many.failures)
        return s_failed (self, many.status, "%zu of the gets failed", many.failures);
    return 0;
}

zs_fileinfo_t *
zs_client_stat (zs_client_t *self, const char *name)
{
    assert (self);
    if (s_check_name (self, name))
        return NULL;
    s_file_request (self, ZS_PROTO_STAT, name);
    if (s_call (self, true, true))
        return NULL;
    if (zs_proto_id (self->reply) == ZS_PROTO_FAILED) {
        s_failure_reply (self);
        return NULL;
    }
    zs_fileinfo_t *entry = (zs_fileinfo_t *) zlistx_first (zs_proto_entries (self->reply));
    if (zs_proto_id (self->reply) != ZS_PROTO_STAT_OK || !entry) {
        s_failed (self, ZS_STATUS_INTERNAL, "unexpected answer from the gateway");
        return NULL;
    }
    return zs_fileinfo_dup (entry);
}

static void
s_fileinfo_destructor (void **item)
{
    zs_fileinfo_destroy ((zs_fileinfo_t **) item);
}

zlistx_t *
zs_client_list (zs_client_t *self)
{
    assert (self);
    s_begin (self);
    zlistx_t *files = zlistx_new ();
    zlistx_set_destructor (files, s_fileinfo_destructor);
    char *cursor = strdup ("");
    bool more = true;
    while (more) {
        zs_proto_reset (self->request);
        zs_proto_set_id (self->request, ZS_PROTO_LIST);
        zs_proto_set_user (self->request, self->user);
        zs_proto_set_name (self->request, cursor);
        if (s_call (self, true, true)) {
            zlistx_destroy (&files);
            break;
        }
        if (zs_proto_id (self->reply) != ZS_PROTO_LIST_OK) {
            s_failure_reply (self);
            zlistx_destroy (&files);
            break;
        }
        zlistx_t *entries = zs_proto_entries (self->reply);
        const zs_fileinfo_t *entry = (const zs_fileinfo_t *) zlistx_first (entries);
        for (; entry; entry = (const zs_fileinfo_t *) zlistx_next (entries))
            zlistx_add_end (files, zs_fileinfo_dup (entry));
        free (cursor);
        cursor = strdup (zs_proto_name (self->reply));
        more = zs_proto_more (self->reply) && *cursor;
    }
    free (cursor);
    return files;
}

int
zs_client_remove (zs_client_t *self, const char *name)
{
    assert (self);
    if (s_check_name (self, name))
        return -1;
    s_file_request (self, ZS_PROTO_REMOVE, name);
    if (s_call (self, false, true))
        return -1;
    if (zs_proto_id (self->reply) != ZS_PROTO_REMOVE_OK)
        return s_failure_reply (self);
    return 0;
}

int
zs_client_set_replicas (zs_client_t *self, const char *name, uint8_t replicas, uint8_t *copies)
{
    assert (self);
    if (s_check_name (self, name))
        return -1;
    s_file_request (self, ZS_PROTO_REPLICAS, name);
    zs_proto_set_replicas (self->request, replicas);
    if (s_call (self, false, true))
        return -1;
    if (zs_proto_id (self->reply) != ZS_PROTO_REPLICAS_OK)
        return s_failure_reply (self);
    if (copies)
        *copies = zs_proto_copies (self->reply);
    return 0;
}

int
zs_client_admin (zs_client_t *self, const char *command, const char *bucket, char **answer)
{
    assert (self);
    s_begin (self);
    zs_proto_reset (self->request);
    zs_proto_set_id (self->request, ZS_PROTO_ADMIN);
    zs_proto_set_kind (self->request, command);
    zs_proto_set_bucket (self->request, bucket ? bucket : "");
    if (s_call (self, false, true))
        return -1;
    if (zs_proto_id (self->reply) != ZS_PROTO_ADMIN_OK)
        return s_failure_reply (self);
    if (answer)
        *answer = strdup (zs_proto_reason (self->reply));
    return 0;
}

zs_proto_t *
zs_client_status (zs_client_t *self)
{
    assert (self);
    s_begin (self);
    zs_proto_reset (self->request);
    zs_proto_set_id (self->request, ZS_PROTO_STATUS);
    if (s_call (self, true, true))
        return NULL;
    if (zs_proto_id (self->reply) != ZS_PROTO_STATUS_OK) {
        s_failure_reply (self);
        return NULL;
    }
    //  Hand the reply over and keep a fresh one
    zs_proto_t *status = self->reply;
    self->reply = zs_proto_new ();
    return status;
}
