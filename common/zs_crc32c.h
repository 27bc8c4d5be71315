/*  zs_crc32c - CRC-32C (Castagnoli) of byte ranges

    Guards each chunk of a file in transit and on disk, as HDFS and Ceph do:
    cheap enough to check on every read. Uses the CPU's crc32 instruction
    when there is one.
*/

#ifndef ZS_CRC32C_H_INCLUDED
#define ZS_CRC32C_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Extend crc with size bytes of data; start from 0
uint32_t zs_crc32c (uint32_t crc, const void *data, size_t size);

//  The portable version, for tests and CPUs without the instruction
uint32_t zs_crc32c_portable (uint32_t crc, const void *data, size_t size);

#ifdef __cplusplus
}
#endif

#endif
