/*  test_bucket - a bucket actor against a gateway the test plays

    One real bucket, with one disk worker, registers with a ROUTER that the
    test drives message by message. The worker's syncs can be held back
    (zs_testkit), which stalls it while the network thread goes on taking
    messages: how a bucket behaves when its worker has no room left.

    Nothing waits a fixed time: conditions are polled with a deadline.
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_bucket.h"
#include "zs_crc32c.h"
#include "zs_testkit.h"

#include <sys/stat.h>

#define DEADLINE      10000 //  ms for the bucket to do what it must
#define ACTOR_TIMEOUT 5000  //  ms for the actor to answer a command
#define FLOOD_MAX     20000 //  Messages sent at most to fill the worker's queue
#define SIZE          5000  //  Bytes of the copies stored

typedef struct {
    char root[64];       //  Temporary folder
    char data[128];      //  The bucket's data folder
    zsock_t *router;     //  The gateway's side
    zactor_t *bucket;    //  The bucket, b1
    zframe_t *peer;      //  The bucket's routing id
    zs_proto_t *request; //  To the bucket
    zs_proto_t *reply;   //  From the bucket
} fixture_t;

static int s_teardown (void **state);

//  Receives from the bucket within timeout ms, heartbeats aside
static bool
s_recv (fixture_t *self, int timeout)
{
    int64_t until = zclock_mono () + timeout;
    while (true) {
        int64_t left = until - zclock_mono ();
        zsock_set_rcvtimeo (self->router, (int) (left > 0 ? left : 0));
        if (zs_proto_recv (self->reply, self->router))
            return false;
        if (zs_proto_id (self->reply) != ZS_PROTO_HEARTBEAT)
            return true;
    }
}

static void
s_expect (fixture_t *self, int id, uint64_t transfer)
{
    assert_true (s_recv (self, DEADLINE));
    if (zs_proto_id (self->reply) != id)
        print_error ("got %s\n", zs_proto_command (self->reply));
    assert_int_equal (zs_proto_id (self->reply), id);
    assert_int_equal (zs_proto_transfer (self->reply), transfer);
}

//  Starts a new request to the bucket
static zs_proto_t *
s_request (fixture_t *self, int id, uint64_t transfer)
{
    zs_proto_reset (self->request);
    zs_proto_set_id (self->request, id);
    zs_proto_set_transfer (self->request, transfer);
    zs_proto_set_routing_id (self->request, self->peer);
    return self->request;
}

static void
s_send (fixture_t *self)
{
    assert_int_equal (zs_proto_send (self->request, self->router), 0);
}

//  Welcomes the bucket, with heartbeats far apart: the test speaks when it
//  likes
static int
s_welcome (fixture_t *self)
{
    zs_proto_t *welcome = s_request (self, ZS_PROTO_WELCOME, 0);
    zs_proto_set_heartbeat (welcome, 60000);
    zs_proto_set_liveness (welcome, 3);
    return zs_proto_send (welcome, self->router);
}

static int
s_setup (void **state)
{
    fixture_t *self = (fixture_t *) calloc (1, sizeof (fixture_t));
    if (!self || !zs_testkit_folder_new (self->root, sizeof (self->root), "bucket")) {
        free (self);
        return -1;
    }
    *state = self;
    snprintf (self->data, sizeof (self->data), "%s/data", self->root);
    self->request = zs_proto_new ();
    self->reply = zs_proto_new ();
    self->router = zsock_new (ZMQ_ROUTER);
    //  A message the bucket has no room for blocks rather than vanish
    if (self->router)
        zsock_set_router_mandatory (self->router, 1);
    int port = self->router ? zsock_bind (self->router, "tcp://127.0.0.1:*") : -1;
    self->bucket = port > 0 ? zactor_new (zs_bucket_actor, NULL) : NULL;
    if (!self->bucket) {
        s_teardown (state);
        return -1;
    }
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);
    zstr_sendx (self->bucket, "START", "b1", "z1", self->data, endpoint, "0", "1", NULL);
    zsock_set_rcvtimeo (zactor_sock (self->bucket), ACTOR_TIMEOUT);
    char *answer = zstr_recv (self->bucket);
    bool started = answer && streq (answer, "OK");
    if (!started)
        print_error ("bucket START: %s\n", answer ? answer : "no answer");
    zstr_free (&answer);
    if (!started || !s_recv (self, DEADLINE) || zs_proto_id (self->reply) != ZS_PROTO_REGISTER) {
        s_teardown (state);
        return -1;
    }
    self->peer = zframe_dup (zs_proto_routing_id (self->reply));
    if (s_welcome (self) || !s_recv (self, DEADLINE)
        || zs_proto_id (self->reply) != ZS_PROTO_INVENTORY || zs_proto_more (self->reply)) {
        s_teardown (state);
        return -1;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    if (!self)
        return 0;
    //  A test that failed while syncs were held would leave the worker
    //  waiting, and the bucket's destruction with it
    zs_testkit_release_syncs ();
    zactor_destroy (&self->bucket);
    zsock_destroy (&self->router);
    zframe_destroy (&self->peer);
    zs_proto_destroy (&self->request);
    zs_proto_destroy (&self->reply);
    int rc = zs_testkit_folder_remove (self->root);
    free (self);
    *state = NULL;
    return rc;
}

//  Sends a whole copy to the bucket, up to its STORE_END
static void
s_store (fixture_t *self, uint64_t transfer, const char *name, uint64_t version, const byte *data)
{
    zs_proto_t *begin = s_request (self, ZS_PROTO_STORE_BEGIN, transfer);
    zs_proto_set_user (begin, "alice");
    zs_proto_set_name (begin, name);
    zs_proto_set_version (begin, version);
    zs_proto_set_size (begin, SIZE);
    zs_proto_set_replicas (begin, 1);
    zs_proto_set_stamp (begin, version);
    s_send (self);
    zs_proto_t *chunk = s_request (self, ZS_PROTO_STORE_CHUNK, transfer);
    zs_proto_set_seq (chunk, 0);
    zs_proto_set_crc (chunk, zs_crc32c (0, data, SIZE));
    zframe_t *frame = zframe_new (data, SIZE);
    zs_proto_set_data (chunk, &frame);
    s_send (self);
    byte checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, SIZE, checksum);
    zs_proto_t *end = s_request (self, ZS_PROTO_STORE_END, transfer);
    zs_proto_set_size (end, SIZE);
    zs_proto_set_checksum (end, checksum);
    s_send (self);
}

static bool
s_exists (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0;
}

//  Stops the worker in the sync of a copy's STORE_END, then gives it work
//  until the bucket says it is overloaded: its queue is full
static void
s_stall_worker (fixture_t *self, const byte *data)
{
    zs_testkit_count_syncs_from_zero ();
    zs_testkit_hold_syncs ();
    s_store (self, 2, "other", 8, data);
    s_expect (self, ZS_PROTO_STORE_ACK, 2);
    int64_t until = zclock_mono () + DEADLINE;
    while (zs_testkit_syncs () == 0 && zclock_mono () < until)
        zclock_sleep (5);
    assert_true (zs_testkit_syncs () > 0);
    bool overloaded = false;
    for (uint64_t transfer = 1000; !overloaded && transfer < 1000 + FLOOD_MAX; transfer++) {
        zs_proto_t *count = s_request (self, ZS_PROTO_SET_REPLICAS, transfer);
        zs_proto_set_user (count, "alice");
        zs_proto_set_name (count, "nothing");
        zs_proto_set_version (count, 1);
        zs_proto_set_replicas (count, 2);
        s_send (self);
        while (!overloaded && s_recv (self, 0))
            overloaded = zs_proto_id (self->reply) == ZS_PROTO_DONE
                         && zs_proto_status (self->reply) == ZS_STATUS_UNAVAILABLE;
    }
    assert_true (overloaded);
}

//  Receives until a message of this kind comes; false when none does in time
static bool
s_await (fixture_t *self, int id)
{
    int64_t until = zclock_mono () + DEADLINE;
    while (zclock_mono () < until && s_recv (self, (int) (until - zclock_mono ())))
        if (zs_proto_id (self->reply) == id)
            return true;
    return false;
}

//  The DROP of a copy that a failed put committed must not be lost when
//  the worker has no room: the copy would stay as if it had been stored
static void
test_drop_waits_for_room (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (SIZE);
    s_store (self, 1, "orphan", 7, data);
    s_expect (self, ZS_PROTO_STORE_ACK, 1);
    s_expect (self, ZS_PROTO_STORE_READY, 1);
    s_request (self, ZS_PROTO_COMMIT, 1);
    s_send (self);
    s_expect (self, ZS_PROTO_DONE, 1);
    assert_int_equal (zs_proto_status (self->reply), ZS_STATUS_OK);
    char path[256];
    zs_testkit_copy_path (self->data, "alice", "orphan", 7, path, sizeof (path));
    assert_true (s_exists (path));

    s_stall_worker (self, data);
    zs_proto_t *drop = s_request (self, ZS_PROTO_DROP, 99);
    zs_proto_set_user (drop, "alice");
    zs_proto_set_name (drop, "orphan");
    zs_proto_set_version (drop, 7);
    s_send (self);
    zs_testkit_release_syncs ();
    //  Once the worker catches up, the DROP is done like any other
    bool dropped = false;
    while (!dropped && s_recv (self, DEADLINE))
        if (zs_proto_id (self->reply) == ZS_PROTO_DONE && zs_proto_transfer (self->reply) == 99) {
            assert_int_equal (zs_proto_status (self->reply), ZS_STATUS_OK);
            dropped = true;
        }
    assert_true (dropped);
    assert_false (s_exists (path));
    free (data);
}

//  A bucket that registers again while its worker is full still resets the
//  worker, after what waited for it, and sends its inventory once it can
static void
test_reregister_while_stalled (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    byte *data = zs_testkit_random (SIZE);
    s_stall_worker (self, data);
    s_request (self, ZS_PROTO_REREGISTER, 0);
    s_send (self);
    assert_true (s_await (self, ZS_PROTO_REGISTER));
    zframe_destroy (&self->peer);
    self->peer = zframe_dup (zs_proto_routing_id (self->reply));
    zs_testkit_release_syncs ();
    assert_int_equal (s_welcome (self), 0);
    assert_true (s_await (self, ZS_PROTO_INVENTORY));
    assert_false (zs_proto_more (self->reply));
    free (data);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_drop_waits_for_room, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reregister_while_stalled, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
