/*  zs_limits - what this machine can do, measured the way zstore uses it

    The ceilings a zstore figure is compared with, measured in the same run
    on the same loopback and disk: libzmq moving messages from a DEALER to a
    ROUTER over TCP, a large file written and fsynced, and small files made
    durable one by one (write, fsync, rename, directory fsync), as a bucket
    stores a copy; and one core hashing with libsodium's BLAKE2b-256, the
    check a client makes over every byte it gets.
*/

#ifndef ZS_LIMITS_H_INCLUDED
#define ZS_LIMITS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Messages of size bytes sent from a DEALER to a ROUTER over TCP on
//  127.0.0.1 for seconds, each socket with a context (an I/O thread) of its
//  own, as in two processes; gives messages and MiB per second. 0 or -1.
int zs_limits_zmq (size_t size, double seconds, double *messages, double *mebibytes);

//  MiB per second writing bytes to a new file in folder, 1 MiB at a time,
//  with an fsync at the end that the time includes; -1 on failure
double zs_limits_disk_write (const char *folder, uint64_t bytes);

//  Files per second made durable by threads for seconds, in folder: 4 KiB
//  written to a temporary file, fsync, rename into place, fsync of the
//  directory; -1 on failure
double zs_limits_file_creates (const char *folder, int threads, double seconds);

//  MiB per second hashed with libsodium's BLAKE2b-256 (crypto_generichash)
//  by one thread for seconds, 1 MiB at a time, as a client checks a large
//  get; -1 on failure
double zs_limits_hash (double seconds);

#ifdef __cplusplus
}
#endif

#endif
