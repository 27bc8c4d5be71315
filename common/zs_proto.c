/*  zs_proto - the zstore wire protocol: every message, one codec

    A body frame is: signature "ZS", protocol version (1 byte), message id
    (1 byte), then the message's fields in the order of s_messages. Numbers
    are big-endian; strings are a 2-byte length and UTF-8 bytes without NUL;
    lists are a 4-byte count and their records. Nothing may follow the last
    field. Chunk messages carry their content in a second frame.
*/

#include "zs_proto.h"

#include <stdarg.h>

typedef enum {
    T_U8,
    T_U16,
    T_U32,
    T_U64,
    T_STRING,
    T_CHECKSUM,
    T_INSTANCE,
    T_ENTRIES,
    T_BUCKETS,
    T_ATTRS
} field_type_t;

typedef enum {
    F_REQUEST,
    F_TRANSFER,
    F_USER,
    F_NAME,
    F_VERSION,
    F_SIZE,
    F_REPLICAS,
    F_COPIES,
    F_STAMP,
    F_SEQ,
    F_LIMIT,
    F_CRC,
    F_CHECKSUM,
    F_STATUS,
    F_REASON,
    F_BUCKET,
    F_ZONE,
    F_INSTANCE,
    F_CAPACITY,
    F_USED,
    F_FREE,
    F_FILES,
    F_HEARTBEAT,
    F_LIVENESS,
    F_CLOCK,
    F_MORE,
    F_PENDING,
    F_UNDER_REPLICATED,
    F_RECOVERING,
    F_UPTIME,
    F_SEQUENCE,
    F_KIND,
    F_REPAIRS,
    F_REPAIRING,
    F_REPAIR_BYTES,
    F_REPAIR_RATE,
    F_ENTRIES,
    F_BUCKETS,
    F_ATTRS,
    F_COUNT
} field_t;

static const struct {
    const char *name;
    field_type_t type;
    size_t max; //  Longest string, in bytes
} s_fields[F_COUNT] = {
    [F_REQUEST] = { "request", T_U64, 0 },
    [F_TRANSFER] = { "transfer", T_U64, 0 },
    [F_USER] = { "user", T_STRING, ZS_USER_MAX },
    [F_NAME] = { "name", T_STRING, ZS_NAME_MAX },
    [F_VERSION] = { "version", T_U64, 0 },
    [F_SIZE] = { "size", T_U64, 0 },
    [F_REPLICAS] = { "replicas", T_U8, 0 },
    [F_COPIES] = { "copies", T_U8, 0 },
    [F_STAMP] = { "stamp", T_U64, 0 },
    [F_SEQ] = { "seq", T_U32, 0 },
    [F_LIMIT] = { "limit", T_U32, 0 },
    [F_CRC] = { "crc", T_U32, 0 },
    [F_CHECKSUM] = { "checksum", T_CHECKSUM, 0 },
    [F_STATUS] = { "status", T_U16, 0 },
    [F_REASON] = { "reason", T_STRING, ZS_TEXT_MAX },
    [F_BUCKET] = { "bucket", T_STRING, ZS_BUCKET_ID_MAX },
    [F_ZONE] = { "zone", T_STRING, ZS_BUCKET_ID_MAX },
    [F_INSTANCE] = { "instance", T_INSTANCE, 0 },
    [F_CAPACITY] = { "capacity", T_U64, 0 },
    [F_USED] = { "used", T_U64, 0 },
    [F_FREE] = { "free", T_U64, 0 },
    [F_FILES] = { "files", T_U64, 0 },
    [F_HEARTBEAT] = { "heartbeat", T_U32, 0 },
    [F_LIVENESS] = { "liveness", T_U32, 0 },
    [F_CLOCK] = { "clock", T_U64, 0 },
    [F_MORE] = { "more", T_U8, 0 },
    [F_PENDING] = { "pending", T_STRING, ZS_TEXT_MAX },
    [F_UNDER_REPLICATED] = { "under_replicated", T_U64, 0 },
    [F_RECOVERING] = { "recovering", T_U8, 0 },
    [F_UPTIME] = { "uptime", T_U64, 0 },
    [F_SEQUENCE] = { "sequence", T_U64, 0 },
    [F_KIND] = { "kind", T_STRING, ZS_BUCKET_ID_MAX },
    [F_REPAIRS] = { "repairs", T_U64, 0 },
    [F_REPAIRING] = { "repairing", T_U32, 0 },
    [F_REPAIR_BYTES] = { "repair_bytes", T_U64, 0 },
    [F_REPAIR_RATE] = { "repair_rate", T_U64, 0 },
    [F_ENTRIES] = { "entries", T_ENTRIES, 0 },
    [F_BUCKETS] = { "buckets", T_BUCKETS, 0 },
    [F_ATTRS] = { "attrs", T_ATTRS, 0 },
};

#define END        -1
#define FIELDS_MAX 16

static const struct {
    int id;
    const char *name;
    bool has_data;              //  A content frame follows the body
    int fields[FIELDS_MAX + 1]; //  In wire order, ended by END
} s_messages[] = {
    { ZS_PROTO_PUT_BEGIN,
      "PUT_BEGIN",
      false,
      { F_REQUEST, F_USER, F_NAME, F_SIZE, F_REPLICAS, END } },
    { ZS_PROTO_PUT_CHUNK, "PUT_CHUNK", true, { F_REQUEST, F_SEQ, F_CRC, END } },
    { ZS_PROTO_PUT_END, "PUT_END", false, { F_REQUEST, F_SIZE, F_CHECKSUM, END } },
    { ZS_PROTO_PUT_CREDIT, "PUT_CREDIT", false, { F_REQUEST, F_LIMIT, END } },
    { ZS_PROTO_PUT_OK, "PUT_OK", false, { F_REQUEST, F_VERSION, F_COPIES, END } },
    { ZS_PROTO_GET, "GET", false, { F_REQUEST, F_USER, F_NAME, END } },
    { ZS_PROTO_GET_BEGIN, "GET_BEGIN", false, { F_REQUEST, F_VERSION, F_SIZE, F_CHECKSUM, END } },
    { ZS_PROTO_GET_CHUNK, "GET_CHUNK", true, { F_REQUEST, F_SEQ, F_CRC, END } },
    { ZS_PROTO_GET_CREDIT, "GET_CREDIT", false, { F_REQUEST, F_LIMIT, END } },
    { ZS_PROTO_STAT, "STAT", false, { F_REQUEST, F_USER, F_NAME, END } },
    { ZS_PROTO_STAT_OK, "STAT_OK", false, { F_REQUEST, F_ENTRIES, END } },
    { ZS_PROTO_LIST, "LIST", false, { F_REQUEST, F_USER, F_NAME, F_LIMIT, END } },
    { ZS_PROTO_LIST_OK, "LIST_OK", false, { F_REQUEST, F_ENTRIES, F_NAME, F_MORE, END } },
    { ZS_PROTO_REMOVE, "REMOVE", false, { F_REQUEST, F_USER, F_NAME, END } },
    { ZS_PROTO_REMOVE_OK, "REMOVE_OK", false, { F_REQUEST, F_VERSION, END } },
    { ZS_PROTO_REPLICAS, "REPLICAS", false, { F_REQUEST, F_USER, F_NAME, F_REPLICAS, END } },
    { ZS_PROTO_REPLICAS_OK, "REPLICAS_OK", false, { F_REQUEST, F_REPLICAS, F_COPIES, END } },
    { ZS_PROTO_STATUS, "STATUS", false, { F_REQUEST, END } },
    { ZS_PROTO_STATUS_OK,
      "STATUS_OK",
      false,
      { F_REQUEST, F_BUCKETS, F_FILES, F_USED, F_UNDER_REPLICATED, F_RECOVERING, F_UPTIME,
        F_SEQUENCE, F_HEARTBEAT, F_LIVENESS, F_REPAIRS, F_REPAIRING, F_REPAIR_BYTES, F_REPAIR_RATE,
        END } },
    { ZS_PROTO_CANCEL, "CANCEL", false, { F_REQUEST, END } },
    { ZS_PROTO_FAILED, "FAILED", false, { F_REQUEST, F_STATUS, F_REASON, END } },
    { ZS_PROTO_ADMIN, "ADMIN", false, { F_REQUEST, F_KIND, F_BUCKET, END } },
    { ZS_PROTO_ADMIN_OK, "ADMIN_OK", false, { F_REQUEST, F_REASON, END } },

    { ZS_PROTO_REGISTER,
      "REGISTER",
      false,
      { F_BUCKET, F_ZONE, F_INSTANCE, F_CAPACITY, F_USED, F_FREE, F_FILES, END } },
    { ZS_PROTO_WELCOME, "WELCOME", false, { F_HEARTBEAT, F_LIVENESS, END } },
    { ZS_PROTO_REFUSED, "REFUSED", false, { F_REASON, END } },
    { ZS_PROTO_INVENTORY, "INVENTORY", false, { F_ENTRIES, F_MORE, END } },
    { ZS_PROTO_INVENTORY_ACK, "INVENTORY_ACK", false, { END } },
    { ZS_PROTO_HEARTBEAT, "HEARTBEAT", false, { F_CLOCK, F_USED, F_FREE, F_FILES, END } },
    { ZS_PROTO_REREGISTER, "REREGISTER", false, { END } },
    { ZS_PROTO_STORE_BEGIN,
      "STORE_BEGIN",
      false,
      { F_TRANSFER, F_USER, F_NAME, F_VERSION, F_SIZE, F_REPLICAS, F_STAMP, END } },
    { ZS_PROTO_STORE_CHUNK, "STORE_CHUNK", true, { F_TRANSFER, F_SEQ, F_CRC, END } },
    { ZS_PROTO_STORE_END, "STORE_END", false, { F_TRANSFER, F_SIZE, F_CHECKSUM, END } },
    { ZS_PROTO_STORE_ACK, "STORE_ACK", false, { F_TRANSFER, F_SEQ, END } },
    { ZS_PROTO_STORE_READY, "STORE_READY", false, { F_TRANSFER, END } },
    { ZS_PROTO_COMMIT, "COMMIT", false, { F_TRANSFER, END } },
    { ZS_PROTO_FETCH,
      "FETCH",
      false,
      { F_TRANSFER, F_USER, F_NAME, F_VERSION, F_SEQ, F_LIMIT, END } },
    { ZS_PROTO_FETCH_CHUNK, "FETCH_CHUNK", true, { F_TRANSFER, F_SEQ, F_CRC, END } },
    { ZS_PROTO_FETCH_CREDIT, "FETCH_CREDIT", false, { F_TRANSFER, F_LIMIT, END } },
    { ZS_PROTO_ABORT, "ABORT", false, { F_TRANSFER, END } },
    { ZS_PROTO_DROP, "DROP", false, { F_TRANSFER, F_USER, F_NAME, F_VERSION, END } },
    { ZS_PROTO_DELETE, "DELETE", false, { F_TRANSFER, F_USER, F_NAME, F_VERSION, F_PENDING, END } },
    { ZS_PROTO_FORGET, "FORGET", false, { F_TRANSFER, F_USER, F_NAME, F_VERSION, END } },
    { ZS_PROTO_SET_REPLICAS,
      "SET_REPLICAS",
      false,
      { F_TRANSFER, F_USER, F_NAME, F_VERSION, F_REPLICAS, F_STAMP, END } },
    { ZS_PROTO_DONE, "DONE", false, { F_TRANSFER, F_STATUS, F_REASON, END } },
    { ZS_PROTO_COPY_LOST, "COPY_LOST", false, { F_USER, F_NAME, F_VERSION, F_REASON, END } },

    { ZS_PROTO_EVENT, "EVENT", false, { F_SEQUENCE, F_CLOCK, F_KIND, F_ATTRS, END } },
};

#define MESSAGE_COUNT (sizeof (s_messages) / sizeof (s_messages[0]))

struct _zs_proto_t {
    int id;                          //  Message id, 0 when none
    zframe_t *routing_id;            //  Peer on a ROUTER socket
    zframe_t *body;                  //  Body as received, for peer metadata
    uint64_t number[F_COUNT];        //  Numeric fields
    char *string[F_COUNT];           //  String fields, NULL reads as ""
    byte checksum[ZS_CHECKSUM_SIZE]; //  Content checksum
    byte instance[ZS_INSTANCE_SIZE]; //  Bucket data folder identity
    zlistx_t *entries;               //  zs_fileinfo_t records
    zlistx_t *buckets;               //  zs_bucketinfo_t records
    zhashx_t *attrs;                 //  Event attributes
    zframe_t *data;                  //  Chunk content
    char error[256];                 //  Why the last decode failed
};

//  --------------------------------------------------------------------------
//  Records

zs_fileinfo_t *
zs_fileinfo_new (void)
{
    zs_fileinfo_t *self = (zs_fileinfo_t *) zmalloc (sizeof (zs_fileinfo_t));
    if (self) {
        self->user = strdup ("");
        self->name = strdup ("");
        self->buckets = strdup ("");
        if (!self->user || !self->name || !self->buckets)
            zs_fileinfo_destroy (&self);
    }
    return self;
}

zs_fileinfo_t *
zs_fileinfo_dup (const zs_fileinfo_t *self)
{
    zs_fileinfo_t *copy = (zs_fileinfo_t *) zmalloc (sizeof (zs_fileinfo_t));
    if (copy) {
        *copy = *self;
        copy->user = strdup (self->user);
        copy->name = strdup (self->name);
        copy->buckets = strdup (self->buckets);
        if (!copy->user || !copy->name || !copy->buckets)
            zs_fileinfo_destroy (&copy);
    }
    return copy;
}

void
zs_fileinfo_destroy (zs_fileinfo_t **self_p)
{
    if (*self_p) {
        zs_fileinfo_t *self = *self_p;
        free (self->user);
        free (self->name);
        free (self->buckets);
        free (self);
        *self_p = NULL;
    }
}

zs_bucketinfo_t *
zs_bucketinfo_new (void)
{
    zs_bucketinfo_t *self = (zs_bucketinfo_t *) zmalloc (sizeof (zs_bucketinfo_t));
    if (self) {
        self->id = strdup ("");
        self->zone = strdup ("");
        self->address = strdup ("");
        self->state = strdup ("");
        if (!self->id || !self->zone || !self->address || !self->state)
            zs_bucketinfo_destroy (&self);
    }
    return self;
}

void
zs_bucketinfo_destroy (zs_bucketinfo_t **self_p)
{
    if (*self_p) {
        zs_bucketinfo_t *self = *self_p;
        free (self->id);
        free (self->zone);
        free (self->address);
        free (self->state);
        free (self);
        *self_p = NULL;
    }
}

static void
s_fileinfo_destructor (void **item)
{
    zs_fileinfo_destroy ((zs_fileinfo_t **) item);
}

static void
s_bucketinfo_destructor (void **item)
{
    zs_bucketinfo_destroy ((zs_bucketinfo_t **) item);
}

//  --------------------------------------------------------------------------
//  Encoding buffer

typedef struct {
    byte *data;
    size_t size;
    size_t capacity;
    bool failed;
} writer_t;

static void
s_put (writer_t *w, const void *bytes, size_t size)
{
    if (w->failed)
        return;
    if (w->size + size > w->capacity) {
        size_t capacity = w->capacity ? w->capacity * 2 : 256;
        while (capacity < w->size + size)
            capacity *= 2;
        byte *data = (byte *) realloc (w->data, capacity);
        if (!data) {
            w->failed = true;
            return;
        }
        w->data = data;
        w->capacity = capacity;
    }
    memcpy (w->data + w->size, bytes, size);
    w->size += size;
}

static void
s_put_number (writer_t *w, uint64_t value, size_t width)
{
    byte bytes[8];
    for (size_t index = 0; index < width; index++)
        bytes[index] = (byte) (value >> (8 * (width - 1 - index)));
    s_put (w, bytes, width);
}

//  Fails the writer on a string longer than max, as decode would refuse it
static void
s_put_string (writer_t *w, const char *string, size_t max)
{
    size_t length = string ? strlen (string) : 0;
    if (length > max)
        w->failed = true;
    s_put_number (w, length, 2);
    s_put (w, string ? string : "", length);
}

//  --------------------------------------------------------------------------
//  Decoding cursor

typedef struct {
    const byte *data;
    size_t size;
    size_t offset;
    char *error; //  Points into the message's error buffer
    size_t error_size;
} reader_t;

static int s_fail (reader_t *r, const char *format, ...) CHECK_PRINTF (2);

static int
s_fail (reader_t *r, const char *format, ...)
{
    if (*r->error == 0) {
        va_list args;
        va_start (args, format);
        vsnprintf (r->error, r->error_size, format, args);
        va_end (args);
    }
    return -1;
}

static int
s_get_number (reader_t *r, uint64_t *value, size_t width, const char *what)
{
    if (r->size - r->offset < width)
        return s_fail (r, "truncated %s", what);
    uint64_t result = 0;
    for (size_t index = 0; index < width; index++)
        result = (result << 8) | r->data[r->offset + index];
    r->offset += width;
    *value = result;
    return 0;
}

static int
s_get_bytes (reader_t *r, byte *target, size_t size, const char *what)
{
    if (r->size - r->offset < size)
        return s_fail (r, "truncated %s", what);
    memcpy (target, r->data + r->offset, size);
    r->offset += size;
    return 0;
}

//  Reads a string into a fresh heap copy; refuses NUL bytes and overlong ones
static int
s_get_string (reader_t *r, char **string_p, size_t max, const char *what)
{
    uint64_t length = 0;
    if (s_get_number (r, &length, 2, what))
        return -1;
    if (length > max)
        return s_fail (r, "%s is %zu bytes, more than %zu", what, (size_t) length, max);
    if (r->size - r->offset < length)
        return s_fail (r, "truncated %s", what);
    const byte *start = r->data + r->offset;
    if (memchr (start, 0, length))
        return s_fail (r, "%s holds a NUL byte", what);
    char *string = (char *) malloc (length + 1);
    if (!string)
        return s_fail (r, "out of memory reading %s", what);
    memcpy (string, start, length);
    string[length] = 0;
    r->offset += length;
    free (*string_p);
    *string_p = string;
    return 0;
}

//  --------------------------------------------------------------------------
//  Record lists

static void
s_put_fileinfo (writer_t *w, const zs_fileinfo_t *entry)
{
    s_put_string (w, entry->user, ZS_USER_MAX);
    s_put_string (w, entry->name, ZS_NAME_MAX);
    s_put_number (w, entry->version, 8);
    s_put_number (w, entry->size, 8);
    s_put_number (w, entry->stamp, 8);
    s_put_number (w, entry->desired, 1);
    s_put_number (w, entry->actual, 1);
    s_put_number (w, entry->flags, 1);
    s_put (w, entry->checksum, ZS_CHECKSUM_SIZE);
    s_put_string (w, entry->buckets, ZS_TEXT_MAX);
}

static int
s_get_fileinfo (reader_t *r, zs_fileinfo_t *entry)
{
    uint64_t desired = 0, actual = 0, flags = 0;
    if (s_get_string (r, &entry->user, ZS_USER_MAX, "entry user")
        || s_get_string (r, &entry->name, ZS_NAME_MAX, "entry name")
        || s_get_number (r, &entry->version, 8, "entry version")
        || s_get_number (r, &entry->size, 8, "entry size")
        || s_get_number (r, &entry->stamp, 8, "entry stamp")
        || s_get_number (r, &desired, 1, "entry desired")
        || s_get_number (r, &actual, 1, "entry actual")
        || s_get_number (r, &flags, 1, "entry flags")
        || s_get_bytes (r, entry->checksum, ZS_CHECKSUM_SIZE, "entry checksum")
        || s_get_string (r, &entry->buckets, ZS_TEXT_MAX, "entry buckets"))
        return -1;
    entry->desired = (uint8_t) desired;
    entry->actual = (uint8_t) actual;
    entry->flags = (uint8_t) flags;
    return 0;
}

static void
s_put_bucketinfo (writer_t *w, const zs_bucketinfo_t *bucket)
{
    s_put_string (w, bucket->id, ZS_BUCKET_ID_MAX);
    s_put_string (w, bucket->zone, ZS_BUCKET_ID_MAX);
    s_put_string (w, bucket->address, ZS_TEXT_MAX);
    s_put_string (w, bucket->state, ZS_BUCKET_ID_MAX);
    s_put_number (w, bucket->heartbeat_age, 8);
    s_put_number (w, bucket->rtt, 4);
    s_put_number (w, bucket->files, 8);
    s_put_number (w, bucket->used, 8);
    s_put_number (w, bucket->free, 8);
    s_put_number (w, bucket->capacity, 8);
}

static int
s_get_bucketinfo (reader_t *r, zs_bucketinfo_t *bucket)
{
    uint64_t rtt = 0;
    if (s_get_string (r, &bucket->id, ZS_BUCKET_ID_MAX, "bucket id")
        || s_get_string (r, &bucket->zone, ZS_BUCKET_ID_MAX, "bucket zone")
        || s_get_string (r, &bucket->address, ZS_TEXT_MAX, "bucket address")
        || s_get_string (r, &bucket->state, ZS_BUCKET_ID_MAX, "bucket state")
        || s_get_number (r, &bucket->heartbeat_age, 8, "bucket heartbeat age")
        || s_get_number (r, &rtt, 4, "bucket rtt")
        || s_get_number (r, &bucket->files, 8, "bucket files")
        || s_get_number (r, &bucket->used, 8, "bucket used")
        || s_get_number (r, &bucket->free, 8, "bucket free")
        || s_get_number (r, &bucket->capacity, 8, "bucket capacity"))
        return -1;
    bucket->rtt = (uint32_t) rtt;
    return 0;
}

//  --------------------------------------------------------------------------
//  Message

zs_proto_t *
zs_proto_new (void)
{
    zs_proto_t *self = (zs_proto_t *) zmalloc (sizeof (zs_proto_t));
    return self;
}

static void
s_clear_collections (zs_proto_t *self)
{
    zlistx_destroy (&self->entries);
    zlistx_destroy (&self->buckets);
    zhashx_destroy (&self->attrs);
}

void
zs_proto_reset (zs_proto_t *self)
{
    assert (self);
    for (int field = 0; field < F_COUNT; field++) {
        self->number[field] = 0;
        freen (self->string[field]);
    }
    memset (self->checksum, 0, sizeof (self->checksum));
    memset (self->instance, 0, sizeof (self->instance));
    s_clear_collections (self);
    zframe_destroy (&self->data);
}

void
zs_proto_destroy (zs_proto_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_proto_t *self = *self_p;
        zs_proto_reset (self);
        zframe_destroy (&self->routing_id);
        zframe_destroy (&self->body);
        free (self);
        *self_p = NULL;
    }
}

static int
s_message_index (int id)
{
    for (size_t index = 0; index < MESSAGE_COUNT; index++)
        if (s_messages[index].id == id)
            return (int) index;
    return -1;
}

static zlistx_t *
s_entries (zs_proto_t *self)
{
    if (!self->entries) {
        self->entries = zlistx_new ();
        if (self->entries)
            zlistx_set_destructor (self->entries, s_fileinfo_destructor);
    }
    return self->entries;
}

static zlistx_t *
s_buckets (zs_proto_t *self)
{
    if (!self->buckets) {
        self->buckets = zlistx_new ();
        if (self->buckets)
            zlistx_set_destructor (self->buckets, s_bucketinfo_destructor);
    }
    return self->buckets;
}

static zhashx_t *
s_attrs (zs_proto_t *self)
{
    if (!self->attrs) {
        self->attrs = zhashx_new ();
        if (self->attrs) {
            zhashx_set_destructor (self->attrs, (zhashx_destructor_fn *) zstr_free);
            zhashx_set_duplicator (self->attrs, (zhashx_duplicator_fn *) strdup);
        }
    }
    return self->attrs;
}

static void
s_encode_field (zs_proto_t *self, writer_t *w, int field)
{
    switch (s_fields[field].type) {
        case T_U8: s_put_number (w, self->number[field], 1); break;
        case T_U16: s_put_number (w, self->number[field], 2); break;
        case T_U32: s_put_number (w, self->number[field], 4); break;
        case T_U64: s_put_number (w, self->number[field], 8); break;
        case T_STRING: s_put_string (w, self->string[field], s_fields[field].max); break;
        case T_CHECKSUM: s_put (w, self->checksum, ZS_CHECKSUM_SIZE); break;
        case T_INSTANCE: s_put (w, self->instance, ZS_INSTANCE_SIZE); break;
        case T_ENTRIES: {
            s_put_number (w, self->entries ? zlistx_size (self->entries) : 0, 4);
            if (self->entries) {
                const zs_fileinfo_t *entry = (zs_fileinfo_t *) zlistx_first (self->entries);
                for (; entry; entry = (zs_fileinfo_t *) zlistx_next (self->entries))
                    s_put_fileinfo (w, entry);
            }
            break;
        }
        case T_BUCKETS: {
            s_put_number (w, self->buckets ? zlistx_size (self->buckets) : 0, 4);
            if (self->buckets) {
                const zs_bucketinfo_t *bucket = (zs_bucketinfo_t *) zlistx_first (self->buckets);
                for (; bucket; bucket = (zs_bucketinfo_t *) zlistx_next (self->buckets))
                    s_put_bucketinfo (w, bucket);
            }
            break;
        }
        case T_ATTRS: {
            s_put_number (w, self->attrs ? zhashx_size (self->attrs) : 0, 4);
            if (self->attrs) {
                const char *value = (const char *) zhashx_first (self->attrs);
                for (; value; value = (const char *) zhashx_next (self->attrs)) {
                    s_put_string (w, (const char *) zhashx_cursor (self->attrs), ZS_BUCKET_ID_MAX);
                    s_put_string (w, value, ZS_TEXT_MAX);
                }
            }
            break;
        }
    }
}

//  Encodes the body frame; NULL when a field is too long, the content larger
//  than a chunk, or memory ran out
static zframe_t *
s_encode_body (zs_proto_t *self, int index)
{
    writer_t w = { NULL, 0, 0, false };
    byte header[4] = { 'Z', 'S', ZS_PROTO_VERSION, (byte) self->id };
    s_put (&w, header, sizeof (header));
    for (const int *field = s_messages[index].fields; *field != END; field++)
        s_encode_field (self, &w, *field);
    //  Refuse what decode would refuse
    if (s_messages[index].has_data && self->data && zframe_size (self->data) > ZS_CHUNK_SIZE)
        w.failed = true;
    zframe_t *body = w.failed ? NULL : zframe_new (w.data, w.size);
    free (w.data);
    return body;
}

zmsg_t *
zs_proto_encode (zs_proto_t *self)
{
    assert (self);
    int index = s_message_index (self->id);
    assert (index >= 0);
    zframe_t *body = s_encode_body (self, index);
    if (!body)
        return NULL;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &body);
    if (s_messages[index].has_data) {
        zframe_t *data = self->data ? zframe_dup (self->data) : zframe_new_empty ();
        zmsg_append (msg, &data);
    }
    return msg;
}

static int
s_decode_field (zs_proto_t *self, reader_t *r, int field)
{
    const char *name = s_fields[field].name;
    switch (s_fields[field].type) {
        case T_U8: return s_get_number (r, &self->number[field], 1, name);
        case T_U16: return s_get_number (r, &self->number[field], 2, name);
        case T_U32: return s_get_number (r, &self->number[field], 4, name);
        case T_U64: return s_get_number (r, &self->number[field], 8, name);
        case T_STRING: return s_get_string (r, &self->string[field], s_fields[field].max, name);
        case T_CHECKSUM: return s_get_bytes (r, self->checksum, ZS_CHECKSUM_SIZE, name);
        case T_INSTANCE: return s_get_bytes (r, self->instance, ZS_INSTANCE_SIZE, name);
        case T_ENTRIES: {
            uint64_t count = 0;
            if (s_get_number (r, &count, 4, name))
                return -1;
            for (uint64_t index = 0; index < count; index++) {
                zs_fileinfo_t *entry = zs_fileinfo_new ();
                if (!entry || !s_entries (self))
                    return s_fail (r, "out of memory reading entries");
                if (s_get_fileinfo (r, entry)) {
                    zs_fileinfo_destroy (&entry);
                    return -1;
                }
                zlistx_add_end (self->entries, entry);
            }
            return 0;
        }
        case T_BUCKETS: {
            uint64_t count = 0;
            if (s_get_number (r, &count, 4, name))
                return -1;
            for (uint64_t index = 0; index < count; index++) {
                zs_bucketinfo_t *bucket = zs_bucketinfo_new ();
                if (!bucket || !s_buckets (self))
                    return s_fail (r, "out of memory reading buckets");
                if (s_get_bucketinfo (r, bucket)) {
                    zs_bucketinfo_destroy (&bucket);
                    return -1;
                }
                zlistx_add_end (self->buckets, bucket);
            }
            return 0;
        }
        case T_ATTRS: {
            uint64_t count = 0;
            if (s_get_number (r, &count, 4, name))
                return -1;
            for (uint64_t index = 0; index < count; index++) {
                char *key = NULL, *value = NULL;
                int rc = s_get_string (r, &key, ZS_BUCKET_ID_MAX, "attribute name");
                if (rc == 0)
                    rc = s_get_string (r, &value, ZS_TEXT_MAX, "attribute value");
                if (rc == 0 && s_attrs (self))
                    zhashx_update (self->attrs, key, value);
                free (key);
                free (value);
                if (rc)
                    return -1;
            }
            return 0;
        }
    }
    return s_fail (r, "unknown field type");
}

int
zs_proto_decode (zs_proto_t *self, zmsg_t **msg_p)
{
    assert (self);
    assert (msg_p);
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    zs_proto_reset (self);
    self->id = 0;
    self->error[0] = 0;
    zframe_destroy (&self->body);
    reader_t r = { NULL, 0, 0, self->error, sizeof (self->error) };

    int rc = -1;
    zframe_t *body = msg ? zmsg_pop (msg) : NULL;
    if (!body) {
        s_fail (&r, "empty message");
        goto done;
    }
    r.data = zframe_data (body);
    r.size = zframe_size (body);
    if (r.size < 4 || r.data[0] != 'Z' || r.data[1] != 'S') {
        s_fail (&r, "not a zstore message (bad signature)");
        goto done;
    }
    if (r.data[2] != ZS_PROTO_VERSION) {
        s_fail (&r, "protocol version %d, expected %d", r.data[2], ZS_PROTO_VERSION);
        goto done;
    }
    int index = s_message_index (r.data[3]);
    if (index < 0) {
        s_fail (&r, "unknown message id %d", r.data[3]);
        goto done;
    }
    self->id = s_messages[index].id;
    r.offset = 4;
    for (const int *field = s_messages[index].fields; *field != END; field++)
        if (s_decode_field (self, &r, *field))
            goto done;
    if (r.offset != r.size) {
        s_fail (&r, "%zu bytes after the last field of %s", r.size - r.offset,
                s_messages[index].name);
        goto done;
    }
    size_t frames = zmsg_size (msg);
    size_t expected = s_messages[index].has_data ? 1 : 0;
    if (frames != expected) {
        s_fail (&r, "%s has %zu frames after its body, expected %zu", s_messages[index].name,
                frames, expected);
        goto done;
    }
    if (expected) {
        self->data = zmsg_pop (msg);
        if (zframe_size (self->data) > ZS_CHUNK_SIZE) {
            s_fail (&r, "chunk of %zu bytes, more than %d", zframe_size (self->data),
                    ZS_CHUNK_SIZE);
            goto done;
        }
    }
    rc = 0;
done:
    if (rc) {
        //  Keep what identifies the request, so the error can be answered
        uint64_t request = self->number[F_REQUEST];
        uint64_t transfer = self->number[F_TRANSFER];
        zs_proto_reset (self);
        self->number[F_REQUEST] = request;
        self->number[F_TRANSFER] = transfer;
    }
    self->body = body;
    zmsg_destroy (&msg);
    return rc;
}

//  Takes msg, received from input
static int
s_take (zs_proto_t *self, zsock_t *input, zmsg_t *msg)
{
    if (zsock_type (input) == ZMQ_ROUTER) {
        zframe_destroy (&self->routing_id);
        self->routing_id = zmsg_pop (msg);
        if (!self->routing_id || zmsg_size (msg) == 0) {
            zmsg_destroy (&msg);
            snprintf (self->error, sizeof (self->error), "no routing id");
            return -1;
        }
    }
    return zs_proto_decode (self, &msg);
}

int
zs_proto_recv (zs_proto_t *self, zsock_t *input)
{
    assert (self);
    assert (input);
    zs_proto_reset (self);
    self->id = 0;
    zmsg_t *msg = zmsg_recv (input);
    if (!msg) {
        snprintf (self->error, sizeof (self->error), "interrupted");
        return -1;
    }
    return s_take (self, input, msg);
}

int
zs_proto_recv_waiting (zs_proto_t *self, zsock_t *input)
{
    assert (self);
    assert (input);
    //  czmq marks a receive that does not wait as poor style next to a
    //  poller; here it follows one, to drain what the poller found
    zmsg_t *msg = zmsg_recv_nowait (input);
    if (!msg)
        return 1;
    zs_proto_reset (self);
    self->id = 0;
    return s_take (self, input, msg);
}

int
zs_proto_send (zs_proto_t *self, zsock_t *output)
{
    assert (self);
    assert (output);
    int index = s_message_index (self->id);
    assert (index >= 0);
    zframe_t *body = s_encode_body (self, index);
    if (!body) {
        errno = EMSGSIZE;
        return -1;
    }
    bool with_data = s_messages[index].has_data;
    if (zsock_type (output) == ZMQ_ROUTER) {
        assert (self->routing_id);
        if (zframe_send (&self->routing_id, output, ZFRAME_MORE | ZFRAME_REUSE)) {
            zframe_destroy (&body);
            return -1;
        }
    }
    //  Once the first frame is accepted, libzmq takes the rest of the message
    if (zframe_send (&body, output, with_data ? ZFRAME_MORE : 0)) {
        zframe_destroy (&body);
        return -1;
    }
    if (!with_data)
        return 0;
    //  The content goes by reference: libzmq shares the buffer, no copy
    if (self->data)
        return zframe_send (&self->data, output, ZFRAME_REUSE);
    zframe_t *empty = zframe_new_empty ();
    return zframe_send (&empty, output, 0);
}

const char *
zs_proto_error (zs_proto_t *self)
{
    assert (self);
    return self->error;
}

int
zs_proto_id (zs_proto_t *self)
{
    assert (self);
    return self->id;
}

void
zs_proto_set_id (zs_proto_t *self, int id)
{
    assert (self);
    assert (s_message_index (id) >= 0);
    self->id = id;
}

const char *
zs_proto_command_name (int id)
{
    int index = s_message_index (id);
    return index < 0 ? "?" : s_messages[index].name;
}

const char *
zs_proto_command (zs_proto_t *self)
{
    assert (self);
    return zs_proto_command_name (self->id);
}

zframe_t *
zs_proto_routing_id (zs_proto_t *self)
{
    assert (self);
    return self->routing_id;
}

void
zs_proto_set_routing_id (zs_proto_t *self, zframe_t *routing_id)
{
    assert (self);
    zframe_destroy (&self->routing_id);
    self->routing_id = routing_id ? zframe_dup (routing_id) : NULL;
}

const char *
zs_proto_meta (zs_proto_t *self, const char *property)
{
    assert (self);
    return self->body ? zframe_meta (self->body, property) : NULL;
}

//  Accessors: one pair per field, all alike

#define NUMBER_FIELD(field, FIELD, type)                                                           \
    type zs_proto_##field (zs_proto_t *self)                                                       \
    {                                                                                              \
        assert (self);                                                                             \
        return (type) self->number[FIELD];                                                         \
    }                                                                                              \
    void zs_proto_set_##field (zs_proto_t *self, type value)                                       \
    {                                                                                              \
        assert (self);                                                                             \
        self->number[FIELD] = value;                                                               \
    }

#define STRING_GETTER(field, FIELD)                                                                \
    const char *zs_proto_##field (zs_proto_t *self)                                                \
    {                                                                                              \
        assert (self);                                                                             \
        return self->string[FIELD] ? self->string[FIELD] : "";                                     \
    }

#define STRING_FIELD(field, FIELD)                                                                 \
    STRING_GETTER (field, FIELD)                                                                   \
    void zs_proto_set_##field (zs_proto_t *self, const char *value)                                \
    {                                                                                              \
        assert (self);                                                                             \
        free (self->string[FIELD]);                                                                \
        self->string[FIELD] = value ? strdup (value) : NULL;                                       \
    }

NUMBER_FIELD (request, F_REQUEST, uint64_t)
NUMBER_FIELD (transfer, F_TRANSFER, uint64_t)
STRING_FIELD (user, F_USER)
STRING_FIELD (name, F_NAME)
NUMBER_FIELD (version, F_VERSION, uint64_t)
NUMBER_FIELD (size, F_SIZE, uint64_t)
NUMBER_FIELD (replicas, F_REPLICAS, uint8_t)
NUMBER_FIELD (copies, F_COPIES, uint8_t)
NUMBER_FIELD (stamp, F_STAMP, uint64_t)
NUMBER_FIELD (seq, F_SEQ, uint32_t)
NUMBER_FIELD (limit, F_LIMIT, uint32_t)
NUMBER_FIELD (crc, F_CRC, uint32_t)
NUMBER_FIELD (status, F_STATUS, uint16_t)
STRING_GETTER (reason, F_REASON)
STRING_FIELD (bucket, F_BUCKET)
STRING_FIELD (zone, F_ZONE)
NUMBER_FIELD (capacity, F_CAPACITY, uint64_t)
NUMBER_FIELD (used, F_USED, uint64_t)
NUMBER_FIELD (free, F_FREE, uint64_t)
NUMBER_FIELD (files, F_FILES, uint64_t)
NUMBER_FIELD (heartbeat, F_HEARTBEAT, uint32_t)
NUMBER_FIELD (liveness, F_LIVENESS, uint32_t)
NUMBER_FIELD (clock, F_CLOCK, uint64_t)
NUMBER_FIELD (more, F_MORE, uint8_t)
STRING_FIELD (pending, F_PENDING)
NUMBER_FIELD (under_replicated, F_UNDER_REPLICATED, uint64_t)
NUMBER_FIELD (recovering, F_RECOVERING, uint8_t)
NUMBER_FIELD (uptime, F_UPTIME, uint64_t)
NUMBER_FIELD (sequence, F_SEQUENCE, uint64_t)
STRING_FIELD (kind, F_KIND)
NUMBER_FIELD (repairs, F_REPAIRS, uint64_t)
NUMBER_FIELD (repairing, F_REPAIRING, uint32_t)
NUMBER_FIELD (repair_bytes, F_REPAIR_BYTES, uint64_t)
NUMBER_FIELD (repair_rate, F_REPAIR_RATE, uint64_t)

void
zs_proto_set_reason (zs_proto_t *self, const char *format, ...)
{
    assert (self);
    va_list args;
    va_start (args, format);
    free (self->string[F_REASON]);
    self->string[F_REASON] = zsys_vprintf (format, args);
    va_end (args);
    //  Keep a long reason sendable: cut it at a character boundary
    char *reason = self->string[F_REASON];
    if (reason && strlen (reason) > ZS_TEXT_MAX) {
        size_t cut = ZS_TEXT_MAX;
        while (cut > 0 && (reason[cut] & 0xC0) == 0x80)
            cut--;
        reason[cut] = 0;
    }
}

const byte *
zs_proto_checksum (zs_proto_t *self)
{
    assert (self);
    return self->checksum;
}

void
zs_proto_set_checksum (zs_proto_t *self, const byte *checksum)
{
    assert (self);
    memcpy (self->checksum, checksum, ZS_CHECKSUM_SIZE);
}

const byte *
zs_proto_instance (zs_proto_t *self)
{
    assert (self);
    return self->instance;
}

void
zs_proto_set_instance (zs_proto_t *self, const byte *instance)
{
    assert (self);
    memcpy (self->instance, instance, ZS_INSTANCE_SIZE);
}

zlistx_t *
zs_proto_entries (zs_proto_t *self)
{
    assert (self);
    return s_entries (self);
}

void
zs_proto_add_entry (zs_proto_t *self, const zs_fileinfo_t *entry)
{
    assert (self);
    zs_fileinfo_t *copy = zs_fileinfo_dup (entry);
    if (copy && s_entries (self))
        zlistx_add_end (self->entries, copy);
    else
        zs_fileinfo_destroy (&copy);
}

size_t
zs_proto_entries_size (zs_proto_t *self)
{
    assert (self);
    return self->entries ? zlistx_size (self->entries) : 0;
}

zlistx_t *
zs_proto_buckets (zs_proto_t *self)
{
    assert (self);
    return s_buckets (self);
}

void
zs_proto_add_bucket (zs_proto_t *self, zs_bucketinfo_t **bucket_p)
{
    assert (self);
    if (*bucket_p && s_buckets (self)) {
        zlistx_add_end (self->buckets, *bucket_p);
        *bucket_p = NULL;
    }
    zs_bucketinfo_destroy (bucket_p);
}

zhashx_t *
zs_proto_attrs (zs_proto_t *self)
{
    assert (self);
    return s_attrs (self);
}

void
zs_proto_set_attr (zs_proto_t *self, const char *key, const char *format, ...)
{
    assert (self);
    va_list args;
    va_start (args, format);
    char *value = zsys_vprintf (format, args);
    va_end (args);
    if (value && s_attrs (self))
        zhashx_update (self->attrs, key, value);
    free (value);
}

const char *
zs_proto_attr (zs_proto_t *self, const char *key)
{
    assert (self);
    return self->attrs ? (const char *) zhashx_lookup (self->attrs, key) : NULL;
}

zframe_t *
zs_proto_data (zs_proto_t *self)
{
    assert (self);
    return self->data;
}

void
zs_proto_set_data (zs_proto_t *self, zframe_t **data_p)
{
    assert (self);
    zframe_destroy (&self->data);
    self->data = *data_p;
    *data_p = NULL;
}

void
zs_proto_print (zs_proto_t *self, const char *prefix)
{
    assert (self);
    int index = s_message_index (self->id);
    if (index < 0) {
        zsys_debug ("%s: (no message)", prefix);
        return;
    }
    char line[512];
    size_t used = (size_t) snprintf (line, sizeof (line), "%s: %s", prefix, s_messages[index].name);
    for (const int *field = s_messages[index].fields; *field != END && used < sizeof (line);
         field++) {
        int written = 0;
        switch (s_fields[*field].type) {
            case T_STRING:
                written =
                    snprintf (line + used, sizeof (line) - used, " %s=%.64s", s_fields[*field].name,
                              self->string[*field] ? self->string[*field] : "");
                break;
            case T_U8:
            case T_U16:
            case T_U32:
            case T_U64:
                written = snprintf (line + used, sizeof (line) - used, " %s=%" PRIu64,
                                    s_fields[*field].name, self->number[*field]);
                break;
            default: break;
        }
        if (written > 0)
            used += (size_t) written;
    }
    if (self->data && used < sizeof (line))
        snprintf (line + used, sizeof (line) - used, " data=%zu", zframe_size (self->data));
    zsys_debug ("%s", line);
}
