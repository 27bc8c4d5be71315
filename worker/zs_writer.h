/*  zs_writer - write one copy, durably

    Chunks go to a temporary file as they arrive, each checked against its
    CRC; commit writes the CRC table and header, fsyncs the file, renames it
    into place and fsyncs the directory. Only then is the copy visible, and
    only then does the bucket acknowledge it. A writer destroyed before
    commit leaves nothing behind.
*/

#ifndef ZS_WRITER_H_INCLUDED
#define ZS_WRITER_H_INCLUDED

#include "zs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_writer_t zs_writer_t;

//  Start a copy of info (owner, name, version, replica count and stamp; its
//  size is a hint, UINT64_MAX when unknown). NULL on failure, with a
//  ZS_STATUS_ code in *status.
zs_writer_t *zs_writer_new (zs_store_t *store, const zs_fileinfo_t *info, int *status);

//  Destroy the writer; an uncommitted copy is removed
void zs_writer_destroy (zs_writer_t **self_p);

//  Append chunk seq. Chunks come in order, all but the last ZS_CHUNK_SIZE
//  bytes long, each with its CRC-32C. Returns a ZS_STATUS_ code.
int zs_writer_append (zs_writer_t *self, uint32_t seq, const byte *data, size_t size, uint32_t crc);

//  Finish the copy: size and checksum of the whole content. Returns a
//  ZS_STATUS_ code; ZS_STATUS_OK means the copy is durable and in place.
int zs_writer_commit (zs_writer_t *self, uint64_t size, const byte *checksum);

//  Chunks appended so far
uint32_t zs_writer_chunks (zs_writer_t *self);

//  Why the last call failed
const char *zs_writer_reason (zs_writer_t *self);

#ifdef __cplusplus
}
#endif

#endif
