/*  zs_view - the cluster as the monitor sees it

    A snapshot from the gateway (STATUS_OK) kept up to date by the events
    that follow it. Events are numbered, and STATUS_OK.sequence is the last
    event a snapshot includes, so the view applies each event once, in
    order, and only the events after its snapshot:

    - events that come before any snapshot wait in a backlog, and those
      after the snapshot's sequence are applied when it comes;
    - a gap in the numbers (the publisher dropped events for us), or numbers
      going back (a new gateway starts again from 1), makes the view ask for
      a new snapshot (zs_view_wants_snapshot) and wait for it;
    - a snapshot taken while events were in flight is applied, then the
      events after it are applied again from the backlog, without being
      logged twice.

    Besides the state, the view keeps a short history of each bucket's
    heartbeats, and a log of the latest events for people in which file
    events are rate-limited so that a busy cluster does not flood it.

    No sockets and no clock: the caller passes every message and the time,
    so the view can be tested alone. Times are wall-clock milliseconds.
*/

#ifndef ZS_VIEW_H_INCLUDED
#define ZS_VIEW_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_VIEW_HISTORY 64 //  Heartbeat marks kept per bucket

//  What one beat of a bucket's history was
typedef enum {
    ZS_VIEW_BEAT = 1, //  A heartbeat answered
    ZS_VIEW_MISSED,   //  A heartbeat interval passed in silence
    ZS_VIEW_UP,       //  The bucket registered
    ZS_VIEW_DOWN      //  The bucket was declared dead
} zs_view_mark_t;

//  A bucket as last reported (read-only for callers)
typedef struct {
    char *id;
    char *zone;
    char *address;
    char *state;                      //  Whatever the gateway says: alive, suspect, dead...
    uint64_t age;                     //  ms since it was last heard, as of measured_at
    uint64_t measured_at;             //  When age was measured
    uint32_t rtt;                     //  Last heartbeat round trip, microseconds
    uint64_t files;                   //  Copies held
    uint64_t used;                    //  Bytes used
    uint64_t free;                    //  Bytes free
    uint64_t capacity;                //  Bytes it may use in all
    uint8_t history[ZS_VIEW_HISTORY]; //  zs_view_mark_t values, oldest first
    size_t history_size;
} zs_view_bucket_t;

//  The gateway's totals, from the last snapshot
typedef struct {
    uint64_t files;            //  Files in the index
    uint64_t bytes;            //  Bytes of all files, one copy each
    uint64_t under_replicated; //  Files with fewer live copies than asked
    uint64_t repairs;          //  Files waiting for repair
    uint32_t repairing;        //  Copies being made
    uint64_t repair_bytes;     //  Bytes left to copy
    uint64_t repair_rate;      //  Bytes per second lately
    bool recovering;           //  Rebuilding its index after a start
    uint32_t heartbeat;        //  ms between heartbeats
    uint32_t liveness;         //  Heartbeats missed before a bucket is dead
    uint64_t uptime;           //  ms since the gateway started, at measured_at
    uint64_t measured_at;      //  When the snapshot came
} zs_view_cluster_t;

//  How a log entry reads
typedef enum {
    ZS_VIEW_INFO,    //  Files stored, removed...
    ZS_VIEW_GOOD,    //  A bucket registered or came back
    ZS_VIEW_WARNING, //  Missed heartbeats, suspect buckets
    ZS_VIEW_BAD,     //  Dead buckets, lost copies, gateway unreachable
    ZS_VIEW_NOTE     //  The monitor's own notes and gateway news
} zs_view_level_t;

typedef struct {
    uint64_t time; //  Wall-clock ms
    zs_view_level_t level;
    char *text; //  One line
} zs_view_entry_t;

//  What the view did with a message
typedef enum {
    ZS_VIEW_APPLIED,   //  An event that is news: applied and logged
    ZS_VIEW_KNOWN,     //  Already in the view: nothing applied twice
    ZS_VIEW_BUFFERED,  //  An event kept until a snapshot comes
    ZS_VIEW_SYNCED,    //  A snapshot the view is now in sync with
    ZS_VIEW_REFRESHED, //  A newer snapshot: the view took it
    ZS_VIEW_GAP,       //  Events were lost: a new snapshot is needed
    ZS_VIEW_RESTART    //  A new gateway: a new snapshot is needed
} zs_view_result_t;

//  Told, in order, of each snapshot the view syncs from and then of each
//  event that is news, exactly once: for the monitor's --json output
typedef void (zs_view_snapshot_fn) (zs_proto_t *status, const char *reason, void *arg);
typedef void (zs_view_event_fn) (zs_proto_t *event, void *arg);

typedef struct _zs_view_t zs_view_t;

//  An empty view, waiting for its first snapshot
zs_view_t *zs_view_new (void);

//  Destroy the view
void zs_view_destroy (zs_view_t **self_p);

//  Be told of snapshots synced from (reason: "start", "gap", "restart" or
//  "reconnect") and of news events; either handler may be NULL
void zs_view_set_listener (zs_view_t *self, zs_view_snapshot_fn *on_snapshot,
                           zs_view_event_fn *on_event, void *arg);

//  At most this many file events are logged per second; those beyond are
//  counted in one line (default 5)
void zs_view_set_file_rate (zs_view_t *self, unsigned int per_second);

//  Take a STATUS_OK snapshot: SYNCED, REFRESHED, KNOWN (older than events
//  already applied that the backlog no longer holds: only its totals are
//  taken) or GAP (taken, but events that follow it are missing: another
//  is needed). A snapshot from a gateway that started again since the last
//  one syncs the view afresh.
zs_view_result_t zs_view_load (zs_view_t *self, zs_proto_t *status, uint64_t now);

//  Take an EVENT: APPLIED, KNOWN, BUFFERED, GAP or RESTART
zs_view_result_t zs_view_apply (zs_view_t *self, zs_proto_t *event, uint64_t now);

//  The view needs a snapshot: none yet, or events were lost
bool zs_view_wants_snapshot (zs_view_t *self);

//  The gateway did not answer; true when it answered before (this is news)
bool zs_view_set_unreachable (zs_view_t *self, const char *problem, uint64_t now);

//  Whether the gateway answered its last request; since when it has not,
//  and why
bool zs_view_reachable (zs_view_t *self);
uint64_t zs_view_unreachable_since (zs_view_t *self);
const char *zs_view_problem (zs_view_t *self);

//  Time passes: logs the count of file events held back by the rate limit
void zs_view_tick (zs_view_t *self, uint64_t now);

//  The gateway's totals; NULL before the first snapshot
const zs_view_cluster_t *zs_view_cluster (zs_view_t *self);

//  Its uptime now
uint64_t zs_view_uptime (zs_view_t *self, uint64_t now);

//  The last event the state includes, and how many times the view re-synced
uint64_t zs_view_sequence (zs_view_t *self);
uint64_t zs_view_resyncs (zs_view_t *self);

//  Buckets, ordered by id (b2 before b10)
size_t zs_view_bucket_count (zs_view_t *self);
const zs_view_bucket_t *zs_view_bucket (zs_view_t *self, size_t index);
const zs_view_bucket_t *zs_view_bucket_find (zs_view_t *self, const char *id);

//  How long a bucket has been silent, now
uint64_t zs_view_bucket_age (const zs_view_bucket_t *bucket, uint64_t now);

//  Buckets in each state (others, such as draining, count in the total only)
void zs_view_counts (zs_view_t *self, size_t *alive, size_t *suspect, size_t *dead, size_t *total);

//  The log, newest first (index 0)
size_t zs_view_log_size (zs_view_t *self);
const zs_view_entry_t *zs_view_log_entry (zs_view_t *self, size_t index);

#ifdef __cplusplus
}
#endif

#endif
