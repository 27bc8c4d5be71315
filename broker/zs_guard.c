/*  zs_guard - who may connect to the gateway in secure mode (a ZAP handler)
 */

#include "zs_guard.h"
#include "zs_keyring.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

typedef struct {
    zsock_t *handler;      //  REP, bound to the ZAP endpoint
    zs_keyring_t *buckets; //  Keys that may register buckets
    zs_keyring_t *users;   //  Keys of users (clients and monitors)
} guard_t;

//  The answer to one ZAP request: 200 with the key as user id, or 400
static void
s_answer (guard_t *self, zmsg_t *request)
{
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);
    char key[41] = "";
    if (credentials && zframe_size (credentials) == 32)
        zmq_z85_encode (key, zframe_data (credentials), 32);
    zs_keyring_t *keyring = NULL;
    if (domain && streq (domain, ZS_GUARD_BUCKETS))
        keyring = self->buckets;
    else if (domain && (streq (domain, ZS_GUARD_CLIENTS) || streq (domain, ZS_GUARD_EVENTS)))
        keyring = self->users;
    bool curve = mechanism && streq (mechanism, "CURVE") && *key;
    bool allowed = keyring && curve && zs_keyring_name (keyring, key);
    if (!allowed && keyring && zs_keyring_should_log (keyring, key))
        zsys_warning ("gateway: refused %s key %s from %s on the %s endpoint: not in %s",
                      curve ? "unknown" : "no CURVE", *key ? key : "-", address ? address : "?",
                      domain, zs_keyring_folder (keyring));
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence ? sequence : "");
    zmsg_addstr (reply, allowed ? "200" : "400");
    zmsg_addstr (reply, allowed ? "OK" : "No access");
    zmsg_addstr (reply, allowed ? key : "");
    zmsg_addmem (reply, NULL, 0);
    zmsg_send (&reply, self->handler);
    zframe_destroy (&credentials);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
}

void
zs_guard_actor (zsock_t *pipe, void *args)
{
    (void) args;
    guard_t self = { NULL, NULL, NULL };
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    assert (poller);
    bool terminated = false;
    while (!terminated) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe) {
            zmsg_t *command = zmsg_recv (pipe);
            char *kind = command ? zmsg_popstr (command) : NULL;
            if (!kind || streq (kind, "$TERM"))
                terminated = true;
            else if (streq (kind, "KEYS") && self.handler)
                zsock_signal (pipe, 1); //  Once only
            else if (streq (kind, "KEYS")) {
                char *bucket_keys = zmsg_popstr (command), *user_keys = zmsg_popstr (command);
                self.buckets = bucket_keys ? zs_keyring_new (bucket_keys) : NULL;
                self.users = user_keys ? zs_keyring_new (user_keys) : NULL;
                self.handler = zsock_new (ZMQ_REP);
                bool bound = self.handler && zsock_bind (self.handler, ZAP_ENDPOINT) == 0;
                if (bound && self.buckets && self.users)
                    zpoller_add (poller, self.handler);
                else
                    zsock_destroy (&self.handler);
                zsock_signal (pipe, self.handler ? 0 : 1);
                zstr_free (&bucket_keys);
                zstr_free (&user_keys);
            }
            zstr_free (&kind);
            zmsg_destroy (&command);
        }
        else if (which && which == self.handler) {
            zmsg_t *request = zmsg_recv (self.handler);
            if (request)
                s_answer (&self, request);
            zmsg_destroy (&request);
        }
        else if (zpoller_terminated (poller))
            terminated = true;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&self.handler);
    zs_keyring_destroy (&self.buckets);
    zs_keyring_destroy (&self.users);
}
