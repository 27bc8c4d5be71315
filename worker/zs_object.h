/*  zs_object - how a copy is laid out on a bucket's disk

    A copy is one file: a header (owner, name, version, size, checksum,
    replica count), the content, then one CRC-32C per chunk. Its path comes
    from a hash of owner and name, never from the name itself, so nothing a
    user types can reach outside the bucket's data folder:

        objects/<k0k1>/<k2k3>/<key>.<version>      a copy
        tombstones/<key>.<version>                 a removal still to be seen
        tmp/<transfer>.part                        a copy being written

    where key is the hex BLAKE2b-128 of owner, NUL, name, and version is 16
    hex digits. A tombstone uses the same header with the ZS_FILE_TOMBSTONE
    flag; its content is the comma-separated list of buckets it waits for.
*/

#ifndef ZS_OBJECT_H_INCLUDED
#define ZS_OBJECT_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_OBJECT_KEY_SIZE     32 //  Hex characters in a key
#define ZS_OBJECT_FIXED_HEADER 84 //  Header bytes before owner and name
#define ZS_OBJECT_HEADER_MAX   (ZS_OBJECT_FIXED_HEADER + ZS_USER_MAX + ZS_NAME_MAX)
#define ZS_OBJECT_PATH_MAX     80 //  Longest relative path of a copy

//  Size of a padded header: the content starts on a block boundary
#define ZS_OBJECT_ALIGNED 4096

//  Offset and size of the replica-count fields (stamp, then desired), which
//  change in place when a file's replica count changes
#define ZS_OBJECT_REPLICAS_OFFSET 32
#define ZS_OBJECT_REPLICAS_SIZE   9

//  Key of owner's name, as ZS_OBJECT_KEY_SIZE hex characters and a NUL
void zs_object_key (const char *user, const char *name, char *key);

//  Relative paths of a copy, its leaf directory, and a tombstone
void zs_object_copy_path (char *path, const char *key, uint64_t version);
void zs_object_leaf_path (char *path, const char *key);
void zs_object_tombstone_path (char *path, const char *key, uint64_t version);

//  Parse "<key>.<version>"; 0 when the file name has that form
int zs_object_parse_filename (const char *filename, char *key, uint64_t *version);

//  Number of chunks (and so of CRCs) of a file of size bytes
uint32_t zs_object_chunks (uint64_t size);

//  Encode the header of info into buffer (ZS_OBJECT_HEADER_MAX bytes, or
//  ZS_OBJECT_ALIGNED when aligned); returns its size. An aligned header is
//  padded with zeros to ZS_OBJECT_ALIGNED bytes, so that the content can be
//  written without the page cache.
size_t zs_object_encode_header (const zs_fileinfo_t *info, bool aligned, byte *buffer);

//  Decode a header from the first bytes of a file (its fields; the padding
//  of an aligned header need not be there). On success fills info and the
//  header size and returns 0; returns -1 for anything that is not a
//  well-formed header.
int zs_object_decode_header (const byte *buffer, size_t size, zs_fileinfo_t *info,
                             size_t *header_size);

//  Bytes a copy of info takes on disk (header, content and CRCs)
uint64_t zs_object_disk_size (const zs_fileinfo_t *info, size_t header_size);

#ifdef __cplusplus
}
#endif

#endif
