/*  zs_bigfile - one large file, put and got whole through the client library

    The content lives in a memory file, made once, so that reading it costs
    the put no disk time; a get goes to another memory file, allocated before
    the clock starts, and is checked against it byte for byte once the clock
    has stopped.
*/

#ifndef ZS_BIGFILE_H_INCLUDED
#define ZS_BIGFILE_H_INCLUDED

#include "zs_client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_bigfile_t zs_bigfile_t;

//  A content of size pseudo-random bytes; NULL when it cannot be made
zs_bigfile_t *zs_bigfile_new (uint64_t size);

//  Destroy the content
void zs_bigfile_destroy (zs_bigfile_t **self_p);

//  Its size
uint64_t zs_bigfile_size (zs_bigfile_t *self);

//  Put the content as name with replicas copies, through client; gives the
//  seconds it took. 0, or -1 (zs_bigfile_error says why).
int zs_bigfile_put (zs_bigfile_t *self, zs_client_t *client, const char *name, uint8_t replicas,
                    double *seconds);

//  Get name through client and check that it is the content; gives the
//  seconds the get took. 0 or -1.
int zs_bigfile_get (zs_bigfile_t *self, zs_client_t *client, const char *name, double *seconds);

//  Why the last put or get failed
const char *zs_bigfile_error (zs_bigfile_t *self);

#ifdef __cplusplus
}
#endif

#endif
