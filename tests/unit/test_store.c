/*  test_store - a bucket's data folder: store, writer, reader and scan

    Each test gets a fresh temporary folder, removed at teardown whatever
    the outcome; the store's data folder is a subfolder of it, so that a
    file written outside the data folder would show up next to it.
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_crc32c.h"
#include "zs_object.h"
#include "zs_reader.h"
#include "zs_scan.h"
#include "zs_store.h"
#include "zs_testkit.h"
#include "zs_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/syscall.h>

typedef struct {
    char root[64];     //  Temporary folder of the test
    char data[128];    //  The store's data folder, inside root
    zs_store_t *store; //  Open on data, as bucket "b1"
    zs_store_t *other; //  A second store a test opened, if any
    char error[256];   //  Why the last zs_store_new failed
} fixture_t;

//  The store's modules are linked into this program, so these stand in for
//  the C library's pread and pwrite: when asked, they act out a file system
//  that takes the O_DIRECT flag but fails aligned reads and writes with
//  EINVAL, as one whose blocks are larger than the alignment we write in
static bool s_direct_refused;
static int s_direct_refusals;
static int s_direct_done; //  O_DIRECT reads and writes let through

static bool
s_refuse_direct (int fd)
{
    int flags = (int) syscall (SYS_fcntl, fd, F_GETFL);
    if (flags < 0 || !(flags & O_DIRECT))
        return false;
    if (!s_direct_refused) {
        s_direct_done++;
        return false;
    }
    s_direct_refusals++;
    errno = EINVAL;
    return true;
}

ssize_t
pwrite (int fd, const void *data, size_t size, off_t offset)
{
    return s_refuse_direct (fd) ? -1 : syscall (SYS_pwrite64, fd, data, size, offset);
}

ssize_t
pread (int fd, void *data, size_t size, off_t offset)
{
    return s_refuse_direct (fd) ? -1 : syscall (SYS_pread64, fd, data, size, offset);
}

//  Prepares and commits a copy, as a bucket does on STORE_END and COMMIT
static int
s_prepare_commit (zs_writer_t *writer, uint64_t size, const byte *checksum)
{
    int status = zs_writer_prepare (writer, size, checksum);
    return status ? status : zs_writer_commit (writer);
}

static int
s_setup (void **state)
{
    fixture_t *self = (fixture_t *) calloc (1, sizeof (fixture_t));
    if (!self)
        return -1;
    if (!zs_testkit_folder_new (self->root, sizeof (self->root), "store")) {
        free (self);
        return -1;
    }
    snprintf (self->data, sizeof (self->data), "%s/data", self->root);
    self->store = zs_store_new (self->data, "b1", self->error, sizeof (self->error));
    *state = self;
    if (!self->store) {
        print_error ("cannot open a store: %s\n", self->error);
        zs_testkit_folder_remove (self->root);
        free (self);
        *state = NULL;
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
    s_direct_refused = false; //  Also when a test failed while it was set
    zs_store_destroy (&self->store);
    zs_store_destroy (&self->other);
    int rc = zs_testkit_folder_remove (self->root);
    free (self);
    return rc;
}

//  Closes the fixture's store and opens it again
static void
s_reopen (fixture_t *self)
{
    zs_store_destroy (&self->store);
    self->store = zs_store_new (self->data, "b1", self->error, sizeof (self->error));
    assert_non_null (self->store);
}

static zs_fileinfo_t *
s_info (const char *user, const char *name, uint64_t version, uint64_t size, uint8_t desired,
        uint64_t stamp)
{
    zs_fileinfo_t *info = zs_testkit_info (user, name, version, size);
    info->desired = desired;
    info->stamp = stamp;
    return info;
}

//  Writes a whole copy of info (its size a hint) through a writer; returns
//  the first failure
static int
s_write_info (zs_store_t *store, zs_fileinfo_t *info, const byte *data, size_t size)
{
    int status;
    zs_writer_t *writer = zs_writer_new (store, info, &status);
    zs_fileinfo_destroy (&info);
    if (!writer) {
        assert_int_not_equal (status, ZS_STATUS_OK);
        return status;
    }
    assert_int_equal (status, ZS_STATUS_OK);
    for (uint32_t seq = 0; (uint64_t) seq * ZS_CHUNK_SIZE < size; seq++) {
        size_t offset = (size_t) seq * ZS_CHUNK_SIZE;
        size_t length = size - offset < ZS_CHUNK_SIZE ? size - offset : ZS_CHUNK_SIZE;
        status = zs_writer_append (writer, seq, data + offset, length,
                                   zs_crc32c (0, data + offset, length));
        if (status != ZS_STATUS_OK)
            break;
    }
    if (status == ZS_STATUS_OK) {
        byte checksum[ZS_CHECKSUM_SIZE];
        zs_testkit_checksum (data, size, checksum);
        status = s_prepare_commit (writer, size, checksum);
    }
    zs_writer_destroy (&writer);
    assert_null (writer);
    return status;
}

//  Writes a whole copy through a writer; returns the first failure
static int
s_write (zs_store_t *store, const char *user, const char *name, uint64_t version, const byte *data,
         size_t size, uint8_t desired, uint64_t stamp)
{
    return s_write_info (store, s_info (user, name, version, size, desired, stamp), data, size);
}

//  Reads a copy back with a reader and compares every chunk
static void
s_assert_content (zs_store_t *store, const char *user, const char *name, uint64_t version,
                  const byte *data, size_t size)
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
    assert_int_equal (info->flags, 0);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, size, checksum);
    assert_memory_equal (info->checksum, checksum, ZS_CHECKSUM_SIZE);
    uint32_t chunks = zs_reader_chunks (reader);
    assert_int_equal (chunks, zs_object_chunks (size));
    uint64_t total = 0;
    for (uint32_t seq = 0; seq < chunks; seq++) {
        uint32_t crc = 0;
        zframe_t *chunk = zs_reader_chunk (reader, seq, &crc, &status);
        assert_int_equal (status, ZS_STATUS_OK);
        assert_non_null (chunk);
        size_t offset = (size_t) seq * ZS_CHUNK_SIZE;
        size_t length = size - offset < ZS_CHUNK_SIZE ? size - offset : ZS_CHUNK_SIZE;
        assert_int_equal (zframe_size (chunk), length);
        assert_memory_equal (zframe_data (chunk), data + offset, length);
        assert_int_equal (crc, zs_crc32c (0, data + offset, length));
        total += length;
        zframe_destroy (&chunk);
    }
    assert_int_equal (total, size);
    uint32_t crc;
    assert_null (zs_reader_chunk (reader, chunks, &crc, &status));
    assert_int_equal (status, ZS_STATUS_BAD_REQUEST);
    zs_reader_destroy (&reader);
    assert_null (reader);
}

static int
s_open_status (zs_store_t *store, const char *user, const char *name, uint64_t version)
{
    int status = -1;
    zs_reader_t *reader = zs_reader_new (store, user, name, version, &status);
    if (reader) {
        assert_int_equal (status, ZS_STATUS_OK);
        zs_reader_destroy (&reader);
    }
    else
        assert_int_not_equal (status, ZS_STATUS_OK);
    return status;
}

static uint64_t
s_file_size (const char *path)
{
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    return (uint64_t) info.st_size;
}

static bool
s_exists (const char *path)
{
    struct stat info;
    return lstat (path, &info) == 0;
}

//  Entries of a folder under the data folder, "." and ".." aside
static size_t
s_entries (fixture_t *self, const char *folder)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", self->data, folder);
    return zs_testkit_entries (path);
}

static size_t
s_files_in (fixture_t *self, const char *folder)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", self->data, folder);
    return zs_testkit_files_below (path, NULL);
}

static void
s_assert_counters (fixture_t *self, uint64_t files)
{
    char objects[256];
    snprintf (objects, sizeof (objects), "%s/objects", self->data);
    assert_int_equal (zs_store_files (self->store), files);
    uint64_t bytes = 0;
    assert_int_equal (zs_testkit_files_below (objects, &bytes), files);
    assert_int_equal (zs_store_used (self->store), bytes);
}

static void
s_write_file (const char *path, const void *data, size_t size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, data, size), (ssize_t) size);
    close (fd);
}

//  --------------------------------------------------------------------------
//  The data folder

static void
test_layout (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    const char *folders[] = { "objects", "tombstones", "tmp", "quarantine" };
    for (size_t index = 0; index < 4; index++) {
        char path[256];
        snprintf (path, sizeof (path), "%s/%s", self->data, folders[index]);
        struct stat info;
        assert_int_equal (stat (path, &info), 0);
        assert_true (S_ISDIR (info.st_mode));
        assert_int_equal (s_entries (self, folders[index]), 0);
    }
    char path[256];
    snprintf (path, sizeof (path), "%s/LOCK", self->data);
    assert_true (s_exists (path));
    snprintf (path, sizeof (path), "%s/IDENTITY", self->data);
    zconfig_t *identity = zconfig_load (path);
    assert_non_null (identity);
    assert_string_equal (zconfig_get (identity, "bucket", ""), "b1");
    char hex[ZS_INSTANCE_SIZE * 2 + 1];
    sodium_bin2hex (hex, sizeof (hex), zs_store_instance (self->store), ZS_INSTANCE_SIZE);
    assert_string_equal (zconfig_get (identity, "instance", ""), hex);
    zconfig_destroy (&identity);
    //  A random instance id, not all zeros
    byte zeros[ZS_INSTANCE_SIZE] = { 0 };
    assert_memory_not_equal (zs_store_instance (self->store), zeros, ZS_INSTANCE_SIZE);
    //  Nothing else in the folder but the four folders, IDENTITY and LOCK
    assert_int_equal (s_entries (self, "."), 6);
    assert_int_equal (zs_store_files (self->store), 0);
    assert_int_equal (zs_store_used (self->store), 0);
    assert_true (zs_store_free (self->store) > 0);
    assert_true (zs_store_fd (self->store) >= 0);
    //  A folder whose parents are missing too
    snprintf (path, sizeof (path), "%s/deeper/still/data", self->root);
    self->other = zs_store_new (path, "b9", self->error, sizeof (self->error));
    assert_non_null (self->other);
    assert_memory_not_equal (zs_store_instance (self->other), zs_store_instance (self->store),
                             ZS_INSTANCE_SIZE);
}

static void
test_in_use (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    self->error[0] = 0;
    self->other = zs_store_new (self->data, "b1", self->error, sizeof (self->error));
    assert_null (self->other);
    assert_non_null (strstr (self->error, "in use"));
    //  The failed attempt did not release the first store's lock
    self->error[0] = 0;
    self->other = zs_store_new (self->data, "b1", self->error, sizeof (self->error));
    assert_null (self->other);
    assert_non_null (strstr (self->error, "in use"));
    //  Once the first store is closed, the folder can be opened again
    zs_store_destroy (&self->store);
    self->store = zs_store_new (self->data, "b1", self->error, sizeof (self->error));
    assert_non_null (self->store);
}

static void
test_other_bucket (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte instance[ZS_INSTANCE_SIZE];
    memcpy (instance, zs_store_instance (self->store), ZS_INSTANCE_SIZE);
    zs_store_destroy (&self->store);
    self->error[0] = 0;
    self->other = zs_store_new (self->data, "b2", self->error, sizeof (self->error));
    assert_null (self->other);
    assert_non_null (strstr (self->error, "belongs to bucket"));
    assert_non_null (strstr (self->error, "'b1'"));
    //  The refusal did not change the folder's identity
    s_reopen (self);
    assert_memory_equal (zs_store_instance (self->store), instance, ZS_INSTANCE_SIZE);
}

static void
test_instance_persists (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte instance[ZS_INSTANCE_SIZE];
    memcpy (instance, zs_store_instance (self->store), ZS_INSTANCE_SIZE);
    s_reopen (self);
    assert_memory_equal (zs_store_instance (self->store), instance, ZS_INSTANCE_SIZE);
    s_reopen (self);
    assert_memory_equal (zs_store_instance (self->store), instance, ZS_INSTANCE_SIZE);
    //  A damaged IDENTITY is refused rather than replaced
    zs_store_destroy (&self->store);
    char path[256];
    snprintf (path, sizeof (path), "%s/IDENTITY", self->data);
    const char *damaged = "bucket = \"b1\"\ninstance = \"12zz\"\n";
    s_write_file (path, damaged, strlen (damaged));
    self->store = zs_store_new (self->data, "b1", self->error, sizeof (self->error));
    assert_null (self->store);
    assert_non_null (strstr (self->error, "IDENTITY"));
}

static void
test_leftovers_removed (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte data[100];
    randombytes_buf (data, sizeof (data));
    assert_int_equal (s_write (self->store, "alice", "kept", 1, data, sizeof (data), 2, 1), 0);
    assert_int_equal (zs_store_delete (self->store, "alice", "gone", 4, "b2"), 0);
    zs_store_destroy (&self->store);

    //  What a crash could leave behind
    const char *leftovers[] = { "tmp/1.part", "tmp/99.part", "tmp/other", "IDENTITY.new",
                                "tombstones/0123.new" };
    for (size_t index = 0; index < 5; index++) {
        char path[256];
        snprintf (path, sizeof (path), "%s/%s", self->data, leftovers[index]);
        s_write_file (path, data, sizeof (data));
    }
    assert_int_equal (s_entries (self, "tmp"), 3);
    s_reopen (self);
    assert_int_equal (s_entries (self, "tmp"), 0);
    for (size_t index = 0; index < 5; index++) {
        char path[256];
        snprintf (path, sizeof (path), "%s/%s", self->data, leftovers[index]);
        assert_false (s_exists (path));
    }
    //  What was durable stays, and is counted again
    s_assert_content (self->store, "alice", "kept", 1, data, sizeof (data));
    assert_int_equal (s_entries (self, "tombstones"), 1);
    s_assert_counters (self, 1);
    //  New temporary files do not clash with anything
    assert_int_equal (s_write (self->store, "alice", "more", 1, data, 10, 2, 1), 0);
    s_assert_counters (self, 2);
}

//  --------------------------------------------------------------------------
//  Writer and reader

static void
test_write_read_sizes (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  Small copies, then large ones written past the page cache: whole
    //  chunks, a tail of whole blocks, a tail shorter than a block
    size_t sizes[] = { 0,
                       1,
                       ZS_CHUNK_SIZE,
                       5 * ZS_CHUNK_SIZE / 2,
                       ZS_CHUNK_SIZE + 1,
                       ZS_WRITER_DIRECT_MIN,
                       ZS_WRITER_DIRECT_MIN + 3 * ZS_OBJECT_ALIGNED,
                       ZS_WRITER_DIRECT_MIN + ZS_CHUNK_SIZE / 2 + 123 };
    enum { SIZES = sizeof (sizes) / sizeof (sizes[0]) };
    byte *data[SIZES];
    for (size_t index = 0; index < SIZES; index++) {
        data[index] = zs_testkit_random (sizes[index]);
        char name[32];
        snprintf (name, sizeof (name), "file-%zu", sizes[index]);
        assert_int_equal (s_write (self->store, "alice", name, 1000 + index, data[index],
                                   sizes[index], (uint8_t) (index + 1), 77 + index),
                          ZS_STATUS_OK);
        s_assert_counters (self, index + 1);
    }
    for (size_t index = 0; index < SIZES; index++) {
        char name[32];
        snprintf (name, sizeof (name), "file-%zu", sizes[index]);
        s_assert_content (self->store, "alice", name, 1000 + index, data[index], sizes[index]);
        //  Every header field round-trips
        int status;
        zs_reader_t *reader = zs_reader_new (self->store, "alice", name, 1000 + index, &status);
        assert_non_null (reader);
        const zs_fileinfo_t *info = zs_reader_info (reader);
        assert_int_equal (info->desired, index + 1);
        assert_int_equal (info->stamp, 77 + index);
        assert_int_equal (info->version, 1000 + index);
        zs_reader_destroy (&reader);
        //  The file on disk is header, content and CRCs; a large copy's
        //  header fills a block
        char path[256];
        zs_testkit_copy_path (self->data, "alice", name, 1000 + index, path, sizeof (path));
        size_t header_size = sizes[index] >= ZS_WRITER_DIRECT_MIN
                                 ? ZS_OBJECT_ALIGNED
                                 : ZS_OBJECT_FIXED_HEADER + 5 + strlen (name);
        assert_int_equal (s_file_size (path),
                          header_size + sizes[index] + 4 * zs_object_chunks (sizes[index]));
    }
    assert_int_equal (s_entries (self, "tmp"), 0);
    //  Counted again the same after a restart
    uint64_t used = zs_store_used (self->store);
    s_reopen (self);
    assert_int_equal (zs_store_used (self->store), used);
    s_assert_counters (self, SIZES);
    s_assert_content (self->store, "alice", "file-2621440", 1003, data[3], sizes[3]);
    s_assert_content (self->store, "alice", "file-4718715", 1007, data[7], sizes[7]);
    for (size_t index = 0; index < SIZES; index++)
        free (data[index]);
}

static void
test_write_unannounced (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  A put from a pipe says no size: its copy has the tight header, however
    //  large it turns out
    size_t size = ZS_WRITER_DIRECT_MIN + ZS_CHUNK_SIZE / 3;
    byte *data = zs_testkit_random (size);
    assert_int_equal (
        s_write_info (self->store, s_info ("alice", "piped", 1, UINT64_MAX, 1, 1), data, size),
        ZS_STATUS_OK);
    s_assert_content (self->store, "alice", "piped", 1, data, size);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "piped", 1, path, sizeof (path));
    assert_int_equal (s_file_size (path), ZS_OBJECT_FIXED_HEADER + strlen ("alice")
                                              + strlen ("piped") + size
                                              + 4 * zs_object_chunks (size));
    free (data);
}

//  A large copy on a file system that fails O_DIRECT reads and writes goes
//  through the page cache instead, both ways: one refusal each, then no
//  more tries. Its header still fills a block, so it reads the same once
//  O_DIRECT works.
static void
test_direct_refused (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    char probe[256];
    snprintf (probe, sizeof (probe), "%s/direct", self->root);
    int fd = open (probe, O_CREAT | O_WRONLY | O_DIRECT, 0600);
    if (fd < 0)
        skip (); //  Where O_DIRECT is refused outright, nothing is acted out
    close (fd);
    unlink (probe);
    size_t size = ZS_WRITER_DIRECT_MIN + ZS_CHUNK_SIZE / 2 + 123;
    byte *data = zs_testkit_random (size);
    s_direct_refused = true;
    s_direct_refusals = 0;
    assert_int_equal (s_write (self->store, "alice", "refused", 1, data, size, 2, 5), ZS_STATUS_OK);
    int write_refusals = s_direct_refusals;
    s_assert_content (self->store, "alice", "refused", 1, data, size);
    s_direct_refused = false;
    assert_int_equal (write_refusals, 1);
    assert_int_equal (s_direct_refusals, 2);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "refused", 1, path, sizeof (path));
    assert_int_equal (s_file_size (path), ZS_OBJECT_ALIGNED + size + 4 * zs_object_chunks (size));
    s_direct_done = 0;
    s_assert_content (self->store, "alice", "refused", 1, data, size);
    assert_int_equal (s_direct_done, zs_object_chunks (size));
    free (data);
}

static void
test_counters (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (3000);
    assert_int_equal (s_write (self->store, "alice", "a", 1, data, 1000, 2, 1), 0);
    assert_int_equal (s_write (self->store, "alice", "a", 2, data, 2000, 2, 1), 0);
    assert_int_equal (s_write (self->store, "bob", "a", 1, data, 3000, 2, 1), 0);
    s_assert_counters (self, 3);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "a", 2, path, sizeof (path));
    uint64_t size = s_file_size (path);
    uint64_t used = zs_store_used (self->store);

    //  Writing the same version again replaces it: one copy
    assert_int_equal (s_write (self->store, "alice", "a", 2, data + 1, 500, 2, 1), 0);
    s_assert_counters (self, 3);
    assert_int_equal (zs_store_used (self->store), used - 1500);
    s_assert_content (self->store, "alice", "a", 2, data + 1, 500);

    //  Drop removes exactly one version
    assert_int_equal (zs_store_drop (self->store, "alice", "a", 2), ZS_STATUS_OK);
    s_assert_counters (self, 2);
    assert_int_equal (zs_store_used (self->store), used - 1500 - (size - 1500));
    assert_int_equal (s_open_status (self->store, "alice", "a", 2), ZS_STATUS_NOT_FOUND);
    s_assert_content (self->store, "alice", "a", 1, data, 1000);
    s_assert_content (self->store, "bob", "a", 1, data, 3000);
    //  Dropping what is not there is fine and changes nothing
    assert_int_equal (zs_store_drop (self->store, "alice", "a", 2), ZS_STATUS_OK);
    assert_int_equal (zs_store_drop (self->store, "carol", "none", 5), ZS_STATUS_OK);
    s_assert_counters (self, 2);
    assert_int_equal (zs_store_drop (self->store, "alice", "a", 1), ZS_STATUS_OK);
    assert_int_equal (zs_store_drop (self->store, "bob", "a", 1), ZS_STATUS_OK);
    s_assert_counters (self, 0);
    assert_int_equal (zs_store_used (self->store), 0);
    free (data);
}

static void
test_writer_wrong_crc (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte data[300];
    randombytes_buf (data, sizeof (data));
    zs_fileinfo_t *info = s_info ("alice", "crc", 1, sizeof (data), 1, 1);
    int status;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    uint32_t crc = zs_crc32c (0, data, sizeof (data));
    assert_int_equal (zs_writer_append (writer, 0, data, sizeof (data), crc ^ 1),
                      ZS_STATUS_CORRUPT);
    assert_true (strlen (zs_writer_reason (writer)) > 0);
    assert_int_equal (zs_writer_chunks (writer), 0);
    //  Same chunk, altered in transit
    data[7] ^= 0x10;
    assert_int_equal (zs_writer_append (writer, 0, data, sizeof (data), crc), ZS_STATUS_CORRUPT);
    data[7] ^= 0x10;
    //  The refused chunk was not taken: it may come again
    assert_int_equal (zs_writer_append (writer, 0, data, sizeof (data), crc), ZS_STATUS_OK);
    assert_int_equal (zs_writer_chunks (writer), 1);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, sizeof (data), checksum);
    assert_int_equal (s_prepare_commit (writer, sizeof (data), checksum), ZS_STATUS_OK);
    zs_writer_destroy (&writer);
    s_assert_content (self->store, "alice", "crc", 1, data, sizeof (data));
    zs_fileinfo_destroy (&info);
}

static void
test_writer_out_of_order (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (3 * ZS_CHUNK_SIZE);
    zs_fileinfo_t *info = s_info ("alice", "order", 1, UINT64_MAX, 1, 1);
    int status;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    uint32_t crcs[3];
    for (int seq = 0; seq < 3; seq++)
        crcs[seq] = zs_crc32c (0, data + seq * ZS_CHUNK_SIZE, ZS_CHUNK_SIZE);
    assert_int_equal (zs_writer_append (writer, 1, data + ZS_CHUNK_SIZE, ZS_CHUNK_SIZE, crcs[1]),
                      ZS_STATUS_BAD_REQUEST);
    assert_int_equal (zs_writer_chunks (writer), 0);
    assert_int_equal (zs_writer_append (writer, 0, data, ZS_CHUNK_SIZE, crcs[0]), ZS_STATUS_OK);
    //  Repeated, or skipping ahead
    assert_int_equal (zs_writer_append (writer, 0, data, ZS_CHUNK_SIZE, crcs[0]),
                      ZS_STATUS_BAD_REQUEST);
    assert_int_equal (
        zs_writer_append (writer, 2, data + 2 * ZS_CHUNK_SIZE, ZS_CHUNK_SIZE, crcs[2]),
        ZS_STATUS_BAD_REQUEST);
    assert_int_equal (zs_writer_chunks (writer), 1);
    assert_int_equal (zs_writer_append (writer, 1, data + ZS_CHUNK_SIZE, ZS_CHUNK_SIZE, crcs[1]),
                      ZS_STATUS_OK);
    assert_int_equal (
        zs_writer_append (writer, 2, data + 2 * ZS_CHUNK_SIZE, ZS_CHUNK_SIZE, crcs[2]),
        ZS_STATUS_OK);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, 3 * ZS_CHUNK_SIZE, checksum);
    assert_int_equal (s_prepare_commit (writer, 3 * ZS_CHUNK_SIZE, checksum), ZS_STATUS_OK);
    //  Nothing more after the end
    assert_int_equal (zs_writer_append (writer, 3, data, 10, zs_crc32c (0, data, 10)),
                      ZS_STATUS_BAD_REQUEST);
    assert_int_equal (s_prepare_commit (writer, 3 * ZS_CHUNK_SIZE, checksum), ZS_STATUS_OK);
    zs_writer_destroy (&writer);
    //  Destroying a committed writer keeps the copy
    s_assert_content (self->store, "alice", "order", 1, data, 3 * ZS_CHUNK_SIZE);
    s_assert_counters (self, 1);
    zs_fileinfo_destroy (&info);
    free (data);
}

static void
test_writer_after_short_chunk (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (ZS_CHUNK_SIZE + 1);
    zs_fileinfo_t *info = s_info ("alice", "short", 1, UINT64_MAX, 1, 1);
    int status;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    //  Empty chunks and oversized chunks are refused
    assert_int_equal (zs_writer_append (writer, 0, data, 0, zs_crc32c (0, data, 0)),
                      ZS_STATUS_BAD_REQUEST);
    assert_int_equal (zs_writer_append (writer, 0, data, ZS_CHUNK_SIZE + 1,
                                        zs_crc32c (0, data, ZS_CHUNK_SIZE + 1)),
                      ZS_STATUS_BAD_REQUEST);
    assert_int_equal (zs_writer_append (writer, 0, data, 100, zs_crc32c (0, data, 100)),
                      ZS_STATUS_OK);
    //  A chunk after a short one, whatever its size
    assert_int_equal (zs_writer_append (writer, 1, data, 100, zs_crc32c (0, data, 100)),
                      ZS_STATUS_BAD_REQUEST);
    assert_int_equal (
        zs_writer_append (writer, 1, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE)),
        ZS_STATUS_BAD_REQUEST);
    assert_int_equal (zs_writer_chunks (writer), 1);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, 100, checksum);
    assert_int_equal (s_prepare_commit (writer, 100, checksum), ZS_STATUS_OK);
    zs_writer_destroy (&writer);
    s_assert_content (self->store, "alice", "short", 1, data, 100);
    zs_fileinfo_destroy (&info);
    free (data);
}

static void
test_writer_commit_wrong_size (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte data[100];
    randombytes_buf (data, sizeof (data));
    zs_fileinfo_t *info = s_info ("alice", "size", 1, sizeof (data), 1, 1);
    int status;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    assert_int_equal (zs_writer_append (writer, 0, data, 100, zs_crc32c (0, data, 100)),
                      ZS_STATUS_OK);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, sizeof (data), checksum);
    assert_int_equal (s_prepare_commit (writer, 99, checksum), ZS_STATUS_BAD_REQUEST);
    assert_non_null (strstr (zs_writer_reason (writer), "99"));
    assert_int_equal (s_prepare_commit (writer, 101, checksum), ZS_STATUS_BAD_REQUEST);
    assert_int_equal (s_prepare_commit (writer, 0, checksum), ZS_STATUS_BAD_REQUEST);
    //  Nothing is visible
    assert_int_equal (s_open_status (self->store, "alice", "size", 1), ZS_STATUS_NOT_FOUND);
    s_assert_counters (self, 0);
    //  The right size still commits
    assert_int_equal (s_prepare_commit (writer, 100, checksum), ZS_STATUS_OK);
    zs_writer_destroy (&writer);
    s_assert_content (self->store, "alice", "size", 1, data, sizeof (data));
    s_assert_counters (self, 1);
    zs_fileinfo_destroy (&info);
}

static void
test_writer_abandoned (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (2 * ZS_CHUNK_SIZE);
    assert_int_equal (s_write (self->store, "alice", "there", 1, data, 10, 1, 1), 0);
    uint64_t used = zs_store_used (self->store);
    zs_fileinfo_t *info = s_info ("alice", "abandoned", 1, 2 * ZS_CHUNK_SIZE, 1, 1);
    int status;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    assert_int_equal (s_entries (self, "tmp"), 1);
    assert_int_equal (
        zs_writer_append (writer, 0, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE)),
        ZS_STATUS_OK);
    zs_writer_destroy (&writer);
    assert_int_equal (s_entries (self, "tmp"), 0);
    assert_int_equal (s_open_status (self->store, "alice", "abandoned", 1), ZS_STATUS_NOT_FOUND);
    s_assert_counters (self, 1);
    assert_int_equal (zs_store_used (self->store), used);

    //  Also when the commit failed
    writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    assert_int_equal (
        zs_writer_append (writer, 0, data, ZS_CHUNK_SIZE, zs_crc32c (0, data, ZS_CHUNK_SIZE)),
        ZS_STATUS_OK);
    byte checksum[ZS_CHECKSUM_SIZE] = { 0 };
    assert_int_equal (s_prepare_commit (writer, 2 * ZS_CHUNK_SIZE, checksum),
                      ZS_STATUS_BAD_REQUEST);
    zs_writer_destroy (&writer);
    //  And when nothing was written at all
    writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    zs_writer_destroy (&writer);
    assert_int_equal (s_entries (self, "tmp"), 0);
    s_assert_counters (self, 1);
    s_assert_content (self->store, "alice", "there", 1, data, 10);
    zs_fileinfo_destroy (&info);
    free (data);
}

static void
test_writer_capacity (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (4000);
    zs_store_set_capacity (self->store, 1000);
    assert_int_equal (zs_store_capacity (self->store), 1000);
    assert_int_equal (zs_store_free (self->store), 1000);

    //  Announced size over the limit: refused at once
    zs_fileinfo_t *info = s_info ("alice", "big", 1, 2000, 1, 1);
    int status = -1;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    assert_null (writer);
    assert_int_equal (status, ZS_STATUS_NO_SPACE);
    zs_fileinfo_destroy (&info);
    //  Unknown size: refused at the chunk that does not fit
    info = s_info ("alice", "big", 1, UINT64_MAX, 1, 1);
    writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    assert_int_equal (zs_writer_append (writer, 0, data, 2000, zs_crc32c (0, data, 2000)),
                      ZS_STATUS_NO_SPACE);
    zs_writer_destroy (&writer);
    zs_fileinfo_destroy (&info);
    assert_int_equal (s_entries (self, "tmp"), 0);

    //  A copy that fits uses up part of the capacity
    assert_int_equal (s_write (self->store, "alice", "small", 1, data, 500, 1, 1), ZS_STATUS_OK);
    uint64_t used = zs_store_used (self->store);
    assert_true (used > 500);
    assert_int_equal (zs_store_free (self->store), 1000 - used);
    assert_int_equal (zs_store_capacity (self->store), 1000);
    assert_int_equal (s_write (self->store, "alice", "second", 1, data, 500, 1, 1),
                      ZS_STATUS_NO_SPACE);
    s_assert_counters (self, 1);
    //  Full: not even a byte
    zs_store_set_capacity (self->store, used);
    assert_int_equal (zs_store_free (self->store), 0);
    assert_int_equal (s_write (self->store, "alice", "byte", 1, data, 1, 1, 1), ZS_STATUS_NO_SPACE);
    //  Raised again, or lifted
    zs_store_set_capacity (self->store, 100000);
    assert_int_equal (s_write (self->store, "alice", "second", 1, data, 4000, 1, 1), ZS_STATUS_OK);
    zs_store_set_capacity (self->store, 0);
    assert_true (zs_store_free (self->store) > 100000);
    assert_true (zs_store_capacity (self->store) > zs_store_used (self->store));
    s_assert_counters (self, 2);
    free (data);
}

//  Bytes of copies still being written count against the capacity, so a
//  copy of unknown size cannot go past it chunk after chunk
static void
test_writer_capacity_in_progress (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (ZS_CHUNK_SIZE);
    uint32_t crc = zs_crc32c (0, data, ZS_CHUNK_SIZE);
    zs_store_set_capacity (self->store, ZS_CHUNK_SIZE + ZS_CHUNK_SIZE / 2);
    zs_fileinfo_t *info = s_info ("alice", "stream", 1, UINT64_MAX, 1, 1);
    int status = -1;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    assert_non_null (writer);
    assert_int_equal (zs_writer_append (writer, 0, data, ZS_CHUNK_SIZE, crc), ZS_STATUS_OK);
    assert_int_equal (zs_store_free (self->store), ZS_CHUNK_SIZE / 2);
    assert_int_equal (zs_writer_append (writer, 1, data, ZS_CHUNK_SIZE, crc), ZS_STATUS_NO_SPACE);
    //  A second writer meanwhile sees the first one's bytes as taken
    zs_fileinfo_t *other_info = s_info ("alice", "other", 1, UINT64_MAX, 1, 1);
    zs_writer_t *other = zs_writer_new (self->store, other_info, &status);
    assert_non_null (other);
    assert_int_equal (zs_writer_append (other, 0, data, ZS_CHUNK_SIZE, crc), ZS_STATUS_NO_SPACE);
    zs_writer_destroy (&other);
    //  Given up, its bytes are free again
    zs_writer_destroy (&writer);
    assert_int_equal (zs_store_free (self->store), ZS_CHUNK_SIZE + ZS_CHUNK_SIZE / 2);
    zs_fileinfo_destroy (&info);
    zs_fileinfo_destroy (&other_info);
    free (data);
}

static void
test_reader_missing (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte data[10] = "0123456789";
    assert_int_equal (s_write (self->store, "alice", "file", 5, data, 10, 1, 1), 0);
    assert_int_equal (s_open_status (self->store, "alice", "file", 5), ZS_STATUS_OK);
    assert_int_equal (s_open_status (self->store, "alice", "file", 4), ZS_STATUS_NOT_FOUND);
    assert_int_equal (s_open_status (self->store, "alice", "file", 6), ZS_STATUS_NOT_FOUND);
    assert_int_equal (s_open_status (self->store, "alice", "other", 5), ZS_STATUS_NOT_FOUND);
    assert_int_equal (s_open_status (self->store, "bob", "file", 5), ZS_STATUS_NOT_FOUND);
}

//  One bit of chunk 1's content changes on disk: chunk 1 is refused, the
//  others are served
static void
s_assert_flip_caught (fixture_t *self, const char *name, size_t size, size_t header_size)
{
    byte *data = zs_testkit_random (size);
    assert_int_equal (s_write (self->store, "alice", name, 1, data, size, 1, 1), 0);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", name, 1, path, sizeof (path));
    assert_int_equal (s_file_size (path), header_size + size + 4 * zs_object_chunks (size));

    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    off_t offset = (off_t) (header_size + ZS_CHUNK_SIZE + 12345);
    byte value;
    assert_int_equal (pread (fd, &value, 1, offset), 1);
    value ^= 0x04;
    assert_int_equal (pwrite (fd, &value, 1, offset), 1);
    close (fd);

    int status = -1;
    zs_reader_t *reader = zs_reader_new (self->store, "alice", name, 1, &status);
    assert_non_null (reader);
    assert_int_equal (status, ZS_STATUS_OK);
    uint32_t chunks = zs_reader_chunks (reader);
    for (uint32_t seq = 0; seq < chunks; seq++) {
        uint32_t crc;
        zframe_t *chunk = zs_reader_chunk (reader, seq, &crc, &status);
        if (seq == 1) {
            assert_null (chunk);
            assert_int_equal (status, ZS_STATUS_CORRUPT);
            assert_non_null (strstr (zs_reader_reason (reader), "CRC"));
            continue;
        }
        assert_non_null (chunk);
        assert_int_equal (status, ZS_STATUS_OK);
        size_t start = (size_t) seq * ZS_CHUNK_SIZE;
        size_t length = size - start < ZS_CHUNK_SIZE ? size - start : ZS_CHUNK_SIZE;
        assert_int_equal (zframe_size (chunk), length);
        assert_memory_equal (zframe_data (chunk), data + start, length);
        zframe_destroy (&chunk);
    }
    zs_reader_destroy (&reader);
    free (data);
}

static void
test_reader_flipped_byte (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_assert_flip_caught (self, "flip", 5 * ZS_CHUNK_SIZE / 2,
                          ZS_OBJECT_FIXED_HEADER + strlen ("alice") + strlen ("flip"));
    //  A large copy, read past the page cache, after the change went to it
    s_assert_flip_caught (self, "large", ZS_WRITER_DIRECT_MIN + ZS_CHUNK_SIZE / 2 + 7,
                          ZS_OBJECT_ALIGNED);
}

static void
test_reader_damaged_file (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (ZS_CHUNK_SIZE + 10);
    assert_int_equal (s_write (self->store, "alice", "cut", 1, data, ZS_CHUNK_SIZE + 10, 1, 1), 0);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "cut", 1, path, sizeof (path));
    uint64_t size = s_file_size (path);
    //  One byte short, or longer than it should be
    assert_int_equal (truncate (path, (off_t) size - 1), 0);
    assert_int_equal (s_open_status (self->store, "alice", "cut", 1), ZS_STATUS_CORRUPT);
    assert_int_equal (truncate (path, (off_t) size + 1), 0);
    assert_int_equal (s_open_status (self->store, "alice", "cut", 1), ZS_STATUS_CORRUPT);
    //  Cut inside the header, or empty
    assert_int_equal (truncate (path, 40), 0);
    assert_int_equal (s_open_status (self->store, "alice", "cut", 1), ZS_STATUS_CORRUPT);
    assert_int_equal (truncate (path, 0), 0);
    assert_int_equal (s_open_status (self->store, "alice", "cut", 1), ZS_STATUS_CORRUPT);

    //  A well-formed copy of another file in this one's place
    assert_int_equal (s_write (self->store, "alice", "other", 1, data, 10, 1, 1), 0);
    char other[256];
    zs_testkit_copy_path (self->data, "alice", "other", 1, other, sizeof (other));
    assert_int_equal (rename (other, path), 0);
    assert_int_equal (s_open_status (self->store, "alice", "cut", 1), ZS_STATUS_CORRUPT);
    //  The right file under another version's name
    assert_int_equal (s_write (self->store, "alice", "cut", 2, data, 10, 1, 1), 0);
    zs_testkit_copy_path (self->data, "alice", "cut", 2, other, sizeof (other));
    assert_int_equal (rename (other, path), 0);
    assert_int_equal (s_open_status (self->store, "alice", "cut", 1), ZS_STATUS_CORRUPT);
    free (data);
}

//  --------------------------------------------------------------------------
//  Delete, tombstones, replica counts, quarantine

//  Finds a name of user's whose key shares its leaf folder with name's
static void
s_same_leaf_name (const char *user, const char *name, char *found, size_t size)
{
    char key[ZS_OBJECT_KEY_SIZE + 1], candidate_key[ZS_OBJECT_KEY_SIZE + 1];
    zs_object_key (user, name, key);
    for (int number = 0; number < 10000000; number++) {
        snprintf (found, size, "neighbour-%d", number);
        zs_object_key (user, found, candidate_key);
        if (memcmp (key, candidate_key, 4) == 0)
            return;
    }
    fail_msg ("no name found in the same leaf folder");
}

static void
test_delete_older (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (5000);
    for (uint64_t version = 1; version <= 4; version++)
        assert_int_equal (
            s_write (self->store, "alice", "doc", version, data, 1000 * version, 1, 1), 0);
    char neighbour[64];
    s_same_leaf_name ("alice", "doc", neighbour, sizeof (neighbour));
    assert_int_equal (s_write (self->store, "alice", neighbour, 1, data, 10, 1, 1), 0);
    assert_int_equal (s_write (self->store, "bob", "doc", 1, data, 20, 1, 1), 0);
    s_assert_counters (self, 6);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "doc", 3, path, sizeof (path));
    uint64_t leaf_entries = 0;
    {
        char leaf[256];
        snprintf (leaf, sizeof (leaf), "%s", path);
        *strrchr (leaf, '/') = 0;
        leaf_entries = zs_testkit_files_below (leaf, NULL);
    }
    assert_int_equal (leaf_entries, 5);

    //  Nothing is older than version 1
    assert_int_equal (zs_store_delete (self->store, "alice", "doc", 1, ""), ZS_STATUS_OK);
    s_assert_counters (self, 6);
    assert_int_equal (zs_store_delete (self->store, "alice", "doc", 3, ""), ZS_STATUS_OK);
    assert_int_equal (s_open_status (self->store, "alice", "doc", 1), ZS_STATUS_NOT_FOUND);
    assert_int_equal (s_open_status (self->store, "alice", "doc", 2), ZS_STATUS_NOT_FOUND);
    s_assert_content (self->store, "alice", "doc", 3, data, 3000);
    s_assert_content (self->store, "alice", "doc", 4, data, 4000);
    //  Other files, in the same leaf folder or of the same name, are untouched
    s_assert_content (self->store, "alice", neighbour, 1, data, 10);
    s_assert_content (self->store, "bob", "doc", 1, data, 20);
    s_assert_counters (self, 4);
    //  An empty pending list leaves no tombstone
    assert_int_equal (s_entries (self, "tombstones"), 0);
    //  Deleting past every version removes them all
    assert_int_equal (zs_store_delete (self->store, "alice", "doc", 10, NULL), ZS_STATUS_OK);
    s_assert_counters (self, 2);
    assert_int_equal (s_entries (self, "tombstones"), 0);
    //  A file with no copies at all
    assert_int_equal (zs_store_delete (self->store, "carol", "never", 10, ""), ZS_STATUS_OK);
    s_assert_counters (self, 2);
    free (data);
}

//  Collects what a scan reports: "user|name|version|flags|buckets" lines
static zlistx_t *
s_scan_all (zs_store_t *store, bool headers)
{
    zlistx_t *records = zlistx_new ();
    assert_non_null (records);
    zlistx_set_destructor (records, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (records, (zlistx_comparator_fn *) strcmp);
    zs_scan_t *scan = zs_scan_new (store, headers);
    assert_non_null (scan);
    const zs_fileinfo_t *info;
    uint64_t disk_size;
    while ((info = zs_scan_next (scan, &disk_size))) {
        char *line = headers ? zsys_sprintf ("%s|%s|%" PRIu64 "|%d|%s", info->user, info->name,
                                             info->version, info->flags, info->buckets)
                             : zsys_sprintf ("%" PRIu64 "|%d", info->version, info->flags);
        zlistx_add_end (records, line);
    }
    zs_scan_destroy (&scan);
    assert_null (scan);
    return records;
}

static void
test_delete_tombstone (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (100);
    assert_int_equal (s_write (self->store, "alice", "gone", 1, data, 100, 1, 1), 0);
    assert_int_equal (s_write (self->store, "alice", "gone", 2, data, 50, 1, 1), 0);
    assert_int_equal (s_write (self->store, "alice", "stays", 1, data, 30, 1, 1), 0);
    assert_int_equal (zs_store_delete (self->store, "alice", "gone", 5, "b2,b3"), ZS_STATUS_OK);
    //  Every copy went; a tombstone stays, which is not a copy
    s_assert_counters (self, 1);
    assert_int_equal (s_entries (self, "tombstones"), 1);
    char path[256];
    zs_testkit_tombstone_path (self->data, "alice", "gone", 5, path, sizeof (path));
    assert_true (s_exists (path));

    zs_scan_t *scan = zs_scan_new (self->store, true);
    assert_non_null (scan);
    const zs_fileinfo_t *info;
    uint64_t disk_size = 0;
    size_t copies = 0, tombstones = 0;
    while ((info = zs_scan_next (scan, &disk_size))) {
        if (info->flags & ZS_FILE_TOMBSTONE) {
            tombstones++;
            assert_int_equal (info->flags, ZS_FILE_TOMBSTONE);
            assert_string_equal (info->user, "alice");
            assert_string_equal (info->name, "gone");
            assert_int_equal (info->version, 5);
            assert_string_equal (info->buckets, "b2,b3");
            assert_int_equal (info->size, 0);
            assert_int_equal (disk_size, s_file_size (path));
        }
        else {
            copies++;
            assert_string_equal (info->name, "stays");
            assert_string_equal (info->buckets, "");
            assert_int_equal (info->size, 30);
        }
    }
    zs_scan_destroy (&scan);
    assert_int_equal (copies, 1);
    assert_int_equal (tombstones, 1);
    //  Tombstones do not count as copies after a restart either
    s_reopen (self);
    s_assert_counters (self, 1);

    //  A later removal replaces the tombstone
    assert_int_equal (zs_store_delete (self->store, "alice", "gone", 6, "b4"), ZS_STATUS_OK);
    assert_false (s_exists (path));
    zlistx_t *records = s_scan_all (self->store, true);
    assert_int_equal (zlistx_size (records), 2);
    assert_non_null (zlistx_find (records, "alice|gone|6|1|b4"));
    zlistx_destroy (&records);

    //  Forget removes it; forgetting again is fine
    assert_int_equal (zs_store_forget (self->store, "alice", "gone", 5), ZS_STATUS_OK);
    assert_int_equal (s_entries (self, "tombstones"), 1);
    assert_int_equal (zs_store_forget (self->store, "alice", "gone", 6), ZS_STATUS_OK);
    assert_int_equal (s_entries (self, "tombstones"), 0);
    assert_int_equal (zs_store_forget (self->store, "alice", "gone", 6), ZS_STATUS_OK);
    records = s_scan_all (self->store, true);
    assert_int_equal (zlistx_size (records), 1);
    assert_non_null (zlistx_find (records, "alice|stays|1|0|"));
    zlistx_destroy (&records);

    //  A removal without pending buckets also clears older tombstones
    assert_int_equal (zs_store_delete (self->store, "alice", "gone", 7, "b5"), ZS_STATUS_OK);
    assert_int_equal (s_entries (self, "tombstones"), 1);
    assert_int_equal (zs_store_delete (self->store, "alice", "gone", 8, ""), ZS_STATUS_OK);
    assert_int_equal (s_entries (self, "tombstones"), 0);
    s_assert_counters (self, 1);
    free (data);
}

static void
test_set_replicas (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    size_t size = ZS_CHUNK_SIZE + 5;
    byte *data = zs_testkit_random (size);
    assert_int_equal (s_write (self->store, "alice", "count", 1, data, size, 2, 10), 0);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "count", 1, path, sizeof (path));
    uint64_t disk_size = s_file_size (path);
    struct stat before;
    assert_int_equal (stat (path, &before), 0);

    assert_int_equal (zs_store_set_replicas (self->store, "alice", "count", 1, 3, 20),
                      ZS_STATUS_OK);
    int status;
    zs_reader_t *reader = zs_reader_new (self->store, "alice", "count", 1, &status);
    assert_non_null (reader);
    assert_int_equal (zs_reader_info (reader)->desired, 3);
    assert_int_equal (zs_reader_info (reader)->stamp, 20);
    zs_reader_destroy (&reader);
    //  In place: same file, same size, content intact
    struct stat after;
    assert_int_equal (stat (path, &after), 0);
    assert_int_equal (after.st_ino, before.st_ino);
    assert_int_equal (s_file_size (path), disk_size);
    s_assert_content (self->store, "alice", "count", 1, data, size);

    //  An older stamp is ignored
    assert_int_equal (zs_store_set_replicas (self->store, "alice", "count", 1, 1, 15),
                      ZS_STATUS_OK);
    reader = zs_reader_new (self->store, "alice", "count", 1, &status);
    assert_non_null (reader);
    assert_int_equal (zs_reader_info (reader)->desired, 3);
    assert_int_equal (zs_reader_info (reader)->stamp, 20);
    zs_reader_destroy (&reader);
    //  A newer one lands, and the scan sees it
    assert_int_equal (zs_store_set_replicas (self->store, "alice", "count", 1, 5, 21),
                      ZS_STATUS_OK);
    zs_scan_t *scan = zs_scan_new (self->store, true);
    const zs_fileinfo_t *info = zs_scan_next (scan, NULL);
    assert_non_null (info);
    assert_int_equal (info->desired, 5);
    assert_int_equal (info->stamp, 21);
    assert_null (zs_scan_next (scan, NULL));
    zs_scan_destroy (&scan);
    //  No such version
    assert_int_equal (zs_store_set_replicas (self->store, "alice", "count", 2, 5, 30),
                      ZS_STATUS_NOT_FOUND);
    assert_int_equal (zs_store_set_replicas (self->store, "bob", "count", 1, 5, 30),
                      ZS_STATUS_NOT_FOUND);
    s_assert_counters (self, 1);
    free (data);
}

static void
test_quarantine (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte data[64];
    randombytes_buf (data, sizeof (data));
    assert_int_equal (s_write (self->store, "alice", "bad", 1, data, sizeof (data), 1, 1), 0);
    assert_int_equal (s_write (self->store, "alice", "bad", 2, data, 10, 1, 1), 0);
    s_assert_counters (self, 2);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "bad", 1, path, sizeof (path));
    uint64_t disk_size = s_file_size (path);
    uint64_t used = zs_store_used (self->store);

    assert_int_equal (zs_store_quarantine (self->store, "alice", "bad", 1), ZS_STATUS_OK);
    assert_false (s_exists (path));
    assert_int_equal (s_open_status (self->store, "alice", "bad", 1), ZS_STATUS_NOT_FOUND);
    assert_int_equal (s_entries (self, "quarantine"), 1);
    s_assert_counters (self, 1);
    assert_int_equal (zs_store_used (self->store), used - disk_size);
    //  The copy is kept for inspection, byte for byte
    char key[ZS_OBJECT_KEY_SIZE + 1];
    zs_object_key ("alice", "bad", key);
    char quarantine[256];
    snprintf (quarantine, sizeof (quarantine), "%s/quarantine", self->data);
    DIR *dir = opendir (quarantine);
    assert_non_null (dir);
    struct dirent *entry;
    bool found = false;
    while ((entry = readdir (dir)))
        if (strncmp (entry->d_name, key, ZS_OBJECT_KEY_SIZE) == 0) {
            char moved[512];
            snprintf (moved, sizeof (moved), "%s/%s", quarantine, entry->d_name);
            assert_int_equal (s_file_size (moved), disk_size);
            found = true;
        }
    closedir (dir);
    assert_true (found);
    //  Other versions stay; scans do not see the quarantined copy
    s_assert_content (self->store, "alice", "bad", 2, data, 10);
    zlistx_t *records = s_scan_all (self->store, true);
    assert_int_equal (zlistx_size (records), 1);
    assert_non_null (zlistx_find (records, "alice|bad|2|0|"));
    zlistx_destroy (&records);
    //  Nothing to move
    assert_int_equal (zs_store_quarantine (self->store, "alice", "bad", 1), ZS_STATUS_OK);
    assert_int_equal (zs_store_quarantine (self->store, "alice", "none", 1), ZS_STATUS_OK);
    s_assert_counters (self, 1);
}

//  --------------------------------------------------------------------------
//  Scan

typedef struct {
    uint64_t size;
    uint8_t desired;
    uint64_t stamp;
    byte checksum[ZS_CHECKSUM_SIZE];
    bool tombstone;
    bool seen;
} expected_t;

static void
s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

static void
test_scan_reports_everything (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (4096);
    zhashx_t *expected = zhashx_new ();
    assert_non_null (expected);
    zhashx_set_destructor (expected, s_free_item);
    const char *users[] = { "alice", "bob", "carol" };
    //  300 copies: 3 users, 50 names each, 2 versions of each
    size_t copies = 0;
    for (size_t user = 0; user < 3; user++)
        for (int name = 0; name < 50; name++)
            for (uint64_t version = 1; version <= 2; version++) {
                char file[64];
                snprintf (file, sizeof (file), "dir-%d/file-%d.bin", name % 7, name);
                size_t size = (size_t) ((name * 37 + (int) version * 11 + (int) user) % 4096);
                uint8_t desired = (uint8_t) (1 + (name + version) % 5);
                uint64_t stamp = version * 100 + (uint64_t) name;
                assert_int_equal (
                    s_write (self->store, users[user], file, version, data, size, desired, stamp),
                    0);
                expected_t *record = (expected_t *) calloc (1, sizeof (expected_t));
                assert_non_null (record);
                record->size = size;
                record->desired = desired;
                record->stamp = stamp;
                zs_testkit_checksum (data, size, record->checksum);
                char *id = zsys_sprintf ("%s|%s|%" PRIu64, users[user], file, version);
                assert_int_equal (zhashx_insert (expected, id, record), 0);
                zstr_free (&id);
                copies++;
            }
    //  And tombstones
    for (int number = 0; number < 5; number++) {
        char file[64], pending[64];
        snprintf (file, sizeof (file), "removed-%d", number);
        snprintf (pending, sizeof (pending), "b%d,b%d", number, number + 10);
        assert_int_equal (zs_store_delete (self->store, "alice", file, 50 + number, pending), 0);
        expected_t *record = (expected_t *) calloc (1, sizeof (expected_t));
        assert_non_null (record);
        record->tombstone = true;
        char *id = zsys_sprintf ("alice|%s|%d", file, 50 + number);
        assert_int_equal (zhashx_insert (expected, id, record), 0);
        zstr_free (&id);
    }
    assert_int_equal (copies, 300);
    assert_int_equal (zhashx_size (expected), 305);
    s_assert_counters (self, 300);

    zs_scan_t *scan = zs_scan_new (self->store, true);
    assert_non_null (scan);
    const zs_fileinfo_t *info;
    uint64_t disk_size;
    size_t reported = 0;
    while ((info = zs_scan_next (scan, &disk_size))) {
        char *id = zsys_sprintf ("%s|%s|%" PRIu64, info->user, info->name, info->version);
        expected_t *record = (expected_t *) zhashx_lookup (expected, id);
        assert_non_null (record);
        assert_false (record->seen);
        record->seen = true;
        reported++;
        char path[256];
        if (record->tombstone) {
            assert_int_equal (info->flags, ZS_FILE_TOMBSTONE);
            assert_int_equal (info->size, 0);
            char pending[64];
            int number = atoi (info->name + strlen ("removed-"));
            snprintf (pending, sizeof (pending), "b%d,b%d", number, number + 10);
            assert_string_equal (info->buckets, pending);
            zs_testkit_tombstone_path (self->data, info->user, info->name, info->version, path,
                                       sizeof (path));
        }
        else {
            assert_int_equal (info->flags, 0);
            assert_int_equal (info->size, record->size);
            assert_int_equal (info->desired, record->desired);
            assert_int_equal (info->stamp, record->stamp);
            assert_memory_equal (info->checksum, record->checksum, ZS_CHECKSUM_SIZE);
            assert_string_equal (info->buckets, "");
            zs_testkit_copy_path (self->data, info->user, info->name, info->version, path,
                                  sizeof (path));
        }
        assert_int_equal (disk_size, s_file_size (path));
        zstr_free (&id);
    }
    zs_scan_destroy (&scan);
    assert_int_equal (reported, 305);

    //  Without headers: the same number of records, sizes on disk and flags
    scan = zs_scan_new (self->store, false);
    assert_non_null (scan);
    size_t count = 0, tombstones = 0;
    uint64_t bytes = 0;
    while ((info = zs_scan_next (scan, &disk_size))) {
        count++;
        assert_int_equal (info->size, disk_size);
        if (info->flags & ZS_FILE_TOMBSTONE)
            tombstones++;
        else
            bytes += disk_size;
    }
    zs_scan_destroy (&scan);
    assert_int_equal (count, 305);
    assert_int_equal (tombstones, 5);
    assert_int_equal (bytes, zs_store_used (self->store));
    //  Nothing was moved aside
    assert_int_equal (s_entries (self, "quarantine"), 0);

    //  A walk may stop early and be dropped
    scan = zs_scan_new (self->store, true);
    assert_non_null (zs_scan_next (scan, NULL));
    assert_non_null (zs_scan_next (scan, NULL));
    zs_scan_destroy (&scan);
    //  And once finished, stays finished
    scan = zs_scan_new (self->store, false);
    while (zs_scan_next (scan, NULL))
        ;
    assert_null (zs_scan_next (scan, NULL));
    zs_scan_destroy (&scan);
    zhashx_destroy (&expected);
    free (data);
}

static void
test_scan_quarantines_garbage (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte data[200];
    randombytes_buf (data, sizeof (data));
    assert_int_equal (s_write (self->store, "alice", "good", 1, data, 100, 1, 1), 0);
    assert_int_equal (s_write (self->store, "alice", "moved", 1, data, 100, 1, 1), 0);

    //  Garbage under a copy's file name
    char folder[256], garbage[320];
    snprintf (folder, sizeof (folder), "%s/objects/ab/cd", self->data);
    assert_int_equal (zsys_dir_create ("%s", folder), 0);
    snprintf (garbage, sizeof (garbage), "%s/abcd0000000000000000000000000000.0000000000000001",
              folder);
    s_write_file (garbage, data, sizeof (data));
    //  A well-formed copy under another key's name
    char moved[256], misplaced[320];
    zs_testkit_copy_path (self->data, "alice", "moved", 1, moved, sizeof (moved));
    snprintf (misplaced, sizeof (misplaced), "%s/abcd1111111111111111111111111111.0000000000000001",
              folder);
    assert_int_equal (rename (moved, misplaced), 0);
    //  A tombstone among the copies, where its copy would be
    assert_int_equal (zs_store_delete (self->store, "alice", "dead", 3, "b2"), 0);
    char tombstone[256], stray[256], leaf[256], key[ZS_OBJECT_KEY_SIZE + 1];
    zs_testkit_tombstone_path (self->data, "alice", "dead", 3, tombstone, sizeof (tombstone));
    zs_testkit_copy_path (self->data, "alice", "dead", 3, stray, sizeof (stray));
    snprintf (leaf, sizeof (leaf), "%s", stray);
    *strrchr (leaf, '/') = 0;
    assert_int_equal (zsys_dir_create ("%s", leaf), 0);
    assert_int_equal (rename (tombstone, stray), 0);
    zs_object_key ("alice", "dead", key);
    //  Files with other names are not copies: left alone
    char other[320];
    snprintf (other, sizeof (other), "%s/notes.txt", folder);
    s_write_file (other, data, 10);

    zlistx_t *records = s_scan_all (self->store, true);
    assert_int_equal (zlistx_size (records), 1);
    assert_non_null (zlistx_find (records, "alice|good|1|0|"));
    zlistx_destroy (&records);
    assert_false (s_exists (garbage));
    assert_false (s_exists (misplaced));
    assert_false (s_exists (stray));
    assert_true (s_exists (other));
    assert_int_equal (s_entries (self, "quarantine"), 3);
    //  Quarantined files keep their name as a prefix
    char quarantine[256];
    snprintf (quarantine, sizeof (quarantine), "%s/quarantine", self->data);
    DIR *dir = opendir (quarantine);
    assert_non_null (dir);
    struct dirent *entry;
    size_t prefixed = 0, tombstones = 0;
    while ((entry = readdir (dir))) {
        if (strncmp (entry->d_name, "abcd", 4) == 0)
            prefixed++;
        if (strncmp (entry->d_name, key, ZS_OBJECT_KEY_SIZE) == 0)
            tombstones++;
    }
    closedir (dir);
    assert_int_equal (prefixed, 2);
    assert_int_equal (tombstones, 1);
    //  A second walk finds only the good copy, and moves nothing more
    records = s_scan_all (self->store, true);
    assert_int_equal (zlistx_size (records), 1);
    zlistx_destroy (&records);
    assert_int_equal (s_entries (self, "quarantine"), 3);
    s_assert_content (self->store, "alice", "good", 1, data, 100);
}

static void
test_longest_names (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    char user[ZS_USER_MAX + 1], name[ZS_NAME_MAX + 1], pending[ZS_TEXT_MAX + 1];
    memset (user, 'u', ZS_USER_MAX);
    user[ZS_USER_MAX] = 0;
    memset (name, 'n', ZS_NAME_MAX);
    name[ZS_NAME_MAX] = 0;
    memset (pending, 'b', ZS_TEXT_MAX);
    pending[ZS_TEXT_MAX] = 0;
    byte *data = zs_testkit_random (ZS_CHUNK_SIZE + 3);
    assert_int_equal (s_write (self->store, user, name, 1, data, ZS_CHUNK_SIZE + 3, 4, 9), 0);
    s_assert_content (self->store, user, name, 1, data, ZS_CHUNK_SIZE + 3);
    //  The longest tombstone: longest names, longest list of buckets
    name[0] = 'm';
    assert_int_equal (zs_store_delete (self->store, user, name, 2, pending), ZS_STATUS_OK);
    zs_scan_t *scan = zs_scan_new (self->store, true);
    assert_non_null (scan);
    const zs_fileinfo_t *info;
    size_t copies = 0, tombstones = 0;
    while ((info = zs_scan_next (scan, NULL))) {
        assert_string_equal (info->user, user);
        if (info->flags & ZS_FILE_TOMBSTONE) {
            tombstones++;
            assert_string_equal (info->name, name);
            assert_string_equal (info->buckets, pending);
            assert_int_equal (info->version, 2);
        }
        else {
            copies++;
            assert_int_equal (info->name[0], 'n');
            assert_int_equal (strlen (info->name), ZS_NAME_MAX);
            assert_int_equal (info->size, ZS_CHUNK_SIZE + 3);
            assert_int_equal (info->desired, 4);
            assert_int_equal (info->stamp, 9);
        }
    }
    zs_scan_destroy (&scan);
    assert_int_equal (copies, 1);
    assert_int_equal (tombstones, 1);
    assert_int_equal (s_entries (self, "quarantine"), 0);
    s_reopen (self);
    s_assert_counters (self, 1);
    free (data);
}

//  --------------------------------------------------------------------------
//  Names are never paths

static void
test_path_like_names (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    const char *names[] = { "../../etc/passwd",
                            "a/b/c",
                            "/x",
                            "../escape",
                            "..",
                            ".",
                            "a/../../b",
                            "./tmp/../../../x",
                            "objects/../IDENTITY",
                            "LOCK" };
    const char *users[] = { "alice", "..", "../alice" };
    size_t count = sizeof (names) / sizeof (names[0]);
    byte data[77];
    randombytes_buf (data, sizeof (data));
    for (size_t user = 0; user < 3; user++)
        for (size_t index = 0; index < count; index++)
            assert_int_equal (
                s_write (self->store, users[user], names[index], index + 1, data, index + 1, 1, 1),
                0);
    for (size_t user = 0; user < 3; user++)
        for (size_t index = 0; index < count; index++)
            s_assert_content (self->store, users[user], names[index], index + 1, data, index + 1);

    //  The temporary folder holds only the data folder
    DIR *dir = opendir (self->root);
    assert_non_null (dir);
    struct dirent *entry;
    size_t entries = 0;
    while ((entry = readdir (dir)))
        if (strneq (entry->d_name, ".") && strneq (entry->d_name, "..")) {
            assert_string_equal (entry->d_name, "data");
            entries++;
        }
    closedir (dir);
    assert_int_equal (entries, 1);
    //  The data folder holds what it held, and the copies in objects/
    assert_int_equal (s_entries (self, "."), 6);
    assert_int_equal (s_files_in (self, "tmp"), 0);
    assert_int_equal (s_files_in (self, "tombstones"), 0);
    assert_int_equal (s_files_in (self, "quarantine"), 0);
    s_assert_counters (self, 3 * count);
    char path[256];
    snprintf (path, sizeof (path), "%s/IDENTITY", self->data);
    zconfig_t *identity = zconfig_load (path);
    assert_non_null (identity);
    assert_string_equal (zconfig_get (identity, "bucket", ""), "b1");
    zconfig_destroy (&identity);

    //  Every copy is at objects/<xx>/<yy>/<key>.<version>, names reported as given
    zlistx_t *records = s_scan_all (self->store, true);
    assert_int_equal (zlistx_size (records), 3 * count);
    for (size_t user = 0; user < 3; user++)
        for (size_t index = 0; index < count; index++) {
            char line[128];
            snprintf (line, sizeof (line), "%s|%s|%zu|0|", users[user], names[index], index + 1);
            assert_non_null (zlistx_find (records, line));
            zs_testkit_copy_path (self->data, users[user], names[index], index + 1, path,
                                  sizeof (path));
            assert_true (s_exists (path));
        }
    zlistx_destroy (&records);
    //  Removing them touches nothing else
    for (size_t user = 0; user < 3; user++)
        for (size_t index = 0; index < count; index++)
            assert_int_equal (zs_store_delete (self->store, users[user], names[index], 100, "b2"),
                              0);
    s_assert_counters (self, 0);
    assert_int_equal (s_files_in (self, "tombstones"), 3 * count);
    assert_int_equal (s_entries (self, "."), 6);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_layout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_in_use, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_other_bucket, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_instance_persists, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_leftovers_removed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_write_read_sizes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_write_unannounced, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_direct_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_counters, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_writer_wrong_crc, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_writer_out_of_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_writer_after_short_chunk, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_writer_commit_wrong_size, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_writer_abandoned, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_writer_capacity, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_writer_capacity_in_progress, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reader_missing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reader_flipped_byte, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reader_damaged_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_delete_older, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_delete_tombstone, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_set_replicas, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_quarantine, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_scan_reports_everything, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_scan_quarantines_garbage, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_longest_names, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_path_like_names, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
