/*  zs_receipt - the checks on a file as it arrives

    A get's chunks must come in order, each of the size the file's size says
    and with the CRC-32C it carries; their content goes to a descriptor, and
    all of it must match the BLAKE2b-256 checksum GET_BEGIN gave. A receipt
    does those checks for one file, so that a get waited for alone and gets
    kept in flight together check alike.
*/

#ifndef ZS_RECEIPT_H_INCLUDED
#define ZS_RECEIPT_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_receipt_t zs_receipt_t;

//  A receipt for a file of size bytes with this checksum, written to fd.
//  NULL when out of memory.
zs_receipt_t *zs_receipt_new (uint64_t size, const byte *checksum, int fd);

//  Destroy the receipt
void zs_receipt_destroy (zs_receipt_t **self_p);

//  Takes chunk seq with its CRC and writes it to the descriptor. Returns
//  ZS_STATUS_OK, or a ZS_STATUS_ code with zs_receipt_error saying why.
int zs_receipt_chunk (zs_receipt_t *self, uint32_t seq, const byte *data, size_t size,
                      uint32_t crc);

//  Chunks the file has, and chunks taken so far
uint32_t zs_receipt_chunks (zs_receipt_t *self);
uint32_t zs_receipt_taken (zs_receipt_t *self);

//  Bytes written to the descriptor so far
uint64_t zs_receipt_written (zs_receipt_t *self);

//  Every chunk was taken: checks the whole content against its checksum.
//  Returns ZS_STATUS_OK or ZS_STATUS_CORRUPT.
int zs_receipt_finish (zs_receipt_t *self);

//  Why the last call failed
const char *zs_receipt_error (zs_receipt_t *self);

#ifdef __cplusplus
}
#endif

#endif
