/*  zs_fs - durable file system steps

    The few operations that make a write survive a crash: write and fsync a
    file, rename it into place, fsync the directory that holds it.
*/

#ifndef ZS_FS_H_INCLUDED
#define ZS_FS_H_INCLUDED

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Make directory path (relative to dir_fd) and its parents; 0 or -1/errno
int zs_fs_mkdirs (int dir_fd, const char *path);

//  Fsync the directory path (relative to dir_fd); 0 or -1/errno
int zs_fs_sync_dir (int dir_fd, const char *path);

//  Write size bytes to all of fd at offset, retrying short writes
int zs_fs_pwrite_all (int fd, const void *data, size_t size, long long offset);

//  Read size bytes from fd at offset; -1 on error or end of file
int zs_fs_pread_all (int fd, void *data, size_t size, long long offset);

//  As zs_fs_pread_all, but only from memory: -1 with errno EAGAIN when some
//  of it would have to come from the disk
int zs_fs_pread_cached (int fd, void *data, size_t size, long long offset);

//  Opens path under dir_fd read-only, only when the lookup needs no disk
//  access: -1 with errno EAGAIN otherwise
int zs_fs_open_cached (int dir_fd, const char *path);

//  Switch fd to O_DIRECT and give a buffer of size bytes, aligned to align,
//  for its reads or writes. NULL, and fd as it was, without the memory or on
//  a file system that does not take O_DIRECT.
void *zs_fs_direct_begin (int fd, size_t align, size_t size);

//  Switch fd back to the page cache and free buffer from zs_fs_direct_begin
//  (nothing to do when NULL); 0 or -1/errno
int zs_fs_direct_end (int fd, void *buffer);

//  Replace path (relative to dir_fd) with data, durably: temp file, fsync,
//  rename, fsync of the directory. 0 or -1/errno
int zs_fs_write_atomic (int dir_fd, const char *path, const void *data, size_t size);

#ifdef __cplusplus
}
#endif

#endif
