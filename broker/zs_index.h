/*  zs_index - the gateway's index of files

    Maps (user, name) to what the cluster holds of that file: the current
    version, its size, checksum and replica count, the buckets holding a
    copy, and the buckets that must still delete older versions. A removed
    file stays as a tombstone while some bucket that held it has not yet
    been told. The index is soft state: buckets report their copies when they
    register, and it is rebuilt from those reports after a restart.

    Each user's files live in a table of their own, so that listing one user
    never walks another's files. Entries are packed into one allocation each
    (about 100 bytes plus the name), keyed with SipHash under a random key so
    that chosen names cannot make the tables degenerate.
*/

#ifndef ZS_INDEX_H_INCLUDED
#define ZS_INDEX_H_INCLUDED

#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_INDEX_SLOTS_MAX 32 //  Holders, or pending buckets, of one entry

//  A holder slot with this bit set is unconfirmed: the bucket is registering
//  again and has not yet said whether it still holds its copy. Such a
//  holder serves no reads but still counts wherever a copy might be.
#define ZS_INDEX_UNCONFIRMED 0x8000
#define ZS_INDEX_SLOT(value) ((uint16_t) ((value) & ~ZS_INDEX_UNCONFIRMED))

//  What the index holds for one file; lookups fill a copy
typedef struct {
    uint64_t version;                     //  Version of the content, or of the removal
    uint64_t size;                        //  Bytes of content
    uint64_t stamp;                       //  Version of the replica count
    byte checksum[ZS_CHECKSUM_SIZE];      //  BLAKE2b-256 of the content
    uint8_t desired;                      //  Replica count asked for
    bool tombstone;                       //  The file was removed
    uint8_t holder_count;                 //  Entries in holders
    uint16_t holders[ZS_INDEX_SLOTS_MAX]; //  Copies of this version (tombstone: its keepers)
    uint8_t pending_count;                //  Entries in pending
    uint16_t pending[ZS_INDEX_SLOTS_MAX]; //  Buckets that must delete older versions
} zs_record_t;

//  What a visitor wants done with the entry it was shown
#define ZS_INDEX_KEEP   0
#define ZS_INDEX_UPDATE 1 //  Store the record as the visitor changed it
#define ZS_INDEX_REMOVE 2

typedef int (zs_index_fn) (const char *user, const char *name, zs_record_t *record, void *arg);

typedef struct _zs_index_t zs_index_t;

//  Create an empty index
zs_index_t *zs_index_new (void);

//  Destroy the index
void zs_index_destroy (zs_index_t **self_p);

//  Copy the entry of user's name into record; false when there is none
bool zs_index_get (zs_index_t *self, const char *user, const char *name, zs_record_t *record);

//  Insert or replace the entry of user's name; -1 when memory ran out
int zs_index_put (zs_index_t *self, const char *user, const char *name, const zs_record_t *record);

//  Remove the entry of user's name, if any
void zs_index_remove (zs_index_t *self, const char *user, const char *name);

//  Entries that are files (not tombstones), and their bytes
uint64_t zs_index_files (zs_index_t *self);
uint64_t zs_index_bytes (zs_index_t *self);

//  All entries, tombstones included
uint64_t zs_index_size (zs_index_t *self);

//  One user's files (not tombstones) and their bytes
void zs_index_usage (zs_index_t *self, const char *user, uint64_t *files, uint64_t *bytes);

//  Bytes of memory the index uses, estimated from its allocations
uint64_t zs_index_memory (zs_index_t *self);

//  Show every entry to fn, which may change or remove it (but not add any)
void zs_index_foreach (zs_index_t *self, zs_index_fn *fn, void *arg);

//  Where a walk in slices is: all zero at the start of a pass
typedef struct {
    size_t space;    //  Which user's table, in the order they came
    size_t position; //  Where in the table
    size_t rehashes; //  Of the table when its walk began
} zs_index_cursor_t;

//  Shows fn the entries from the cursor on, looking at budget places of the
//  tables at most, which fn may change or remove (but not add any); moves
//  the cursor on. True when the pass came to the end: the cursor is at the
//  start again. An entry added meanwhile may be shown in this pass or the
//  next; the entries of a table rebuilt meanwhile (it grew) are shown from
//  its start again, so some twice.
bool zs_index_walk (zs_index_t *self, zs_index_cursor_t *cursor, size_t budget, zs_index_fn *fn,
                    void *arg);

//  Whether an entry is one of those counted (the gateway counts the files
//  short of live copies, which status reports at every request)
typedef bool (zs_index_test_fn) (const zs_record_t *record, void *arg);

//  Keep a count of the entries that pass test, kept up as entries come, go
//  and change, so that reading it walks nothing. Counts the entries there
//  now.
void zs_index_set_counted (zs_index_t *self, zs_index_test_fn *test, void *arg);

//  Count again over every entry: what the test says of an entry changed
//  without the entry changing
void zs_index_recount (zs_index_t *self);

//  Entries that pass the test (0 without one)
uint64_t zs_index_counted (zs_index_t *self);

//  Show fn the entries of user named after "after" (all when it is empty),
//  in byte order of their names, at most limit of them. Returns true when
//  more entries follow.
bool zs_index_list (zs_index_t *self, const char *user, const char *after, size_t limit,
                    zs_index_fn *fn, void *arg);

//  Sets of bucket slots in a record, compared without the unconfirmed bit.
//  Add replaces a slot already there (so adding it plain confirms it), and
//  returns false when the set is full.
bool zs_index_has (const uint16_t *slots, uint8_t count, uint16_t slot);
//  Whether the slot is there, and confirmed
bool zs_index_has_confirmed (const uint16_t *slots, uint8_t count, uint16_t slot);
bool zs_index_add (uint16_t *slots, uint8_t *count, uint16_t slot);
bool zs_index_delete (uint16_t *slots, uint8_t *count, uint16_t slot);

//  Add every slot of more to slots, plain (without the unconfirmed bit)
void zs_index_union (uint16_t *slots, uint8_t *count, const uint16_t *more, uint8_t more_count);

#ifdef __cplusplus
}
#endif

#endif
