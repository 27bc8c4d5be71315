/*  zs_scan - walk a bucket's copies and tombstones

    Walks objects/<xx>/<yy>/ and then tombstones/, keeping one open
    directory per level, so that the walk can stop after any record and
    carry on later.
*/

#include "zs_scan.h"
#include "zs_fs.h"
#include "zs_object.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define LEVELS 3 //  objects/, objects/<xx>/, objects/<xx>/<yy>/

struct _zs_scan_t {
    zs_store_t *store;   //  The store we walk
    bool headers;        //  Read each file's header
    bool tombstones;     //  Walking tombstones/ (after objects/)
    bool finished;       //  Nothing left
    DIR *dirs[LEVELS];   //  Open directories, outermost first
    int depth;           //  Directories open
    zs_fileinfo_t *info; //  The record last returned
    byte *buffer;        //  Header bytes
};

static DIR *
s_open_dir (int parent_fd, const char *path)
{
    int fd = openat (parent_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *dir = fdopendir (fd);
    if (!dir)
        close (fd);
    return dir;
}

zs_scan_t *
zs_scan_new (zs_store_t *store, bool headers)
{
    assert (store);
    zs_scan_t *self = (zs_scan_t *) zmalloc (sizeof (zs_scan_t));
    if (!self)
        return NULL;
    self->store = store;
    self->headers = headers;
    self->info = zs_fileinfo_new ();
    self->buffer = (byte *) malloc (ZS_OBJECT_HEADER_MAX + ZS_TEXT_MAX);
    self->dirs[0] = s_open_dir (zs_store_fd (store), "objects");
    self->depth = self->dirs[0] ? 1 : 0;
    if (!self->info || !self->buffer)
        zs_scan_destroy (&self);
    return self;
}

void
zs_scan_destroy (zs_scan_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_scan_t *self = *self_p;
        while (self->depth > 0)
            closedir (self->dirs[--self->depth]);
        zs_fileinfo_destroy (&self->info);
        free (self->buffer);
        free (self);
        *self_p = NULL;
    }
}

static bool
s_is_hex_pair (const char *name)
{
    return strlen (name) == 2 && isxdigit ((unsigned char) name[0])
           && isxdigit ((unsigned char) name[1]) && !isupper ((unsigned char) name[0])
           && !isupper ((unsigned char) name[1]);
}

//  Moves a file that is not a well-formed copy out of the way
static void
s_quarantine (zs_scan_t *self, int dir_fd, const char *filename, const char *why)
{
    char target[ZS_OBJECT_PATH_MAX + 64];
    snprintf (target, sizeof (target), "quarantine/%s.%" PRId64, filename, zclock_time ());
    zsys_warning ("moved %s to quarantine: %s", filename, why);
    renameat (dir_fd, filename, zs_store_fd (self->store), target);
}

//  Fills self->info from the file, checking that it is what its name says
static int
s_read_record (zs_scan_t *self, int dir_fd, const char *filename, const char *key, uint64_t version,
               uint64_t file_size)
{
    int fd = openat (dir_fd, filename, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t want = ZS_OBJECT_HEADER_MAX + (self->tombstones ? ZS_TEXT_MAX : 0);
    size_t got = file_size < want ? (size_t) file_size : want;
    int rc = zs_fs_pread_all (fd, self->buffer, got, 0);
    close (fd);
    if (rc) {
        //  A read error may pass: leave the file be, unreported this time
        zsys_warning ("cannot read %s: %s", filename, strerror (errno));
        return -1;
    }
    size_t header_size;
    char expected[ZS_OBJECT_KEY_SIZE + 1];
    if (zs_object_decode_header (self->buffer, got, self->info, &header_size)) {
        s_quarantine (self, dir_fd, filename, "no valid header");
        return -1;
    }
    zs_object_key (self->info->user, self->info->name, expected);
    bool tombstone = (self->info->flags & ZS_FILE_TOMBSTONE) != 0;
    if (strneq (expected, key) || self->info->version != version || tombstone != self->tombstones
        || zs_object_disk_size (self->info, header_size) != file_size
        || (tombstone && header_size + self->info->size > got)) {
        s_quarantine (self, dir_fd, filename, "header does not match the file");
        return -1;
    }
    free (self->info->buckets);
    self->info->buckets = strndup (tombstone ? (const char *) self->buffer + header_size : "",
                                   tombstone ? self->info->size : 0);
    if (tombstone)
        self->info->size = 0;
    return self->info->buckets ? 0 : -1;
}

//  Steps to the next directory that holds files; false at the end
static bool
s_advance (zs_scan_t *self)
{
    while (self->depth > 0 && self->depth < LEVELS && !self->tombstones) {
        struct dirent *entry = readdir (self->dirs[self->depth - 1]);
        if (!entry) {
            closedir (self->dirs[--self->depth]);
            continue;
        }
        if (!s_is_hex_pair (entry->d_name))
            continue;
        DIR *dir = s_open_dir (dirfd (self->dirs[self->depth - 1]), entry->d_name);
        if (dir)
            self->dirs[self->depth++] = dir;
    }
    if (self->depth == 0 && !self->tombstones) {
        self->tombstones = true;
        self->dirs[0] = s_open_dir (zs_store_fd (self->store), "tombstones");
        self->depth = self->dirs[0] ? 1 : 0;
    }
    return self->depth > 0;
}

const zs_fileinfo_t *
zs_scan_next (zs_scan_t *self, uint64_t *disk_size)
{
    assert (self);
    while (!self->finished) {
        if (!s_advance (self)) {
            self->finished = true;
            break;
        }
        DIR *dir = self->dirs[self->depth - 1];
        struct dirent *entry = readdir (dir);
        if (!entry) {
            closedir (self->dirs[--self->depth]);
            if (self->tombstones)
                self->finished = true;
            continue;
        }
        char key[ZS_OBJECT_KEY_SIZE + 1];
        uint64_t version;
        struct stat info;
        if (zs_object_parse_filename (entry->d_name, key, &version)
            || fstatat (dirfd (dir), entry->d_name, &info, 0) || !S_ISREG (info.st_mode))
            continue;
        self->info->flags = self->tombstones ? ZS_FILE_TOMBSTONE : 0;
        self->info->version = version;
        self->info->size = (uint64_t) info.st_size;
        if (self->headers
            && s_read_record (self, dirfd (dir), entry->d_name, key, version,
                              (uint64_t) info.st_size))
            continue;
        if (disk_size)
            *disk_size = (uint64_t) info.st_size;
        return self->info;
    }
    return NULL;
}
