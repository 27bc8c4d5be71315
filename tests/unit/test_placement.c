/*  test_placement - where copies go, and the registry of buckets it reads
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_placement.h"

//  Adds an alive, connected member with routing id "x<n>"
static zs_member_t *
s_member (zs_registry_t *registry, const char *id, const char *zone, uint64_t used, uint64_t free)
{
    zs_member_t *member = zs_registry_ensure (registry, id);
    assert_non_null (member);
    snprintf (member->zone, sizeof (member->zone), "%s", zone);
    member->state = ZS_MEMBER_ALIVE;
    member->used = used;
    member->free = free;
    char routing[3] = { 'x', (char) ('A' + member->slot), 0 };
    zframe_t *frame = zframe_new (routing, 2);
    assert_non_null (frame);
    zs_registry_connect (registry, member, frame);
    zframe_destroy (&frame);
    assert_non_null (member->routing_id);
    return member;
}

static size_t
s_choose (zs_registry_t *registry, uint64_t size, const uint16_t *exclude, size_t exclude_count,
          size_t count, zs_member_t **chosen)
{
    //  Entries past the result stay untouched
    for (size_t index = 0; index < count + 1; index++)
        chosen[index] = (zs_member_t *) &chosen;
    size_t found = zs_placement_choose (registry, size, exclude, exclude_count, count, chosen);
    assert_true (found <= count);
    assert_ptr_equal (chosen[found], (zs_member_t *) &chosen);
    return found;
}

static void
test_choose_zones_first (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *b = s_member (registry, "b", "z1", 20, 80);
    zs_member_t *a = s_member (registry, "a", "z1", 10, 90);
    zs_member_t *d = s_member (registry, "d", "z3", 90, 10);
    zs_member_t *c = s_member (registry, "c", "z2", 50, 50);
    zs_member_t *e = s_member (registry, "e", "z2", 60, 40);
    zs_member_t *chosen[8];

    assert_int_equal (s_choose (registry, 1, NULL, 0, 1, chosen), 1);
    assert_ptr_equal (chosen[0], a);
    //  One per zone, emptiest first, before a second copy in any zone
    assert_int_equal (s_choose (registry, 1, NULL, 0, 2, chosen), 2);
    assert_ptr_equal (chosen[0], a);
    assert_ptr_equal (chosen[1], c);
    assert_int_equal (s_choose (registry, 1, NULL, 0, 3, chosen), 3);
    assert_ptr_equal (chosen[0], a);
    assert_ptr_equal (chosen[1], c);
    assert_ptr_equal (chosen[2], d);
    //  Then the emptiest of the rest
    assert_int_equal (s_choose (registry, 1, NULL, 0, 4, chosen), 4);
    assert_ptr_equal (chosen[3], b);
    assert_int_equal (s_choose (registry, 1, NULL, 0, 5, chosen), 5);
    assert_ptr_equal (chosen[3], b);
    assert_ptr_equal (chosen[4], e);
    //  Not enough members: fewer
    assert_int_equal (s_choose (registry, 1, NULL, 0, 7, chosen), 5);
    assert_int_equal (s_choose (registry, 1, NULL, 0, 0, chosen), 0);
    zs_registry_destroy (&registry);
    assert_null (registry);
}

static void
test_choose_emptiest (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    //  By fraction used, not by bytes
    zs_member_t *big = s_member (registry, "big", "z", 1000, 9000);     //  0.1
    zs_member_t *small = s_member (registry, "small", "z", 1, 1);       //  0.5
    zs_member_t *middle = s_member (registry, "middle", "z", 300, 700); //  0.3
    zs_member_t *busy = s_member (registry, "busy", "z", 0, 1000);      //  0.7 with reserved
    busy->reserved = 700;
    zs_member_t *chosen[8];
    assert_int_equal (s_choose (registry, UINT64_MAX, NULL, 0, 4, chosen), 4);
    assert_ptr_equal (chosen[0], big);
    assert_ptr_equal (chosen[1], middle);
    assert_ptr_equal (chosen[2], small);
    assert_ptr_equal (chosen[3], busy);
    //  What transfers reserve counts
    busy->reserved = 0;
    assert_int_equal (s_choose (registry, UINT64_MAX, NULL, 0, 1, chosen), 1);
    assert_ptr_equal (chosen[0], busy);
    big->reserved = 5000; //  0.6
    assert_int_equal (s_choose (registry, UINT64_MAX, NULL, 0, 4, chosen), 4);
    assert_ptr_equal (chosen[0], busy);
    assert_ptr_equal (chosen[1], middle);
    assert_ptr_equal (chosen[2], small);
    assert_ptr_equal (chosen[3], big);

    //  A member reporting no space at all is the fullest
    zs_member_t *unknown = s_member (registry, "unknown", "z", 0, 0);
    assert_int_equal (s_choose (registry, UINT64_MAX, NULL, 0, 5, chosen), 5);
    assert_ptr_equal (chosen[4], unknown);
    zs_registry_destroy (&registry);
}

static void
test_choose_ties (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *c = s_member (registry, "c", "", 50, 50);
    zs_member_t *a = s_member (registry, "a", "", 100, 100);
    zs_member_t *b = s_member (registry, "b", "", 5, 5);
    zs_member_t *chosen[4];
    //  Equally full: by id
    assert_int_equal (s_choose (registry, 1, NULL, 0, 3, chosen), 3);
    assert_ptr_equal (chosen[0], a);
    assert_ptr_equal (chosen[1], b);
    assert_ptr_equal (chosen[2], c);
    //  Then fewer transfers in flight first
    a->transfers = 2;
    b->transfers = 1;
    assert_int_equal (s_choose (registry, 1, NULL, 0, 3, chosen), 3);
    assert_ptr_equal (chosen[0], c);
    assert_ptr_equal (chosen[1], b);
    assert_ptr_equal (chosen[2], a);
    zs_registry_destroy (&registry);
}

static void
test_choose_alive_then_suspect (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *alive = s_member (registry, "alive", "z1", 90, 10);
    zs_member_t *suspect = s_member (registry, "suspect", "z2", 0, 100);
    suspect->state = ZS_MEMBER_SUSPECT;
    zs_member_t *dead = s_member (registry, "dead", "z3", 0, 100);
    dead->state = ZS_MEMBER_DEAD;
    zs_member_t *unconnected = s_member (registry, "unconnected", "z4", 0, 100);
    zs_registry_connect (registry, unconnected, NULL);
    assert_null (unconnected->routing_id);
    zs_member_t *excluded = s_member (registry, "excluded", "z5", 0, 100);
    zs_member_t *draining = s_member (registry, "draining", "z6", 0, 100);
    draining->draining = true;
    zs_member_t *lost = s_member (registry, "lost", "z7", 0, 100);
    lost->lost = "send queue full";
    //  Only heard of: dead and unconnected
    zs_member_t *named = zs_registry_ensure (registry, "named");
    assert_non_null (named);
    named->free = 1000;
    zs_member_t *chosen[8];
    uint16_t exclude[] = { excluded->slot };
    //  Alive buckets are enough: the emptier suspect one is not chosen
    assert_int_equal (s_choose (registry, 1, exclude, 1, 1, chosen), 1);
    assert_ptr_equal (chosen[0], alive);
    //  They are not: the suspect one comes after them
    assert_int_equal (s_choose (registry, 1, exclude, 1, 6, chosen), 2);
    assert_ptr_equal (chosen[0], alive);
    assert_ptr_equal (chosen[1], suspect);
    //  Without the exclusion
    assert_int_equal (s_choose (registry, 1, NULL, 0, 6, chosen), 3);
    assert_ptr_equal (chosen[0], excluded);
    assert_ptr_equal (chosen[1], alive);
    assert_ptr_equal (chosen[2], suspect);
    //  Back alive and connected: chosen again
    suspect->state = ZS_MEMBER_ALIVE;
    zframe_t *frame = zframe_new ("xu", 2);
    zs_registry_connect (registry, unconnected, frame);
    zframe_destroy (&frame);
    assert_int_equal (s_choose (registry, 1, exclude, 1, 6, chosen), 3);
    assert_ptr_equal (chosen[0], suspect);
    assert_ptr_equal (chosen[1], unconnected);
    assert_ptr_equal (chosen[2], alive);
    //  Only a suspect one left
    alive->state = ZS_MEMBER_DEAD;
    suspect->state = ZS_MEMBER_DEAD;
    unconnected->state = ZS_MEMBER_SUSPECT;
    assert_int_equal (s_choose (registry, 1, exclude, 1, 6, chosen), 1);
    assert_ptr_equal (chosen[0], unconnected);
    //  None: draining and unreachable buckets are never chosen
    unconnected->state = ZS_MEMBER_DEAD;
    assert_int_equal (s_choose (registry, 1, exclude, 1, 6, chosen), 0);
    zs_registry_destroy (&registry);
}

//  Suspect buckets picked after the alive ones still prefer zones not taken
static void
test_choose_suspect_zones (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *alive = s_member (registry, "alive", "z1", 50, 50);
    zs_member_t *same_zone = s_member (registry, "same-zone", "z1", 0, 100);
    same_zone->state = ZS_MEMBER_SUSPECT;
    zs_member_t *other_zone = s_member (registry, "other-zone", "z2", 40, 60);
    other_zone->state = ZS_MEMBER_SUSPECT;
    zs_member_t *chosen[4];
    assert_int_equal (s_choose (registry, 1, NULL, 0, 2, chosen), 2);
    assert_ptr_equal (chosen[0], alive);
    assert_ptr_equal (chosen[1], other_zone);
    assert_int_equal (s_choose (registry, 1, NULL, 0, 3, chosen), 3);
    assert_ptr_equal (chosen[2], same_zone);
    zs_registry_destroy (&registry);
}

static void
test_choose_excluded_zones_taken (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *holder = s_member (registry, "holder", "z1", 50, 50);
    zs_member_t *a = s_member (registry, "a", "z1", 10, 90);
    zs_member_t *b = s_member (registry, "b", "z2", 60, 40);
    zs_member_t *c = s_member (registry, "c", "z3", 70, 30);
    zs_member_t *chosen[8];
    uint16_t exclude[] = { holder->slot };
    //  z1 holds a copy already: other zones first, though a is emptier
    assert_int_equal (s_choose (registry, 1, exclude, 1, 1, chosen), 1);
    assert_ptr_equal (chosen[0], b);
    assert_int_equal (s_choose (registry, 1, exclude, 1, 3, chosen), 3);
    assert_ptr_equal (chosen[0], b);
    assert_ptr_equal (chosen[1], c);
    assert_ptr_equal (chosen[2], a);
    //  Also when the holder is down
    holder->state = ZS_MEMBER_DEAD;
    zs_registry_connect (registry, holder, NULL);
    assert_int_equal (s_choose (registry, 1, exclude, 1, 1, chosen), 1);
    assert_ptr_equal (chosen[0], b);
    //  Two holders in z1 and z2
    uint16_t both[] = { holder->slot, b->slot };
    assert_int_equal (s_choose (registry, 1, both, 2, 2, chosen), 2);
    assert_ptr_equal (chosen[0], c);
    assert_ptr_equal (chosen[1], a);
    //  Slots nobody has are ignored
    uint16_t unknown[] = { 999, 4095 };
    assert_int_equal (s_choose (registry, 1, unknown, 2, 2, chosen), 2);
    assert_ptr_equal (chosen[0], a);
    assert_ptr_equal (chosen[1], b);
    zs_registry_destroy (&registry);
}

static void
test_choose_empty_zones_distinct (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *zoned = s_member (registry, "zoned", "z1", 5, 95);
    zs_member_t *other = s_member (registry, "other", "z1", 6, 94);
    zs_member_t *a = s_member (registry, "a", "", 10, 90);
    zs_member_t *b = s_member (registry, "b", "", 20, 80);
    zs_member_t *chosen[8];
    //  Each bucket without a zone is a zone of its own
    assert_int_equal (s_choose (registry, 1, NULL, 0, 3, chosen), 3);
    assert_ptr_equal (chosen[0], zoned);
    assert_ptr_equal (chosen[1], a);
    assert_ptr_equal (chosen[2], b);
    assert_int_equal (s_choose (registry, 1, NULL, 0, 4, chosen), 4);
    assert_ptr_equal (chosen[3], other);
    //  A holder without a zone takes no zone from the others
    zs_member_t *holder = s_member (registry, "holder", "", 50, 50);
    uint16_t exclude[] = { holder->slot };
    assert_int_equal (s_choose (registry, 1, exclude, 1, 3, chosen), 3);
    assert_ptr_equal (chosen[0], zoned);
    assert_ptr_equal (chosen[1], a);
    assert_ptr_equal (chosen[2], b);
    zs_registry_destroy (&registry);
}

static void
test_choose_size_fits (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *tight = s_member (registry, "tight", "z1", 0, 100);
    tight->reserved = 60;
    zs_member_t *roomy = s_member (registry, "roomy", "z2", 5000, 1000);
    zs_member_t *chosen[4];
    //  40 bytes fit in tight's 100 free minus 60 reserved, 41 do not
    assert_int_equal (s_choose (registry, 40, NULL, 0, 2, chosen), 2);
    assert_ptr_equal (chosen[0], tight);
    assert_ptr_equal (chosen[1], roomy);
    assert_int_equal (s_choose (registry, 41, NULL, 0, 2, chosen), 1);
    assert_ptr_equal (chosen[0], roomy);
    assert_int_equal (s_choose (registry, 1000, NULL, 0, 2, chosen), 1);
    assert_ptr_equal (chosen[0], roomy);
    assert_int_equal (s_choose (registry, 1001, NULL, 0, 2, chosen), 0);
    //  Unknown size: no check
    assert_int_equal (s_choose (registry, UINT64_MAX, NULL, 0, 2, chosen), 2);
    //  More reserved than free
    tight->reserved = 150;
    assert_int_equal (s_choose (registry, 0, NULL, 0, 2, chosen), 1);
    assert_ptr_equal (chosen[0], roomy);
    tight->reserved = 0;
    assert_int_equal (s_choose (registry, 0, NULL, 0, 2, chosen), 2);
    zs_registry_destroy (&registry);
}

static bool
s_holds (const uint16_t *holders, size_t count, const zs_member_t *member)
{
    for (size_t index = 0; index < count; index++)
        if (holders[index] == member->slot)
            return true;
    return false;
}

static void
test_trim (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *a1 = s_member (registry, "a1", "z1", 10, 90);
    zs_member_t *b1 = s_member (registry, "b1", "z1", 20, 80);
    zs_member_t *c2 = s_member (registry, "c2", "z2", 90, 10);

    //  z1, z1, z2 keeping 2: one of z1 (the emptiest) and the z2
    uint16_t holders[] = { b1->slot, a1->slot, c2->slot };
    zs_placement_trim (registry, holders, 3, 2);
    assert_true (s_holds (holders, 2, a1));
    assert_true (s_holds (holders, 2, c2));
    assert_int_equal (holders[2], b1->slot);
    //  Whatever the order they come in
    uint16_t again[] = { c2->slot, a1->slot, b1->slot };
    zs_placement_trim (registry, again, 3, 2);
    assert_true (s_holds (again, 2, a1));
    assert_true (s_holds (again, 2, c2));
    assert_int_equal (again[2], b1->slot);

    //  Keeping one: the emptiest
    uint16_t one[] = { c2->slot, b1->slot, a1->slot };
    zs_placement_trim (registry, one, 3, 1);
    assert_int_equal (one[0], a1->slot);
    assert_true (s_holds (one + 1, 2, b1));
    assert_true (s_holds (one + 1, 2, c2));

    //  Keeping all, or more: unchanged
    uint16_t all[] = { c2->slot, b1->slot, a1->slot };
    zs_placement_trim (registry, all, 3, 3);
    assert_int_equal (all[0], c2->slot);
    assert_int_equal (all[1], b1->slot);
    assert_int_equal (all[2], a1->slot);
    zs_placement_trim (registry, all, 3, 5);
    assert_int_equal (all[0], c2->slot);

    //  Keeping none: still every holder, once
    uint16_t none[] = { c2->slot, b1->slot, a1->slot };
    zs_placement_trim (registry, none, 3, 0);
    assert_true (s_holds (none, 3, a1));
    assert_true (s_holds (none, 3, b1));
    assert_true (s_holds (none, 3, c2));

    //  Five holders over three zones keeping three: one per zone
    zs_member_t *d3 = s_member (registry, "d3", "z3", 50, 50);
    zs_member_t *e2 = s_member (registry, "e2", "z2", 40, 60);
    uint16_t five[] = { a1->slot, b1->slot, c2->slot, d3->slot, e2->slot };
    zs_placement_trim (registry, five, 5, 3);
    assert_true (s_holds (five, 3, a1));
    assert_true (s_holds (five, 3, e2));
    assert_true (s_holds (five, 3, d3));
    assert_true (s_holds (five + 3, 2, b1));
    assert_true (s_holds (five + 3, 2, c2));

    //  Holders without a zone count as zones of their own
    zs_member_t *n1 = s_member (registry, "n1", "", 95, 5);
    zs_member_t *n2 = s_member (registry, "n2", "", 96, 4);
    uint16_t mixed[] = { a1->slot, b1->slot, n1->slot, n2->slot };
    zs_placement_trim (registry, mixed, 4, 3);
    assert_true (s_holds (mixed, 3, a1));
    assert_true (s_holds (mixed, 3, n1));
    assert_true (s_holds (mixed, 3, n2));
    assert_int_equal (mixed[3], b1->slot);
    zs_registry_destroy (&registry);
}

static void
test_registry_members (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    assert_int_equal (zs_registry_size (registry), 0);
    assert_null (zs_registry_first (registry));
    assert_null (zs_registry_lookup (registry, "b1"));

    zs_member_t *b1 = zs_registry_ensure (registry, "b1");
    zs_member_t *b2 = zs_registry_ensure (registry, "b2");
    zs_member_t *b3 = zs_registry_ensure (registry, "b3");
    assert_non_null (b1);
    assert_non_null (b2);
    assert_non_null (b3);
    //  New members are dead, unconnected, in the lowest free slots
    assert_int_equal (b1->slot, 0);
    assert_int_equal (b2->slot, 1);
    assert_int_equal (b3->slot, 2);
    assert_string_equal (b2->id, "b2");
    assert_int_equal (b2->state, ZS_MEMBER_DEAD);
    assert_null (b2->routing_id);
    assert_string_equal (b2->zone, "");
    assert_int_equal (zs_registry_size (registry), 3);
    //  Ensure of a known id gives the same member
    assert_ptr_equal (zs_registry_ensure (registry, "b2"), b2);
    assert_int_equal (zs_registry_size (registry), 3);
    assert_ptr_equal (zs_registry_lookup (registry, "b3"), b3);
    assert_null (zs_registry_lookup (registry, "b4"));
    assert_null (zs_registry_lookup (registry, "b"));
    assert_ptr_equal (zs_registry_slot (registry, 1), b2);
    assert_null (zs_registry_slot (registry, 3));
    assert_null (zs_registry_slot (registry, ZS_REGISTRY_SLOTS));
    assert_null (zs_registry_slot (registry, UINT16_MAX));

    //  Ids longer than ZS_BUCKET_ID_MAX are refused
    char id[ZS_BUCKET_ID_MAX + 2];
    memset (id, 'i', sizeof (id) - 1);
    id[sizeof (id) - 1] = 0;
    assert_null (zs_registry_ensure (registry, id));
    id[ZS_BUCKET_ID_MAX] = 0;
    zs_member_t *longest = zs_registry_ensure (registry, id);
    assert_non_null (longest);
    assert_string_equal (longest->id, id);
    assert_int_equal (zs_registry_size (registry), 4);

    //  Iteration in slot order
    zs_member_t *expected[] = { b1, b2, b3, longest };
    size_t count = 0;
    for (zs_member_t *member = zs_registry_first (registry); member;
         member = zs_registry_next (registry, member)) {
        assert_true (count < 4);
        assert_ptr_equal (member, expected[count++]);
    }
    assert_int_equal (count, 4);

    //  Remove frees the slot, which the next member takes
    zs_member_t *removed = b2;
    zs_registry_remove (registry, &removed);
    assert_null (removed);
    zs_registry_remove (registry, &removed);
    assert_int_equal (zs_registry_size (registry), 3);
    assert_null (zs_registry_lookup (registry, "b2"));
    assert_null (zs_registry_slot (registry, 1));
    assert_ptr_equal (zs_registry_next (registry, b1), b3);
    zs_member_t *b5 = zs_registry_ensure (registry, "b5");
    assert_non_null (b5);
    assert_int_equal (b5->slot, 1);
    assert_ptr_equal (zs_registry_next (registry, b1), b5);
    removed = b1;
    zs_registry_remove (registry, &removed);
    assert_ptr_equal (zs_registry_first (registry), b5);
    removed = longest;
    zs_registry_remove (registry, &removed);
    assert_null (zs_registry_next (registry, b3));
    assert_int_equal (zs_registry_size (registry), 2);

    //  Iteration still finds members in slots freed at the end, then taken
    removed = b3;
    zs_registry_remove (registry, &removed);
    assert_ptr_equal (zs_registry_first (registry), b5);
    assert_null (zs_registry_next (registry, b5));
    zs_member_t *b6 = zs_registry_ensure (registry, "b6");
    zs_member_t *b7 = zs_registry_ensure (registry, "b7");
    zs_member_t *b8 = zs_registry_ensure (registry, "b8");
    assert_int_equal (b6->slot, 0);
    assert_int_equal (b7->slot, 2);
    assert_int_equal (b8->slot, 3);
    zs_member_t *now[] = { b6, b5, b7, b8 };
    count = 0;
    for (zs_member_t *member = zs_registry_first (registry); member;
         member = zs_registry_next (registry, member)) {
        assert_true (count < 4);
        assert_ptr_equal (member, now[count++]);
    }
    assert_int_equal (count, 4);
    zs_registry_destroy (&registry);
    zs_registry_destroy (&registry);
}

static void
test_registry_changes (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *b1 = zs_registry_ensure (registry, "b1");
    zs_member_t *b2 = zs_registry_ensure (registry, "b2");
    assert_int_equal (zs_registry_changes (registry), 0);
    //  Only a change in or out of alive counts: that is what makes a copy
    //  live
    zs_registry_set_state (registry, b1, ZS_MEMBER_ALIVE);
    assert_int_equal (b1->state, ZS_MEMBER_ALIVE);
    assert_int_equal (zs_registry_changes (registry), 1);
    zs_registry_set_state (registry, b1, ZS_MEMBER_ALIVE);
    assert_int_equal (zs_registry_changes (registry), 1);
    zs_registry_set_state (registry, b2, ZS_MEMBER_SUSPECT);
    assert_int_equal (b2->state, ZS_MEMBER_SUSPECT);
    assert_int_equal (zs_registry_changes (registry), 1);
    zs_registry_set_state (registry, b1, ZS_MEMBER_SUSPECT);
    assert_int_equal (zs_registry_changes (registry), 2);
    zs_registry_set_state (registry, b1, ZS_MEMBER_DEAD);
    assert_int_equal (zs_registry_changes (registry), 2);
    zs_registry_set_state (registry, b2, ZS_MEMBER_ALIVE);
    assert_int_equal (zs_registry_changes (registry), 3);
    //  An alive member that leaves changes it too; a dead one does not
    zs_registry_remove (registry, &b1);
    assert_int_equal (zs_registry_changes (registry), 3);
    zs_registry_remove (registry, &b2);
    assert_int_equal (zs_registry_changes (registry), 4);
    zs_registry_destroy (&registry);
}

static void
test_registry_full (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    for (int number = 0; number < ZS_REGISTRY_SLOTS; number++) {
        char id[16];
        snprintf (id, sizeof (id), "b%d", number);
        zs_member_t *member = zs_registry_ensure (registry, id);
        assert_non_null (member);
        assert_int_equal (member->slot, number);
    }
    assert_int_equal (zs_registry_size (registry), ZS_REGISTRY_SLOTS);
    size_t count = 0;
    for (zs_member_t *member = zs_registry_first (registry); member;
         member = zs_registry_next (registry, member))
        count++;
    assert_int_equal (count, ZS_REGISTRY_SLOTS);
    assert_null (zs_registry_ensure (registry, "one-more"));
    //  Known ids are still found
    assert_non_null (zs_registry_ensure (registry, "b4095"));
    zs_member_t *member = zs_registry_lookup (registry, "b100");
    zs_registry_remove (registry, &member);
    member = zs_registry_ensure (registry, "one-more");
    assert_non_null (member);
    assert_int_equal (member->slot, 100);
    zs_registry_destroy (&registry);
}

static void
test_registry_connect (void **state)
{
    (void) state;
    zs_registry_t *registry = zs_registry_new ();
    assert_non_null (registry);
    zs_member_t *b1 = zs_registry_ensure (registry, "b1");
    zs_member_t *b2 = zs_registry_ensure (registry, "b2");
    zframe_t *x1 = zframe_new ("x1", 2);
    zframe_t *x2 = zframe_new ("x2", 2);
    zframe_t *x3 = zframe_new ("x3", 2);
    assert_null (zs_registry_connected (registry, x1));
    assert_null (zs_registry_connected (registry, NULL));

    zs_registry_connect (registry, b1, x1);
    //  The member keeps its own copy of the routing id
    assert_non_null (b1->routing_id);
    assert_ptr_not_equal (b1->routing_id, x1);
    assert_true (zframe_eq (b1->routing_id, x1));
    assert_ptr_equal (zs_registry_connected (registry, x1), b1);
    zframe_t *copy = zframe_new ("x1", 2);
    assert_ptr_equal (zs_registry_connected (registry, copy), b1);
    zframe_destroy (&copy);
    assert_null (zs_registry_connected (registry, x2));

    //  A routing id belongs to one member at most: b2 takes it from b1
    zs_registry_connect (registry, b2, x1);
    assert_ptr_equal (zs_registry_connected (registry, x1), b2);
    assert_null (b1->routing_id);
    assert_true (zframe_eq (b2->routing_id, x1));

    //  Reconnecting detaches the old routing id
    zs_registry_connect (registry, b2, x2);
    assert_ptr_equal (zs_registry_connected (registry, x2), b2);
    assert_null (zs_registry_connected (registry, x1));
    assert_true (zframe_eq (b2->routing_id, x2));
    zs_registry_connect (registry, b1, x1);
    assert_ptr_equal (zs_registry_connected (registry, x1), b1);
    assert_ptr_equal (zs_registry_connected (registry, x2), b2);
    //  Connecting again with the same routing id changes nothing
    zs_registry_connect (registry, b1, x1);
    assert_ptr_equal (zs_registry_connected (registry, x1), b1);
    assert_true (zframe_eq (b1->routing_id, x1));

    //  Detach
    zs_registry_connect (registry, b1, NULL);
    assert_null (b1->routing_id);
    assert_null (zs_registry_connected (registry, x1));
    assert_ptr_equal (zs_registry_connected (registry, x2), b2);
    zs_registry_connect (registry, b1, NULL);
    assert_null (b1->routing_id);

    //  Removing a member frees its routing id
    zs_registry_connect (registry, b1, x3);
    zs_registry_remove (registry, &b1);
    assert_null (zs_registry_connected (registry, x3));
    zs_member_t *b3 = zs_registry_ensure (registry, "b3");
    zs_registry_connect (registry, b3, x3);
    assert_ptr_equal (zs_registry_connected (registry, x3), b3);
    //  Destroy frees what members still hold
    zframe_destroy (&x1);
    zframe_destroy (&x2);
    zframe_destroy (&x3);
    zs_registry_destroy (&registry);
}

static void
test_registry_state_names (void **state)
{
    (void) state;
    assert_string_equal (zs_registry_state_name (ZS_MEMBER_ALIVE), "alive");
    assert_string_equal (zs_registry_state_name (ZS_MEMBER_SUSPECT), "suspect");
    assert_string_equal (zs_registry_state_name (ZS_MEMBER_DEAD), "dead");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_choose_zones_first),
        cmocka_unit_test (test_choose_emptiest),
        cmocka_unit_test (test_choose_ties),
        cmocka_unit_test (test_choose_alive_then_suspect),
        cmocka_unit_test (test_choose_suspect_zones),
        cmocka_unit_test (test_choose_excluded_zones_taken),
        cmocka_unit_test (test_choose_empty_zones_distinct),
        cmocka_unit_test (test_choose_size_fits),
        cmocka_unit_test (test_trim),
        cmocka_unit_test (test_registry_members),
        cmocka_unit_test (test_registry_changes),
        cmocka_unit_test (test_registry_full),
        cmocka_unit_test (test_registry_connect),
        cmocka_unit_test (test_registry_state_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
