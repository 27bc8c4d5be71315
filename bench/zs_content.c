/*  zs_content - contents the benchmark can write and check again
 */

#include "zs_content.h"

#include <string.h>

uint64_t
zs_content_seed (const char *name)
{
    //  FNV-1a: names differ in their last characters, and every byte counts
    uint64_t hash = 14695981039346656037ULL;
    for (const unsigned char *next = (const unsigned char *) name; *next; next++)
        hash = (hash ^ *next) * 1099511628211ULL;
    return hash;
}

//  SplitMix64: fast, and every seed gives a full-period stream
static uint64_t
s_next (uint64_t *state)
{
    uint64_t value = (*state += 0x9E3779B97F4A7C15ULL);
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
    return value ^ (value >> 31);
}

void
zs_content_fill (void *buffer, size_t size, uint64_t seed)
{
    unsigned char *bytes = (unsigned char *) buffer;
    uint64_t state = seed;
    size_t offset = 0;
    for (; offset + sizeof (uint64_t) <= size; offset += sizeof (uint64_t)) {
        uint64_t value = s_next (&state);
        memcpy (bytes + offset, &value, sizeof (value));
    }
    if (offset < size) {
        uint64_t value = s_next (&state);
        memcpy (bytes + offset, &value, size - offset);
    }
}
