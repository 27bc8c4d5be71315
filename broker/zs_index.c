/*  zs_index - the gateway's index of files

    A user's table is open addressing with linear probing over pointers to
    packed entries; removed slots hold a marker until the next rehash. An
    entry is the fixed fields, then the holder and pending slots, then the
    name bytes, in one allocation.
*/

#include "zs_index.h"

#include <sodium.h>

typedef struct {
    uint64_t version;
    uint64_t size;
    uint64_t stamp;
    byte checksum[ZS_CHECKSUM_SIZE];
    uint8_t desired;
    uint8_t tombstone;
    uint8_t holder_count;
    uint8_t pending_count;
    uint16_t name_length;
    uint16_t slots[]; //  Holders, then pending; the name follows
} entry_t;

typedef struct {
    char *user;      //  Whose files
    entry_t **table; //  Entry pointers, NULL or s_removed where free
    size_t capacity; //  Power of two
    size_t count;    //  Live entries
    size_t removed;  //  Slots holding the removed marker
    size_t rehashes; //  Times the entries moved to a new table
    uint64_t files;  //  Live entries that are not tombstones
    uint64_t bytes;  //  Their sizes
} space_t;

struct _zs_index_t {
    zhashx_t *spaces;                    //  space_t by user name
    space_t **ordered;                   //  The same, in the order they came:
    size_t ordered_count;                //  a walk in slices goes by it, as
    size_t ordered_capacity;             //  spaces are never removed
    byte key[crypto_shorthash_KEYBYTES]; //  SipHash key
    uint64_t files;                      //  Entries that are not tombstones
    uint64_t bytes;                      //  Their sizes
    uint64_t size;                       //  All entries
    uint64_t memory;                     //  Bytes allocated for entries and tables
    zs_index_test_fn *test;              //  Which entries are counted, if any
    void *test_arg;
    uint64_t counted; //  Entries that pass it
};

static entry_t s_removed_marker;
#define REMOVED (&s_removed_marker)

static size_t
s_entry_bytes (uint8_t holders, uint8_t pending, size_t name_length)
{
    return sizeof (entry_t) + sizeof (uint16_t) * (holders + pending) + name_length;
}

static const char *
s_entry_name (const entry_t *entry)
{
    return (const char *) (entry->slots + entry->holder_count + entry->pending_count);
}

static void
s_space_destroy (space_t **space_p)
{
    if (*space_p) {
        space_t *space = *space_p;
        for (size_t index = 0; index < space->capacity; index++)
            if (space->table[index] && space->table[index] != REMOVED)
                free (space->table[index]);
        free (space->table);
        free (space->user);
        free (space);
        *space_p = NULL;
    }
}

zs_index_t *
zs_index_new (void)
{
    if (sodium_init () < 0)
        return NULL;
    zs_index_t *self = (zs_index_t *) zmalloc (sizeof (zs_index_t));
    if (self) {
        self->spaces = zhashx_new ();
        if (!self->spaces) {
            free (self);
            return NULL;
        }
        zhashx_set_destructor (self->spaces, (zhashx_destructor_fn *) s_space_destroy);
        crypto_shorthash_keygen (self->key);
    }
    return self;
}

void
zs_index_destroy (zs_index_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_index_t *self = *self_p;
        zhashx_destroy (&self->spaces);
        free (self->ordered);
        free (self);
        *self_p = NULL;
    }
}

static uint64_t
s_hash (zs_index_t *self, const char *name, size_t length)
{
    byte hash[crypto_shorthash_BYTES];
    crypto_shorthash (hash, (const byte *) name, length, self->key);
    uint64_t value;
    memcpy (&value, hash, sizeof (value));
    return value;
}

//  Index of the slot holding name, or of the free slot where it would go
static size_t
s_probe (zs_index_t *self, space_t *space, const char *name, size_t length, bool *found)
{
    size_t mask = space->capacity - 1;
    size_t index = (size_t) s_hash (self, name, length) & mask;
    size_t first_removed = SIZE_MAX;
    *found = false;
    while (space->table[index]) {
        entry_t *entry = space->table[index];
        if (entry == REMOVED) {
            if (first_removed == SIZE_MAX)
                first_removed = index;
        }
        else if (entry->name_length == length && memcmp (s_entry_name (entry), name, length) == 0) {
            *found = true;
            return index;
        }
        index = (index + 1) & mask;
    }
    return first_removed != SIZE_MAX ? first_removed : index;
}

static int
s_rehash (zs_index_t *self, space_t *space, size_t capacity)
{
    entry_t **table = (entry_t **) calloc (capacity, sizeof (entry_t *));
    if (!table)
        return -1;
    entry_t **old = space->table;
    size_t old_capacity = space->capacity;
    space->table = table;
    space->capacity = capacity;
    space->removed = 0;
    space->rehashes++;
    for (size_t index = 0; index < old_capacity; index++) {
        entry_t *entry = old[index];
        if (entry && entry != REMOVED) {
            bool found;
            size_t slot = s_probe (self, space, s_entry_name (entry), entry->name_length, &found);
            table[slot] = entry;
        }
    }
    free (old);
    self->memory += (capacity - old_capacity) * sizeof (entry_t *);
    return 0;
}

static space_t *
s_space (zs_index_t *self, const char *user, bool create)
{
    space_t *space = (space_t *) zhashx_lookup (self->spaces, user);
    if (space || !create)
        return space;
    if (self->ordered_count == self->ordered_capacity) {
        size_t capacity = self->ordered_capacity ? self->ordered_capacity * 2 : 16;
        space_t **ordered = (space_t **) realloc (self->ordered, capacity * sizeof (space_t *));
        if (!ordered)
            return NULL;
        self->memory += (capacity - self->ordered_capacity) * sizeof (space_t *);
        self->ordered = ordered;
        self->ordered_capacity = capacity;
    }
    space = (space_t *) zmalloc (sizeof (space_t));
    if (!space)
        return NULL;
    space->capacity = 8;
    space->table = (entry_t **) calloc (space->capacity, sizeof (entry_t *));
    space->user = strdup (user);
    if (!space->table || !space->user) {
        free (space->table);
        free (space->user);
        free (space);
        return NULL;
    }
    self->memory += space->capacity * sizeof (entry_t *);
    zhashx_insert (self->spaces, user, space);
    self->ordered[self->ordered_count++] = space;
    return space;
}

static void
s_decode (const entry_t *entry, zs_record_t *record)
{
    record->version = entry->version;
    record->size = entry->size;
    record->stamp = entry->stamp;
    memcpy (record->checksum, entry->checksum, ZS_CHECKSUM_SIZE);
    record->desired = entry->desired;
    record->tombstone = entry->tombstone != 0;
    record->holder_count = entry->holder_count;
    memcpy (record->holders, entry->slots, sizeof (uint16_t) * entry->holder_count);
    record->pending_count = entry->pending_count;
    memcpy (record->pending, entry->slots + entry->holder_count,
            sizeof (uint16_t) * entry->pending_count);
}

static entry_t *
s_encode (const zs_record_t *record, const char *name, size_t length)
{
    assert (record->holder_count <= ZS_INDEX_SLOTS_MAX
            && record->pending_count <= ZS_INDEX_SLOTS_MAX);
    entry_t *entry =
        (entry_t *) malloc (s_entry_bytes (record->holder_count, record->pending_count, length));
    if (!entry)
        return NULL;
    entry->version = record->version;
    entry->size = record->size;
    entry->stamp = record->stamp;
    memcpy (entry->checksum, record->checksum, ZS_CHECKSUM_SIZE);
    entry->desired = record->desired;
    entry->tombstone = record->tombstone;
    entry->holder_count = record->holder_count;
    entry->pending_count = record->pending_count;
    entry->name_length = (uint16_t) length;
    memcpy (entry->slots, record->holders, sizeof (uint16_t) * record->holder_count);
    memcpy (entry->slots + record->holder_count, record->pending,
            sizeof (uint16_t) * record->pending_count);
    memcpy ((char *) s_entry_name (entry), name, length);
    return entry;
}

//  Keeps the totals right as an entry comes (sign 1) or goes (sign -1)
static void
s_account (zs_index_t *self, space_t *space, const entry_t *entry, int sign)
{
    size_t bytes = s_entry_bytes (entry->holder_count, entry->pending_count, entry->name_length);
    self->memory += sign > 0 ? bytes : -bytes;
    self->size += sign > 0 ? 1 : -1;
    if (!entry->tombstone) {
        self->files += sign > 0 ? 1 : -1;
        self->bytes += sign > 0 ? entry->size : -entry->size;
        space->files += sign > 0 ? 1 : -1;
        space->bytes += sign > 0 ? entry->size : -entry->size;
    }
    if (self->test) {
        zs_record_t record;
        s_decode (entry, &record);
        if (self->test (&record, self->test_arg))
            self->counted += sign > 0 ? 1 : -1;
    }
}

bool
zs_index_get (zs_index_t *self, const char *user, const char *name, zs_record_t *record)
{
    assert (self && user && name && record);
    space_t *space = s_space (self, user, false);
    if (!space)
        return false;
    bool found;
    size_t index = s_probe (self, space, name, strlen (name), &found);
    if (found)
        s_decode (space->table[index], record);
    return found;
}

int
zs_index_put (zs_index_t *self, const char *user, const char *name, const zs_record_t *record)
{
    assert (self && user && name && record);
    size_t length = strlen (name);
    assert (length <= ZS_NAME_MAX);
    space_t *space = s_space (self, user, true);
    if (!space)
        return -1;
    //  Keep the table at most 3/4 full, counting removed markers
    if ((space->count + space->removed + 1) * 4 > space->capacity * 3) {
        size_t capacity = space->capacity;
        while ((space->count + 1) * 2 > capacity)
            capacity *= 2;
        if (s_rehash (self, space, capacity))
            return -1;
    }
    entry_t *entry = s_encode (record, name, length);
    if (!entry)
        return -1;
    bool found;
    size_t index = s_probe (self, space, name, length, &found);
    if (found) {
        s_account (self, space, space->table[index], -1);
        free (space->table[index]);
    }
    else {
        if (space->table[index] == REMOVED)
            space->removed--;
        space->count++;
    }
    space->table[index] = entry;
    s_account (self, space, entry, 1);
    return 0;
}

static void
s_remove_at (zs_index_t *self, space_t *space, size_t index)
{
    s_account (self, space, space->table[index], -1);
    free (space->table[index]);
    space->table[index] = REMOVED;
    space->removed++;
    space->count--;
}

void
zs_index_remove (zs_index_t *self, const char *user, const char *name)
{
    assert (self && user && name);
    space_t *space = s_space (self, user, false);
    if (!space)
        return;
    bool found;
    size_t index = s_probe (self, space, name, strlen (name), &found);
    if (found)
        s_remove_at (self, space, index);
}

uint64_t
zs_index_files (zs_index_t *self)
{
    assert (self);
    return self->files;
}

uint64_t
zs_index_bytes (zs_index_t *self)
{
    assert (self);
    return self->bytes;
}

void
zs_index_usage (zs_index_t *self, const char *user, uint64_t *files, uint64_t *bytes)
{
    assert (self && user && files && bytes);
    space_t *space = s_space (self, user, false);
    *files = space ? space->files : 0;
    *bytes = space ? space->bytes : 0;
}

uint64_t
zs_index_size (zs_index_t *self)
{
    assert (self);
    return self->size;
}

uint64_t
zs_index_memory (zs_index_t *self)
{
    assert (self);
    return self->memory;
}

//  Shows one entry to fn and carries out what it asks
static void
s_visit (zs_index_t *self, space_t *space, size_t index, const char *user, zs_index_fn *fn,
         void *arg)
{
    entry_t *entry = space->table[index];
    char name[ZS_NAME_MAX + 1];
    memcpy (name, s_entry_name (entry), entry->name_length);
    name[entry->name_length] = 0;
    zs_record_t record;
    s_decode (entry, &record);
    int action = fn (user, name, &record, arg);
    if (action == ZS_INDEX_REMOVE)
        s_remove_at (self, space, index);
    else if (action == ZS_INDEX_UPDATE) {
        entry_t *updated = s_encode (&record, name, entry->name_length);
        if (updated) {
            s_account (self, space, entry, -1);
            free (entry);
            space->table[index] = updated;
            s_account (self, space, updated, 1);
        }
    }
}

bool
zs_index_walk (zs_index_t *self, zs_index_cursor_t *cursor, size_t budget, zs_index_fn *fn,
               void *arg)
{
    assert (self && cursor && fn);
    while (budget > 0 && cursor->space < self->ordered_count) {
        space_t *space = self->ordered[cursor->space];
        //  Entries that moved to a new table since: its walk starts again
        if (space->rehashes != cursor->rehashes) {
            cursor->rehashes = space->rehashes;
            cursor->position = 0;
        }
        for (; budget > 0 && cursor->position < space->capacity; budget--, cursor->position++)
            if (space->table[cursor->position] && space->table[cursor->position] != REMOVED)
                s_visit (self, space, cursor->position, space->user, fn, arg);
        if (cursor->position == space->capacity) {
            cursor->space++;
            cursor->position = 0;
        }
    }
    if (cursor->space < self->ordered_count)
        return false;
    memset (cursor, 0, sizeof (zs_index_cursor_t));
    return true;
}

void
zs_index_foreach (zs_index_t *self, zs_index_fn *fn, void *arg)
{
    assert (self && fn);
    zs_index_cursor_t cursor = { 0, 0, 0 };
    zs_index_walk (self, &cursor, SIZE_MAX, fn, arg);
}

static int
s_count_one (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) user;
    (void) name;
    zs_index_t *self = (zs_index_t *) arg;
    if (self->test (record, self->test_arg))
        self->counted++;
    return ZS_INDEX_KEEP;
}

void
zs_index_set_counted (zs_index_t *self, zs_index_test_fn *test, void *arg)
{
    assert (self);
    self->test = test;
    self->test_arg = arg;
    zs_index_recount (self);
}

void
zs_index_recount (zs_index_t *self)
{
    assert (self);
    self->counted = 0;
    if (self->test)
        zs_index_foreach (self, s_count_one, self);
}

uint64_t
zs_index_counted (zs_index_t *self)
{
    assert (self);
    return self->counted;
}

static int
s_compare_names (const entry_t *a, const entry_t *b)
{
    size_t common = a->name_length < b->name_length ? a->name_length : b->name_length;
    int order = memcmp (s_entry_name (a), s_entry_name (b), common);
    return order ? order : (int) a->name_length - (int) b->name_length;
}

static int
s_compare_slots (const void *a, const void *b, void *arg)
{
    entry_t **table = (entry_t **) arg;
    return s_compare_names (table[*(const size_t *) a], table[*(const size_t *) b]);
}

bool
zs_index_list (zs_index_t *self, const char *user, const char *after, size_t limit, zs_index_fn *fn,
               void *arg)
{
    assert (self && user && fn);
    space_t *space = s_space (self, user, false);
    if (!space || space->count == 0)
        return false;
    size_t *slots = (size_t *) malloc (space->count * sizeof (size_t));
    if (!slots)
        return false;
    size_t after_length = after ? strlen (after) : 0;
    size_t count = 0;
    for (size_t index = 0; index < space->capacity; index++) {
        entry_t *entry = space->table[index];
        if (!entry || entry == REMOVED)
            continue;
        if (after_length) {
            size_t common = entry->name_length < after_length ? entry->name_length : after_length;
            int order = memcmp (s_entry_name (entry), after, common);
            if (order < 0 || (order == 0 && entry->name_length <= after_length))
                continue;
        }
        slots[count++] = index;
    }
    qsort_r (slots, count, sizeof (size_t), s_compare_slots, space->table);
    size_t shown = count < limit ? count : limit;
    for (size_t index = 0; index < shown; index++)
        s_visit (self, space, slots[index], user, fn, arg);
    free (slots);
    return count > limit;
}

static int
s_find_slot (const uint16_t *slots, uint8_t count, uint16_t slot)
{
    for (uint8_t index = 0; index < count; index++)
        if (ZS_INDEX_SLOT (slots[index]) == ZS_INDEX_SLOT (slot))
            return index;
    return -1;
}

bool
zs_index_has (const uint16_t *slots, uint8_t count, uint16_t slot)
{
    return s_find_slot (slots, count, slot) >= 0;
}

bool
zs_index_has_confirmed (const uint16_t *slots, uint8_t count, uint16_t slot)
{
    int found = s_find_slot (slots, count, slot);
    return found >= 0 && !(slots[found] & ZS_INDEX_UNCONFIRMED);
}

bool
zs_index_add (uint16_t *slots, uint8_t *count, uint16_t slot)
{
    int found = s_find_slot (slots, *count, slot);
    if (found >= 0) {
        slots[found] = slot;
        return true;
    }
    if (*count >= ZS_INDEX_SLOTS_MAX)
        return false;
    slots[(*count)++] = slot;
    return true;
}

bool
zs_index_delete (uint16_t *slots, uint8_t *count, uint16_t slot)
{
    for (uint8_t index = 0; index < *count; index++)
        if (ZS_INDEX_SLOT (slots[index]) == ZS_INDEX_SLOT (slot)) {
            slots[index] = slots[--(*count)];
            return true;
        }
    return false;
}

void
zs_index_union (uint16_t *slots, uint8_t *count, const uint16_t *more, uint8_t more_count)
{
    for (uint8_t index = 0; index < more_count; index++)
        zs_index_add (slots, count, ZS_INDEX_SLOT (more[index]));
}
