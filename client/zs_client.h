/*  zs_client - the zstore client library

    Talks to a gateway for one user: stores files from a descriptor and
    fetches them into one, both streamed a chunk at a time within the
    gateway's credit, so that any size works in constant memory. Every
    content is hashed with BLAKE2b-256 on the way in and checked on the way
    out; every chunk carries a CRC-32C.

    Each call waits for the gateway up to the timeout. Requests that change
    nothing (get before any byte is written, stat, list, status) are sent
    again on a fresh connection when the gateway does not answer, or asks to
    wait while it rebuilds its index, until the timeout runs out.

    Methods return 0 on success and -1 on failure; zs_client_error says why
    in one line and zs_client_status gives the ZS_STATUS_ code.
*/

#ifndef ZS_CLIENT_H_INCLUDED
#define ZS_CLIENT_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_client_t zs_client_t;

//  Connect to the gateway's client endpoint as user. NULL when the endpoint
//  or the user name is not valid (see errno: EINVAL).
zs_client_t *zs_client_new (const char *endpoint, const char *user);

//  Disconnect
void zs_client_destroy (zs_client_t **self_p);

//  How long to wait for the gateway, in milliseconds (default 10000)
void zs_client_set_timeout (zs_client_t *self, int64_t timeout);

//  Speak CURVE with the gateway whose public key is in gateway_key_path, as
//  the owner of the key pair in cert_path; the user becomes the one the key
//  pair names. -1 (see zs_client_error) when a file cannot be read.
int zs_client_set_secure (zs_client_t *self, const char *cert_path, const char *gateway_key_path);

//  The user this client acts as
const char *zs_client_user (zs_client_t *self);

//  Store the content read from fd (to its end) as name, with replicas
//  copies (0: the gateway's default). On success gives the version stored
//  and the number of durable copies.
int zs_client_put (zs_client_t *self, const char *name, int fd, uint8_t replicas, uint64_t *version,
                   uint8_t *copies);

//  Fetch name and write its content to fd; info, if not NULL, receives what
//  was fetched (the caller destroys it)
int zs_client_get (zs_client_t *self, const char *name, int fd, zs_fileinfo_t **info);

//  Names the next file zs_client_get_many gets, and the descriptor its
//  content goes to; false when there are no more. The name need not outlive
//  the call.
typedef bool (zs_client_next_fn) (void *arg, const char **name, int *fd);

//  Hears how a get of zs_client_get_many ended: rc 0, or -1 with
//  zs_client_error and zs_client_status_code saying why during the call
typedef void (zs_client_done_fn) (void *arg, const char *name, int fd, int rc);

//  Gets many files with up to depth of them in flight at once on the one
//  connection, which a single get at a time leaves idle for most of each
//  round trip. Asks next for each file until it says there are no more, and
//  tells done how each ended, in the order they end; every file gets the
//  checks and retries of zs_client_get. Returns 0 when every get succeeded,
//  -1 when any failed.
int zs_client_get_many (zs_client_t *self, size_t depth, zs_client_next_fn *next,
                        zs_client_done_fn *done, void *arg);

//  What the cluster holds of name; NULL on failure
zs_fileinfo_t *zs_client_stat (zs_client_t *self, const char *name);

//  The user's files, sorted by name, as zs_fileinfo_t; NULL on failure
zlistx_t *zs_client_list (zs_client_t *self);

//  Remove name
int zs_client_remove (zs_client_t *self, const char *name);

//  Change the number of copies of name; gives the live copies after
int zs_client_set_replicas (zs_client_t *self, const char *name, uint8_t replicas, uint8_t *copies);

//  The cluster's status: the STATUS_OK message, which the caller destroys;
//  NULL on failure
zs_proto_t *zs_client_status (zs_client_t *self);

//  An administrative command: "drain", "undrain" or "forget" a bucket, or
//  "rebalance" (bucket ignored). On success gives the gateway's one-line
//  answer, which the caller frees.
int zs_client_admin (zs_client_t *self, const char *command, const char *bucket, char **answer);

//  Why the last call failed, and its ZS_STATUS_ code
const char *zs_client_error (zs_client_t *self);
int zs_client_status_code (zs_client_t *self);

//  The hex form of a checksum, into text of 2 * ZS_CHECKSUM_SIZE + 1 bytes
void zs_client_checksum_hex (const byte *checksum, char *text);

#ifdef __cplusplus
}
#endif

#endif
