/*  zs_results - the benchmark's figures, as a table for people and as JSON

    Each result is the median of its rounds, with their minimum and maximum,
    optionally the limit of the machine that bounds it (the ratio is the
    result over the limit), the latencies of its rounds, and the target it
    is held to. The JSON has a "machine" object and a "results" array of
    {"name", "value", "unit", "min", "max", "limit", "ratio"}, latencies as
    results of their own (NAME_p50, NAME_p99, in ms).
*/

#ifndef ZS_RESULTS_H_INCLUDED
#define ZS_RESULTS_H_INCLUDED

#include "zs_samples.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_results_t zs_results_t;

//  Create an empty set of results
zs_results_t *zs_results_new (void);

//  Destroy the results
void zs_results_destroy (zs_results_t **self_p);

//  Facts about the machine, for the JSON and the table's heading
void zs_results_machine_text (zs_results_t *self, const char *key, const char *value);
void zs_results_machine_number (zs_results_t *self, const char *key, double value);

//  Start a group of rows in the table, under a title
void zs_results_section (zs_results_t *self, const char *title);

//  Add a result from the values of its rounds; -1 when it has none
int zs_results_add (zs_results_t *self, const char *name, const char *unit, zs_samples_t *rounds);

//  The value (median) of a result; 0 when there is no such result
double zs_results_value (zs_results_t *self, const char *name);

//  The ratio of a result to its limit; 0 when it has none
double zs_results_ratio (zs_results_t *self, const char *name);

//  The limit that bounds a result, and how it is derived, in a few words
void zs_results_set_limit (zs_results_t *self, const char *name, double limit, const char *how);

//  The p50 and p99 latencies of a result's rounds, in ms
void zs_results_set_latency (zs_results_t *self, const char *name, zs_samples_t *p50,
                             zs_samples_t *p99);

//  Whether a result meets its target: a target relative to a limit cannot
//  be judged when the limit was not measured (--only without limits)
typedef enum { ZS_TARGET_MET, ZS_TARGET_MISSED, ZS_TARGET_NOT_JUDGED } zs_verdict_t;

//  The target a result is held to, in a few words, and the verdict
void zs_results_set_target (zs_results_t *self, const char *name, const char *target,
                            zs_verdict_t verdict);

//  Print the table
void zs_results_print (zs_results_t *self, FILE *file);

//  Write the JSON document to path; 0 or -1 (errno)
int zs_results_save (zs_results_t *self, const char *path);

#ifdef __cplusplus
}
#endif

#endif
