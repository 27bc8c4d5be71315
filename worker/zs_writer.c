/*  zs_writer - write one copy, durably
 */

#include "zs_writer.h"
#include "zs_crc32c.h"
#include "zs_fs.h"
#include "zs_object.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

//  Start writeback of what was written every so often, so that the fsync at
//  commit has little left to do and the page cache does not fill up
#define WRITEBACK_STEP (8 * ZS_CHUNK_SIZE)

struct _zs_writer_t {
    zs_store_t *store;    //  Where the copy goes
    zs_fileinfo_t *info;  //  What it is
    int fd;               //  The temporary file
    char temp[64];        //  Its path in the store
    size_t header_size;   //  Bytes before the content
    uint64_t written;     //  Content bytes written
    uint64_t synced;      //  Content bytes handed to writeback
    uint32_t chunks;      //  Chunks written
    bool last_seen;       //  A short chunk came: it was the last
    bool prepared;        //  The content is complete and durable
    uint32_t *crcs;       //  CRC of each chunk, big-endian
    size_t crcs_capacity; //  Entries allocated in crcs
    byte *aligned;        //  A chunk on its way to an O_DIRECT write, or NULL
    bool committed;       //  The copy is in place
    char reason[160];     //  Why the last call failed
};

static int s_failed (zs_writer_t *self, int status, const char *format, ...) CHECK_PRINTF (3);

static int
s_failed (zs_writer_t *self, int status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->reason, sizeof (self->reason), format, args);
    va_end (args);
    return status;
}

static int
s_io_status (void)
{
    return errno == ENOSPC || errno == EDQUOT ? ZS_STATUS_NO_SPACE : ZS_STATUS_INTERNAL;
}

zs_writer_t *
zs_writer_new (zs_store_t *store, const zs_fileinfo_t *info, int *status)
{
    assert (store && info && status);
    if (info->size != UINT64_MAX && info->size > zs_store_free (store)) {
        *status = ZS_STATUS_NO_SPACE;
        return NULL;
    }
    zs_writer_t *self = (zs_writer_t *) zmalloc (sizeof (zs_writer_t));
    if (!self) {
        *status = ZS_STATUS_INTERNAL;
        return NULL;
    }
    self->store = store;
    self->fd = -1;
    self->info = zs_fileinfo_dup (info);
    snprintf (self->temp, sizeof (self->temp), "tmp/%" PRIu64 ".part", zs_store_next_temp (store));
    bool large = info->size != UINT64_MAX && info->size >= ZS_WRITER_DIRECT_MIN;
    if (self->info) {
        self->info->flags = 0;
        self->fd =
            openat (zs_store_fd (store), self->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (self->fd < 0) {
        *status = self->info ? s_io_status () : ZS_STATUS_INTERNAL;
        zs_writer_destroy (&self);
        return NULL;
    }
    //  Without memory for the buffer, or on a file system without O_DIRECT,
    //  the content goes through the cache; the header makes it aligned
    if (large)
        self->aligned = (byte *) zs_fs_direct_begin (self->fd, ZS_OBJECT_ALIGNED, ZS_CHUNK_SIZE);
    //  The header's size is known now; its content is written at commit
    byte header[ZS_OBJECT_ALIGNED];
    self->header_size = zs_object_encode_header (self->info, large, header);
    *status = ZS_STATUS_OK;
    return self;
}

//  Leave O_DIRECT: for a tail shorter than a block, the CRCs and the header
static int
s_end_direct (zs_writer_t *self)
{
    int rc = zs_fs_direct_end (self->fd, self->aligned);
    self->aligned = NULL;
    return rc;
}

//  Write a chunk at the end of the content
static int
s_write (zs_writer_t *self, const byte *data, size_t size)
{
    long long offset = (long long) (self->header_size + self->written);
    size_t direct = self->aligned ? size / ZS_OBJECT_ALIGNED * ZS_OBJECT_ALIGNED : 0;
    if (direct) {
        //  The frame's bytes are not aligned in memory as O_DIRECT wants
        memcpy (self->aligned, data, direct);
        if (zs_fs_pwrite_all (self->fd, self->aligned, direct, offset) == 0) {
            data += direct;
            size -= direct;
            offset += (long long) direct;
        }
        else if (errno != EINVAL)
            return -1;
    }
    if (size == 0)
        return 0;
    //  A short tail, or alignment this file system does not take
    if (s_end_direct (self))
        return -1;
    return zs_fs_pwrite_all (self->fd, data, size, offset);
}

void
zs_writer_destroy (zs_writer_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_writer_t *self = *self_p;
        if (self->fd >= 0)
            close (self->fd);
        if (!self->committed && self->fd >= 0) {
            unlinkat (zs_store_fd (self->store), self->temp, 0);
            zs_store_writing (self->store, -(int64_t) self->written);
        }
        zs_fileinfo_destroy (&self->info);
        free (self->crcs);
        free (self->aligned);
        free (self);
        *self_p = NULL;
    }
}

int
zs_writer_append (zs_writer_t *self, uint32_t seq, const byte *data, size_t size, uint32_t crc)
{
    assert (self);
    if (self->prepared)
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "chunk after the end");
    if (seq != self->chunks)
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "chunk %u arrived, expected %u", seq,
                         self->chunks);
    if (self->last_seen || size > ZS_CHUNK_SIZE || size == 0)
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "chunk %u has %zu bytes after a short one",
                         seq, size);
    if (self->chunks == UINT32_MAX)
        return s_failed (self, ZS_STATUS_TOO_LARGE, "file too large");
    if (zs_crc32c (0, data, size) != crc)
        return s_failed (self, ZS_STATUS_CORRUPT, "chunk %u failed its CRC in transit", seq);
    if (size > zs_store_free (self->store))
        return s_failed (self, ZS_STATUS_NO_SPACE, "bucket is full");
    if (self->chunks == self->crcs_capacity) {
        size_t capacity = self->crcs_capacity ? self->crcs_capacity * 2 : 16;
        uint32_t *crcs = (uint32_t *) realloc (self->crcs, capacity * sizeof (uint32_t));
        if (!crcs)
            return s_failed (self, ZS_STATUS_INTERNAL, "out of memory");
        self->crcs = crcs;
        self->crcs_capacity = capacity;
    }
    if (s_write (self, data, size))
        return s_failed (self, s_io_status (), "write failed: %s", strerror (errno));
    self->crcs[self->chunks++] = htonl (crc);
    self->written += size;
    zs_store_writing (self->store, (int64_t) size);
    self->last_seen = size < ZS_CHUNK_SIZE;
    //  A no-op after writes that O_DIRECT took past the cache; but some file
    //  systems take the flag and still write through the cache
    if (self->written - self->synced >= WRITEBACK_STEP) {
        sync_file_range (self->fd, (off64_t) (self->header_size + self->synced),
                         (off64_t) (self->written - self->synced), SYNC_FILE_RANGE_WRITE);
        self->synced = self->written;
    }
    return ZS_STATUS_OK;
}

int
zs_writer_prepare (zs_writer_t *self, uint64_t size, const byte *checksum)
{
    assert (self);
    if (self->prepared)
        return ZS_STATUS_OK;
    if (size != self->written)
        return s_failed (self, ZS_STATUS_BAD_REQUEST,
                         "end says %" PRIu64 " bytes, %" PRIu64 " arrived", size, self->written);
    self->info->size = size;
    memcpy (self->info->checksum, checksum, ZS_CHECKSUM_SIZE);
    byte header[ZS_OBJECT_ALIGNED];
    zs_object_encode_header (self->info, self->header_size == ZS_OBJECT_ALIGNED, header);
    if (s_end_direct (self)
        || zs_fs_pwrite_all (self->fd, self->crcs, self->chunks * sizeof (uint32_t),
                             (long long) (self->header_size + size))
        || zs_fs_pwrite_all (self->fd, header, self->header_size, 0))
        return s_failed (self, s_io_status (), "write failed: %s", strerror (errno));
    self->prepared = true;
    return ZS_STATUS_OK;
}

int
zs_writer_commit (zs_writer_t *self)
{
    assert (self);
    if (self->committed)
        return ZS_STATUS_OK;
    if (!self->prepared)
        return s_failed (self, ZS_STATUS_BAD_REQUEST, "commit before the end");
    char key[ZS_OBJECT_KEY_SIZE + 1], leaf[ZS_OBJECT_PATH_MAX], path[ZS_OBJECT_PATH_MAX];
    zs_object_key (self->info->user, self->info->name, key);
    zs_object_leaf_path (leaf, key);
    zs_object_copy_path (path, key, self->info->version);
    int fd = zs_store_fd (self->store);
    struct stat replaced;
    bool replacing = fstatat (fd, path, &replaced, 0) == 0;
    if (zs_fs_mkdirs (fd, leaf) || renameat (fd, self->temp, fd, path))
        return s_failed (self, s_io_status (), "cannot put the copy in place: %s",
                         strerror (errno));
    self->committed = true;
    zs_store_writing (self->store, -(int64_t) self->written);
    int64_t disk_size = (int64_t) zs_object_disk_size (self->info, self->header_size);
    if (replacing)
        zs_store_account (self->store, 0, disk_size - (int64_t) replaced.st_size);
    else
        zs_store_account (self->store, 1, disk_size);
    return ZS_STATUS_OK;
}

int
zs_writer_check (zs_writer_t *self)
{
    assert (self);
    //  Waits for the file's writeback, none after a sync, and reports a write
    //  error of this file that no call on its descriptor reported yet
    if (sync_file_range (self->fd, 0, 0,
                         SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE
                             | SYNC_FILE_RANGE_WAIT_AFTER))
        return s_failed (self, s_io_status (), "write failed: %s", strerror (errno));
    return ZS_STATUS_OK;
}

const zs_fileinfo_t *
zs_writer_info (zs_writer_t *self)
{
    assert (self);
    return self->info;
}

uint32_t
zs_writer_chunks (zs_writer_t *self)
{
    assert (self);
    return self->chunks;
}

const char *
zs_writer_reason (zs_writer_t *self)
{
    assert (self);
    return self->reason;
}
