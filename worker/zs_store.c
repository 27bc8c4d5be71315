/*  zs_store - a bucket's data folder

    Layout (see zs_object.h for the copies themselves):
        IDENTITY        ZPL: the bucket id and the folder's instance id
        LOCK            held with flock while a bucket process uses the folder
        objects/        copies
        tombstones/     removals that buckets which were away must still see
        tmp/            copies being written; emptied at start
        quarantine/     copies that failed a check, kept for inspection
*/

#include "zs_store.h"
#include "zs_fs.h"
#include "zs_object.h"
#include "zs_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

struct _zs_store_t {
    int fd;                          //  The data folder
    int lock_fd;                     //  LOCK, held while we run
    byte instance[ZS_INSTANCE_SIZE]; //  Identity of the folder
    _Atomic uint64_t capacity;       //  Byte limit, 0 for none
    _Atomic int64_t files;           //  Copies held
    _Atomic int64_t used;            //  Bytes they take
    _Atomic int64_t writing;         //  Bytes written to copies not yet committed
    _Atomic uint64_t temp_sequence;  //  Last temporary file number
};

static const char *s_folders[] = { "objects", "tombstones", "tmp", "quarantine" };

//  Reads IDENTITY: 1 when it names this bucket, 0 when there is none yet,
//  -1 (with the reason in error) when it names another or is damaged
static int
s_read_identity (zs_store_t *self, const char *path, const char *bucket_id, char *error,
                 size_t error_size)
{
    char *identity_path = zsys_sprintf ("%s/IDENTITY", path);
    zconfig_t *identity = identity_path ? zconfig_load (identity_path) : NULL;
    zstr_free (&identity_path);
    if (!identity)
        return 0;
    const char *owner = zconfig_get (identity, "bucket", "");
    const char *instance = zconfig_get (identity, "instance", "");
    size_t decoded = 0;
    int rc = 1;
    if (strneq (owner, bucket_id)) {
        snprintf (error, error_size, "data folder %s belongs to bucket '%s', not '%s'", path, owner,
                  bucket_id);
        rc = -1;
    }
    else if (sodium_hex2bin (self->instance, sizeof (self->instance), instance, strlen (instance),
                             NULL, &decoded, NULL)
             || decoded != sizeof (self->instance)) {
        snprintf (error, error_size, "data folder %s has a damaged IDENTITY file", path);
        rc = -1;
    }
    zconfig_destroy (&identity);
    return rc;
}

//  Gives a new folder its identity: the bucket id and a random instance id
static int
s_create_identity (zs_store_t *self, const char *path, const char *bucket_id, char *error,
                   size_t error_size)
{
    randombytes_buf (self->instance, sizeof (self->instance));
    char hex[ZS_INSTANCE_SIZE * 2 + 1];
    sodium_bin2hex (hex, sizeof (hex), self->instance, sizeof (self->instance));
    zconfig_t *root = zconfig_new ("root", NULL);
    zconfig_set_comment (root, " zstore bucket data folder: do not edit");
    zconfig_put (root, "bucket", bucket_id);
    zconfig_put (root, "instance", hex);
    char *text = zconfig_str_save (root);
    zconfig_destroy (&root);
    int rc = text ? zs_fs_write_atomic (self->fd, "IDENTITY", text, strlen (text)) : -1;
    free (text);
    if (rc)
        snprintf (error, error_size, "cannot write %s/IDENTITY: %s", path, strerror (errno));
    return rc;
}

//  Empties a folder of leftovers: everything in tmp/, unfinished *.new files
static void
s_remove_leftovers (zs_store_t *self, const char *folder, const char *suffix)
{
    int fd = openat (self->fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close (fd);
        return;
    }
    struct dirent *entry;
    size_t suffix_length = suffix ? strlen (suffix) : 0;
    while ((entry = readdir (dir))) {
        size_t length = strlen (entry->d_name);
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        if (suffix
            && (length < suffix_length || strneq (entry->d_name + length - suffix_length, suffix)))
            continue;
        if (unlinkat (dirfd (dir), entry->d_name, 0) == 0)
            zsys_info ("removed %s/%s, left by an interrupted transfer", folder, entry->d_name);
    }
    closedir (dir);
}

zs_store_t *
zs_store_new (const char *path, const char *bucket_id, char *error, size_t error_size)
{
    assert (path && bucket_id && error);
    *error = 0;
    if (sodium_init () < 0) {
        snprintf (error, error_size, "libsodium failed to start");
        return NULL;
    }
    zs_store_t *self = (zs_store_t *) zmalloc (sizeof (zs_store_t));
    if (!self) {
        snprintf (error, error_size, "out of memory");
        return NULL;
    }
    self->fd = -1;
    self->lock_fd = -1;
    if (zs_fs_mkdirs (AT_FDCWD, path)
        || (self->fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        snprintf (error, error_size, "cannot open data folder %s: %s", path, strerror (errno));
        zs_store_destroy (&self);
        return NULL;
    }
    //  Whose folder it is comes before whether it is busy: that is the news
    int known = s_read_identity (self, path, bucket_id, error, error_size);
    if (known < 0) {
        zs_store_destroy (&self);
        return NULL;
    }
    self->lock_fd = openat (self->fd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (self->lock_fd < 0 || flock (self->lock_fd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK)
            snprintf (error, error_size, "data folder %s is in use by another bucket process",
                      path);
        else
            snprintf (error, error_size, "cannot lock data folder %s: %s", path, strerror (errno));
        zs_store_destroy (&self);
        return NULL;
    }
    //  Under the lock, nobody else can be creating the identity meanwhile
    if (known == 0)
        known = s_read_identity (self, path, bucket_id, error, error_size);
    if (known < 0 || (known == 0 && s_create_identity (self, path, bucket_id, error, error_size))) {
        zs_store_destroy (&self);
        return NULL;
    }
    for (size_t index = 0; index < sizeof (s_folders) / sizeof (s_folders[0]); index++)
        if (zs_fs_mkdirs (self->fd, s_folders[index])) {
            snprintf (error, error_size, "cannot create %s/%s: %s", path, s_folders[index],
                      strerror (errno));
            zs_store_destroy (&self);
            return NULL;
        }
    s_remove_leftovers (self, "tmp", NULL);
    s_remove_leftovers (self, "tombstones", ".new");
    s_remove_leftovers (self, ".", ".new");

    zs_scan_t *scan = zs_scan_new (self, false);
    uint64_t disk_size;
    const zs_fileinfo_t *info;
    while (scan && (info = zs_scan_next (scan, &disk_size)))
        if (!(info->flags & ZS_FILE_TOMBSTONE))
            zs_store_account (self, 1, (int64_t) disk_size);
    zs_scan_destroy (&scan);
    return self;
}

void
zs_store_destroy (zs_store_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_store_t *self = *self_p;
        if (self->lock_fd >= 0)
            close (self->lock_fd); //  Releases the lock
        if (self->fd >= 0)
            close (self->fd);
        free (self);
        *self_p = NULL;
    }
}

int
zs_store_fd (zs_store_t *self)
{
    assert (self);
    return self->fd;
}

const byte *
zs_store_instance (zs_store_t *self)
{
    assert (self);
    return self->instance;
}

void
zs_store_set_capacity (zs_store_t *self, uint64_t capacity)
{
    assert (self);
    atomic_store (&self->capacity, capacity);
}

uint64_t
zs_store_files (zs_store_t *self)
{
    assert (self);
    int64_t files = atomic_load (&self->files);
    return files > 0 ? (uint64_t) files : 0;
}

uint64_t
zs_store_used (zs_store_t *self)
{
    assert (self);
    int64_t used = atomic_load (&self->used);
    return used > 0 ? (uint64_t) used : 0;
}

uint64_t
zs_store_free (zs_store_t *self)
{
    assert (self);
    struct statvfs fs;
    uint64_t available = fstatvfs (self->fd, &fs) == 0 ? (uint64_t) fs.f_bavail * fs.f_frsize : 0;
    uint64_t capacity = atomic_load (&self->capacity);
    if (capacity) {
        //  The file system counts copies being written already; the capacity must too
        int64_t writing = atomic_load (&self->writing);
        uint64_t used = zs_store_used (self) + (writing > 0 ? (uint64_t) writing : 0);
        uint64_t left = capacity > used ? capacity - used : 0;
        if (left < available)
            available = left;
    }
    return available;
}

uint64_t
zs_store_capacity (zs_store_t *self)
{
    assert (self);
    uint64_t capacity = atomic_load (&self->capacity);
    return capacity ? capacity : zs_store_used (self) + zs_store_free (self);
}

void
zs_store_account (zs_store_t *self, int64_t files, int64_t bytes)
{
    assert (self);
    atomic_fetch_add (&self->files, files);
    atomic_fetch_add (&self->used, bytes);
}

void
zs_store_writing (zs_store_t *self, int64_t bytes)
{
    assert (self);
    atomic_fetch_add (&self->writing, bytes);
}

uint64_t
zs_store_next_temp (zs_store_t *self)
{
    assert (self);
    return atomic_fetch_add (&self->temp_sequence, 1) + 1;
}

//  Removes one copy file and accounts for it; ENOENT is success
static int
s_unlink_copy (zs_store_t *self, const char *path)
{
    struct stat info;
    if (fstatat (self->fd, path, &info, 0)) {
        if (errno == ENOENT)
            return 0;
        return -1;
    }
    if (unlinkat (self->fd, path, 0)) {
        if (errno == ENOENT)
            return 0;
        return -1;
    }
    zs_store_account (self, -1, -(int64_t) info.st_size);
    return 1;
}

int
zs_store_drop (zs_store_t *self, const char *user, const char *name, uint64_t version)
{
    assert (self);
    char key[ZS_OBJECT_KEY_SIZE + 1], path[ZS_OBJECT_PATH_MAX], leaf[ZS_OBJECT_PATH_MAX];
    zs_object_key (user, name, key);
    zs_object_copy_path (path, key, version);
    zs_object_leaf_path (leaf, key);
    int rc = s_unlink_copy (self, path);
    if (rc < 0 || (rc > 0 && zs_fs_sync_dir (self->fd, leaf)))
        return ZS_STATUS_INTERNAL;
    return ZS_STATUS_OK;
}

//  Calls remove for every file in folder named <key>.<version> with a
//  version below limit. Returns the number removed, or -1.
static int
s_remove_older (zs_store_t *self, const char *folder, const char *key, uint64_t limit, bool copies)
{
    int fd = openat (self->fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    DIR *dir = fdopendir (fd);
    if (!dir) {
        close (fd);
        return -1;
    }
    int removed = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        char found[ZS_OBJECT_KEY_SIZE + 1];
        uint64_t version;
        if (zs_object_parse_filename (entry->d_name, found, &version) || strneq (found, key)
            || version >= limit)
            continue;
        char path[ZS_OBJECT_PATH_MAX + 300];
        snprintf (path, sizeof (path), "%s/%s", folder, entry->d_name);
        int rc = copies ? s_unlink_copy (self, path) : unlinkat (self->fd, path, 0) == 0 ? 1 : -1;
        if (rc < 0) {
            removed = -1;
            break;
        }
        removed += rc;
    }
    closedir (dir);
    return removed;
}

int
zs_store_delete (zs_store_t *self, const char *user, const char *name, uint64_t version,
                 const char *pending)
{
    assert (self);
    char key[ZS_OBJECT_KEY_SIZE + 1], leaf[ZS_OBJECT_PATH_MAX];
    zs_object_key (user, name, key);
    zs_object_leaf_path (leaf, key);
    int removed = s_remove_older (self, leaf, key, version, true);
    if (removed < 0 || (removed > 0 && zs_fs_sync_dir (self->fd, leaf)))
        return ZS_STATUS_INTERNAL;
    if (s_remove_older (self, "tombstones", key, version, false) < 0)
        return ZS_STATUS_INTERNAL;
    if (!pending || !*pending)
        return ZS_STATUS_OK;

    zs_fileinfo_t *tombstone = zs_fileinfo_new ();
    if (!tombstone)
        return ZS_STATUS_INTERNAL;
    free (tombstone->user);
    free (tombstone->name);
    tombstone->user = strdup (user);
    tombstone->name = strdup (name);
    tombstone->version = version;
    tombstone->flags = ZS_FILE_TOMBSTONE;
    tombstone->size = strlen (pending);
    byte *buffer = (byte *) malloc (ZS_OBJECT_HEADER_MAX + tombstone->size);
    int status = ZS_STATUS_INTERNAL;
    if (buffer && tombstone->user && tombstone->name) {
        size_t header_size = zs_object_encode_header (tombstone, false, buffer);
        memcpy (buffer + header_size, pending, tombstone->size);
        char path[ZS_OBJECT_PATH_MAX];
        zs_object_tombstone_path (path, key, version);
        if (zs_fs_write_atomic (self->fd, path, buffer, header_size + tombstone->size) == 0)
            status = ZS_STATUS_OK;
    }
    free (buffer);
    zs_fileinfo_destroy (&tombstone);
    return status;
}

int
zs_store_forget (zs_store_t *self, const char *user, const char *name, uint64_t version)
{
    assert (self);
    char key[ZS_OBJECT_KEY_SIZE + 1], path[ZS_OBJECT_PATH_MAX];
    zs_object_key (user, name, key);
    zs_object_tombstone_path (path, key, version);
    if (unlinkat (self->fd, path, 0))
        return errno == ENOENT ? ZS_STATUS_OK : ZS_STATUS_INTERNAL;
    return zs_fs_sync_dir (self->fd, "tombstones") ? ZS_STATUS_INTERNAL : ZS_STATUS_OK;
}

int
zs_store_set_replicas (zs_store_t *self, const char *user, const char *name, uint64_t version,
                       uint8_t desired, uint64_t stamp)
{
    assert (self);
    char key[ZS_OBJECT_KEY_SIZE + 1], path[ZS_OBJECT_PATH_MAX];
    zs_object_key (user, name, key);
    zs_object_copy_path (path, key, version);
    int fd = openat (self->fd, path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ZS_STATUS_NOT_FOUND : ZS_STATUS_INTERNAL;
    byte fields[ZS_OBJECT_REPLICAS_SIZE];
    int status = ZS_STATUS_INTERNAL;
    if (zs_fs_pread_all (fd, fields, sizeof (fields), ZS_OBJECT_REPLICAS_OFFSET) == 0) {
        uint64_t current = 0;
        for (int index = 0; index < 8; index++)
            current = (current << 8) | fields[index];
        //  A later setting already landed: this one is stale
        if (current > stamp)
            status = ZS_STATUS_OK;
        else {
            for (int index = 0; index < 8; index++)
                fields[index] = (byte) (stamp >> (8 * (7 - index)));
            fields[8] = desired;
            if (zs_fs_pwrite_all (fd, fields, sizeof (fields), ZS_OBJECT_REPLICAS_OFFSET) == 0
                && fdatasync (fd) == 0)
                status = ZS_STATUS_OK;
        }
    }
    close (fd);
    return status;
}

int
zs_store_quarantine (zs_store_t *self, const char *user, const char *name, uint64_t version)
{
    assert (self);
    char key[ZS_OBJECT_KEY_SIZE + 1], path[ZS_OBJECT_PATH_MAX], target[ZS_OBJECT_PATH_MAX + 32];
    zs_object_key (user, name, key);
    zs_object_copy_path (path, key, version);
    snprintf (target, sizeof (target), "quarantine/%s.%016" PRIx64 ".%" PRId64, key, version,
              zclock_time ());
    struct stat info;
    if (fstatat (self->fd, path, &info, 0))
        return errno == ENOENT ? ZS_STATUS_OK : ZS_STATUS_INTERNAL;
    if (renameat (self->fd, path, self->fd, target))
        return errno == ENOENT ? ZS_STATUS_OK : ZS_STATUS_INTERNAL;
    zs_store_account (self, -1, -(int64_t) info.st_size);
    return ZS_STATUS_OK;
}
