/*  zs_events - the gateway's event stream
 */

#include "zs_events.h"

struct _zs_events_t {
    zsock_t *publisher; //  PUB socket
    zs_proto_t *event;  //  Event being built
    uint64_t sequence;  //  Last sequence number used
};

zs_events_t *
zs_events_new (void)
{
    zs_events_t *self = (zs_events_t *) zmalloc (sizeof (zs_events_t));
    if (!self)
        return NULL;
    self->publisher = zsock_new (ZMQ_PUB);
    self->event = zs_proto_new ();
    if (!self->publisher || !self->event) {
        zs_events_destroy (&self);
        return NULL;
    }
    //  A slow subscriber loses events rather than growing our memory
    zsock_set_sndhwm (self->publisher, 10000);
    return self;
}

int
zs_events_bind (zs_events_t *self, const char *endpoint)
{
    assert (self && endpoint);
    return zsock_bind (self->publisher, "%s", endpoint) < 0 ? -1 : 0;
}

void
zs_events_destroy (zs_events_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_events_t *self = *self_p;
        zsock_destroy (&self->publisher);
        zs_proto_destroy (&self->event);
        free (self);
        *self_p = NULL;
    }
}

zs_proto_t *
zs_events_begin (zs_events_t *self, const char *kind)
{
    assert (self && kind);
    zs_proto_reset (self->event);
    zs_proto_set_id (self->event, ZS_PROTO_EVENT);
    zs_proto_set_kind (self->event, kind);
    return self->event;
}

void
zs_events_publish (zs_events_t *self)
{
    assert (self);
    zs_proto_set_sequence (self->event, ++self->sequence);
    zs_proto_set_clock (self->event, (uint64_t) zclock_time ());
    zs_proto_send (self->event, self->publisher);
    zs_proto_reset (self->event);
}

uint64_t
zs_events_sequence (zs_events_t *self)
{
    assert (self);
    return self->sequence;
}

zsock_t *
zs_events_socket (zs_events_t *self)
{
    assert (self);
    return self->publisher;
}
