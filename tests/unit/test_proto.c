/*  test_proto - the zstore wire protocol codec

    Every message round-trips with all its fields; messages travel over
    PAIR and ROUTER/DEALER sockets; malformed input is refused cleanly.
*/

#include "zs_proto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

//  --------------------------------------------------------------------------
//  Which fields each message carries, as documented

#define M_REQUEST          (1ull << 0)
#define M_TRANSFER         (1ull << 1)
#define M_USER             (1ull << 2)
#define M_NAME             (1ull << 3)
#define M_VERSION          (1ull << 4)
#define M_SIZE             (1ull << 5)
#define M_REPLICAS         (1ull << 6)
#define M_COPIES           (1ull << 7)
#define M_STAMP            (1ull << 8)
#define M_SEQ              (1ull << 9)
#define M_LIMIT            (1ull << 10)
#define M_CRC              (1ull << 11)
#define M_CHECKSUM         (1ull << 12)
#define M_STATUS           (1ull << 13)
#define M_REASON           (1ull << 14)
#define M_BUCKET           (1ull << 15)
#define M_ZONE             (1ull << 16)
#define M_INSTANCE         (1ull << 17)
#define M_CAPACITY         (1ull << 18)
#define M_USED             (1ull << 19)
#define M_FREE             (1ull << 20)
#define M_FILES            (1ull << 21)
#define M_HEARTBEAT        (1ull << 22)
#define M_LIVENESS         (1ull << 23)
#define M_CLOCK            (1ull << 24)
#define M_MORE             (1ull << 25)
#define M_PENDING          (1ull << 26)
#define M_UNDER_REPLICATED (1ull << 27)
#define M_RECOVERING       (1ull << 28)
#define M_UPTIME           (1ull << 29)
#define M_SEQUENCE         (1ull << 30)
#define M_KIND             (1ull << 31)
#define M_ENTRIES          (1ull << 32)
#define M_BUCKETS          (1ull << 33)
#define M_ATTRS            (1ull << 34)
#define M_REPAIRS          (1ull << 35)
#define M_REPAIRING        (1ull << 36)
#define M_REPAIR_BYTES     (1ull << 37)
#define M_REPAIR_RATE      (1ull << 38)

typedef struct {
    int id;
    const char *name;
    bool has_data;
    uint64_t fields;
} spec_t;

static const spec_t s_specs[] = {
    { ZS_PROTO_PUT_BEGIN, "PUT_BEGIN", false, M_REQUEST | M_USER | M_NAME | M_SIZE | M_REPLICAS },
    { ZS_PROTO_PUT_CHUNK, "PUT_CHUNK", true, M_REQUEST | M_SEQ | M_CRC },
    { ZS_PROTO_PUT_END, "PUT_END", false, M_REQUEST | M_SIZE | M_CHECKSUM },
    { ZS_PROTO_PUT_CREDIT, "PUT_CREDIT", false, M_REQUEST | M_LIMIT },
    { ZS_PROTO_PUT_OK, "PUT_OK", false, M_REQUEST | M_VERSION | M_COPIES },
    { ZS_PROTO_GET, "GET", false, M_REQUEST | M_USER | M_NAME },
    { ZS_PROTO_GET_BEGIN, "GET_BEGIN", false, M_REQUEST | M_VERSION | M_SIZE | M_CHECKSUM },
    { ZS_PROTO_GET_CHUNK, "GET_CHUNK", true, M_REQUEST | M_SEQ | M_CRC },
    { ZS_PROTO_GET_CREDIT, "GET_CREDIT", false, M_REQUEST | M_LIMIT },
    { ZS_PROTO_STAT, "STAT", false, M_REQUEST | M_USER | M_NAME },
    { ZS_PROTO_STAT_OK, "STAT_OK", false, M_REQUEST | M_ENTRIES },
    { ZS_PROTO_LIST, "LIST", false, M_REQUEST | M_USER | M_NAME | M_LIMIT },
    { ZS_PROTO_LIST_OK, "LIST_OK", false, M_REQUEST | M_ENTRIES | M_NAME | M_MORE },
    { ZS_PROTO_REMOVE, "REMOVE", false, M_REQUEST | M_USER | M_NAME },
    { ZS_PROTO_REMOVE_OK, "REMOVE_OK", false, M_REQUEST | M_VERSION },
    { ZS_PROTO_REPLICAS, "REPLICAS", false, M_REQUEST | M_USER | M_NAME | M_REPLICAS },
    { ZS_PROTO_REPLICAS_OK, "REPLICAS_OK", false, M_REQUEST | M_REPLICAS | M_COPIES },
    { ZS_PROTO_STATUS, "STATUS", false, M_REQUEST },
    { ZS_PROTO_STATUS_OK, "STATUS_OK", false,
      M_REQUEST | M_BUCKETS | M_FILES | M_USED | M_UNDER_REPLICATED | M_RECOVERING | M_UPTIME
          | M_SEQUENCE | M_HEARTBEAT | M_LIVENESS | M_REPAIRS | M_REPAIRING | M_REPAIR_BYTES
          | M_REPAIR_RATE },
    { ZS_PROTO_CANCEL, "CANCEL", false, M_REQUEST },
    { ZS_PROTO_FAILED, "FAILED", false, M_REQUEST | M_STATUS | M_REASON },
    { ZS_PROTO_REGISTER, "REGISTER", false,
      M_BUCKET | M_ZONE | M_INSTANCE | M_CAPACITY | M_USED | M_FREE | M_FILES },
    { ZS_PROTO_WELCOME, "WELCOME", false, M_HEARTBEAT | M_LIVENESS },
    { ZS_PROTO_REFUSED, "REFUSED", false, M_REASON },
    { ZS_PROTO_INVENTORY, "INVENTORY", false, M_ENTRIES | M_MORE },
    { ZS_PROTO_INVENTORY_ACK, "INVENTORY_ACK", false, 0 },
    { ZS_PROTO_HEARTBEAT, "HEARTBEAT", false, M_CLOCK | M_USED | M_FREE | M_FILES },
    { ZS_PROTO_REREGISTER, "REREGISTER", false, 0 },
    { ZS_PROTO_STORE_BEGIN, "STORE_BEGIN", false,
      M_TRANSFER | M_USER | M_NAME | M_VERSION | M_SIZE | M_REPLICAS | M_STAMP },
    { ZS_PROTO_STORE_CHUNK, "STORE_CHUNK", true, M_TRANSFER | M_SEQ | M_CRC },
    { ZS_PROTO_STORE_END, "STORE_END", false, M_TRANSFER | M_SIZE | M_CHECKSUM },
    { ZS_PROTO_STORE_ACK, "STORE_ACK", false, M_TRANSFER | M_SEQ },
    { ZS_PROTO_FETCH, "FETCH", false, M_TRANSFER | M_USER | M_NAME | M_VERSION | M_SEQ | M_LIMIT },
    { ZS_PROTO_FETCH_CHUNK, "FETCH_CHUNK", true, M_TRANSFER | M_SEQ | M_CRC },
    { ZS_PROTO_FETCH_CREDIT, "FETCH_CREDIT", false, M_TRANSFER | M_LIMIT },
    { ZS_PROTO_ABORT, "ABORT", false, M_TRANSFER },
    { ZS_PROTO_DROP, "DROP", false, M_TRANSFER | M_USER | M_NAME | M_VERSION },
    { ZS_PROTO_DELETE, "DELETE", false, M_TRANSFER | M_USER | M_NAME | M_VERSION | M_PENDING },
    { ZS_PROTO_FORGET, "FORGET", false, M_TRANSFER | M_USER | M_NAME | M_VERSION },
    { ZS_PROTO_SET_REPLICAS, "SET_REPLICAS", false,
      M_TRANSFER | M_USER | M_NAME | M_VERSION | M_REPLICAS | M_STAMP },
    { ZS_PROTO_DONE, "DONE", false, M_TRANSFER | M_STATUS | M_REASON },
    { ZS_PROTO_STORE_READY, "STORE_READY", false, M_TRANSFER },
    { ZS_PROTO_ADMIN, "ADMIN", false, M_REQUEST | M_KIND | M_BUCKET },
    { ZS_PROTO_ADMIN_OK, "ADMIN_OK", false, M_REQUEST | M_REASON },
    { ZS_PROTO_COPY_LOST, "COPY_LOST", false, M_USER | M_NAME | M_VERSION | M_REASON },
    { ZS_PROTO_COMMIT, "COMMIT", false, M_TRANSFER },
    { ZS_PROTO_EVENT, "EVENT", false, M_SEQUENCE | M_CLOCK | M_KIND | M_ATTRS },
};

#define SPEC_COUNT (sizeof (s_specs) / sizeof (s_specs[0]))

//  Every id the header defines
static const int s_header_ids[] = {
    ZS_PROTO_PUT_BEGIN,    ZS_PROTO_PUT_CHUNK,     ZS_PROTO_PUT_END,     ZS_PROTO_PUT_CREDIT,
    ZS_PROTO_PUT_OK,       ZS_PROTO_GET,           ZS_PROTO_GET_BEGIN,   ZS_PROTO_GET_CHUNK,
    ZS_PROTO_GET_CREDIT,   ZS_PROTO_STAT,          ZS_PROTO_STAT_OK,     ZS_PROTO_LIST,
    ZS_PROTO_LIST_OK,      ZS_PROTO_REMOVE,        ZS_PROTO_REMOVE_OK,   ZS_PROTO_REPLICAS,
    ZS_PROTO_REPLICAS_OK,  ZS_PROTO_STATUS,        ZS_PROTO_STATUS_OK,   ZS_PROTO_CANCEL,
    ZS_PROTO_FAILED,       ZS_PROTO_REGISTER,      ZS_PROTO_WELCOME,     ZS_PROTO_REFUSED,
    ZS_PROTO_INVENTORY,    ZS_PROTO_INVENTORY_ACK, ZS_PROTO_HEARTBEAT,   ZS_PROTO_REREGISTER,
    ZS_PROTO_STORE_BEGIN,  ZS_PROTO_STORE_CHUNK,   ZS_PROTO_STORE_END,   ZS_PROTO_STORE_ACK,
    ZS_PROTO_ADMIN,        ZS_PROTO_ADMIN_OK,      ZS_PROTO_COPY_LOST,   ZS_PROTO_STORE_READY,
    ZS_PROTO_COMMIT,       ZS_PROTO_FETCH,         ZS_PROTO_FETCH_CHUNK, ZS_PROTO_FETCH_CREDIT,
    ZS_PROTO_ABORT,        ZS_PROTO_DROP,          ZS_PROTO_DELETE,      ZS_PROTO_FORGET,
    ZS_PROTO_SET_REPLICAS, ZS_PROTO_DONE,          ZS_PROTO_EVENT,
};

static bool
s_header_id (int id)
{
    for (size_t index = 0; index < sizeof (s_header_ids) / sizeof (s_header_ids[0]); index++)
        if (s_header_ids[index] == id)
            return true;
    return false;
}

static const spec_t *
s_spec (int id)
{
    for (size_t index = 0; index < SPEC_COUNT; index++)
        if (s_specs[index].id == id)
            return &s_specs[index];
    fail_msg ("no spec for message id %d", id);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Field values: all differ from the defaults and use every byte of their width

#define V_REQUEST          0x0102030405060708ull
#define V_TRANSFER         0xF1E2D3C4B5A69788ull
#define V_USER             "alice.w-1_X"
#define V_NAME             "photos/2024/été 日本 \xf0\x9f\x98\x80.jpg"
#define V_VERSION          0x8000000000000001ull
#define V_SIZE             0x0000123456789ABCull
#define V_REPLICAS         0xA5
#define V_COPIES           0x5A
#define V_STAMP            0x7766554433221100ull
#define V_SEQ              0xDEADBEEFu
#define V_LIMIT            0xFEDCBA98u
#define V_CRC              0xE3069283u
#define V_STATUS           0xBEEF
#define V_REASON           "disk full on \"bucket-01\": ünïcödé"
#define V_BUCKET           "bucket-01.a_b"
#define V_ZONE             "zone-east.1"
#define V_CAPACITY         UINT64_MAX
#define V_USED             0x0123456789ABCDEFull
#define V_FREE             0xFEDCBA9876543210ull
#define V_FILES            0x0000000100000000ull
#define V_HEARTBEAT        0x01020304u
#define V_LIVENESS         0x80000001u
#define V_CLOCK            0x0000018BCFE56800ull
#define V_MORE             1
#define V_PENDING          "bucket-01,bucket-02,bucket-03"
#define V_UNDER_REPLICATED 0x0000000700000003ull
#define V_RECOVERING       1
#define V_UPTIME           0x00000000DEADBEEFull
#define V_SEQUENCE         0xABCDEF0123456789ull
#define V_REPAIRS          0x1020304050607080ull
#define V_REPAIRING        0x0A0B0C0Du
#define V_REPAIR_BYTES     0x8070605040302010ull
#define V_REPAIR_RATE      0x0000FFFF0000FFFFull
#define V_KIND             "file.stored"
#define V_DATA_SIZE        3000

static void
s_pattern (byte *buffer, size_t size, int seed)
{
    for (size_t index = 0; index < size; index++)
        buffer[index] = (byte) (index * 31 + (size_t) seed * 7 + 1);
}

static zs_fileinfo_t *
s_entry (int which)
{
    zs_fileinfo_t *entry = zs_fileinfo_new ();
    assert_non_null (entry);
    free (entry->user);
    free (entry->name);
    free (entry->buckets);
    if (which == 0) {
        entry->user = strdup ("alice");
        entry->name = strdup ("docs/report ü.pdf");
        entry->version = 0x1122334455667788ull;
        entry->size = (1ull << 40) | 5;
        entry->stamp = 0x0102030405060708ull;
        entry->desired = 3;
        entry->actual = 2;
        entry->flags = ZS_FILE_TOMBSTONE;
        entry->buckets = strdup ("bucket-01,bucket-02");
    }
    else {
        entry->user = strdup ("bob");
        entry->name = strdup ("x");
        entry->version = UINT64_MAX;
        entry->size = 0xFFFFFFFF00000001ull;
        entry->stamp = 0x8000000000000000ull;
        entry->desired = 255;
        entry->actual = 16;
        entry->flags = 0x81;
        entry->buckets = strdup ("b");
    }
    s_pattern (entry->checksum, ZS_CHECKSUM_SIZE, 10 + which);
    return entry;
}

static zs_bucketinfo_t *
s_bucketinfo (int which)
{
    zs_bucketinfo_t *bucket = zs_bucketinfo_new ();
    assert_non_null (bucket);
    free (bucket->id);
    free (bucket->zone);
    free (bucket->address);
    free (bucket->state);
    bucket->id = strdup (which == 0 ? "bucket-01" : "bucket-02");
    bucket->zone = strdup (which == 0 ? "zone-a" : "zone-b");
    bucket->address = strdup (which == 0 ? "tcp://10.0.0.1:5555" : "tcp://[::1]:6000");
    bucket->state = strdup (which == 0 ? "alive" : "suspect");
    bucket->heartbeat_age = which == 0 ? 1234 : 0xF000000000000001ull;
    bucket->rtt = which == 0 ? 0xDEADBEEFu : 7;
    bucket->files = which == 0 ? 0x0102030405060708ull : 1;
    bucket->used = which == 0 ? 0x1112131415161718ull : 2;
    bucket->free = which == 0 ? 0x2122232425262728ull : 3;
    bucket->capacity = which == 0 ? UINT64_MAX : 4;
    return bucket;
}

//  Sets every field of the message, including those it does not carry
static void
s_fill (zs_proto_t *msg, int id)
{
    zs_proto_set_id (msg, id);
    zs_proto_set_request (msg, V_REQUEST);
    zs_proto_set_transfer (msg, V_TRANSFER);
    zs_proto_set_user (msg, V_USER);
    zs_proto_set_name (msg, V_NAME);
    zs_proto_set_version (msg, V_VERSION);
    zs_proto_set_size (msg, V_SIZE);
    zs_proto_set_replicas (msg, V_REPLICAS);
    zs_proto_set_copies (msg, V_COPIES);
    zs_proto_set_stamp (msg, V_STAMP);
    zs_proto_set_seq (msg, V_SEQ);
    zs_proto_set_limit (msg, V_LIMIT);
    zs_proto_set_crc (msg, V_CRC);
    byte checksum[ZS_CHECKSUM_SIZE];
    s_pattern (checksum, sizeof (checksum), 1);
    zs_proto_set_checksum (msg, checksum);
    zs_proto_set_status (msg, V_STATUS);
    zs_proto_set_reason (msg, "%s", V_REASON);
    zs_proto_set_bucket (msg, V_BUCKET);
    zs_proto_set_zone (msg, V_ZONE);
    byte instance[ZS_INSTANCE_SIZE];
    s_pattern (instance, sizeof (instance), 2);
    zs_proto_set_instance (msg, instance);
    zs_proto_set_capacity (msg, V_CAPACITY);
    zs_proto_set_used (msg, V_USED);
    zs_proto_set_free (msg, V_FREE);
    zs_proto_set_files (msg, V_FILES);
    zs_proto_set_heartbeat (msg, V_HEARTBEAT);
    zs_proto_set_liveness (msg, V_LIVENESS);
    zs_proto_set_clock (msg, V_CLOCK);
    zs_proto_set_more (msg, V_MORE);
    zs_proto_set_pending (msg, V_PENDING);
    zs_proto_set_under_replicated (msg, V_UNDER_REPLICATED);
    zs_proto_set_recovering (msg, V_RECOVERING);
    zs_proto_set_uptime (msg, V_UPTIME);
    zs_proto_set_sequence (msg, V_SEQUENCE);
    zs_proto_set_kind (msg, V_KIND);
    zs_proto_set_repairs (msg, V_REPAIRS);
    zs_proto_set_repairing (msg, V_REPAIRING);
    zs_proto_set_repair_bytes (msg, V_REPAIR_BYTES);
    zs_proto_set_repair_rate (msg, V_REPAIR_RATE);
    for (int which = 0; which < 2; which++) {
        zs_fileinfo_t *entry = s_entry (which);
        zs_proto_add_entry (msg, entry);
        zs_fileinfo_destroy (&entry);
        zs_bucketinfo_t *bucket = s_bucketinfo (which);
        zs_proto_add_bucket (msg, &bucket);
        assert_null (bucket);
    }
    zs_proto_set_attr (msg, "user", "%s", "alice");
    zs_proto_set_attr (msg, "name", "%s/%d", "été", 7);
    zs_proto_set_attr (msg, "empty", "%s", "");
    byte content[V_DATA_SIZE];
    s_pattern (content, sizeof (content), 3);
    zframe_t *data = zframe_new (content, sizeof (content));
    zs_proto_set_data (msg, &data);
    assert_null (data);
}

static void
s_check_entry (const zs_fileinfo_t *entry, int which)
{
    zs_fileinfo_t *expected = s_entry (which);
    assert_string_equal (entry->user, expected->user);
    assert_string_equal (entry->name, expected->name);
    assert_int_equal (entry->version, expected->version);
    assert_int_equal (entry->size, expected->size);
    assert_int_equal (entry->stamp, expected->stamp);
    assert_int_equal (entry->desired, expected->desired);
    assert_int_equal (entry->actual, expected->actual);
    assert_int_equal (entry->flags, expected->flags);
    assert_memory_equal (entry->checksum, expected->checksum, ZS_CHECKSUM_SIZE);
    assert_string_equal (entry->buckets, expected->buckets);
    zs_fileinfo_destroy (&expected);
}

static void
s_check_bucketinfo (const zs_bucketinfo_t *bucket, int which)
{
    zs_bucketinfo_t *expected = s_bucketinfo (which);
    assert_string_equal (bucket->id, expected->id);
    assert_string_equal (bucket->zone, expected->zone);
    assert_string_equal (bucket->address, expected->address);
    assert_string_equal (bucket->state, expected->state);
    assert_int_equal (bucket->heartbeat_age, expected->heartbeat_age);
    assert_int_equal (bucket->rtt, expected->rtt);
    assert_int_equal (bucket->files, expected->files);
    assert_int_equal (bucket->used, expected->used);
    assert_int_equal (bucket->free, expected->free);
    assert_int_equal (bucket->capacity, expected->capacity);
    zs_bucketinfo_destroy (&expected);
}

//  The message holds exactly the fields its spec names, with the filled
//  values, and the defaults everywhere else
static void
s_check (zs_proto_t *msg, const spec_t *spec)
{
    uint64_t f = spec->fields;
    assert_int_equal (zs_proto_id (msg), spec->id);
    assert_string_equal (zs_proto_command (msg), spec->name);
    assert_int_equal (zs_proto_request (msg), (f & M_REQUEST) ? V_REQUEST : 0);
    assert_int_equal (zs_proto_transfer (msg), (f & M_TRANSFER) ? V_TRANSFER : 0);
    assert_string_equal (zs_proto_user (msg), (f & M_USER) ? V_USER : "");
    assert_string_equal (zs_proto_name (msg), (f & M_NAME) ? V_NAME : "");
    assert_int_equal (zs_proto_version (msg), (f & M_VERSION) ? V_VERSION : 0);
    assert_int_equal (zs_proto_size (msg), (f & M_SIZE) ? V_SIZE : 0);
    assert_int_equal (zs_proto_replicas (msg), (f & M_REPLICAS) ? V_REPLICAS : 0);
    assert_int_equal (zs_proto_copies (msg), (f & M_COPIES) ? V_COPIES : 0);
    assert_int_equal (zs_proto_stamp (msg), (f & M_STAMP) ? V_STAMP : 0);
    assert_int_equal (zs_proto_seq (msg), (f & M_SEQ) ? V_SEQ : 0);
    assert_int_equal (zs_proto_limit (msg), (f & M_LIMIT) ? V_LIMIT : 0);
    assert_int_equal (zs_proto_crc (msg), (f & M_CRC) ? V_CRC : 0);
    byte expected[ZS_CHECKSUM_SIZE];
    memset (expected, 0, sizeof (expected));
    if (f & M_CHECKSUM)
        s_pattern (expected, ZS_CHECKSUM_SIZE, 1);
    assert_memory_equal (zs_proto_checksum (msg), expected, ZS_CHECKSUM_SIZE);
    assert_int_equal (zs_proto_status (msg), (f & M_STATUS) ? V_STATUS : 0);
    assert_string_equal (zs_proto_reason (msg), (f & M_REASON) ? V_REASON : "");
    assert_string_equal (zs_proto_bucket (msg), (f & M_BUCKET) ? V_BUCKET : "");
    assert_string_equal (zs_proto_zone (msg), (f & M_ZONE) ? V_ZONE : "");
    memset (expected, 0, sizeof (expected));
    if (f & M_INSTANCE)
        s_pattern (expected, ZS_INSTANCE_SIZE, 2);
    assert_memory_equal (zs_proto_instance (msg), expected, ZS_INSTANCE_SIZE);
    assert_int_equal (zs_proto_capacity (msg), (f & M_CAPACITY) ? V_CAPACITY : 0);
    assert_int_equal (zs_proto_used (msg), (f & M_USED) ? V_USED : 0);
    assert_int_equal (zs_proto_free (msg), (f & M_FREE) ? V_FREE : 0);
    assert_int_equal (zs_proto_files (msg), (f & M_FILES) ? V_FILES : 0);
    assert_int_equal (zs_proto_heartbeat (msg), (f & M_HEARTBEAT) ? V_HEARTBEAT : 0);
    assert_int_equal (zs_proto_liveness (msg), (f & M_LIVENESS) ? V_LIVENESS : 0);
    assert_int_equal (zs_proto_clock (msg), (f & M_CLOCK) ? V_CLOCK : 0);
    assert_int_equal (zs_proto_more (msg), (f & M_MORE) ? V_MORE : 0);
    assert_string_equal (zs_proto_pending (msg), (f & M_PENDING) ? V_PENDING : "");
    assert_int_equal (zs_proto_under_replicated (msg),
                      (f & M_UNDER_REPLICATED) ? V_UNDER_REPLICATED : 0);
    assert_int_equal (zs_proto_recovering (msg), (f & M_RECOVERING) ? V_RECOVERING : 0);
    assert_int_equal (zs_proto_uptime (msg), (f & M_UPTIME) ? V_UPTIME : 0);
    assert_int_equal (zs_proto_sequence (msg), (f & M_SEQUENCE) ? V_SEQUENCE : 0);
    assert_int_equal (zs_proto_repairs (msg), (f & M_REPAIRS) ? V_REPAIRS : 0);
    assert_int_equal (zs_proto_repairing (msg), (f & M_REPAIRING) ? V_REPAIRING : 0);
    assert_int_equal (zs_proto_repair_bytes (msg), (f & M_REPAIR_BYTES) ? V_REPAIR_BYTES : 0);
    assert_int_equal (zs_proto_repair_rate (msg), (f & M_REPAIR_RATE) ? V_REPAIR_RATE : 0);
    assert_string_equal (zs_proto_kind (msg), (f & M_KIND) ? V_KIND : "");

    if (f & M_ENTRIES) {
        assert_int_equal (zs_proto_entries_size (msg), 2);
        zlistx_t *entries = zs_proto_entries (msg);
        assert_int_equal (zlistx_size (entries), 2);
        s_check_entry ((zs_fileinfo_t *) zlistx_first (entries), 0);
        s_check_entry ((zs_fileinfo_t *) zlistx_next (entries), 1);
    }
    else
        assert_int_equal (zs_proto_entries_size (msg), 0);

    zlistx_t *buckets = zs_proto_buckets (msg);
    if (f & M_BUCKETS) {
        assert_int_equal (zlistx_size (buckets), 2);
        s_check_bucketinfo ((zs_bucketinfo_t *) zlistx_first (buckets), 0);
        s_check_bucketinfo ((zs_bucketinfo_t *) zlistx_next (buckets), 1);
    }
    else
        assert_int_equal (zlistx_size (buckets), 0);

    zhashx_t *attrs = zs_proto_attrs (msg);
    if (f & M_ATTRS) {
        assert_int_equal (zhashx_size (attrs), 3);
        assert_string_equal (zs_proto_attr (msg, "user"), "alice");
        assert_string_equal (zs_proto_attr (msg, "name"), "été/7");
        assert_string_equal (zs_proto_attr (msg, "empty"), "");
    }
    else
        assert_int_equal (zhashx_size (attrs), 0);
    assert_null (zs_proto_attr (msg, "nothing"));

    zframe_t *data = zs_proto_data (msg);
    if (spec->has_data) {
        byte content[V_DATA_SIZE];
        s_pattern (content, sizeof (content), 3);
        assert_non_null (data);
        assert_int_equal (zframe_size (data), V_DATA_SIZE);
        assert_memory_equal (zframe_data (data), content, V_DATA_SIZE);
    }
    else
        assert_null (data);
}

//  Body size from the documented wire layout of the filled values
static size_t
s_body_size (const spec_t *spec)
{
    uint64_t f = spec->fields;
    size_t size = 4;
    size += (f & M_REQUEST) ? 8 : 0;
    size += (f & M_TRANSFER) ? 8 : 0;
    size += (f & M_USER) ? 2 + strlen (V_USER) : 0;
    size += (f & M_NAME) ? 2 + strlen (V_NAME) : 0;
    size += (f & M_VERSION) ? 8 : 0;
    size += (f & M_SIZE) ? 8 : 0;
    size += (f & M_REPLICAS) ? 1 : 0;
    size += (f & M_COPIES) ? 1 : 0;
    size += (f & M_STAMP) ? 8 : 0;
    size += (f & M_SEQ) ? 4 : 0;
    size += (f & M_LIMIT) ? 4 : 0;
    size += (f & M_CRC) ? 4 : 0;
    size += (f & M_CHECKSUM) ? ZS_CHECKSUM_SIZE : 0;
    size += (f & M_STATUS) ? 2 : 0;
    size += (f & M_REASON) ? 2 + strlen (V_REASON) : 0;
    size += (f & M_BUCKET) ? 2 + strlen (V_BUCKET) : 0;
    size += (f & M_ZONE) ? 2 + strlen (V_ZONE) : 0;
    size += (f & M_INSTANCE) ? ZS_INSTANCE_SIZE : 0;
    size += (f & M_CAPACITY) ? 8 : 0;
    size += (f & M_USED) ? 8 : 0;
    size += (f & M_FREE) ? 8 : 0;
    size += (f & M_FILES) ? 8 : 0;
    size += (f & M_HEARTBEAT) ? 4 : 0;
    size += (f & M_LIVENESS) ? 4 : 0;
    size += (f & M_CLOCK) ? 8 : 0;
    size += (f & M_MORE) ? 1 : 0;
    size += (f & M_PENDING) ? 2 + strlen (V_PENDING) : 0;
    size += (f & M_UNDER_REPLICATED) ? 8 : 0;
    size += (f & M_RECOVERING) ? 1 : 0;
    size += (f & M_UPTIME) ? 8 : 0;
    size += (f & M_SEQUENCE) ? 8 : 0;
    size += (f & M_REPAIRS) ? 8 : 0;
    size += (f & M_REPAIRING) ? 4 : 0;
    size += (f & M_REPAIR_BYTES) ? 8 : 0;
    size += (f & M_REPAIR_RATE) ? 8 : 0;
    size += (f & M_KIND) ? 2 + strlen (V_KIND) : 0;
    if (f & M_ENTRIES) {
        size += 4;
        for (int which = 0; which < 2; which++) {
            zs_fileinfo_t *entry = s_entry (which);
            size += 2 + strlen (entry->user) + 2 + strlen (entry->name) + 8 + 8 + 8 + 1 + 1 + 1
                    + ZS_CHECKSUM_SIZE + 2 + strlen (entry->buckets);
            zs_fileinfo_destroy (&entry);
        }
    }
    if (f & M_BUCKETS) {
        size += 4;
        for (int which = 0; which < 2; which++) {
            zs_bucketinfo_t *bucket = s_bucketinfo (which);
            size += 2 + strlen (bucket->id) + 2 + strlen (bucket->zone) + 2
                    + strlen (bucket->address) + 2 + strlen (bucket->state) + 8 + 4 + 8 + 8 + 8 + 8;
            zs_bucketinfo_destroy (&bucket);
        }
    }
    if (f & M_ATTRS)
        size += 4 + (4 + strlen ("user") + strlen ("alice"))
                + (4 + strlen ("name") + strlen ("été/7")) + (4 + strlen ("empty"));
    return size;
}

//  The encoded frames of a filled message; the caller destroys them
static zmsg_t *
s_encoded (const spec_t *spec)
{
    zs_proto_t *msg = zs_proto_new ();
    assert_non_null (msg);
    s_fill (msg, spec->id);
    zmsg_t *frames = zs_proto_encode (msg);
    assert_non_null (frames);
    zs_proto_destroy (&msg);
    return frames;
}

//  Frames made of a body and optional data; the caller destroys them
static zmsg_t *
s_frames (const byte *body, size_t size, const byte *data, size_t data_size, bool with_data)
{
    zmsg_t *frames = zmsg_new ();
    assert_non_null (frames);
    assert_int_equal (zmsg_addmem (frames, body, size), 0);
    if (with_data)
        assert_int_equal (zmsg_addmem (frames, data, data_size), 0);
    return frames;
}

//  Decoding must fail and explain why
static void
s_refused (zs_proto_t *msg, zmsg_t **frames_p)
{
    assert_int_equal (zs_proto_decode (msg, frames_p), -1);
    assert_null (*frames_p);
    assert_non_null (zs_proto_error (msg));
    assert_true (strlen (zs_proto_error (msg)) > 0);
}

//  --------------------------------------------------------------------------
//  A body builder for hand-made (and broken) messages

typedef struct {
    byte data[16384];
    size_t size;
} body_t;

static void
s_b_bytes (body_t *b, const void *bytes, size_t size)
{
    assert_true (b->size + size <= sizeof (b->data));
    memcpy (b->data + b->size, bytes, size);
    b->size += size;
}

static void
s_b_number (body_t *b, uint64_t value, size_t width)
{
    for (size_t index = 0; index < width; index++) {
        byte octet = (byte) (value >> (8 * (width - 1 - index)));
        s_b_bytes (b, &octet, 1);
    }
}

//  A string of explicit length, which may hold any byte
static void
s_b_string (body_t *b, const char *text, size_t length)
{
    s_b_number (b, length, 2);
    s_b_bytes (b, text, length);
}

//  A string of length bytes, all 'a'
static void
s_b_filler (body_t *b, size_t length)
{
    s_b_number (b, length, 2);
    assert_true (b->size + length <= sizeof (b->data));
    memset (b->data + b->size, 'a', length);
    b->size += length;
}

static void
s_b_header (body_t *b, int id)
{
    b->size = 0;
    s_b_bytes (b, "ZS", 2);
    s_b_number (b, ZS_PROTO_VERSION, 1);
    s_b_number (b, (uint64_t) id, 1);
}

static zmsg_t *
s_b_frames (body_t *b)
{
    return s_frames (b->data, b->size, NULL, 0, false);
}

//  --------------------------------------------------------------------------
//  Round trips

static void
test_roundtrip (void **state)
{
    const spec_t *spec = (const spec_t *) *state;
    zs_proto_t *msg = zs_proto_new ();
    assert_non_null (msg);
    s_fill (msg, spec->id);
    assert_int_equal (zs_proto_id (msg), spec->id);

    zmsg_t *frames = zs_proto_encode (msg);
    assert_non_null (frames);
    assert_int_equal (zmsg_size (frames), spec->has_data ? 2 : 1);
    zframe_t *body = zmsg_first (frames);
    assert_int_equal (zframe_size (body), s_body_size (spec));
    const byte *bytes = zframe_data (body);
    assert_int_equal (bytes[0], 'Z');
    assert_int_equal (bytes[1], 'S');
    assert_int_equal (bytes[2], ZS_PROTO_VERSION);
    assert_int_equal (bytes[3], spec->id);
    //  Encoding leaves the message as it was: it can be encoded again
    zmsg_t *again = zs_proto_encode (msg);
    assert_non_null (again);
    assert_true (zframe_eq (zmsg_first (again), body));
    zmsg_destroy (&again);
    assert_non_null (zs_proto_data (msg));
    zs_proto_destroy (&msg);

    zs_proto_t *copy = zs_proto_new ();
    assert_non_null (copy);
    assert_int_equal (zs_proto_decode (copy, &frames), 0);
    assert_null (frames);
    assert_string_equal (zs_proto_error (copy), "");
    assert_null (zs_proto_routing_id (copy));
    s_check (copy, spec);

    //  The decoded message encodes to the same body
    zmsg_t *reencoded = zs_proto_encode (copy);
    assert_non_null (reencoded);
    assert_int_equal (zframe_size (zmsg_first (reencoded)), s_body_size (spec));
    zs_proto_destroy (&copy);

    //  Decoding into a used message replaces everything it held
    zs_proto_t *used = zs_proto_new ();
    s_fill (used, spec->id == ZS_PROTO_EVENT ? ZS_PROTO_STATUS_OK : ZS_PROTO_EVENT);
    assert_int_equal (zs_proto_decode (used, &reencoded), 0);
    s_check (used, spec);
    zs_proto_destroy (&used);
}

//  Messages as they leave a fresh zs_proto_t: all fields empty
static void
test_roundtrip_defaults (void **state)
{
    (void) state;
    for (size_t index = 0; index < SPEC_COUNT; index++) {
        const spec_t *spec = &s_specs[index];
        zs_proto_t *msg = zs_proto_new ();
        zs_proto_set_id (msg, spec->id);
        zmsg_t *frames = zs_proto_encode (msg);
        assert_non_null (frames);
        assert_int_equal (zmsg_size (frames), spec->has_data ? 2 : 1);
        if (spec->has_data)
            assert_int_equal (zframe_size (zmsg_last (frames)), 0);
        assert_int_equal (zs_proto_decode (msg, &frames), 0);
        assert_int_equal (zs_proto_id (msg), spec->id);
        assert_int_equal (zs_proto_request (msg), 0);
        assert_string_equal (zs_proto_user (msg), "");
        assert_string_equal (zs_proto_name (msg), "");
        assert_string_equal (zs_proto_reason (msg), "");
        assert_int_equal (zs_proto_entries_size (msg), 0);
        if (spec->has_data) {
            assert_non_null (zs_proto_data (msg));
            assert_int_equal (zframe_size (zs_proto_data (msg)), 0);
        }
        else
            assert_null (zs_proto_data (msg));
        zs_proto_destroy (&msg);
    }
}

//  The codec knows exactly the documented message ids
static void
test_command_names (void **state)
{
    (void) state;
    for (size_t index = 0; index < SPEC_COUNT; index++)
        assert_string_equal (zs_proto_command_name (s_specs[index].id), s_specs[index].name);
    for (int id = -1; id < 300; id++)
        if (!s_header_id (id))
            assert_string_equal (zs_proto_command_name (id), "?");
    zs_proto_t *msg = zs_proto_new ();
    assert_int_equal (zs_proto_id (msg), 0);
    assert_string_equal (zs_proto_command (msg), "?");
    zs_proto_set_id (msg, ZS_PROTO_FETCH);
    assert_string_equal (zs_proto_command (msg), "FETCH");
    zs_proto_destroy (&msg);
}

//  The exact bytes of a few messages: big-endian numbers, length-prefixed strings
static void
test_wire_bytes (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    zs_proto_set_id (msg, ZS_PROTO_PUT_CREDIT);
    zs_proto_set_request (msg, 0x0102030405060708ull);
    zs_proto_set_limit (msg, 0x0A0B0C0D);
    zmsg_t *frames = zs_proto_encode (msg);
    const byte credit[] = { 'Z', 'S', 2, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C, 0x0D };
    assert_int_equal (zframe_size (zmsg_first (frames)), sizeof (credit));
    assert_memory_equal (zframe_data (zmsg_first (frames)), credit, sizeof (credit));
    zmsg_destroy (&frames);

    zs_proto_reset (msg);
    zs_proto_set_id (msg, ZS_PROTO_FAILED);
    zs_proto_set_request (msg, 9);
    zs_proto_set_status (msg, ZS_STATUS_UNAVAILABLE);
    zs_proto_set_reason (msg, "no %s", "way");
    frames = zs_proto_encode (msg);
    const byte failed[] = { 'Z', 'S',  2,    21, 0, 0,   0,   0,   0,   0,   0,
                            9,   0x01, 0xF7, 0,  6, 'n', 'o', ' ', 'w', 'a', 'y' };
    assert_int_equal (zframe_size (zmsg_first (frames)), sizeof (failed));
    assert_memory_equal (zframe_data (zmsg_first (frames)), failed, sizeof (failed));
    zmsg_destroy (&frames);

    zs_proto_reset (msg);
    zs_proto_set_id (msg, ZS_PROTO_EVENT);
    zs_proto_set_sequence (msg, 1);
    zs_proto_set_clock (msg, 2);
    zs_proto_set_kind (msg, "k");
    zs_proto_set_attr (msg, "a", "%s", "bc");
    frames = zs_proto_encode (msg);
    const byte event[] = { 'Z', 'S', 2, 80, 0, 0,   0, 0, 0, 0, 0, 1, 0,   0, 0, 0,   0,
                           0,   0,   2, 0,  1, 'k', 0, 0, 0, 1, 0, 1, 'a', 0, 2, 'b', 'c' };
    assert_int_equal (zframe_size (zmsg_first (frames)), sizeof (event));
    assert_memory_equal (zframe_data (zmsg_first (frames)), event, sizeof (event));
    zmsg_destroy (&frames);

    //  Hand-made bytes decode to the same fields
    zmsg_t *input = s_frames (failed, sizeof (failed), NULL, 0, false);
    assert_int_equal (zs_proto_decode (msg, &input), 0);
    assert_int_equal (zs_proto_id (msg), ZS_PROTO_FAILED);
    assert_int_equal (zs_proto_request (msg), 9);
    assert_int_equal (zs_proto_status (msg), 503);
    assert_string_equal (zs_proto_reason (msg), "no way");
    zs_proto_destroy (&msg);
}

//  The layout of file and bucket records inside a body
static void
test_wire_records (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    zs_proto_set_id (msg, ZS_PROTO_INVENTORY);
    zs_fileinfo_t *entry = s_entry (0);
    zs_proto_add_entry (msg, entry);
    zs_proto_set_more (msg, 1);
    body_t b;
    s_b_header (&b, ZS_PROTO_INVENTORY);
    s_b_number (&b, 1, 4);
    s_b_string (&b, entry->user, strlen (entry->user));
    s_b_string (&b, entry->name, strlen (entry->name));
    s_b_number (&b, entry->version, 8);
    s_b_number (&b, entry->size, 8);
    s_b_number (&b, entry->stamp, 8);
    s_b_number (&b, entry->desired, 1);
    s_b_number (&b, entry->actual, 1);
    s_b_number (&b, entry->flags, 1);
    s_b_bytes (&b, entry->checksum, ZS_CHECKSUM_SIZE);
    s_b_string (&b, entry->buckets, strlen (entry->buckets));
    s_b_number (&b, 1, 1);
    zs_fileinfo_destroy (&entry);
    zmsg_t *frames = zs_proto_encode (msg);
    assert_int_equal (zframe_size (zmsg_first (frames)), b.size);
    assert_memory_equal (zframe_data (zmsg_first (frames)), b.data, b.size);
    zmsg_destroy (&frames);

    zs_proto_reset (msg);
    zs_proto_set_id (msg, ZS_PROTO_STATUS_OK);
    zs_proto_set_request (msg, 3);
    zs_proto_set_files (msg, 4);
    zs_proto_set_used (msg, 5);
    zs_proto_set_under_replicated (msg, 6);
    zs_proto_set_recovering (msg, 1);
    zs_proto_set_uptime (msg, 7);
    zs_proto_set_sequence (msg, 8);
    zs_bucketinfo_t *bucket = s_bucketinfo (0);
    s_b_header (&b, ZS_PROTO_STATUS_OK);
    s_b_number (&b, 3, 8);
    s_b_number (&b, 1, 4);
    s_b_string (&b, bucket->id, strlen (bucket->id));
    s_b_string (&b, bucket->zone, strlen (bucket->zone));
    s_b_string (&b, bucket->address, strlen (bucket->address));
    s_b_string (&b, bucket->state, strlen (bucket->state));
    s_b_number (&b, bucket->heartbeat_age, 8);
    s_b_number (&b, bucket->rtt, 4);
    s_b_number (&b, bucket->files, 8);
    s_b_number (&b, bucket->used, 8);
    s_b_number (&b, bucket->free, 8);
    s_b_number (&b, bucket->capacity, 8);
    s_b_number (&b, 4, 8);
    s_b_number (&b, 5, 8);
    s_b_number (&b, 6, 8);
    s_b_number (&b, 1, 1);
    s_b_number (&b, 7, 8);
    s_b_number (&b, 8, 8);
    s_b_number (&b, 0, 4);
    s_b_number (&b, 0, 4);
    s_b_number (&b, 0, 8);
    s_b_number (&b, 0, 4);
    s_b_number (&b, 0, 8);
    s_b_number (&b, 0, 8);
    zs_proto_add_bucket (msg, &bucket);
    frames = zs_proto_encode (msg);
    assert_int_equal (zframe_size (zmsg_first (frames)), b.size);
    assert_memory_equal (zframe_data (zmsg_first (frames)), b.data, b.size);
    zmsg_destroy (&frames);
    zs_proto_destroy (&msg);
}

static void
test_records (void **state)
{
    (void) state;
    //  New records are empty, never NULL
    zs_fileinfo_t *entry = zs_fileinfo_new ();
    assert_string_equal (entry->user, "");
    assert_string_equal (entry->name, "");
    assert_string_equal (entry->buckets, "");
    assert_int_equal (entry->version, 0);
    zs_fileinfo_destroy (&entry);
    assert_null (entry);
    zs_fileinfo_destroy (&entry);
    zs_bucketinfo_t *bucket = zs_bucketinfo_new ();
    assert_string_equal (bucket->id, "");
    assert_string_equal (bucket->zone, "");
    assert_string_equal (bucket->address, "");
    assert_string_equal (bucket->state, "");
    zs_bucketinfo_destroy (&bucket);
    assert_null (bucket);

    //  A duplicate owns its own strings
    entry = s_entry (0);
    zs_fileinfo_t *copy = zs_fileinfo_dup (entry);
    assert_ptr_not_equal (copy->user, entry->user);
    assert_ptr_not_equal (copy->name, entry->name);
    assert_ptr_not_equal (copy->buckets, entry->buckets);
    zs_fileinfo_destroy (&entry);
    s_check_entry (copy, 0);

    //  Adding an entry copies it; adding a bucket takes it
    zs_proto_t *msg = zs_proto_new ();
    zs_proto_add_entry (msg, copy);
    copy->name[0] = 'X';
    assert_int_equal (zs_proto_entries_size (msg), 1);
    s_check_entry ((zs_fileinfo_t *) zlistx_first (zs_proto_entries (msg)), 0);
    zs_fileinfo_destroy (&copy);
    bucket = s_bucketinfo (1);
    zs_proto_add_bucket (msg, &bucket);
    assert_null (bucket);
    assert_int_equal (zlistx_size (zs_proto_buckets (msg)), 1);

    //  A later attribute replaces one of the same name
    zs_proto_set_attr (msg, "k", "%d", 1);
    zs_proto_set_attr (msg, "k", "%d", 2);
    assert_string_equal (zs_proto_attr (msg, "k"), "2");
    assert_int_equal (zhashx_size (zs_proto_attrs (msg)), 1);

    //  Reset clears everything but the id
    zs_proto_set_id (msg, ZS_PROTO_LIST_OK);
    zs_proto_set_request (msg, 5);
    zs_proto_set_name (msg, "n");
    zframe_t *data = zframe_new ("x", 1);
    zs_proto_set_data (msg, &data);
    zs_proto_reset (msg);
    assert_int_equal (zs_proto_id (msg), ZS_PROTO_LIST_OK);
    assert_int_equal (zs_proto_request (msg), 0);
    assert_string_equal (zs_proto_name (msg), "");
    assert_int_equal (zs_proto_entries_size (msg), 0);
    assert_int_equal (zlistx_size (zs_proto_buckets (msg)), 0);
    assert_null (zs_proto_attr (msg, "k"));
    assert_null (zs_proto_data (msg));

    //  Setting a string to NULL reads back as empty
    zs_proto_set_user (msg, "u");
    zs_proto_set_user (msg, NULL);
    assert_string_equal (zs_proto_user (msg), "");
    zs_proto_destroy (&msg);
    assert_null (msg);
    zs_proto_destroy (&msg);
}

//  Lists of many records, and records with empty strings
static void
test_roundtrip_lists (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    zs_proto_set_id (msg, ZS_PROTO_LIST_OK);
    for (int index = 0; index < 500; index++) {
        zs_fileinfo_t *entry = zs_fileinfo_new ();
        free (entry->name);
        entry->name = zsys_sprintf ("file-%d", index);
        entry->version = (uint64_t) index;
        zs_proto_add_entry (msg, entry);
        zs_fileinfo_destroy (&entry);
    }
    zmsg_t *frames = zs_proto_encode (msg);
    zs_proto_destroy (&msg);
    msg = zs_proto_new ();
    assert_int_equal (zs_proto_decode (msg, &frames), 0);
    assert_int_equal (zs_proto_entries_size (msg), 500);
    int index = 0;
    zlistx_t *entries = zs_proto_entries (msg);
    for (zs_fileinfo_t *entry = (zs_fileinfo_t *) zlistx_first (entries); entry;
         entry = (zs_fileinfo_t *) zlistx_next (entries), index++) {
        char name[32];
        snprintf (name, sizeof (name), "file-%d", index);
        assert_string_equal (entry->name, name);
        assert_string_equal (entry->user, "");
        assert_string_equal (entry->buckets, "");
        assert_int_equal (entry->version, index);
    }
    assert_int_equal (index, 500);

    zs_proto_reset (msg);
    zs_proto_set_id (msg, ZS_PROTO_EVENT);
    for (int attr = 0; attr < 100; attr++) {
        char key[16];
        snprintf (key, sizeof (key), "key%d", attr);
        zs_proto_set_attr (msg, key, "value %d", attr * 3);
    }
    frames = zs_proto_encode (msg);
    zs_proto_destroy (&msg);
    msg = zs_proto_new ();
    assert_int_equal (zs_proto_decode (msg, &frames), 0);
    assert_int_equal (zhashx_size (zs_proto_attrs (msg)), 100);
    for (int attr = 0; attr < 100; attr++) {
        char key[16], value[32];
        snprintf (key, sizeof (key), "key%d", attr);
        snprintf (value, sizeof (value), "value %d", attr * 3);
        assert_string_equal (zs_proto_attr (msg, key), value);
    }
    zs_proto_destroy (&msg);
}

//  Strings exactly at their limits travel; the data frame may be a full chunk
static void
test_roundtrip_limits (void **state)
{
    (void) state;
    char *user = (char *) malloc (ZS_USER_MAX + 1);
    char *name = (char *) malloc (ZS_NAME_MAX + 1);
    char *pending = (char *) malloc (ZS_TEXT_MAX + 1);
    memset (user, 'u', ZS_USER_MAX);
    user[ZS_USER_MAX] = 0;
    memset (name, 'n', ZS_NAME_MAX);
    name[ZS_NAME_MAX] = 0;
    memset (pending, 'p', ZS_TEXT_MAX);
    pending[ZS_TEXT_MAX] = 0;

    zs_proto_t *msg = zs_proto_new ();
    zs_proto_set_id (msg, ZS_PROTO_DELETE);
    zs_proto_set_user (msg, user);
    zs_proto_set_name (msg, name);
    zs_proto_set_pending (msg, pending);
    zmsg_t *frames = zs_proto_encode (msg);
    assert_non_null (frames);
    assert_int_equal (zs_proto_decode (msg, &frames), 0);
    assert_string_equal (zs_proto_user (msg), user);
    assert_string_equal (zs_proto_name (msg), name);
    assert_string_equal (zs_proto_pending (msg), pending);

    zs_proto_reset (msg);
    zs_proto_set_id (msg, ZS_PROTO_STORE_CHUNK);
    zframe_t *data = zframe_new (NULL, ZS_CHUNK_SIZE);
    s_pattern (zframe_data (data), ZS_CHUNK_SIZE, 4);
    zs_proto_set_data (msg, &data);
    frames = zs_proto_encode (msg);
    assert_non_null (frames);
    zs_proto_t *copy = zs_proto_new ();
    assert_int_equal (zs_proto_decode (copy, &frames), 0);
    assert_int_equal (zframe_size (zs_proto_data (copy)), ZS_CHUNK_SIZE);
    assert_true (zframe_eq (zs_proto_data (copy), zs_proto_data (msg)));
    zs_proto_destroy (&copy);
    zs_proto_destroy (&msg);
    free (user);
    free (name);
    free (pending);
}

//  --------------------------------------------------------------------------
//  Encode refuses what decode would refuse

static char *
s_text (size_t size)
{
    char *text = (char *) malloc (size + 1);
    assert_non_null (text);
    memset (text, 'x', size);
    text[size] = 0;
    return text;
}

//  Encoding and sending fail; zs_proto_send says EMSGSIZE
static void
s_unencodable (zs_proto_t *msg)
{
    assert_null (zs_proto_encode (msg));
    //  A fresh endpoint each time: closing a socket frees its name later
    static int instance = 0;
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "@inproc://test-proto-unencodable-%d", instance++);
    zsock_t *sink = zsock_new_pair (endpoint);
    assert_non_null (sink);
    errno = 0;
    assert_int_equal (zs_proto_send (msg, sink), -1);
    assert_int_equal (errno, EMSGSIZE);
    zsock_destroy (&sink);
}

static void
test_encode_refuses_overlong (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    char *text = s_text (ZS_USER_MAX + 1);
    zs_proto_set_id (msg, ZS_PROTO_PUT_BEGIN);
    zs_proto_set_user (msg, text);
    s_unencodable (msg);
    free (text);

    zs_proto_reset (msg);
    text = s_text (ZS_NAME_MAX + 1);
    zs_proto_set_name (msg, text);
    s_unencodable (msg);
    //  A field the message does not carry is not checked
    zs_proto_set_id (msg, ZS_PROTO_PUT_CREDIT);
    zmsg_t *frames = zs_proto_encode (msg);
    assert_non_null (frames);
    zmsg_destroy (&frames);
    free (text);

    zs_proto_reset (msg);
    text = s_text (ZS_BUCKET_ID_MAX + 1);
    zs_proto_set_id (msg, ZS_PROTO_REGISTER);
    zs_proto_set_bucket (msg, text);
    s_unencodable (msg);
    zs_proto_set_bucket (msg, "b");
    zs_proto_set_zone (msg, text);
    s_unencodable (msg);
    zs_proto_reset (msg);
    zs_proto_set_id (msg, ZS_PROTO_EVENT);
    zs_proto_set_kind (msg, text);
    s_unencodable (msg);
    free (text);

    zs_proto_reset (msg);
    text = s_text (ZS_TEXT_MAX + 1);
    zs_proto_set_id (msg, ZS_PROTO_DELETE);
    zs_proto_set_pending (msg, text);
    s_unencodable (msg);
    free (text);
    zs_proto_destroy (&msg);
}

//  Records in lists have limits too: a message the peer would refuse is not sent
static void
test_encode_refuses_overlong_records (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    zs_fileinfo_t *entry = s_entry (0);
    free (entry->name);
    entry->name = s_text (ZS_NAME_MAX + 1);
    zs_proto_set_id (msg, ZS_PROTO_LIST_OK);
    zs_proto_add_entry (msg, entry);
    s_unencodable (msg);
    zs_fileinfo_destroy (&entry);

    //  Longer than a 2-byte length can say
    zs_proto_reset (msg);
    entry = s_entry (0);
    free (entry->buckets);
    entry->buckets = s_text (70000);
    zs_proto_set_id (msg, ZS_PROTO_INVENTORY);
    zs_proto_add_entry (msg, entry);
    s_unencodable (msg);
    zs_fileinfo_destroy (&entry);

    zs_proto_reset (msg);
    entry = s_entry (1);
    free (entry->user);
    entry->user = s_text (ZS_USER_MAX + 1);
    zs_proto_set_id (msg, ZS_PROTO_STAT_OK);
    zs_proto_add_entry (msg, entry);
    s_unencodable (msg);
    zs_fileinfo_destroy (&entry);

    zs_proto_reset (msg);
    zs_bucketinfo_t *bucket = s_bucketinfo (0);
    free (bucket->id);
    bucket->id = s_text (ZS_BUCKET_ID_MAX + 1);
    zs_proto_set_id (msg, ZS_PROTO_STATUS_OK);
    zs_proto_add_bucket (msg, &bucket);
    s_unencodable (msg);

    zs_proto_reset (msg);
    char *text = s_text (ZS_TEXT_MAX + 1);
    zs_proto_set_id (msg, ZS_PROTO_EVENT);
    zs_proto_set_attr (msg, "reason", "%s", text);
    s_unencodable (msg);
    free (text);
    zs_proto_reset (msg);
    text = s_text (ZS_BUCKET_ID_MAX + 1);
    zs_proto_set_attr (msg, text, "%s", "v");
    s_unencodable (msg);
    free (text);

    //  At the limits, all is well
    zs_proto_reset (msg);
    entry = s_entry (0);
    free (entry->name);
    entry->name = s_text (ZS_NAME_MAX);
    free (entry->buckets);
    entry->buckets = s_text (ZS_TEXT_MAX);
    zs_proto_set_id (msg, ZS_PROTO_LIST_OK);
    zs_proto_add_entry (msg, entry);
    zs_fileinfo_destroy (&entry);
    zmsg_t *frames = zs_proto_encode (msg);
    assert_non_null (frames);
    assert_int_equal (zs_proto_decode (msg, &frames), 0);
    entry = (zs_fileinfo_t *) zlistx_first (zs_proto_entries (msg));
    assert_int_equal (strlen (entry->name), ZS_NAME_MAX);
    assert_int_equal (strlen (entry->buckets), ZS_TEXT_MAX);
    zs_proto_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Long reasons are cut at a character boundary

static void
test_reason_cut (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    zs_proto_set_reason (msg, "%s: %d%%", "code", 42);
    assert_string_equal (zs_proto_reason (msg), "code: 42%");

    //  Exactly the limit is kept whole
    char *text = s_text (ZS_TEXT_MAX);
    zs_proto_set_reason (msg, "%s", text);
    assert_string_equal (zs_proto_reason (msg), text);
    free (text);

    //  Plain ASCII is cut at the limit
    text = s_text (ZS_TEXT_MAX + 1000);
    zs_proto_set_reason (msg, "%s", text);
    assert_int_equal (strlen (zs_proto_reason (msg)), ZS_TEXT_MAX);
    assert_memory_equal (zs_proto_reason (msg), text, ZS_TEXT_MAX);
    free (text);

    //  Multibyte characters are never split, whatever their length and offset
    const char *units[] = { "é", "日", "\xf0\x9f\x98\x80" };
    for (size_t unit = 0; unit < 3; unit++) {
        size_t unit_size = strlen (units[unit]);
        for (size_t pad = 0; pad < unit_size; pad++) {
            size_t size = ZS_TEXT_MAX + 64;
            char *long_text = (char *) malloc (size + 1);
            memset (long_text, 'a', pad);
            size_t used = pad;
            while (used + unit_size <= size) {
                memcpy (long_text + used, units[unit], unit_size);
                used += unit_size;
            }
            long_text[used] = 0;
            zs_proto_set_reason (msg, "%s", long_text);
            const char *reason = zs_proto_reason (msg);
            size_t length = strlen (reason);
            //  The longest whole-character prefix within the limit
            size_t expected = pad + (ZS_TEXT_MAX - pad) / unit_size * unit_size;
            assert_int_equal (length, expected);
            assert_true (length <= ZS_TEXT_MAX);
            assert_memory_equal (reason, long_text, length);
            free (long_text);

            //  And the cut reason travels
            zs_proto_set_id (msg, ZS_PROTO_FAILED);
            zmsg_t *frames = zs_proto_encode (msg);
            assert_non_null (frames);
            zs_proto_t *copy = zs_proto_new ();
            assert_int_equal (zs_proto_decode (copy, &frames), 0);
            assert_string_equal (zs_proto_reason (copy), reason);
            zs_proto_destroy (&copy);
        }
    }
    zs_proto_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Malformed input

static void
test_malformed_empty (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    zmsg_t *frames = NULL;
    s_refused (msg, &frames);
    frames = zmsg_new ();
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_id (msg), 0);

    //  Bodies of 0 to 3 bytes, even when they start right
    const char *shorts[] = { "", "Z", "ZS", "ZS\x01", "X", "ZX", "ZS\x02" };
    for (size_t index = 0; index < sizeof (shorts) / sizeof (shorts[0]); index++) {
        size_t size = index == 0 ? 0 : strlen (shorts[index]);
        frames = s_frames ((const byte *) shorts[index], size, NULL, 0, false);
        s_refused (msg, &frames);
        assert_int_equal (zs_proto_id (msg), 0);
    }
    zs_proto_destroy (&msg);
}

static void
test_malformed_header (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    zmsg_t *frames = s_encoded (s_spec (ZS_PROTO_STATUS));

    //  Every wrong first or second signature byte
    for (int position = 0; position < 2; position++)
        for (int value = 0; value < 256; value++) {
            if (value == (position == 0 ? 'Z' : 'S'))
                continue;
            zmsg_t *broken = zmsg_dup (frames);
            byte *broken_bytes = zframe_data (zmsg_first (broken));
            broken_bytes[position] = (byte) value;
            s_refused (msg, &broken);
            assert_int_equal (zs_proto_id (msg), 0);
            assert_int_equal (zs_proto_request (msg), 0);
        }

    //  Every other protocol version
    for (int version = 0; version < 256; version++) {
        if (version == ZS_PROTO_VERSION)
            continue;
        zmsg_t *broken = zmsg_dup (frames);
        zframe_data (zmsg_first (broken))[2] = (byte) version;
        s_refused (msg, &broken);
        assert_int_equal (zs_proto_id (msg), 0);
    }

    //  Every unknown message id, with a plausible request after it
    for (int id = 0; id < 256; id++) {
        if (s_header_id (id))
            continue;
        zmsg_t *broken = zmsg_dup (frames);
        zframe_data (zmsg_first (broken))[3] = (byte) id;
        s_refused (msg, &broken);
        assert_int_equal (zs_proto_id (msg), 0);
    }
    zmsg_destroy (&frames);
    zs_proto_destroy (&msg);
}

//  Every prefix of every message's body is refused; the request or
//  transfer survives once its eight bytes were there
static void
test_malformed_truncated (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    byte content[100];
    s_pattern (content, sizeof (content), 5);
    for (size_t index = 0; index < SPEC_COUNT; index++) {
        const spec_t *spec = &s_specs[index];
        zmsg_t *valid = s_encoded (spec);
        zframe_t *body = zmsg_first (valid);
        size_t size = zframe_size (body);
        for (size_t prefix = 0; prefix < size; prefix++) {
            //  Start from a message full of other values, as a server does
            s_fill (msg, ZS_PROTO_PUT_BEGIN);
            zs_proto_set_request (msg, 77);
            zs_proto_set_transfer (msg, 88);
            zmsg_t *frames =
                s_frames (zframe_data (body), prefix, content, sizeof (content), spec->has_data);
            s_refused (msg, &frames);
            bool readable = prefix >= 12;
            assert_int_equal (zs_proto_request (msg),
                              readable && (spec->fields & M_REQUEST) ? V_REQUEST : 0);
            assert_int_equal (zs_proto_transfer (msg),
                              readable && (spec->fields & M_TRANSFER) ? V_TRANSFER : 0);
            //  Nothing else of a half-read message is left
            assert_string_equal (zs_proto_user (msg), "");
            assert_string_equal (zs_proto_name (msg), "");
            assert_int_equal (zs_proto_entries_size (msg), 0);
            assert_null (zs_proto_data (msg));
        }
        zmsg_destroy (&valid);
    }
    zs_proto_destroy (&msg);
}

static void
test_malformed_trailing (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    byte content[10] = { 0 };
    for (size_t index = 0; index < SPEC_COUNT; index++) {
        const spec_t *spec = &s_specs[index];
        zmsg_t *valid = s_encoded (spec);
        zframe_t *body = zmsg_first (valid);
        size_t size = zframe_size (body);
        for (size_t extra = 1; extra <= 9; extra += 4) {
            byte *longer = (byte *) zmalloc (size + extra);
            memcpy (longer, zframe_data (body), size);
            zmsg_t *frames =
                s_frames (longer, size + extra, content, sizeof (content), spec->has_data);
            s_refused (msg, &frames);
            assert_int_equal (zs_proto_request (msg), (spec->fields & M_REQUEST) ? V_REQUEST : 0);
            assert_int_equal (zs_proto_transfer (msg),
                              (spec->fields & M_TRANSFER) ? V_TRANSFER : 0);
            free (longer);
        }
        zmsg_destroy (&valid);
    }
    zs_proto_destroy (&msg);
}

static void
s_put_begin (body_t *b, size_t user_size, size_t name_size)
{
    s_b_header (b, ZS_PROTO_PUT_BEGIN);
    s_b_number (b, 42, 8);
    s_b_filler (b, user_size);
    s_b_filler (b, name_size);
    s_b_number (b, 100, 8);
    s_b_number (b, 3, 1);
}

static void
test_malformed_overlong_strings (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    body_t b;
    zmsg_t *frames;

    //  At the limits, accepted
    s_put_begin (&b, ZS_USER_MAX, ZS_NAME_MAX);
    frames = s_b_frames (&b);
    assert_int_equal (zs_proto_decode (msg, &frames), 0);
    assert_int_equal (strlen (zs_proto_user (msg)), ZS_USER_MAX);
    assert_int_equal (strlen (zs_proto_name (msg)), ZS_NAME_MAX);

    //  One byte over, refused, the request kept
    s_put_begin (&b, ZS_USER_MAX + 1, 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_request (msg), 42);
    s_put_begin (&b, 1, ZS_NAME_MAX + 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_request (msg), 42);
    assert_string_equal (zs_proto_user (msg), "");

    //  A length larger than any limit, and larger than the body
    s_b_header (&b, ZS_PROTO_GET);
    s_b_number (&b, 42, 8);
    s_b_number (&b, 0xFFFF, 2);
    s_b_bytes (&b, "abc", 3);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_request (msg), 42);

    //  A reason over ZS_TEXT_MAX
    s_b_header (&b, ZS_PROTO_FAILED);
    s_b_number (&b, 43, 8);
    s_b_number (&b, 500, 2);
    s_b_filler (&b, ZS_TEXT_MAX + 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_request (msg), 43);
    b.size = 0;
    s_b_header (&b, ZS_PROTO_FAILED);
    s_b_number (&b, 43, 8);
    s_b_number (&b, 500, 2);
    s_b_filler (&b, ZS_TEXT_MAX);
    frames = s_b_frames (&b);
    assert_int_equal (zs_proto_decode (msg, &frames), 0);

    //  A bucket id, a zone, a kind over ZS_BUCKET_ID_MAX
    for (int which = 0; which < 2; which++) {
        s_b_header (&b, ZS_PROTO_REGISTER);
        s_b_filler (&b, which == 0 ? ZS_BUCKET_ID_MAX + 1 : 2);
        s_b_filler (&b, which == 1 ? ZS_BUCKET_ID_MAX + 1 : 2);
        s_b_bytes (&b, "0123456789abcdef", ZS_INSTANCE_SIZE);
        for (int number = 0; number < 4; number++)
            s_b_number (&b, 1, 8);
        frames = s_b_frames (&b);
        s_refused (msg, &frames);
    }
    s_b_header (&b, ZS_PROTO_EVENT);
    s_b_number (&b, 1, 8);
    s_b_number (&b, 2, 8);
    s_b_filler (&b, ZS_BUCKET_ID_MAX + 1);
    s_b_number (&b, 0, 4);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);

    //  A pending list over ZS_TEXT_MAX, with the transfer kept
    s_b_header (&b, ZS_PROTO_DELETE);
    s_b_number (&b, 44, 8);
    s_b_filler (&b, 1);
    s_b_filler (&b, 1);
    s_b_number (&b, 1, 8);
    s_b_filler (&b, ZS_TEXT_MAX + 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_transfer (msg), 44);
    assert_int_equal (zs_proto_request (msg), 0);

    //  An entry name, an attribute name and value, a bucket id in records
    s_b_header (&b, ZS_PROTO_INVENTORY);
    s_b_number (&b, 1, 4);
    s_b_filler (&b, 1);
    s_b_filler (&b, ZS_NAME_MAX + 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    s_b_header (&b, ZS_PROTO_EVENT);
    s_b_number (&b, 1, 8);
    s_b_number (&b, 2, 8);
    s_b_filler (&b, 1);
    s_b_number (&b, 1, 4);
    s_b_filler (&b, ZS_BUCKET_ID_MAX + 1);
    s_b_filler (&b, 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    s_b_header (&b, ZS_PROTO_EVENT);
    s_b_number (&b, 1, 8);
    s_b_number (&b, 2, 8);
    s_b_filler (&b, 1);
    s_b_number (&b, 1, 4);
    s_b_filler (&b, 1);
    s_b_filler (&b, ZS_TEXT_MAX + 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zhashx_size (zs_proto_attrs (msg)), 0);
    s_b_header (&b, ZS_PROTO_STATUS_OK);
    s_b_number (&b, 45, 8);
    s_b_number (&b, 1, 4);
    s_b_filler (&b, ZS_BUCKET_ID_MAX + 1);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_request (msg), 45);
    zs_proto_destroy (&msg);
}

static void
test_malformed_nul_in_string (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    body_t b;
    s_b_header (&b, ZS_PROTO_PUT_BEGIN);
    s_b_number (&b, 42, 8);
    s_b_string (&b, "al\0ce", 5);
    s_b_string (&b, "name", 4);
    s_b_number (&b, 100, 8);
    s_b_number (&b, 3, 1);
    zmsg_t *frames = s_b_frames (&b);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_request (msg), 42);

    //  A NUL at the very start or end of a string, or as the whole string
    const char *names[] = { "\0abc", "abc\0", "\0" };
    const size_t sizes[] = { 4, 4, 1 };
    for (int index = 0; index < 3; index++) {
        s_b_header (&b, ZS_PROTO_GET);
        s_b_number (&b, 42, 8);
        s_b_string (&b, "alice", 5);
        s_b_string (&b, names[index], sizes[index]);
        frames = s_b_frames (&b);
        s_refused (msg, &frames);
        assert_int_equal (zs_proto_request (msg), 42);
    }

    //  In a record
    s_b_header (&b, ZS_PROTO_EVENT);
    s_b_number (&b, 1, 8);
    s_b_number (&b, 2, 8);
    s_b_string (&b, "k", 1);
    s_b_number (&b, 1, 4);
    s_b_string (&b, "key", 3);
    s_b_string (&b, "va\0ue", 5);
    frames = s_b_frames (&b);
    s_refused (msg, &frames);

    //  The same messages without the NUL are fine
    s_b_header (&b, ZS_PROTO_GET);
    s_b_number (&b, 42, 8);
    s_b_string (&b, "alice", 5);
    s_b_string (&b, "abc", 3);
    frames = s_b_frames (&b);
    assert_int_equal (zs_proto_decode (msg, &frames), 0);
    assert_string_equal (zs_proto_name (msg), "abc");
    zs_proto_destroy (&msg);
}

static void
test_malformed_frames (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    byte content[64];
    s_pattern (content, sizeof (content), 6);

    for (size_t index = 0; index < SPEC_COUNT; index++) {
        const spec_t *spec = &s_specs[index];
        zmsg_t *valid = s_encoded (spec);
        zframe_t *body = zmsg_first (valid);
        zmsg_t *frames;
        if (spec->has_data) {
            //  A chunk message without its data frame
            frames = s_frames (zframe_data (body), zframe_size (body), NULL, 0, false);
            s_refused (msg, &frames);
            assert_int_equal (zs_proto_request (msg), (spec->fields & M_REQUEST) ? V_REQUEST : 0);
            assert_int_equal (zs_proto_transfer (msg),
                              (spec->fields & M_TRANSFER) ? V_TRANSFER : 0);
            //  Or with two
            frames = zmsg_dup (valid);
            zmsg_addmem (frames, content, sizeof (content));
            s_refused (msg, &frames);
            assert_null (zs_proto_data (msg));
        }
        else {
            //  Any other message with a frame after its body
            frames =
                s_frames (zframe_data (body), zframe_size (body), content, sizeof (content), true);
            s_refused (msg, &frames);
            assert_int_equal (zs_proto_request (msg), (spec->fields & M_REQUEST) ? V_REQUEST : 0);
            frames = s_frames (zframe_data (body), zframe_size (body), NULL, 0, true);
            s_refused (msg, &frames);
        }
        zmsg_destroy (&valid);
    }

    //  A data frame larger than a chunk
    zs_proto_t *chunk = zs_proto_new ();
    zs_proto_set_id (chunk, ZS_PROTO_PUT_CHUNK);
    zs_proto_set_request (chunk, 31);
    zmsg_t *valid = zs_proto_encode (chunk);
    zs_proto_destroy (&chunk);
    zframe_t *body = zmsg_first (valid);
    zmsg_t *frames = zmsg_new ();
    zmsg_addmem (frames, zframe_data (body), zframe_size (body));
    zframe_t *big = zframe_new (NULL, ZS_CHUNK_SIZE + 1);
    zmsg_append (frames, &big);
    s_refused (msg, &frames);
    assert_int_equal (zs_proto_request (msg), 31);
    assert_null (zs_proto_data (msg));
    //  A full chunk is fine
    frames = zmsg_new ();
    zmsg_addmem (frames, zframe_data (body), zframe_size (body));
    big = zframe_new (NULL, ZS_CHUNK_SIZE);
    zmsg_append (frames, &big);
    assert_int_equal (zs_proto_decode (msg, &frames), 0);
    assert_int_equal (zframe_size (zs_proto_data (msg)), ZS_CHUNK_SIZE);
    zmsg_destroy (&valid);
    //  ... and encode refuses what decode would
    zs_proto_set_id (msg, ZS_PROTO_GET_CHUNK);
    big = zframe_new (NULL, ZS_CHUNK_SIZE + 1);
    zs_proto_set_data (msg, &big);
    assert_null (zs_proto_encode (msg));
    zs_proto_destroy (&msg);
}

//  Counts that promise far more records than the body holds
static void
test_malformed_counts (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    const uint64_t counts[] = { 1, 2, 1000, 0x7FFFFFFF, 0xFFFFFFFF };
    for (size_t index = 0; index < sizeof (counts) / sizeof (counts[0]); index++) {
        uint64_t count = counts[index];
        body_t b;

        //  Entries: none, then one valid entry followed by nothing
        for (int present = 0; present < 2; present++) {
            if ((uint64_t) present >= count)
                continue;
            s_b_header (&b, ZS_PROTO_LIST_OK);
            s_b_number (&b, 42, 8);
            s_b_number (&b, count, 4);
            if (present) {
                s_b_string (&b, "u", 1);
                s_b_string (&b, "n", 1);
                s_b_number (&b, 1, 8);
                s_b_number (&b, 2, 8);
                s_b_number (&b, 3, 8);
                s_b_number (&b, 1, 1);
                s_b_number (&b, 2, 1);
                s_b_number (&b, 3, 1);
                byte checksum[ZS_CHECKSUM_SIZE] = { 0 };
                s_b_bytes (&b, checksum, sizeof (checksum));
                s_b_string (&b, "b", 1);
            }
            s_b_filler (&b, 0);
            s_b_number (&b, 0, 1);
            zmsg_t *frames = s_b_frames (&b);
            s_refused (msg, &frames);
            assert_int_equal (zs_proto_request (msg), 42);
            assert_int_equal (zs_proto_entries_size (msg), 0);
        }

        s_b_header (&b, ZS_PROTO_INVENTORY);
        s_b_number (&b, count, 4);
        zmsg_t *frames = s_b_frames (&b);
        s_refused (msg, &frames);

        s_b_header (&b, ZS_PROTO_STATUS_OK);
        s_b_number (&b, 43, 8);
        s_b_number (&b, count, 4);
        for (int number = 0; number < 7; number++)
            s_b_number (&b, 0, 8);
        frames = s_b_frames (&b);
        s_refused (msg, &frames);
        assert_int_equal (zs_proto_request (msg), 43);
        assert_int_equal (zlistx_size (zs_proto_buckets (msg)), 0);

        s_b_header (&b, ZS_PROTO_EVENT);
        s_b_number (&b, 1, 8);
        s_b_number (&b, 2, 8);
        s_b_string (&b, "k", 1);
        s_b_number (&b, count, 4);
        s_b_string (&b, "key", 3);
        s_b_string (&b, "value", 5);
        frames = s_b_frames (&b);
        if (count == 1)
            assert_int_equal (zs_proto_decode (msg, &frames), 0);
        else {
            s_refused (msg, &frames);
            assert_int_equal (zhashx_size (zs_proto_attrs (msg)), 0);
        }
    }
    zs_proto_destroy (&msg);
}

//  Decoding any byte string never crashes, and a failure always says why
static void
test_malformed_random (void **state)
{
    (void) state;
    zs_proto_t *msg = zs_proto_new ();
    uint64_t seed = 0x243F6A8885A308D3ull;
    for (size_t index = 0; index < SPEC_COUNT; index++) {
        const spec_t *spec = &s_specs[index];
        zmsg_t *valid = s_encoded (spec);
        zframe_t *body = zmsg_first (valid);
        size_t size = zframe_size (body);
        for (int round = 0; round < 200; round++) {
            zframe_t *mutated = zframe_dup (body);
            byte *bytes = zframe_data (mutated);
            //  Flip a few bytes past the header
            for (int flip = 0; flip < 3 && size > 4; flip++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                size_t position = 4 + (size_t) (seed >> 33) % (size - 4);
                bytes[position] ^= (byte) (seed >> 24) | 1;
            }
            zmsg_t *frames = zmsg_new ();
            zmsg_append (frames, &mutated);
            if (spec->has_data)
                zmsg_addmem (frames, "data", 4);
            int rc = zs_proto_decode (msg, &frames);
            assert_null (frames);
            if (rc == 0) {
                assert_int_equal (zs_proto_id (msg), spec->id);
                assert_string_equal (zs_proto_error (msg), "");
            }
            else {
                assert_int_equal (rc, -1);
                assert_true (strlen (zs_proto_error (msg)) > 0);
            }
        }
        zmsg_destroy (&valid);
    }
    zs_proto_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Sockets

static void
test_send_recv_pair (void **state)
{
    (void) state;
    zsock_t *server = zsock_new_pair ("@inproc://test-proto-pair");
    zsock_t *client = zsock_new_pair (">inproc://test-proto-pair");
    assert_non_null (server);
    assert_non_null (client);
    zs_proto_t *message = zs_proto_new ();
    zs_proto_t *received = zs_proto_new ();
    for (size_t index = 0; index < SPEC_COUNT; index++) {
        const spec_t *spec = &s_specs[index];
        zs_proto_reset (message);
        s_fill (message, spec->id);
        assert_int_equal (zs_proto_send (message, client), 0);
        assert_int_equal (zs_proto_recv (received, server), 0);
        assert_null (zs_proto_routing_id (received));
        s_check (received, spec);
        //  And back the other way
        assert_int_equal (zs_proto_send (received, server), 0);
        zs_proto_reset (message);
        assert_int_equal (zs_proto_recv (message, client), 0);
        s_check (message, spec);
    }

    //  A malformed message on the socket is refused, the next one is fine
    zstr_send (client, "garbage");
    assert_int_equal (zs_proto_recv (received, server), -1);
    assert_true (strlen (zs_proto_error (received)) > 0);
    zs_proto_set_id (message, ZS_PROTO_CANCEL);
    zs_proto_set_request (message, 99);
    assert_int_equal (zs_proto_send (message, client), 0);
    assert_int_equal (zs_proto_recv (received, server), 0);
    assert_int_equal (zs_proto_id (received), ZS_PROTO_CANCEL);
    assert_int_equal (zs_proto_request (received), 99);
    assert_string_equal (zs_proto_error (received), "");

    zs_proto_destroy (&message);
    zs_proto_destroy (&received);
    zsock_destroy (&client);
    zsock_destroy (&server);
}

static zsock_t *
s_dealer (const char *identity, const char *endpoint)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_identity (dealer, identity);
    assert_int_equal (zsock_connect (dealer, "%s", endpoint), 0);
    return dealer;
}

static void
test_recv_waiting (void **state)
{
    (void) state;
    zsock_t *server = zsock_new_pair ("@inproc://test-proto-recv-waiting");
    zsock_t *client = zsock_new_pair (">inproc://test-proto-recv-waiting");
    zs_proto_t *message = zs_proto_new ();
    assert_non_null (server);
    assert_non_null (client);
    assert_non_null (message);
    //  Nothing waits: 1 at once
    int64_t start = zclock_mono ();
    assert_int_equal (zs_proto_recv_waiting (message, server), 1);
    assert_true (zclock_mono () - start < 1000);
    //  Messages that wait come in order; a malformed one is -1, and says why
    for (uint64_t clock = 1; clock <= 3; clock++) {
        zs_proto_set_id (message, ZS_PROTO_HEARTBEAT);
        zs_proto_set_clock (message, clock);
        assert_int_equal (zs_proto_send (message, client), 0);
    }
    zstr_send (client, "not a message of ours");
    for (uint64_t clock = 1; clock <= 3; clock++) {
        assert_int_equal (zs_proto_recv_waiting (message, server), 0);
        assert_int_equal (zs_proto_id (message), ZS_PROTO_HEARTBEAT);
        assert_int_equal (zs_proto_clock (message), clock);
    }
    assert_int_equal (zs_proto_recv_waiting (message, server), -1);
    assert_true (strlen (zs_proto_error (message)) > 0);
    assert_int_equal (zs_proto_recv_waiting (message, server), 1);
    zs_proto_destroy (&message);
    zsock_destroy (&client);
    zsock_destroy (&server);
}

static void
test_send_recv_router (void **state)
{
    (void) state;
    const char *endpoint = "inproc://test-proto-router";
    zsock_t *router = zsock_new_router ("@inproc://test-proto-router");
    assert_non_null (router);
    zsock_t *alpha = s_dealer ("alpha", endpoint);
    zsock_t *beta = s_dealer ("beta", endpoint);
    zs_proto_t *message = zs_proto_new ();

    //  Each dealer asks; the router learns who asked what
    zs_proto_set_id (message, ZS_PROTO_STAT);
    zs_proto_set_user (message, "alice");
    zs_proto_set_name (message, "a");
    zs_proto_set_request (message, 1);
    assert_int_equal (zs_proto_send (message, alpha), 0);
    zs_proto_set_request (message, 2);
    zs_proto_set_user (message, "bob");
    assert_int_equal (zs_proto_send (message, beta), 0);

    zs_proto_t *request = zs_proto_new ();
    zframe_t *alpha_id = NULL, *beta_id = NULL;
    for (int count = 0; count < 2; count++) {
        assert_int_equal (zs_proto_recv (request, router), 0);
        assert_int_equal (zs_proto_id (request), ZS_PROTO_STAT);
        zframe_t *routing_id = zs_proto_routing_id (request);
        assert_non_null (routing_id);
        if (zframe_streq (routing_id, "alpha")) {
            assert_null (alpha_id);
            assert_int_equal (zs_proto_request (request), 1);
            assert_string_equal (zs_proto_user (request), "alice");
            alpha_id = zframe_dup (routing_id);
        }
        else {
            assert_true (zframe_streq (routing_id, "beta"));
            assert_null (beta_id);
            assert_int_equal (zs_proto_request (request), 2);
            assert_string_equal (zs_proto_user (request), "bob");
            beta_id = zframe_dup (routing_id);
        }
    }
    assert_non_null (alpha_id);
    assert_non_null (beta_id);

    //  Answers go to the peer whose routing id is set, beta first
    zs_proto_t *reply = zs_proto_new ();
    zs_proto_set_id (reply, ZS_PROTO_GET_CHUNK);
    zs_proto_set_routing_id (reply, beta_id);
    zs_proto_set_request (reply, 2);
    zframe_t *data = zframe_new ("for beta", 8);
    zs_proto_set_data (reply, &data);
    assert_int_equal (zs_proto_send (reply, router), 0);
    //  The routing id stays set after a send
    assert_true (zframe_eq (zs_proto_routing_id (reply), beta_id));
    zs_proto_set_routing_id (reply, alpha_id);
    zs_proto_set_request (reply, 1);
    data = zframe_new ("for alpha", 9);
    zs_proto_set_data (reply, &data);
    assert_int_equal (zs_proto_send (reply, router), 0);
    assert_int_equal (zs_proto_send (reply, router), 0);

    zs_proto_t *answer = zs_proto_new ();
    assert_int_equal (zs_proto_recv (answer, beta), 0);
    assert_int_equal (zs_proto_id (answer), ZS_PROTO_GET_CHUNK);
    assert_int_equal (zs_proto_request (answer), 2);
    assert_true (zframe_streq (zs_proto_data (answer), "for beta"));
    assert_null (zs_proto_routing_id (answer));
    for (int count = 0; count < 2; count++) {
        assert_int_equal (zs_proto_recv (answer, alpha), 0);
        assert_int_equal (zs_proto_request (answer), 1);
        assert_true (zframe_streq (zs_proto_data (answer), "for alpha"));
    }
    //  Nothing else arrived anywhere
    zsock_set_rcvtimeo (alpha, 0);
    zsock_set_rcvtimeo (beta, 0);
    zmsg_t *nothing = zmsg_recv (alpha);
    assert_null (nothing);
    nothing = zmsg_recv (beta);
    assert_null (nothing);

    //  A malformed message on a ROUTER keeps who sent it, and the request
    body_t b;
    s_b_header (&b, ZS_PROTO_GET);
    s_b_number (&b, 1234, 8);
    s_b_filler (&b, ZS_USER_MAX + 1);
    zmsg_t *frames = s_b_frames (&b);
    assert_int_equal (zmsg_send (&frames, beta), 0);
    assert_int_equal (zs_proto_recv (request, router), -1);
    assert_true (strlen (zs_proto_error (request)) > 0);
    assert_true (zframe_eq (zs_proto_routing_id (request), beta_id));
    assert_int_equal (zs_proto_request (request), 1234);
    zstr_send (alpha, "zz");
    assert_int_equal (zs_proto_recv (request, router), -1);
    assert_true (zframe_eq (zs_proto_routing_id (request), alpha_id));
    assert_int_equal (zs_proto_request (request), 0);

    //  On a mandatory ROUTER, an unknown peer is an error
    zsock_set_router_mandatory (router, 1);
    zframe_t *nobody = zframe_new ("nobody", 6);
    zs_proto_set_routing_id (reply, nobody);
    zframe_destroy (&nobody);
    errno = 0;
    assert_int_equal (zs_proto_send (reply, router), -1);
    assert_int_equal (errno, EHOSTUNREACH);

    zframe_destroy (&alpha_id);
    zframe_destroy (&beta_id);
    zs_proto_destroy (&answer);
    zs_proto_destroy (&reply);
    zs_proto_destroy (&request);
    zs_proto_destroy (&message);
    zsock_destroy (&alpha);
    zsock_destroy (&beta);
    zsock_destroy (&router);
}

//  Sending a chunk keeps its data: the same message goes out twice
static void
test_send_keeps_data (void **state)
{
    (void) state;
    zsock_t *server = zsock_new_pair ("@inproc://test-proto-twice");
    zsock_t *client = zsock_new_pair (">inproc://test-proto-twice");
    assert_non_null (server);
    assert_non_null (client);
    size_t size = 100000;
    zframe_t *data = zframe_new (NULL, size);
    s_pattern (zframe_data (data), size, 8);
    zframe_t *original = zframe_dup (data);

    zs_proto_t *chunk = zs_proto_new ();
    zs_proto_set_id (chunk, ZS_PROTO_STORE_CHUNK);
    zs_proto_set_transfer (chunk, 5);
    zs_proto_set_seq (chunk, 6);
    zs_proto_set_crc (chunk, 7);
    zs_proto_set_data (chunk, &data);
    zframe_t *held = zs_proto_data (chunk);
    assert_int_equal (zs_proto_send (chunk, client), 0);
    assert_ptr_equal (zs_proto_data (chunk), held);
    assert_true (zframe_eq (zs_proto_data (chunk), original));
    assert_int_equal (zs_proto_send (chunk, client), 0);
    assert_true (zframe_eq (zs_proto_data (chunk), original));

    zs_proto_t *received = zs_proto_new ();
    for (int count = 0; count < 2; count++) {
        assert_int_equal (zs_proto_recv (received, server), 0);
        assert_int_equal (zs_proto_id (received), ZS_PROTO_STORE_CHUNK);
        assert_int_equal (zs_proto_transfer (received), 5);
        assert_int_equal (zs_proto_seq (received), 6);
        assert_int_equal (zs_proto_crc (received), 7);
        assert_true (zframe_eq (zs_proto_data (received), original));
    }

    //  A chunk message without data sends an empty data frame
    zs_proto_t *empty = zs_proto_new ();
    zs_proto_set_id (empty, ZS_PROTO_FETCH_CHUNK);
    zs_proto_set_transfer (empty, 8);
    assert_int_equal (zs_proto_send (empty, client), 0);
    assert_int_equal (zs_proto_recv (received, server), 0);
    assert_int_equal (zs_proto_id (received), ZS_PROTO_FETCH_CHUNK);
    assert_int_equal (zs_proto_transfer (received), 8);
    assert_non_null (zs_proto_data (received));
    assert_int_equal (zframe_size (zs_proto_data (received)), 0);

    //  A data frame set on a message without one is not sent
    zs_proto_set_id (chunk, ZS_PROTO_STORE_ACK);
    assert_int_equal (zs_proto_send (chunk, client), 0);
    assert_int_equal (zs_proto_recv (received, server), 0);
    assert_int_equal (zs_proto_id (received), ZS_PROTO_STORE_ACK);
    assert_null (zs_proto_data (received));

    zs_proto_destroy (&empty);
    zs_proto_destroy (&received);
    zs_proto_destroy (&chunk);
    zframe_destroy (&original);
    zsock_destroy (&client);
    zsock_destroy (&server);
}

//  --------------------------------------------------------------------------

int
main (void)
{
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test (test_roundtrip_defaults),
        cmocka_unit_test (test_command_names),
        cmocka_unit_test (test_wire_bytes),
        cmocka_unit_test (test_wire_records),
        cmocka_unit_test (test_records),
        cmocka_unit_test (test_roundtrip_lists),
        cmocka_unit_test (test_roundtrip_limits),
        cmocka_unit_test (test_encode_refuses_overlong),
        cmocka_unit_test (test_encode_refuses_overlong_records),
        cmocka_unit_test (test_reason_cut),
        cmocka_unit_test (test_malformed_empty),
        cmocka_unit_test (test_malformed_header),
        cmocka_unit_test (test_malformed_truncated),
        cmocka_unit_test (test_malformed_trailing),
        cmocka_unit_test (test_malformed_overlong_strings),
        cmocka_unit_test (test_malformed_nul_in_string),
        cmocka_unit_test (test_malformed_frames),
        cmocka_unit_test (test_malformed_counts),
        cmocka_unit_test (test_malformed_random),
        cmocka_unit_test (test_send_recv_pair),
        cmocka_unit_test (test_recv_waiting),
        cmocka_unit_test (test_send_recv_router),
        cmocka_unit_test (test_send_keeps_data),
    };
    //  One round trip test per message, named after it
    static char names[SPEC_COUNT][48];
    struct CMUnitTest tests[SPEC_COUNT + sizeof (fixed) / sizeof (fixed[0])];
    for (size_t index = 0; index < SPEC_COUNT; index++) {
        snprintf (names[index], sizeof (names[index]), "test_roundtrip_%s", s_specs[index].name);
        tests[index] = (struct CMUnitTest){ names[index], test_roundtrip, NULL, NULL,
                                            (void *) &s_specs[index] };
    }
    for (size_t index = 0; index < sizeof (fixed) / sizeof (fixed[0]); index++)
        tests[SPEC_COUNT + index] = fixed[index];
    return cmocka_run_group_tests (tests, NULL, NULL);
}
