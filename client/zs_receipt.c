/*  zs_receipt - the checks on a file as it arrives
 */

#include "zs_receipt.h"
#include "zs_crc32c.h"

#include <sodium.h>

struct _zs_receipt_t {
    crypto_generichash_state hash; //  Of the content so far (first: it wants
                                   //  the alignment the whole gets)
    byte expected[ZS_CHECKSUM_SIZE];
    uint64_t size;    //  Of the whole file
    uint32_t chunks;  //  In the whole file
    uint32_t taken;   //  Chunks taken
    uint64_t written; //  Bytes written to fd
    int fd;           //  Where the content goes
    char error[128];  //  Why the last call failed
};

zs_receipt_t *
zs_receipt_new (uint64_t size, const byte *checksum, int fd)
{
    assert (checksum);
    size_t alignment = _Alignof(zs_receipt_t);
    size_t bytes = (sizeof (zs_receipt_t) + alignment - 1) / alignment * alignment;
    zs_receipt_t *self = (zs_receipt_t *) aligned_alloc (alignment, bytes);
    if (!self)
        return NULL;
    memset (self, 0, sizeof (zs_receipt_t));
    crypto_generichash_init (&self->hash, NULL, 0, ZS_CHECKSUM_SIZE);
    memcpy (self->expected, checksum, ZS_CHECKSUM_SIZE);
    self->size = size;
    self->chunks = (uint32_t) ((size + ZS_CHUNK_SIZE - 1) / ZS_CHUNK_SIZE);
    self->fd = fd;
    return self;
}

void
zs_receipt_destroy (zs_receipt_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

static int s_failed (zs_receipt_t *self, int status, const char *format, ...) CHECK_PRINTF (3);

static int
s_failed (zs_receipt_t *self, int status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof (self->error), format, args);
    va_end (args);
    return status;
}

//  Writes it all, counting in *total what reached fd, also when a write fails
//  midway: a get that goes again cuts the output back by that much
static int
s_write_all (int fd, const byte *data, size_t size, uint64_t *total)
{
    while (size > 0) {
        ssize_t written = write (fd, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            return -1;
        data += written;
        size -= (size_t) written;
        *total += (uint64_t) written;
    }
    return 0;
}

int
zs_receipt_chunk (zs_receipt_t *self, uint32_t seq, const byte *data, size_t size, uint32_t crc)
{
    assert (self);
    if (seq != self->taken || seq >= self->chunks)
        return s_failed (self, ZS_STATUS_INTERNAL, "chunk %u arrived out of order", seq);
    size_t expected_size = seq + 1 < self->chunks
                               ? ZS_CHUNK_SIZE
                               : (size_t) (self->size - (uint64_t) seq * ZS_CHUNK_SIZE);
    if (size != expected_size || zs_crc32c (0, data, size) != crc)
        return s_failed (self, ZS_STATUS_CORRUPT, "chunk %u arrived damaged", seq);
    crypto_generichash_update (&self->hash, data, size);
    if (s_write_all (self->fd, data, size, &self->written))
        return s_failed (self, ZS_STATUS_INTERNAL, "cannot write the output: %s", strerror (errno));
    self->taken++;
    return ZS_STATUS_OK;
}

uint32_t
zs_receipt_chunks (zs_receipt_t *self)
{
    assert (self);
    return self->chunks;
}

uint32_t
zs_receipt_taken (zs_receipt_t *self)
{
    assert (self);
    return self->taken;
}

uint64_t
zs_receipt_written (zs_receipt_t *self)
{
    assert (self);
    return self->written;
}

int
zs_receipt_finish (zs_receipt_t *self)
{
    assert (self && self->taken == self->chunks);
    byte checksum[ZS_CHECKSUM_SIZE];
    crypto_generichash_final (&self->hash, checksum, sizeof (checksum));
    if (memcmp (checksum, self->expected, ZS_CHECKSUM_SIZE))
        return s_failed (self, ZS_STATUS_CORRUPT,
                         "the content does not match its checksum: not a good copy");
    return ZS_STATUS_OK;
}

const char *
zs_receipt_error (zs_receipt_t *self)
{
    assert (self);
    return self->error;
}
