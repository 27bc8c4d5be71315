/*  zs_placement - where a file's copies go

    New copies go to live buckets in zones that do not hold one yet, then to
    the emptiest buckets; copies to drop are chosen so that the ones kept
    cover as many zones as possible. A bucket without a zone counts as a zone
    of its own.
*/

#ifndef ZS_PLACEMENT_H_INCLUDED
#define ZS_PLACEMENT_H_INCLUDED

#include "zs_registry.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Choose up to count buckets for new copies of size bytes (UINT64_MAX when
//  unknown): alive ones, then suspect ones if those are not enough; never
//  dead, draining or unreachable ones, nor the slots in exclude (current
//  holders, whose zones count as taken). Fills chosen and returns how many
//  were found.
size_t zs_placement_choose (zs_registry_t *registry, uint64_t size, const uint16_t *exclude,
                            size_t exclude_count, size_t count, zs_member_t **chosen);

//  Of the holders, choose keep_count to keep; the others are to drop.
//  Reorders holders so that the ones to keep come first.
void zs_placement_trim (zs_registry_t *registry, uint16_t *holders, size_t holder_count,
                        size_t keep_count);

#ifdef __cplusplus
}
#endif

#endif
