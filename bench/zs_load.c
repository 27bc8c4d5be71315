/*  zs_load - many small files put, got and removed at once through the client
    library
 */

#include "zs_load.h"
#include "zs_client.h"
#include "zs_content.h"
#include "zs_samples.h"

#include <pthread.h>
#include <sys/mman.h>

#define CLIENTS_MAX     256
#define TIMEOUT_DEFAULT 60000 //  ms: a slow request is a figure, not a failure
#define GET_CLIENTS     2     //  Clients, each a thread, that share the gets of a run

struct _zs_load_t {
    char *endpoint;
    char *user;
    char *prefix;
    uint8_t replicas;
    size_t size;
    int64_t timeout;
    char **names; //  Of the files in the set
    size_t name_count;
    size_t name_max;
    unsigned runs; //  Put runs so far, so that each makes new names
    //  The last run
    uint64_t operations;
    double seconds;
    zs_samples_t *latencies;
    double start; //  Time the threads were let go
    double until; //  Time they stop starting operations
    atomic_int failed;
    pthread_mutex_t lock;
    char error[512];
};

//  What the threads of a run do
typedef enum { RUN_PUT, RUN_GET, RUN_REMOVE } run_t;

//  One thread of a run, and its client
typedef struct {
    zs_load_t *load;
    int index;
    int clients; //  Threads of the run
    run_t run;
    size_t depth; //  Gets in flight at once on its client
    atomic_int *stop;
    pthread_barrier_t *barrier; //  Twice: all ready, then go
    zs_samples_t *latencies;
    uint64_t operations;
    double finished; //  When its last operation ended
    char **names;    //  Stored by a put thread
    size_t name_count;
    size_t name_max;
    uint64_t random; //  State of the choice of files to get
} worker_t;

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static void s_fail (zs_load_t *self, const char *format, ...) CHECK_PRINTF (2);

//  Keeps the first failure of a run, and stops the others
static void
s_fail (zs_load_t *self, const char *format, ...)
{
    pthread_mutex_lock (&self->lock);
    if (!atomic_load (&self->failed)) {
        va_list args;
        va_start (args, format);
        vsnprintf (self->error, sizeof (self->error), format, args);
        va_end (args);
        atomic_store (&self->failed, 1);
    }
    pthread_mutex_unlock (&self->lock);
}

zs_load_t *
zs_load_new (const char *endpoint, const char *user, const char *prefix, uint8_t replicas,
             size_t size)
{
    assert (endpoint && user && prefix && replicas > 0);
    zs_load_t *self = (zs_load_t *) zmalloc (sizeof (zs_load_t));
    if (!self)
        return NULL;
    self->endpoint = strdup (endpoint);
    self->user = strdup (user);
    self->prefix = strdup (prefix);
    self->replicas = replicas;
    self->size = size;
    self->timeout = TIMEOUT_DEFAULT;
    self->latencies = zs_samples_new ();
    pthread_mutex_init (&self->lock, NULL);
    if (!self->endpoint || !self->user || !self->prefix || !self->latencies)
        zs_load_destroy (&self);
    return self;
}

void
zs_load_destroy (zs_load_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_load_t *self = *self_p;
        for (size_t index = 0; index < self->name_count; index++)
            free (self->names[index]);
        free (self->names);
        zs_samples_destroy (&self->latencies);
        pthread_mutex_destroy (&self->lock);
        free (self->endpoint);
        free (self->user);
        free (self->prefix);
        free (self);
        *self_p = NULL;
    }
}

void
zs_load_set_timeout (zs_load_t *self, int64_t timeout)
{
    assert (self);
    self->timeout = timeout;
}

static int
s_add_name (char ***names, size_t *count, size_t *max, const char *name)
{
    if (*count == *max) {
        size_t more = *max ? *max * 2 : 1024;
        char **grown = (char **) realloc (*names, more * sizeof (char *));
        if (!grown)
            return -1;
        *names = grown;
        *max = more;
    }
    (*names)[*count] = strdup (name);
    return (*names)[(*count)++] ? 0 : -1;
}

static bool
s_going (worker_t *worker)
{
    zs_load_t *self = worker->load;
    //  A stop counts once the worker has done something: the run it ends
    //  may have begun after what it waited for
    return !atomic_load (&self->failed) && !zsys_interrupted && s_now () < self->until
           && !(worker->stop && atomic_load (worker->stop) && worker->operations > 0);
}

static void
s_put_files (worker_t *worker, zs_client_t *client, int fd, byte *content)
{
    zs_load_t *self = worker->load;
    while (s_going (worker)) {
        char name[256];
        snprintf (name, sizeof (name), "%s/%u-%02d-%08zu", self->prefix, self->runs, worker->index,
                  worker->name_count);
        zs_content_fill (content, self->size, zs_content_seed (name));
        if (pwrite (fd, content, self->size, 0) != (ssize_t) self->size
            || lseek (fd, 0, SEEK_SET) != 0) {
            s_fail (self, "cannot write a memory file: %s", strerror (errno));
            break;
        }
        uint64_t version;
        uint8_t copies = 0;
        double start = s_now ();
        int rc = zs_client_put (client, name, fd, self->replicas, &version, &copies);
        double end = s_now ();
        if (rc) {
            s_fail (self, "put %s: %s", name, zs_client_error (client));
            break;
        }
        if (copies != self->replicas) {
            s_fail (self, "put %s: %u copies stored, not %u", name, copies, self->replicas);
            break;
        }
        if (s_add_name (&worker->names, &worker->name_count, &worker->name_max, name)
            || zs_samples_add (worker->latencies, (end - start) * 1000)) {
            s_fail (self, "out of memory");
            break;
        }
        worker->operations++;
        worker->finished = end;
    }
}

//  Removes its share of the set: every clients-th file from its index
static void
s_remove_files (worker_t *worker, zs_client_t *client)
{
    zs_load_t *self = worker->load;
    size_t index = (size_t) worker->index;
    for (; index < self->name_count && s_going (worker); index += (size_t) worker->clients) {
        if (zs_client_remove (client, self->names[index])
            && zs_client_status_code (client) != ZS_STATUS_NOT_FOUND) {
            s_fail (self, "remove %s: %s", self->names[index], zs_client_error (client));
            break;
        }
        worker->operations++;
        worker->finished = s_now ();
    }
}

static uint64_t
s_random (uint64_t *state)
{
    //  xorshift64: the choice of files needs no quality, only speed
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

//  The gets of a run in flight together on one client: one memory file and
//  start time for each. A memory file keeps the size of a small file, and is
//  read through a mapping of it, so that a get costs the benchmark no page
//  of its own and one system call (its offset, checked and set back).
typedef struct {
    worker_t *worker;
    zs_client_t *client;
    int *fds;        //  One per get in flight
    byte **maps;     //  fds[index] mapped, NULL for an empty small file
    double *started; //  When the get writing to fds[index] started
    bool *busy;      //  Whether fds[index] has a get in flight
    size_t depth;
    byte *expected;
} getter_t;

static size_t
s_getter_slot (getter_t *getter, int fd)
{
    size_t index = 0;
    while (getter->fds[index] != fd)
        index++;
    return index;
}

static bool
s_next_get (void *arg, const char **name, int *fd)
{
    getter_t *getter = (getter_t *) arg;
    worker_t *worker = getter->worker;
    zs_load_t *self = worker->load;
    if (!s_going (worker))
        return false;
    size_t index = 0;
    while (getter->busy[index])
        index++;
    getter->busy[index] = true;
    getter->started[index] = s_now ();
    *name = self->names[s_random (&worker->random) % self->name_count];
    *fd = getter->fds[index];
    return true;
}

static void
s_got (void *arg, const char *name, int fd, int rc)
{
    getter_t *getter = (getter_t *) arg;
    worker_t *worker = getter->worker;
    zs_load_t *self = worker->load;
    double end = s_now ();
    size_t index = s_getter_slot (getter, fd);
    getter->busy[index] = false;
    if (rc) {
        s_fail (self, "get %s: %s", name, zs_client_error (getter->client));
        return;
    }
    //  The library checks the checksum the gateway gives; this checks that
    //  it is the content that was put, written whole from the start: the
    //  file's offset moved by exactly its size, over what an earlier get
    //  left. Going back by its size checks that, and readies the next get.
    zs_content_fill (getter->expected, self->size, zs_content_seed (name));
    if (lseek (fd, -(off_t) self->size, SEEK_CUR) != 0
        || (self->size && memcmp (getter->maps[index], getter->expected, self->size))) {
        s_fail (self, "get %s: the content read back is not the content put", name);
        return;
    }
    if (zs_samples_add (worker->latencies, (end - getter->started[index]) * 1000)) {
        s_fail (self, "out of memory");
        return;
    }
    worker->operations++;
    worker->finished = end;
}

//  A memory file of a small file's size, and its mapping; false on failure
static bool
s_open_output (zs_load_t *self, int *fd, byte **map)
{
    *fd = memfd_create ("zstore-bench", MFD_CLOEXEC);
    if (*fd < 0)
        return false;
    *map = NULL;
    if (self->size == 0)
        return true;
    void *mapped = MAP_FAILED;
    if (ftruncate (*fd, (off_t) self->size) == 0)
        mapped = mmap (NULL, self->size, PROT_READ, MAP_SHARED, *fd, 0);
    if (mapped == MAP_FAILED) {
        int saved = errno;
        close (*fd);
        errno = saved;
        return false;
    }
    *map = (byte *) mapped;
    return true;
}

//  Gets files at random, depth of them in flight at once on one client
static void
s_get_files (worker_t *worker, zs_client_t *client, size_t depth, byte *expected)
{
    zs_load_t *self = worker->load;
    if (self->name_count == 0) {
        s_fail (self, "no files to get: put some first");
        return;
    }
    getter_t getter = { .worker = worker,
                        .client = client,
                        .fds = (int *) calloc (depth, sizeof (int)),
                        .maps = (byte **) calloc (depth, sizeof (byte *)),
                        .started = (double *) calloc (depth, sizeof (double)),
                        .busy = (bool *) calloc (depth, sizeof (bool)),
                        .depth = depth,
                        .expected = expected };
    size_t opened = 0;
    if (getter.fds && getter.maps && getter.started && getter.busy)
        while (opened < depth && s_open_output (self, &getter.fds[opened], &getter.maps[opened]))
            opened++;
    if (opened < depth)
        s_fail (self, "cannot make memory files: %s", strerror (errno));
    else
        zs_client_get_many (client, depth, s_next_get, s_got, &getter);
    for (size_t index = 0; index < opened; index++) {
        if (getter.maps[index])
            munmap (getter.maps[index], self->size);
        close (getter.fds[index]);
    }
    free (getter.fds);
    free (getter.maps);
    free (getter.started);
    free (getter.busy);
}

static void *
s_worker (void *arg)
{
    worker_t *worker = (worker_t *) arg;
    zs_load_t *self = worker->load;
    byte *content = (byte *) malloc (self->size + 1);
    byte *expected = (byte *) malloc (self->size + 1);
    int fd = memfd_create ("zstore-bench", MFD_CLOEXEC);
    zs_client_t *client = zs_client_new (self->endpoint, self->user);
    if (client)
        zs_client_set_timeout (client, self->timeout);
    //  A first request connects, so that no timed one pays for it
    zs_proto_t *status = client ? zs_client_status (client) : NULL;
    if (!content || !expected || fd < 0 || !status)
        s_fail (self, "client %d cannot start: %s", worker->index,
                client ? zs_client_error (client) : strerror (errno));
    zs_proto_destroy (&status);
    pthread_barrier_wait (worker->barrier);
    pthread_barrier_wait (worker->barrier);
    worker->finished = self->start;
    if (!atomic_load (&self->failed)) {
        if (worker->run == RUN_PUT)
            s_put_files (worker, client, fd, content);
        else if (worker->run == RUN_GET)
            s_get_files (worker, client, worker->depth, expected);
        else
            s_remove_files (worker, client);
    }
    zs_client_destroy (&client);
    if (fd >= 0)
        close (fd);
    free (content);
    free (expected);
    return NULL;
}

static int
s_run (zs_load_t *self, run_t run, int in_flight, double seconds, atomic_int *stop)
{
    assert (in_flight > 0 && in_flight <= CLIENTS_MAX);
    //  A put or a removal waits alone on its client; gets share a few
    int clients = run != RUN_GET || in_flight < GET_CLIENTS ? in_flight : GET_CLIENTS;
    worker_t *workers = (worker_t *) calloc ((size_t) clients, sizeof (worker_t));
    pthread_t *threads = (pthread_t *) calloc ((size_t) clients, sizeof (pthread_t));
    if (!workers || !threads) {
        free (workers);
        free (threads);
        snprintf (self->error, sizeof (self->error), "out of memory");
        return -1;
    }
    atomic_store (&self->failed, 0);
    self->error[0] = 0;
    self->operations = 0;
    self->seconds = 0;
    zs_samples_clear (self->latencies);
    self->start = self->until = s_now () + 3600;
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, (unsigned) clients + 1);
    for (int index = 0; index < clients; index++) {
        worker_t *worker = &workers[index];
        worker->load = self;
        worker->index = index;
        worker->clients = clients;
        worker->run = run;
        worker->depth = (size_t) (in_flight / clients + (index < in_flight % clients));
        worker->stop = stop;
        worker->barrier = &barrier;
        worker->latencies = zs_samples_new ();
        worker->random = zs_content_seed (self->prefix) + (uint64_t) index * 7919 + 1;
        int rc = pthread_create (&threads[index], NULL, s_worker, worker);
        //  Without a thread the barrier would never open: give up at once
        assert (rc == 0);
    }
    pthread_barrier_wait (&barrier);
    self->start = s_now ();
    self->until = self->start + seconds;
    pthread_barrier_wait (&barrier);
    double finished = self->start;
    for (int index = 0; index < clients; index++) {
        worker_t *worker = &workers[index];
        pthread_join (threads[index], NULL);
        self->operations += worker->operations;
        finished = worker->finished > finished ? worker->finished : finished;
        if (zs_samples_merge (self->latencies, worker->latencies))
            s_fail (self, "out of memory");
        for (size_t name = 0; name < worker->name_count; name++) {
            if (s_add_name (&self->names, &self->name_count, &self->name_max, worker->names[name]))
                s_fail (self, "out of memory");
            free (worker->names[name]);
        }
        free (worker->names);
        zs_samples_destroy (&worker->latencies);
    }
    pthread_barrier_destroy (&barrier);
    free (workers);
    free (threads);
    if (run == RUN_PUT)
        self->runs++;
    self->seconds = finished - self->start;
    if (!atomic_load (&self->failed) && zsys_interrupted)
        s_fail (self, "interrupted");
    if (run == RUN_REMOVE && !atomic_load (&self->failed)) {
        for (size_t index = 0; index < self->name_count; index++)
            free (self->names[index]);
        self->name_count = 0;
    }
    if (!atomic_load (&self->failed) && self->operations == 0 && run != RUN_REMOVE)
        s_fail (self, "no operation finished in %.1f s", seconds);
    return atomic_load (&self->failed) ? -1 : 0;
}

int
zs_load_put (zs_load_t *self, int in_flight, double seconds)
{
    assert (self);
    return s_run (self, RUN_PUT, in_flight, seconds, NULL);
}

int
zs_load_get (zs_load_t *self, int in_flight, double seconds, atomic_int *stop)
{
    assert (self);
    return s_run (self, RUN_GET, in_flight, seconds, stop);
}

int
zs_load_remove (zs_load_t *self, int in_flight)
{
    assert (self);
    //  Every file, however long it takes
    return self->name_count ? s_run (self, RUN_REMOVE, in_flight, 86400, NULL) : 0;
}

uint64_t
zs_load_operations (zs_load_t *self)
{
    assert (self);
    return self->operations;
}

double
zs_load_rate (zs_load_t *self)
{
    assert (self);
    return self->seconds > 0 ? (double) self->operations / self->seconds : 0;
}

double
zs_load_latency (zs_load_t *self, double percentile)
{
    assert (self);
    return zs_samples_percentile (self->latencies, percentile);
}

size_t
zs_load_files (zs_load_t *self)
{
    assert (self);
    return self->name_count;
}

const char *
zs_load_error (zs_load_t *self)
{
    assert (self);
    return self->error;
}
