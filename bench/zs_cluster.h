/*  zs_cluster - a local cluster of real processes for the benchmark

    Starts a gateway and buckets from the programs in one folder, each a
    child process on 127.0.0.1 with ports the kernel picks, data and logs in
    a given folder; waits until every bucket is alive and the index ready.
    Stops them by PID when destroyed, gently then forcefully. Reads their
    peak memory from /proc, as no process can be asked for it afterwards.
*/

#ifndef ZS_CLUSTER_H_INCLUDED
#define ZS_CLUSTER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_cluster_t zs_cluster_t;

//  Start zstore-gateway and buckets b1..bN (zstore-bucket) found in bin,
//  with data and logs in folder, and wait up to timeout ms for them to be
//  ready. NULL on failure, having said why on stderr and stopped what it
//  started.
zs_cluster_t *zs_cluster_new (const char *bin, const char *folder, int buckets, int64_t timeout);

//  Stop every process and wait for it
void zs_cluster_destroy (zs_cluster_t **self_p);

//  The gateway's client endpoint
const char *zs_cluster_endpoint (zs_cluster_t *self);

//  The PID of the gateway (0) or of bucket bN (N); 0 when there is none
pid_t zs_cluster_pid (zs_cluster_t *self, int index);

//  Whether every process still runs; names one that stopped on stderr
bool zs_cluster_running (zs_cluster_t *self);

//  Peak resident memory (VmHWM) of the gateway, and the largest of the
//  buckets', in bytes; 0 when it cannot be read
uint64_t zs_cluster_peak_gateway (zs_cluster_t *self);
uint64_t zs_cluster_peak_bucket (zs_cluster_t *self);

//  Make each peak start again from the present resident memory; false when
//  the kernel refused (peaks then count from each process's start)
bool zs_cluster_reset_peaks (zs_cluster_t *self);

//  Print the last lines of each log on stderr, after a failure
void zs_cluster_print_logs (zs_cluster_t *self, int lines);

#ifdef __cplusplus
}
#endif

#endif
