/*  zs_samples - a list of measurements, and the figures people read from it

    Sorted once when a figure is asked for, not as values come: adding must
    stay cheap while a run is being timed.
*/

#include "zs_samples.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct _zs_samples_t {
    double *values;
    size_t count;
    size_t capacity;
    bool sorted;
};

zs_samples_t *
zs_samples_new (void)
{
    zs_samples_t *self = (zs_samples_t *) calloc (1, sizeof (zs_samples_t));
    if (self)
        self->sorted = true;
    return self;
}

void
zs_samples_destroy (zs_samples_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->values);
        free (*self_p);
        *self_p = NULL;
    }
}

static int
s_reserve (zs_samples_t *self, size_t more)
{
    if (self->count + more <= self->capacity)
        return 0;
    size_t capacity = self->capacity ? self->capacity : 256;
    while (capacity < self->count + more)
        capacity *= 2;
    double *values = (double *) realloc (self->values, capacity * sizeof (double));
    if (!values)
        return -1;
    self->values = values;
    self->capacity = capacity;
    return 0;
}

int
zs_samples_add (zs_samples_t *self, double value)
{
    if (s_reserve (self, 1))
        return -1;
    self->values[self->count++] = value;
    self->sorted = false;
    return 0;
}

int
zs_samples_merge (zs_samples_t *self, zs_samples_t *other)
{
    if (s_reserve (self, other->count))
        return -1;
    if (other->count) {
        memcpy (self->values + self->count, other->values, other->count * sizeof (double));
        self->count += other->count;
        self->sorted = false;
    }
    return 0;
}

void
zs_samples_clear (zs_samples_t *self)
{
    self->count = 0;
    self->sorted = true;
}

size_t
zs_samples_count (zs_samples_t *self)
{
    return self->count;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void
s_sort (zs_samples_t *self)
{
    if (!self->sorted) {
        qsort (self->values, self->count, sizeof (double), s_compare);
        self->sorted = true;
    }
}

double
zs_samples_median (zs_samples_t *self)
{
    if (self->count == 0)
        return 0;
    s_sort (self);
    size_t middle = self->count / 2;
    if (self->count % 2)
        return self->values[middle];
    return (self->values[middle - 1] + self->values[middle]) / 2;
}

double
zs_samples_percentile (zs_samples_t *self, double percentile)
{
    if (self->count == 0)
        return 0;
    s_sort (self);
    double exact = percentile / 100 * (double) self->count;
    size_t rank = exact > 0 ? (size_t) exact : 0;
    if ((double) rank < exact)
        rank++;
    size_t index = rank < 1 ? 0 : rank - 1;
    return self->values[index < self->count ? index : self->count - 1];
}

double
zs_samples_min (zs_samples_t *self)
{
    if (self->count == 0)
        return 0;
    s_sort (self);
    return self->values[0];
}

double
zs_samples_max (zs_samples_t *self)
{
    if (self->count == 0)
        return 0;
    s_sort (self);
    return self->values[self->count - 1];
}
