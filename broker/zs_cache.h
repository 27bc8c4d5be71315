/*  zs_cache - the content of small files, kept by the gateway

    A get of a small file costs a round trip to a bucket: two sockets and
    four threads more to cross than the file's bytes. The gateway keeps the
    content of the small files it sees go by (put or got), up to a budget
    of bytes, least recently used first out, and answers gets from it.

    Entries are keyed by owner, name and version: a version is never
    rewritten, so an entry is never stale, only unused (a newer version, or
    a removal, simply stops asking for it). Each entry keeps the CRC-32C of
    its content, checked again before it is served: a damaged entry is
    dropped, never served.
*/

#ifndef ZS_CACHE_H_INCLUDED
#define ZS_CACHE_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_cache_t zs_cache_t;

//  A cache of at most budget bytes (content and bookkeeping), for files of
//  at most entry_max bytes. A budget of 0 keeps nothing.
zs_cache_t *zs_cache_new (size_t budget, size_t entry_max);

//  Destroy the cache
void zs_cache_destroy (zs_cache_t **self_p);

//  Whether a file of size bytes may be kept
bool zs_cache_fits (zs_cache_t *self, uint64_t size);

//  Keep a copy of the content of user/name at version, if its CRC-32C is
//  crc (as its sender said); it replaces any other version kept of the file
void zs_cache_put (zs_cache_t *self, const char *user, const char *name, uint64_t version,
                   zframe_t *content, uint32_t crc);

//  A new frame with the content of user/name at version, and its CRC in
//  *crc; NULL when it is not kept (or was damaged, and is dropped)
zframe_t *zs_cache_get (zs_cache_t *self, const char *user, const char *name, uint64_t version,
                        uint32_t *crc);

//  Entries kept, and the bytes they take
size_t zs_cache_size (zs_cache_t *self);
size_t zs_cache_bytes (zs_cache_t *self);

#ifdef __cplusplus
}
#endif

#endif
