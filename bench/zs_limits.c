/*  zs_limits - what this machine can do, measured the way zstore uses it
 */

#include "zs_limits.h"
#include "zs_content.h"
#include "zs_fs.h"
#include "zs_proto.h"

#include <czmq.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>

#define BLOCK_SIZE  (1 << 20) //  Bytes written at a time to the large file
#define SMALL_SIZE  4096      //  Bytes of each small file
#define THREADS_MAX 64
//  Messages a socket may queue: enough to keep the pipe full, few enough
//  that large messages do not pile up in memory
#define QUEUE_SMALL 1000
#define QUEUE_LARGE 64
//  Messages of this size or more are sent without a copy, as the gateway
//  forwards a chunk by reference
#define ZERO_COPY 65536

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  The receiving end, on a thread of its own
typedef struct {
    void *router;
    uint64_t messages; //  Received, the end marker left out
    uint64_t bytes;
    int rc;
} sink_t;

//  Receives one message of any number of frames into frames[]; the
//  number of frames, or -1
static int
s_receive (void *socket, zmq_msg_t *frames, int max)
{
    int count = 0;
    while (true) {
        if (count == max)
            return -1;
        zmq_msg_init (&frames[count]);
        if (zmq_msg_recv (&frames[count], socket, 0) < 0) {
            zmq_msg_close (&frames[count]);
            return -1;
        }
        count++;
        if (!zmq_msg_more (&frames[count - 1]))
            return count;
    }
}

static void
s_close_frames (zmq_msg_t *frames, int count)
{
    for (int index = 0; index < count; index++)
        zmq_msg_close (&frames[index]);
}

//  Answers the sender's greeting, then counts messages until an empty one,
//  and answers it too: the sender's clock stops when all has arrived
static void *
s_sink (void *arg)
{
    sink_t *sink = (sink_t *) arg;
    zmq_msg_t frames[2];
    sink->rc = -1;
    for (int phase = 0; phase < 2; phase++) {
        while (true) {
            int count = s_receive (sink->router, frames, 2);
            if (count != 2)
                return NULL;
            size_t size = zmq_msg_size (&frames[1]);
            bool marker = phase == 0 || size == 0;
            if (!marker) {
                sink->messages++;
                sink->bytes += size;
                s_close_frames (frames, count);
                continue;
            }
            //  Send the routing id back, then an empty answer
            zmq_msg_close (&frames[1]);
            int rc = zmq_msg_send (&frames[0], sink->router, ZMQ_SNDMORE) < 0
                     || zmq_send (sink->router, "", 0, 0) < 0;
            if (rc) {
                zmq_msg_close (&frames[0]);
                return NULL;
            }
            break;
        }
    }
    sink->rc = 0;
    return NULL;
}

static int
s_wait_answer (void *dealer)
{
    zmq_msg_t answer;
    zmq_msg_init (&answer);
    int rc = zmq_msg_recv (&answer, dealer, 0) < 0 ? -1 : 0;
    zmq_msg_close (&answer);
    return rc;
}

int
zs_limits_zmq (size_t size, double seconds, double *messages, double *mebibytes)
{
    assert (size > 0 && messages && mebibytes);
    //  Raw libzmq, not czmq's shared context: each end has its own I/O
    //  thread, as a client and a gateway do
    void *sender_context = zmq_ctx_new ();
    void *sink_context = zmq_ctx_new ();
    void *dealer = sender_context ? zmq_socket (sender_context, ZMQ_DEALER) : NULL;
    void *router = sink_context ? zmq_socket (sink_context, ZMQ_ROUTER) : NULL;
    byte *buffer = (byte *) malloc (size);
    int rc = -1;
    if (!dealer || !router || !buffer)
        goto done;
    int queue = size >= ZERO_COPY ? QUEUE_LARGE : QUEUE_SMALL, linger = 0, patience = 30000;
    zmq_setsockopt (dealer, ZMQ_SNDTIMEO, &patience, sizeof (patience));
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &patience, sizeof (patience));
    zmq_setsockopt (dealer, ZMQ_SNDHWM, &queue, sizeof (queue));
    zmq_setsockopt (router, ZMQ_RCVHWM, &queue, sizeof (queue));
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof (linger));
    char endpoint[256];
    size_t length = sizeof (endpoint);
    if (zmq_bind (router, "tcp://127.0.0.1:*")
        || zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &length)
        || zmq_connect (dealer, endpoint))
        goto done;
    zs_content_fill (buffer, size, size);
    sink_t sink = { router, 0, 0, -1 };
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_sink, &sink))
        goto done;
    //  The greeting crosses once the connection is up: time starts after it
    bool sent = zmq_send (dealer, "hello", 5, 0) == 5 && s_wait_answer (dealer) == 0;
    double start = s_now (), until = start + seconds;
    uint64_t count = 0;
    while (sent && !zsys_interrupted) {
        //  Looking at the clock costs less than a message; every 16 is plenty
        if (count % 16 == 0 && s_now () >= until)
            break;
        if (size >= ZERO_COPY) {
            zmq_msg_t message;
            zmq_msg_init_data (&message, buffer, size, NULL, NULL);
            sent = zmq_msg_send (&message, dealer, 0) >= 0;
            if (!sent)
                zmq_msg_close (&message);
        }
        else
            sent = zmq_send (dealer, buffer, size, 0) >= 0;
        count++;
    }
    sent = sent && !zsys_interrupted && zmq_send (dealer, "", 0, 0) == 0
           && s_wait_answer (dealer) == 0;
    double elapsed = s_now () - start;
    //  A sink waiting for a message that will not come gets ETERM
    if (!sent)
        zmq_ctx_shutdown (sink_context);
    pthread_join (thread, NULL);
    if (sent && sink.rc == 0 && sink.messages == count && elapsed > 0) {
        *messages = (double) sink.messages / elapsed;
        *mebibytes = (double) sink.bytes / elapsed / (1 << 20);
        rc = 0;
    }
done:
    if (dealer)
        zmq_close (dealer);
    if (router)
        zmq_close (router);
    if (sender_context)
        zmq_ctx_term (sender_context);
    if (sink_context)
        zmq_ctx_term (sink_context);
    free (buffer);
    return rc;
}

double
zs_limits_disk_write (const char *folder, uint64_t bytes)
{
    assert (folder);
    byte *buffer = (byte *) malloc (BLOCK_SIZE);
    char *path = zsys_sprintf ("%s/disk-write", folder);
    int fd = buffer && path ? open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    double rate = -1;
    if (fd >= 0) {
        zs_content_fill (buffer, BLOCK_SIZE, bytes);
        double start = s_now ();
        uint64_t written = 0;
        int rc = 0;
        while (rc == 0 && written < bytes && !zsys_interrupted) {
            size_t size = bytes - written < BLOCK_SIZE ? (size_t) (bytes - written) : BLOCK_SIZE;
            //  A different first word in every block, so that nothing below
            //  could take two blocks for one
            memcpy (buffer, &written, sizeof (written));
            rc = zs_fs_pwrite_all (fd, buffer, size, (long long) written);
            written += size;
        }
        if (rc == 0 && !zsys_interrupted && fsync (fd) == 0)
            rate = (double) bytes / (s_now () - start) / (1 << 20);
        close (fd);
        unlink (path);
    }
    if (rate < 0 && !zsys_interrupted)
        fprintf (stderr, "zstore-bench: cannot write %s: %s\n", path ? path : folder,
                 strerror (errno));
    zstr_free (&path);
    free (buffer);
    return rate;
}

typedef struct {
    char *folder;   //  Of this thread
    double until;   //  When to stop
    uint64_t files; //  Made durable
    int rc;
} creator_t;

static int
s_create_one (creator_t *creator, const byte *content, uint64_t number)
{
    char temp[PATH_MAX], path[PATH_MAX];
    snprintf (temp, sizeof (temp), "%s/f%08" PRIu64 ".tmp", creator->folder, number);
    snprintf (path, sizeof (path), "%s/f%08" PRIu64, creator->folder, number);
    int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = zs_fs_pwrite_all (fd, content, SMALL_SIZE, 0) || fsync (fd) ? -1 : 0;
    close (fd);
    if (rc || rename (temp, path))
        return -1;
    //  As a bucket does after a rename
    return zs_fs_sync_dir (AT_FDCWD, creator->folder);
}

static void *
s_creator (void *arg)
{
    creator_t *creator = (creator_t *) arg;
    byte content[SMALL_SIZE];
    zs_content_fill (content, sizeof (content), (uint64_t) (uintptr_t) arg);
    while (creator->rc == 0 && s_now () < creator->until && !zsys_interrupted) {
        memcpy (content, &creator->files, sizeof (creator->files));
        creator->rc = s_create_one (creator, content, creator->files);
        if (creator->rc == 0)
            creator->files++;
    }
    return NULL;
}

double
zs_limits_file_creates (const char *folder, int threads, double seconds)
{
    assert (folder && threads > 0 && threads <= THREADS_MAX);
    creator_t creators[THREADS_MAX];
    pthread_t ids[THREADS_MAX];
    int started = 0;
    double start = s_now ();
    bool ok = true;
    for (; started < threads; started++) {
        creator_t *creator = &creators[started];
        creator->folder = zsys_sprintf ("%s/creates-%d", folder, started);
        creator->until = start + seconds;
        creator->files = 0;
        creator->rc = 0;
        if (mkdir (creator->folder, 0755)
            || pthread_create (&ids[started], NULL, s_creator, creator)) {
            fprintf (stderr, "zstore-bench: cannot create files in %s: %s\n", creator->folder,
                     strerror (errno));
            zstr_free (&creator->folder);
            ok = false;
            break;
        }
    }
    uint64_t files = 0;
    for (int index = 0; index < started; index++) {
        pthread_join (ids[index], NULL);
        if (creators[index].rc) {
            fprintf (stderr, "zstore-bench: cannot create files in %s\n", creators[index].folder);
            ok = false;
        }
        files += creators[index].files;
    }
    double elapsed = s_now () - start;
    //  Clean up out of time: later measurements find the disk as it was
    for (int index = 0; index < started; index++) {
        for (uint64_t number = 0; number < creators[index].files; number++) {
            char path[PATH_MAX];
            snprintf (path, sizeof (path), "%s/f%08" PRIu64, creators[index].folder, number);
            unlink (path);
        }
        rmdir (creators[index].folder);
        zstr_free (&creators[index].folder);
    }
    return ok && !zsys_interrupted && elapsed > 0 ? (double) files / elapsed : -1;
}

double
zs_limits_hash (double seconds)
{
    byte *buffer = (byte *) malloc (BLOCK_SIZE);
    if (!buffer || sodium_init () < 0) {
        free (buffer);
        return -1;
    }
    zs_content_fill (buffer, BLOCK_SIZE, BLOCK_SIZE);
    crypto_generichash_state state;
    double rate = -1;
    if (crypto_generichash_init (&state, NULL, 0, ZS_CHECKSUM_SIZE) == 0) {
        double start = s_now (), elapsed = 0;
        uint64_t blocks = 0;
        while (elapsed < seconds && !zsys_interrupted) {
            crypto_generichash_update (&state, buffer, BLOCK_SIZE);
            blocks++;
            elapsed = s_now () - start;
        }
        byte checksum[ZS_CHECKSUM_SIZE];
        crypto_generichash_final (&state, checksum, sizeof (checksum));
        if (!zsys_interrupted && elapsed > 0)
            rate = (double) blocks / elapsed;
    }
    free (buffer);
    return rate;
}
