/*  test_disk - a bucket's disk worker, driven over its pipe

    Each test gets a fresh temporary folder holding a store, and a disk
    worker actor on that store. The test speaks zs_proto to the actor as the
    bucket's network thread does, then checks the replies and what is on
    disk. The folder is removed at teardown whatever the outcome.

    String commands (RESET, TIMEOUT) and ABORT have no reply: after one, the
    test sends a DROP of a copy that does not exist and waits for its DONE.
    The actor works through its pipe in order, so once that DONE is back
    everything sent before it has been handled, and nothing else came back.
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_crc32c.h"
#include "zs_disk.h"
#include "zs_object.h"
#include "zs_reader.h"
#include "zs_store.h"
#include "zs_testkit.h"
#include "zs_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#define REPLY_TIMEOUT   5000                  //  ms to wait for a reply that must come
#define SILENCE         200                   //  ms in which a message that must not come does not
#define IDLE_DEADLINE   3000                  //  ms within which an idle transfer must be aborted
#define INVENTORY_BATCH 1000                  //  Most records in one INVENTORY
#define CAPACITY        (256 * ZS_CHUNK_SIZE) //  Bytes the store may use

typedef struct {
    char root[64];         //  Temporary folder of the test
    char data[128];        //  The store's data folder, inside root
    zs_store_t *store;     //  Open on data, as bucket "b1"
    zactor_t *disk;        //  The disk worker on the store
    zpoller_t *poller;     //  Waits on the worker's pipe
    zs_proto_t *request;   //  Message to the worker
    zs_proto_t *reply;     //  Message from the worker
    uint64_t next_barrier; //  Transfer id of the next barrier
} fixture_t;

//  Prepares and commits a copy, as a bucket does on STORE_END and COMMIT
static int
s_prepare_commit (zs_writer_t *writer, uint64_t size, const byte *checksum)
{
    int status = zs_writer_prepare (writer, size, checksum);
    return status ? status : zs_writer_commit (writer);
}

static int s_teardown (void **state);

static int
s_setup (void **state)
{
    fixture_t *self = (fixture_t *) calloc (1, sizeof (fixture_t));
    if (!self)
        return -1;
    if (!zs_testkit_folder_new (self->root, sizeof (self->root), "disk")) {
        free (self);
        return -1;
    }
    snprintf (self->data, sizeof (self->data), "%s/data", self->root);
    char error[256];
    self->store = zs_store_new (self->data, "b1", error, sizeof (error));
    if (!self->store) {
        print_error ("cannot open a store: %s\n", error);
        zs_testkit_folder_remove (self->root);
        free (self);
        return -1;
    }
    //  With a capacity, bytes of unfinished copies show in the free space
    zs_store_set_capacity (self->store, CAPACITY);
    self->disk = zactor_new (zs_disk_actor, self->store);
    self->poller = self->disk ? zpoller_new (self->disk, NULL) : NULL;
    self->request = zs_proto_new ();
    self->reply = zs_proto_new ();
    self->next_barrier = 900000;
    *state = self;
    if (!self->disk || !self->poller) {
        s_teardown (state);
        return -1;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    if (!self)
        return 0;
    zpoller_destroy (&self->poller);
    //  A test that failed while syncs were held would leave the worker
    //  waiting, and its destruction with it
    zs_testkit_release_syncs ();
    //  The worker goes first: the store must outlive it
    zactor_destroy (&self->disk);
    zs_store_destroy (&self->store);
    zs_proto_destroy (&self->request);
    zs_proto_destroy (&self->reply);
    int rc = zs_testkit_folder_remove (self->root);
    free (self);
    *state = NULL;
    return rc;
}

//  --------------------------------------------------------------------------
//  Talking to the worker

//  Starts a new request to the worker
static zs_proto_t *
s_request (fixture_t *self, int id, uint64_t transfer)
{
    zs_proto_reset (self->request);
    zs_proto_set_id (self->request, id);
    zs_proto_set_transfer (self->request, transfer);
    return self->request;
}

static void
s_send (fixture_t *self)
{
    assert_int_equal (zs_proto_send (self->request, zactor_sock (self->disk)), 0);
    zs_proto_reset (self->request);
}

//  Receives the next reply within timeout ms; false if none came
static bool
s_recv (fixture_t *self, int timeout)
{
    void *which = zpoller_wait (self->poller, timeout);
    if (!which)
        return false;
    assert_ptr_equal (which, self->disk);
    assert_int_equal (zs_proto_recv (self->reply, zactor_sock (self->disk)), 0);
    return true;
}

//  Receives the next reply, which must be a message with this id
static zs_proto_t *
s_expect (fixture_t *self, int id, uint64_t transfer)
{
    assert_true (s_recv (self, REPLY_TIMEOUT));
    if (zs_proto_id (self->reply) != id)
        print_error ("expected %s, got %s (status %u: %s)\n", zs_proto_command_name (id),
                     zs_proto_command (self->reply), zs_proto_status (self->reply),
                     zs_proto_reason (self->reply));
    assert_int_equal (zs_proto_id (self->reply), id);
    if (id != ZS_PROTO_INVENTORY)
        assert_int_equal (zs_proto_transfer (self->reply), transfer);
    return self->reply;
}

static void
s_expect_done (fixture_t *self, uint64_t transfer, int status)
{
    s_expect (self, ZS_PROTO_DONE, transfer);
    if (zs_proto_status (self->reply) != status)
        print_error ("DONE %u: %s\n", zs_proto_status (self->reply), zs_proto_reason (self->reply));
    assert_int_equal (zs_proto_status (self->reply), status);
    //  A failure says why; a success says nothing
    if (status)
        assert_true (strlen (zs_proto_reason (self->reply)) > 0);
    else
        assert_string_equal (zs_proto_reason (self->reply), "");
}

static void
s_expect_ack (fixture_t *self, uint64_t transfer, uint32_t seq)
{
    s_expect (self, ZS_PROTO_STORE_ACK, transfer);
    assert_int_equal (zs_proto_seq (self->reply), seq);
}

//  Nothing comes from the worker for a while
static void
s_expect_silence (fixture_t *self)
{
    bool received = s_recv (self, SILENCE);
    if (received)
        print_error ("unexpected %s\n", zs_proto_command (self->reply));
    assert_false (received);
}

//  Everything sent before has been handled, and answered with nothing more
static void
s_barrier (fixture_t *self)
{
    uint64_t transfer = self->next_barrier++;
    zs_proto_t *drop = s_request (self, ZS_PROTO_DROP, transfer);
    zs_proto_set_user (drop, "barrier");
    zs_proto_set_name (drop, "nothing");
    zs_proto_set_version (drop, 1);
    s_send (self);
    s_expect_done (self, transfer, ZS_STATUS_OK);
}

static void
s_store_begin (fixture_t *self, uint64_t transfer, const char *user, const char *name,
               uint64_t version, uint64_t size, uint8_t replicas, uint64_t stamp)
{
    zs_proto_t *begin = s_request (self, ZS_PROTO_STORE_BEGIN, transfer);
    zs_proto_set_user (begin, user);
    zs_proto_set_name (begin, name);
    zs_proto_set_version (begin, version);
    zs_proto_set_size (begin, size);
    zs_proto_set_replicas (begin, replicas);
    zs_proto_set_stamp (begin, stamp);
    s_send (self);
}

static void
s_store_chunk (fixture_t *self, uint64_t transfer, uint32_t seq, const byte *data, size_t size,
               uint32_t crc)
{
    zs_proto_t *chunk = s_request (self, ZS_PROTO_STORE_CHUNK, transfer);
    zs_proto_set_seq (chunk, seq);
    zs_proto_set_crc (chunk, crc);
    zframe_t *frame = zframe_new (data, size);
    assert_non_null (frame);
    zs_proto_set_data (chunk, &frame);
    s_send (self);
}

static void
s_store_end (fixture_t *self, uint64_t transfer, uint64_t size, const byte *checksum)
{
    zs_proto_t *end = s_request (self, ZS_PROTO_STORE_END, transfer);
    zs_proto_set_size (end, size);
    zs_proto_set_checksum (end, checksum);
    s_send (self);
}

//  Ends a store the way the gateway does: the end, READY, then COMMIT
static void
s_store_finish (fixture_t *self, uint64_t transfer, uint64_t size, const byte *checksum)
{
    s_store_end (self, transfer, size, checksum);
    s_expect (self, ZS_PROTO_STORE_READY, transfer);
    s_request (self, ZS_PROTO_COMMIT, transfer);
    s_send (self);
}

static void
s_fetch (fixture_t *self, uint64_t transfer, const char *user, const char *name, uint64_t version,
         uint32_t seq, uint32_t limit)
{
    zs_proto_t *fetch = s_request (self, ZS_PROTO_FETCH, transfer);
    zs_proto_set_user (fetch, user);
    zs_proto_set_name (fetch, name);
    zs_proto_set_version (fetch, version);
    zs_proto_set_seq (fetch, seq);
    zs_proto_set_limit (fetch, limit);
    s_send (self);
}

static void
s_fetch_credit (fixture_t *self, uint64_t transfer, uint32_t limit)
{
    zs_proto_set_limit (s_request (self, ZS_PROTO_FETCH_CREDIT, transfer), limit);
    s_send (self);
}

//  Starts a DROP, DELETE, FORGET or SET_REPLICAS of one copy; the caller
//  adds pending (DELETE) or replicas and stamp (SET_REPLICAS), then sends
static void
s_operation (fixture_t *self, int id, uint64_t transfer, const char *user, const char *name,
             uint64_t version)
{
    zs_proto_t *operation = s_request (self, id, transfer);
    zs_proto_set_user (operation, user);
    zs_proto_set_name (operation, name);
    zs_proto_set_version (operation, version);
}

//  --------------------------------------------------------------------------
//  Content and the data folder

static size_t
s_chunk_size (size_t size, uint32_t seq)
{
    size_t offset = (size_t) seq * ZS_CHUNK_SIZE;
    return size - offset < ZS_CHUNK_SIZE ? size - offset : ZS_CHUNK_SIZE;
}

//  Writes a whole copy into the store directly, as a finished transfer would
static void
s_write (zs_store_t *store, const char *user, const char *name, uint64_t version, const byte *data,
         size_t size, uint8_t desired, uint64_t stamp)
{
    zs_fileinfo_t *info = zs_testkit_info (user, name, version, size);
    info->desired = desired;
    info->stamp = stamp;
    int status = -1;
    zs_writer_t *writer = zs_writer_new (store, info, &status);
    zs_fileinfo_destroy (&info);
    assert_non_null (writer);
    assert_int_equal (status, ZS_STATUS_OK);
    for (uint32_t seq = 0; (uint64_t) seq * ZS_CHUNK_SIZE < size; seq++) {
        const byte *chunk = data + (size_t) seq * ZS_CHUNK_SIZE;
        size_t length = s_chunk_size (size, seq);
        assert_int_equal (
            zs_writer_append (writer, seq, chunk, length, zs_crc32c (0, chunk, length)),
            ZS_STATUS_OK);
    }
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, size, checksum);
    assert_int_equal (s_prepare_commit (writer, size, checksum), ZS_STATUS_OK);
    zs_writer_destroy (&writer);
}

//  Reads a copy back with a reader and compares it, chunk by chunk
static void
s_assert_content (zs_store_t *store, const char *user, const char *name, uint64_t version,
                  const byte *data, size_t size, uint8_t desired, uint64_t stamp)
{
    int status = -1;
    zs_reader_t *reader = zs_reader_new (store, user, name, version, &status);
    assert_int_equal (status, ZS_STATUS_OK);
    assert_non_null (reader);
    const zs_fileinfo_t *info = zs_reader_info (reader);
    assert_string_equal (info->user, user);
    assert_string_equal (info->name, name);
    assert_int_equal (info->version, version);
    assert_int_equal (info->size, size);
    assert_int_equal (info->desired, desired);
    assert_int_equal (info->stamp, stamp);
    assert_int_equal (info->flags, 0);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, size, checksum);
    assert_memory_equal (info->checksum, checksum, ZS_CHECKSUM_SIZE);
    assert_int_equal (zs_reader_chunks (reader), zs_object_chunks (size));
    for (uint32_t seq = 0; seq < zs_reader_chunks (reader); seq++) {
        uint32_t crc = 0;
        zframe_t *chunk = zs_reader_chunk (reader, seq, &crc, &status);
        assert_non_null (chunk);
        assert_int_equal (status, ZS_STATUS_OK);
        size_t length = s_chunk_size (size, seq);
        assert_int_equal (zframe_size (chunk), length);
        assert_memory_equal (zframe_data (chunk), data + (size_t) seq * ZS_CHUNK_SIZE, length);
        assert_int_equal (crc, zs_crc32c (0, zframe_data (chunk), length));
        zframe_destroy (&chunk);
    }
    zs_reader_destroy (&reader);
}

//  Status of opening a copy: OK, NOT_FOUND or CORRUPT
static int
s_open_status (zs_store_t *store, const char *user, const char *name, uint64_t version)
{
    int status = -1;
    zs_reader_t *reader = zs_reader_new (store, user, name, version, &status);
    zs_reader_destroy (&reader);
    return status;
}

static bool
s_exists (const char *path)
{
    struct stat info;
    return lstat (path, &info) == 0;
}

static size_t
s_files_in (fixture_t *self, const char *folder)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", self->data, folder);
    return zs_testkit_files_below (path, NULL);
}

//  Copies the store counts agree with what objects/ holds
static void
s_assert_copies (fixture_t *self, uint64_t files)
{
    assert_int_equal (zs_store_files (self->store), files);
    assert_int_equal (s_files_in (self, "objects"), files);
}

//  No bytes of an unfinished copy are still counted against the capacity
static void
s_assert_nothing_pending (fixture_t *self)
{
    assert_int_equal (zs_store_free (self->store), CAPACITY - zs_store_used (self->store));
}

//  Byte offset of content byte offset in the copy of user's name
static off_t
s_content_offset (const char *user, const char *name, uint64_t offset)
{
    return (off_t) (ZS_OBJECT_FIXED_HEADER + strlen (user) + strlen (name) + offset);
}

//  Receives FETCH_CHUNK seq of a fetch and checks it against the content
static void
s_expect_chunk (fixture_t *self, uint64_t transfer, uint32_t seq, const byte *data, size_t size)
{
    s_expect (self, ZS_PROTO_FETCH_CHUNK, transfer);
    assert_int_equal (zs_proto_seq (self->reply), seq);
    zframe_t *chunk = zs_proto_data (self->reply);
    assert_non_null (chunk);
    size_t length = s_chunk_size (size, seq);
    assert_int_equal (zframe_size (chunk), length);
    assert_memory_equal (zframe_data (chunk), data + (size_t) seq * ZS_CHUNK_SIZE, length);
    assert_int_equal (zs_proto_crc (self->reply),
                      zs_crc32c (0, data + (size_t) seq * ZS_CHUNK_SIZE, length));
}

//  --------------------------------------------------------------------------
//  Inventory

typedef struct {
    uint64_t size;
    uint8_t desired;
    uint64_t stamp;
    byte checksum[ZS_CHECKSUM_SIZE];
    bool tombstone;
    bool seen;
} expected_t;

static void
s_expected_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

static void
test_inventory (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    const char *users[] = { "alice", "bob", "carol", "d.e_f-9" };
    zhashx_t *expected = zhashx_new ();
    zhashx_set_destructor (expected, s_expected_destroy);
    byte *data = zs_testkit_random (300);
    for (size_t number = 0; number < 2500; number++) {
        const char *user = users[number % 4];
        char name[64];
        //  Flat names, names with slashes, and one name at several versions
        if (number % 5 == 0)
            snprintf (name, sizeof (name), "photos/%zu/img-%zu.jpg", number % 7, number);
        else if (number < 10)
            snprintf (name, sizeof (name), "versions");
        else
            snprintf (name, sizeof (name), "file-%04zu", number);
        uint64_t version = 1000 + number;
        size_t size = number % 50 == 3 ? 0 : 1 + number % 299;
        uint8_t desired = (uint8_t) (1 + number % 3);
        uint64_t stamp = version + number % 2;
        s_write (self->store, user, name, version, data, size, desired, stamp);
        expected_t *record = (expected_t *) calloc (1, sizeof (expected_t));
        assert_non_null (record);
        record->size = size;
        record->desired = desired;
        record->stamp = stamp;
        zs_testkit_checksum (data, size, record->checksum);
        char *id = zsys_sprintf ("%s|%s|%" PRIu64, user, name, version);
        assert_int_equal (zhashx_insert (expected, id, record), 0);
        zstr_free (&id);
    }
    //  A removal: the older copy goes, a tombstone naming two buckets stays
    s_write (self->store, "alice", "removed", 3, data, 10, 2, 3);
    assert_int_equal (zs_store_delete (self->store, "alice", "removed", 5, "b2,b3"), ZS_STATUS_OK);
    expected_t *record = (expected_t *) calloc (1, sizeof (expected_t));
    assert_non_null (record);
    record->tombstone = true;
    assert_int_equal (zhashx_insert (expected, "alice|removed|5", record), 0);
    s_assert_copies (self, 2500);

    //  The gateway's WELCOME starts the walk; each INVENTORY_ACK asks for more
    zs_proto_t *welcome = s_request (self, ZS_PROTO_WELCOME, 0);
    zs_proto_set_heartbeat (welcome, 1000);
    zs_proto_set_liveness (welcome, 3);
    s_send (self);
    size_t batches = 0, reported = 0;
    bool more = true;
    while (more) {
        zs_proto_t *batch = s_expect (self, ZS_PROTO_INVENTORY, 0);
        batches++;
        size_t entries = zs_proto_entries_size (batch);
        assert_true (entries <= INVENTORY_BATCH);
        more = zs_proto_more (batch) != 0;
        //  A batch that says more to come is not empty
        if (more)
            assert_true (entries > 0);
        const zs_fileinfo_t *info = (const zs_fileinfo_t *) zlistx_first (zs_proto_entries (batch));
        for (; info; info = (const zs_fileinfo_t *) zlistx_next (zs_proto_entries (batch))) {
            char *id = zsys_sprintf ("%s|%s|%" PRIu64, info->user, info->name, info->version);
            expected_t *wanted = (expected_t *) zhashx_lookup (expected, id);
            if (!wanted || wanted->seen)
                print_error ("%s %s\n", id, wanted ? "reported twice" : "not expected");
            assert_non_null (wanted);
            assert_false (wanted->seen);
            wanted->seen = true;
            reported++;
            if (wanted->tombstone) {
                assert_int_equal (info->flags, ZS_FILE_TOMBSTONE);
                assert_int_equal (info->size, 0);
                assert_int_equal (info->desired, 0);
                assert_string_equal (info->buckets, "b2,b3");
            }
            else {
                assert_int_equal (info->flags, 0);
                assert_int_equal (info->size, wanted->size);
                assert_int_equal (info->desired, wanted->desired);
                assert_int_equal (info->stamp, wanted->stamp);
                assert_memory_equal (info->checksum, wanted->checksum, ZS_CHECKSUM_SIZE);
                assert_string_equal (info->buckets, "");
            }
            zstr_free (&id);
        }
        if (more) {
            s_request (self, ZS_PROTO_INVENTORY_ACK, 0);
            s_send (self);
        }
    }
    assert_int_equal (reported, 2501);
    assert_int_equal (zhashx_size (expected), 2501);
    //  2,501 records take at least three batches
    assert_true (batches >= 3);
    //  The walk is over: another INVENTORY_ACK gets nothing
    s_request (self, ZS_PROTO_INVENTORY_ACK, 0);
    s_send (self);
    s_barrier (self);
    //  And a new WELCOME starts a new walk, from the beginning
    welcome = s_request (self, ZS_PROTO_WELCOME, 0);
    zs_proto_set_heartbeat (welcome, 1000);
    zs_proto_set_liveness (welcome, 3);
    s_send (self);
    reported = 0;
    more = true;
    while (more) {
        zs_proto_t *batch = s_expect (self, ZS_PROTO_INVENTORY, 0);
        assert_true (zs_proto_entries_size (batch) <= INVENTORY_BATCH);
        reported += zs_proto_entries_size (batch);
        more = zs_proto_more (batch) != 0;
        if (more) {
            s_request (self, ZS_PROTO_INVENTORY_ACK, 0);
            s_send (self);
        }
    }
    assert_int_equal (reported, 2501);
    //  Reporting moved nothing aside
    assert_int_equal (s_files_in (self, "quarantine"), 0);
    zhashx_destroy (&expected);
    free (data);
}

//  --------------------------------------------------------------------------
//  Store

#define THREE_CHUNKS (2 * ZS_CHUNK_SIZE + 300 * 1024)

static void
test_store (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, THREE_CHUNKS, checksum);
    s_store_begin (self, 11, "alice", "docs/big.bin", 42, THREE_CHUNKS, 2, 40);
    for (uint32_t seq = 0; seq < 3; seq++) {
        const byte *chunk = data + (size_t) seq * ZS_CHUNK_SIZE;
        size_t length = s_chunk_size (THREE_CHUNKS, seq);
        assert_int_equal (length, seq < 2 ? ZS_CHUNK_SIZE : 300 * 1024);
        s_store_chunk (self, 11, seq, chunk, length, zs_crc32c (0, chunk, length));
    }
    for (uint32_t seq = 1; seq <= 3; seq++)
        s_expect_ack (self, 11, seq);
    //  Written but not committed: in tmp/, not readable, counted against the capacity
    assert_int_equal (zs_store_free (self->store), CAPACITY - THREE_CHUNKS);
    assert_int_equal (s_files_in (self, "tmp"), 1);
    assert_int_equal (s_open_status (self->store, "alice", "docs/big.bin", 42),
                      ZS_STATUS_NOT_FOUND);
    s_assert_copies (self, 0);

    //  Ready: durable, but not a copy until COMMIT
    s_store_end (self, 11, THREE_CHUNKS, checksum);
    s_expect (self, ZS_PROTO_STORE_READY, 11);
    assert_int_equal (s_files_in (self, "tmp"), 1);
    assert_int_equal (s_open_status (self->store, "alice", "docs/big.bin", 42),
                      ZS_STATUS_NOT_FOUND);
    s_request (self, ZS_PROTO_COMMIT, 11);
    s_send (self);
    s_expect_done (self, 11, ZS_STATUS_OK);
    //  DONE 0 means the copy is in place
    s_assert_content (self->store, "alice", "docs/big.bin", 42, data, THREE_CHUNKS, 2, 40);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    s_assert_copies (self, 1);
    s_assert_nothing_pending (self);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "docs/big.bin", 42, path, sizeof (path));
    assert_true (s_exists (path));
    //  The transfer is over: more of it is ignored
    s_store_end (self, 11, THREE_CHUNKS, checksum);
    s_barrier (self);

    //  An empty file: no chunks at all
    byte empty[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, 0, empty);
    s_store_begin (self, 12, "alice", "empty", 43, 0, 1, 43);
    s_store_finish (self, 12, 0, empty);
    s_expect_done (self, 12, ZS_STATUS_OK);
    s_assert_content (self->store, "alice", "empty", 43, data, 0, 1, 43);
    s_assert_copies (self, 2);
    free (data);
}

#define BATCH       8    //  Stores in flight at once
#define BATCH_FIRST 21   //  Transfer id of the first
#define SMALL_SIZE  4096 //  Bytes of each

//  Stores that end together share the worker's syncs (group commit), and
//  each still gets every answer, in its own order. The worker's first sync
//  is held until all of them are queued, so that the others find each
//  other waiting: one sync each would be BATCH of them.
static void
test_store_batch (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (SMALL_SIZE * BATCH);
    byte checksum[BATCH][ZS_CHECKSUM_SIZE];
    char name[BATCH][32];
    zs_testkit_count_syncs_from_zero ();
    zs_testkit_hold_syncs ();
    for (uint64_t index = 0; index < BATCH; index++) {
        const byte *content = data + index * SMALL_SIZE;
        uint64_t transfer = BATCH_FIRST + index;
        snprintf (name[index], sizeof (name[index]), "batch/%" PRIu64, index);
        zs_testkit_checksum (content, SMALL_SIZE, checksum[index]);
        s_store_begin (self, transfer, "alice", name[index], 50, SMALL_SIZE, 3, 50);
        s_store_chunk (self, transfer, 0, content, SMALL_SIZE, zs_crc32c (0, content, SMALL_SIZE));
        s_store_end (self, transfer, SMALL_SIZE, checksum[index]);
    }
    zs_testkit_release_syncs ();
    //  Each chunk's ACK comes before its transfer's READY
    size_t acks[BATCH] = { 0 }, ready[BATCH] = { 0 };
    for (size_t received = 1; received <= 2 * BATCH; received++) {
        assert_true (s_recv (self, REPLY_TIMEOUT));
        size_t index = zs_proto_transfer (self->reply) - BATCH_FIRST;
        assert_true (index < BATCH);
        if (zs_proto_id (self->reply) == ZS_PROTO_STORE_ACK)
            acks[index] = received;
        else {
            assert_int_equal (zs_proto_id (self->reply), ZS_PROTO_STORE_READY);
            ready[index] = received;
            assert_true (acks[index] > 0 && acks[index] < received);
        }
    }
    s_assert_copies (self, 0);
    //  Two syncs, unless processing the queue outlasted SYNC_DELAY_MAX
    int prepare_syncs = zs_testkit_syncs ();
    assert_in_range (prepare_syncs, 1, BATCH / 2);
    zs_testkit_hold_syncs ();
    for (uint64_t index = 0; index < BATCH; index++) {
        s_request (self, ZS_PROTO_COMMIT, BATCH_FIRST + index);
        s_send (self);
    }
    zs_testkit_release_syncs ();
    bool done[BATCH] = { false };
    for (size_t received = 0; received < BATCH; received++) {
        assert_true (s_recv (self, REPLY_TIMEOUT));
        size_t index = zs_proto_transfer (self->reply) - BATCH_FIRST;
        assert_true (index < BATCH && !done[index]);
        assert_int_equal (zs_proto_id (self->reply), ZS_PROTO_DONE);
        assert_int_equal (zs_proto_status (self->reply), ZS_STATUS_OK);
        done[index] = true;
    }
    assert_in_range (zs_testkit_syncs () - prepare_syncs, 1, BATCH / 2);
    for (uint64_t index = 0; index < BATCH; index++) {
        assert_true (ready[index] > 0);
        s_assert_content (self->store, "alice", name[index], 50, data + index * SMALL_SIZE,
                          SMALL_SIZE, 3, 50);
    }
    s_assert_copies (self, BATCH);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    s_assert_nothing_pending (self);
    free (data);
}

//  A COMMIT that comes before its READY (a gateway must not send one) waits
//  for the sync of the content: READY first, then DONE
static void
test_store_commit_early (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (SMALL_SIZE);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, SMALL_SIZE, checksum);
    s_store_begin (self, 30, "alice", "early", 51, SMALL_SIZE, 1, 51);
    s_store_chunk (self, 30, 0, data, SMALL_SIZE, zs_crc32c (0, data, SMALL_SIZE));
    s_store_end (self, 30, SMALL_SIZE, checksum);
    s_request (self, ZS_PROTO_COMMIT, 30);
    s_send (self);
    s_expect_ack (self, 30, 1);
    s_expect (self, ZS_PROTO_STORE_READY, 30);
    s_expect_done (self, 30, ZS_STATUS_OK);
    s_assert_content (self->store, "alice", "early", 51, data, SMALL_SIZE, 1, 51);
    s_assert_copies (self, 1);
    free (data);
}

//  A transfer is forgotten once its DONE is sent, so that a bucket's memory
//  does not grow with the puts of the last minutes: an ABORT that comes
//  after it finds nothing, and the copy stays (the gateway sends a DROP of
//  the version with an ABORT that may have crossed a DONE)
static void
test_store_forgotten_once_done (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (SMALL_SIZE);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, SMALL_SIZE, checksum);
    s_store_begin (self, 31, "alice", "answered", 52, SMALL_SIZE, 1, 52);
    s_store_chunk (self, 31, 0, data, SMALL_SIZE, zs_crc32c (0, data, SMALL_SIZE));
    s_store_end (self, 31, SMALL_SIZE, checksum);
    s_expect_ack (self, 31, 1);
    s_expect (self, ZS_PROTO_STORE_READY, 31);
    s_request (self, ZS_PROTO_COMMIT, 31);
    s_send (self);
    s_expect_done (self, 31, ZS_STATUS_OK);
    s_request (self, ZS_PROTO_ABORT, 31);
    s_send (self);
    s_barrier (self);
    s_assert_content (self->store, "alice", "answered", 52, data, SMALL_SIZE, 1, 52);
    s_assert_copies (self, 1);
    s_assert_nothing_pending (self);
    free (data);
}

//  A reader for a thread that must not wait for the disk reads a copy in
//  memory, and says so, without failing the copy, when it is not
static void
test_reader_cached (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (SMALL_SIZE);
    s_write (self->store, "alice", "hot", 60, data, SMALL_SIZE, 1, 60);
    int status;
    zs_reader_t *reader = zs_reader_new_cached (self->store, "alice", "hot", 60, &status);
    assert_non_null (reader);
    assert_int_equal (status, ZS_STATUS_OK);
    assert_int_equal (zs_reader_chunks (reader), 1);
    uint32_t crc;
    zframe_t *chunk = zs_reader_chunk (reader, 0, &crc, &status);
    assert_non_null (chunk);
    assert_int_equal (zframe_size (chunk), SMALL_SIZE);
    assert_memory_equal (zframe_data (chunk), data, SMALL_SIZE);
    zframe_destroy (&chunk);
    zs_reader_destroy (&reader);

    //  A missing copy: known missing, or not known from memory alone
    assert_null (zs_reader_new_cached (self->store, "alice", "cold", 60, &status));
    assert_true (status == ZS_STATUS_NOT_FOUND || status == ZS_READER_NOT_CACHED);

    //  Out of memory (written back, then dropped from the page cache)
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "hot", 60, path, sizeof (path));
    int fd = open (path, O_RDONLY);
    assert_true (fd >= 0);
    assert_int_equal (fdatasync (fd), 0);
    assert_int_equal (posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    close (fd);
    reader = zs_reader_new_cached (self->store, "alice", "hot", 60, &status);
    if (reader) {
        //  The header stayed in memory: the content did not
        chunk = zs_reader_chunk (reader, 0, &crc, &status);
        assert_null (chunk);
        zs_reader_destroy (&reader);
    }
    assert_int_equal (status, ZS_READER_NOT_CACHED);
    //  The copy is fine, and an ordinary reader reads it from the disk
    reader = zs_reader_new (self->store, "alice", "hot", 60, &status);
    assert_non_null (reader);
    chunk = zs_reader_chunk (reader, 0, &crc, &status);
    assert_non_null (chunk);
    assert_memory_equal (zframe_data (chunk), data, SMALL_SIZE);
    zframe_destroy (&chunk);
    zs_reader_destroy (&reader);
    free (data);
}

static void
test_store_wrong_crc (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_store_begin (self, 21, "alice", "damaged", 7, THREE_CHUNKS, 1, 7);
    s_store_chunk (self, 21, 0, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE));
    s_expect_ack (self, 21, 1);
    assert_int_equal (s_files_in (self, "tmp"), 1);
    //  Chunk 1 damaged in transit
    const byte *chunk = data + ZS_CHUNK_SIZE;
    s_store_chunk (self, 21, 1, chunk, ZS_CHUNK_SIZE, zs_crc32c (0, chunk, ZS_CHUNK_SIZE) ^ 1);
    s_expect_done (self, 21, ZS_STATUS_CORRUPT);
    //  What follows of the failed transfer is ignored, without a reply
    chunk = data + 2 * ZS_CHUNK_SIZE;
    s_store_chunk (self, 21, 2, chunk, 300 * 1024, zs_crc32c (0, chunk, 300 * 1024));
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, THREE_CHUNKS, checksum);
    s_store_end (self, 21, THREE_CHUNKS, checksum);
    s_barrier (self);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    assert_int_equal (s_open_status (self->store, "alice", "damaged", 7), ZS_STATUS_NOT_FOUND);
    s_assert_copies (self, 0);
    assert_int_equal (zs_store_used (self->store), 0);
    s_assert_nothing_pending (self);
    free (data);
}

static void
test_store_out_of_order (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (ZS_CHUNK_SIZE);
    s_store_begin (self, 31, "alice", "jumbled", 7, 2 * ZS_CHUNK_SIZE, 1, 7);
    //  Chunk 1 before chunk 0
    s_store_chunk (self, 31, 1, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE));
    s_expect_done (self, 31, ZS_STATUS_BAD_REQUEST);
    s_barrier (self);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    //  STORE_END with a size other than what arrived
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, 100, checksum);
    s_store_begin (self, 32, "alice", "short", 7, 100, 1, 7);
    s_store_chunk (self, 32, 0, data, 100, zs_crc32c (0, data, 100));
    s_expect_ack (self, 32, 1);
    s_store_end (self, 32, 101, checksum);
    s_expect_done (self, 32, ZS_STATUS_BAD_REQUEST);
    s_barrier (self);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    s_assert_copies (self, 0);
    free (data);
}

static void
test_store_abort (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_store_begin (self, 41, "alice", "abandoned", 9, THREE_CHUNKS, 1, 9);
    s_store_chunk (self, 41, 0, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE));
    s_expect_ack (self, 41, 1);
    assert_int_equal (s_files_in (self, "tmp"), 1);
    s_request (self, ZS_PROTO_ABORT, 41);
    s_send (self);
    s_barrier (self);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    //  The rest of the transfer finds nothing to add to
    const byte *chunk = data + ZS_CHUNK_SIZE;
    s_store_chunk (self, 41, 1, chunk, ZS_CHUNK_SIZE, zs_crc32c (0, chunk, ZS_CHUNK_SIZE));
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, THREE_CHUNKS, checksum);
    s_store_end (self, 41, THREE_CHUNKS, checksum);
    s_barrier (self);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    assert_int_equal (s_open_status (self->store, "alice", "abandoned", 9), ZS_STATUS_NOT_FOUND);
    s_assert_copies (self, 0);
    s_assert_nothing_pending (self);
    //  ABORT of a transfer nobody knows is harmless
    s_request (self, ZS_PROTO_ABORT, 4242);
    s_send (self);
    s_barrier (self);
    free (data);
}

//  --------------------------------------------------------------------------
//  Fetch

static void
test_fetch_credit (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_write (self->store, "alice", "movie", 5, data, THREE_CHUNKS, 2, 5);
    s_fetch (self, 51, "alice", "movie", 5, 0, 1);
    s_expect_chunk (self, 51, 0, data, THREE_CHUNKS);
    //  No credit, no chunk
    s_expect_silence (self);
    //  A credit below the last one changes nothing
    s_fetch_credit (self, 51, 1);
    s_expect_silence (self);
    s_fetch_credit (self, 51, 3);
    s_expect_chunk (self, 51, 1, data, THREE_CHUNKS);
    s_expect_chunk (self, 51, 2, data, THREE_CHUNKS);
    //  The last chunk ends the fetch: no DONE, and more credit sends nothing
    s_fetch_credit (self, 51, 8);
    s_barrier (self);
    //  Reading took nothing away
    s_assert_content (self->store, "alice", "movie", 5, data, THREE_CHUNKS, 2, 5);
    s_assert_copies (self, 1);
    free (data);
}

//  While a fetch waits for credit, the worker reads its next chunk: by the
//  time it answers anything after a chunk, the next one is read and checked
static void
test_fetch_read_ahead (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_write (self->store, "alice", "movie", 5, data, THREE_CHUNKS, 2, 5);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "movie", 5, path, sizeof (path));
    s_fetch (self, 55, "alice", "movie", 5, 0, 1);
    s_expect_chunk (self, 55, 0, data, THREE_CHUNKS);
    s_barrier (self);
    //  Rot that comes after chunk 1 was read is not in what it sends
    zs_testkit_flip_byte (path, s_content_offset ("alice", "movie", ZS_CHUNK_SIZE + 7));
    s_fetch_credit (self, 55, 2);
    s_expect_chunk (self, 55, 1, data, THREE_CHUNKS);
    s_expect_silence (self);
    zs_testkit_flip_byte (path, s_content_offset ("alice", "movie", ZS_CHUNK_SIZE + 7));
    s_fetch_credit (self, 55, 3);
    s_expect_chunk (self, 55, 2, data, THREE_CHUNKS);
    s_barrier (self);

    //  Rot found by reading ahead fails the fetch at once, without credit
    zs_testkit_flip_byte (path, s_content_offset ("alice", "movie", 2 * ZS_CHUNK_SIZE + 99));
    s_fetch (self, 56, "alice", "movie", 5, 0, 2);
    s_expect_chunk (self, 56, 0, data, THREE_CHUNKS);
    s_expect_chunk (self, 56, 1, data, THREE_CHUNKS);
    s_expect_done (self, 56, ZS_STATUS_CORRUPT);
    s_barrier (self);
    assert_false (s_exists (path));
    assert_int_equal (s_files_in (self, "quarantine"), 1);
    //  A fetch aborted with a chunk read ahead leaves nothing behind
    s_write (self->store, "alice", "movie", 6, data, THREE_CHUNKS, 2, 6);
    s_fetch (self, 57, "alice", "movie", 6, 0, 1);
    s_expect_chunk (self, 57, 0, data, THREE_CHUNKS);
    s_request (self, ZS_PROTO_ABORT, 57);
    s_send (self);
    s_fetch_credit (self, 57, 3);
    s_barrier (self);
    s_assert_content (self->store, "alice", "movie", 6, data, THREE_CHUNKS, 2, 6);
    free (data);
}

static void
test_fetch_from_seq (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_write (self->store, "alice", "movie", 5, data, THREE_CHUNKS, 2, 5);
    //  A fetch that carries on where another holder stopped
    s_fetch (self, 61, "alice", "movie", 5, 1, 8);
    s_expect_chunk (self, 61, 1, data, THREE_CHUNKS);
    s_expect_chunk (self, 61, 2, data, THREE_CHUNKS);
    s_barrier (self);
    //  From the last chunk
    s_fetch (self, 62, "alice", "movie", 5, 2, 3);
    s_expect_chunk (self, 62, 2, data, THREE_CHUNKS);
    s_barrier (self);
    //  Past the end: nothing to send
    s_fetch (self, 63, "alice", "movie", 5, 3, 8);
    s_expect_done (self, 63, ZS_STATUS_BAD_REQUEST);
    s_barrier (self);
    free (data);
}

static void
test_fetch_missing (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (100);
    s_write (self->store, "alice", "movie", 5, data, 100, 2, 5);
    //  Another version of a file held, a file not held, another owner
    s_fetch (self, 71, "alice", "movie", 6, 0, 8);
    s_expect_done (self, 71, ZS_STATUS_NOT_FOUND);
    s_fetch (self, 72, "alice", "nothing", 5, 0, 8);
    s_expect_done (self, 72, ZS_STATUS_NOT_FOUND);
    s_fetch (self, 73, "bob", "movie", 5, 0, 8);
    s_expect_done (self, 73, ZS_STATUS_NOT_FOUND);
    s_barrier (self);
    //  None of this disturbed the copy that is there
    s_fetch (self, 74, "alice", "movie", 5, 0, 8);
    s_expect_chunk (self, 74, 0, data, 100);
    s_barrier (self);
    free (data);
}

static void
test_fetch_corrupt (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_write (self->store, "alice", "rotten", 8, data, THREE_CHUNKS, 2, 8);
    s_write (self->store, "alice", "fine", 8, data, 1000, 2, 8);
    s_assert_copies (self, 2);
    uint64_t used = zs_store_used (self->store);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "rotten", 8, path, sizeof (path));
    struct stat before;
    assert_int_equal (stat (path, &before), 0);
    //  One bit of rot in the middle chunk
    zs_testkit_flip_byte (path, s_content_offset ("alice", "rotten", ZS_CHUNK_SIZE + 12345));
    s_fetch (self, 81, "alice", "rotten", 8, 0, 8);
    s_expect_chunk (self, 81, 0, data, THREE_CHUNKS);
    s_expect_done (self, 81, ZS_STATUS_CORRUPT);
    s_barrier (self);
    //  Moved to quarantine: out of objects/ and of the counts
    assert_false (s_exists (path));
    assert_int_equal (s_files_in (self, "quarantine"), 1);
    s_assert_copies (self, 1);
    assert_int_equal (zs_store_used (self->store), used - (uint64_t) before.st_size);
    char key[ZS_OBJECT_KEY_SIZE + 1], quarantine[256];
    zs_object_key ("alice", "rotten", key);
    snprintf (quarantine, sizeof (quarantine), "%s/quarantine", self->data);
    DIR *dir = opendir (quarantine);
    assert_non_null (dir);
    struct dirent *entry;
    size_t named = 0;
    while ((entry = readdir (dir)))
        if (strncmp (entry->d_name, key, ZS_OBJECT_KEY_SIZE) == 0)
            named++;
    closedir (dir);
    assert_int_equal (named, 1);
    //  Never served again
    s_fetch (self, 82, "alice", "rotten", 8, 0, 8);
    s_expect_done (self, 82, ZS_STATUS_NOT_FOUND);

    //  Rot in the first chunk: nothing is sent at all
    s_write (self->store, "alice", "rotten", 9, data, THREE_CHUNKS, 2, 9);
    zs_testkit_copy_path (self->data, "alice", "rotten", 9, path, sizeof (path));
    zs_testkit_flip_byte (path, s_content_offset ("alice", "rotten", 0));
    s_fetch (self, 83, "alice", "rotten", 9, 0, 8);
    s_expect_done (self, 83, ZS_STATUS_CORRUPT);
    s_barrier (self);
    assert_false (s_exists (path));
    assert_int_equal (s_files_in (self, "quarantine"), 2);

    //  A copy cut short fails before any chunk, and goes to quarantine too
    s_write (self->store, "alice", "rotten", 10, data, THREE_CHUNKS, 2, 10);
    zs_testkit_copy_path (self->data, "alice", "rotten", 10, path, sizeof (path));
    assert_int_equal (truncate (path, s_content_offset ("alice", "rotten", ZS_CHUNK_SIZE)), 0);
    s_fetch (self, 84, "alice", "rotten", 10, 0, 8);
    s_expect_done (self, 84, ZS_STATUS_CORRUPT);
    s_barrier (self);
    assert_false (s_exists (path));
    assert_int_equal (s_files_in (self, "quarantine"), 3);
    s_assert_copies (self, 1);

    //  A small copy is read whole at once: rot in its content, in its CRCs,
    //  and a small copy cut short are each found as in a large one
    const off_t rot[] = { s_content_offset ("alice", "rotten", 4000),
                          s_content_offset ("alice", "rotten", 4096),
                          -s_content_offset ("alice", "rotten", 4095) };
    for (uint64_t index = 0; index < 3; index++) {
        uint64_t version = 11 + index;
        s_write (self->store, "alice", "rotten", version, data, 4096, 2, version);
        zs_testkit_copy_path (self->data, "alice", "rotten", version, path, sizeof (path));
        if (rot[index] > 0)
            zs_testkit_flip_byte (path, rot[index]);
        else
            assert_int_equal (truncate (path, -rot[index]), 0);
        s_fetch (self, 85 + index, "alice", "rotten", version, 0, 8);
        s_expect_done (self, 85 + index, ZS_STATUS_CORRUPT);
        s_barrier (self);
        assert_false (s_exists (path));
        assert_int_equal (s_files_in (self, "quarantine"), 4 + index);
    }
    s_assert_copies (self, 1);
    //  The other copy is untouched
    s_assert_content (self->store, "alice", "fine", 8, data, 1000, 2, 8);
    free (data);
}

//  --------------------------------------------------------------------------
//  Operations answered with DONE

static void
test_operations (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (5000);
    char path[256], older[256];
    //  DROP removes exactly the version named
    s_write (self->store, "alice", "a", 1, data, 5000, 2, 1);
    s_write (self->store, "alice", "a", 2, data, 4000, 2, 2);
    s_operation (self, ZS_PROTO_DROP, 101, "alice", "a", 1);
    s_send (self);
    s_expect_done (self, 101, ZS_STATUS_OK);
    zs_testkit_copy_path (self->data, "alice", "a", 1, older, sizeof (older));
    zs_testkit_copy_path (self->data, "alice", "a", 2, path, sizeof (path));
    assert_false (s_exists (older));
    assert_true (s_exists (path));
    s_assert_copies (self, 1);
    //  ... and a DROP of what is not there is no failure
    s_operation (self, ZS_PROTO_DROP, 102, "alice", "a", 1);
    s_send (self);
    s_expect_done (self, 102, ZS_STATUS_OK);
    s_assert_copies (self, 1);

    //  DELETE without pending: copies older than the version go, no tombstone
    s_write (self->store, "alice", "b", 1, data, 100, 1, 1);
    s_write (self->store, "alice", "b", 2, data, 200, 1, 2);
    s_write (self->store, "alice", "b", 4, data, 300, 1, 4);
    s_operation (self, ZS_PROTO_DELETE, 103, "alice", "b", 4);
    zs_proto_set_pending (self->request, "");
    s_send (self);
    s_expect_done (self, 103, ZS_STATUS_OK);
    for (uint64_t version = 1; version <= 2; version++) {
        zs_testkit_copy_path (self->data, "alice", "b", version, path, sizeof (path));
        assert_false (s_exists (path));
    }
    s_assert_content (self->store, "alice", "b", 4, data, 300, 1, 4);
    assert_int_equal (s_files_in (self, "tombstones"), 0);
    s_assert_copies (self, 2);

    //  DELETE with pending: every older copy goes, a tombstone stays
    s_write (self->store, "alice", "c", 1, data, 100, 1, 1);
    s_write (self->store, "bob", "c", 1, data, 100, 1, 1);
    s_operation (self, ZS_PROTO_DELETE, 104, "alice", "c", 5);
    zs_proto_set_pending (self->request, "b7,b8");
    s_send (self);
    s_expect_done (self, 104, ZS_STATUS_OK);
    zs_testkit_copy_path (self->data, "alice", "c", 1, path, sizeof (path));
    assert_false (s_exists (path));
    char tombstone[256];
    zs_testkit_tombstone_path (self->data, "alice", "c", 5, tombstone, sizeof (tombstone));
    assert_true (s_exists (tombstone));
    assert_int_equal (s_files_in (self, "tombstones"), 1);
    //  Another owner's file of the same name is not touched
    s_assert_content (self->store, "bob", "c", 1, data, 100, 1, 1);
    s_assert_copies (self, 3);
    //  The tombstone is what an inventory reports
    zs_proto_t *welcome = s_request (self, ZS_PROTO_WELCOME, 0);
    zs_proto_set_heartbeat (welcome, 1000);
    zs_proto_set_liveness (welcome, 3);
    s_send (self);
    zs_proto_t *batch = s_expect (self, ZS_PROTO_INVENTORY, 0);
    assert_int_equal (zs_proto_more (batch), 0);
    assert_int_equal (zs_proto_entries_size (batch), 4);
    size_t tombstones = 0;
    const zs_fileinfo_t *info = (const zs_fileinfo_t *) zlistx_first (zs_proto_entries (batch));
    for (; info; info = (const zs_fileinfo_t *) zlistx_next (zs_proto_entries (batch)))
        if (info->flags & ZS_FILE_TOMBSTONE) {
            tombstones++;
            assert_string_equal (info->user, "alice");
            assert_string_equal (info->name, "c");
            assert_int_equal (info->version, 5);
            assert_string_equal (info->buckets, "b7,b8");
        }
    assert_int_equal (tombstones, 1);

    //  FORGET of another version keeps it; of its version removes it
    s_operation (self, ZS_PROTO_FORGET, 105, "alice", "c", 4);
    s_send (self);
    s_expect_done (self, 105, ZS_STATUS_OK);
    assert_true (s_exists (tombstone));
    s_operation (self, ZS_PROTO_FORGET, 106, "alice", "c", 5);
    s_send (self);
    s_expect_done (self, 106, ZS_STATUS_OK);
    assert_false (s_exists (tombstone));
    assert_int_equal (s_files_in (self, "tombstones"), 0);

    //  SET_REPLICAS records the new count and its stamp in the copy
    s_write (self->store, "alice", "d", 3, data, 5000, 1, 3);
    s_operation (self, ZS_PROTO_SET_REPLICAS, 107, "alice", "d", 3);
    zs_proto_set_replicas (self->request, 4);
    zs_proto_set_stamp (self->request, 10);
    s_send (self);
    s_expect_done (self, 107, ZS_STATUS_OK);
    s_assert_content (self->store, "alice", "d", 3, data, 5000, 4, 10);
    //  An older setting arriving late changes nothing
    s_operation (self, ZS_PROTO_SET_REPLICAS, 108, "alice", "d", 3);
    zs_proto_set_replicas (self->request, 2);
    zs_proto_set_stamp (self->request, 9);
    s_send (self);
    s_expect_done (self, 108, ZS_STATUS_OK);
    s_assert_content (self->store, "alice", "d", 3, data, 5000, 4, 10);
    //  A copy not held cannot take a count
    s_operation (self, ZS_PROTO_SET_REPLICAS, 109, "alice", "d", 4);
    zs_proto_set_replicas (self->request, 2);
    zs_proto_set_stamp (self->request, 11);
    s_send (self);
    s_expect_done (self, 109, ZS_STATUS_NOT_FOUND);
    s_assert_copies (self, 4);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    free (data);
}

//  --------------------------------------------------------------------------
//  String commands

//  Waits up to IDLE_DEADLINE for DONE of each transfer, in any order
static void
s_expect_idle_aborts (fixture_t *self, const uint64_t *transfers, size_t count)
{
    bool seen[8] = { false };
    assert_true (count <= 8);
    int64_t deadline = zclock_mono () + IDLE_DEADLINE;
    for (size_t got = 0; got < count; got++) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || !s_recv (self, (int) left))
            fail_msg ("no DONE for an idle transfer within %d ms", IDLE_DEADLINE);
        assert_int_equal (zs_proto_id (self->reply), ZS_PROTO_DONE);
        assert_int_equal (zs_proto_status (self->reply), ZS_STATUS_TIMEOUT);
        size_t index = 0;
        while (index < count && transfers[index] != zs_proto_transfer (self->reply))
            index++;
        assert_true (index < count);
        assert_false (seen[index]);
        seen[index] = true;
    }
}

static void
test_timeout (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_write (self->store, "alice", "movie", 5, data, THREE_CHUNKS, 2, 5);
    assert_int_equal (zstr_sendx (self->disk, "TIMEOUT", "100", NULL), 0);
    //  A store that stops after its first chunk, a fetch that gets no credit
    s_store_begin (self, 111, "alice", "stalled", 3, THREE_CHUNKS, 1, 3);
    s_store_chunk (self, 111, 0, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE));
    s_expect_ack (self, 111, 1);
    assert_int_equal (s_files_in (self, "tmp"), 1);
    s_fetch (self, 112, "alice", "movie", 5, 0, 0);
    uint64_t transfers[] = { 111, 112 };
    s_expect_idle_aborts (self, transfers, 2);
    s_barrier (self);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    assert_int_equal (s_open_status (self->store, "alice", "stalled", 3), ZS_STATUS_NOT_FOUND);
    s_assert_nothing_pending (self);
    //  Both are gone: what comes for them later is ignored
    const byte *chunk = data + ZS_CHUNK_SIZE;
    s_store_chunk (self, 111, 1, chunk, ZS_CHUNK_SIZE, zs_crc32c (0, chunk, ZS_CHUNK_SIZE));
    s_fetch_credit (self, 112, 3);
    s_barrier (self);
    s_assert_copies (self, 1);
    //  A bad value is ignored, and the worker carries on
    assert_int_equal (zstr_sendx (self->disk, "TIMEOUT", "nonsense", NULL), 0);
    s_fetch (self, 113, "alice", "movie", 5, 2, 3);
    s_expect_chunk (self, 113, 2, data, THREE_CHUNKS);
    s_barrier (self);
    free (data);
}

static void
test_reset (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (THREE_CHUNKS);
    s_write (self->store, "alice", "movie", 5, data, THREE_CHUNKS, 2, 5);
    //  A store and a fetch in progress
    s_store_begin (self, 121, "alice", "interrupted", 3, THREE_CHUNKS, 1, 3);
    s_store_chunk (self, 121, 0, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE));
    s_expect_ack (self, 121, 1);
    s_fetch (self, 122, "alice", "movie", 5, 0, 1);
    s_expect_chunk (self, 122, 0, data, THREE_CHUNKS);
    assert_int_equal (s_files_in (self, "tmp"), 1);

    //  The gateway is gone: both are dropped, and the worker says when
    assert_int_equal (zstr_send (self->disk, "RESET"), 0);
    assert_non_null (zpoller_wait (self->poller, REPLY_TIMEOUT));
    char *confirmation = zstr_recv (self->disk);
    assert_string_equal (confirmation, "RESET");
    zstr_free (&confirmation);
    s_barrier (self);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    s_assert_nothing_pending (self);
    const byte *chunk = data + ZS_CHUNK_SIZE;
    s_store_chunk (self, 121, 1, chunk, ZS_CHUNK_SIZE, zs_crc32c (0, chunk, ZS_CHUNK_SIZE));
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, THREE_CHUNKS, checksum);
    s_store_end (self, 121, THREE_CHUNKS, checksum);
    s_fetch_credit (self, 122, 3);
    s_barrier (self);
    assert_int_equal (s_open_status (self->store, "alice", "interrupted", 3), ZS_STATUS_NOT_FOUND);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    s_assert_copies (self, 1);

    //  New work after a reset goes as usual
    s_store_begin (self, 123, "alice", "after", 4, 1000, 1, 4);
    s_store_chunk (self, 123, 0, data, 1000, zs_crc32c (0, data, 1000));
    s_expect_ack (self, 123, 1);
    zs_testkit_checksum (data, 1000, checksum);
    s_store_finish (self, 123, 1000, checksum);
    s_expect_done (self, 123, ZS_STATUS_OK);
    s_assert_content (self->store, "alice", "after", 4, data, 1000, 1, 4);
    s_assert_copies (self, 2);
    free (data);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_inventory, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_batch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_commit_early, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_forgotten_once_done, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reader_cached, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_wrong_crc, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_out_of_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_abort, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fetch_credit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fetch_read_ahead, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fetch_from_seq, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fetch_missing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fetch_corrupt, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_operations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reset, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
