/*  zs_reader - read one copy, checking every chunk

    Opens the copy of one version, checks its header against what was asked
    for, and serves its chunks, each checked against the CRC stored at write
    time. A copy that fails a check is reported as ZS_STATUS_CORRUPT and
    never served. The content of a large copy, written past the page cache
    (zs_writer), is read past it too.
*/

#ifndef ZS_READER_H_INCLUDED
#define ZS_READER_H_INCLUDED

#include "zs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_reader_t zs_reader_t;

//  Status of a cached-only reader that would have had to wait for the disk
#define ZS_READER_NOT_CACHED (-1)

//  Open the copy of version of owner's name. NULL on failure, with a
//  ZS_STATUS_ code in *status: NOT_FOUND, CORRUPT or INTERNAL.
zs_reader_t *zs_reader_new (zs_store_t *store, const char *user, const char *name, uint64_t version,
                            int *status);

//  As zs_reader_new, for a thread that must not wait for the disk: opens and
//  reads only what is in memory already, and fails with ZS_READER_NOT_CACHED
//  (and so does zs_reader_chunk) where it would have had to wait
zs_reader_t *zs_reader_new_cached (zs_store_t *store, const char *user, const char *name,
                                   uint64_t version, int *status);

//  Close the copy
void zs_reader_destroy (zs_reader_t **self_p);

//  What the copy is
const zs_fileinfo_t *zs_reader_info (zs_reader_t *self);

//  Number of chunks in the copy
uint32_t zs_reader_chunks (zs_reader_t *self);

//  Read chunk seq into a new frame and give its CRC. NULL on failure, with a
//  ZS_STATUS_ code in *status.
zframe_t *zs_reader_chunk (zs_reader_t *self, uint32_t seq, uint32_t *crc, int *status);

//  Why the last call failed
const char *zs_reader_reason (zs_reader_t *self);

#ifdef __cplusplus
}
#endif

#endif
