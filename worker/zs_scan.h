/*  zs_scan - walk a bucket's copies and tombstones

    Yields one record per copy and per tombstone, a few at a time, so that a
    bucket with millions of files can report them in batches. A file that is
    not a well-formed copy is moved to quarantine/ and skipped.
*/

#ifndef ZS_SCAN_H_INCLUDED
#define ZS_SCAN_H_INCLUDED

#include "zs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_scan_t zs_scan_t;

//  Start a walk over the store. With headers false, records hold only the
//  bytes on disk (in size) and the flags, which is all a count needs.
zs_scan_t *zs_scan_new (zs_store_t *store, bool headers);

//  Destroy the walk
void zs_scan_destroy (zs_scan_t **self_p);

//  The next record, or NULL at the end. The record stays valid until the
//  next call. disk_size, if not NULL, receives the bytes the file takes.
const zs_fileinfo_t *zs_scan_next (zs_scan_t *self, uint64_t *disk_size);

#ifdef __cplusplus
}
#endif

#endif
