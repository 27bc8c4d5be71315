/*  zs_guard - who may connect to the gateway in secure mode (a ZAP handler)

    An actor that answers libzmq's ZAP requests (RFC 27) for the gateway's
    CURVE sockets: on the "buckets" domain, a key must be in the bucket
    keys folder; on "clients" and "events", in the user keys folder. An
    accepted peer's messages carry its public key as "User-Id", for the
    gateway to learn the name behind it. Anything else is refused, and each
    refused key is logged once a minute, not once per attempt.

    czmq's zauth keeps one set of keys for the whole process and does not
    tell the endpoints apart: the gateway must not let a user's key in as
    a bucket, nor say nothing of who was refused.

        zactor_t *guard = zactor_new (zs_guard_actor, NULL);
        zstr_sendx (guard, "KEYS", bucket_keys, user_keys, NULL);
        zsock_wait (guard);   //  0 once it answers ZAP requests, -1 if it cannot
*/

#ifndef ZS_GUARD_H_INCLUDED
#define ZS_GUARD_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_GUARD_BUCKETS "buckets"
#define ZS_GUARD_CLIENTS "clients"
#define ZS_GUARD_EVENTS  "events"

void zs_guard_actor (zsock_t *pipe, void *args);

#ifdef __cplusplus
}
#endif

#endif
