/*  zs_store - a bucket's data folder

    Owns the folder: an exclusive lock while the bucket runs, the identity
    file that ties the folder to one bucket id, the counters of copies and
    bytes held, and the operations on whole copies and tombstones. Writing
    and reading a copy's content are zs_writer's and zs_reader's jobs; walking
    the folder is zs_scan's. Every method may be called from several threads
    at once, as long as no two of them change the same copy.
*/

#ifndef ZS_STORE_H_INCLUDED
#define ZS_STORE_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_store_t zs_store_t;

//  Open the data folder at path for bucket id, creating it when missing.
//  Fails (NULL, with the reason in error) when another process holds the
//  folder, when it belongs to another bucket id, or on an I/O error.
//  Removes the temporary files of transfers a crash interrupted.
zs_store_t *zs_store_new (const char *path, const char *bucket_id, char *error, size_t error_size);

//  Close the folder and release its lock
void zs_store_destroy (zs_store_t **self_p);

//  Descriptor of the folder, for paths relative to it
int zs_store_fd (zs_store_t *self);

//  Identity of the folder, chosen when it was created
const byte *zs_store_instance (zs_store_t *self);

//  Limit the bytes the store may use; 0 means the file system's free space
void zs_store_set_capacity (zs_store_t *self, uint64_t capacity);

//  Copies held, bytes they use, bytes still free, and the capacity
uint64_t zs_store_files (zs_store_t *self);
uint64_t zs_store_used (zs_store_t *self);
uint64_t zs_store_free (zs_store_t *self);
uint64_t zs_store_capacity (zs_store_t *self);

//  Account for copies added (positive) or removed (negative)
void zs_store_account (zs_store_t *self, int64_t files, int64_t bytes);

//  Account for bytes written to copies not committed yet (positive), or no
//  longer pending (negative): they count against the capacity
void zs_store_writing (zs_store_t *self, int64_t bytes);

//  A number for a temporary file name, unique in this folder
uint64_t zs_store_next_temp (zs_store_t *self);

//  Remove the copy of exactly this version. ZS_STATUS_OK also when there
//  was none.
int zs_store_drop (zs_store_t *self, const char *user, const char *name, uint64_t version);

//  Remove every copy older than version. When pending (comma-separated
//  bucket ids) is not empty, also keep a tombstone until FORGET, so that the
//  removal can be told to those buckets when they come back.
int zs_store_delete (zs_store_t *self, const char *user, const char *name, uint64_t version,
                     const char *pending);

//  Forget the tombstone of this version
int zs_store_forget (zs_store_t *self, const char *user, const char *name, uint64_t version);

//  Record a new replica count in the copy of this version
int zs_store_set_replicas (zs_store_t *self, const char *user, const char *name, uint64_t version,
                           uint8_t desired, uint64_t stamp);

//  Move a corrupt copy aside, out of reach of reads and inventories
int zs_store_quarantine (zs_store_t *self, const char *user, const char *name, uint64_t version);

#ifdef __cplusplus
}
#endif

#endif
