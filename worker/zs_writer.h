/*  zs_writer - write one copy, durably

    Chunks go to a temporary file as they arrive, each checked against its
    CRC. Prepare writes the CRC table and header: once the file system is
    synced, the content is durable but not yet a copy. Commit renames it into
    place: once the file system is synced again, the copy is durable and
    visible, and only then does the bucket acknowledge it. The syncs are the
    caller's, so that one sync makes a whole batch of copies durable (group
    commit); a commit must never come before the sync of its prepare. The
    gateway asks for the commit when every bucket of a put has prepared, so
    that a put that fails leaves nothing behind. A writer destroyed before
    commit removes its temporary file.

    The content of a copy announced as large goes to the disk without the
    page cache (O_DIRECT), behind a header padded to a block: filling new cache pages
    costs more CPU than the disk's own bandwidth allows for, and a large
    copy just written is rarely read at once.
*/

#ifndef ZS_WRITER_H_INCLUDED
#define ZS_WRITER_H_INCLUDED

#include "zs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_writer_t zs_writer_t;

//  Copies announced at this size or more go to the disk without the page
//  cache
#define ZS_WRITER_DIRECT_MIN (4 * ZS_CHUNK_SIZE)

//  Start a copy of info (owner, name, version, replica count and stamp; its
//  size is a hint, UINT64_MAX when unknown). NULL on failure, with a
//  ZS_STATUS_ code in *status.
zs_writer_t *zs_writer_new (zs_store_t *store, const zs_fileinfo_t *info, int *status);

//  Destroy the writer; an uncommitted copy is removed
void zs_writer_destroy (zs_writer_t **self_p);

//  Append chunk seq. Chunks come in order, all but the last ZS_CHUNK_SIZE
//  bytes long, each with its CRC-32C. Returns a ZS_STATUS_ code.
int zs_writer_append (zs_writer_t *self, uint32_t seq, const byte *data, size_t size, uint32_t crc);

//  The content is complete: its size and checksum. Writes the temporary
//  file's header; a sync of the file system makes it durable. Returns a
//  ZS_STATUS_ code.
int zs_writer_prepare (zs_writer_t *self, uint64_t size, const byte *checksum);

//  Put the prepared, synced copy in place. Returns a ZS_STATUS_ code;
//  ZS_STATUS_OK means the copy is visible, and durable after the next sync
//  of the file system. A copy whose sync fails must be dropped.
int zs_writer_commit (zs_writer_t *self);

//  After a sync of the file system: whether the copy's content reached the
//  disk, by the write errors the system kept for this file (a sync of the
//  whole file system tells of one only once, to whoever syncs first).
//  Returns a ZS_STATUS_ code.
int zs_writer_check (zs_writer_t *self);

//  What the copy is: owner, name, version
const zs_fileinfo_t *zs_writer_info (zs_writer_t *self);

//  Chunks appended so far
uint32_t zs_writer_chunks (zs_writer_t *self);

//  Why the last call failed
const char *zs_writer_reason (zs_writer_t *self);

#ifdef __cplusplus
}
#endif

#endif
