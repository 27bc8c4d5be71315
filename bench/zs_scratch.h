/*  zs_scratch - the benchmark's temporary folder

    One folder made for a run, holding the local cluster's data and logs
    and the files of the disk measurements, so that they share one disk; it
    is removed with everything in it when the run ends, however it ends.
*/

#ifndef ZS_SCRATCH_H_INCLUDED
#define ZS_SCRATCH_H_INCLUDED

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_scratch_t zs_scratch_t;

//  Make a new folder inside parent; NULL on failure (see errno)
zs_scratch_t *zs_scratch_new (const char *parent);

//  Remove the folder and everything in it, unless it is to be kept
void zs_scratch_destroy (zs_scratch_t **self_p);

//  The folder's path
const char *zs_scratch_path (zs_scratch_t *self);

//  Keep the folder when destroyed, for inspection
void zs_scratch_keep (zs_scratch_t *self);

//  Remove path and, when it is a folder, everything in it; 0 or -1 (errno)
int zs_scratch_remove (const char *path);

#ifdef __cplusplus
}
#endif

#endif
