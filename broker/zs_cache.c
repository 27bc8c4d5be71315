/*  zs_cache - the content of small files, kept by the gateway
 */

#include "zs_cache.h"
#include "zs_crc32c.h"

//  What an entry costs beyond its content and key: the entry, the hash
//  and list items, the frame
#define ENTRY_OVERHEAD 160

typedef struct {
    char *key;         //  user/name (a user holds no '/')
    uint64_t version;  //  Of the content kept
    zframe_t *content; //  The file's bytes
    uint32_t crc;      //  CRC-32C of the content
    size_t cost;       //  Bytes counted against the budget
    void *handle;      //  In the list, most recently used first
} entry_t;

struct _zs_cache_t {
    size_t budget;
    size_t entry_max;
    size_t bytes;
    zhashx_t *entries; //  entry_t by key; owns them
    zlistx_t *recent;  //  The same, most recently used first
};

static void
s_entry_destroy (entry_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->key);
        zframe_destroy (&(*self_p)->content);
        free (*self_p);
        *self_p = NULL;
    }
}

zs_cache_t *
zs_cache_new (size_t budget, size_t entry_max)
{
    zs_cache_t *self = (zs_cache_t *) zmalloc (sizeof (zs_cache_t));
    if (!self)
        return NULL;
    self->budget = budget;
    self->entry_max = entry_max;
    self->entries = zhashx_new ();
    self->recent = zlistx_new ();
    if (!self->entries || !self->recent) {
        zs_cache_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->entries, (zhashx_destructor_fn *) s_entry_destroy);
    return self;
}

void
zs_cache_destroy (zs_cache_t **self_p)
{
    assert (self_p);
    zs_cache_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->recent);
        zhashx_destroy (&self->entries);
        free (self);
        *self_p = NULL;
    }
}

bool
zs_cache_fits (zs_cache_t *self, uint64_t size)
{
    assert (self);
    return size <= self->entry_max && size + ENTRY_OVERHEAD <= self->budget;
}

static void
s_drop (zs_cache_t *self, entry_t *entry)
{
    self->bytes -= entry->cost;
    zlistx_delete (self->recent, entry->handle);
    zhashx_delete (self->entries, entry->key);
}

static char *
s_key (const char *user, const char *name)
{
    return zsys_sprintf ("%s/%s", user, name);
}

void
zs_cache_put (zs_cache_t *self, const char *user, const char *name, uint64_t version,
              zframe_t *content, uint32_t crc)
{
    assert (self);
    assert (content);
    //  Content that does not match the CRC its sender gave is for the
    //  client to reject, not for the cache to serve again and again
    if (!zs_cache_fits (self, zframe_size (content))
        || zs_crc32c (0, zframe_data (content), zframe_size (content)) != crc)
        return;
    char *key = s_key (user, name);
    entry_t *entry = (entry_t *) zhashx_lookup (self->entries, key);
    if (entry)
        s_drop (self, entry);
    entry = (entry_t *) zmalloc (sizeof (entry_t));
    zframe_t *copy = zframe_dup (content);
    if (!entry || !copy) {
        free (entry);
        zframe_destroy (&copy);
        zstr_free (&key);
        return;
    }
    entry->key = key;
    entry->version = version;
    entry->content = copy;
    entry->crc = crc;
    entry->cost = zframe_size (copy) + strlen (key) + ENTRY_OVERHEAD;
    if (entry->cost > self->budget) {
        s_entry_destroy (&entry);
        return;
    }
    //  Room first: the least recently used go
    while (self->bytes + entry->cost > self->budget && zlistx_size (self->recent))
        s_drop (self, (entry_t *) zlistx_last (self->recent));
    entry->handle = zlistx_add_start (self->recent, entry);
    zhashx_insert (self->entries, key, entry);
    self->bytes += entry->cost;
}

zframe_t *
zs_cache_get (zs_cache_t *self, const char *user, const char *name, uint64_t version, uint32_t *crc)
{
    assert (self);
    char *key = s_key (user, name);
    entry_t *entry = (entry_t *) zhashx_lookup (self->entries, key);
    zstr_free (&key);
    if (!entry || entry->version != version)
        return NULL;
    if (zs_crc32c (0, zframe_data (entry->content), zframe_size (entry->content)) != entry->crc) {
        zsys_error ("cache: the copy of %s version %" PRIu64 " kept in memory is damaged: dropped",
                    entry->key, version);
        s_drop (self, entry);
        return NULL;
    }
    zlistx_move_start (self->recent, entry->handle);
    *crc = entry->crc;
    return zframe_dup (entry->content);
}

size_t
zs_cache_size (zs_cache_t *self)
{
    assert (self);
    return zhashx_size (self->entries);
}

size_t
zs_cache_bytes (zs_cache_t *self)
{
    assert (self);
    return self->bytes;
}
