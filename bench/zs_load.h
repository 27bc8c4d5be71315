/*  zs_load - many small files put, got and removed at once through the client
    library

    A set of small files on one gateway, and timed runs over it with some
    number of requests in flight. A put run stores new files into the set
    from as many threads, each with a client of its own (a client is not to
    be shared between threads) and one put in flight at a time. A get run
    reads files of the set at random and checks every byte, all its gets in
    flight together on one client (zs_client_get_many). A removal takes the
    whole set away, each thread a share. A run gives the operations done,
    their rate and latencies; any failure ends it, as the figures of a run
    that failed mean nothing.
*/

#ifndef ZS_LOAD_H_INCLUDED
#define ZS_LOAD_H_INCLUDED

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_load_t zs_load_t;

//  An empty set of files of size bytes, with replicas copies each, named
//  under prefix, on the gateway at endpoint, for user
zs_load_t *zs_load_new (const char *endpoint, const char *user, const char *prefix,
                        uint8_t replicas, size_t size);

//  Destroy the set (the files stay on the gateway: see zs_load_remove)
void zs_load_destroy (zs_load_t **self_p);

//  How long a client waits for the gateway, in ms (default 60000)
void zs_load_set_timeout (zs_load_t *self, int64_t timeout);

//  Puts new files into the set for seconds, in_flight at once. 0, or -1
//  when an operation failed (zs_load_error says which and why).
int zs_load_put (zs_load_t *self, int in_flight, double seconds);

//  Gets files of the set at random, in_flight at once, checking their
//  content, for seconds or until stop (when not NULL) becomes non-zero and
//  each client has got a file. 0 or -1.
int zs_load_get (zs_load_t *self, int in_flight, double seconds, atomic_int *stop);

//  Removes every file of the set, in_flight at once; a file already gone
//  is no failure. 0, or -1 (the set is then as it was).
int zs_load_remove (zs_load_t *self, int in_flight);

//  Of the last run: operations done, per second, and the latency at a
//  percentile, in ms
uint64_t zs_load_operations (zs_load_t *self);
double zs_load_rate (zs_load_t *self);
double zs_load_latency (zs_load_t *self, double percentile);

//  Files in the set
size_t zs_load_files (zs_load_t *self);

//  Why the last run failed
const char *zs_load_error (zs_load_t *self);

#ifdef __cplusplus
}
#endif

#endif
