/*  zs_bucket - a bucket server

    An actor that serves one data folder to a gateway: it registers with its
    id, zone, capacity and folder identity, reports its inventory in
    batches, answers the gateway's heartbeats, and hands the gateway's work
    to its disk workers (zs_disk). When the gateway goes silent it drops its
    socket, opens a new one and registers again, backing off from one second
    to 32 seconds between attempts.

    Commands on the actor's pipe:
        SECURE <key pair> <gateway key>
                    before START: speak CURVE with the gateway of that public
                    key, as the owner of that key pair; replies "OK" or why not
        START <id> <zone> <data> <gateway> <capacity> <workers>
                    open the data folder and connect; replies "OK" or why not
        TIMEOUT <ms>
                    abort transfers the gateway left idle that long
        SCRUB <bytes/s> <pause ms>
                    after START: check every copy in the background at that
                    rate, resting that long between passes (zs_scrub)
        VERBOSE     log every message
        $TERM       stop
*/

#ifndef ZS_BUCKET_H_INCLUDED
#define ZS_BUCKET_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  The actor; args is unused
void zs_bucket_actor (zsock_t *pipe, void *args);

#ifdef __cplusplus
}
#endif

#endif
