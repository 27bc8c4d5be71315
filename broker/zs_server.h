/*  zs_server - the gateway's state, shared by its parts (internal)

    The gateway is one actor (zs_gateway) whose work is split by subject:
        zs_members    buckets: registration, inventories, heartbeats, loss
        zs_transfers  content in motion: put, get, and copies between buckets
        zs_files      everything else a client asks, and the background
                      work that makes buckets converge on the index
        zs_repair     background copies: repair, drain and rebalancing
        zs_access     who may do what: keys in secure mode, and the limits
    They share this state and run on the actor's one thread.
*/

#ifndef ZS_SERVER_H_INCLUDED
#define ZS_SERVER_H_INCLUDED

#include "zs_cache.h"
#include "zs_events.h"
#include "zs_index.h"
#include "zs_keyring.h"
#include "zs_placement.h"
#include "zs_proto.h"
#include "zs_registry.h"
#include "zs_secure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { ZS_TRANSFER_PUT, ZS_TRANSFER_GET, ZS_TRANSFER_COPY } zs_transfer_kind_t;

//  Why a copy is made
typedef enum {
    ZS_COPY_REPLICAS, //  A client raised the replica count and waits
    ZS_COPY_REPAIR,   //  Copies were lost: background, rate-limited
    ZS_COPY_MOVE      //  Rebalancing: background, the source copy goes once done
} zs_copy_purpose_t;

//  A bucket receiving content
typedef struct {
    uint16_t slot;  //  The bucket
    uint32_t acked; //  Chunks it has written
    bool ready;     //  It has all the content, durable, waiting for COMMIT
    bool stored;    //  It answered DONE to COMMIT: the copy is durable and in place
    bool failed;    //  It failed or went away
} zs_sink_t;

//  Content in motion: from a client or a bucket, to buckets or a client
typedef struct {
    uint64_t id; //  Transfer id, as buckets know it
    zs_transfer_kind_t kind;
    zs_copy_purpose_t purpose;          //  A copy: why it is made
    int move_from;                      //  A move: slot of the bucket to drop the copy from
    zframe_t *client;                   //  Client's routing id (put, get, or replicas)
    uint64_t request;                   //  Client's request id
    bool client_gone;                   //  The client left: nothing more to tell it
    char *user;                         //  Owner of the file
    char *name;                         //  Its name
    uint64_t version;                   //  Version being moved
    uint64_t size;                      //  Its size (a put: the hint, then the real size)
    uint64_t stamp;                     //  Version of the replica count
    byte checksum[ZS_CHECKSUM_SIZE];    //  Content checksum (put: known at the end)
    uint8_t desired;                    //  Replica count written with the copies
    uint64_t reserved;                  //  Bytes reserved on each sink
    int source;                         //  Get or copy: slot of the bucket read, -1 if none
    uint16_t tried[ZS_INDEX_SLOTS_MAX]; //  Buckets already read from, or failed
    uint8_t tried_count;
    uint32_t chunks;                  //  Chunks in the file (put: counted as they come)
    uint32_t forwarded;               //  Chunks passed on so far
    uint64_t bytes;                   //  Bytes passed on so far
    uint32_t source_limit;            //  Chunks the source may send
    uint32_t client_limit;            //  Get: chunks the client accepts
    zframe_t *content;                //  Put of one small chunk: it, for the cache
    uint32_t content_crc;             //  Its CRC-32C, as the client gave it
    bool ended;                       //  The end went to the sinks
    bool committing;                  //  Every sink was ready: COMMIT went to them
    zs_sink_t sinks[ZS_REPLICAS_MAX]; //  Buckets written to
    uint8_t sink_count;
    int64_t active; //  Monotonic ms of the last progress
    bool finished;  //  Done or failed: freed after the current message
} zs_transfer_t;

typedef enum { ZS_OP_REMOVE, ZS_OP_REPLICAS, ZS_OP_CLEANUP, ZS_OP_TRIM } zs_op_kind_t;

//  Small requests sent to some buckets, done when all have answered
typedef struct {
    uint64_t id; //  Transfer id of the requests
    zs_op_kind_t kind;
    zframe_t *client; //  Who waits for the answer, if anyone
    uint64_t request;
    char *user;
    char *name;
    uint64_t version;                     //  Version the requests concern
    uint8_t replicas;                     //  Replicas: the new count
    uint16_t waiting[ZS_INDEX_SLOTS_MAX]; //  Buckets yet to answer
    uint8_t waiting_count;
    uint16_t done[ZS_INDEX_SLOTS_MAX]; //  Buckets that did it
    uint8_t done_count;
    uint16_t failed[ZS_INDEX_SLOTS_MAX]; //  Buckets that did not
    uint8_t failed_count;
    uint16_t dropping[ZS_INDEX_SLOTS_MAX]; //  Replicas, trim: buckets told to drop their copy
    uint8_t dropping_count;
    char reason[256]; //  First failure, for the client
    int64_t deadline; //  Monotonic ms; unanswered buckets fail then
} zs_op_t;

//  A file waiting for background copies
typedef struct {
    char *key;      //  "user/name"
    uint8_t live;   //  Live copies when it was queued: fewer goes first
    uint64_t bytes; //  Bytes to copy
    int move_from;  //  A move: slot of the fuller bucket; -1 for a repair
    int move_to;    //  A move: slot of the emptier bucket
} zs_pending_copy_t;

typedef struct _zs_repair_scan_t zs_repair_scan_t;

//  Background copies: repair of lost copies, drains and rebalancing, run
//  a few at a time within a byte rate, so that clients keep their latency
typedef struct {
    zlistx_t *queue;         //  zs_pending_copy_t, repairs by fewest live copies, then moves
    uint64_t queued_bytes;   //  Bytes the files in the queue have to copy
    size_t active;           //  Background copies in flight
    bool dirty;              //  The index must be looked at again
    int64_t next_scan;       //  Monotonic ms of the next look at the index
    zs_repair_scan_t *scan;  //  A look going through the index a slice per tick
    int64_t tokens;          //  Bytes background copies may move now
    int64_t refilled;        //  Monotonic ms of the last refill
    uint64_t moved;          //  Bytes moved since the rate was last measured
    int64_t measured;        //  Monotonic ms of the last measure
    uint64_t rate;           //  Bytes/s lately
    uint64_t active_bytes;   //  Bytes left in the copies in flight
    uint64_t overflow;       //  Files short of copies left out of the queue at the last scan
    uint64_t overflow_bytes; //  Their bytes
    int64_t next_rebalance;  //  Monotonic ms of the next continuous rebalance pass
} zs_background_t;

typedef struct {
    //  Settings
    int64_t heartbeat;          //  ms between heartbeats
    int64_t liveness;           //  Heartbeats missed before a bucket is dead
    uint8_t default_replicas;   //  Copies of a file when the client does not say
    int64_t transfer_timeout;   //  ms without progress before a transfer fails
    int64_t recovery;           //  ms after start before absent files count as missing
    int64_t tombstone_grace;    //  ms a tombstone outlives the last bucket to see it
    int64_t repair_grace;       //  ms a bucket may be dead before its copies are made again
    size_t repair_streams;      //  Background copies at once
    size_t repair_queue;        //  Files short of copies queued at once, the most urgent
    uint64_t repair_rate;       //  Bytes/s background copies may move
    uint8_t min_write_replicas; //  Copies a put needs at least (0: all it asked for)
    bool rebalance;             //  Rebalance continuously, at the repair rate
    bool verbose;
    //  Security and limits
    bool secure_mode;          //  CURVE on every endpoint
    bool insecure;             //  Without it, listen beyond loopback anyway
    char *cert_path;           //  Own key pair (secret certificate)
    char *bucket_keys_path;    //  Folder of the keys buckets may register with
    char *user_keys_path;      //  Folder of the users' keys
    char *admins;              //  Users who may send ADMIN in secure mode, comma-separated
    uint64_t max_file_size;    //  Bytes in one file at most (0: no limit)
    uint64_t quota_files;      //  Files one user may have (0: no limit)
    uint64_t quota_bytes;      //  Bytes one user may have, one copy counted (0: no limit)
    size_t max_transfers;      //  Puts and gets in flight on one client connection
    size_t max_name;           //  Bytes in a file name at most
    size_t max_message;        //  Bytes in one message at most
    size_t cache_budget;       //  Bytes of small files' content kept to answer gets
    zs_cache_t *cache;         //  That content, once started
    zs_secure_t *secure;       //  Own key pair, in secure mode
    zactor_t *guard;           //  The ZAP handler, in secure mode
    zs_keyring_t *bucket_keys; //  Keys buckets may register with
    zs_keyring_t *user_keys;   //  Keys of users
    //  Sockets
    zsock_t *pipe;       //  Actor pipe
    zsock_t *frontend;   //  ROUTER for clients
    zsock_t *backend;    //  ROUTER for buckets
    zs_events_t *events; //  PUB for events
    zloop_t *loop;
    //  State
    zs_registry_t *registry;    //  Buckets
    zs_index_t *index;          //  Files, counting those short of live copies
    uint64_t counted_at;        //  Registry changes when they were last all counted
    zhashx_t *transfers;        //  zs_transfer_t by id (as text)
    zhashx_t *requests;         //  Transfer id (as text) by client key
    zhashx_t *client_transfers; //  Puts and gets in flight (a count) by client routing id in hex
    zhashx_t *ops;              //  zs_op_t by id (as text)
    zlistx_t *finished;         //  Ids (as text) of transfers to free
    zlistx_t *converge;         //  Keys "user/name" of entries to bring buckets in line with
    zhashx_t *discarded;        //  Versions of failed puts a bucket may have committed:
                                //  expiry (monotonic ms) by "user/version/name"
    zs_background_t background; //  Repairs, drains and moves
    zhashx_t *converging;       //  The keys in converge, to queue each once
    int64_t next_sweep;         //  Monotonic ms of the next look at every entry
    zs_index_cursor_t sweep;    //  How far that look has come
    zs_proto_t *message;        //  Message being handled
    zs_proto_t *reply;          //  Message being sent
    uint64_t next_id;           //  Last transfer id used
    uint64_t last_version;      //  Highest version seen or given
    int64_t started;            //  Monotonic ms at start
    bool recovering;            //  Still waiting for buckets to report
    int64_t last_warning;       //  When a bad bucket message was last logged
    int64_t last_tick;          //  When the members were last looked at
} zs_server_t;

//  --------------------------------------------------------------------------
//  zs_gateway.c: shared helpers

//  A new transfer id
uint64_t zs_server_next_id (zs_server_t *self);

//  A new version, above every version seen; and noting a version seen
uint64_t zs_server_next_version (zs_server_t *self);
void zs_server_observe_version (zs_server_t *self, uint64_t version);

//  Send self->reply to a bucket; on failure the bucket's connection is
//  counted as lost. Returns 0 or -1.
int zs_server_send_bucket (zs_server_t *self, zs_member_t *member);

//  Tell a bucket, with a new transfer id and nothing to wait for, to DROP or
//  FORGET (id) a version of a file
void zs_server_tell (zs_server_t *self, int id, zs_member_t *member, const char *user,
                     const char *name, uint64_t version);

//  Send self->reply to a client; returns 0 or -1
int zs_server_send_client (zs_server_t *self, zframe_t *client);

//  Answer a client request with FAILED
void zs_server_fail_client (zs_server_t *self, zframe_t *client, uint64_t request, int status,
                            const char *format, ...) CHECK_PRINTF (5);

//  Start an event; publish with zs_events_publish (self->events)
zs_proto_t *zs_server_event (zs_server_t *self, const char *kind);

//  Key of a client request, for the requests table
void zs_server_request_key (zframe_t *client, uint64_t request, char *key, size_t size);

//  Text key of a transfer or op id
void zs_server_id_key (uint64_t id, char *key);

//  Live copies in a record, as clients see them: confirmed holders whose
//  bucket is alive (draining or not)
size_t zs_server_live_copies (zs_server_t *self, const zs_record_t *record);

//  The same copies' slots, into slots (room for ZS_INDEX_SLOTS_MAX)
size_t zs_server_live_slots (zs_server_t *self, const zs_record_t *record, uint16_t *slots);

//  A version of a file that must never be adopted from an inventory, since
//  its put failed; and whether one is such
void zs_server_discard (zs_server_t *self, const char *user, const char *name, uint64_t version);
bool zs_server_discarded (zs_server_t *self, const char *user, const char *name, uint64_t version);

//  A slot list as comma-separated bucket ids
void zs_server_slot_names (zs_server_t *self, const uint16_t *slots, size_t count, char *text,
                           size_t size);

//  Whether a holder counts as a live copy: confirmed, its bucket alive and
//  not draining
bool zs_server_holder_live (zs_server_t *self, uint16_t holder);

//  The state of a bucket as status and events show it
const char *zs_server_member_state (zs_server_t *self, zs_member_t *member);

//  --------------------------------------------------------------------------
//  zs_members.c: buckets

void zs_members_handle (zs_server_t *self, zs_member_t *member);
void zs_members_register (zs_server_t *self);
void zs_members_tick (zs_server_t *self);

//  ADMIN drain, undrain and forget; answers the client
void zs_members_admin (zs_server_t *self);

//  A bucket's connection is gone: what it was doing fails, and it is
//  suspect until it registers again or stays silent too long
void zs_members_lost (zs_server_t *self, zs_member_t *member, const char *why);

//  --------------------------------------------------------------------------
//  zs_transfers.c: content in motion

void zs_transfers_put_begin (zs_server_t *self);
void zs_transfers_put_chunk (zs_server_t *self);
void zs_transfers_put_end (zs_server_t *self);
void zs_transfers_get (zs_server_t *self);
void zs_transfers_get_credit (zs_server_t *self);
void zs_transfers_cancel (zs_server_t *self);
void zs_transfers_store_ack (zs_server_t *self, zs_member_t *member);
void zs_transfers_store_ready (zs_server_t *self, zs_member_t *member);
void zs_transfers_fetch_chunk (zs_server_t *self, zs_member_t *member);

//  DONE from a bucket about a transfer; false if the id is not a transfer
bool zs_transfers_done (zs_server_t *self, zs_member_t *member);

//  Copy a file to new buckets; the client, if any, gets REPLICAS_OK or
//  FAILED once the copies are durable. Returns 0, or -1 after answering.
int zs_transfers_copy (zs_server_t *self, const char *user, const char *name,
                       const zs_record_t *record, zs_member_t **targets, size_t target_count,
                       zframe_t *client, uint64_t request);

//  A background copy (repair or move) of a file to new buckets, from a
//  preferred source (-1: any live holder). Returns 0, or -1 if it could not
//  start.
int zs_transfers_background (zs_server_t *self, const char *user, const char *name,
                             const zs_record_t *record, zs_member_t **targets, size_t target_count,
                             zs_copy_purpose_t purpose, int move_from);

//  Grant waiting background copies the credit the rate now allows
void zs_transfers_resume_background (zs_server_t *self);

//  Whether a put of this file is in progress with a version below this one
bool zs_transfers_put_below (zs_server_t *self, const char *user, const char *name,
                             uint64_t version);

//  A bucket went away: fail or move every transfer that used it
void zs_transfers_member_lost (zs_server_t *self, zs_member_t *member);

//  Fail transfers that made no progress for too long
void zs_transfers_tick (zs_server_t *self);

//  Free the transfers that finished
void zs_transfers_sweep (zs_server_t *self);

//  --------------------------------------------------------------------------
//  zs_repair.c: background copies

void zs_repair_new (zs_server_t *self);
void zs_repair_destroy (zs_server_t *self);

//  Something changed that may leave files short of copies: look again
void zs_repair_dirty (zs_server_t *self);

//  Copies of many files at once stopped counting (a bucket died, its grace
//  ran out, it drains, it was forgotten): a look going on through the index
//  starts over, rather than queue them only after one more whole look
void zs_repair_rescan (zs_server_t *self);

//  Start what the queue, the streams and the rate allow
void zs_repair_tick (zs_server_t *self);

//  Starts queued copies while the streams and the rate allow: at each tick,
//  and as soon as other copies ended, so that a queue of small files does
//  not go at one tick per copy. True when it took any from the queue (it
//  may have started copies, or failed them at once).
bool zs_repair_start_copies (zs_server_t *self);

//  A background copy ended, well or not
void zs_repair_copy_ended (zs_server_t *self, zs_transfer_t *transfer, bool ok);

//  Whether a background copy may be granted more credit now; and account
//  for bytes it moved
bool zs_repair_may_move (zs_server_t *self);
void zs_repair_moved (zs_server_t *self, size_t bytes);

//  The repair figures of STATUS_OK
void zs_repair_status (zs_server_t *self, zs_proto_t *reply);

//  ADMIN rebalance: plan moves from the fullest buckets to the emptiest;
//  returns how many
size_t zs_repair_rebalance (zs_server_t *self);

//  --------------------------------------------------------------------------
//  zs_access.c: who may do what

//  Secure mode's setup, before the endpoints are bound: key pair, ZAP
//  handler, keyrings. Without secure mode, checks that the endpoints stay on
//  loopback unless told otherwise. 0, or -1 with why in error.
int zs_access_start (zs_server_t *self, const char *endpoints[3], char *error, size_t size);
void zs_access_destroy (zs_server_t *self);

//  Makes a socket of the gateway's secure, for peers of the given ZAP domain
void zs_access_secure (zs_server_t *self, zsock_t *socket, const char *domain);

//  Checks self->message from a client before it is handled: its key (in
//  secure mode) must still be accepted and name the user it acts as; ADMIN
//  is for admins; names within the limit. Answers FAILED itself and returns
//  false when the message goes no further.
bool zs_access_client (zs_server_t *self);

//  Checks self->message from a bucket: its key (in secure mode) must still
//  be accepted and name the bucket it speaks for. Returns false when the
//  message goes no further (a REGISTER is answered REFUSED).
bool zs_access_bucket (zs_server_t *self);

//  Whether client may start one more put or get; answers FAILED if not
bool zs_access_may_transfer (zs_server_t *self, zframe_t *client, uint64_t request);
//  Counts a client's put or get as it begins (change 1) and as it finishes
//  (-1), for zs_access_may_transfer; copies do not count
void zs_access_count_transfer (zs_server_t *self, const zs_transfer_t *transfer, int change);

//  Why user may not have name be size bytes (size UINT64_MAX: not known
//  yet), or NULL when it may: the largest file, the user's quota
const char *zs_access_storage (zs_server_t *self, const char *user, const char *name,
                               uint64_t size);

//  --------------------------------------------------------------------------
//  zs_files.c: requests about files, and convergence

void zs_files_stat (zs_server_t *self);
void zs_files_list (zs_server_t *self);
void zs_files_remove (zs_server_t *self);
void zs_files_replicas (zs_server_t *self);
void zs_files_status (zs_server_t *self);

//  Whether a file has fewer live copies than its replica count: the index
//  keeps the count of those (arg is the server)
bool zs_files_under_replicated (const zs_record_t *record, void *arg);

//  Files with fewer live copies than their replica count
uint64_t zs_files_under_replicated_count (zs_server_t *self);

//  A copy is durable on all the buckets of a transfer: record it in the index
void zs_files_stored (zs_server_t *self, zs_transfer_t *transfer, const uint16_t *slots,
                      size_t count);

//  A bucket reports it has no good copy of this version (missing, corrupt)
void zs_files_copy_lost (zs_server_t *self, const char *user, const char *name, uint64_t version,
                         zs_member_t *member, const char *why);

//  The copy of replicas raise is done: record the new count on the others
void zs_files_replicas_copied (zs_server_t *self, zs_transfer_t *transfer);

//  DONE from a bucket about an op; false if the id is not an op
bool zs_files_done (zs_server_t *self, zs_member_t *member);

//  A bucket went away: ops waiting for it count it as failed
void zs_files_member_lost (zs_server_t *self, zs_member_t *member);

//  Queue an entry for convergence, or every entry that concerns a bucket
void zs_files_converge (zs_server_t *self, const char *user, const char *name);
void zs_files_converge_member (zs_server_t *self, zs_member_t *member);

//  Drop the copies of a file on these buckets; each stops counting as a
//  holder once its bucket confirms
void zs_files_trim (zs_server_t *self, const char *user, const char *name,
                    const zs_record_t *record, zs_member_t **drop, size_t drop_count);

//  Expire ops, and send the cleanup that converging entries need
void zs_files_tick (zs_server_t *self);

#ifdef __cplusplus
}
#endif

#endif
