/*  zs_disk - a bucket's disk worker

    An actor that does a bucket's disk work off its network thread, so that
    a long fsync never delays a heartbeat. Its pipe speaks zs_proto: the
    gateway's work messages go in (STORE_*, COMMIT, FETCH*, ABORT, DROP,
    DELETE, FORGET, SET_REPLICAS; WELCOME and INVENTORY_ACK for inventory
    batches) and the replies for the gateway come out (STORE_ACK,
    STORE_READY, FETCH_CHUNK, INVENTORY, DONE). Transfers are independent: fetches are served a
   chunk at a time, in turn, within the credit the gateway grants.

    String commands:
        RESET           drop every transfer in progress (the gateway is gone)
        TIMEOUT <ms>    abort transfers idle for that long (default 120 s)
        VERBOSE         log every message
        $TERM           end the actor
*/

#ifndef ZS_DISK_H_INCLUDED
#define ZS_DISK_H_INCLUDED

#include "zs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

//  The actor; args is the zs_store_t to work on, which must outlive it
void zs_disk_actor (zsock_t *pipe, void *args);

#ifdef __cplusplus
}
#endif

#endif
