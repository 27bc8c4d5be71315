/*  zs_server - the gateway's state, shared by its parts (internal)

    The gateway is one actor (zs_gateway) whose work is split by subject:
        zs_members    buckets: registration, inventories, heartbeats, loss
        zs_transfers  content in motion: put, get, and copies between buckets
        zs_files      everything else a client asks, and the background
                      work that makes buckets converge on the index
    They share this state and run on the actor's one thread.
*/

#ifndef ZS_SERVER_H_INCLUDED
#define ZS_SERVER_H_INCLUDED

#include "zs_events.h"
#include "zs_index.h"
#include "zs_placement.h"
#include "zs_proto.h"
#include "zs_registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { ZS_TRANSFER_PUT, ZS_TRANSFER_GET, ZS_TRANSFER_COPY } zs_transfer_kind_t;

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
    bool ended;                       //  The end went to the sinks
    bool committing;                  //  Every sink was ready: COMMIT went to them
    zs_sink_t sinks[ZS_REPLICAS_MAX]; //  Buckets written to
    uint8_t sink_count;
    int64_t active; //  Monotonic ms of the last progress
    bool finished;  //  Done or failed: freed after the current message
} zs_transfer_t;

typedef enum { ZS_OP_REMOVE, ZS_OP_REPLICAS, ZS_OP_CLEANUP } zs_op_kind_t;

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
    uint16_t dropping[ZS_INDEX_SLOTS_MAX]; //  Replicas: buckets told to drop their copy
    uint8_t dropping_count;
    char reason[256]; //  First failure, for the client
    int64_t deadline; //  Monotonic ms; unanswered buckets fail then
} zs_op_t;

typedef struct {
    //  Settings
    int64_t heartbeat;        //  ms between heartbeats
    int64_t liveness;         //  Heartbeats missed before a bucket is dead
    uint8_t default_replicas; //  Copies of a file when the client does not say
    int64_t transfer_timeout; //  ms without progress before a transfer fails
    int64_t recovery;         //  ms after start before absent files count as missing
    int64_t tombstone_grace;  //  ms a tombstone outlives the last bucket to see it
    bool verbose;
    //  Sockets
    zsock_t *pipe;       //  Actor pipe
    zsock_t *frontend;   //  ROUTER for clients
    zsock_t *backend;    //  ROUTER for buckets
    zs_events_t *events; //  PUB for events
    zloop_t *loop;
    //  State
    zs_registry_t *registry; //  Buckets
    zs_index_t *index;       //  Files
    zhashx_t *transfers;     //  zs_transfer_t by id (as text)
    zhashx_t *requests;      //  Transfer id (as text) by client key
    zhashx_t *ops;           //  zs_op_t by id (as text)
    zlistx_t *finished;      //  Ids (as text) of transfers to free
    zlistx_t *converge;      //  Keys "user/name" of entries to bring buckets in line with
    zhashx_t *discarded;     //  Versions of failed puts a bucket may have committed:
                             //  expiry (monotonic ms) by "user/version/name"
    bool converge_all;       //  Look at every entry at the next sweep
    int64_t next_sweep;      //  Monotonic ms of the next look at every entry
    zs_proto_t *message;     //  Message being handled
    zs_proto_t *reply;       //  Message being sent
    uint64_t next_id;        //  Last transfer id used
    uint64_t last_version;   //  Highest version seen or given
    int64_t started;         //  Monotonic ms at start
    bool recovering;         //  Still waiting for buckets to report
    int64_t last_warning;    //  When a bad bucket message was last logged
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

//  Live copies in a record: holders whose bucket is alive
size_t zs_server_live_copies (zs_server_t *self, const zs_record_t *record);

//  A version of a file that must never be adopted from an inventory, since
//  its put failed; and whether one is such
void zs_server_discard (zs_server_t *self, const char *user, const char *name, uint64_t version);
bool zs_server_discarded (zs_server_t *self, const char *user, const char *name, uint64_t version);

//  A slot list as comma-separated bucket ids
void zs_server_slot_names (zs_server_t *self, const uint16_t *slots, size_t count, char *text,
                           size_t size);

//  --------------------------------------------------------------------------
//  zs_members.c: buckets

void zs_members_handle (zs_server_t *self, zs_member_t *member);
void zs_members_register (zs_server_t *self);
void zs_members_tick (zs_server_t *self);

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
//  zs_files.c: requests about files, and convergence

void zs_files_stat (zs_server_t *self);
void zs_files_list (zs_server_t *self);
void zs_files_remove (zs_server_t *self);
void zs_files_replicas (zs_server_t *self);
void zs_files_status (zs_server_t *self);

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

//  Expire ops, and send the cleanup that converging entries need
void zs_files_tick (zs_server_t *self);

#ifdef __cplusplus
}
#endif

#endif
