/*  zs_testkit - what the unit tests share

    Temporary folders, random content and its checksum, where a copy and a
    tombstone lie in a store's folder, a byte damaged on disk, and the
    file system's syncs held back. Linked into every unit test; what cannot
    be done fails the test, as cmocka does.
*/

#ifndef ZS_TESTKIT_H_INCLUDED
#define ZS_TESTKIT_H_INCLUDED

#include "zs_proto.h"

#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Makes a new folder /tmp/zs-test-NAME-XXXXXX, its path in root (of size
//  bytes); false when it cannot
bool zs_testkit_folder_new (char *root, size_t size, const char *name);

//  Removes a folder and everything in it; 0, or -1 when something stayed
int zs_testkit_folder_remove (const char *root);

//  size random bytes, in an allocation of one more (so that size 0 is
//  one), for the caller to free
byte *zs_testkit_random (size_t size);

//  The BLAKE2b-256 checksum zstore keeps of content
void zs_testkit_checksum (const byte *data, size_t size, byte *checksum);

//  Absolute path, in a store's folder, of the copy or the tombstone of
//  user's name at version
void zs_testkit_copy_path (const char *folder, const char *user, const char *name, uint64_t version,
                           char *path, size_t size);
void zs_testkit_tombstone_path (const char *folder, const char *user, const char *name,
                                uint64_t version, char *path, size_t size);

//  A new record of user's name at version, of size bytes; the rest of its
//  fields as zs_fileinfo_new leaves them
zs_fileinfo_t *zs_testkit_info (const char *user, const char *name, uint64_t version,
                                uint64_t size);

//  Entries of a folder, "." and ".." aside
size_t zs_testkit_entries (const char *folder);

//  Regular files anywhere below a folder; adds their sizes to *bytes when
//  bytes is not NULL
size_t zs_testkit_files_below (const char *folder, uint64_t *bytes);

//  Inverts one byte of a file in place
void zs_testkit_flip_byte (const char *path, off_t offset);

//  The disk workers are linked into the tests, and the kit stands in for
//  the C library's syncfs: it counts their syncs, and holds every one back
//  between hold and release, while a test queues work behind it
void zs_testkit_hold_syncs (void);
void zs_testkit_release_syncs (void);
//  Syncs since the count was last set to zero
int zs_testkit_syncs (void);
void zs_testkit_count_syncs_from_zero (void);

#ifdef __cplusplus
}
#endif

#endif
