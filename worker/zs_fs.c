/*  zs_fs - durable file system steps
 */

#include "zs_fs.h"

#include <czmq.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/uio.h>

int
zs_fs_mkdirs (int dir_fd, const char *path)
{
    char buffer[PATH_MAX];
    if (snprintf (buffer, sizeof (buffer), "%s", path) >= (int) sizeof (buffer)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *slash = buffer + 1;; slash++) {
        bool end = *slash == 0;
        if (*slash == '/' || end) {
            *slash = 0;
            if (mkdirat (dir_fd, buffer, 0755) && errno != EEXIST)
                return -1;
            if (end)
                break;
            *slash = '/';
        }
    }
    return 0;
}

int
zs_fs_sync_dir (int dir_fd, const char *path)
{
    int fd = openat (dir_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

int
zs_fs_pwrite_all (int fd, const void *data, size_t size, long long offset)
{
    const char *cursor = (const char *) data;
    while (size > 0) {
        ssize_t written = pwrite (fd, cursor, size, (off_t) offset);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        cursor += written;
        size -= (size_t) written;
        offset += written;
    }
    return 0;
}

static int
s_pread_all (int fd, void *data, size_t size, long long offset, int flags)
{
    char *cursor = (char *) data;
    while (size > 0) {
        struct iovec part = { cursor, size };
        ssize_t got = preadv2 (fd, &part, 1, (off_t) offset, flags);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0) {
            errno = EIO;
            return -1;
        }
        cursor += got;
        size -= (size_t) got;
        offset += got;
    }
    return 0;
}

int
zs_fs_pread_all (int fd, void *data, size_t size, long long offset)
{
    return s_pread_all (fd, data, size, offset, 0);
}

int
zs_fs_pread_cached (int fd, void *data, size_t size, long long offset)
{
    return s_pread_all (fd, data, size, offset, RWF_NOWAIT);
}

int
zs_fs_open_cached (int dir_fd, const char *path)
{
    struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_CACHED };
    return (int) syscall (SYS_openat2, dir_fd, path, &how, sizeof (how));
}

void *
zs_fs_direct_begin (int fd, size_t align, size_t size)
{
    void *buffer = NULL;
    if (posix_memalign (&buffer, align, size))
        return NULL;
    if (fcntl (fd, F_SETFL, O_DIRECT)) {
        free (buffer);
        return NULL;
    }
    return buffer;
}

int
zs_fs_direct_end (int fd, void *buffer)
{
    if (!buffer)
        return 0;
    free (buffer);
    return fcntl (fd, F_SETFL, 0);
}

int
zs_fs_write_atomic (int dir_fd, const char *path, const void *data, size_t size)
{
    char temp[PATH_MAX];
    char folder[PATH_MAX];
    if (snprintf (temp, sizeof (temp), "%s.new", path) >= (int) sizeof (temp)
        || snprintf (folder, sizeof (folder), "%s", path) >= (int) sizeof (folder)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = openat (dir_fd, temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (zs_fs_pwrite_all (fd, data, size, 0) || fsync (fd)) {
        int saved = errno;
        close (fd);
        unlinkat (dir_fd, temp, 0);
        errno = saved;
        return -1;
    }
    close (fd);
    if (renameat (dir_fd, temp, dir_fd, path)) {
        int saved = errno;
        unlinkat (dir_fd, temp, 0);
        errno = saved;
        return -1;
    }
    return zs_fs_sync_dir (dir_fd, dirname (folder));
}
