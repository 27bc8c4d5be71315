/*  zs_json - write JSON documents

    A writer that builds one document in memory: objects, arrays, strings
    (escaped), numbers and booleans, with the commas in the right places.
*/

#ifndef ZS_JSON_H_INCLUDED
#define ZS_JSON_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_json_t zs_json_t;

//  Create a writer for one document
zs_json_t *zs_json_new (void);

//  Destroy the writer
void zs_json_destroy (zs_json_t **self_p);

//  Start and end containers
void zs_json_object (zs_json_t *self);
void zs_json_array (zs_json_t *self);
void zs_json_end (zs_json_t *self);

//  The key of the next value inside an object
void zs_json_key (zs_json_t *self, const char *key);

//  Values
void zs_json_string (zs_json_t *self, const char *value);
void zs_json_number (zs_json_t *self, uint64_t value);
void zs_json_bool (zs_json_t *self, bool value);
void zs_json_null (zs_json_t *self);

//  The document so far; NULL if memory ran out
const char *zs_json_text (zs_json_t *self);

#ifdef __cplusplus
}
#endif

#endif
