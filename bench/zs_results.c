/*  zs_results - the benchmark's figures, as a table for people and as JSON
 */

#include "zs_results.h"

#include <czmq.h>

typedef struct {
    char *title; //  A section: a title, and nothing else
    char *name;
    char *unit;
    double value, min, max;
    bool has_limit;
    double limit;
    char *how; //  How the limit is derived
    bool has_latency;
    double p50[3], p99[3]; //  Median, min and max over the rounds
    char *target;
    zs_verdict_t verdict;
} row_t;

typedef struct {
    char *key;
    char *text; //  NULL for a number
    double number;
} fact_t;

struct _zs_results_t {
    zlistx_t *rows;
    zlistx_t *facts;
};

static void
s_row_destroy (void **item)
{
    row_t *row = (row_t *) *item;
    if (row) {
        free (row->title);
        free (row->name);
        free (row->unit);
        free (row->how);
        free (row->target);
        free (row);
        *item = NULL;
    }
}

static void
s_fact_destroy (void **item)
{
    fact_t *fact = (fact_t *) *item;
    if (fact) {
        free (fact->key);
        free (fact->text);
        free (fact);
        *item = NULL;
    }
}

zs_results_t *
zs_results_new (void)
{
    zs_results_t *self = (zs_results_t *) zmalloc (sizeof (zs_results_t));
    if (!self)
        return NULL;
    self->rows = zlistx_new ();
    self->facts = zlistx_new ();
    if (!self->rows || !self->facts) {
        zs_results_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->rows, s_row_destroy);
    zlistx_set_destructor (self->facts, s_fact_destroy);
    return self;
}

void
zs_results_destroy (zs_results_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_results_t *self = *self_p;
        zlistx_destroy (&self->rows);
        zlistx_destroy (&self->facts);
        free (self);
        *self_p = NULL;
    }
}

static void
s_fact (zs_results_t *self, const char *key, const char *text, double number)
{
    fact_t *fact = (fact_t *) zmalloc (sizeof (fact_t));
    fact->key = strdup (key);
    fact->text = text ? strdup (text) : NULL;
    fact->number = number;
    zlistx_add_end (self->facts, fact);
}

void
zs_results_machine_text (zs_results_t *self, const char *key, const char *value)
{
    assert (self && key && value);
    s_fact (self, key, value, 0);
}

void
zs_results_machine_number (zs_results_t *self, const char *key, double value)
{
    assert (self && key);
    s_fact (self, key, NULL, value);
}

void
zs_results_section (zs_results_t *self, const char *title)
{
    assert (self && title);
    row_t *row = (row_t *) zmalloc (sizeof (row_t));
    row->title = strdup (title);
    zlistx_add_end (self->rows, row);
}

static row_t *
s_find (zs_results_t *self, const char *name)
{
    for (row_t *row = (row_t *) zlistx_first (self->rows); row;
         row = (row_t *) zlistx_next (self->rows))
        if (row->name && streq (row->name, name))
            return row;
    return NULL;
}

int
zs_results_add (zs_results_t *self, const char *name, const char *unit, zs_samples_t *rounds)
{
    assert (self && name && unit && rounds);
    if (zs_samples_count (rounds) == 0)
        return -1;
    row_t *row = (row_t *) zmalloc (sizeof (row_t));
    row->name = strdup (name);
    row->unit = strdup (unit);
    row->value = zs_samples_median (rounds);
    row->min = zs_samples_min (rounds);
    row->max = zs_samples_max (rounds);
    zlistx_add_end (self->rows, row);
    return 0;
}

double
zs_results_value (zs_results_t *self, const char *name)
{
    assert (self && name);
    row_t *row = s_find (self, name);
    return row ? row->value : 0;
}

double
zs_results_ratio (zs_results_t *self, const char *name)
{
    assert (self && name);
    row_t *row = s_find (self, name);
    return row && row->has_limit ? row->value / row->limit : 0;
}

void
zs_results_set_limit (zs_results_t *self, const char *name, double limit, const char *how)
{
    assert (self && name && how);
    row_t *row = s_find (self, name);
    if (row && limit > 0) {
        row->has_limit = true;
        row->limit = limit;
        free (row->how);
        row->how = strdup (how);
    }
}

void
zs_results_set_latency (zs_results_t *self, const char *name, zs_samples_t *p50, zs_samples_t *p99)
{
    assert (self && name && p50 && p99);
    row_t *row = s_find (self, name);
    if (row && zs_samples_count (p50) && zs_samples_count (p99)) {
        row->has_latency = true;
        row->p50[0] = zs_samples_median (p50);
        row->p50[1] = zs_samples_min (p50);
        row->p50[2] = zs_samples_max (p50);
        row->p99[0] = zs_samples_median (p99);
        row->p99[1] = zs_samples_min (p99);
        row->p99[2] = zs_samples_max (p99);
    }
}

void
zs_results_set_target (zs_results_t *self, const char *name, const char *target,
                       zs_verdict_t verdict)
{
    assert (self && name && target);
    row_t *row = s_find (self, name);
    if (row) {
        free (row->target);
        row->target = strdup (target);
        row->verdict = verdict;
    }
}

//  A number to read at a glance: about four significant digits
static void
s_format (double value, char *text, size_t size)
{
    double magnitude = value < 0 ? -value : value;
    snprintf (text, size, "%.*f", magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2, value);
}

void
zs_results_print (zs_results_t *self, FILE *file)
{
    assert (self && file);
    for (fact_t *fact = (fact_t *) zlistx_first (self->facts); fact;
         fact = (fact_t *) zlistx_next (self->facts)) {
        if (fact->text)
            fprintf (file, "%-12s %s\n", fact->key, fact->text);
        else
            fprintf (file, "%-12s %g\n", fact->key, fact->number);
    }
    for (row_t *row = (row_t *) zlistx_first (self->rows); row;
         row = (row_t *) zlistx_next (self->rows)) {
        if (row->title) {
            fprintf (file, "\n%-26s %9s %9s %9s %-6s %7s %7s %9s %-14s %6s  %s\n", row->title,
                     "median", "min", "max", "unit", "p50 ms", "p99 ms", "limit", "limit is",
                     "ratio", "target");
            continue;
        }
        char value[32], min[32], max[32], p50[32] = "", p99[32] = "", limit[32] = "",
                                          ratio[32] = "";
        s_format (row->value, value, sizeof (value));
        s_format (row->min, min, sizeof (min));
        s_format (row->max, max, sizeof (max));
        if (row->has_latency) {
            s_format (row->p50[0], p50, sizeof (p50));
            s_format (row->p99[0], p99, sizeof (p99));
        }
        if (row->has_limit) {
            s_format (row->limit, limit, sizeof (limit));
            snprintf (ratio, sizeof (ratio), "%.0f %%", row->value / row->limit * 100);
        }
        char target[160] = "";
        if (row->target)
            snprintf (target, sizeof (target), "%s %s",
                      row->verdict == ZS_TARGET_MET      ? "met:"
                      : row->verdict == ZS_TARGET_MISSED ? "MISSED:"
                                                         : "not judged (no limit):",
                      row->target);
        fprintf (file, "%-26s %9s %9s %9s %-6s %7s %7s %9s %-14s %6s  %s\n", row->name, value, min,
                 max, row->unit, p50, p99, limit, row->has_limit ? row->how : "", ratio, target);
    }
}

static void
s_json_string (FILE *file, const char *text)
{
    fputc ('"', file);
    for (const unsigned char *next = (const unsigned char *) text; *next; next++) {
        if (*next == '"' || *next == '\\')
            fprintf (file, "\\%c", *next);
        else if (*next < 0x20)
            fprintf (file, "\\u%04x", *next);
        else
            fputc (*next, file);
    }
    fputc ('"', file);
}

static void
s_json_result (FILE *file, bool *first, const char *name, const char *unit, double value,
               double min, double max, const row_t *limited)
{
    fprintf (file, "%s\n    {\"name\": ", *first ? "" : ",");
    *first = false;
    s_json_string (file, name);
    fprintf (file, ", \"value\": %.10g, \"unit\": ", value);
    s_json_string (file, unit);
    fprintf (file, ", \"min\": %.10g, \"max\": %.10g, ", min, max);
    if (limited && limited->has_limit)
        fprintf (file, "\"limit\": %.10g, \"ratio\": %.6g}", limited->limit,
                 value / limited->limit);
    else
        fprintf (file, "\"limit\": null, \"ratio\": null}");
}

int
zs_results_save (zs_results_t *self, const char *path)
{
    assert (self && path);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fprintf (file, "{\n  \"machine\": {");
    bool first = true;
    for (fact_t *fact = (fact_t *) zlistx_first (self->facts); fact;
         fact = (fact_t *) zlistx_next (self->facts)) {
        fprintf (file, "%s\n    ", first ? "" : ",");
        first = false;
        s_json_string (file, fact->key);
        fprintf (file, ": ");
        if (fact->text)
            s_json_string (file, fact->text);
        else
            fprintf (file, "%.10g", fact->number);
    }
    fprintf (file, "\n  },\n  \"results\": [");
    first = true;
    for (row_t *row = (row_t *) zlistx_first (self->rows); row;
         row = (row_t *) zlistx_next (self->rows)) {
        if (row->title)
            continue;
        s_json_result (file, &first, row->name, row->unit, row->value, row->min, row->max, row);
        if (row->has_latency) {
            char name[256];
            snprintf (name, sizeof (name), "%s_p50", row->name);
            s_json_result (file, &first, name, "ms", row->p50[0], row->p50[1], row->p50[2], NULL);
            snprintf (name, sizeof (name), "%s_p99", row->name);
            s_json_result (file, &first, name, "ms", row->p99[0], row->p99[1], row->p99[2], NULL);
        }
    }
    fprintf (file, "\n  ]\n}\n");
    int rc = ferror (file) ? -1 : 0;
    if (fclose (file))
        rc = -1;
    return rc;
}
