/*  zs_proto - the zstore wire protocol: every message, one codec

    Every message between client, gateway, bucket and monitor is one body
    frame, optionally followed by one data frame (file content). The body
    starts with a signature, the protocol version and the message id; the
    fields of each message follow in a fixed order. docs/PROTOCOL.md
    documents every message and field; the table in zs_proto.c is the
    single source of truth for both.

    A message received on a ROUTER socket carries the peer's routing id,
    and a message sent on a ROUTER goes to the routing id set on it.
*/

#ifndef ZS_PROTO_H_INCLUDED
#define ZS_PROTO_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_PROTO_VERSION 2

//  Protocol limits, checked by the codec on every message
#define ZS_USER_MAX      64        //  Bytes in a user name
#define ZS_NAME_MAX      1024      //  Bytes in a file name
#define ZS_BUCKET_ID_MAX 64        //  Bytes in a bucket id or a zone
#define ZS_TEXT_MAX      4096      //  Bytes in a reason, an event value or a bucket list
#define ZS_REPLICAS_MAX  16        //  Copies of one file
#define ZS_CHUNK_SIZE    (1 << 20) //  Bytes in every chunk but the last
#define ZS_WINDOW        2         //  Chunks a sender may have unacknowledged

#define ZS_CHECKSUM_SIZE 32 //  BLAKE2b-256 of a file's content
#define ZS_INSTANCE_SIZE 16 //  A bucket's data folder identity

//  Message ids: client and gateway
#define ZS_PROTO_PUT_BEGIN   1
#define ZS_PROTO_PUT_CHUNK   2
#define ZS_PROTO_PUT_END     3
#define ZS_PROTO_PUT_CREDIT  4
#define ZS_PROTO_PUT_OK      5
#define ZS_PROTO_GET         6
#define ZS_PROTO_GET_BEGIN   7
#define ZS_PROTO_GET_CHUNK   8
#define ZS_PROTO_GET_CREDIT  9
#define ZS_PROTO_STAT        10
#define ZS_PROTO_STAT_OK     11
#define ZS_PROTO_LIST        12
#define ZS_PROTO_LIST_OK     13
#define ZS_PROTO_REMOVE      14
#define ZS_PROTO_REMOVE_OK   15
#define ZS_PROTO_REPLICAS    16
#define ZS_PROTO_REPLICAS_OK 17
#define ZS_PROTO_STATUS      18
#define ZS_PROTO_STATUS_OK   19
#define ZS_PROTO_CANCEL      20
#define ZS_PROTO_FAILED      21
#define ZS_PROTO_ADMIN       22
#define ZS_PROTO_ADMIN_OK    23
//  Message ids: gateway and bucket
#define ZS_PROTO_REGISTER      40
#define ZS_PROTO_WELCOME       41
#define ZS_PROTO_REFUSED       42
#define ZS_PROTO_INVENTORY     43
#define ZS_PROTO_INVENTORY_ACK 44
#define ZS_PROTO_HEARTBEAT     45
#define ZS_PROTO_REREGISTER    46
#define ZS_PROTO_STORE_BEGIN   47
#define ZS_PROTO_STORE_CHUNK   48
#define ZS_PROTO_STORE_END     49
#define ZS_PROTO_STORE_ACK     50
#define ZS_PROTO_STORE_READY   51
#define ZS_PROTO_COMMIT        52
#define ZS_PROTO_FETCH         53
#define ZS_PROTO_FETCH_CHUNK   54
#define ZS_PROTO_FETCH_CREDIT  55
#define ZS_PROTO_ABORT         56
#define ZS_PROTO_DROP          57
#define ZS_PROTO_DELETE        58
#define ZS_PROTO_FORGET        59
#define ZS_PROTO_SET_REPLICAS  60
#define ZS_PROTO_DONE          61
#define ZS_PROTO_COPY_LOST     62
//  Message ids: gateway events
#define ZS_PROTO_EVENT 80

//  Status codes in FAILED and DONE
#define ZS_STATUS_OK          0
#define ZS_STATUS_BAD_REQUEST 400 //  Malformed or invalid request
#define ZS_STATUS_FORBIDDEN   403 //  Not with this key (secure mode)
#define ZS_STATUS_NOT_FOUND   404 //  No such file (or copy, on a bucket)
#define ZS_STATUS_CONFLICT    409 //  Changed or claimed by someone else meanwhile
#define ZS_STATUS_GONE        410 //  The gateway knows no such put (it restarted)
#define ZS_STATUS_TOO_LARGE   413 //  Over a size limit
#define ZS_STATUS_CORRUPT     422 //  A copy failed its checksum
#define ZS_STATUS_BUSY        429 //  Too many transfers in flight on one connection
#define ZS_STATUS_INTERNAL    500 //  I/O or other local failure
#define ZS_STATUS_UNAVAILABLE 503 //  Not enough live buckets
#define ZS_STATUS_TIMEOUT     504 //  A peer did not answer in time
#define ZS_STATUS_RECOVERING  505 //  Gateway rebuilding its index: retry
#define ZS_STATUS_NO_SPACE    507 //  Not enough free space

//  Flags of a file record
#define ZS_FILE_TOMBSTONE 1 //  The record is a removal, not a copy

//  A file as listed, reported in an inventory, or removed (tombstone)
typedef struct {
    char *user;                      //  Owner
    char *name;                      //  Name in the owner's namespace
    uint64_t version;                //  Version of the content, or of the removal
    uint64_t size;                   //  Bytes of content
    uint64_t stamp;                  //  Version of the replica count
    uint8_t desired;                 //  Replica count asked for
    uint8_t actual;                  //  Live copies (in gateway replies)
    uint8_t flags;                   //  ZS_FILE_ flags
    byte checksum[ZS_CHECKSUM_SIZE]; //  BLAKE2b-256 of the content
    char *buckets;                   //  Comma-separated holders, or buckets a removal waits for
} zs_fileinfo_t;

//  A bucket as the gateway sees it
typedef struct {
    char *id;               //  Bucket id
    char *zone;             //  Failure zone, may be empty
    char *address;          //  Peer address as the gateway sees it
    char *state;            //  alive, suspect or dead
    uint64_t heartbeat_age; //  Milliseconds since the last message
    uint32_t rtt;           //  Heartbeat round trip, microseconds
    uint64_t files;         //  Copies held
    uint64_t used;          //  Bytes used
    uint64_t free;          //  Bytes free
    uint64_t capacity;      //  Bytes the bucket may use in all
} zs_bucketinfo_t;

typedef struct _zs_proto_t zs_proto_t;

//  Create and destroy file and bucket records
zs_fileinfo_t *zs_fileinfo_new (void);
zs_fileinfo_t *zs_fileinfo_dup (const zs_fileinfo_t *self);
void zs_fileinfo_destroy (zs_fileinfo_t **self_p);
zs_bucketinfo_t *zs_bucketinfo_new (void);
void zs_bucketinfo_destroy (zs_bucketinfo_t **self_p);

//  Create a new empty message
zs_proto_t *zs_proto_new (void);

//  Destroy a message
void zs_proto_destroy (zs_proto_t **self_p);

//  Receive and decode a message. Returns 0 when a valid message was read,
//  -1 when none was (interrupted) or it was malformed: zs_proto_error then
//  says why, and the routing id and request are kept when they could be read.
int zs_proto_recv (zs_proto_t *self, zsock_t *input);

//  As zs_proto_recv, for a message waiting on input already: returns 1, at
//  once, when none is. A loop takes the messages waiting on a socket in one
//  turn of its poller, up to ZS_PROTO_BATCH_MAX: each turn costs system calls
//  for every socket polled, and so does asking a socket whether a message
//  waits, while a receive that finds one costs none.
#define ZS_PROTO_BATCH_MAX 32
int zs_proto_recv_waiting (zs_proto_t *self, zsock_t *input);

//  Encode and send the message. The data frame, if any, is kept and sent by
//  reference, so one message can be sent to several peers without copying
//  its content. Returns 0, or -1 with errno set (EHOSTUNREACH: unknown peer
//  on a mandatory ROUTER; EAGAIN: the peer's queue is full).
int zs_proto_send (zs_proto_t *self, zsock_t *output);

//  Decode a message from frames (without routing id); takes ownership.
//  Returns 0 or -1 as zs_proto_recv.
int zs_proto_decode (zs_proto_t *self, zmsg_t **msg_p);

//  Encode the message into frames (without routing id)
zmsg_t *zs_proto_encode (zs_proto_t *self);

//  Why the last decode failed
const char *zs_proto_error (zs_proto_t *self);

//  Clear every field; the message id stays
void zs_proto_reset (zs_proto_t *self);

//  The message id, and its name for logs
int zs_proto_id (zs_proto_t *self);
void zs_proto_set_id (zs_proto_t *self, int id);
const char *zs_proto_command (zs_proto_t *self);
const char *zs_proto_command_name (int id);

//  Peer's routing id on a ROUTER socket
zframe_t *zs_proto_routing_id (zs_proto_t *self);
void zs_proto_set_routing_id (zs_proto_t *self, zframe_t *routing_id);

//  A property of the peer that sent the message ("Peer-Address", "User-Id")
const char *zs_proto_meta (zs_proto_t *self, const char *property);

//  Fields
uint64_t zs_proto_request (zs_proto_t *self);
void zs_proto_set_request (zs_proto_t *self, uint64_t request);
uint64_t zs_proto_transfer (zs_proto_t *self);
void zs_proto_set_transfer (zs_proto_t *self, uint64_t transfer);
const char *zs_proto_user (zs_proto_t *self);
void zs_proto_set_user (zs_proto_t *self, const char *user);
const char *zs_proto_name (zs_proto_t *self);
void zs_proto_set_name (zs_proto_t *self, const char *name);
uint64_t zs_proto_version (zs_proto_t *self);
void zs_proto_set_version (zs_proto_t *self, uint64_t version);
uint64_t zs_proto_size (zs_proto_t *self);
void zs_proto_set_size (zs_proto_t *self, uint64_t size);
uint8_t zs_proto_replicas (zs_proto_t *self);
void zs_proto_set_replicas (zs_proto_t *self, uint8_t replicas);
uint8_t zs_proto_copies (zs_proto_t *self);
void zs_proto_set_copies (zs_proto_t *self, uint8_t copies);
uint64_t zs_proto_stamp (zs_proto_t *self);
void zs_proto_set_stamp (zs_proto_t *self, uint64_t stamp);
uint32_t zs_proto_seq (zs_proto_t *self);
void zs_proto_set_seq (zs_proto_t *self, uint32_t seq);
uint32_t zs_proto_limit (zs_proto_t *self);
void zs_proto_set_limit (zs_proto_t *self, uint32_t limit);
uint32_t zs_proto_crc (zs_proto_t *self);
void zs_proto_set_crc (zs_proto_t *self, uint32_t crc);
const byte *zs_proto_checksum (zs_proto_t *self);
void zs_proto_set_checksum (zs_proto_t *self, const byte *checksum);
uint16_t zs_proto_status (zs_proto_t *self);
void zs_proto_set_status (zs_proto_t *self, uint16_t status);
const char *zs_proto_reason (zs_proto_t *self);
void zs_proto_set_reason (zs_proto_t *self, const char *format, ...) CHECK_PRINTF (2);
const char *zs_proto_bucket (zs_proto_t *self);
void zs_proto_set_bucket (zs_proto_t *self, const char *bucket);
const char *zs_proto_zone (zs_proto_t *self);
void zs_proto_set_zone (zs_proto_t *self, const char *zone);
const byte *zs_proto_instance (zs_proto_t *self);
void zs_proto_set_instance (zs_proto_t *self, const byte *instance);
uint64_t zs_proto_capacity (zs_proto_t *self);
void zs_proto_set_capacity (zs_proto_t *self, uint64_t capacity);
uint64_t zs_proto_used (zs_proto_t *self);
void zs_proto_set_used (zs_proto_t *self, uint64_t used);
uint64_t zs_proto_free (zs_proto_t *self);
void zs_proto_set_free (zs_proto_t *self, uint64_t free);
uint64_t zs_proto_files (zs_proto_t *self);
void zs_proto_set_files (zs_proto_t *self, uint64_t files);
uint32_t zs_proto_heartbeat (zs_proto_t *self);
void zs_proto_set_heartbeat (zs_proto_t *self, uint32_t heartbeat);
uint32_t zs_proto_liveness (zs_proto_t *self);
void zs_proto_set_liveness (zs_proto_t *self, uint32_t liveness);
uint64_t zs_proto_clock (zs_proto_t *self);
void zs_proto_set_clock (zs_proto_t *self, uint64_t clock);
uint8_t zs_proto_more (zs_proto_t *self);
void zs_proto_set_more (zs_proto_t *self, uint8_t more);
const char *zs_proto_pending (zs_proto_t *self);
void zs_proto_set_pending (zs_proto_t *self, const char *pending);
uint64_t zs_proto_under_replicated (zs_proto_t *self);
void zs_proto_set_under_replicated (zs_proto_t *self, uint64_t under_replicated);
uint8_t zs_proto_recovering (zs_proto_t *self);
void zs_proto_set_recovering (zs_proto_t *self, uint8_t recovering);
uint64_t zs_proto_uptime (zs_proto_t *self);
void zs_proto_set_uptime (zs_proto_t *self, uint64_t uptime);
uint64_t zs_proto_sequence (zs_proto_t *self);
void zs_proto_set_sequence (zs_proto_t *self, uint64_t sequence);
const char *zs_proto_kind (zs_proto_t *self);
void zs_proto_set_kind (zs_proto_t *self, const char *kind);
uint64_t zs_proto_repairs (zs_proto_t *self);
void zs_proto_set_repairs (zs_proto_t *self, uint64_t repairs);
uint32_t zs_proto_repairing (zs_proto_t *self);
void zs_proto_set_repairing (zs_proto_t *self, uint32_t repairing);
uint64_t zs_proto_repair_bytes (zs_proto_t *self);
void zs_proto_set_repair_bytes (zs_proto_t *self, uint64_t repair_bytes);
uint64_t zs_proto_repair_rate (zs_proto_t *self);
void zs_proto_set_repair_rate (zs_proto_t *self, uint64_t repair_rate);

//  File records (LIST_OK, STAT_OK, INVENTORY): a list of zs_fileinfo_t,
//  owned by the message. Append copies a record into the message.
zlistx_t *zs_proto_entries (zs_proto_t *self);
void zs_proto_add_entry (zs_proto_t *self, const zs_fileinfo_t *entry);
size_t zs_proto_entries_size (zs_proto_t *self);

//  Bucket records (STATUS_OK): a list of zs_bucketinfo_t, owned by the message.
//  Append takes ownership of the record.
zlistx_t *zs_proto_buckets (zs_proto_t *self);
void zs_proto_add_bucket (zs_proto_t *self, zs_bucketinfo_t **bucket_p);

//  Event attributes (EVENT): string keys and values, owned by the message
zhashx_t *zs_proto_attrs (zs_proto_t *self);
void zs_proto_set_attr (zs_proto_t *self, const char *key, const char *format, ...)
    CHECK_PRINTF (3);
const char *zs_proto_attr (zs_proto_t *self, const char *key);

//  The data frame: chunk content. Set takes ownership; get keeps it.
zframe_t *zs_proto_data (zs_proto_t *self);
void zs_proto_set_data (zs_proto_t *self, zframe_t **data_p);

//  Log the message (its command and main fields) with a prefix
void zs_proto_print (zs_proto_t *self, const char *prefix);

#ifdef __cplusplus
}
#endif

#endif
