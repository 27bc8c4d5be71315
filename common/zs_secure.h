/*  zs_secure - one program's CURVE settings

    Its own key pair, from a secret certificate (czmq's format, as `zstore
    keygen` writes it), and, for a program that connects to the gateway,
    the gateway's public key, from its public certificate. Applied to a
    socket before it binds or connects, they make every byte on it
    encrypted and authenticated. Also: making a key pair, and telling
    whether an endpoint stays on this machine.
*/

#ifndef ZS_SECURE_H_INCLUDED
#define ZS_SECURE_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_secure_t zs_secure_t;

//  Loads the key pair from cert_path (NAME.cert_secret) and, when
//  server_key_path is not NULL, the gateway's public key from it. NULL on
//  failure, with why in error.
zs_secure_t *zs_secure_new (const char *cert_path, const char *server_key_path, char *error,
                            size_t error_size);
void zs_secure_destroy (zs_secure_t **self_p);

//  The name in the certificate's metadata (a user or a bucket id), or NULL
const char *zs_secure_name (zs_secure_t *self);

//  The public key, as Z85 text
const char *zs_secure_public_key (zs_secure_t *self);

//  Makes socket a CURVE client of the gateway (before it connects)
void zs_secure_apply_client (zs_secure_t *self, zsock_t *socket);

//  Makes socket a CURVE server whose peers the ZAP handler checks in the
//  given domain (before it binds)
void zs_secure_apply_server (zs_secure_t *self, zsock_t *socket, const char *domain);

//  Writes DIR/NAME.cert and DIR/NAME.cert_secret (mode 0600), a new key
//  pair with name = NAME in its metadata. Never overwrites a certificate.
//  0, or -1 with why in error.
int zs_secure_keygen (const char *folder, const char *name, char *error, size_t error_size);

//  Whether endpoint can only be reached from this machine: ipc://,
//  inproc://, or tcp:// on a loopback address (127.0.0.0/8, ::1, localhost)
bool zs_secure_endpoint_is_local (const char *endpoint);

#ifdef __cplusplus
}
#endif

#endif
