/*  zs_scrub - a bucket's background integrity check

    An actor that reads every copy in the store, again and again, at a
    bounded rate: it checks each chunk against its CRC and the whole content
    against its BLAKE2b-256 checksum. A copy that fails, or cannot be read,
    is moved to quarantine/ and reported up the pipe as COPY_LOST (user,
    name, version, reason), for the gateway to make a new copy from a good
    one. Between two passes it rests (a minute unless told otherwise).

    String commands:
        RATE <bytes/s>    how fast to read (default 8 MiB/s)
        PAUSE <ms>        least rest between passes (default 60000)
        $TERM             end the actor
*/

#ifndef ZS_SCRUB_H_INCLUDED
#define ZS_SCRUB_H_INCLUDED

#include "zs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

//  The actor; args is the zs_store_t to check, which must outlive it
void zs_scrub_actor (zsock_t *pipe, void *args);

#ifdef __cplusplus
}
#endif

#endif
