/*  zs-hostile - send malformed and unexpected messages to zstore peers

    usage: zs-hostile client ENDPOINT    at a gateway's client endpoint
           zs-hostile bucket ENDPOINT    at a gateway's bucket endpoint
           zs-hostile events ENDPOINT    at a gateway's event endpoint
           zs-hostile gateway ENDPOINT   bind ENDPOINT as a fake gateway and
                                         pester the bucket that registers
           zs-hostile transfers ENDPOINT N
                                         begin N puts at once on one connection,
                                         then one more: it must be refused (429);
                                         once they are cancelled, as many are
                                         welcome again
           zs-hostile forge ENDPOINT KEYPAIR GATEWAY_KEY USER
                                         in secure mode, ask for USER's files
                                         with another user's key: refused (403)

    Each mode checks that its peer answers what deserves an answer, and is
    still serving at the end. Exits 0 when all went as expected, 1 with the
    first surprise on stderr.
*/

#include "zs_proto.h"
#include "zs_secure.h"

#include <sodium.h>

#define WAIT 3000 //  ms for any expected answer

static int s_failures = 0;

static void
s_expect (bool condition, const char *what)
{
    if (!condition) {
        fprintf (stderr, "zs-hostile: expected %s\n", what);
        s_failures++;
    }
}

//  A message of raw frames, sent after the routing id when there is one
static void
s_send_raw (zsock_t *socket, zframe_t *routing_id, int frames, ...)
{
    zmsg_t *msg = zmsg_new ();
    if (routing_id)
        zmsg_append (msg, &(zframe_t *){ zframe_dup (routing_id) });
    va_list args;
    va_start (args, frames);
    for (int index = 0; index < frames; index++) {
        const byte *data = va_arg (args, const byte *);
        size_t size = va_arg (args, size_t);
        zmsg_addmem (msg, data, size);
    }
    va_end (args);
    zmsg_send (&msg, socket);
}

//  Receives one decodable message within the wait; false if none
static bool
s_receive (zsock_t *socket, zs_proto_t *message)
{
    zpoller_t *poller = zpoller_new (socket, NULL);
    int64_t deadline = zclock_mono () + WAIT;
    bool got = false;
    while (!got && zclock_mono () < deadline) {
        if (zpoller_wait (poller, (int) (deadline - zclock_mono ())))
            got = zs_proto_recv (message, socket) == 0;
    }
    zpoller_destroy (&poller);
    return got;
}

//  Encoded body of a message, for truncating and corrupting
static zframe_t *
s_body (zs_proto_t *message)
{
    zmsg_t *msg = zs_proto_encode (message);
    zframe_t *body = zmsg_pop (msg);
    zmsg_destroy (&msg);
    return body;
}

static void
s_expect_failed (zsock_t *socket, zs_proto_t *reply, const char *what)
{
    bool got = s_receive (socket, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_FAILED
                  && zs_proto_status (reply) == ZS_STATUS_BAD_REQUEST,
              what);
}

static int
s_client_mode (const char *endpoint)
{
    zsock_t *dealer = zsock_new_dealer (endpoint);
    zs_proto_t *message = zs_proto_new (), *reply = zs_proto_new ();
    byte junk[4096];
    randombytes_buf (junk, sizeof (junk));

    s_send_raw (dealer, NULL, 1, junk, (size_t) 0);
    s_expect_failed (dealer, reply, "FAILED for an empty frame");
    for (int round = 0; round < 50; round++) {
        size_t size = 1 + randombytes_uniform (sizeof (junk));
        s_send_raw (dealer, NULL, 1, junk, size);
        s_expect_failed (dealer, reply, "FAILED for random bytes");
    }
    s_send_raw (dealer, NULL, 1, (const byte *) "ZS\x02\x12", (size_t) 4);
    s_expect_failed (dealer, reply, "FAILED for a wrong protocol version");
    s_send_raw (dealer, NULL, 1, (const byte *) "ZS\x01\x63", (size_t) 4);
    s_expect_failed (dealer, reply, "FAILED for an unknown message id");

    //  A valid PUT_BEGIN cut at every length, and with bytes added
    zs_proto_set_id (message, ZS_PROTO_PUT_BEGIN);
    zs_proto_set_request (message, 77);
    zs_proto_set_user (message, "mallory");
    zs_proto_set_name (message, "x");
    zframe_t *body = s_body (message);
    for (size_t size = 4; size < zframe_size (body); size++) {
        s_send_raw (dealer, NULL, 1, zframe_data (body), size);
        s_expect_failed (dealer, reply, "FAILED for a truncated PUT_BEGIN");
    }
    byte longer[256];
    memcpy (longer, zframe_data (body), zframe_size (body));
    s_send_raw (dealer, NULL, 1, longer, zframe_size (body) + 3);
    s_expect_failed (dealer, reply, "FAILED for trailing bytes");
    s_send_raw (dealer, NULL, 3, zframe_data (body), zframe_size (body), junk, (size_t) 10, junk,
                (size_t) 10);
    s_expect_failed (dealer, reply, "FAILED for extra frames");
    zframe_destroy (&body);

    //  Well-formed, but not something a client may say, or not sensible
    zs_proto_reset (message);
    zs_proto_set_id (message, ZS_PROTO_HEARTBEAT);
    zs_proto_send (message, dealer);
    s_expect_failed (dealer, reply, "FAILED for a bucket message from a client");
    zs_proto_set_id (message, ZS_PROTO_GET);
    zs_proto_set_request (message, 78);
    zs_proto_set_user (message, "mallory");
    zs_proto_set_name (message, "../../etc/passwd");
    zs_proto_send (message, dealer);
    s_expect_failed (dealer, reply, "FAILED for a name with '..'");
    zs_proto_set_user (message, "../root");
    zs_proto_set_name (message, "x");
    zs_proto_send (message, dealer);
    s_expect_failed (dealer, reply, "FAILED for a bad user name");
    //  Chunks of a put that never began are dropped without a word
    zs_proto_reset (message);
    zs_proto_set_id (message, ZS_PROTO_PUT_CHUNK);
    zs_proto_set_request (message, 79);
    zframe_t *data = zframe_new (junk, 100);
    zs_proto_set_data (message, &data);
    zs_proto_send (message, dealer);

    //  Still serving
    zs_proto_reset (message);
    zs_proto_set_id (message, ZS_PROTO_STATUS);
    zs_proto_set_request (message, 80);
    zs_proto_send (message, dealer);
    bool got = s_receive (dealer, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_STATUS_OK && zs_proto_request (reply) == 80,
              "STATUS_OK after all that");
    zs_proto_destroy (&message);
    zs_proto_destroy (&reply);
    zsock_destroy (&dealer);
    return s_failures ? 1 : 0;
}

static int
s_bucket_mode (const char *endpoint)
{
    zsock_t *dealer = zsock_new_dealer (endpoint);
    zs_proto_t *message = zs_proto_new (), *reply = zs_proto_new ();
    byte junk[4096];
    randombytes_buf (junk, sizeof (junk));
    for (int round = 0; round < 50; round++)
        s_send_raw (dealer, NULL, 1 + (int) randombytes_uniform (3), junk,
                    (size_t) randombytes_uniform (sizeof (junk)), junk, (size_t) 5, junk,
                    (size_t) 7);
    //  A well-formed message from a stranger: it must register first
    zs_proto_set_id (message, ZS_PROTO_STORE_ACK);
    zs_proto_set_transfer (message, 12345);
    zs_proto_send (message, dealer);
    bool got = s_receive (dealer, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_REREGISTER, "REREGISTER for a stranger");
    //  A registration under an id that is not a word
    zs_proto_reset (message);
    zs_proto_set_id (message, ZS_PROTO_REGISTER);
    zs_proto_set_bucket (message, "../b1");
    zs_proto_send (message, dealer);
    got = s_receive (dealer, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_REFUSED, "REFUSED for a bad bucket id");
    zs_proto_destroy (&message);
    zs_proto_destroy (&reply);
    zsock_destroy (&dealer);
    return s_failures ? 1 : 0;
}

static int
s_gateway_mode (const char *endpoint)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (zsock_bind (router, "%s", endpoint) < 0) {
        fprintf (stderr, "zs-hostile: cannot bind %s\n", endpoint);
        return 1;
    }
    zs_proto_t *message = zs_proto_new (), *reply = zs_proto_new ();
    bool got = s_receive (router, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_REGISTER, "a REGISTER from the bucket");
    if (!got) {
        zsock_destroy (&router);
        return 1;
    }
    zframe_t *bucket = zframe_dup (zs_proto_routing_id (reply));
    byte junk[4096];
    randombytes_buf (junk, sizeof (junk));
    for (int round = 0; round < 50; round++)
        s_send_raw (router, bucket, 1, junk, (size_t) randombytes_uniform (sizeof (junk)));
    s_send_raw (router, bucket, 1, (const byte *) "ZS\x01\x63", (size_t) 4);
    zs_proto_set_routing_id (message, bucket);
    zs_proto_set_id (message, ZS_PROTO_WELCOME);
    zs_proto_set_heartbeat (message, 1000);
    zs_proto_set_liveness (message, 3);
    zs_proto_send (message, router);
    got = s_receive (router, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_INVENTORY, "an INVENTORY after WELCOME");

    //  Work that makes no sense: chunks of unknown transfers, a fetch of nothing
    zs_proto_reset (message);
    zs_proto_set_id (message, ZS_PROTO_STORE_CHUNK);
    zs_proto_set_transfer (message, 999);
    zframe_t *data = zframe_new (junk, 100);
    zs_proto_set_data (message, &data);
    zs_proto_send (message, router);
    zs_proto_reset (message);
    zs_proto_set_id (message, ZS_PROTO_FETCH);
    zs_proto_set_transfer (message, 1000);
    zs_proto_set_user (message, "mallory");
    zs_proto_set_name (message, "../../../etc/passwd");
    zs_proto_set_version (message, 1);
    zs_proto_set_limit (message, 4);
    zs_proto_send (message, router);
    got = s_receive (router, reply);
    while (got && zs_proto_id (reply) == ZS_PROTO_HEARTBEAT)
        got = s_receive (router, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_DONE && zs_proto_transfer (reply) == 1000
                  && zs_proto_status (reply) == ZS_STATUS_NOT_FOUND,
              "DONE not found for a fetch of nothing");

    //  Still alive: a heartbeat comes back with our clock
    zs_proto_reset (message);
    zs_proto_set_id (message, ZS_PROTO_HEARTBEAT);
    zs_proto_set_clock (message, 4242);
    zs_proto_send (message, router);
    bool echoed = false;
    while (!echoed && s_receive (router, reply))
        echoed = zs_proto_id (reply) == ZS_PROTO_HEARTBEAT && zs_proto_clock (reply) == 4242;
    s_expect (echoed, "the heartbeat echoed");
    zframe_destroy (&bucket);
    zs_proto_destroy (&message);
    zs_proto_destroy (&reply);
    zsock_destroy (&router);
    return s_failures ? 1 : 0;
}

//  Random subscription frames at the event endpoint: an XSUB may send any
static int
s_events_mode (const char *endpoint)
{
    zsock_t *xsub = zsock_new (ZMQ_XSUB);
    zsock_connect (xsub, "%s", endpoint);
    byte junk[4096];
    for (int round = 0; round < 200; round++) {
        randombytes_buf (junk, sizeof (junk));
        s_send_raw (xsub, NULL, 1 + (int) randombytes_uniform (3), junk,
                    (size_t) randombytes_uniform (sizeof (junk)), junk,
                    (size_t) randombytes_uniform (64), junk, (size_t) 1);
    }
    //  Still publishing: a subscriber of its own gets an event
    zsock_t *sub = zsock_new_sub (endpoint, "");
    zs_proto_t *event = zs_proto_new ();
    bool got = false;
    for (int attempt = 0; attempt < 5 && !got; attempt++)
        got = s_receive (sub, event) && zs_proto_id (event) == ZS_PROTO_EVENT;
    s_expect (got, "events still published after junk at the event endpoint");
    zs_proto_destroy (&event);
    zsock_destroy (&sub);
    zsock_destroy (&xsub);
    return s_failures ? 1 : 0;
}

//  Begins allowed + 1 puts on dealer, from request first on: the last one,
//  and it alone, must be refused. Then cancels the others.
static void
s_fill_transfers (zsock_t *dealer, zs_proto_t *message, zs_proto_t *reply, uint64_t first,
                  int allowed)
{
    for (int index = 0; index <= allowed; index++) {
        zs_proto_reset (message);
        zs_proto_set_id (message, ZS_PROTO_PUT_BEGIN);
        zs_proto_set_request (message, first + (uint64_t) index);
        zs_proto_set_user (message, "mallory");
        char name[32];
        snprintf (name, sizeof (name), "many-%d", index);
        zs_proto_set_name (message, name);
        zs_proto_set_size (message, UINT64_MAX);
        zs_proto_set_replicas (message, 1);
        zs_proto_send (message, dealer);
    }
    //  In order: a refusal of any of the first would come before this one
    bool got = s_receive (dealer, reply);
    s_expect (got && zs_proto_id (reply) == ZS_PROTO_FAILED
                  && zs_proto_status (reply) == ZS_STATUS_BUSY
                  && zs_proto_request (reply) == first + (uint64_t) allowed,
              "FAILED 429 for the put beyond the limit, and for it only");
    for (int index = 0; index < allowed; index++) {
        zs_proto_reset (message);
        zs_proto_set_id (message, ZS_PROTO_CANCEL);
        zs_proto_set_request (message, first + (uint64_t) index);
        zs_proto_send (message, dealer);
    }
}

static int
s_transfers_mode (const char *endpoint, int allowed)
{
    zsock_t *dealer = zsock_new_dealer (endpoint);
    zs_proto_t *message = zs_proto_new (), *reply = zs_proto_new ();
    s_fill_transfers (dealer, message, reply, 1, allowed);
    //  The puts cancelled no longer count: as many are welcome again
    s_fill_transfers (dealer, message, reply, (uint64_t) allowed + 2, allowed);
    zs_proto_destroy (&message);
    zs_proto_destroy (&reply);
    zsock_destroy (&dealer);
    return s_failures ? 1 : 0;
}

static int
s_forge_mode (const char *endpoint, const char *cert, const char *gateway_key, const char *user)
{
    char error[512];
    zs_secure_t *secure = zs_secure_new (cert, gateway_key, error, sizeof (error));
    if (!secure) {
        fprintf (stderr, "zs-hostile: %s\n", error);
        return 2;
    }
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zs_secure_apply_client (secure, dealer);
    zsock_connect (dealer, "%s", endpoint);
    zs_proto_t *message = zs_proto_new (), *reply = zs_proto_new ();
    int ids[] = { ZS_PROTO_LIST, ZS_PROTO_STAT, ZS_PROTO_GET, ZS_PROTO_REMOVE, ZS_PROTO_PUT_BEGIN };
    for (size_t index = 0; index < sizeof (ids) / sizeof (ids[0]); index++) {
        zs_proto_reset (message);
        zs_proto_set_id (message, ids[index]);
        zs_proto_set_request (message, index + 1);
        zs_proto_set_user (message, user);
        zs_proto_set_name (message, "notes.txt");
        zs_proto_set_size (message, 3);
        zs_proto_send (message, dealer);
        bool got = s_receive (dealer, reply);
        s_expect (got && zs_proto_id (reply) == ZS_PROTO_FAILED
                      && zs_proto_status (reply) == ZS_STATUS_FORBIDDEN,
                  "FAILED 403 for a request as another user");
    }
    zs_proto_destroy (&message);
    zs_proto_destroy (&reply);
    zsock_destroy (&dealer);
    zs_secure_destroy (&secure);
    return s_failures ? 1 : 0;
}

int
main (int argc, char *argv[])
{
    if (argc == 6 && streq (argv[1], "forge")) {
        zsys_init ();
        return s_forge_mode (argv[2], argv[3], argv[4], argv[5]);
    }
    if (argc == 4 && streq (argv[1], "transfers"))
        return s_transfers_mode (argv[2], atoi (argv[3]));
    if (argc != 3) {
        fprintf (stderr, "usage: zs-hostile client|bucket|events|gateway ENDPOINT\n"
                         "       zs-hostile transfers ENDPOINT N\n");
        return 2;
    }
    if (sodium_init () < 0)
        return 1;
    zsys_init ();
    zsys_set_logstream (stderr);
    if (streq (argv[1], "client"))
        return s_client_mode (argv[2]);
    if (streq (argv[1], "bucket"))
        return s_bucket_mode (argv[2]);
    if (streq (argv[1], "gateway"))
        return s_gateway_mode (argv[2]);
    if (streq (argv[1], "events"))
        return s_events_mode (argv[2]);
    fprintf (stderr, "zs-hostile: unknown mode '%s'\n", argv[1]);
    return 2;
}
