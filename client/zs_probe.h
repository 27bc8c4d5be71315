/*  zs_probe - asks a gateway for its status without waiting for the answer

    The monitor's screen and keys must not wait for a gateway that does not
    answer, so a STATUS goes out and its answer is read when the socket has
    it, from the monitor's own poll loop (zs_client waits for its answers,
    which suits a one-off request). A request unanswered within its timeout
    counts as failed, and the next one goes out on a fresh connection, so
    that requests never pile up for a gateway that is away.

    It sends STATUS and nothing else: the monitor only reads.
*/

#ifndef ZS_PROBE_H_INCLUDED
#define ZS_PROBE_H_INCLUDED

#include "zs_proto.h"
#include "zs_secure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_probe_t zs_probe_t;

//  A probe of the gateway at this client endpoint, over CURVE when secure
//  is not NULL (the caller keeps it, for as long as the probe lives); NULL
//  when the endpoint cannot be used
zs_probe_t *zs_probe_new (const char *endpoint, zs_secure_t *secure);

//  Destroy the probe
void zs_probe_destroy (zs_probe_t **self_p);

//  Send a STATUS, to be answered within timeout ms, unless one is pending.
//  0 when one is pending, -1 when it could not be sent (see zs_probe_error).
int zs_probe_ask (zs_probe_t *self, int64_t timeout);

//  A request is waiting for its answer
bool zs_probe_pending (zs_probe_t *self);

//  Milliseconds until the pending request times out (0 once it has), or
//  -1 when none is pending
int64_t zs_probe_time_left (zs_probe_t *self);

//  The socket to poll for the answer (it changes after a timeout)
zsock_t *zs_probe_socket (zs_probe_t *self);

//  Read one message from the socket, which must have one: 1 when it is the
//  STATUS_OK answering the request (in *status_p, which the caller
//  destroys), 0 when it is nothing of interest (an answer to a request that
//  timed out), -1 when the gateway refused the request (see zs_probe_error)
int zs_probe_receive (zs_probe_t *self, zs_proto_t **status_p);

//  True, once, when the pending request has gone past its timeout; it is
//  then abandoned
bool zs_probe_expired (zs_probe_t *self);

//  Why the last request failed
const char *zs_probe_error (zs_probe_t *self);

#ifdef __cplusplus
}
#endif

#endif
