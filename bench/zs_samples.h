/*  zs_samples - a list of measurements, and the figures people read from it

    Latencies of one run, or the results of several rounds of the same
    measurement: their median, percentiles, minimum and maximum.
*/

#ifndef ZS_SAMPLES_H_INCLUDED
#define ZS_SAMPLES_H_INCLUDED

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_samples_t zs_samples_t;

//  Create an empty list
zs_samples_t *zs_samples_new (void);

//  Destroy the list
void zs_samples_destroy (zs_samples_t **self_p);

//  Add one measurement; -1 when memory ran out
int zs_samples_add (zs_samples_t *self, double value);

//  Add every measurement of other; -1 when memory ran out
int zs_samples_merge (zs_samples_t *self, zs_samples_t *other);

//  Forget every measurement
void zs_samples_clear (zs_samples_t *self);

//  How many measurements there are
size_t zs_samples_count (zs_samples_t *self);

//  The median (the mean of the middle two for an even count), the value at
//  a percentile (nearest rank), the smallest and largest; 0 when empty
double zs_samples_median (zs_samples_t *self);
double zs_samples_percentile (zs_samples_t *self, double percentile);
double zs_samples_min (zs_samples_t *self);
double zs_samples_max (zs_samples_t *self);

#ifdef __cplusplus
}
#endif

#endif
