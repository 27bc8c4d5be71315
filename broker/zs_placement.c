/*  zs_placement - where a file's copies go
 */

#include "zs_placement.h"
#include "zs_index.h"

//  Fraction of a bucket in use, counting what transfers will add
static double
s_fullness (const zs_member_t *member)
{
    uint64_t total = member->used + member->free;
    if (total == 0)
        return 1.0;
    return (double) (member->used + member->reserved) / (double) total;
}

static int
s_emptiest_first (const void *a, const void *b)
{
    const zs_member_t *left = *(const zs_member_t *const *) a;
    const zs_member_t *right = *(const zs_member_t *const *) b;
    double difference = s_fullness (left) - s_fullness (right);
    if (difference < 0)
        return -1;
    if (difference > 0)
        return 1;
    if (left->transfers != right->transfers)
        return left->transfers < right->transfers ? -1 : 1;
    return strcmp (left->id, right->id);
}

static bool
s_zone_taken (zs_member_t **members, size_t count, const zs_member_t *candidate)
{
    if (!*candidate->zone)
        return false;
    for (size_t index = 0; index < count; index++)
        if (streq (members[index]->zone, candidate->zone))
            return true;
    return false;
}

//  Picks from candidates (in order) into picked: first one per new zone,
//  then any, until count are picked. taken lists members whose zones are
//  already used. Returns how many were picked.
static size_t
s_pick (zs_member_t **candidates, size_t candidate_count, zs_member_t **taken, size_t taken_count,
        size_t count, zs_member_t **picked)
{
    size_t picked_count = 0;
    bool *used = (bool *) calloc (candidate_count + 1, sizeof (bool));
    if (!used)
        return 0;
    for (int pass = 0; pass < 2 && picked_count < count; pass++)
        for (size_t index = 0; index < candidate_count && picked_count < count; index++) {
            zs_member_t *candidate = candidates[index];
            if (used[index])
                continue;
            if (pass == 0
                && (s_zone_taken (taken, taken_count, candidate)
                    || s_zone_taken (picked, picked_count, candidate)))
                continue;
            used[index] = true;
            picked[picked_count++] = candidate;
        }
    free (used);
    return picked_count;
}

size_t
zs_placement_choose (zs_registry_t *registry, uint64_t size, const uint16_t *exclude,
                     size_t exclude_count, size_t count, zs_member_t **chosen)
{
    assert (registry && chosen);
    size_t member_count = zs_registry_size (registry);
    zs_member_t **candidates = (zs_member_t **) calloc (member_count + 1, sizeof (zs_member_t *));
    zs_member_t **taken =
        (zs_member_t **) calloc (exclude_count + count + 1, sizeof (zs_member_t *));
    if (!candidates || !taken) {
        free (candidates);
        free (taken);
        return 0;
    }
    size_t taken_count = 0;
    for (size_t index = 0; index < exclude_count; index++) {
        zs_member_t *holder = zs_registry_slot (registry, ZS_INDEX_SLOT (exclude[index]));
        if (holder)
            taken[taken_count++] = holder;
    }
    //  Alive buckets first; suspect ones (late with a heartbeat, perhaps only
    //  busy) when the alive ones are not enough
    size_t found = 0;
    for (int state = ZS_MEMBER_ALIVE; state <= ZS_MEMBER_SUSPECT && found < count; state++) {
        size_t candidate_count = 0;
        for (zs_member_t *member = zs_registry_first (registry); member;
             member = zs_registry_next (registry, member)) {
            bool excluded = member->draining;
            for (size_t index = 0; index < exclude_count; index++)
                excluded |= ZS_INDEX_SLOT (exclude[index]) == member->slot;
            bool fits = size == UINT64_MAX || member->free >= member->reserved + size;
            bool reachable = member->routing_id && !member->lost;
            if ((int) member->state == state && reachable && !excluded && fits)
                candidates[candidate_count++] = member;
        }
        qsort (candidates, candidate_count, sizeof (zs_member_t *), s_emptiest_first);
        size_t picked =
            s_pick (candidates, candidate_count, taken, taken_count, count - found, chosen + found);
        //  The zones of those picked count as taken for the next pass
        memcpy (taken + taken_count, chosen + found, picked * sizeof (zs_member_t *));
        taken_count += picked;
        found += picked;
    }
    free (candidates);
    free (taken);
    return found;
}

void
zs_placement_trim (zs_registry_t *registry, uint16_t *holders, size_t holder_count,
                   size_t keep_count)
{
    assert (registry && holders);
    if (keep_count >= holder_count)
        return;
    zs_member_t **members = (zs_member_t **) calloc (holder_count, sizeof (zs_member_t *));
    zs_member_t **kept = (zs_member_t **) calloc (holder_count, sizeof (zs_member_t *));
    uint16_t *original = (uint16_t *) calloc (holder_count, sizeof (uint16_t));
    if (members && kept && original) {
        memcpy (original, holders, holder_count * sizeof (uint16_t));
        size_t member_count = 0;
        for (size_t index = 0; index < holder_count; index++) {
            zs_member_t *member = zs_registry_slot (registry, holders[index]);
            if (member)
                members[member_count++] = member;
        }
        //  Keep the emptiest buckets of as many zones as possible...
        qsort (members, member_count, sizeof (zs_member_t *), s_emptiest_first);
        size_t kept_count = s_pick (members, member_count, NULL, 0, keep_count, kept);
        size_t position = 0;
        for (size_t index = 0; index < kept_count; index++)
            holders[position++] = kept[index]->slot;
        //  ...then the rest, slots the registry does not know included
        for (size_t index = 0; index < holder_count; index++) {
            bool is_kept = false;
            for (size_t other = 0; other < kept_count; other++)
                is_kept |= kept[other]->slot == original[index];
            if (!is_kept)
                holders[position++] = original[index];
        }
    }
    free (members);
    free (kept);
    free (original);
}
