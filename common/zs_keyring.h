/*  zs_keyring - the public keys in a folder, and the names they carry

    Every public certificate in a folder (czmq's format, as `zstore keygen`
    writes it) gives a CURVE public key and, in its metadata, a name: a
    user, or a bucket id. The folder may change at any time; a lookup looks
    at it again when it last did more than a tenth of a second before, and
    reads it again when any file in it was added, removed or changed (by
    name, size, inode or modification time to the nanosecond). Secret
    certificates (files ending in _secret) are never read.

    It also keeps refusals from flooding the log: one line per key a
    minute.
*/

#ifndef ZS_KEYRING_H_INCLUDED
#define ZS_KEYRING_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_keyring_t zs_keyring_t;

//  A keyring of the folder, read at once (a missing folder is an empty one)
zs_keyring_t *zs_keyring_new (const char *folder);
void zs_keyring_destroy (zs_keyring_t **self_p);

//  The name a public key (Z85 text, 40 characters) carries; NULL when the
//  folder holds no certificate of it
const char *zs_keyring_name (zs_keyring_t *self, const char *public_key);

//  How many keys the folder holds, as last read
size_t zs_keyring_size (zs_keyring_t *self);

//  The folder
const char *zs_keyring_folder (zs_keyring_t *self);

//  Whether a refusal of this key should be logged now: true at most once a
//  minute for each key
bool zs_keyring_should_log (zs_keyring_t *self, const char *public_key);

#ifdef __cplusplus
}
#endif

#endif
