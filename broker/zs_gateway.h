/*  zs_gateway - the gateway: the one address clients know

    An actor with three sockets: a ROUTER for clients, a ROUTER for buckets
    and a PUB for events. It places each file's copies, moves content
    between clients and buckets with credit-based flow control, replies to a
    put only when every chosen bucket has its copy durable, keeps the index
    of files (rebuilt from the buckets' inventories after a restart), and
    watches the buckets' heartbeats.

    Commands on the actor's pipe:
        SET <setting> <value>   before START; settings and defaults:
                                heartbeat 1000 (ms), liveness 3 (heartbeats),
                                default-replicas 2, transfer-timeout 30000 (ms),
                                recovery liveness x heartbeat (ms)
        VERBOSE                 log every message
        START <clients> <buckets> <events>
                                bind the three endpoints; replies "OK" and the
                                endpoints as bound (ports resolved), or an error
        $TERM                   stop
*/

#ifndef ZS_GATEWAY_H_INCLUDED
#define ZS_GATEWAY_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  The actor; args is unused
void zs_gateway_actor (zsock_t *pipe, void *args);

#ifdef __cplusplus
}
#endif

#endif
