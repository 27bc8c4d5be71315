/*  zs_bigfile - one large file, put and got whole through the client library
 */

#include "zs_bigfile.h"
#include "zs_content.h"

#include <fcntl.h>
#include <sys/mman.h>

#define BLOCK_SIZE (1 << 20) //  Bytes made, or compared, at a time

struct _zs_bigfile_t {
    uint64_t size;
    int content; //  Memory file holding the content
    int copy;    //  Memory file receiving a get
    bool ready;  //  Every page of copy was written once
    char error[512];
};

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static int s_fail (zs_bigfile_t *self, const char *format, ...) CHECK_PRINTF (2);

static int
s_fail (zs_bigfile_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof (self->error), format, args);
    va_end (args);
    return -1;
}

zs_bigfile_t *
zs_bigfile_new (uint64_t size)
{
    zs_bigfile_t *self = (zs_bigfile_t *) zmalloc (sizeof (zs_bigfile_t));
    byte *block = (byte *) malloc (BLOCK_SIZE);
    if (!self || !block) {
        free (self);
        free (block);
        return NULL;
    }
    self->size = size;
    self->content = memfd_create ("zstore-bench-content", MFD_CLOEXEC);
    self->copy = memfd_create ("zstore-bench-copy", MFD_CLOEXEC);
    bool made = self->content >= 0 && self->copy >= 0;
    for (uint64_t offset = 0; made && offset < size; offset += BLOCK_SIZE) {
        size_t length = size - offset < BLOCK_SIZE ? (size_t) (size - offset) : BLOCK_SIZE;
        zs_content_fill (block, length, size + offset);
        made = pwrite (self->content, block, length, (off_t) offset) == (ssize_t) length;
    }
    free (block);
    if (!made)
        zs_bigfile_destroy (&self);
    return self;
}

void
zs_bigfile_destroy (zs_bigfile_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_bigfile_t *self = *self_p;
        if (self->content >= 0)
            close (self->content);
        if (self->copy >= 0)
            close (self->copy);
        free (self);
        *self_p = NULL;
    }
}

uint64_t
zs_bigfile_size (zs_bigfile_t *self)
{
    assert (self);
    return self->size;
}

int
zs_bigfile_put (zs_bigfile_t *self, zs_client_t *client, const char *name, uint8_t replicas,
                double *seconds)
{
    assert (self && client && name && seconds);
    if (lseek (self->content, 0, SEEK_SET) != 0)
        return s_fail (self, "cannot rewind the content: %s", strerror (errno));
    uint64_t version;
    uint8_t copies = 0;
    double start = s_now ();
    int rc = zs_client_put (client, name, self->content, replicas, &version, &copies);
    *seconds = s_now () - start;
    if (rc)
        return s_fail (self, "put %s: %s", name, zs_client_error (client));
    if (copies != replicas)
        return s_fail (self, "put %s: %u copies stored, not %u", name, copies, replicas);
    return 0;
}

//  Whether the copy holds the content, compared through mappings of both
static bool
s_same (zs_bigfile_t *self)
{
    struct stat info;
    if (fstat (self->copy, &info) || (uint64_t) info.st_size != self->size)
        return false;
    if (self->size == 0)
        return true;
    void *content = mmap (NULL, self->size, PROT_READ, MAP_SHARED, self->content, 0);
    void *copy = mmap (NULL, self->size, PROT_READ, MAP_SHARED, self->copy, 0);
    bool same =
        content != MAP_FAILED && copy != MAP_FAILED && memcmp (content, copy, self->size) == 0;
    if (content != MAP_FAILED)
        munmap (content, self->size);
    if (copy != MAP_FAILED)
        munmap (copy, self->size);
    return same;
}

//  Readies the copy for a get, before the clock starts: what is measured is
//  the cluster and the client, not the kernel making pages. Pages of a
//  memory file are made at their first write, even after fallocate (on this
//  machine 1 to 2 s of kernel time per GiB), so the first get writes every
//  page once, and the copy keeps them. Before each get, one byte of every
//  block is made different from the content, so that a block the get did
//  not write fails the comparison after it.
static int
s_ready_copy (zs_bigfile_t *self)
{
    if (!self->ready) {
        byte *zeros = (byte *) calloc (1, BLOCK_SIZE);
        bool written = zeros && ftruncate (self->copy, (off_t) self->size) == 0;
        for (uint64_t offset = 0; written && offset < self->size; offset += BLOCK_SIZE) {
            size_t length =
                self->size - offset < BLOCK_SIZE ? (size_t) (self->size - offset) : BLOCK_SIZE;
            written = pwrite (self->copy, zeros, length, (off_t) offset) == (ssize_t) length;
        }
        free (zeros);
        if (!written)
            return s_fail (self, "cannot set memory aside for a get: %s", strerror (errno));
        self->ready = true;
    }
    for (uint64_t offset = 0; offset < self->size; offset += BLOCK_SIZE) {
        byte expected;
        if (pread (self->content, &expected, 1, (off_t) offset) != 1)
            return s_fail (self, "cannot read the content: %s", strerror (errno));
        byte other = (byte) ~expected;
        if (pwrite (self->copy, &other, 1, (off_t) offset) != 1)
            return s_fail (self, "cannot ready a memory file: %s", strerror (errno));
    }
    if (lseek (self->copy, 0, SEEK_SET) != 0)
        return s_fail (self, "cannot rewind a memory file: %s", strerror (errno));
    return 0;
}

int
zs_bigfile_get (zs_bigfile_t *self, zs_client_t *client, const char *name, double *seconds)
{
    assert (self && client && name && seconds);
    if (s_ready_copy (self))
        return -1;
    double start = s_now ();
    int rc = zs_client_get (client, name, self->copy, NULL);
    *seconds = s_now () - start;
    if (rc)
        return s_fail (self, "get %s: %s", name, zs_client_error (client));
    //  Written from the start up to the end, over every byte set aside
    if (lseek (self->copy, 0, SEEK_CUR) != (off_t) self->size || !s_same (self))
        return s_fail (self, "get %s: the content read back is not the content put", name);
    return 0;
}

const char *
zs_bigfile_error (zs_bigfile_t *self)
{
    assert (self);
    return self->error;
}
