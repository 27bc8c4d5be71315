/*  zs_testkit - what the unit tests share
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_testkit.h"
#include "zs_object.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/syscall.h>

bool
zs_testkit_folder_new (char *root, size_t size, const char *name)
{
    snprintf (root, size, "/tmp/zs-test-%s-XXXXXX", name);
    return mkdtemp (root) != NULL;
}

static int
s_remove_entry (const char *path, const struct stat *info, int type, struct FTW *walk)
{
    (void) info;
    (void) type;
    (void) walk;
    return remove (path);
}

int
zs_testkit_folder_remove (const char *root)
{
    return nftw (root, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

byte *
zs_testkit_random (size_t size)
{
    byte *data = (byte *) malloc (size + 1);
    assert_non_null (data);
    randombytes_buf (data, size);
    return data;
}

void
zs_testkit_checksum (const byte *data, size_t size, byte *checksum)
{
    crypto_generichash (checksum, ZS_CHECKSUM_SIZE, data, size, NULL, 0);
}

static void
s_object_path (void (*relative_path) (char *, const char *, uint64_t), const char *folder,
               const char *user, const char *name, uint64_t version, char *path, size_t size)
{
    char key[ZS_OBJECT_KEY_SIZE + 1], relative[ZS_OBJECT_PATH_MAX];
    zs_object_key (user, name, key);
    relative_path (relative, key, version);
    snprintf (path, size, "%s/%s", folder, relative);
}

void
zs_testkit_copy_path (const char *folder, const char *user, const char *name, uint64_t version,
                      char *path, size_t size)
{
    s_object_path (zs_object_copy_path, folder, user, name, version, path, size);
}

void
zs_testkit_tombstone_path (const char *folder, const char *user, const char *name, uint64_t version,
                           char *path, size_t size)
{
    s_object_path (zs_object_tombstone_path, folder, user, name, version, path, size);
}

zs_fileinfo_t *
zs_testkit_info (const char *user, const char *name, uint64_t version, uint64_t size)
{
    zs_fileinfo_t *info = zs_fileinfo_new ();
    assert_non_null (info);
    free (info->user);
    free (info->name);
    info->user = strdup (user);
    info->name = strdup (name);
    assert_non_null (info->user);
    assert_non_null (info->name);
    info->version = version;
    info->size = size;
    return info;
}

size_t
zs_testkit_entries (const char *folder)
{
    DIR *dir = opendir (folder);
    assert_non_null (dir);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        if (strneq (entry->d_name, ".") && strneq (entry->d_name, ".."))
            count++;
    closedir (dir);
    return count;
}

size_t
zs_testkit_files_below (const char *folder, uint64_t *bytes)
{
    DIR *dir = opendir (folder);
    assert_non_null (dir);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        char child[512];
        snprintf (child, sizeof (child), "%s/%s", folder, entry->d_name);
        struct stat info;
        assert_int_equal (lstat (child, &info), 0);
        if (S_ISDIR (info.st_mode))
            count += zs_testkit_files_below (child, bytes);
        else {
            count++;
            if (bytes)
                *bytes += (uint64_t) info.st_size;
        }
    }
    closedir (dir);
    return count;
}

void
zs_testkit_flip_byte (const char *path, off_t offset)
{
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    byte value;
    assert_int_equal (pread (fd, &value, 1, offset), 1);
    value ^= 0xFF;
    assert_int_equal (pwrite (fd, &value, 1, offset), 1);
    close (fd);
}

static atomic_int s_syncs;
static bool s_syncs_held;
static pthread_mutex_t s_syncs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_syncs_released = PTHREAD_COND_INITIALIZER;

int
syncfs (int fd)
{
    atomic_fetch_add (&s_syncs, 1);
    pthread_mutex_lock (&s_syncs_lock);
    while (s_syncs_held)
        pthread_cond_wait (&s_syncs_released, &s_syncs_lock);
    pthread_mutex_unlock (&s_syncs_lock);
    return (int) syscall (SYS_syncfs, fd);
}

void
zs_testkit_hold_syncs (void)
{
    pthread_mutex_lock (&s_syncs_lock);
    s_syncs_held = true;
    pthread_mutex_unlock (&s_syncs_lock);
}

void
zs_testkit_release_syncs (void)
{
    pthread_mutex_lock (&s_syncs_lock);
    s_syncs_held = false;
    pthread_cond_broadcast (&s_syncs_released);
    pthread_mutex_unlock (&s_syncs_lock);
}

int
zs_testkit_syncs (void)
{
    return atomic_load (&s_syncs);
}

void
zs_testkit_count_syncs_from_zero (void)
{
    atomic_store (&s_syncs, 0);
}
