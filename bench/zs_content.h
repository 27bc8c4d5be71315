/*  zs_content - contents the benchmark can write and check again

    A content is a stream of pseudo-random bytes fixed by a seed, and a small
    file's seed comes from its name, so that a reader knows what every byte
    of a file it did not write must be without keeping a copy. Random bytes,
    not zeros, so that no layer can make the work look cheaper than it is.
*/

#ifndef ZS_CONTENT_H_INCLUDED
#define ZS_CONTENT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  The seed of a file named name
uint64_t zs_content_seed (const char *name);

//  Fill buffer with the size bytes that begin the content of seed
void zs_content_fill (void *buffer, size_t size, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif
