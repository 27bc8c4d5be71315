/*  zs_events - the gateway's event stream

    Publishes cluster events on a PUB socket: one message per event, with a
    sequence number that grows by one each time, the wall-clock time, a kind
    ("bucket.dead", "file.stored"...) and attributes. A subscriber that
    falls behind loses events (PUB drops them for it) and sees a gap in the
    sequence; it then takes a new snapshot. The gateway never waits for
    subscribers.
*/

#ifndef ZS_EVENTS_H_INCLUDED
#define ZS_EVENTS_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_events_t zs_events_t;

//  A publisher; set its socket's options (CURVE), then bind it
zs_events_t *zs_events_new (void);

//  Bind to endpoint: 0, or -1 when it cannot be bound
int zs_events_bind (zs_events_t *self, const char *endpoint);

//  Destroy the publisher
void zs_events_destroy (zs_events_t **self_p);

//  Start an event of this kind; set its attributes with zs_proto_set_attr
//  on the returned message, then publish
zs_proto_t *zs_events_begin (zs_events_t *self, const char *kind);

//  Publish the event begun last
void zs_events_publish (zs_events_t *self);

//  Sequence number of the last event published (0: none yet)
uint64_t zs_events_sequence (zs_events_t *self);

//  The socket, for options such as CURVE
zsock_t *zs_events_socket (zs_events_t *self);

#ifdef __cplusplus
}
#endif

#endif
