/*  zs_crc32c - CRC-32C (Castagnoli) of byte ranges

    The portable version works a byte at a time from a 256-entry table built
    at first use; the x86-64 version feeds eight bytes at a time to the
    SSE4.2 crc32 instruction. Both compute the reflected polynomial
    0x82F63B78 with the usual pre- and post-inversion.
*/

#include "zs_crc32c.h"

#include <pthread.h>

#define POLYNOMIAL 0x82F63B78u

static uint32_t s_table[256];
static pthread_once_t s_table_once = PTHREAD_ONCE_INIT;

static void
s_build_table (void)
{
    for (uint32_t index = 0; index < 256; index++) {
        uint32_t crc = index;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ ((crc & 1) ? POLYNOMIAL : 0);
        s_table[index] = crc;
    }
}

uint32_t
zs_crc32c_portable (uint32_t crc, const void *data, size_t size)
{
    pthread_once (&s_table_once, s_build_table);
    const unsigned char *bytes = (const unsigned char *) data;
    crc = ~crc;
    while (size--)
        crc = (crc >> 8) ^ s_table[(crc ^ *bytes++) & 0xFF];
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <string.h>

__attribute__ ((target ("sse4.2"))) static uint32_t
s_crc32c_sse42 (uint32_t crc, const void *data, size_t size)
{
    const unsigned char *bytes = (const unsigned char *) data;
    uint64_t state = ~crc;
    while (size >= 8) {
        uint64_t word;
        memcpy (&word, bytes, 8);
        state = __builtin_ia32_crc32di (state, word);
        bytes += 8;
        size -= 8;
    }
    uint32_t tail = (uint32_t) state;
    while (size--)
        tail = __builtin_ia32_crc32qi (tail, *bytes++);
    return ~tail;
}

uint32_t
zs_crc32c (uint32_t crc, const void *data, size_t size)
{
    if (__builtin_cpu_supports ("sse4.2"))
        return s_crc32c_sse42 (crc, data, size);
    return zs_crc32c_portable (crc, data, size);
}

#else

uint32_t
zs_crc32c (uint32_t crc, const void *data, size_t size)
{
    return zs_crc32c_portable (crc, data, size);
}

#endif
