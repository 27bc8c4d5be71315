/*  zs_probe - asks a gateway for its status without waiting for the answer
 */

#include "zs_probe.h"

struct _zs_probe_t {
    char *endpoint;      //  Gateway's client endpoint
    zs_secure_t *secure; //  CURVE keys, or NULL
    zsock_t *socket;     //  DEALER to it
    zs_proto_t *reply;   //  Message received
    uint64_t request;    //  Id of the pending request; 0 when none is
    uint64_t next_id;    //  Last request id used
    int64_t deadline;    //  Monotonic ms when the pending request times out
    int64_t timeout;     //  ms it was given
    char error[256];     //  Why the last request failed
};

//  A fresh connection: whatever was queued for the old one goes with it
static int
s_connect (zs_probe_t *self)
{
    zsock_destroy (&self->socket);
    self->socket = zsock_new (ZMQ_DEALER);
    if (!self->socket)
        return -1;
    zsock_set_linger (self->socket, 0);
    //  A send never blocks the monitor: it fails instead
    zsock_set_sndtimeo (self->socket, 0);
    if (self->secure)
        zs_secure_apply_client (self->secure, self->socket);
    if (zsock_connect (self->socket, "%s", self->endpoint)) {
        zsock_destroy (&self->socket);
        return -1;
    }
    return 0;
}

zs_probe_t *
zs_probe_new (const char *endpoint, zs_secure_t *secure)
{
    if (!endpoint)
        return NULL;
    zs_probe_t *self = (zs_probe_t *) zmalloc (sizeof (zs_probe_t));
    if (!self)
        return NULL;
    self->endpoint = strdup (endpoint);
    self->secure = secure;
    self->reply = zs_proto_new ();
    if (!self->endpoint || !self->reply || s_connect (self))
        zs_probe_destroy (&self);
    return self;
}

void
zs_probe_destroy (zs_probe_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_probe_t *self = *self_p;
        zsock_destroy (&self->socket);
        zs_proto_destroy (&self->reply);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

int
zs_probe_ask (zs_probe_t *self, int64_t timeout)
{
    assert (self);
    if (self->request)
        return 0;
    if (!self->socket && s_connect (self)) {
        snprintf (self->error, sizeof (self->error), "cannot connect to %s", self->endpoint);
        return -1;
    }
    zs_proto_t *request = zs_proto_new ();
    if (!request) {
        snprintf (self->error, sizeof (self->error), "out of memory");
        return -1;
    }
    zs_proto_set_id (request, ZS_PROTO_STATUS);
    zs_proto_set_request (request, ++self->next_id);
    int rc = zs_proto_send (request, self->socket);
    zs_proto_destroy (&request);
    if (rc) {
        snprintf (self->error, sizeof (self->error), "cannot send to %s: %s", self->endpoint,
                  zmq_strerror (errno));
        s_connect (self);
        return -1;
    }
    self->request = self->next_id;
    self->timeout = timeout;
    self->deadline = zclock_mono () + timeout;
    return 0;
}

bool
zs_probe_pending (zs_probe_t *self)
{
    assert (self);
    return self->request != 0;
}

int64_t
zs_probe_time_left (zs_probe_t *self)
{
    assert (self);
    if (!self->request)
        return -1;
    int64_t left = self->deadline - zclock_mono ();
    return left > 0 ? left : 0;
}

zsock_t *
zs_probe_socket (zs_probe_t *self)
{
    assert (self);
    return self->socket;
}

int
zs_probe_receive (zs_probe_t *self, zs_proto_t **status_p)
{
    assert (self);
    assert (status_p);
    *status_p = NULL;
    if (!self->socket || zs_proto_recv (self->reply, self->socket))
        return 0;
    if (!self->request || zs_proto_request (self->reply) != self->request)
        return 0;
    self->request = 0;
    if (zs_proto_id (self->reply) == ZS_PROTO_STATUS_OK) {
        //  The caller keeps this one; the next answer goes into a new one
        zs_proto_t *reply = zs_proto_new ();
        if (!reply) {
            snprintf (self->error, sizeof (self->error), "out of memory");
            return -1;
        }
        *status_p = self->reply;
        self->reply = reply;
        return 1;
    }
    if (zs_proto_id (self->reply) == ZS_PROTO_FAILED)
        snprintf (self->error, sizeof (self->error), "the gateway refused: %s",
                  zs_proto_reason (self->reply));
    else
        snprintf (self->error, sizeof (self->error), "the gateway answered %s",
                  zs_proto_command (self->reply));
    return -1;
}

bool
zs_probe_expired (zs_probe_t *self)
{
    assert (self);
    if (!self->request || zclock_mono () < self->deadline)
        return false;
    snprintf (self->error, sizeof (self->error), "no answer within %" PRId64 " ms", self->timeout);
    self->request = 0;
    s_connect (self);
    return true;
}

const char *
zs_probe_error (zs_probe_t *self)
{
    assert (self);
    return self->error;
}
