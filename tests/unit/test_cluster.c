/*  test_cluster - a whole cluster in one process

    A gateway actor and three bucket actors on loopback TCP with ports the
    system picks, each bucket on its own data folder under one temporary
    folder, and clients of the client library talking to the gateway. The
    cluster is started once for the group and torn down at its end; each
    test uses its own file names. The test that loses a bucket runs last.

    A second cluster, of two real buckets, also has a fake bucket: an actor
    that speaks the bucket side of the protocol as each test scripts it
    (re-registering with a paused inventory, vanishing in the middle of a
    commit, never answering a DROP) and records what the gateway sent it.

    Nothing waits a fixed time: conditions are polled with a deadline.
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_bucket.h"
#include "zs_client.h"
#include "zs_gateway.h"
#include "zs_object.h"
#include "zs_testkit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#define BUCKETS       3
#define DEADLINE      10000 //  ms for the cluster to reach a state it must reach
#define POLL_INTERVAL 25    //  ms between two looks at the cluster
#define ACTOR_TIMEOUT 5000  //  ms for an actor to answer a command
#define BIG           (2 * ZS_CHUNK_SIZE + ZS_CHUNK_SIZE / 2) //  2.5 MiB

typedef struct {
    char root[64];              //  Temporary folder of the cluster
    char data[BUCKETS][128];    //  Data folder of each bucket
    char input[128];            //  File a put reads
    char output[128];           //  File a get writes
    size_t count;               //  Real buckets started
    zactor_t *gateway;          //  The gateway
    zactor_t *buckets[BUCKETS]; //  The buckets, b1 to b3, in zones z1 to z3
    zactor_t *fake;             //  A fake bucket, in the tests that have one
    char *clients;              //  Endpoints the gateway bound
    char *backend;              //
    char *events;               //
    zs_client_t *client;        //  User "alice"
} cluster_t;

static const char *s_ids[BUCKETS] = { "b1", "b2", "b3" };
static const char *s_zones[BUCKETS] = { "z1", "z2", "z3" };

//  Sends a command with its arguments (up to a NULL) to an actor and
//  returns the first frame of its reply, or NULL when none comes in time
static char *
s_vcommand (zactor_t *actor, const char *command, va_list args)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, command);
    for (const char *arg = va_arg (args, const char *); arg; arg = va_arg (args, const char *))
        zmsg_addstr (msg, arg);
    if (zmsg_send (&msg, actor))
        return NULL;
    zpoller_t *poller = zpoller_new (actor, NULL);
    char *reply = zpoller_wait (poller, ACTOR_TIMEOUT) ? zstr_recv (actor) : NULL;
    zpoller_destroy (&poller);
    return reply;
}

//  True when the command's reply is "OK"
static bool
s_command_ok (zactor_t *actor, const char *command, ...)
{
    va_list args;
    va_start (args, command);
    char *reply = s_vcommand (actor, command, args);
    va_end (args);
    bool ok = reply && streq (reply, "OK");
    if (!ok)
        print_error ("%s: %s\n", command, reply ? reply : "no answer");
    zstr_free (&reply);
    return ok;
}

static const zs_bucketinfo_t *
s_bucket_info (zs_proto_t *status, const char *id)
{
    zlistx_t *buckets = zs_proto_buckets (status);
    const zs_bucketinfo_t *bucket = (const zs_bucketinfo_t *) zlistx_first (buckets);
    for (; bucket; bucket = (const zs_bucketinfo_t *) zlistx_next (buckets))
        if (streq (bucket->id, id))
            return bucket;
    return NULL;
}

static size_t
s_alive (zs_proto_t *status)
{
    size_t alive = 0;
    zlistx_t *buckets = zs_proto_buckets (status);
    const zs_bucketinfo_t *bucket = (const zs_bucketinfo_t *) zlistx_first (buckets);
    for (; bucket; bucket = (const zs_bucketinfo_t *) zlistx_next (buckets))
        if (streq (bucket->state, "alive"))
            alive++;
    return alive;
}

//  Polls STATUS until the buckets alive number alive and the gateway has
//  its index, or the deadline passes; false then
static bool
s_wait_cluster (zs_client_t *client, size_t alive)
{
    int64_t deadline = zclock_mono () + DEADLINE;
    while (zclock_mono () < deadline) {
        zs_proto_t *status = zs_client_status (client);
        bool ready = status && s_alive (status) == alive && !zs_proto_recovering (status);
        zs_proto_destroy (&status);
        if (ready)
            return true;
        zclock_sleep (POLL_INTERVAL);
    }
    return false;
}

static int s_teardown (void **state);

//  Starts a gateway with these settings and count real buckets
static int
s_start (void **state, size_t count, const char *transfer_timeout)
{
    cluster_t *self = (cluster_t *) calloc (1, sizeof (cluster_t));
    if (!self)
        return -1;
    *state = self;
    if (!zs_testkit_folder_new (self->root, sizeof (self->root), "cluster")) {
        self->root[0] = 0;
        return -1;
    }
    snprintf (self->input, sizeof (self->input), "%s/input", self->root);
    snprintf (self->output, sizeof (self->output), "%s/output", self->root);
    self->gateway = zactor_new (zs_gateway_actor, NULL);
    if (!self->gateway || !s_command_ok (self->gateway, "SET", "heartbeat", "100", NULL)
        || !s_command_ok (self->gateway, "SET", "liveness", "3", NULL)
        || !s_command_ok (self->gateway, "SET", "default-replicas", "2", NULL)
        || !s_command_ok (self->gateway, "SET", "transfer-timeout", transfer_timeout, NULL)
        || !s_command_ok (self->gateway, "SET", "recovery", "200", NULL)
        || !s_command_ok (self->gateway, "SET", "tombstone-grace", "0", NULL))
        return -1;
    zstr_sendx (self->gateway, "START", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                "tcp://127.0.0.1:*", NULL);
    zsock_set_rcvtimeo (zactor_sock (self->gateway), ACTOR_TIMEOUT);
    char *ok = NULL;
    zstr_recvx (self->gateway, &ok, &self->clients, &self->backend, &self->events, NULL);
    zsock_set_rcvtimeo (zactor_sock (self->gateway), -1);
    bool started = ok && streq (ok, "OK") && self->events;
    if (!started)
        print_error ("gateway START: %s\n", ok ? ok : "no answer");
    zstr_free (&ok);
    if (!started)
        return -1;
    for (size_t index = 0; index < count; index++) {
        snprintf (self->data[index], sizeof (self->data[index]), "%s/%s", self->root, s_ids[index]);
        self->buckets[index] = zactor_new (zs_bucket_actor, NULL);
        if (!self->buckets[index]
            || !s_command_ok (self->buckets[index], "START", s_ids[index], s_zones[index],
                              self->data[index], self->backend, "0", "2", NULL))
            return -1;
        self->count++;
    }
    self->client = zs_client_new (self->clients, "alice");
    if (!self->client || !s_wait_cluster (self->client, count)) {
        print_error ("the cluster did not come up within %d ms\n", DEADLINE);
        return -1;
    }
    return 0;
}

//  Starts the cluster; on failure, cleans up what was started
static int
s_setup (void **state)
{
    int rc = s_start (state, BUCKETS, "3000");
    if (rc)
        s_teardown (state);
    return rc;
}

static int
s_teardown (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    if (!self)
        return 0;
    zs_client_destroy (&self->client);
    zactor_destroy (&self->fake);
    for (size_t index = 0; index < self->count; index++)
        zactor_destroy (&self->buckets[index]);
    zactor_destroy (&self->gateway);
    zstr_free (&self->clients);
    zstr_free (&self->backend);
    zstr_free (&self->events);
    int rc = *self->root ? zs_testkit_folder_remove (self->root) : 0;
    free (self);
    *state = NULL;
    return rc;
}

//  --------------------------------------------------------------------------
//  Content

static void
s_write_file (const char *path, const byte *data, size_t size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t written = write (fd, data + done, size - done);
        assert_true (written > 0);
        done += (size_t) written;
    }
    assert_int_equal (close (fd), 0);
}

//  The whole content of a file; caller frees it
static byte *
s_read_file (const char *path, size_t *size)
{
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    byte *data = (byte *) malloc ((size_t) info.st_size + 1);
    assert_non_null (data);
    int fd = open (path, O_RDONLY);
    assert_true (fd >= 0);
    size_t done = 0;
    while (done < (size_t) info.st_size) {
        ssize_t got = read (fd, data + done, (size_t) info.st_size - done);
        assert_true (got > 0);
        done += (size_t) got;
    }
    close (fd);
    *size = done;
    return data;
}

//  Stores data as name through the client, from a file descriptor
static int
s_put (cluster_t *self, zs_client_t *client, const char *name, const byte *data, size_t size,
       uint8_t replicas, uint64_t *version, uint8_t *copies)
{
    s_write_file (self->input, data, size);
    int fd = open (self->input, O_RDONLY);
    assert_true (fd >= 0);
    int rc = zs_client_put (client, name, fd, replicas, version, copies);
    close (fd);
    return rc;
}

//  The same, when it must succeed
static void
s_assert_put (cluster_t *self, zs_client_t *client, const char *name, const byte *data, size_t size,
              uint8_t replicas, uint64_t *version, uint8_t *copies)
{
    int rc = s_put (self, client, name, data, size, replicas, version, copies);
    if (rc)
        print_error ("put %s: %s\n", name, zs_client_error (client));
    assert_int_equal (rc, 0);
}

//  Fetches name into the output file and checks it is data, version
static void
s_assert_get (cluster_t *self, zs_client_t *client, const char *name, const byte *data, size_t size,
              uint64_t version)
{
    int fd = open (self->output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    zs_fileinfo_t *info = NULL;
    int rc = zs_client_get (client, name, fd, &info);
    if (rc)
        print_error ("get %s: %s\n", name, zs_client_error (client));
    assert_int_equal (rc, 0);
    assert_int_equal (close (fd), 0);
    assert_non_null (info);
    assert_int_equal (info->size, size);
    assert_int_equal (info->version, version);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, size, checksum);
    assert_memory_equal (info->checksum, checksum, ZS_CHECKSUM_SIZE);
    zs_fileinfo_destroy (&info);
    size_t got = 0;
    byte *content = s_read_file (self->output, &got);
    assert_int_equal (got, size);
    if (size)
        assert_memory_equal (content, data, size);
    free (content);
}

//  Checks what stat says of name
static zs_fileinfo_t *
s_assert_stat (zs_client_t *client, const char *name, const byte *data, size_t size,
               uint64_t version, uint8_t desired, uint8_t actual)
{
    zs_fileinfo_t *info = zs_client_stat (client, name);
    if (!info)
        print_error ("stat %s: %s\n", name, zs_client_error (client));
    assert_non_null (info);
    assert_string_equal (info->name, name);
    assert_int_equal (info->size, size);
    assert_int_equal (info->version, version);
    assert_int_equal (info->desired, desired);
    assert_int_equal (info->actual, actual);
    assert_int_equal (info->flags, 0);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, size, checksum);
    assert_memory_equal (info->checksum, checksum, ZS_CHECKSUM_SIZE);
    return info;
}

//  Index of a bucket id in the cluster, or -1
static int
s_bucket_index (const char *id)
{
    for (int index = 0; index < BUCKETS; index++)
        if (streq (s_ids[index], id))
            return index;
    return -1;
}

//  The buckets a holder list names, as a bit per bucket; every name known,
//  none twice
static unsigned
s_holders (const char *list)
{
    unsigned holders = 0;
    char *copy = strdup (list);
    assert_non_null (copy);
    char *state = NULL;
    for (char *id = strtok_r (copy, ",", &state); id; id = strtok_r (NULL, ",", &state)) {
        int index = s_bucket_index (id);
        assert_true (index >= 0);
        assert_false (holders & (1u << index));
        holders |= 1u << index;
    }
    free (copy);
    return holders;
}

static size_t
s_count_bits (unsigned bits)
{
    size_t count = 0;
    for (; bits; bits >>= 1)
        count += bits & 1;
    return count;
}

//  Which buckets hold a copy of this version on disk, as a bit per bucket;
//  the replica count written in each must be desired
static unsigned
s_disk_holders (cluster_t *self, const char *user, const char *name, uint64_t version,
                uint8_t desired)
{
    char key[ZS_OBJECT_KEY_SIZE + 1], relative[ZS_OBJECT_PATH_MAX];
    zs_object_key (user, name, key);
    zs_object_copy_path (relative, key, version);
    unsigned holders = 0;
    for (int index = 0; index < (int) self->count; index++) {
        char path[256];
        snprintf (path, sizeof (path), "%s/%s", self->data[index], relative);
        int fd = open (path, O_RDONLY);
        if (fd < 0)
            continue;
        holders |= 1u << index;
        byte header[ZS_OBJECT_FIXED_HEADER];
        assert_int_equal (pread (fd, header, sizeof (header), 0), (ssize_t) sizeof (header));
        close (fd);
        //  The count follows the 8-byte stamp of the replica fields
        assert_int_equal (header[ZS_OBJECT_REPLICAS_OFFSET + 8], desired);
    }
    return holders;
}

//  Regular files in a folder of a bucket's data folder
static size_t
s_files_in (cluster_t *self, int bucket, const char *folder)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", self->data[bucket], folder);
    return zs_testkit_entries (path);
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_status (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    assert_int_equal (strncmp (self->clients, "tcp://127.0.0.1:", 16), 0);
    assert_int_equal (strncmp (self->backend, "tcp://127.0.0.1:", 16), 0);
    assert_int_equal (strncmp (self->events, "tcp://127.0.0.1:", 16), 0);
    //  Ports resolved, and three different ones
    assert_null (strchr (self->clients, '*'));
    assert_null (strchr (self->backend, '*'));
    assert_null (strchr (self->events, '*'));
    assert_string_not_equal (self->clients, self->backend);
    assert_string_not_equal (self->clients, self->events);
    assert_string_not_equal (self->backend, self->events);

    zs_proto_t *status = zs_client_status (self->client);
    assert_non_null (status);
    assert_int_equal (zs_proto_id (status), ZS_PROTO_STATUS_OK);
    assert_int_equal (zlistx_size (zs_proto_buckets (status)), BUCKETS);
    for (size_t index = 0; index < BUCKETS; index++) {
        const zs_bucketinfo_t *bucket = s_bucket_info (status, s_ids[index]);
        assert_non_null (bucket);
        assert_string_equal (bucket->zone, s_zones[index]);
        assert_string_equal (bucket->state, "alive");
        assert_true (bucket->free > 0);
        assert_true (bucket->capacity >= bucket->free);
        assert_true (strlen (bucket->address) > 0);
    }
    assert_int_equal (zs_proto_recovering (status), 0);
    assert_int_equal (zs_proto_under_replicated (status), 0);
    //  The buckets registered: events were published
    assert_true (zs_proto_sequence (status) >= BUCKETS);
    zs_proto_destroy (&status);
}

static void
test_put_get_stat (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    size_t sizes[] = { 0, 1, BIG };
    byte *data = zs_testkit_random (BIG);
    for (size_t size_index = 0; size_index < 3; size_index++)
        for (uint8_t replicas = 1; replicas <= 3; replicas++) {
            size_t size = sizes[size_index];
            char name[64];
            snprintf (name, sizeof (name), "sizes/%zu-r%u", size, replicas);
            uint64_t version = 0;
            uint8_t copies = 0;
            s_assert_put (self, self->client, name, data, size, replicas, &version, &copies);
            assert_int_equal (copies, replicas);
            assert_true (version > 0);
            s_assert_get (self, self->client, name, data, size, version);
            zs_fileinfo_t *info =
                s_assert_stat (self->client, name, data, size, version, replicas, replicas);
            //  The holders stat names are the buckets with the copy on disk
            unsigned holders = s_holders (info->buckets);
            assert_int_equal (s_count_bits (holders), replicas);
            assert_int_equal (s_disk_holders (self, "alice", name, version, replicas), holders);
            zs_fileinfo_destroy (&info);
        }
    //  A new version of a name replaces the old one for readers
    uint64_t first = 0, second = 0;
    s_assert_put (self, self->client, "sizes/again", data, 1000, 2, &first, NULL);
    s_assert_put (self, self->client, "sizes/again", data + 1, 2000, 0, &second, NULL);
    assert_true (second > first);
    s_assert_get (self, self->client, "sizes/again", data + 1, 2000, second);
    //  Replicas 0 means the gateway's default, 2
    zs_fileinfo_t *info = s_assert_stat (self->client, "sizes/again", data + 1, 2000, second, 2, 2);
    zs_fileinfo_destroy (&info);
    //  Once the new version has its copies, the old one is deleted everywhere
    int64_t deadline = zclock_mono () + DEADLINE;
    while (s_disk_holders (self, "alice", "sizes/again", first, 2) && zclock_mono () < deadline)
        zclock_sleep (POLL_INTERVAL);
    assert_int_equal (s_disk_holders (self, "alice", "sizes/again", first, 2), 0);
    free (data);
}

static void
test_list_sorted (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    zs_client_t *lister = zs_client_new (self->clients, "lister");
    assert_non_null (lister);
    //  Put out of order; listed in byte order of the names
    const char *names[] = { "zeta", "alpha", "m/b", "m/a", "Beta", "\xc3\xa9t\xc3\xa9", "m" };
    const char *sorted[] = { "Beta", "alpha", "m", "m/a", "m/b", "zeta", "\xc3\xa9t\xc3\xa9" };
    size_t count = sizeof (names) / sizeof (names[0]);
    byte *data = zs_testkit_random (100);
    for (size_t index = 0; index < count; index++)
        s_assert_put (self, lister, names[index], data, 10 + index, (uint8_t) (1 + index % 3), NULL,
                      NULL);
    zlistx_t *files = zs_client_list (lister);
    assert_non_null (files);
    assert_int_equal (zlistx_size (files), count);
    size_t index = 0;
    const zs_fileinfo_t *info = (const zs_fileinfo_t *) zlistx_first (files);
    for (; info; info = (const zs_fileinfo_t *) zlistx_next (files), index++) {
        assert_string_equal (info->name, sorted[index]);
        size_t put = 0;
        while (strneq (names[put], info->name))
            put++;
        assert_int_equal (info->size, 10 + put);
        assert_int_equal (info->desired, 1 + put % 3);
        assert_int_equal (info->actual, 1 + put % 3);
        //  A user sees no owner in replies, only names
        assert_string_equal (info->user, "");
    }
    zlistx_destroy (&files);
    //  Users do not see each other's files
    assert_null (zs_client_stat (self->client, "zeta"));
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_NOT_FOUND);
    zs_client_t *stranger = zs_client_new (self->clients, "nobody");
    assert_non_null (stranger);
    files = zs_client_list (stranger);
    assert_non_null (files);
    assert_int_equal (zlistx_size (files), 0);
    zlistx_destroy (&files);
    zs_client_destroy (&stranger);
    zs_client_destroy (&lister);
    free (data);
}

static void
test_replicas (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    size_t size = ZS_CHUNK_SIZE + 777;
    byte *data = zs_testkit_random (size);
    uint64_t version = 0;
    s_assert_put (self, self->client, "rep/file", data, size, 1, &version, NULL);
    zs_fileinfo_t *info = s_assert_stat (self->client, "rep/file", data, size, version, 1, 1);
    unsigned first = s_holders (info->buckets);
    zs_fileinfo_destroy (&info);
    assert_int_equal (s_disk_holders (self, "alice", "rep/file", version, 1), first);

    //  Up: new copies on the other buckets, the count recorded in every copy
    uint8_t copies = 0;
    assert_int_equal (zs_client_set_replicas (self->client, "rep/file", 3, &copies), 0);
    assert_int_equal (copies, 3);
    info = s_assert_stat (self->client, "rep/file", data, size, version, 3, 3);
    assert_int_equal (s_holders (info->buckets), 7);
    zs_fileinfo_destroy (&info);
    assert_int_equal (s_disk_holders (self, "alice", "rep/file", version, 3), 7);
    s_assert_get (self, self->client, "rep/file", data, size, version);

    //  Down: extra copies deleted from disk before the answer
    assert_int_equal (zs_client_set_replicas (self->client, "rep/file", 1, &copies), 0);
    assert_int_equal (copies, 1);
    info = s_assert_stat (self->client, "rep/file", data, size, version, 1, 1);
    unsigned kept = s_holders (info->buckets);
    zs_fileinfo_destroy (&info);
    assert_int_equal (s_count_bits (kept), 1);
    assert_int_equal (s_disk_holders (self, "alice", "rep/file", version, 1), kept);
    s_assert_get (self, self->client, "rep/file", data, size, version);

    //  Up again to two, and the same count again changes nothing
    assert_int_equal (zs_client_set_replicas (self->client, "rep/file", 2, &copies), 0);
    assert_int_equal (copies, 2);
    assert_int_equal (zs_client_set_replicas (self->client, "rep/file", 2, &copies), 0);
    assert_int_equal (copies, 2);
    info = s_assert_stat (self->client, "rep/file", data, size, version, 2, 2);
    unsigned two = s_holders (info->buckets);
    zs_fileinfo_destroy (&info);
    assert_int_equal (s_count_bits (two), 2);
    assert_true ((two & kept) == kept);
    assert_int_equal (s_disk_holders (self, "alice", "rep/file", version, 2), two);

    //  More copies than live buckets, no copies, no such file
    assert_int_equal (zs_client_set_replicas (self->client, "rep/file", 4, &copies), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_UNAVAILABLE);
    assert_int_equal (zs_client_set_replicas (self->client, "rep/file", 0, &copies), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_BAD_REQUEST);
    assert_int_equal (zs_client_set_replicas (self->client, "rep/none", 2, &copies), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_NOT_FOUND);
    //  None of which changed the file
    info = s_assert_stat (self->client, "rep/file", data, size, version, 2, 2);
    zs_fileinfo_destroy (&info);
    assert_int_equal (s_disk_holders (self, "alice", "rep/file", version, 2), two);
    free (data);
}

static void
test_remove (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    byte *data = zs_testkit_random (5000);
    uint64_t version = 0;
    s_assert_put (self, self->client, "gone/file", data, 5000, 2, &version, NULL);
    assert_int_equal (s_count_bits (s_disk_holders (self, "alice", "gone/file", version, 2)), 2);
    assert_int_equal (zs_client_remove (self->client, "gone/file"), 0);
    //  Gone for readers at once
    int fd = open (self->output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (zs_client_get (self->client, "gone/file", fd, NULL), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_NOT_FOUND);
    close (fd);
    assert_null (zs_client_stat (self->client, "gone/file"));
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_NOT_FOUND);
    assert_int_equal (zs_client_remove (self->client, "gone/file"), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_NOT_FOUND);
    zlistx_t *files = zs_client_list (self->client);
    assert_non_null (files);
    const zs_fileinfo_t *info = (const zs_fileinfo_t *) zlistx_first (files);
    for (; info; info = (const zs_fileinfo_t *) zlistx_next (files))
        assert_string_not_equal (info->name, "gone/file");
    zlistx_destroy (&files);
    //  The copies were deleted before the answer
    assert_int_equal (s_disk_holders (self, "alice", "gone/file", version, 2), 0);
    //  Every holder saw the removal, so the tombstones are forgotten too
    int64_t deadline = zclock_mono () + DEADLINE;
    size_t tombstones = BUCKETS;
    while (tombstones && zclock_mono () < deadline) {
        tombstones = 0;
        for (int index = 0; index < BUCKETS; index++)
            tombstones += s_files_in (self, index, "tombstones");
        if (tombstones)
            zclock_sleep (POLL_INTERVAL);
    }
    assert_int_equal (tombstones, 0);

    //  The name can be used again, with a later version
    uint64_t again = 0;
    s_assert_put (self, self->client, "gone/file", data, 10, 1, &again, NULL);
    assert_true (again > version);
    s_assert_get (self, self->client, "gone/file", data, 10, again);
    free (data);
}

static void
test_unavailable (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    byte *data = zs_testkit_random (3 * ZS_CHUNK_SIZE);
    //  Four copies need four live buckets; there are three
    assert_int_equal (s_put (self, self->client, "four", data, 100, 4, NULL, NULL), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_UNAVAILABLE);
    //  Also when the client had sent chunks before the refusal came
    assert_int_equal (s_put (self, self->client, "four", data, 3 * ZS_CHUNK_SIZE, 4, NULL, NULL),
                      -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_UNAVAILABLE);
    //  More than the protocol allows
    assert_int_equal (
        s_put (self, self->client, "four", data, 100, ZS_REPLICAS_MAX + 1, NULL, NULL), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_BAD_REQUEST);
    //  Nothing was stored, nothing was left behind
    assert_null (zs_client_stat (self->client, "four"));
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_NOT_FOUND);
    int64_t deadline = zclock_mono () + DEADLINE;
    size_t temporary = BUCKETS;
    while (temporary && zclock_mono () < deadline) {
        temporary = 0;
        for (int index = 0; index < BUCKETS; index++)
            temporary += s_files_in (self, index, "tmp");
        if (temporary)
            zclock_sleep (POLL_INTERVAL);
    }
    assert_int_equal (temporary, 0);
    //  And the cluster still takes files
    s_assert_put (self, self->client, "four", data, 100, 3, NULL, NULL);
    free (data);
}

static void
test_bad_names (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    char longest[ZS_NAME_MAX + 2];
    memset (longest, 'n', ZS_NAME_MAX + 1);
    longest[ZS_NAME_MAX + 1] = 0;
    const char *names[] = { "",         "/rooted", "a//b",     "trailing/", ".",
                            "..",       "a/./b",   "a/../b",   "../up",     "tab\there",
                            "nl\nhere", "del\x7f", "\xff\xfe", "\xc0\xaf",  longest };
    size_t count = sizeof (names) / sizeof (names[0]);
    //  A client of a gateway nobody serves: a call that sent anything would
    //  end in a timeout, not in BAD_REQUEST
    zs_client_t *offline = zs_client_new ("inproc://zs-test-cluster-nobody", "alice");
    assert_non_null (offline);
    zs_client_set_timeout (offline, 300);
    zs_client_t *clients[] = { self->client, offline };
    byte data[16] = { 0 };
    s_write_file (self->input, data, sizeof (data));
    for (size_t which = 0; which < 2; which++) {
        zs_client_t *client = clients[which];
        for (size_t index = 0; index < count; index++) {
            const char *name = names[index];
            int fd = open (self->input, O_RDONLY);
            assert_true (fd >= 0);
            assert_int_equal (zs_client_put (client, name, fd, 1, NULL, NULL), -1);
            assert_int_equal (zs_client_status_code (client), ZS_STATUS_BAD_REQUEST);
            //  Not a byte was read
            assert_int_equal (lseek (fd, 0, SEEK_CUR), 0);
            close (fd);
            fd = open (self->output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            assert_true (fd >= 0);
            assert_int_equal (zs_client_get (client, name, fd, NULL), -1);
            assert_int_equal (zs_client_status_code (client), ZS_STATUS_BAD_REQUEST);
            close (fd);
            assert_null (zs_client_stat (client, name));
            assert_int_equal (zs_client_status_code (client), ZS_STATUS_BAD_REQUEST);
            assert_int_equal (zs_client_remove (client, name), -1);
            assert_int_equal (zs_client_status_code (client), ZS_STATUS_BAD_REQUEST);
            assert_int_equal (zs_client_set_replicas (client, name, 2, NULL), -1);
            assert_int_equal (zs_client_status_code (client), ZS_STATUS_BAD_REQUEST);
            assert_true (strlen (zs_client_error (client)) > 0);
        }
    }
    //  The offline client does try a good name, and times out
    assert_null (zs_client_stat (offline, "fine"));
    assert_int_equal (zs_client_status_code (offline), ZS_STATUS_TIMEOUT);
    zs_client_destroy (&offline);
    //  A user name that is not valid makes no client
    errno = 0;
    assert_null (zs_client_new (self->clients, "-bad"));
    assert_int_equal (errno, EINVAL);
    assert_null (zs_client_new (self->clients, ""));
    assert_null (zs_client_new (self->clients, "a/b"));
    //  The client that refused all that still works with a good name
    s_assert_put (self, self->client, "ok/name", data, 16, 1, NULL, NULL);
}

//  Runs last: the cluster has a bucket fewer afterwards
static void
test_bucket_lost (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    byte *data = zs_testkit_random (BIG);
    uint64_t version = 0;
    s_assert_put (self, self->client, "lost/file", data, BIG, 2, &version, NULL);
    zs_fileinfo_t *info = s_assert_stat (self->client, "lost/file", data, BIG, version, 2, 2);
    unsigned holders = s_holders (info->buckets);
    zs_fileinfo_destroy (&info);
    assert_int_equal (s_count_bits (holders), 2);
    int victim = 0;
    while (!(holders & (1u << victim)))
        victim++;
    zactor_destroy (&self->buckets[victim]);

    //  Still readable, from the other copy, whether or not the gateway knows yet
    s_assert_get (self, self->client, "lost/file", data, BIG, version);

    //  The gateway notices, and soon counts the bucket dead
    int64_t deadline = zclock_mono () + DEADLINE;
    char state_seen[16] = "";
    while (zclock_mono () < deadline) {
        zs_proto_t *status = zs_client_status (self->client);
        assert_non_null (status);
        const zs_bucketinfo_t *bucket = s_bucket_info (status, s_ids[victim]);
        assert_non_null (bucket);
        snprintf (state_seen, sizeof (state_seen), "%s", bucket->state);
        zs_proto_destroy (&status);
        if (streq (state_seen, "dead"))
            break;
        zclock_sleep (POLL_INTERVAL);
    }
    assert_string_equal (state_seen, "dead");
    zs_proto_t *status = zs_client_status (self->client);
    assert_non_null (status);
    assert_int_equal (s_alive (status), BUCKETS - 1);
    assert_true (zs_proto_under_replicated (status) >= 1);
    zs_proto_destroy (&status);

    //  One live copy left, still readable
    info = s_assert_stat (self->client, "lost/file", data, BIG, version, 2, 1);
    assert_int_equal (s_holders (info->buckets), holders & ~(1u << victim));
    zs_fileinfo_destroy (&info);
    s_assert_get (self, self->client, "lost/file", data, BIG, version);
    //  New files go to the live buckets only
    assert_int_equal (s_put (self, self->client, "lost/three", data, 100, 3, NULL, NULL), -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_UNAVAILABLE);
    uint64_t later = 0;
    s_assert_put (self, self->client, "lost/two", data, 100, 2, &later, NULL);
    info = s_assert_stat (self->client, "lost/two", data, 100, later, 2, 2);
    assert_false (s_holders (info->buckets) & (1u << victim));
    zs_fileinfo_destroy (&info);
    free (data);
}

//  --------------------------------------------------------------------------
//  The gateway's commands, on a gateway of its own

typedef struct {
    zactor_t *gateway;   //  Not started by the setup
    zs_client_t *client; //  Once the test started it
    char *endpoints[4];  //  "OK" and the endpoints START gave
} lone_t;

static int
s_lone_setup (void **state)
{
    lone_t *self = (lone_t *) calloc (1, sizeof (lone_t));
    *state = self;
    if (self)
        self->gateway = zactor_new (zs_gateway_actor, NULL);
    return self && self->gateway ? 0 : -1;
}

static int
s_lone_teardown (void **state)
{
    lone_t *self = (lone_t *) *state;
    if (self) {
        zs_client_destroy (&self->client);
        zactor_destroy (&self->gateway);
        for (size_t index = 0; index < 4; index++)
            zstr_free (&self->endpoints[index]);
        free (self);
        *state = NULL;
    }
    return 0;
}

//  The reply to a command must be an error: not "OK", and saying something
static void
s_assert_refused (zactor_t *actor, const char *command, ...)
{
    va_list args;
    va_start (args, command);
    char *reply = s_vcommand (actor, command, args);
    va_end (args);
    assert_non_null (reply);
    assert_string_not_equal (reply, "OK");
    assert_true (strlen (reply) > 0);
    zstr_free (&reply);
}

static void
test_gateway_commands (void **state)
{
    lone_t *self = (lone_t *) *state;
    zactor_t *gateway = self->gateway;
    s_assert_refused (gateway, "SET", "heartbeat", "5", NULL);
    s_assert_refused (gateway, "SET", "liveness", "0", NULL);
    s_assert_refused (gateway, "SET", "default-replicas", "17", NULL);
    s_assert_refused (gateway, "SET", "no-such-setting", "1", NULL);
    s_assert_refused (gateway, "SET", "heartbeat", NULL);
    assert_true (s_command_ok (gateway, "SET", "heartbeat", "200", NULL));
    assert_true (s_command_ok (gateway, "SET", "recovery", "0", NULL));
    //  START wants three endpoints it can bind
    s_assert_refused (gateway, "START", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", NULL);
    s_assert_refused (gateway, "START", "tcp://127.0.0.1:*", "nonsense", "tcp://127.0.0.1:*", NULL);
    zstr_sendx (gateway, "START", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                NULL);
    zsock_set_rcvtimeo (zactor_sock (gateway), ACTOR_TIMEOUT);
    assert_int_equal (zstr_recvx (gateway, &self->endpoints[0], &self->endpoints[1],
                                  &self->endpoints[2], &self->endpoints[3], NULL),
                      4);
    zsock_set_rcvtimeo (zactor_sock (gateway), -1);
    assert_string_equal (self->endpoints[0], "OK");
    self->client = zs_client_new (self->endpoints[1], "alice");
    assert_non_null (self->client);
    zs_client_set_timeout (self->client, 2000);
    zs_proto_t *status = zs_client_status (self->client);
    assert_non_null (status);
    assert_int_equal (zlistx_size (zs_proto_buckets (status)), 0);
    zs_proto_destroy (&status);
    //  No buckets, no room for a file, even an empty one read from a pipe
    //  (while the gateway recovers, just after its start, buckets may yet
    //  come: it says so, and a put from a pipe cannot be retried)
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    close (fds[1]);
    assert_int_equal (zs_client_put (self->client, "nowhere", fds[0], 1, NULL, NULL), -1);
    int code = zs_client_status_code (self->client);
    assert_true (code == ZS_STATUS_UNAVAILABLE || code == ZS_STATUS_RECOVERING);
    close (fds[0]);

    //  Started once only: a second START is refused...
    s_assert_refused (gateway, "START", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                      "tcp://127.0.0.1:*", NULL);
    //  ... and leaves the running gateway as it was, serving its clients
    status = zs_client_status (self->client);
    if (!status)
        print_error ("STATUS after a refused second START: %s\n", zs_client_error (self->client));
    assert_non_null (status);
    zs_proto_destroy (&status);
    assert_true (s_command_ok (gateway, "SET", "transfer-timeout", "30000", NULL));
}

//  --------------------------------------------------------------------------
//  A fake bucket: an actor that speaks the bucket side of the protocol as a
//  test scripts it, and records what the gateway sends it. It keeps no
//  content: it answers the messages of a store as a bucket would, and every
//  FETCH with DONE 500.
//
//  Commands on its pipe, each answered "OK" or with why not:
//      REGISTER            close its socket if it has one, open a new one and
//                          send REGISTER; after WELCOME it reports its
//                          inventory in two batches, the first with more=1
//      REPORT <batch> <p>  add a record (zs_fileinfo_t, taken over) to the
//                          "first" or the "last" batch of its inventories
//      HOLD                pause the next inventory after its first batch
//      FINISH              send the last batch of the paused inventory
//      ANSWER <cmd> <how>  how to answer the gateway's <cmd> from now on:
//                          "ok" (as a bucket would), "ignore", "fail" (DONE
//                          500) or "vanish" (close the socket, say nothing)
//      VANISH              close the socket, unannounced
//      STATE               its state: "none" (no socket), "registering",
//                          "inventory", "held" (its first batch was
//                          acknowledged, FINISH awaited) or "ready"
//      SEEN <cmd> <name>   how many <cmd> for that file name came, and a
//                          copy of the last (fake_seen_t, or NULL), as the
//                          picture "ip"

#define FAKE_USED_SMALL 0            //  Reports no use: the emptiest bucket
#define FAKE_FREE       (1ULL << 40) //  ... of 1 TiB
#define FAKE_USED_LARGE (1ULL << 50) //  Nearly full, with room for a file
#define FAKE_ZONE       "zf"         //  A zone of its own
#define FAKE_MESSAGES   256          //  Message ids are one byte

typedef enum { FAKE_OK, FAKE_IGNORE, FAKE_FAIL, FAKE_VANISH } fake_answer_t;

//  What the fake was told: a message of the gateway, with the file it is
//  about (for STORE_END, COMMIT and ABORT, from their STORE_BEGIN). The
//  record's buckets hold a DELETE's pending list; its desired, a count.
typedef struct {
    int command;         //  ZS_PROTO_ message id
    uint64_t transfer;   //  Its transfer id
    zs_fileinfo_t *file; //  user, name, version, size, stamp, desired, checksum
} fake_seen_t;

static fake_seen_t *
s_seen_new (int command, uint64_t transfer, const zs_fileinfo_t *file)
{
    fake_seen_t *self = (fake_seen_t *) zmalloc (sizeof (fake_seen_t));
    assert (self);
    self->command = command;
    self->transfer = transfer;
    self->file = file ? zs_fileinfo_dup (file) : zs_fileinfo_new ();
    assert (self->file);
    return self;
}

static void
s_seen_destroy (fake_seen_t **self_p)
{
    if (*self_p) {
        zs_fileinfo_destroy (&(*self_p)->file);
        free (*self_p);
        *self_p = NULL;
    }
}

//  What the fake is started with; copied before zactor_new returns
typedef struct {
    const char *id;
    const char *endpoint; //  The gateway's bucket endpoint
    uint64_t used;        //  What it reports in REGISTER and HEARTBEAT
    uint64_t free;
} fake_args_t;

typedef struct {
    zsock_t *pipe;
    zpoller_t *poller;
    zsock_t *gateway; //  DEALER; NULL before REGISTER and after a vanishing
    zs_proto_t *message;
    zs_proto_t *reply;
    char *id;
    char *endpoint;
    byte instance[ZS_INSTANCE_SIZE];
    uint64_t used;
    uint64_t free;
    zlistx_t *first; //  Records of the first batch of every inventory
    zlistx_t *last;  //  Records of the last batch
    bool hold;       //  Pause the next inventory after its first batch
    const char *state;
    fake_answer_t answers[FAKE_MESSAGES];
    zlistx_t *seen; //  fake_seen_t, oldest first
    bool terminated;
} fake_t;

static void
s_fileinfo_free (void **item)
{
    zs_fileinfo_destroy ((zs_fileinfo_t **) item);
}

static void
s_seen_free (void **item)
{
    s_seen_destroy ((fake_seen_t **) item);
}

static fake_t *
s_fake_new (zsock_t *pipe, const fake_args_t *args)
{
    fake_t *self = (fake_t *) zmalloc (sizeof (fake_t));
    assert (self);
    self->pipe = pipe;
    self->poller = zpoller_new (pipe, NULL);
    self->message = zs_proto_new ();
    self->reply = zs_proto_new ();
    self->id = strdup (args->id);
    self->endpoint = strdup (args->endpoint);
    //  The same data folder for as long as the fake lives
    snprintf ((char *) self->instance, ZS_INSTANCE_SIZE, "fake-%s", args->id);
    self->used = args->used;
    self->free = args->free;
    self->first = zlistx_new ();
    zlistx_set_destructor (self->first, s_fileinfo_free);
    self->last = zlistx_new ();
    zlistx_set_destructor (self->last, s_fileinfo_free);
    self->seen = zlistx_new ();
    zlistx_set_destructor (self->seen, s_seen_free);
    self->state = "none";
    self->answers[ZS_PROTO_FETCH] = FAKE_FAIL; //  It has no content to serve
    assert (self->poller && self->message && self->reply && self->id && self->endpoint);
    return self;
}

static void
s_fake_destroy (fake_t **self_p)
{
    if (*self_p) {
        fake_t *self = *self_p;
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->gateway);
        zs_proto_destroy (&self->message);
        zs_proto_destroy (&self->reply);
        zlistx_destroy (&self->first);
        zlistx_destroy (&self->last);
        zlistx_destroy (&self->seen);
        free (self->id);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

static void
s_fake_send (fake_t *self)
{
    if (self->gateway)
        zs_proto_send (self->reply, self->gateway);
    zs_proto_reset (self->reply);
}

static void
s_fake_vanish (fake_t *self)
{
    if (self->gateway) {
        zpoller_remove (self->poller, self->gateway);
        zsock_destroy (&self->gateway);
    }
    self->state = "none";
}

static void
s_fake_register (fake_t *self)
{
    s_fake_vanish (self);
    self->gateway = zsock_new (ZMQ_DEALER);
    assert (self->gateway);
    zsock_set_linger (self->gateway, 0);
    zsock_set_sndtimeo (self->gateway, 0);
    zsock_connect (self->gateway, "%s", self->endpoint);
    zpoller_add (self->poller, self->gateway);
    zs_proto_set_id (self->reply, ZS_PROTO_REGISTER);
    zs_proto_set_bucket (self->reply, self->id);
    zs_proto_set_zone (self->reply, FAKE_ZONE);
    zs_proto_set_instance (self->reply, self->instance);
    zs_proto_set_capacity (self->reply, self->used + self->free);
    zs_proto_set_used (self->reply, self->used);
    zs_proto_set_free (self->reply, self->free);
    zs_proto_set_files (self->reply, zlistx_size (self->first) + zlistx_size (self->last));
    s_fake_send (self);
    self->state = "registering";
}

static void
s_fake_batch (fake_t *self, zlistx_t *records, bool more)
{
    zs_proto_set_id (self->reply, ZS_PROTO_INVENTORY);
    const zs_fileinfo_t *record = (const zs_fileinfo_t *) zlistx_first (records);
    for (; record; record = (const zs_fileinfo_t *) zlistx_next (records))
        zs_proto_add_entry (self->reply, record);
    zs_proto_set_more (self->reply, more);
    s_fake_send (self);
}

//  The latest record of a transfer's STORE_BEGIN, if one came
static fake_seen_t *
s_fake_begun (fake_t *self, uint64_t transfer)
{
    fake_seen_t *seen = (fake_seen_t *) zlistx_last (self->seen);
    for (; seen; seen = (fake_seen_t *) zlistx_prev (self->seen))
        if (seen->command == ZS_PROTO_STORE_BEGIN && seen->transfer == transfer)
            return seen;
    return NULL;
}

//  Notes what the gateway sent
static void
s_fake_note (fake_t *self)
{
    zs_proto_t *message = self->message;
    int command = zs_proto_id (message);
    uint64_t transfer = zs_proto_transfer (message);
    fake_seen_t *begun = s_fake_begun (self, transfer);
    fake_seen_t *seen = s_seen_new (command, transfer, begun ? begun->file : NULL);
    zs_fileinfo_t *file = seen->file;
    bool about_file = command == ZS_PROTO_STORE_BEGIN || command == ZS_PROTO_SET_REPLICAS
                      || command == ZS_PROTO_DROP || command == ZS_PROTO_DELETE
                      || command == ZS_PROTO_FORGET || command == ZS_PROTO_FETCH;
    if (about_file) {
        free (file->user);
        free (file->name);
        file->user = strdup (zs_proto_user (message));
        file->name = strdup (zs_proto_name (message));
        file->version = zs_proto_version (message);
    }
    if (command == ZS_PROTO_STORE_BEGIN || command == ZS_PROTO_SET_REPLICAS) {
        file->desired = zs_proto_replicas (message);
        file->stamp = zs_proto_stamp (message);
    }
    if (command == ZS_PROTO_STORE_BEGIN)
        file->size = zs_proto_size (message);
    if (command == ZS_PROTO_STORE_END) {
        file->size = zs_proto_size (message);
        memcpy (file->checksum, zs_proto_checksum (message), ZS_CHECKSUM_SIZE);
    }
    if (command == ZS_PROTO_DELETE) {
        free (file->buckets);
        file->buckets = strdup (zs_proto_pending (message));
    }
    assert (file->user && file->name && file->buckets);
    zlistx_add_end (self->seen, seen);
}

//  Answers a message of the gateway's work as scripted
static void
s_fake_answer (fake_t *self)
{
    int command = zs_proto_id (self->message);
    uint64_t transfer = zs_proto_transfer (self->message);
    fake_answer_t how = self->answers[command];
    if (how == FAKE_VANISH) {
        s_fake_vanish (self);
        return;
    }
    if (how == FAKE_IGNORE || command == ZS_PROTO_ABORT || command == ZS_PROTO_FETCH_CREDIT
        || (command == ZS_PROTO_STORE_BEGIN && how == FAKE_OK))
        return;
    if (how == FAKE_OK && command == ZS_PROTO_STORE_CHUNK) {
        zs_proto_set_id (self->reply, ZS_PROTO_STORE_ACK);
        zs_proto_set_transfer (self->reply, transfer);
        zs_proto_set_seq (self->reply, zs_proto_seq (self->message) + 1);
    }
    else if (how == FAKE_OK && command == ZS_PROTO_STORE_END) {
        zs_proto_set_id (self->reply, ZS_PROTO_STORE_READY);
        zs_proto_set_transfer (self->reply, transfer);
    }
    else {
        zs_proto_set_id (self->reply, ZS_PROTO_DONE);
        zs_proto_set_transfer (self->reply, transfer);
        zs_proto_set_status (self->reply, how == FAKE_OK ? ZS_STATUS_OK : ZS_STATUS_INTERNAL);
        zs_proto_set_reason (self->reply, "%s", how == FAKE_OK ? "" : "fake failure");
    }
    s_fake_send (self);
}

static void
s_fake_handle_gateway (fake_t *self)
{
    if (zs_proto_recv (self->message, self->gateway))
        return;
    switch (zs_proto_id (self->message)) {
        case ZS_PROTO_WELCOME:
            s_fake_batch (self, self->first, true);
            self->state = "inventory";
            break;
        case ZS_PROTO_INVENTORY_ACK:
            if (streq (self->state, "inventory") && self->hold) {
                self->hold = false;
                self->state = "held";
            }
            else if (streq (self->state, "inventory")) {
                s_fake_batch (self, self->last, false);
                self->state = "ready";
            }
            break;
        case ZS_PROTO_HEARTBEAT:
            zs_proto_set_id (self->reply, ZS_PROTO_HEARTBEAT);
            zs_proto_set_clock (self->reply, zs_proto_clock (self->message));
            zs_proto_set_used (self->reply, self->used);
            zs_proto_set_free (self->reply, self->free);
            zs_proto_set_files (self->reply, zlistx_size (self->first) + zlistx_size (self->last));
            s_fake_send (self);
            break;
        case ZS_PROTO_REFUSED:
        case ZS_PROTO_REREGISTER:
            zsys_warning ("fake bucket %s: %s from the gateway", self->id,
                          zs_proto_command (self->message));
            s_fake_note (self);
            break;
        default:
            if (zs_proto_id (self->message) != ZS_PROTO_STORE_CHUNK)
                s_fake_note (self);
            s_fake_answer (self);
            break;
    }
}

static int
s_command_id (const char *name)
{
    for (int id = 0; id < FAKE_MESSAGES; id++)
        if (streq (zs_proto_command_name (id), name))
            return id;
    return -1;
}

static void
s_fake_handle_pipe (fake_t *self)
{
    zmsg_t *request = zmsg_recv (self->pipe);
    if (!request) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (request);
    const char *reply = "OK";
    if (!command || streq (command, "$TERM")) {
        self->terminated = true;
        reply = NULL;
    }
    else if (streq (command, "REGISTER"))
        s_fake_register (self);
    else if (streq (command, "REPORT")) {
        char *batch = zmsg_popstr (request);
        zframe_t *pointer = zmsg_pop (request);
        zs_fileinfo_t *record = NULL;
        if (pointer && zframe_size (pointer) == sizeof (record))
            memcpy (&record, zframe_data (pointer), sizeof (record));
        if (record && batch && (streq (batch, "first") || streq (batch, "last")))
            zlistx_add_end (streq (batch, "first") ? self->first : self->last, record);
        else {
            zs_fileinfo_destroy (&record);
            reply = "REPORT needs first or last, and a record";
        }
        zframe_destroy (&pointer);
        zstr_free (&batch);
    }
    else if (streq (command, "HOLD"))
        self->hold = true;
    else if (streq (command, "FINISH")) {
        if (streq (self->state, "held")) {
            s_fake_batch (self, self->last, false);
            self->state = "ready";
        }
        else
            reply = "no inventory is held";
    }
    else if (streq (command, "ANSWER")) {
        char *name = zmsg_popstr (request), *how = zmsg_popstr (request);
        int id = name ? s_command_id (name) : -1;
        const char *hows[] = { "ok", "ignore", "fail", "vanish" };
        reply = "ANSWER needs a message name and ok, ignore, fail or vanish";
        for (int index = 0; index < 4 && id >= 0 && how; index++)
            if (streq (how, hows[index])) {
                self->answers[id] = (fake_answer_t) index;
                reply = "OK";
            }
        zstr_free (&name);
        zstr_free (&how);
    }
    else if (streq (command, "VANISH"))
        s_fake_vanish (self);
    else if (streq (command, "STATE"))
        reply = self->state;
    else if (streq (command, "SEEN")) {
        char *name = zmsg_popstr (request), *file = zmsg_popstr (request);
        int id = name ? s_command_id (name) : -1;
        int count = 0;
        fake_seen_t *last = NULL;
        fake_seen_t *seen = (fake_seen_t *) zlistx_first (self->seen);
        for (; seen; seen = (fake_seen_t *) zlistx_next (self->seen))
            if (seen->command == id && file && streq (seen->file->name, file)) {
                count++;
                last = seen;
            }
        zsock_send (self->pipe, "ip", count,
                    last ? s_seen_new (last->command, last->transfer, last->file) : NULL);
        reply = NULL;
        zstr_free (&name);
        zstr_free (&file);
    }
    else
        reply = "unknown command";
    if (reply)
        zstr_send (self->pipe, reply);
    zstr_free (&command);
    zmsg_destroy (&request);
}

static void
s_fake_actor (zsock_t *pipe, void *args)
{
    fake_t *self = s_fake_new (pipe, (const fake_args_t *) args);
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        zsock_t *which = (zsock_t *) zpoller_wait (self->poller, -1);
        if (which == pipe)
            s_fake_handle_pipe (self);
        else if (which && which == self->gateway)
            s_fake_handle_gateway (self);
        else if (zpoller_terminated (self->poller))
            break;
    }
    s_fake_destroy (&self);
}

//  --------------------------------------------------------------------------
//  Tests with a fake bucket, on a cluster of two real buckets

#define FAKE_REAL_BUCKETS     2
#define FAKE_TRANSFER_TIMEOUT 2000 //  ms; also how long an inventory may take

static int
s_fake_setup (void **state)
{
    char timeout[16];
    snprintf (timeout, sizeof (timeout), "%d", FAKE_TRANSFER_TIMEOUT);
    int rc = s_start (state, FAKE_REAL_BUCKETS, timeout);
    if (rc)
        s_teardown (state);
    return rc;
}

//  The first frame of an actor's reply, or NULL when none comes in time
static char *
s_actor_reply (zactor_t *actor)
{
    zpoller_t *poller = zpoller_new (actor, NULL);
    char *reply = zpoller_wait (poller, ACTOR_TIMEOUT) ? zstr_recv (actor) : NULL;
    zpoller_destroy (&poller);
    return reply;
}

//  Whether a comma-separated list of bucket ids names id
static bool
s_names (const char *list, const char *id)
{
    size_t length = strlen (id);
    for (const char *item = list; item && *item; item = strchr (item, ',')) {
        if (*item == ',')
            item++;
        if (strncmp (item, id, length) == 0 && (item[length] == ',' || item[length] == 0))
            return true;
    }
    return false;
}

//  Index of the real bucket a holder list names, or -1 when it names none
static int
s_real_holder (cluster_t *self, const char *list)
{
    for (int index = 0; index < (int) self->count; index++)
        if (s_names (list, s_ids[index]))
            return index;
    return -1;
}

//  Polls STATUS until the gateway shows bucket id in state, or the
//  deadline passes; false then
static bool
s_wait_bucket (zs_client_t *client, const char *id, const char *state)
{
    int64_t deadline = zclock_mono () + DEADLINE;
    while (zclock_mono () < deadline) {
        zs_proto_t *status = zs_client_status (client);
        const zs_bucketinfo_t *bucket = status ? s_bucket_info (status, id) : NULL;
        bool reached = bucket && streq (bucket->state, state);
        zs_proto_destroy (&status);
        if (reached)
            return true;
        zclock_sleep (POLL_INTERVAL);
    }
    return false;
}

//  Before each test: the fake of an earlier test gone, the real buckets
//  alive and each holding something, so that a fake reporting no use at
//  all is the emptiest bucket
static void
s_fake_begin (cluster_t *self)
{
    zactor_destroy (&self->fake);
    assert_true (s_wait_cluster (self->client, self->count));
    zs_fileinfo_t *ballast = zs_client_stat (self->client, "ballast");
    if (!ballast) {
        byte data[100] = { 0 };
        s_assert_put (self, self->client, "ballast", data, sizeof (data), (uint8_t) self->count,
                      NULL, NULL);
    }
    zs_fileinfo_destroy (&ballast);
    int64_t deadline = zclock_mono () + DEADLINE;
    bool used = false;
    while (!used && zclock_mono () < deadline) {
        zs_proto_t *status = zs_client_status (self->client);
        assert_non_null (status);
        used = true;
        for (size_t index = 0; index < self->count; index++) {
            const zs_bucketinfo_t *bucket = s_bucket_info (status, s_ids[index]);
            used &= bucket && bucket->used > 0;
        }
        zs_proto_destroy (&status);
        if (!used)
            zclock_sleep (POLL_INTERVAL);
    }
    assert_true (used);
}

//  Starts the cluster's fake bucket, registered and alive
static zactor_t *
s_fake_start (cluster_t *self, const char *id, uint64_t used, uint64_t available, ...)
{
    fake_args_t args = { id, self->backend, used, available };
    self->fake = zactor_new (s_fake_actor, &args);
    assert_non_null (self->fake);
    //  Answers scripted before it registers: pairs of message and answer
    va_list answers;
    va_start (answers, available);
    for (const char *command = va_arg (answers, const char *); command;
         command = va_arg (answers, const char *))
        assert_true (
            s_command_ok (self->fake, "ANSWER", command, va_arg (answers, const char *), NULL));
    va_end (answers);
    assert_true (s_command_ok (self->fake, "REGISTER", NULL));
    assert_true (s_wait_bucket (self->client, id, "alive"));
    return self->fake;
}

//  Gives the fake a copy of record for the first or last batch of its
//  inventories
static void
s_fake_report (zactor_t *fake, const char *batch, const zs_fileinfo_t *record)
{
    zs_fileinfo_t *copy = zs_fileinfo_dup (record);
    assert_non_null (copy);
    assert_int_equal (zsock_send (fake, "ssp", "REPORT", batch, copy), 0);
    char *reply = s_actor_reply (fake);
    assert_non_null (reply);
    assert_string_equal (reply, "OK");
    zstr_free (&reply);
}

//  Polls the fake until its state is state, or the deadline passes
static bool
s_fake_wait_state (zactor_t *fake, const char *state)
{
    int64_t deadline = zclock_mono () + DEADLINE;
    char *reply = NULL;
    while (zclock_mono () < deadline) {
        zstr_send (fake, "STATE");
        reply = s_actor_reply (fake);
        bool reached = reply && streq (reply, state);
        if (reached) {
            zstr_free (&reply);
            return true;
        }
        zstr_free (&reply);
        zclock_sleep (POLL_INTERVAL);
    }
    return false;
}

//  How many command the fake was sent about name, waiting up to timeout ms
//  for the first; the last one goes to seen (the caller destroys it) when
//  seen is not NULL
static int
s_fake_seen (zactor_t *fake, const char *command, const char *name, int64_t timeout,
             fake_seen_t **seen)
{
    int64_t deadline = zclock_mono () + timeout;
    while (true) {
        assert_int_equal (zstr_sendx (fake, "SEEN", command, name, NULL), 0);
        zpoller_t *poller = zpoller_new (fake, NULL);
        bool answered = zpoller_wait (poller, ACTOR_TIMEOUT) != NULL;
        zpoller_destroy (&poller);
        assert_true (answered);
        int count = 0;
        void *last = NULL;
        assert_int_equal (zsock_recv (fake, "ip", &count, &last), 0);
        fake_seen_t *found = (fake_seen_t *) last;
        if (count || zclock_mono () >= deadline) {
            if (seen)
                *seen = found;
            else
                s_seen_destroy (&found);
            return count;
        }
        s_seen_destroy (&found);
        zclock_sleep (POLL_INTERVAL);
    }
}

//  Whether a real bucket keeps a tombstone of the user's name
static bool
s_keeps_tombstone (cluster_t *self, int bucket, const char *user, const char *name)
{
    char key[ZS_OBJECT_KEY_SIZE + 1], folder[256];
    zs_object_key (user, name, key);
    snprintf (folder, sizeof (folder), "%s/tombstones", self->data[bucket]);
    DIR *dir = opendir (folder);
    assert_non_null (dir);
    bool found = false;
    struct dirent *entry;
    while (!found && (entry = readdir (dir))) {
        char got[ZS_OBJECT_KEY_SIZE + 1];
        uint64_t version;
        found = zs_object_parse_filename (entry->d_name, got, &version) == 0 && streq (got, key);
    }
    closedir (dir);
    return found;
}

//  The tombstone of the user's name a real bucket keeps: the removal's
//  version, and the pending list written after the header
static uint64_t
s_tombstone (cluster_t *self, int bucket, const char *user, const char *name, char *pending,
             size_t size)
{
    char key[ZS_OBJECT_KEY_SIZE + 1], folder[256], path[512];
    zs_object_key (user, name, key);
    snprintf (folder, sizeof (folder), "%s/tombstones", self->data[bucket]);
    DIR *dir = opendir (folder);
    assert_non_null (dir);
    uint64_t version = 0;
    struct dirent *entry;
    while (!version && (entry = readdir (dir))) {
        char got[ZS_OBJECT_KEY_SIZE + 1];
        uint64_t found;
        if (zs_object_parse_filename (entry->d_name, got, &found) == 0 && streq (got, key)) {
            version = found;
            snprintf (path, sizeof (path), "%s/%s", folder, entry->d_name);
        }
    }
    closedir (dir);
    if (!version)
        return 0;
    size_t length = 0, header = 0;
    byte *content = s_read_file (path, &length);
    zs_fileinfo_t *info = zs_fileinfo_new ();
    assert_non_null (info);
    int rc = zs_object_decode_header (content, length, info, &header);
    bool valid = rc == 0 && (info->flags & ZS_FILE_TOMBSTONE) && info->version == version
                 && streq (info->user, user) && streq (info->name, name);
    if (valid)
        snprintf (pending, size, "%.*s", (int) (length - header), (const char *) content + header);
    zs_fileinfo_destroy (&info);
    free (content);
    assert_true (valid);
    return version;
}

//  Stat must say there is no such file (not "try again")
static void
s_assert_no_file (zs_client_t *client, const char *name)
{
    zs_fileinfo_t *info = zs_client_stat (client, name);
    if (info)
        print_error ("%s is back: version %" PRIu64 ", on %s\n", name, info->version,
                     info->buckets);
    assert_null (info);
    assert_int_equal (zs_client_status_code (client), ZS_STATUS_NOT_FOUND);
    zlistx_t *files = zs_client_list (client);
    assert_non_null (files);
    const zs_fileinfo_t *file = (const zs_fileinfo_t *) zlistx_first (files);
    for (; file; file = (const zs_fileinfo_t *) zlistx_next (files))
        assert_string_not_equal (file->name, name);
    zlistx_destroy (&files);
}

//  A holder of a file re-registers, and its inventory pauses before that
//  file; meanwhile the file is removed. The removal must wait for it, and
//  reach it once it has reported the file.
static void
test_remove_while_rejoining (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    s_fake_begin (self);
    zactor_t *fake = s_fake_start (self, "f1", FAKE_USED_SMALL, FAKE_FREE, NULL);
    const char *name = "rejoin/file";
    byte *data = zs_testkit_random (3000);
    uint64_t version = 0;
    //  The fake, the emptiest bucket, takes one of the two copies
    s_assert_put (self, self->client, name, data, 3000, 2, &version, NULL);
    zs_fileinfo_t *info = s_assert_stat (self->client, name, data, 3000, version, 2, 2);
    assert_true (s_names (info->buckets, "f1"));
    int real = s_real_holder (self, info->buckets);
    assert_true (real >= 0);
    assert_int_equal (s_fake_seen (fake, "COMMIT", name, 0, NULL), 1);

    //  It registers again on a new connection; its inventory reports the
    //  file in its last batch, and stops after the first
    free (info->user);
    info->user = strdup ("alice");
    free (info->buckets);
    info->buckets = strdup ("");
    info->actual = 0;
    s_fake_report (fake, "last", info);
    zs_fileinfo_destroy (&info);
    assert_true (s_command_ok (fake, "HOLD", NULL));
    assert_true (s_command_ok (fake, "REGISTER", NULL));
    assert_true (s_fake_wait_state (fake, "held"));

    //  The removal: recorded on the real holder, with the fake pending
    int rc = zs_client_remove (self->client, name);
    if (rc)
        print_error ("remove %s: %s\n", name, zs_client_error (self->client));
    assert_int_equal (rc, 0);
    char pending[ZS_TEXT_MAX + 1] = "";
    uint64_t removal = s_tombstone (self, real, "alice", name, pending, sizeof (pending));
    assert_true (removal > version);
    if (!s_names (pending, "f1"))
        print_error ("the removal waits for '%s', not for the re-registering holder f1\n", pending);
    assert_true (s_names (pending, "f1"));
    assert_int_equal (s_disk_holders (self, "alice", name, version, 2), 0);
    s_assert_no_file (self->client, name);

    //  The rest of the inventory, with the file: the removal reaches it
    assert_true (s_command_ok (fake, "FINISH", NULL));
    fake_seen_t *deleted = NULL;
    int deletes = s_fake_seen (fake, "DELETE", name, DEADLINE, &deleted);
    uint64_t deleted_version = deleted ? deleted->file->version : 0;
    s_seen_destroy (&deleted);
    if (!deletes)
        print_error ("the re-registered holder never got DELETE of %s\n", name);
    assert_true (deletes >= 1);
    assert_int_equal (deleted_version, removal);

    //  It answered: nobody is pending, the keeper forgets the tombstone
    int64_t deadline = zclock_mono () + DEADLINE;
    while (s_keeps_tombstone (self, real, "alice", name) && zclock_mono () < deadline)
        zclock_sleep (POLL_INTERVAL);
    assert_false (s_keeps_tombstone (self, real, "alice", name));
    //  And nothing brings the file back, for a few heartbeats at least
    deadline = zclock_mono () + 500;
    while (zclock_mono () < deadline) {
        s_assert_no_file (self->client, name);
        zclock_sleep (POLL_INTERVAL);
    }
    zactor_destroy (&self->fake);
    free (data);
}

//  A put whose commit a bucket never confirms fails; the copy that bucket
//  committed all the same is dropped when it reports it, never taken for
//  the file
static void
test_failed_commit_dropped (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    s_fake_begin (self);
    const char *name = "commit/file";
    byte *first = zs_testkit_random (5000), *second = zs_testkit_random (7000);
    uint64_t version = 0;
    s_assert_put (self, self->client, name, first, 5000, 2, &version, NULL);
    zs_fileinfo_t *info = s_assert_stat (self->client, name, first, 5000, version, 2, 2);
    zs_fileinfo_destroy (&info);

    //  The fake, the emptiest, is one of the next put's two buckets; it
    //  gets ready, then vanishes when told to commit
    zactor_t *fake =
        s_fake_start (self, "f2", FAKE_USED_SMALL, FAKE_FREE, "COMMIT", "vanish", NULL);
    uint64_t failed = 0;
    int rc = s_put (self, self->client, name, second, 7000, 2, &failed, NULL);
    if (rc == 0)
        print_error ("the put whose commit was never confirmed succeeded: version %" PRIu64 "\n",
                     failed);
    assert_int_equal (rc, -1);
    //  The failure names the bucket that went away
    assert_non_null (strstr (zs_client_error (self->client), "f2"));
    fake_seen_t *stored = NULL;
    assert_int_equal (s_fake_seen (fake, "STORE_END", name, 0, &stored), 1);
    assert_non_null (stored);
    assert_int_equal (s_fake_seen (fake, "COMMIT", name, 0, NULL), 1);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (second, 7000, checksum);
    assert_int_equal (stored->file->size, 7000);
    assert_memory_equal (stored->file->checksum, checksum, ZS_CHECKSUM_SIZE);
    assert_true (stored->file->version > version);

    //  It comes back with the copy, as if it had committed it
    assert_true (s_command_ok (fake, "ANSWER", "COMMIT", "ok", NULL));
    s_fake_report (fake, "first", stored->file);
    assert_true (s_command_ok (fake, "REGISTER", NULL));
    fake_seen_t *dropped = NULL;
    int drops = s_fake_seen (fake, "DROP", name, DEADLINE, &dropped);
    uint64_t dropped_version = dropped ? dropped->file->version : 0;
    s_seen_destroy (&dropped);
    if (!drops)
        print_error ("the copy of the failed put was not dropped\n");
    assert_int_equal (drops, 1);
    assert_int_equal (dropped_version, stored->file->version);
    assert_true (s_fake_wait_state (fake, "ready"));
    assert_true (s_wait_bucket (self->client, "f2", "alive"));

    //  The file is still the first version, on the real buckets only
    int64_t deadline = zclock_mono () + 500;
    while (zclock_mono () < deadline) {
        info = s_assert_stat (self->client, name, first, 5000, version, 2, 2);
        assert_false (s_names (info->buckets, "f2"));
        zs_fileinfo_destroy (&info);
        zclock_sleep (POLL_INTERVAL);
    }
    s_assert_get (self, self->client, name, first, 5000, version);
    //  And the real bucket that committed the failed version dropped it
    deadline = zclock_mono () + DEADLINE;
    while (s_disk_holders (self, "alice", name, stored->file->version, 2)
           && zclock_mono () < deadline)
        zclock_sleep (POLL_INTERVAL);
    assert_int_equal (s_disk_holders (self, "alice", name, stored->file->version, 2), 0);
    s_seen_destroy (&stored);
    zactor_destroy (&self->fake);
    free (first);
    free (second);
}

//  A put whose commit a bucket never answers fails. That bucket may have
//  committed, its DONE crossing the failure, and keeps no memory of a
//  transfer it answered: besides ABORT, it gets a DROP of the version
static void
test_unanswered_commit_dropped (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    s_fake_begin (self);
    const char *name = "commit/unanswered";
    byte *data = zs_testkit_random (6000);
    zactor_t *fake =
        s_fake_start (self, "f2", FAKE_USED_SMALL, FAKE_FREE, "COMMIT", "ignore", NULL);
    uint64_t failed = 0;
    assert_int_equal (s_put (self, self->client, name, data, 6000, 2, &failed, NULL), -1);
    fake_seen_t *stored = NULL, *dropped = NULL;
    assert_int_equal (s_fake_seen (fake, "COMMIT", name, 0, &stored), 1);
    assert_int_equal (s_fake_seen (fake, "ABORT", name, DEADLINE, NULL), 1);
    int drops = s_fake_seen (fake, "DROP", name, DEADLINE, &dropped);
    uint64_t dropped_version = dropped ? dropped->file->version : 0;
    s_seen_destroy (&dropped);
    assert_int_equal (drops, 1);
    assert_int_equal (dropped_version, stored->file->version);
    s_seen_destroy (&stored);
    s_assert_no_file (self->client, name);
    zactor_destroy (&self->fake);
    free (data);
}

//  Lowering a replica count drops the copy of the fullest bucket; one that
//  never confirms the drop still holds its copy, and the change says it
//  did not go through
static void
test_replicas_unconfirmed_drop (void **state)
{
    cluster_t *self = (cluster_t *) *state;
    s_fake_begin (self);
    zactor_t *fake = s_fake_start (self, "f3", FAKE_USED_LARGE, FAKE_FREE, "DROP", "ignore", NULL);
    const char *name = "keep/file";
    byte *data = zs_testkit_random (4000);
    uint64_t version = 0;
    uint8_t copies = 0;
    s_assert_put (self, self->client, name, data, 4000, 3, &version, &copies);
    assert_int_equal (copies, 3);
    zs_fileinfo_t *info = s_assert_stat (self->client, name, data, 4000, version, 3, 3);
    assert_true (s_names (info->buckets, "f3"));
    zs_fileinfo_destroy (&info);

    //  The fake, fullest, is told to drop its copy, and never answers
    int64_t started = zclock_mono ();
    int rc = zs_client_set_replicas (self->client, name, 2, &copies);
    int64_t elapsed = zclock_mono () - started;
    if (rc == 0)
        print_error ("replicas 2 succeeded without the drop confirmed (%u copies)\n", copies);
    assert_int_equal (rc, -1);
    assert_int_equal (zs_client_status_code (self->client), ZS_STATUS_UNAVAILABLE);
    assert_non_null (strstr (zs_client_error (self->client), "f3"));
    assert_true (elapsed >= FAKE_TRANSFER_TIMEOUT / 2);
    fake_seen_t *dropped = NULL;
    assert_int_equal (s_fake_seen (fake, "DROP", name, 0, &dropped), 1);
    uint64_t dropped_version = dropped ? dropped->file->version : 0;
    s_seen_destroy (&dropped);
    assert_int_equal (dropped_version, version);

    //  Its copy still counts: it is alive and did not say it dropped it
    assert_true (s_wait_bucket (self->client, "f3", "alive"));
    info = zs_client_stat (self->client, name);
    assert_non_null (info);
    if (!s_names (info->buckets, "f3"))
        print_error ("holders after a drop never confirmed: '%s' (%u live copies)\n", info->buckets,
                     info->actual);
    assert_true (s_names (info->buckets, "f3"));
    zs_fileinfo_destroy (&info);
    //  The new count is recorded, and the three copies are live
    info = s_assert_stat (self->client, name, data, 4000, version, 2, 3);
    zs_fileinfo_destroy (&info);
    //  The real buckets keep theirs, with the new count
    assert_int_equal (s_disk_holders (self, "alice", name, version, 2), 3);
    s_assert_get (self, self->client, name, data, 4000, version);
    zactor_destroy (&self->fake);
    free (data);
}

int
main (void)
{
    const struct CMUnitTest gateway[] = {
        cmocka_unit_test_setup_teardown (test_gateway_commands, s_lone_setup, s_lone_teardown),
    };
    //  In this order: the last test takes a bucket away
    const struct CMUnitTest cluster[] = {
        cmocka_unit_test (test_status),      cmocka_unit_test (test_put_get_stat),
        cmocka_unit_test (test_list_sorted), cmocka_unit_test (test_replicas),
        cmocka_unit_test (test_remove),      cmocka_unit_test (test_unavailable),
        cmocka_unit_test (test_bad_names),   cmocka_unit_test (test_bucket_lost),
    };
    const struct CMUnitTest fake[] = {
        cmocka_unit_test (test_remove_while_rejoining),
        cmocka_unit_test (test_failed_commit_dropped),
        cmocka_unit_test (test_unanswered_commit_dropped),
        cmocka_unit_test (test_replicas_unconfirmed_drop),
    };
    int failed = cmocka_run_group_tests_name ("gateway", gateway, NULL, NULL);
    failed += cmocka_run_group_tests_name ("cluster", cluster, s_setup, s_teardown);
    failed += cmocka_run_group_tests_name ("fake bucket", fake, s_fake_setup, s_teardown);
    return failed;
}
