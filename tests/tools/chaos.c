/*  zs-chaos - a workload that checks the store keeps its word under faults

    usage: zs-chaos [-g ENDPOINT] [-u USER] [--clients N] [--seconds S]
                    [--names K] [--replicas R] [--timeout SEC] [--settle SEC]
                    [--patience SEC] [--progress FILE] [--trace FILE] [--seed N]

    Several clients, each a thread with its own zs_client, put (new or
    overwrite), get and remove files of mixed sizes for a fixed time. Each
    client owns its names, so that every name's history is sequential and
    what it may hold is well defined: the state after its last acknowledged
    change (a content, removed, or never written), plus the puts and
    removals issued since whose outcome is unknown (no answer, or a failure
    after which either outcome is possible). A content is made from its name
    and write number, and its BLAKE2b-256 identifies it.

    During the run, every read is checked: a content must be one that may be
    there, "no file" only when the name may be absent. At the end it waits
    up to --settle seconds for the gateway to report no under-replicated
    file, then lists and reads every name and checks them the same way.
    A failure that proves nothing (a timeout, no live holder) is counted,
    never called an anomaly. Prints the operations, their outcomes and every
    anomaly, one line each; exits 0 only when there was none.

    A failed put or removal changed nothing only when the gateway refused
    it (a status saying so), in what was certainly a single attempt: the
    library sends a request again after a timeout or to a restarted
    gateway, and an earlier attempt may have done the work. So it must have
    taken less than the timeout, and a thread watching the gateway's status
    must have seen the same gateway (its start, from its uptime) before the
    operation and after it. Any other failure leaves the outcome unknown.

    An operation still waiting after --patience seconds (default: the
    timeout) is woken with a signal, which the library takes as no answer:
    it sends a put or get again on a fresh connection, and gives up a
    removal as of unknown outcome. A gateway restarted under a request
    never answers it, and the library may wait longer than its timeout for
    some answers (two minutes for a removal's); the summary counts the
    operations woken.

    --progress FILE is rewritten every 100 ms (atomically) with the count of
    operations done, then the phase (load, drain, settle, verify, done), one
    a line, so that a fault injector can pace itself on the work done.
    --trace FILE logs every operation with its outcome and duration.
*/

#include "zs_client.h"
#include "zs_fs.h"
#include "zs_parse.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <sys/mman.h>

#define BLOCK_SIZE     65536 //  Bytes generated, written or hashed at a time
#define PROGRESS_TICK  100   //  ms between progress updates
#define HEADER_MIN     64    //  Contents this long start with a line naming them
#define WATCH_INTERVAL 200   //  ms between looks at the gateway's status
#define WATCH_TIMEOUT  1000  //  ms the watcher waits for a status
#define WATCH_WAIT     3000  //  ms a failed operation waits for a look after it

//  Sizes of the contents written
static const uint64_t s_sizes[] = { 0, 1, 4096, 102400, (1 << 20) + 17, 3 << 20 };
#define SIZE_COUNT (sizeof (s_sizes) / sizeof (s_sizes[0]))

typedef enum { OP_PUT, OP_GET, OP_REMOVE, OP_KINDS } op_kind_t;
static const char *s_op_names[] = { "put", "get", "rm" };

//  How an operation ended
typedef enum {
    DONE_OK,      //  Acknowledged (or read)
    DONE_ABSENT,  //  "no file"
    DONE_FAILED,  //  Failed, certainly without effect (or a read that failed)
    DONE_UNKNOWN, //  Failed, and may or may not have taken effect
    DONE_KINDS
} done_t;

//  What became of a write
typedef enum { WRITE_PENDING, WRITE_ACKED, WRITE_REFUSED, WRITE_UNKNOWN } write_state_t;

//  One content written to a name
typedef struct {
    byte checksum[ZS_CHECKSUM_SIZE];
    uint64_t size;
    uint32_t write;      //  Its write number, from 1
    write_state_t state; //  What became of the put
    int status;          //  ZS_STATUS_ of a put that failed
    bool possible;       //  An unknown put since the last acknowledged change
    uint64_t version;    //  Version, when acknowledged
} content_t;

//  What a name may hold after its last acknowledged change
typedef enum { NAME_ABSENT, NAME_REMOVED, NAME_CONTENT } name_state_t;

typedef struct {
    char name[48];
    content_t *contents; //  Every content written, in order
    size_t content_count;
    size_t content_max;
    name_state_t state; //  After the last acknowledged change
    size_t current;     //  The content, when NAME_CONTENT
    bool maybe_removed; //  A removal of unknown outcome since
} name_t;

typedef struct _chaos_t chaos_t;

//  Which gateway answers: a restarted gateway has a later start (its uptime
//  counted back from when status answered). The library may send a request
//  again to a restarted gateway, so a failure says that nothing happened
//  only when one gateway was there before the operation and after it.
typedef struct {
    pthread_mutex_t lock;
    bool seen;         //  A status has answered
    int64_t start;     //  The gateway's start, monotonic ms (approximately)
    int64_t sent;      //  When the last status that answered was asked
    uint64_t restarts; //  Other starts seen since the first
    int stop;          //  The watcher may stop
    pthread_t thread;  //  The watcher
    bool started;      //  The thread runs
} gateway_watch_t;

//  One client: a thread, its names, its own zs_client
typedef struct {
    chaos_t *chaos;
    int index;
    pthread_t thread;
    bool started;
    name_t *names;
    size_t name_count;
    uint64_t random; //  Generator state
    int put_fd;      //  Content to put (seekable, so the library may send it again)
    int get_fd;      //  Content read
    byte *block;     //  BLOCK_SIZE bytes of work space
    uint64_t counts[OP_KINDS][DONE_KINDS];
    uint64_t operations; //  Done so far (read by the progress writer)
    int finished;        //  The thread is done (read by the main thread)
    int64_t longest;     //  Longest operation, ms
    char longest_what[64];
    uint64_t slow;      //  Operations that took longer than the timeout
    int64_t op_started; //  When the operation under way began, 0 between them
    int64_t woken_at;   //  When the main thread last woke it
    uint64_t wakes;     //  Times the main thread woke it
} client_t;

struct _chaos_t {
    const char *endpoint;
    char *user;
    int clients;
    int seconds;
    int names;
    int replicas;
    int64_t timeout;  //  ms
    int64_t patience; //  ms an operation may wait before it is woken, 0: forever
    int settle;       //  s
    const char *progress;
    const char *trace_path;
    uint64_t seed;
    int64_t started;         //  Monotonic ms at the start of the load
    FILE *trace;             //  Every operation, or NULL
    pthread_mutex_t lock;    //  Guards anomalies
    zlistx_t *anomalies;     //  One line each
    int stop;                //  The load is over: start no more operations
    int broken;              //  A local failure: the run proves nothing
    client_t *workers;       //  clients of them
    const char *phase;       //  For the progress file
    double settled_after;    //  s until under_replicated was 0, or -1
    uint64_t final_present;  //  Names read at the end with a content
    uint64_t final_absent;   //  ... without
    uint64_t final_failures; //  Reads at the end that never answered
    gateway_watch_t watch;   //  Which gateway answers
};

//  Signals that reached this thread: an operation during which it changed
//  may have been woken
static __thread volatile sig_atomic_t s_signals;

static uint64_t
s_next_random (uint64_t *state)
{
    //  splitmix64
    uint64_t value = (*state += 0x9E3779B97F4A7C15ULL);
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
    return value ^ (value >> 31);
}

static double
s_elapsed (chaos_t *chaos)
{
    return (double) (zclock_mono () - chaos->started) / 1000.0;
}

static void s_trace (chaos_t *chaos, const char *format, ...) CHECK_PRINTF (2);

static void
s_trace (chaos_t *chaos, const char *format, ...)
{
    if (!chaos->trace)
        return;
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    fprintf (chaos->trace, "%9.3f %s\n", s_elapsed (chaos), text);
    free (text);
}

static void s_anomaly (chaos_t *chaos, const char *format, ...) CHECK_PRINTF (2);

static void
s_anomaly (chaos_t *chaos, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    s_trace (chaos, "ANOMALY %s", text);
    fprintf (stderr, "zs-chaos: %.3f s: anomaly: %s\n", s_elapsed (chaos), text);
    pthread_mutex_lock (&chaos->lock);
    zlistx_add_end (chaos->anomalies, text);
    pthread_mutex_unlock (&chaos->lock);
}

static void
s_free_text (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_hex (const byte *checksum, char *text)
{
    zs_client_checksum_hex (checksum, text);
    text[16] = 0; //  Enough to tell contents apart in a message
}

//  --------------------------------------------------------------------------
//  Contents

//  Writes the content of a name's write into the client's put descriptor,
//  from its start, and gives its checksum. The content is a line naming
//  them (when it is long enough), then bytes from a generator seeded by
//  both, so that any byte read tells which write it came from.
static int
s_make_content (client_t *self, const char *name, content_t *content)
{
    if (ftruncate (self->put_fd, 0) || lseek (self->put_fd, 0, SEEK_SET) != 0)
        return -1;
    char seed_text[64];
    int seed_size = snprintf (seed_text, sizeof (seed_text), "%s\n%u", name, content->write);
    uint64_t state;
    crypto_generichash ((byte *) &state, sizeof (state), (const byte *) seed_text,
                        (size_t) seed_size, NULL, 0);
    crypto_generichash_state hash;
    crypto_generichash_init (&hash, NULL, 0, ZS_CHECKSUM_SIZE);
    uint64_t done = 0;
    while (done < content->size) {
        size_t count =
            content->size - done < BLOCK_SIZE ? (size_t) (content->size - done) : BLOCK_SIZE;
        for (size_t offset = 0; offset < count; offset += 8) {
            uint64_t value = s_next_random (&state);
            memcpy (self->block + offset, &value, count - offset < 8 ? count - offset : 8);
        }
        if (done == 0 && content->size >= HEADER_MIN) {
            char header[HEADER_MIN];
            int size =
                snprintf (header, sizeof (header), "zs-chaos %s write %u\n", name, content->write);
            memcpy (self->block, header, (size_t) size);
        }
        crypto_generichash_update (&hash, self->block, count);
        if (zs_fs_pwrite_all (self->put_fd, self->block, count, (long long) done))
            return -1;
        done += count;
    }
    crypto_generichash_final (&hash, content->checksum, ZS_CHECKSUM_SIZE);
    return lseek (self->put_fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

//  Hashes what the get descriptor holds
static int
s_hash_read (client_t *self, byte *checksum, uint64_t *size)
{
    if (lseek (self->get_fd, 0, SEEK_SET) != 0)
        return -1;
    crypto_generichash_state hash;
    crypto_generichash_init (&hash, NULL, 0, ZS_CHECKSUM_SIZE);
    *size = 0;
    while (true) {
        ssize_t count = read (self->get_fd, self->block, BLOCK_SIZE);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            return -1;
        if (count == 0)
            break;
        crypto_generichash_update (&hash, self->block, (size_t) count);
        *size += (uint64_t) count;
    }
    crypto_generichash_final (&hash, checksum, ZS_CHECKSUM_SIZE);
    return 0;
}

//  --------------------------------------------------------------------------
//  What a name may hold

static size_t
s_content_new (name_t *name, uint64_t size)
{
    if (name->content_count == name->content_max) {
        name->content_max = name->content_max ? name->content_max * 2 : 16;
        name->contents =
            (content_t *) realloc (name->contents, name->content_max * sizeof (content_t));
        assert (name->contents);
    }
    content_t *content = &name->contents[name->content_count];
    memset (content, 0, sizeof (*content));
    content->size = size;
    content->write = (uint32_t) name->content_count + 1;
    return name->content_count++;
}

static bool
s_same (const content_t *content, const byte *checksum, uint64_t size)
{
    return content->size == size && memcmp (content->checksum, checksum, ZS_CHECKSUM_SIZE) == 0;
}

//  An acknowledged change: what it set is all the name may hold now
static void
s_settle_name (name_t *name, name_state_t state, size_t current)
{
    for (size_t index = 0; index < name->content_count; index++)
        name->contents[index].possible = false;
    name->maybe_removed = false;
    name->state = state;
    name->current = current;
}

//  Says what the name may hold, for messages
static void
s_describe_allowed (name_t *name, char *text, size_t size)
{
    size_t used = 0;
    if (name->state == NAME_CONTENT) {
        content_t *content = &name->contents[name->current];
        used = (size_t) snprintf (text, size, "write %u (%" PRIu64 " bytes, version %" PRIu64 ")",
                                  content->write, content->size, content->version);
    }
    else
        used = (size_t) snprintf (text, size, "%s",
                                  name->state == NAME_REMOVED ? "removed" : "never written");
    for (size_t index = 0; index < name->content_count && used < size; index++)
        if (name->contents[index].possible)
            used += (size_t) snprintf (text + used, size - used, " or write %u (unknown outcome)",
                                       name->contents[index].write);
    if (name->maybe_removed && used < size)
        snprintf (text + used, size - used, " or removed (unknown outcome)");
}

static const char *
s_write_story (const content_t *content)
{
    switch (content->state) {
        case WRITE_ACKED: return "acknowledged, since superseded";
        case WRITE_REFUSED: return "its put failed";
        case WRITE_UNKNOWN: return "outcome unknown, since superseded";
        default: return "not yet sent";
    }
}

//  Checks a content read from a name; false (an anomaly, described in why)
//  when the name may not hold it
static bool
s_check_content (name_t *name, const byte *checksum, uint64_t size, char *why, size_t why_size)
{
    if (name->state == NAME_CONTENT && s_same (&name->contents[name->current], checksum, size))
        return true;
    content_t *match = NULL;
    for (size_t index = 0; index < name->content_count; index++) {
        content_t *content = &name->contents[index];
        if (content->possible && s_same (content, checksum, size))
            return true;
        if (s_same (content, checksum, size))
            match = content;
    }
    char allowed[512], hex[2 * ZS_CHECKSUM_SIZE + 1];
    s_describe_allowed (name, allowed, sizeof (allowed));
    s_hex (checksum, hex);
    if (!match)
        snprintf (why, why_size,
                  "bytes never written to it (%" PRIu64 " bytes, blake2b %s...); allowed: %s", size,
                  hex, allowed);
    else if (match->state == WRITE_REFUSED)
        snprintf (why, why_size,
                  "the content of write %u, whose put failed with status %d; allowed: %s",
                  match->write, match->status, allowed);
    else
        snprintf (why, why_size, "the content of write %u (%s); allowed: %s", match->write,
                  s_write_story (match), allowed);
    return false;
}

//  Checks a "no file" answer; false (an anomaly, described in why) when the
//  name must hold a content
static bool
s_check_absent (name_t *name, char *why, size_t why_size)
{
    if (name->state != NAME_CONTENT || name->maybe_removed)
        return true;
    char allowed[512];
    s_describe_allowed (name, allowed, sizeof (allowed));
    snprintf (why, why_size, "no file; allowed: %s", allowed);
    return false;
}

//  --------------------------------------------------------------------------
//  The gateway's restarts

static void *
s_watch_run (void *arg)
{
    chaos_t *chaos = (chaos_t *) arg;
    gateway_watch_t *watch = &chaos->watch;
    zs_client_t *client = zs_client_new (chaos->endpoint, chaos->user);
    if (client)
        zs_client_set_timeout (client, WATCH_TIMEOUT);
    while (client && !__atomic_load_n (&watch->stop, __ATOMIC_SEQ_CST) && !zsys_interrupted) {
        int64_t sent = zclock_mono ();
        zs_proto_t *status = zs_client_status (client);
        int64_t received = zclock_mono ();
        if (status) {
            int64_t start = received - (int64_t) zs_proto_uptime (status);
            //  The count back is off by at most the round trip; a restart
            //  moves the start by the life of the gateway before
            int64_t slack = 1000 + (received - sent);
            pthread_mutex_lock (&watch->lock);
            bool other = watch->seen && llabs (start - watch->start) > slack;
            if (other)
                watch->restarts++;
            if (!watch->seen || other)
                watch->start = start;
            watch->seen = true;
            watch->sent = sent;
            pthread_mutex_unlock (&watch->lock);
            if (other)
                s_trace (chaos, "the gateway restarted (up for %" PRIu64 " ms)",
                         zs_proto_uptime (status));
            zs_proto_destroy (&status);
        }
        zclock_sleep (WATCH_INTERVAL);
    }
    zs_client_destroy (&client);
    return NULL;
}

//  The start of the gateway last seen, -1 when none was
static int64_t
s_gateway_before (chaos_t *chaos)
{
    gateway_watch_t *watch = &chaos->watch;
    pthread_mutex_lock (&watch->lock);
    int64_t start = watch->seen ? watch->start : -1;
    pthread_mutex_unlock (&watch->lock);
    return start;
}

//  Whether the gateway seen before an operation that ended at end is still
//  the one: waits for status to be asked after the end. False when unsure.
static bool
s_same_gateway (chaos_t *chaos, int64_t before, int64_t end)
{
    gateway_watch_t *watch = &chaos->watch;
    int64_t deadline = zclock_mono () + WATCH_WAIT;
    while (before >= 0 && !zsys_interrupted) {
        pthread_mutex_lock (&watch->lock);
        bool looked = watch->sent >= end;
        int64_t start = watch->start;
        pthread_mutex_unlock (&watch->lock);
        if (looked)
            return start == before;
        if (zclock_mono () >= deadline)
            break;
        zclock_sleep (20);
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Operations

static void
s_timed (client_t *self, op_kind_t kind, name_t *name, int64_t elapsed)
{
    if (elapsed > self->longest) {
        self->longest = elapsed;
        snprintf (self->longest_what, sizeof (self->longest_what), "%s %s", s_op_names[kind],
                  name->name);
    }
    if (elapsed > self->chaos->timeout)
        self->slow++;
}

//  Whether a failed put certainly changed nothing: the gateway refused it,
//  and in its one attempt. The library tries a put again after waiting the
//  whole timeout for an answer, when woken, or when a restarted gateway
//  does not know it, and an earlier attempt may have stored the file; a
//  timeout itself says nothing of what happened.
static bool
s_put_refused (int status, int64_t elapsed, int64_t timeout, bool woken, bool same_gateway)
{
    if (elapsed >= timeout || woken || !same_gateway)
        return false;
    switch (status) {
        case ZS_STATUS_BAD_REQUEST:
        case ZS_STATUS_CONFLICT:
        case ZS_STATUS_TOO_LARGE:
        case ZS_STATUS_CORRUPT:
        case ZS_STATUS_INTERNAL:
        case ZS_STATUS_UNAVAILABLE:
        case ZS_STATUS_RECOVERING:
        case ZS_STATUS_NO_SPACE: return true;
        default: return false;
    }
}

//  Whether a failed removal certainly changed nothing. Not when the gateway
//  could not record it everywhere (503: the file may be gone for readers
//  all the same), nor on a timeout.
static bool
s_remove_refused (int status)
{
    return status == ZS_STATUS_BAD_REQUEST || status == ZS_STATUS_RECOVERING;
}

//  How a failed removal ended. "No file" tells that the name was absent
//  only when one gateway answered the whole of it (one attempt, or
//  attempts that all found it absent); else the removal may have been
//  done by an earlier attempt, as may one refused.
static done_t
s_remove_failure (chaos_t *chaos, int status, bool woken, int64_t gateway, int64_t end)
{
    if (status != ZS_STATUS_NOT_FOUND && !s_remove_refused (status))
        return DONE_UNKNOWN;
    if (woken || !s_same_gateway (chaos, gateway, end))
        return DONE_UNKNOWN;
    return status == ZS_STATUS_NOT_FOUND ? DONE_ABSENT : DONE_FAILED;
}

static int
s_put (client_t *self, zs_client_t *client, name_t *name)
{
    chaos_t *chaos = self->chaos;
    size_t index = s_content_new (name, s_sizes[s_next_random (&self->random) % SIZE_COUNT]);
    content_t *content = &name->contents[index];
    if (s_make_content (self, name->name, content)) {
        fprintf (stderr, "zs-chaos: cannot write a content: %s\n", strerror (errno));
        return -1;
    }
    char hex[2 * ZS_CHECKSUM_SIZE + 1];
    s_hex (content->checksum, hex);
    int64_t begin = zclock_mono ();
    uint64_t version = 0;
    uint8_t copies = 0;
    sig_atomic_t signals = s_signals;
    int64_t gateway = s_gateway_before (chaos);
    int rc = zs_client_put (client, name->name, self->put_fd, (uint8_t) chaos->replicas, &version,
                            &copies);
    int64_t end = zclock_mono ();
    int64_t elapsed = end - begin;
    bool woken = s_signals != signals;
    s_timed (self, OP_PUT, name, elapsed);
    if (rc == 0) {
        content->state = WRITE_ACKED;
        content->version = version;
        s_settle_name (name, NAME_CONTENT, index);
        self->counts[OP_PUT][DONE_OK]++;
        s_trace (chaos,
                 "c%d put %s write %u (%" PRIu64 " bytes, %s...): ok, version %" PRIu64
                 ", %u copies (%.3f s)",
                 self->index, name->name, content->write, content->size, hex, version, copies,
                 elapsed / 1000.0);
        if (copies != chaos->replicas)
            s_anomaly (chaos, "put %s write %u acknowledged with %u copies, not %d", name->name,
                       content->write, copies, chaos->replicas);
        return 0;
    }
    int status = zs_client_status_code (client);
    bool refused = s_put_refused (status, elapsed, chaos->timeout, woken,
                                  s_same_gateway (chaos, gateway, end));
    if (refused) {
        content->state = WRITE_REFUSED;
        content->status = status;
        self->counts[OP_PUT][DONE_FAILED]++;
    }
    else {
        content->state = WRITE_UNKNOWN;
        content->possible = true;
        self->counts[OP_PUT][DONE_UNKNOWN]++;
    }
    s_trace (chaos, "c%d put %s write %u (%" PRIu64 " bytes, %s...): %s %d: %s (%.3f s%s)",
             self->index, name->name, content->write, content->size, hex,
             refused ? "failed" : "unknown", status, zs_client_error (client), elapsed / 1000.0,
             woken ? ", woken" : "");
    return 0;
}

//  What a read found
typedef struct {
    done_t done;
    byte checksum[ZS_CHECKSUM_SIZE];
    uint64_t size;
    uint64_t version;
    int status;
    char error[256];
} read_t;

static int
s_read (client_t *self, zs_client_t *client, name_t *name, read_t *result)
{
    chaos_t *chaos = self->chaos;
    memset (result, 0, sizeof (*result));
    if (ftruncate (self->get_fd, 0) || lseek (self->get_fd, 0, SEEK_SET) != 0) {
        fprintf (stderr, "zs-chaos: cannot reset the output: %s\n", strerror (errno));
        return -1;
    }
    int64_t begin = zclock_mono ();
    zs_fileinfo_t *info = NULL;
    int rc = zs_client_get (client, name->name, self->get_fd, &info);
    int64_t elapsed = zclock_mono () - begin;
    s_timed (self, OP_GET, name, elapsed);
    if (rc == 0) {
        result->done = DONE_OK;
        result->version = info->version;
        if (s_hash_read (self, result->checksum, &result->size)) {
            fprintf (stderr, "zs-chaos: cannot read the output: %s\n", strerror (errno));
            zs_fileinfo_destroy (&info);
            return -1;
        }
        char hex[2 * ZS_CHECKSUM_SIZE + 1];
        s_hex (result->checksum, hex);
        s_trace (chaos, "c%d get %s: %" PRIu64 " bytes, %s..., version %" PRIu64 " (%.3f s)",
                 self->index, name->name, result->size, hex, result->version, elapsed / 1000.0);
        //  The library checked the content against what the gateway
        //  announced; so does this, with its own hash
        if (result->size != info->size
            || memcmp (result->checksum, info->checksum, ZS_CHECKSUM_SIZE))
            s_anomaly (chaos,
                       "get %s succeeded with %" PRIu64
                       " bytes that do not match the size (%" PRIu64
                       ") or checksum the gateway announced",
                       name->name, result->size, info->size);
        zs_fileinfo_destroy (&info);
        return 0;
    }
    result->status = zs_client_status_code (client);
    snprintf (result->error, sizeof (result->error), "%s", zs_client_error (client));
    result->done = result->status == ZS_STATUS_NOT_FOUND ? DONE_ABSENT : DONE_FAILED;
    s_trace (chaos, "c%d get %s: %s %d: %s (%.3f s)", self->index, name->name,
             result->done == DONE_ABSENT ? "no file" : "failed", result->status, result->error,
             elapsed / 1000.0);
    return 0;
}

//  Checks what a read found; when says what the check was for messages
static void
s_judge_read (chaos_t *chaos, name_t *name, const read_t *result, const char *when)
{
    char why[1024];
    if (result->done == DONE_OK
        && !s_check_content (name, result->checksum, result->size, why, sizeof (why)))
        s_anomaly (chaos, "%s %s (version %" PRIu64 ") returned %s", when, name->name,
                   result->version, why);
    else if (result->done == DONE_ABSENT && !s_check_absent (name, why, sizeof (why)))
        s_anomaly (chaos, "%s %s said %s", when, name->name, why);
}

static int
s_get (client_t *self, zs_client_t *client, name_t *name)
{
    read_t result;
    if (s_read (self, client, name, &result))
        return -1;
    self->counts[OP_GET][result.done]++;
    s_judge_read (self->chaos, name, &result, "get");
    return 0;
}

static void
s_remove (client_t *self, zs_client_t *client, name_t *name)
{
    chaos_t *chaos = self->chaos;
    int64_t begin = zclock_mono ();
    sig_atomic_t signals = s_signals;
    int64_t gateway = s_gateway_before (chaos);
    int rc = zs_client_remove (client, name->name);
    int64_t end = zclock_mono ();
    int64_t elapsed = end - begin;
    bool woken = s_signals != signals;
    s_timed (self, OP_REMOVE, name, elapsed);
    if (rc == 0) {
        s_settle_name (name, NAME_REMOVED, 0);
        self->counts[OP_REMOVE][DONE_OK]++;
        s_trace (chaos, "c%d rm %s: ok (%.3f s)", self->index, name->name, elapsed / 1000.0);
        return;
    }
    int status = zs_client_status_code (client);
    done_t done = s_remove_failure (chaos, status, woken, gateway, end);
    self->counts[OP_REMOVE][done]++;
    s_trace (chaos, "c%d rm %s: %s %d: %s (%.3f s)", self->index, name->name,
             done == DONE_ABSENT   ? "no file"
             : done == DONE_FAILED ? "failed"
                                   : "unknown",
             status, zs_client_error (client), elapsed / 1000.0);
    char why[1024];
    if (done == DONE_ABSENT && !s_check_absent (name, why, sizeof (why)))
        s_anomaly (chaos, "rm %s said %s", name->name, why);
    else if (done == DONE_UNKNOWN)
        name->maybe_removed = true;
}

//  --------------------------------------------------------------------------
//  Clients

static int
s_client_init (client_t *self, chaos_t *chaos, int index, size_t name_count)
{
    self->chaos = chaos;
    self->index = index;
    self->random = chaos->seed ^ ((uint64_t) (index + 1) * 0xD1B54A32D192ED03ULL);
    self->put_fd = memfd_create ("zs-chaos-put", MFD_CLOEXEC);
    self->get_fd = memfd_create ("zs-chaos-get", MFD_CLOEXEC);
    self->block = (byte *) malloc (BLOCK_SIZE);
    self->name_count = name_count;
    self->names = (name_t *) calloc (name_count ? name_count : 1, sizeof (name_t));
    if (self->put_fd < 0 || self->get_fd < 0 || !self->block || !self->names)
        return -1;
    for (size_t name = 0; name < name_count; name++)
        snprintf (self->names[name].name, sizeof (self->names[name].name), "c%d/f%zu", index, name);
    return 0;
}

static void
s_client_free (client_t *self)
{
    if (!self->chaos)
        return; //  Never set up
    for (size_t name = 0; name < self->name_count; name++)
        free (self->names[name].contents);
    free (self->names);
    free (self->block);
    if (self->put_fd >= 0)
        close (self->put_fd);
    if (self->get_fd >= 0)
        close (self->get_fd);
}

static zs_client_t *
s_connect (chaos_t *chaos)
{
    zs_client_t *client = zs_client_new (chaos->endpoint, chaos->user);
    if (client)
        zs_client_set_timeout (client, chaos->timeout);
    return client;
}

static void *
s_client_run (void *arg)
{
    client_t *self = (client_t *) arg;
    chaos_t *chaos = self->chaos;
    zs_client_t *client = s_connect (chaos);
    if (!client)
        __atomic_store_n (&chaos->broken, 1, __ATOMIC_SEQ_CST);
    while (client && !__atomic_load_n (&chaos->stop, __ATOMIC_SEQ_CST) && !zsys_interrupted) {
        name_t *name = &self->names[s_next_random (&self->random) % self->name_count];
        unsigned int dice = (unsigned int) (s_next_random (&self->random) % 100);
        int rc = 0;
        __atomic_store_n (&self->op_started, zclock_mono (), __ATOMIC_SEQ_CST);
        if (dice < 45)
            rc = s_put (self, client, name);
        else if (dice < 80)
            rc = s_get (self, client, name);
        else
            s_remove (self, client, name);
        __atomic_store_n (&self->op_started, 0, __ATOMIC_SEQ_CST);
        if (rc) {
            __atomic_store_n (&chaos->broken, 1, __ATOMIC_SEQ_CST);
            break;
        }
        __atomic_add_fetch (&self->operations, 1, __ATOMIC_SEQ_CST);
    }
    zs_client_destroy (&client);
    __atomic_store_n (&self->finished, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The run

static void
s_write_progress (chaos_t *chaos)
{
    if (!chaos->progress)
        return;
    uint64_t operations = 0;
    for (int index = 0; index < chaos->clients; index++)
        operations += __atomic_load_n (&chaos->workers[index].operations, __ATOMIC_SEQ_CST);
    char temporary[4096];
    snprintf (temporary, sizeof (temporary), "%s.tmp", chaos->progress);
    FILE *file = fopen (temporary, "w");
    if (!file)
        return;
    fprintf (file, "%" PRIu64 "\n%s\n", operations, chaos->phase);
    if (fclose (file) == 0)
        rename (temporary, chaos->progress);
}

static void
s_set_phase (chaos_t *chaos, const char *phase)
{
    chaos->phase = phase;
    s_write_progress (chaos);
    s_trace (chaos, "phase %s", phase);
}

//  A signal that only wakes a thread from its wait, so that it sees the
//  interrupt
static void
s_wake (int signal_number)
{
    (void) signal_number;
    s_signals++;
}

//  Wakes a client whose operation has waited past the patience
static void
s_watch (chaos_t *chaos, client_t *worker)
{
    int64_t started = __atomic_load_n (&worker->op_started, __ATOMIC_SEQ_CST);
    int64_t now = zclock_mono ();
    if (!chaos->patience || !started || now - started < chaos->patience
        || now - worker->woken_at < chaos->patience)
        return;
    worker->woken_at = now;
    worker->wakes++;
    s_trace (chaos, "c%d: woken after %.3f s without an answer", worker->index,
             (double) (now - started) / 1000.0);
    pthread_kill (worker->thread, SIGUSR1);
}

//  Runs the clients for the load time, then waits for each to finish the
//  operation under way; on an interrupt, wakes them so that they stop.
//  Returns false when the run was interrupted or broken.
static bool
s_run (chaos_t *chaos)
{
    int64_t end = chaos->started + (int64_t) chaos->seconds * 1000;
    bool all_finished = false;
    while (!all_finished) {
        zclock_sleep (PROGRESS_TICK);
        bool stopping = zsys_interrupted || __atomic_load_n (&chaos->broken, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n (&chaos->stop, __ATOMIC_SEQ_CST)
            && (zclock_mono () >= end || stopping)) {
            __atomic_store_n (&chaos->stop, 1, __ATOMIC_SEQ_CST);
            chaos->phase = "drain";
            s_trace (chaos, "phase drain");
        }
        all_finished = true;
        for (int index = 0; index < chaos->clients; index++) {
            client_t *worker = &chaos->workers[index];
            if (__atomic_load_n (&worker->finished, __ATOMIC_SEQ_CST))
                continue;
            all_finished = false;
            if (zsys_interrupted)
                pthread_kill (worker->thread, SIGUSR1);
            else
                s_watch (chaos, worker);
        }
        s_write_progress (chaos);
    }
    for (int index = 0; index < chaos->clients; index++)
        if (chaos->workers[index].started)
            pthread_join (chaos->workers[index].thread, NULL);
    return !zsys_interrupted && !chaos->broken;
}

//  Waits for the gateway to report no under-replicated file (and no
//  recovery under way); failing to within --settle seconds is an anomaly
static void
s_settle (chaos_t *chaos, zs_client_t *client)
{
    int64_t begin = zclock_mono ();
    int64_t deadline = begin + (int64_t) chaos->settle * 1000;
    uint64_t under = 0, repairs = 0;
    uint32_t repairing = 0;
    bool recovering = false, answered = false;
    char error[256] = "";
    chaos->settled_after = -1;
    while (!zsys_interrupted) {
        zs_proto_t *status = zs_client_status (client);
        if (status) {
            answered = true;
            under = zs_proto_under_replicated (status);
            recovering = zs_proto_recovering (status);
            repairs = zs_proto_repairs (status);
            repairing = zs_proto_repairing (status);
            zs_proto_destroy (&status);
            if (under == 0 && !recovering) {
                chaos->settled_after = (double) (zclock_mono () - begin) / 1000.0;
                s_trace (chaos, "settled after %.3f s", chaos->settled_after);
                return;
            }
        }
        else
            snprintf (error, sizeof (error), "%s", zs_client_error (client));
        if (zclock_mono () >= deadline)
            break;
        zclock_sleep (200);
    }
    if (!answered)
        s_anomaly (chaos, "the gateway did not answer status within %d s: %s", chaos->settle,
                   error);
    else
        s_anomaly (chaos,
                   "under_replicated is still %" PRIu64 " after %d s (recovering %d, %" PRIu64
                   " repairs waiting, %u under way)",
                   under, chaos->settle, recovering, repairs, repairing);
}

//  The listing at the end must agree with what every name may hold
static void
s_verify_list (chaos_t *chaos, zs_client_t *client, int64_t deadline)
{
    zlistx_t *files = NULL;
    while (!(files = zs_client_list (client)) && !zsys_interrupted && zclock_mono () < deadline)
        zclock_sleep (500);
    if (!files) {
        s_anomaly (chaos, "ls failed at the end: %s", zs_client_error (client));
        return;
    }
    zhashx_t *listed = zhashx_new ();
    for (zs_fileinfo_t *file = (zs_fileinfo_t *) zlistx_first (files); file;
         file = (zs_fileinfo_t *) zlistx_next (files))
        zhashx_insert (listed, file->name, file);
    char why[1024];
    for (int index = 0; index < chaos->clients; index++) {
        client_t *worker = &chaos->workers[index];
        for (size_t slot = 0; slot < worker->name_count; slot++) {
            name_t *name = &worker->names[slot];
            zs_fileinfo_t *file = (zs_fileinfo_t *) zhashx_lookup (listed, name->name);
            if (file && !s_check_content (name, file->checksum, file->size, why, sizeof (why)))
                s_anomaly (chaos, "ls at the end lists %s with %s", name->name, why);
            else if (!file && !s_check_absent (name, why, sizeof (why)))
                s_anomaly (chaos, "ls at the end does not list %s: %s", name->name, why);
            zhashx_delete (listed, name->name);
        }
    }
    for (zs_fileinfo_t *file = (zs_fileinfo_t *) zhashx_first (listed); file;
         file = (zs_fileinfo_t *) zhashx_next (listed))
        s_anomaly (chaos, "ls at the end lists %s, which no client wrote", file->name);
    zhashx_destroy (&listed);
    zlistx_destroy (&files);
}

//  Reads every name at the end, trying again while a read proves nothing
static int
s_verify_reads (chaos_t *chaos, client_t *verifier, zs_client_t *client, int64_t deadline)
{
    for (int index = 0; index < chaos->clients; index++) {
        client_t *worker = &chaos->workers[index];
        for (size_t slot = 0; slot < worker->name_count && !zsys_interrupted; slot++) {
            name_t *name = &worker->names[slot];
            read_t result;
            while (true) {
                if (s_read (verifier, client, name, &result))
                    return -1;
                if (result.done != DONE_FAILED || zsys_interrupted || zclock_mono () >= deadline)
                    break;
                zclock_sleep (500);
            }
            if (result.done == DONE_FAILED) {
                chaos->final_failures++;
                s_anomaly (chaos, "%s cannot be read at the end: %d: %s", name->name, result.status,
                           result.error);
                continue;
            }
            if (result.done == DONE_OK)
                chaos->final_present++;
            else
                chaos->final_absent++;
            s_judge_read (chaos, name, &result, "get at the end of");
        }
    }
    return 0;
}

static void
s_summary (chaos_t *chaos, bool completed)
{
    uint64_t counts[OP_KINDS][DONE_KINDS] = { { 0 } };
    uint64_t total = 0, slow = 0, wakes = 0;
    int64_t longest = 0;
    const char *longest_what = "";
    for (int index = 0; index < chaos->clients; index++) {
        client_t *worker = &chaos->workers[index];
        for (int kind = 0; kind < OP_KINDS; kind++)
            for (int done = 0; done < DONE_KINDS; done++)
                counts[kind][done] += worker->counts[kind][done];
        total += worker->operations;
        slow += worker->slow;
        wakes += worker->wakes;
        if (worker->longest > longest) {
            longest = worker->longest;
            longest_what = worker->longest_what;
        }
    }
    uint64_t puts = 0, gets = 0, removes = 0;
    for (int done = 0; done < DONE_KINDS; done++) {
        puts += counts[OP_PUT][done];
        gets += counts[OP_GET][done];
        removes += counts[OP_REMOVE][done];
    }
    printf ("zs-chaos: user %s, %d clients x %d names, %d s, replicas %d, timeout %" PRId64
            " s, seed %" PRIu64 "\n",
            chaos->user, chaos->clients, chaos->names, chaos->seconds, chaos->replicas,
            chaos->timeout / 1000, chaos->seed);
    printf ("operations: %" PRIu64 "\n", total);
    printf ("  put  %6" PRIu64 ": %" PRIu64 " acknowledged, %" PRIu64 " failed, %" PRIu64
            " indeterminate\n",
            puts, counts[OP_PUT][DONE_OK], counts[OP_PUT][DONE_FAILED],
            counts[OP_PUT][DONE_UNKNOWN]);
    printf ("  get  %6" PRIu64 ": %" PRIu64 " read, %" PRIu64 " no file, %" PRIu64 " failed\n",
            gets, counts[OP_GET][DONE_OK], counts[OP_GET][DONE_ABSENT],
            counts[OP_GET][DONE_FAILED]);
    printf ("  rm   %6" PRIu64 ": %" PRIu64 " acknowledged, %" PRIu64 " no file, %" PRIu64
            " failed, %" PRIu64 " indeterminate\n",
            removes, counts[OP_REMOVE][DONE_OK], counts[OP_REMOVE][DONE_ABSENT],
            counts[OP_REMOVE][DONE_FAILED], counts[OP_REMOVE][DONE_UNKNOWN]);
    printf ("longest operation: %.1f s (%s); %" PRIu64 " took longer than the timeout\n",
            (double) longest / 1000.0, *longest_what ? longest_what : "none", slow);
    printf ("gateway restarts seen: %" PRIu64 "\n", chaos->watch.restarts);
    if (chaos->patience)
        printf ("operations woken after %.0f s without an answer: %" PRIu64 "\n",
                (double) chaos->patience / 1000.0, wakes);
    if (!completed)
        printf ("not checked to the end: %s\n", zsys_interrupted ? "interrupted" : "local failure");
    else {
        if (chaos->settled_after >= 0)
            printf ("under_replicated back to 0 after %.1f s (bound %d s)\n", chaos->settled_after,
                    chaos->settle);
        else
            printf ("under_replicated did not return to 0 within %d s\n", chaos->settle);
        printf ("at the end: %" PRIu64 " names read with content, %" PRIu64 " absent, %" PRIu64
                " unreadable\n",
                chaos->final_present, chaos->final_absent, chaos->final_failures);
    }
    for (char *text = (char *) zlistx_first (chaos->anomalies); text;
         text = (char *) zlistx_next (chaos->anomalies))
        printf ("anomaly: %s\n", text);
    printf ("anomalies: %zu\n", zlistx_size (chaos->anomalies));
    fflush (stdout);
}

static void
s_usage (FILE *stream)
{
    fprintf (stream,
             "usage: zs-chaos [options]\n"
             "\n"
             "Puts, overwrites, reads and removes files from several clients for a fixed\n"
             "time, then checks that every acknowledged operation holds.\n"
             "\n"
             "  -g, --gateway ENDPOINT   the gateway's client endpoint (default\n"
             "                           $ZSTORE_GATEWAY, else tcp://127.0.0.1:5555)\n"
             "  -u, --user USER          whose files (default: chaos-<random>)\n"
             "  --clients N              client threads (default 4)\n"
             "  --seconds S              how long to load the store (default 30)\n"
             "  --names K                names per client (default 8)\n"
             "  --replicas R             copies of each file (default 3)\n"
             "  --timeout SEC            the clients' timeout (default 20)\n"
             "  --settle SEC             bound for under_replicated to return to 0 (default 60)\n"
             "  --patience SEC           wake an operation that waited this long for an answer\n"
             "                           (default: the timeout; 0: never)\n"
             "  --progress FILE          operations done and phase, every 100 ms\n"
             "  --trace FILE             every operation and its outcome\n"
             "  --seed N                 for the random choices (default: random)\n"
             "  -h, --help               this help\n");
}

static int
s_count_option (const char *text, uint64_t min, uint64_t max, int *value, const char *what)
{
    uint64_t number;
    if (zs_parse_count (text, min, max, &number)) {
        fprintf (stderr, "zs-chaos: %s must be %" PRIu64 " to %" PRIu64 "\n", what, min, max);
        return -1;
    }
    *value = (int) number;
    return 0;
}

static int
s_parse (chaos_t *chaos, int argc, char *argv[])
{
    static const struct option options[] = {
        { "gateway", required_argument, NULL, 'g' },  { "user", required_argument, NULL, 'u' },
        { "clients", required_argument, NULL, 'c' },  { "seconds", required_argument, NULL, 's' },
        { "names", required_argument, NULL, 'n' },    { "replicas", required_argument, NULL, 'r' },
        { "timeout", required_argument, NULL, 't' },  { "settle", required_argument, NULL, 'S' },
        { "progress", required_argument, NULL, 'p' }, { "trace", required_argument, NULL, 'T' },
        { "seed", required_argument, NULL, 'x' },     { "patience", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
    };
    int timeout = 20, patience = -1, option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "g:u:h", options, NULL)) != -1) {
        int rc = 0;
        switch (option) {
            case 'g': chaos->endpoint = optarg; break;
            case 'u':
                free (chaos->user);
                chaos->user = strdup (optarg);
                break;
            case 'c': rc = s_count_option (optarg, 1, 64, &chaos->clients, "--clients"); break;
            case 's': rc = s_count_option (optarg, 1, 86400, &chaos->seconds, "--seconds"); break;
            case 'n': rc = s_count_option (optarg, 1, 1000, &chaos->names, "--names"); break;
            case 'r':
                rc = s_count_option (optarg, 1, ZS_REPLICAS_MAX, &chaos->replicas, "--replicas");
                break;
            case 't': rc = s_count_option (optarg, 1, 3600, &timeout, "--timeout"); break;
            case 'S': rc = s_count_option (optarg, 1, 86400, &chaos->settle, "--settle"); break;
            case 'P': rc = s_count_option (optarg, 0, 3600, &patience, "--patience"); break;
            case 'p': chaos->progress = optarg; break;
            case 'T': chaos->trace_path = optarg; break;
            case 'x': {
                uint64_t seed;
                if (zs_parse_count (optarg, 0, UINT64_MAX, &seed) == 0)
                    chaos->seed = seed;
                else {
                    fprintf (stderr, "zs-chaos: --seed must be a number\n");
                    rc = -1;
                }
                break;
            }
            case 'h': s_usage (stdout); exit (0);
            default:
                fprintf (stderr, "zs-chaos: unknown option or missing value '%s'\n",
                         argv[optind - 1]);
                rc = -1;
        }
        if (rc)
            return -1;
    }
    if (optind < argc) {
        fprintf (stderr, "zs-chaos: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    chaos->timeout = (int64_t) timeout * 1000;
    chaos->patience = patience < 0 ? chaos->timeout : (int64_t) patience * 1000;
    return 0;
}

int
main (int argc, char *argv[])
{
    if (sodium_init () < 0)
        return 1;
    chaos_t chaos = { 0 };
    chaos.endpoint = getenv ("ZSTORE_GATEWAY") ? getenv ("ZSTORE_GATEWAY") : "tcp://127.0.0.1:5555";
    chaos.clients = 4;
    chaos.seconds = 30;
    chaos.names = 8;
    chaos.replicas = 3;
    chaos.settle = 60;
    chaos.seed = ((uint64_t) randombytes_random () << 32) | randombytes_random ();
    chaos.user = zsys_sprintf ("chaos-%08x", randombytes_random ());
    if (s_parse (&chaos, argc, argv)) {
        s_usage (stderr);
        free (chaos.user);
        return 2;
    }
    //  czmq catches SIGINT and SIGTERM (zsys_interrupted); SIGUSR1 wakes a
    //  client from its wait so that it sees them
    zsys_init ();
    struct sigaction action;
    memset (&action, 0, sizeof (action));
    action.sa_handler = s_wake;
    sigemptyset (&action.sa_mask);
    sigaction (SIGUSR1, &action, NULL);

    int rc = 1;
    pthread_mutex_init (&chaos.lock, NULL);
    pthread_mutex_init (&chaos.watch.lock, NULL);
    chaos.anomalies = zlistx_new ();
    zlistx_set_destructor (chaos.anomalies, s_free_text);
    chaos.phase = "load";
    chaos.started = zclock_mono ();
    chaos.workers = (client_t *) calloc ((size_t) chaos.clients, sizeof (client_t));
    client_t verifier = { 0 };
    zs_client_t *client = NULL;
    if (chaos.trace_path) {
        chaos.trace = fopen (chaos.trace_path, "w");
        if (!chaos.trace) {
            fprintf (stderr, "zs-chaos: cannot write %s: %s\n", chaos.trace_path, strerror (errno));
            goto done;
        }
        setvbuf (chaos.trace, NULL, _IOLBF, 0);
    }
    client = s_connect (&chaos);
    if (!client) {
        fprintf (stderr, "zs-chaos: '%s' is not a gateway endpoint, or '%s' not a user name\n",
                 chaos.endpoint, chaos.user);
        goto done;
    }
    zs_proto_t *status = zs_client_status (client);
    if (!status) {
        fprintf (stderr, "zs-chaos: %s\n", zs_client_error (client));
        goto done;
    }
    zs_proto_destroy (&status);
    if (s_client_init (&verifier, &chaos, -1, 0)) {
        fprintf (stderr, "zs-chaos: cannot make work files: %s\n", strerror (errno));
        goto done;
    }
    for (int index = 0; index < chaos.clients; index++)
        if (s_client_init (&chaos.workers[index], &chaos, index + 1, (size_t) chaos.names)) {
            fprintf (stderr, "zs-chaos: cannot make work files: %s\n", strerror (errno));
            goto done;
        }
    s_trace (&chaos, "user %s, %d clients x %d names, seed %" PRIu64, chaos.user, chaos.clients,
             chaos.names, chaos.seed);
    if (pthread_create (&chaos.watch.thread, NULL, s_watch_run, &chaos) == 0)
        chaos.watch.started = true;
    //  Operations need to know which gateway was there before them
    int64_t seen_by = zclock_mono () + chaos.timeout;
    while (s_gateway_before (&chaos) < 0 && zclock_mono () < seen_by && !zsys_interrupted)
        zclock_sleep (20);
    s_set_phase (&chaos, "load");
    chaos.started = zclock_mono ();
    for (int index = 0; index < chaos.clients; index++) {
        client_t *worker = &chaos.workers[index];
        if (pthread_create (&worker->thread, NULL, s_client_run, worker) == 0)
            worker->started = true;
        else {
            worker->finished = 1;
            chaos.broken = 1;
        }
    }
    bool completed = s_run (&chaos);
    __atomic_store_n (&chaos.watch.stop, 1, __ATOMIC_SEQ_CST);
    if (chaos.watch.started)
        pthread_join (chaos.watch.thread, NULL);
    chaos.watch.started = false;
    if (completed) {
        s_set_phase (&chaos, "settle");
        s_settle (&chaos, client);
        s_set_phase (&chaos, "verify");
        int64_t deadline =
            zclock_mono () + (int64_t) (chaos.settle > 30 ? chaos.settle : 30) * 1000;
        s_verify_list (&chaos, client, deadline);
        if (s_verify_reads (&chaos, &verifier, client, deadline))
            chaos.broken = 1;
        completed = !zsys_interrupted && !chaos.broken;
    }
    s_set_phase (&chaos, "done");
    s_summary (&chaos, completed);
    rc = completed && zlistx_size (chaos.anomalies) == 0 ? 0 : 1;

done:
    if (chaos.watch.started) {
        __atomic_store_n (&chaos.watch.stop, 1, __ATOMIC_SEQ_CST);
        pthread_join (chaos.watch.thread, NULL);
    }
    zs_client_destroy (&client);
    for (int index = 0; index < chaos.clients; index++)
        s_client_free (&chaos.workers[index]);
    s_client_free (&verifier);
    free (chaos.workers);
    zlistx_destroy (&chaos.anomalies);
    pthread_mutex_destroy (&chaos.lock);
    pthread_mutex_destroy (&chaos.watch.lock);
    if (chaos.trace)
        fclose (chaos.trace);
    free (chaos.user);
    return rc;
}
