/*  test_index - the gateway's index of files
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_index.h"

static zs_record_t
s_record (uint64_t version, uint64_t size, bool tombstone)
{
    zs_record_t record;
    memset (&record, 0, sizeof (record));
    record.version = version;
    record.size = size;
    record.stamp = version * 10;
    record.desired = 3;
    record.tombstone = tombstone;
    for (size_t index = 0; index < ZS_CHECKSUM_SIZE; index++)
        record.checksum[index] = (byte) (version + index);
    return record;
}

static void
s_assert_record_equal (const zs_record_t *actual, const zs_record_t *expected)
{
    assert_int_equal (actual->version, expected->version);
    assert_int_equal (actual->size, expected->size);
    assert_int_equal (actual->stamp, expected->stamp);
    assert_memory_equal (actual->checksum, expected->checksum, ZS_CHECKSUM_SIZE);
    assert_int_equal (actual->desired, expected->desired);
    assert_int_equal (actual->tombstone, expected->tombstone);
    assert_int_equal (actual->holder_count, expected->holder_count);
    assert_memory_equal (actual->holders, expected->holders,
                         expected->holder_count * sizeof (uint16_t));
    assert_int_equal (actual->pending_count, expected->pending_count);
    assert_memory_equal (actual->pending, expected->pending,
                         expected->pending_count * sizeof (uint16_t));
}

static void
test_put_get_remove (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    const char *users[] = { "alice", "bob", "carol" };
    const char *names[] = { "notes.txt", "photos/2024/cat.jpg", "", "x" };
    for (size_t user = 0; user < 3; user++)
        for (size_t name = 0; name < 4; name++) {
            zs_record_t record = s_record (100 * user + name + 1, 1000 * user + name, false);
            record.holders[record.holder_count++] = (uint16_t) user;
            record.holders[record.holder_count++] = (uint16_t) (name + 10);
            record.pending[record.pending_count++] = (uint16_t) (user + name + 20);
            assert_int_equal (zs_index_put (index, users[user], names[name], &record), 0);
        }
    assert_int_equal (zs_index_size (index), 12);
    assert_int_equal (zs_index_files (index), 12);
    uint64_t files, bytes;
    zs_index_usage (index, "bob", &files, &bytes);
    assert_int_equal (files, 4);
    assert_int_equal (bytes, 1000 + 1001 + 1002 + 1003);
    zs_index_usage (index, "dave", &files, &bytes);
    assert_int_equal (files, 0);
    assert_int_equal (bytes, 0);

    for (size_t user = 0; user < 3; user++)
        for (size_t name = 0; name < 4; name++) {
            zs_record_t expected = s_record (100 * user + name + 1, 1000 * user + name, false);
            expected.holders[expected.holder_count++] = (uint16_t) user;
            expected.holders[expected.holder_count++] = (uint16_t) (name + 10);
            expected.pending[expected.pending_count++] = (uint16_t) (user + name + 20);
            zs_record_t record;
            memset (&record, 0xEE, sizeof (record));
            assert_true (zs_index_get (index, users[user], names[name], &record));
            s_assert_record_equal (&record, &expected);
        }
    zs_record_t record;
    assert_false (zs_index_get (index, "alice", "missing", &record));
    assert_false (zs_index_get (index, "dave", "notes.txt", &record));
    assert_false (zs_index_get (index, "alic", "notes.txt", &record));
    assert_false (zs_index_get (index, "alice", "notes.tx", &record));
    assert_false (zs_index_get (index, "alice", "notes.txt ", &record));

    //  Removing one user's file leaves the others' files of that name
    zs_index_remove (index, "bob", "notes.txt");
    assert_false (zs_index_get (index, "bob", "notes.txt", &record));
    assert_true (zs_index_get (index, "alice", "notes.txt", &record));
    assert_int_equal (record.version, 1);
    assert_true (zs_index_get (index, "carol", "notes.txt", &record));
    assert_int_equal (record.version, 201);
    assert_true (zs_index_get (index, "bob", "x", &record));
    assert_int_equal (zs_index_size (index), 11);
    zs_index_usage (index, "bob", &files, &bytes);
    assert_int_equal (files, 3);
    assert_int_equal (bytes, 1001 + 1002 + 1003);
    //  A tombstone is no file of its user's
    zs_record_t removal = s_record (999, 0, true);
    assert_int_equal (zs_index_put (index, "bob", "x", &removal), 0);
    zs_index_usage (index, "bob", &files, &bytes);
    assert_int_equal (files, 2);
    assert_int_equal (bytes, 1001 + 1002);
    assert_int_equal (zs_index_put (index, "bob", "x", &record), 0);

    //  Removing what is not there changes nothing
    zs_index_remove (index, "bob", "notes.txt");
    zs_index_remove (index, "dave", "notes.txt");
    zs_index_remove (index, "alice", "nothing");
    assert_int_equal (zs_index_size (index), 11);
    assert_int_equal (zs_index_files (index), 11);

    for (size_t user = 0; user < 3; user++)
        for (size_t name = 0; name < 4; name++)
            zs_index_remove (index, users[user], names[name]);
    assert_int_equal (zs_index_size (index), 0);
    assert_int_equal (zs_index_files (index), 0);
    assert_int_equal (zs_index_bytes (index), 0);
    zs_index_destroy (&index);
    assert_null (index);
    zs_index_destroy (&index);
}

static int
s_collect (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) record;
    zlistx_t *seen = (zlistx_t *) arg;
    char *entry = zsys_sprintf ("%s:%s", user, name);
    assert_non_null (entry);
    zlistx_add_end (seen, entry);
    return ZS_INDEX_KEEP;
}

static zlistx_t *
s_seen_new (void)
{
    zlistx_t *seen = zlistx_new ();
    assert_non_null (seen);
    zlistx_set_destructor (seen, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (seen, (zlistx_comparator_fn *) strcmp);
    return seen;
}

static void
test_users_are_separate (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    zs_record_t first = s_record (1, 10, false);
    zs_record_t second = s_record (2, 20, false);
    assert_int_equal (zs_index_put (index, "alice", "report", &first), 0);
    assert_int_equal (zs_index_put (index, "bob", "report", &second), 0);
    assert_int_equal (zs_index_put (index, "alice", "alice-only", &first), 0);
    assert_int_equal (zs_index_size (index), 3);
    zs_record_t record;
    assert_true (zs_index_get (index, "alice", "report", &record));
    s_assert_record_equal (&record, &first);
    assert_true (zs_index_get (index, "bob", "report", &record));
    s_assert_record_equal (&record, &second);
    assert_false (zs_index_get (index, "bob", "alice-only", &record));

    //  A listing of bob shows only bob's files
    zlistx_t *seen = s_seen_new ();
    assert_false (zs_index_list (index, "bob", "", 100, s_collect, seen));
    assert_int_equal (zlistx_size (seen), 1);
    assert_string_equal ((char *) zlistx_first (seen), "bob:report");
    zlistx_purge (seen);
    assert_false (zs_index_list (index, "alice", NULL, 100, s_collect, seen));
    assert_int_equal (zlistx_size (seen), 2);
    assert_string_equal ((char *) zlistx_first (seen), "alice:alice-only");
    assert_string_equal ((char *) zlistx_next (seen), "alice:report");
    zlistx_purge (seen);
    //  A user with no files, or whose files are all gone
    assert_false (zs_index_list (index, "carol", "", 100, s_collect, seen));
    zs_index_remove (index, "bob", "report");
    assert_false (zs_index_list (index, "bob", "", 100, s_collect, seen));
    assert_int_equal (zlistx_size (seen), 0);
    assert_true (zs_index_get (index, "alice", "report", &record));
    zlistx_destroy (&seen);
    zs_index_destroy (&index);
}

static void
test_replace_keeps_one (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    zs_record_t record = s_record (1, 100, false);
    record.holders[record.holder_count++] = 1;
    assert_int_equal (zs_index_put (index, "alice", "file", &record), 0);
    uint64_t memory = zs_index_memory (index);

    zs_record_t newer = s_record (2, 300, false);
    for (uint16_t slot = 0; slot < 5; slot++)
        newer.holders[newer.holder_count++] = slot + 7;
    newer.pending[newer.pending_count++] = 1;
    assert_int_equal (zs_index_put (index, "alice", "file", &newer), 0);
    assert_int_equal (zs_index_size (index), 1);
    assert_int_equal (zs_index_files (index), 1);
    assert_int_equal (zs_index_bytes (index), 300);
    //  The entry grew by four holders and one pending slot
    assert_int_equal (zs_index_memory (index), memory + 5 * sizeof (uint16_t));
    zs_record_t got;
    assert_true (zs_index_get (index, "alice", "file", &got));
    s_assert_record_equal (&got, &newer);

    zlistx_t *seen = s_seen_new ();
    zs_index_foreach (index, s_collect, seen);
    assert_int_equal (zlistx_size (seen), 1);
    zlistx_destroy (&seen);

    //  Putting the same again is idempotent
    assert_int_equal (zs_index_put (index, "alice", "file", &newer), 0);
    assert_int_equal (zs_index_size (index), 1);
    assert_int_equal (zs_index_memory (index), memory + 5 * sizeof (uint16_t));
    zs_index_destroy (&index);
}

static void
s_assert_counters (zs_index_t *index, uint64_t size, uint64_t files, uint64_t bytes)
{
    assert_int_equal (zs_index_size (index), size);
    assert_int_equal (zs_index_files (index), files);
    assert_int_equal (zs_index_bytes (index), bytes);
}

static void
test_counters (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    s_assert_counters (index, 0, 0, 0);
    assert_int_equal (zs_index_memory (index), 0);

    zs_record_t a = s_record (1, 100, false);
    zs_record_t b = s_record (1, 1000, false);
    zs_record_t c = s_record (1, 5, false);
    assert_int_equal (zs_index_put (index, "alice", "a", &a), 0);
    assert_int_equal (zs_index_put (index, "alice", "b", &b), 0);
    //  The table of a user with few files does not grow here
    uint64_t memory_two = zs_index_memory (index);
    assert_true (memory_two > 0);
    assert_int_equal (zs_index_put (index, "bob", "a", &c), 0);
    s_assert_counters (index, 3, 3, 1105);

    //  Replacement with another size
    a = s_record (2, 250, false);
    assert_int_equal (zs_index_put (index, "alice", "a", &a), 0);
    s_assert_counters (index, 3, 3, 1255);

    //  File to tombstone: still an entry, no longer a file
    zs_record_t tombstone = s_record (3, 0, true);
    tombstone.holders[tombstone.holder_count++] = 4;
    assert_int_equal (zs_index_put (index, "alice", "b", &tombstone), 0);
    s_assert_counters (index, 3, 2, 255);
    //  A tombstone's size does not count either
    tombstone = s_record (4, 777, true);
    assert_int_equal (zs_index_put (index, "alice", "b", &tombstone), 0);
    s_assert_counters (index, 3, 2, 255);

    //  Tombstone to file
    b = s_record (5, 40, false);
    assert_int_equal (zs_index_put (index, "alice", "b", &b), 0);
    s_assert_counters (index, 3, 3, 295);

    //  A new tombstone, then removes of files and tombstones
    assert_int_equal (zs_index_put (index, "bob", "gone", &tombstone), 0);
    s_assert_counters (index, 4, 3, 295);
    zs_index_remove (index, "bob", "gone");
    s_assert_counters (index, 3, 3, 295);
    zs_index_remove (index, "alice", "a");
    s_assert_counters (index, 2, 2, 45);
    zs_index_remove (index, "alice", "a");
    s_assert_counters (index, 2, 2, 45);
    zs_index_remove (index, "bob", "a");
    s_assert_counters (index, 1, 1, 40);
    zs_index_remove (index, "alice", "b");
    s_assert_counters (index, 0, 0, 0);

    //  Only the tables are left: alice's first one (8 places), and the
    //  users' in order (16)
    uint64_t memory_empty = zs_index_memory (index);
    assert_true (memory_empty > 0);
    assert_int_equal (zs_index_put (index, "alice", "a", &a), 0);
    assert_int_equal (zs_index_put (index, "alice", "b", &b), 0);
    assert_int_equal (zs_index_memory (index) - memory_empty,
                      memory_two - (8 + 16) * sizeof (void *));
    zs_index_destroy (&index);
}

static void
test_slot_sets (void **state)
{
    (void) state;
    uint16_t slots[ZS_INDEX_SLOTS_MAX] = { 0 };
    uint8_t count = 0;
    assert_false (zs_index_has (slots, count, 0));
    assert_false (zs_index_delete (slots, &count, 0));
    assert_true (zs_index_add (slots, &count, 5));
    assert_true (zs_index_add (slots, &count, 9));
    assert_true (zs_index_add (slots, &count, 0));
    assert_int_equal (count, 3);
    //  Adding a member again keeps one
    assert_true (zs_index_add (slots, &count, 9));
    assert_int_equal (count, 3);
    assert_true (zs_index_has (slots, count, 5));
    assert_true (zs_index_has (slots, count, 9));
    assert_true (zs_index_has (slots, count, 0));
    assert_false (zs_index_has (slots, count, 1));
    assert_true (zs_index_delete (slots, &count, 5));
    assert_int_equal (count, 2);
    assert_false (zs_index_has (slots, count, 5));
    assert_true (zs_index_has (slots, count, 9));
    assert_true (zs_index_has (slots, count, 0));
    assert_false (zs_index_delete (slots, &count, 5));
    assert_int_equal (count, 2);
    assert_true (zs_index_delete (slots, &count, 0));
    assert_true (zs_index_delete (slots, &count, 9));
    assert_int_equal (count, 0);

    //  Up to ZS_INDEX_SLOTS_MAX members, the largest slot numbers included
    for (uint16_t slot = 0; slot < ZS_INDEX_SLOTS_MAX; slot++)
        assert_true (zs_index_add (slots, &count, (uint16_t) (4095 - slot)));
    assert_int_equal (count, ZS_INDEX_SLOTS_MAX);
    assert_false (zs_index_add (slots, &count, 1));
    assert_int_equal (count, ZS_INDEX_SLOTS_MAX);
    assert_false (zs_index_has (slots, count, 1));
    //  Already a member: fine even when full
    assert_true (zs_index_add (slots, &count, 4095));
    assert_int_equal (count, ZS_INDEX_SLOTS_MAX);
    for (uint16_t slot = 0; slot < ZS_INDEX_SLOTS_MAX; slot++)
        assert_true (zs_index_has (slots, count, (uint16_t) (4095 - slot)));
    assert_true (zs_index_delete (slots, &count, 4080));
    assert_true (zs_index_add (slots, &count, 1));
    assert_int_equal (count, ZS_INDEX_SLOTS_MAX);

    //  Full sets of holders and pending survive the index
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    zs_record_t record = s_record (1, 1, false);
    for (uint16_t slot = 0; slot < ZS_INDEX_SLOTS_MAX; slot++) {
        assert_true (zs_index_add (record.holders, &record.holder_count, slot * 3));
        assert_true (zs_index_add (record.pending, &record.pending_count, 4095 - slot));
    }
    assert_false (zs_index_add (record.holders, &record.holder_count, 2));
    assert_false (zs_index_add (record.pending, &record.pending_count, 2));
    assert_int_equal (zs_index_put (index, "alice", "full", &record), 0);
    zs_record_t got;
    assert_true (zs_index_get (index, "alice", "full", &got));
    s_assert_record_equal (&got, &record);
    zs_index_destroy (&index);
}

//  Visitor for test_foreach: the name says what to do with the entry
typedef struct {
    zlistx_t *seen;
    size_t kept, updated, removed;
} visit_t;

static int
s_visit (const char *user, const char *name, zs_record_t *record, void *arg)
{
    visit_t *visit = (visit_t *) arg;
    s_collect (user, name, record, visit->seen);
    if (strncmp (name, "keep", 4) == 0) {
        visit->kept++;
        //  Changes without UPDATE are not stored
        record->version = 9999;
        record->holder_count = 0;
        return ZS_INDEX_KEEP;
    }
    if (strncmp (name, "update", 6) == 0) {
        visit->updated++;
        assert_true (zs_index_add (record->holders, &record->holder_count, 77));
        record->version++;
        return ZS_INDEX_UPDATE;
    }
    if (strncmp (name, "bury", 4) == 0) {
        visit->updated++;
        record->tombstone = true;
        return ZS_INDEX_UPDATE;
    }
    visit->removed++;
    return ZS_INDEX_REMOVE;
}

static void
test_foreach (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    const char *users[] = { "alice", "bob", "carol" };
    for (size_t user = 0; user < 3; user++)
        for (int number = 0; number < 100; number++) {
            char name[32];
            const char *kind = number % 4 == 0   ? "keep"
                               : number % 4 == 1 ? "update"
                               : number % 4 == 2 ? "bury"
                                                 : "remove";
            snprintf (name, sizeof (name), "%s-%d", kind, number);
            zs_record_t record = s_record ((uint64_t) number, 10, false);
            record.holders[record.holder_count++] = 1;
            assert_int_equal (zs_index_put (index, users[user], name, &record), 0);
        }
    s_assert_counters (index, 300, 300, 3000);
    uint64_t memory = zs_index_memory (index);

    visit_t visit = { s_seen_new (), 0, 0, 0 };
    zs_index_foreach (index, s_visit, &visit);
    //  Every entry was shown once, with its own user
    assert_int_equal (zlistx_size (visit.seen), 300);
    zhashx_t *distinct = zhashx_new ();
    assert_non_null (distinct);
    for (const char *entry = (const char *) zlistx_first (visit.seen); entry;
         entry = (const char *) zlistx_next (visit.seen))
        assert_int_equal (zhashx_insert (distinct, entry, (void *) entry), 0);
    assert_int_equal (zhashx_size (distinct), 300);
    assert_non_null (zhashx_lookup (distinct, "alice:keep-0"));
    assert_non_null (zhashx_lookup (distinct, "bob:remove-99"));
    assert_non_null (zhashx_lookup (distinct, "carol:bury-50"));
    zhashx_destroy (&distinct);
    assert_int_equal (visit.kept, 75);
    assert_int_equal (visit.updated, 150);
    assert_int_equal (visit.removed, 75);

    //  Removed entries are gone, buried ones are tombstones
    s_assert_counters (index, 225, 150, 1500);
    //  Removed entries freed their memory
    assert_true (zs_index_memory (index) < memory);
    for (size_t user = 0; user < 3; user++)
        for (int number = 0; number < 100; number++) {
            char name[32];
            zs_record_t record;
            switch (number % 4) {
                case 0:
                    snprintf (name, sizeof (name), "keep-%d", number);
                    assert_true (zs_index_get (index, users[user], name, &record));
                    assert_int_equal (record.version, number);
                    assert_int_equal (record.holder_count, 1);
                    break;
                case 1:
                    snprintf (name, sizeof (name), "update-%d", number);
                    assert_true (zs_index_get (index, users[user], name, &record));
                    assert_int_equal (record.version, number + 1);
                    assert_int_equal (record.holder_count, 2);
                    assert_true (zs_index_has (record.holders, record.holder_count, 1));
                    assert_true (zs_index_has (record.holders, record.holder_count, 77));
                    assert_false (record.tombstone);
                    break;
                case 2:
                    snprintf (name, sizeof (name), "bury-%d", number);
                    assert_true (zs_index_get (index, users[user], name, &record));
                    assert_true (record.tombstone);
                    break;
                default:
                    snprintf (name, sizeof (name), "remove-%d", number);
                    assert_false (zs_index_get (index, users[user], name, &record));
            }
        }
    zlistx_destroy (&visit.seen);

    //  A second pass removes nothing, and its updates do not change sizes:
    //  holder 77 is already there, buried entries stay tombstones
    memory = zs_index_memory (index);
    visit_t again = { s_seen_new (), 0, 0, 0 };
    zs_index_foreach (index, s_visit, &again);
    assert_int_equal (zlistx_size (again.seen), 225);
    assert_int_equal (again.removed, 0);
    assert_int_equal (zs_index_memory (index), memory);
    s_assert_counters (index, 225, 150, 1500);
    zlistx_destroy (&again.seen);
    zs_index_destroy (&index);
}

static int
s_add_holder (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) user;
    (void) name;
    uint16_t slot = *(uint16_t *) arg;
    assert_true (zs_index_add (record->holders, &record->holder_count, slot));
    return ZS_INDEX_UPDATE;
}

static void
test_foreach_update_size (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    for (int number = 0; number < 50; number++) {
        char name[32];
        snprintf (name, sizeof (name), "file-%d", number);
        zs_record_t record = s_record (1, 10, false);
        assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
    }
    uint64_t memory = zs_index_memory (index);
    uint16_t slot = 12;
    zs_index_foreach (index, s_add_holder, &slot);
    assert_int_equal (zs_index_memory (index), memory + 50 * sizeof (uint16_t));
    slot = 13;
    zs_index_foreach (index, s_add_holder, &slot);
    assert_int_equal (zs_index_memory (index), memory + 100 * sizeof (uint16_t));
    s_assert_counters (index, 50, 50, 500);
    for (int number = 0; number < 50; number++) {
        char name[32];
        snprintf (name, sizeof (name), "file-%d", number);
        zs_record_t record;
        assert_true (zs_index_get (index, "alice", name, &record));
        assert_int_equal (record.holder_count, 2);
        assert_int_equal (record.holders[0], 12);
        assert_int_equal (record.holders[1], 13);
    }
    zs_index_destroy (&index);
}

//  Counted: files with fewer holders than the copies that count as enough,
//  which the test moves as a bucket's state change would
static bool
s_short (const zs_record_t *record, void *arg)
{
    return !record->tombstone && record->holder_count < *(uint8_t *) arg;
}

static int
s_remove_short (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) user;
    (void) name;
    return s_short (record, arg) ? ZS_INDEX_REMOVE : ZS_INDEX_KEEP;
}

//  Puts user/name with holders 1..holders
static void
s_put_held (zs_index_t *index, const char *name, uint8_t holders, bool tombstone)
{
    zs_record_t record = s_record (1, 10, tombstone);
    for (uint16_t slot = 1; slot <= holders; slot++)
        assert_true (zs_index_add (record.holders, &record.holder_count, slot));
    assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
}

static void
test_counted (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    assert_int_equal (zs_index_counted (index), 0);
    s_put_held (index, "full", 3, false);
    s_put_held (index, "short", 2, false);
    s_put_held (index, "gone", 0, true);
    zs_index_recount (index);
    assert_int_equal (zs_index_counted (index), 0);

    //  Entries already there are counted when counting starts
    uint8_t enough = 3;
    zs_index_set_counted (index, s_short, &enough);
    assert_int_equal (zs_index_counted (index), 1);

    //  Then the count follows puts, replacements and removals
    s_put_held (index, "new-short", 1, false);
    assert_int_equal (zs_index_counted (index), 2);
    s_put_held (index, "short", 3, false);
    assert_int_equal (zs_index_counted (index), 1);
    s_put_held (index, "full", 1, true);
    assert_int_equal (zs_index_counted (index), 1);
    s_put_held (index, "full", 1, false);
    assert_int_equal (zs_index_counted (index), 2);
    zs_index_remove (index, "alice", "full");
    assert_int_equal (zs_index_counted (index), 1);
    zs_index_remove (index, "alice", "no-such-file");
    assert_int_equal (zs_index_counted (index), 1);

    //  ... and what a visitor changes or removes
    uint16_t slot = 9;
    zs_index_foreach (index, s_add_holder, &slot);
    assert_int_equal (zs_index_counted (index), 1);
    zs_index_foreach (index, s_add_holder, &slot);
    assert_int_equal (zs_index_counted (index), 1);
    slot = 10;
    zs_index_foreach (index, s_add_holder, &slot);
    assert_int_equal (zs_index_counted (index), 0);

    //  When the test changes its mind without the entries changing, the
    //  count holds until counted again
    enough = 5;
    assert_int_equal (zs_index_counted (index), 0);
    zs_index_recount (index);
    assert_int_equal (zs_index_counted (index), 1);
    zs_index_foreach (index, s_remove_short, &enough);
    assert_int_equal (zs_index_counted (index), 0);
    assert_int_equal (zs_index_size (index), 2);

    //  Without a test nothing is counted
    zs_index_set_counted (index, NULL, NULL);
    s_put_held (index, "another", 0, false);
    assert_int_equal (zs_index_counted (index), 0);
    zs_index_destroy (&index);
}

//  Counts the visits of each entry, by "user:name"
static int
s_tally (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) record;
    zhashx_t *visits = (zhashx_t *) arg;
    char key[600];
    snprintf (key, sizeof (key), "%s:%s", user, name);
    size_t count = (size_t) zhashx_lookup (visits, key);
    zhashx_update (visits, key, (void *) (count + 1));
    return ZS_INDEX_KEEP;
}

//  Walks a whole pass in slices of budget; returns the slices it took
static size_t
s_walk_pass (zs_index_t *index, size_t budget, zs_index_fn *fn, void *arg)
{
    zs_index_cursor_t cursor = { 0, 0, 0 };
    size_t slices = 1;
    while (!zs_index_walk (index, &cursor, budget, fn, arg)) {
        slices++;
        assert_true (slices < 100000);
    }
    assert_int_equal (cursor.space, 0);
    assert_int_equal (cursor.position, 0);
    return slices;
}

static void
test_walk (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    zs_index_cursor_t cursor = { 0, 0, 0 };
    zhashx_t *visits = zhashx_new ();
    assert_non_null (visits);
    assert_true (zs_index_walk (index, &cursor, 10, s_tally, visits));
    assert_int_equal (zhashx_size (visits), 0);

    const char *users[] = { "alice", "bob", "carol" };
    for (int number = 0; number < 300; number++) {
        char name[32];
        snprintf (name, sizeof (name), "file-%d", number);
        zs_record_t record = s_record (1, 10, false);
        assert_int_equal (zs_index_put (index, users[number % 3], name, &record), 0);
    }
    //  In slices, every entry once
    assert_true (s_walk_pass (index, 7, s_tally, visits) > 10);
    assert_int_equal (zhashx_size (visits), 300);
    for (size_t count = (size_t) zhashx_first (visits); count;
         count = (size_t) zhashx_next (visits))
        assert_int_equal (count, 1);

    //  A table rebuilt in the middle of its walk: every entry at least once
    zhashx_purge (visits);
    assert_false (zs_index_walk (index, &cursor, 20, s_tally, visits));
    assert_int_equal (cursor.space, 0);
    for (int number = 0; number < 500; number++) {
        char name[32];
        snprintf (name, sizeof (name), "later-%d", number);
        zs_record_t record = s_record (1, 10, false);
        assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
    }
    while (!zs_index_walk (index, &cursor, 20, s_tally, visits))
        ;
    for (int number = 0; number < 300; number++) {
        char key[64];
        snprintf (key, sizeof (key), "%s:file-%d", users[number % 3], number);
        assert_true ((size_t) zhashx_lookup (visits, key) >= 1);
    }

    //  A user who came in the middle is walked in the same pass
    zhashx_purge (visits);
    assert_false (zs_index_walk (index, &cursor, 20, s_tally, visits));
    zs_record_t record = s_record (1, 10, false);
    assert_int_equal (zs_index_put (index, "dave", "late", &record), 0);
    while (!zs_index_walk (index, &cursor, 20, s_tally, visits))
        ;
    assert_true ((size_t) zhashx_lookup (visits, "dave:late") == 1);

    //  The visitor may remove what it is shown
    uint8_t enough = 1;
    s_walk_pass (index, 13, s_remove_short, &enough);
    assert_int_equal (zs_index_size (index), 0);
    assert_int_equal (zs_index_files (index), 0);
    zhashx_destroy (&visits);
    zs_index_destroy (&index);
}

//  Lists user's entries after a cursor into a list of names
static bool
s_list (zs_index_t *index, const char *user, const char *after, size_t limit, zlistx_t *names)
{
    zlistx_purge (names);
    zlistx_t *seen = s_seen_new ();
    bool more = zs_index_list (index, user, after, limit, s_collect, seen);
    for (char *entry = (char *) zlistx_first (seen); entry; entry = (char *) zlistx_next (seen)) {
        assert_true (strncmp (entry, user, strlen (user)) == 0);
        assert_int_equal (entry[strlen (user)], ':');
        zlistx_add_end (names, strdup (entry + strlen (user) + 1));
    }
    zlistx_destroy (&seen);
    return more;
}

static void
s_assert_names (zlistx_t *names, const char **expected, size_t count)
{
    assert_int_equal (zlistx_size (names), count);
    const char *name = (const char *) zlistx_first (names);
    for (size_t index = 0; index < count; index++) {
        assert_non_null (name);
        assert_string_equal (name, expected[index]);
        name = (const char *) zlistx_next (names);
    }
}

static void
test_list_order (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    //  In byte order; UTF-8 sorts after ASCII
    const char *sorted[] = {
        "A",
        "Z",
        "a",
        "a b",
        "a/b",
        "a/b/c",
        "ab",
        "abc",
        "b",
        "z",
        "\xc3\xa9t\xc3\xa9",        //  été
        "\xc3\xa9t\xc3\xa9s",       //  étés
        "\xe6\x97\xa5\xe6\x9c\xac", //  日本
        "\xf0\x9f\x98\x80",         //  an emoji
    };
    size_t count = sizeof (sorted) / sizeof (sorted[0]);
    //  Inserted in a scrambled order
    for (size_t step = 0; step < count; step++) {
        size_t position = (step * 5 + 3) % count;
        zs_record_t record = s_record (position, position, false);
        assert_int_equal (zs_index_put (index, "alice", sorted[position], &record), 0);
    }
    assert_int_equal (zs_index_size (index), count);
    zlistx_t *names = zlistx_new ();
    assert_non_null (names);
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);

    assert_false (s_list (index, "alice", "", 100, names));
    s_assert_names (names, sorted, count);
    assert_false (s_list (index, "alice", NULL, count, names));
    s_assert_names (names, sorted, count);
    assert_true (s_list (index, "alice", "", count - 1, names));
    s_assert_names (names, sorted, count - 1);
    assert_true (s_list (index, "alice", "", 3, names));
    s_assert_names (names, sorted, 3);
    //  A limit of 0 shows nothing but says whether there is more
    assert_true (s_list (index, "alice", "", 0, names));
    assert_int_equal (zlistx_size (names), 0);

    //  After an existing name: strictly after it, prefixes included
    assert_false (s_list (index, "alice", "a", 100, names));
    s_assert_names (names, sorted + 3, count - 3);
    assert_true (s_list (index, "alice", "a", 2, names));
    s_assert_names (names, sorted + 3, 2);
    assert_true (s_list (index, "alice", "a/b", 1, names));
    s_assert_names (names, sorted + 5, 1);
    assert_true (s_list (index, "alice", "a/b/c", 1, names));
    s_assert_names (names, sorted + 6, 1);
    assert_false (s_list (index, "alice", "ab", 100, names));
    s_assert_names (names, sorted + 7, count - 7);
    //  After names that are not there
    assert_true (s_list (index, "alice", "a/", 1, names));
    s_assert_names (names, sorted + 4, 1);
    assert_true (s_list (index, "alice", "aa", 1, names));
    s_assert_names (names, sorted + 6, 1);
    assert_true (s_list (index, "alice", "@", 1, names));
    s_assert_names (names, sorted, 1);
    assert_true (s_list (index, "alice", "`", 1, names));
    s_assert_names (names, sorted + 2, 1);
    assert_false (s_list (index, "alice", "zz", 100, names));
    s_assert_names (names, sorted + 10, count - 10);
    assert_false (s_list (index, "alice", "\xc3\xa9t\xc3\xa9", 100, names));
    s_assert_names (names, sorted + 11, count - 11);
    assert_false (s_list (index, "alice", "\xc3", 100, names));
    s_assert_names (names, sorted + 10, count - 10);
    //  After the last name, or past everything
    assert_false (s_list (index, "alice", sorted[count - 1], 100, names));
    assert_int_equal (zlistx_size (names), 0);
    assert_false (s_list (index, "alice", "\xff", 100, names));
    assert_int_equal (zlistx_size (names), 0);
    //  Exactly the rest fits: no more
    assert_false (s_list (index, "alice", sorted[count - 4], 3, names));
    s_assert_names (names, sorted + count - 3, 3);
    assert_true (s_list (index, "alice", sorted[count - 5], 3, names));
    s_assert_names (names, sorted + count - 4, 3);

    //  Another user sees none of these
    assert_false (s_list (index, "bob", "", 100, names));
    assert_int_equal (zlistx_size (names), 0);

    //  Names listed come with their records
    zs_record_t record;
    assert_true (zs_index_get (index, "alice", "a/b", &record));
    assert_int_equal (record.version, 4);
    zlistx_destroy (&names);
    zs_index_destroy (&index);
}

typedef struct {
    char last[64];
    size_t seen;
    bool *flags;
} page_t;

static int
s_page_visit (const char *user, const char *name, zs_record_t *record, void *arg)
{
    (void) user;
    page_t *page = (page_t *) arg;
    assert_true (strcmp (name, page->last) > 0);
    int number = atoi (name + 5);
    assert_true (number >= 0 && number < 10000);
    assert_false (page->flags[number]);
    assert_int_equal (record->version, (uint64_t) number);
    page->flags[number] = true;
    snprintf (page->last, sizeof (page->last), "%s", name);
    page->seen++;
    return ZS_INDEX_KEEP;
}

static void
test_list_pages (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    //  Names of different lengths so that prefixes occur: "file-7", "file-70", ...
    for (int step = 0; step < 10000; step++) {
        int number = (int) (((long) step * 7919) % 10000);
        char name[32];
        snprintf (name, sizeof (name), "file-%d", number);
        zs_record_t record = s_record ((uint64_t) number, 1, false);
        assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
    }
    zs_record_t other = s_record (1, 1, false);
    assert_int_equal (zs_index_put (index, "bob", "file-5", &other), 0);
    assert_int_equal (zs_index_size (index), 10001);

    page_t page = { "", 0, (bool *) calloc (10000, sizeof (bool)) };
    assert_non_null (page.flags);
    size_t pages = 0;
    bool more = true;
    while (more) {
        size_t before = page.seen;
        char after[64];
        snprintf (after, sizeof (after), "%s", page.last);
        more = zs_index_list (index, "alice", after, 333, s_page_visit, &page);
        pages++;
        if (more)
            assert_int_equal (page.seen - before, 333);
        assert_true (pages <= 31);
    }
    assert_int_equal (pages, 31);
    assert_int_equal (page.seen, 10000);
    for (int number = 0; number < 10000; number++)
        assert_true (page.flags[number]);
    assert_string_equal (page.last, "file-9999");
    free (page.flags);
    zs_index_destroy (&index);
}

static void
test_growth (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    const int count = 200000;
    zs_record_t small = s_record (1, 1, false);
    assert_int_equal (zs_index_put (index, "bob", "object-17", &small), 0);
    uint64_t previous_memory = zs_index_memory (index);
    for (int number = 0; number < count; number++) {
        char name[32];
        snprintf (name, sizeof (name), "object-%d", number);
        zs_record_t record = s_record ((uint64_t) number, (uint64_t) number % 1000, false);
        record.holders[record.holder_count++] = (uint16_t) (number % 4096);
        assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
        assert_true (zs_index_memory (index) > previous_memory);
        previous_memory = zs_index_memory (index);
        //  Lookups stay right while the table grows
        if (number % 9973 == 0) {
            for (int earlier = 0; earlier <= number; earlier += 997) {
                snprintf (name, sizeof (name), "object-%d", earlier);
                zs_record_t got;
                assert_true (zs_index_get (index, "alice", name, &got));
                assert_int_equal (got.version, (uint64_t) earlier);
            }
        }
    }
    assert_int_equal (zs_index_size (index), count + 1);
    assert_int_equal (zs_index_files (index), count + 1);
    uint64_t bytes = 1;
    for (int number = 0; number < count; number++)
        bytes += (uint64_t) number % 1000;
    assert_int_equal (zs_index_bytes (index), bytes);

    for (int number = 0; number < count; number++) {
        char name[32];
        snprintf (name, sizeof (name), "object-%d", number);
        zs_record_t got;
        assert_true (zs_index_get (index, "alice", name, &got));
        assert_int_equal (got.version, (uint64_t) number);
        assert_int_equal (got.size, (uint64_t) number % 1000);
        assert_int_equal (got.holder_count, 1);
        assert_int_equal (got.holders[0], number % 4096);
        snprintf (name, sizeof (name), "object-%d", number + count);
        assert_false (zs_index_get (index, "alice", name, &got));
    }
    zs_record_t got;
    assert_true (zs_index_get (index, "bob", "object-17", &got));
    s_assert_record_equal (&got, &small);
    assert_false (zs_index_get (index, "bob", "object-18", &got));
    zs_index_destroy (&index);
}

static void
test_remove_reinsert (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    const int count = 1000;
    char name[32];
    uint64_t memory = 0;
    for (int round = 0; round < 50; round++) {
        for (int number = 0; number < count; number++) {
            snprintf (name, sizeof (name), "r%02d-%05d", round, number);
            zs_record_t record = s_record ((uint64_t) (round * count + number), 3, false);
            assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
        }
        assert_int_equal (zs_index_size (index), count);
        //  The previous round's names are gone, this round's are there
        for (int number = 0; number < count; number++) {
            zs_record_t got;
            snprintf (name, sizeof (name), "r%02d-%05d", round, number);
            assert_true (zs_index_get (index, "alice", name, &got));
            assert_int_equal (got.version, (uint64_t) (round * count + number));
            if (round > 0) {
                snprintf (name, sizeof (name), "r%02d-%05d", round - 1, number);
                assert_false (zs_index_get (index, "alice", name, &got));
            }
        }
        //  Removed markers are reused or swept: the table does not grow
        if (round == 0)
            memory = zs_index_memory (index);
        else
            assert_int_equal (zs_index_memory (index), memory);
        for (int number = 0; number < count; number++) {
            snprintf (name, sizeof (name), "r%02d-%05d", round, number);
            zs_index_remove (index, "alice", name);
        }
        s_assert_counters (index, 0, 0, 0);
    }

    //  Remove every other entry, then find the rest past the markers
    for (int number = 0; number < count; number++) {
        snprintf (name, sizeof (name), "k%05d", number);
        zs_record_t record = s_record ((uint64_t) number, 1, false);
        assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
    }
    for (int number = 0; number < count; number += 2) {
        snprintf (name, sizeof (name), "k%05d", number);
        zs_index_remove (index, "alice", name);
    }
    s_assert_counters (index, count / 2, count / 2, count / 2);
    for (int number = 0; number < count; number++) {
        zs_record_t got;
        snprintf (name, sizeof (name), "k%05d", number);
        assert_int_equal (zs_index_get (index, "alice", name, &got), number % 2 == 1);
        if (number % 2)
            assert_int_equal (got.version, (uint64_t) number);
    }
    //  Put back, and replace the others: one entry per name
    for (int number = 0; number < count; number++) {
        snprintf (name, sizeof (name), "k%05d", number);
        zs_record_t record = s_record ((uint64_t) number + 5000, 2, false);
        assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
    }
    s_assert_counters (index, count, count, 2 * count);
    zlistx_t *seen = s_seen_new ();
    zs_index_foreach (index, s_collect, seen);
    assert_int_equal (zlistx_size (seen), count);
    zlistx_destroy (&seen);
    for (int number = 0; number < count; number++) {
        zs_record_t got;
        snprintf (name, sizeof (name), "k%05d", number);
        assert_true (zs_index_get (index, "alice", name, &got));
        assert_int_equal (got.version, (uint64_t) number + 5000);
    }
    zs_index_destroy (&index);
}

static void
test_memory_per_entry (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    const int count = 100000;
    for (int number = 0; number < count; number++) {
        char name[64];
        //  30 bytes, like "photos/2024/IMG_000123-xyz.jpg"
        snprintf (name, sizeof (name), "photos/2024/IMG_%06d-xyz.jpg", number);
        assert_int_equal (strlen (name), 30);
        zs_record_t record = s_record ((uint64_t) number, 4096, false);
        record.holders[record.holder_count++] = 1;
        record.holders[record.holder_count++] = 2;
        record.holders[record.holder_count++] = 3;
        assert_int_equal (zs_index_put (index, "alice", name, &record), 0);
    }
    assert_int_equal (zs_index_size (index), count);
    double per_entry = (double) zs_index_memory (index) / (double) zs_index_size (index);
    print_message ("index memory: %.1f bytes per entry (%d entries, 30-byte names, 3 holders)\n",
                   per_entry, count);
    //  At least the entry itself: fixed fields, holders and name
    assert_true (per_entry >= 62 + 6 + 30);
    assert_true (per_entry < 200);
    zs_index_destroy (&index);
}

static void
test_longest_names (void **state)
{
    (void) state;
    zs_index_t *index = zs_index_new ();
    assert_non_null (index);
    char user[ZS_USER_MAX + 1], name[ZS_NAME_MAX + 1];
    memset (user, 'u', ZS_USER_MAX);
    user[ZS_USER_MAX] = 0;
    memset (name, 'n', ZS_NAME_MAX);
    name[ZS_NAME_MAX] = 0;
    zs_record_t record = s_record (1, 1, false);
    assert_int_equal (zs_index_put (index, user, name, &record), 0);
    name[ZS_NAME_MAX - 1] = 'm';
    assert_int_equal (zs_index_put (index, user, name, &record), 0);
    zs_record_t got;
    assert_true (zs_index_get (index, user, name, &got));
    name[ZS_NAME_MAX - 1] = 'o';
    assert_false (zs_index_get (index, user, name, &got));
    zlistx_t *names = zlistx_new ();
    assert_non_null (names);
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    assert_false (s_list (index, user, "", 10, names));
    assert_int_equal (zlistx_size (names), 2);
    const char *first = (const char *) zlistx_first (names);
    assert_int_equal (strlen (first), ZS_NAME_MAX);
    assert_int_equal (first[ZS_NAME_MAX - 1], 'm');
    const char *second = (const char *) zlistx_next (names);
    assert_int_equal (strlen (second), ZS_NAME_MAX);
    assert_int_equal (second[ZS_NAME_MAX - 1], 'n');
    //  Paging past the first long name
    char cursor[ZS_NAME_MAX + 1];
    snprintf (cursor, sizeof (cursor), "%s", first);
    assert_false (s_list (index, user, cursor, 10, names));
    assert_int_equal (((const char *) zlistx_first (names))[ZS_NAME_MAX - 1], 'n');
    assert_int_equal (zlistx_size (names), 1);
    zlistx_destroy (&names);
    zs_index_destroy (&index);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        //  Entries and counters
        cmocka_unit_test (test_put_get_remove),
        cmocka_unit_test (test_users_are_separate),
        cmocka_unit_test (test_replace_keeps_one),
        cmocka_unit_test (test_counters),
        cmocka_unit_test (test_slot_sets),
        //  Walks and listings
        cmocka_unit_test (test_foreach),
        cmocka_unit_test (test_foreach_update_size),
        cmocka_unit_test (test_counted),
        cmocka_unit_test (test_walk),
        cmocka_unit_test (test_list_order),
        cmocka_unit_test (test_list_pages),
        cmocka_unit_test (test_longest_names),
        //  Tables at scale
        cmocka_unit_test (test_growth),
        cmocka_unit_test (test_remove_reinsert),
        cmocka_unit_test (test_memory_per_entry),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
