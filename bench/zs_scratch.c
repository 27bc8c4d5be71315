/*  zs_scratch - the benchmark's temporary folder
 */

#include "zs_scratch.h"

#include <assert.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _zs_scratch_t {
    char *path;
    bool keep;
};

zs_scratch_t *
zs_scratch_new (const char *parent)
{
    assert (parent);
    zs_scratch_t *self = (zs_scratch_t *) calloc (1, sizeof (zs_scratch_t));
    if (!self)
        return NULL;
    size_t size = strlen (parent) + sizeof ("/zstore-bench.XXXXXX");
    self->path = (char *) malloc (size);
    if (!self->path) {
        free (self);
        return NULL;
    }
    snprintf (self->path, size, "%s/zstore-bench.XXXXXX", parent);
    if (!mkdtemp (self->path)) {
        int error = errno;
        free (self->path);
        free (self);
        errno = error;
        return NULL;
    }
    return self;
}

void
zs_scratch_destroy (zs_scratch_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_scratch_t *self = *self_p;
        if (self->keep)
            fprintf (stderr, "zstore-bench: kept %s\n", self->path);
        else if (zs_scratch_remove (self->path))
            fprintf (stderr, "zstore-bench: cannot remove %s: %s\n", self->path, strerror (errno));
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

const char *
zs_scratch_path (zs_scratch_t *self)
{
    assert (self);
    return self->path;
}

void
zs_scratch_keep (zs_scratch_t *self)
{
    assert (self);
    self->keep = true;
}

static int
s_remove_one (const char *path, const struct stat *info, int flag, struct FTW *walk)
{
    (void) info, (void) flag, (void) walk;
    //  Something already gone is what we wanted
    return remove (path) && errno != ENOENT ? -1 : 0;
}

int
zs_scratch_remove (const char *path)
{
    assert (path);
    //  Depth first, so that each folder is empty when its turn comes; links
    //  are removed, never followed
    int rc = nftw (path, s_remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc && errno == ENOENT ? 0 : rc;
}
