/*  zs_reader - read one copy, checking every chunk
 */

#include "zs_reader.h"
#include "zs_crc32c.h"
#include "zs_fs.h"
#include "zs_object.h"

#include <fcntl.h>
#include <sys/stat.h>

//  A copy this small on disk is read whole with one call, header, content and
//  CRCs together: a small fetch is mostly system calls, and this saves two
#define WHOLE_MAX (64 * 1024)

struct _zs_reader_t {
    int fd;              //  The copy
    zs_fileinfo_t *info; //  Its header
    size_t header_size;  //  Bytes before the content
    uint32_t chunks;     //  Chunks of content
    uint32_t *crcs;      //  CRC of each chunk, big-endian
    bool cached;         //  Reads only what needs no disk access
    byte *aligned;       //  Where an O_DIRECT read lands, or NULL
    byte *whole;         //  A small copy read whole, or NULL
    char reason[160];    //  Why the last call failed
};

static int
s_pread (zs_reader_t *self, void *data, size_t size, long long offset)
{
    return self->cached ? zs_fs_pread_cached (self->fd, data, size, offset)
                        : zs_fs_pread_all (self->fd, data, size, offset);
}

//  The status of a read that failed: a cached-only read that would wait is
//  no failure of the copy
static int
s_read_status (zs_reader_t *self, int status)
{
    return self->cached && errno == EAGAIN ? ZS_READER_NOT_CACHED : status;
}

static int
s_end_direct (zs_reader_t *self)
{
    int rc = zs_fs_direct_end (self->fd, self->aligned);
    self->aligned = NULL;
    return rc;
}

//  Read size bytes at an aligned offset with O_DIRECT: whole blocks, of
//  which the last may reach past the end of the file
static int
s_pread_direct (zs_reader_t *self, byte *data, size_t size, long long offset)
{
    size_t want = (size + ZS_OBJECT_ALIGNED - 1) / ZS_OBJECT_ALIGNED * ZS_OBJECT_ALIGNED;
    size_t got = 0;
    while (got < size) {
        ssize_t rc =
            pread (self->fd, self->aligned + got, want - got, (off_t) offset + (off_t) got);
        if (rc == 0)
            errno = EIO; //  The file ends before its content does
        if (rc <= 0) {
            if (rc < 0 && errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t) rc;
    }
    memcpy (data, self->aligned, size);
    return 0;
}

static int
s_read_content (zs_reader_t *self, byte *data, size_t size, long long offset)
{
    if (self->whole) {
        memcpy (data, self->whole + offset, size);
        return 0;
    }
    if (self->aligned) {
        if (s_pread_direct (self, data, size, offset) == 0)
            return 0;
        //  Alignment this file system does not take: through the cache then
        if (errno != EINVAL || s_end_direct (self))
            return -1;
    }
    return s_pread (self, data, size, offset);
}

static zs_reader_t *
s_new (zs_store_t *store, const char *user, const char *name, uint64_t version, bool cached,
       int *status)
{
    assert (store && user && name && status);
    zs_reader_t *self = (zs_reader_t *) zmalloc (sizeof (zs_reader_t));
    if (!self || !(self->info = zs_fileinfo_new ())) {
        free (self);
        *status = ZS_STATUS_INTERNAL;
        return NULL;
    }
    self->cached = cached;
    char key[ZS_OBJECT_KEY_SIZE + 1], path[ZS_OBJECT_PATH_MAX];
    zs_object_key (user, name, key);
    zs_object_copy_path (path, key, version);
    self->fd = cached ? zs_fs_open_cached (zs_store_fd (store), path)
                      : openat (zs_store_fd (store), path, O_RDONLY | O_CLOEXEC);
    if (self->fd < 0) {
        *status = s_read_status (self, errno == ENOENT ? ZS_STATUS_NOT_FOUND : ZS_STATUS_INTERNAL);
        zs_reader_destroy (&self);
        return NULL;
    }
    *status = ZS_STATUS_CORRUPT;
    struct stat file;
    if (fstat (self->fd, &file)
        || (file.st_size <= WHOLE_MAX
            && !(self->whole = (byte *) malloc ((size_t) file.st_size + 1)))) {
        *status = ZS_STATUS_INTERNAL;
        zs_reader_destroy (&self);
        return NULL;
    }
    //  The whole copy when it is small, else as much as a header can take
    byte header_buffer[ZS_OBJECT_HEADER_MAX];
    byte *header = self->whole ? self->whole : header_buffer;
    size_t got = self->whole || (uint64_t) file.st_size < sizeof (header_buffer)
                     ? (size_t) file.st_size
                     : sizeof (header_buffer);
    if (s_pread (self, header, got, 0)) {
        //  A copy read whole fails like its content would: cut short or
        //  unreadable is damage, anything else is not the copy's fault
        bool damage = !self->whole || errno == EIO;
        *status = s_read_status (self, damage ? ZS_STATUS_CORRUPT : ZS_STATUS_INTERNAL);
        zs_reader_destroy (&self);
        return NULL;
    }
    if (zs_object_decode_header (header, got, self->info, &self->header_size)
        || strneq (self->info->user, user) || strneq (self->info->name, name)
        || self->info->version != version || (self->info->flags & ZS_FILE_TOMBSTONE)
        || zs_object_disk_size (self->info, self->header_size) != (uint64_t) file.st_size) {
        zs_reader_destroy (&self);
        return NULL;
    }
    self->chunks = zs_object_chunks (self->info->size);
    self->crcs = (uint32_t *) malloc ((self->chunks + 1) * sizeof (uint32_t));
    if (!self->crcs) {
        *status = ZS_STATUS_INTERNAL;
        zs_reader_destroy (&self);
        return NULL;
    }
    size_t crcs_offset = self->header_size + self->info->size;
    if (self->whole)
        memcpy (self->crcs, self->whole + crcs_offset, self->chunks * sizeof (uint32_t));
    else if (s_pread (self, self->crcs, self->chunks * sizeof (uint32_t),
                      (long long) crcs_offset)) {
        *status = s_read_status (self, ZS_STATUS_CORRUPT);
        zs_reader_destroy (&self);
        return NULL;
    }
    //  A large copy was written past the page cache, and is read so
    if (!cached && !self->whole && self->header_size == ZS_OBJECT_ALIGNED)
        self->aligned = (byte *) zs_fs_direct_begin (self->fd, ZS_OBJECT_ALIGNED, ZS_CHUNK_SIZE);
    if (!cached && !self->aligned && !self->whole)
        posix_fadvise (self->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    *status = ZS_STATUS_OK;
    return self;
}

zs_reader_t *
zs_reader_new (zs_store_t *store, const char *user, const char *name, uint64_t version, int *status)
{
    return s_new (store, user, name, version, false, status);
}

zs_reader_t *
zs_reader_new_cached (zs_store_t *store, const char *user, const char *name, uint64_t version,
                      int *status)
{
    return s_new (store, user, name, version, true, status);
}

void
zs_reader_destroy (zs_reader_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_reader_t *self = *self_p;
        if (self->fd >= 0)
            close (self->fd);
        zs_fileinfo_destroy (&self->info);
        free (self->crcs);
        free (self->aligned);
        free (self->whole);
        free (self);
        *self_p = NULL;
    }
}

const zs_fileinfo_t *
zs_reader_info (zs_reader_t *self)
{
    assert (self);
    return self->info;
}

uint32_t
zs_reader_chunks (zs_reader_t *self)
{
    assert (self);
    return self->chunks;
}

zframe_t *
zs_reader_chunk (zs_reader_t *self, uint32_t seq, uint32_t *crc, int *status)
{
    assert (self && crc && status);
    if (seq >= self->chunks) {
        snprintf (self->reason, sizeof (self->reason), "no chunk %u in %u", seq, self->chunks);
        *status = ZS_STATUS_BAD_REQUEST;
        return NULL;
    }
    uint64_t offset = (uint64_t) seq * ZS_CHUNK_SIZE;
    size_t size = self->info->size - offset < ZS_CHUNK_SIZE ? (size_t) (self->info->size - offset)
                                                            : ZS_CHUNK_SIZE;
    zframe_t *chunk = zframe_new (NULL, size);
    if (!chunk) {
        *status = ZS_STATUS_INTERNAL;
        return NULL;
    }
    if (s_read_content (self, zframe_data (chunk), size,
                        (long long) (self->header_size + offset))) {
        snprintf (self->reason, sizeof (self->reason), "chunk %u unreadable: %s", seq,
                  strerror (errno));
        *status = s_read_status (self, errno == EIO ? ZS_STATUS_CORRUPT : ZS_STATUS_INTERNAL);
        zframe_destroy (&chunk);
        return NULL;
    }
    *crc = zs_crc32c (0, zframe_data (chunk), size);
    if (*crc != ntohl (self->crcs[seq])) {
        snprintf (self->reason, sizeof (self->reason),
                  "chunk %u is corrupt: it fails its CRC on disk", seq);
        *status = ZS_STATUS_CORRUPT;
        zframe_destroy (&chunk);
        return NULL;
    }
    *status = ZS_STATUS_OK;
    return chunk;
}

const char *
zs_reader_reason (zs_reader_t *self)
{
    assert (self);
    return self->reason;
}
