/*  zs_registry - the buckets a gateway knows

    One member per bucket id, alive or not: its connection (routing id),
    zone, state, heartbeat times and usage. A member keeps a small slot
    number for life, which the file index uses to name holders compactly.
    Members the gateway has only heard of (named in a tombstone, say) exist
    too, in state dead and without a connection.
*/

#ifndef ZS_REGISTRY_H_INCLUDED
#define ZS_REGISTRY_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_REGISTRY_SLOTS 4096 //  Most buckets one gateway knows

typedef enum { ZS_MEMBER_ALIVE, ZS_MEMBER_SUSPECT, ZS_MEMBER_DEAD } zs_member_state_t;

typedef struct {
    uint16_t slot;                   //  Index in the registry, stable for life
    char id[ZS_BUCKET_ID_MAX + 1];   //  Bucket id
    char zone[ZS_BUCKET_ID_MAX + 1]; //  Failure zone, may be empty
    char address[64];                //  Peer address seen on its connection
    byte instance[ZS_INSTANCE_SIZE]; //  Identity of its data folder
    zframe_t *routing_id;            //  Its connection; NULL when it has none
    zs_member_state_t state;         //  alive, suspect or dead: set with
                                     //  zs_registry_set_state
    bool ever_registered;            //  Not just named in a tombstone
    bool inventory_done;             //  Its inventory has all arrived
    int64_t registered_at;           //  Monotonic ms of its last registration
    int64_t last_heard;              //  Monotonic ms of its last message
    int64_t missed;                  //  Heartbeats missed so far in its current silence
    int64_t dead_since;              //  Monotonic ms when it was declared dead
    bool grace_over;                 //  Dead past the repair grace: its copies are lost
    bool draining;                   //  Its copies are being copied elsewhere
    size_t drain_left;               //  Draining: files it still holds that need copies
    int64_t next_heartbeat;          //  Monotonic ms of our next heartbeat
    uint32_t rtt;                    //  Last heartbeat round trip, microseconds
    uint64_t capacity;               //  Bytes it may use in all
    uint64_t used;                   //  Bytes used
    uint64_t free;                   //  Bytes free
    uint64_t files;                  //  Copies held
    uint64_t reserved;               //  Bytes promised to transfers in flight
    uint32_t transfers;              //  Transfers in flight
    const char *lost;                //  Why its connection failed, handled after the
                                     //  current message
    int64_t last_refusal;            //  When a claim on its id was last refused
} zs_member_t;

typedef struct _zs_registry_t zs_registry_t;

//  Create an empty registry
zs_registry_t *zs_registry_new (void);

//  Destroy the registry and its members
void zs_registry_destroy (zs_registry_t **self_p);

//  The member with this id, or NULL
zs_member_t *zs_registry_lookup (zs_registry_t *self, const char *id);

//  The member with this id, created (dead, unconnected) when missing; NULL
//  only when every slot is taken
zs_member_t *zs_registry_ensure (zs_registry_t *self, const char *id);

//  The member at a slot, or NULL
zs_member_t *zs_registry_slot (zs_registry_t *self, uint16_t slot);

//  The member connected with this routing id, or NULL
zs_member_t *zs_registry_connected (zs_registry_t *self, zframe_t *routing_id);

//  Attach a member to a connection, or detach it (routing_id NULL)
void zs_registry_connect (zs_registry_t *self, zs_member_t *member, zframe_t *routing_id);

//  Forget a member entirely; its slot may be reused
void zs_registry_remove (zs_registry_t *self, zs_member_t **member_p);

//  Change a member's state
void zs_registry_set_state (zs_registry_t *self, zs_member_t *member, zs_member_state_t state);

//  Changes so far of which slots hold an alive member (a state changed, a
//  member left): what is counted from them holds while this stays the same
uint64_t zs_registry_changes (zs_registry_t *self);

//  Members in slot order: first, then next until NULL
zs_member_t *zs_registry_first (zs_registry_t *self);
zs_member_t *zs_registry_next (zs_registry_t *self, const zs_member_t *member);

//  Number of members
size_t zs_registry_size (zs_registry_t *self);

//  Name of a state, as in status and events
const char *zs_registry_state_name (zs_member_state_t state);

#ifdef __cplusplus
}
#endif

#endif
