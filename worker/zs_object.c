/*  zs_object - how a copy is laid out on a bucket's disk

    Header, big-endian:
        0   8   magic "ZSOBJ", 0, 0, 1
        8   4   header size (bytes before the content): the fields below,
                or 4096 when zeros pad them to a block boundary
        12  4   flags
        16  8   version
        24  8   size of the content
        32  8   stamp (version of the replica count)
        40  1   desired replica count
        41  3   reserved, zero
        44  4   chunk count
        48  32  checksum (BLAKE2b-256 of the content)
        80  2   owner length
        82  2   name length
        84      owner, then name
*/

#include "zs_object.h"

#include <sodium.h>

_Static_assert(ZS_OBJECT_HEADER_MAX <= ZS_OBJECT_ALIGNED, "an aligned header holds every field");

static const byte s_magic[8] = { 'Z', 'S', 'O', 'B', 'J', 0, 0, 1 };

static void
s_put (byte *target, uint64_t value, size_t width)
{
    for (size_t index = 0; index < width; index++)
        target[index] = (byte) (value >> (8 * (width - 1 - index)));
}

static uint64_t
s_get (const byte *source, size_t width)
{
    uint64_t value = 0;
    for (size_t index = 0; index < width; index++)
        value = (value << 8) | source[index];
    return value;
}

void
zs_object_key (const char *user, const char *name, char *key)
{
    crypto_generichash_state state;
    byte hash[ZS_OBJECT_KEY_SIZE / 2];
    crypto_generichash_init (&state, NULL, 0, sizeof (hash));
    crypto_generichash_update (&state, (const byte *) user, strlen (user) + 1);
    crypto_generichash_update (&state, (const byte *) name, strlen (name));
    crypto_generichash_final (&state, hash, sizeof (hash));
    sodium_bin2hex (key, ZS_OBJECT_KEY_SIZE + 1, hash, sizeof (hash));
}

void
zs_object_leaf_path (char *path, const char *key)
{
    snprintf (path, ZS_OBJECT_PATH_MAX, "objects/%.2s/%.2s", key, key + 2);
}

void
zs_object_copy_path (char *path, const char *key, uint64_t version)
{
    snprintf (path, ZS_OBJECT_PATH_MAX, "objects/%.2s/%.2s/%s.%016" PRIx64, key, key + 2, key,
              version);
}

void
zs_object_tombstone_path (char *path, const char *key, uint64_t version)
{
    snprintf (path, ZS_OBJECT_PATH_MAX, "tombstones/%s.%016" PRIx64, key, version);
}

int
zs_object_parse_filename (const char *filename, char *key, uint64_t *version)
{
    if (strlen (filename) != ZS_OBJECT_KEY_SIZE + 1 + 16 || filename[ZS_OBJECT_KEY_SIZE] != '.')
        return -1;
    uint64_t value = 0;
    for (size_t index = 0; index < ZS_OBJECT_KEY_SIZE + 1 + 16; index++) {
        char c = filename[index];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (index == ZS_OBJECT_KEY_SIZE)
            continue;
        if (!hex)
            return -1;
        if (index > ZS_OBJECT_KEY_SIZE)
            value = (value << 4) | (uint64_t) (c <= '9' ? c - '0' : c - 'a' + 10);
    }
    memcpy (key, filename, ZS_OBJECT_KEY_SIZE);
    key[ZS_OBJECT_KEY_SIZE] = 0;
    *version = value;
    return 0;
}

uint32_t
zs_object_chunks (uint64_t size)
{
    return (uint32_t) ((size + ZS_CHUNK_SIZE - 1) / ZS_CHUNK_SIZE);
}

size_t
zs_object_encode_header (const zs_fileinfo_t *info, bool aligned, byte *buffer)
{
    size_t user_length = strlen (info->user);
    size_t name_length = strlen (info->name);
    assert (user_length <= ZS_USER_MAX && name_length <= ZS_NAME_MAX);
    size_t fields_size = ZS_OBJECT_FIXED_HEADER + user_length + name_length;
    size_t header_size = aligned ? ZS_OBJECT_ALIGNED : fields_size;
    memset (buffer, 0, ZS_OBJECT_FIXED_HEADER);
    memset (buffer + fields_size, 0, header_size - fields_size);
    memcpy (buffer, s_magic, sizeof (s_magic));
    s_put (buffer + 8, header_size, 4);
    s_put (buffer + 12, info->flags, 4);
    s_put (buffer + 16, info->version, 8);
    s_put (buffer + 24, info->size, 8);
    s_put (buffer + 32, info->stamp, 8);
    s_put (buffer + 40, info->desired, 1);
    bool tombstone = (info->flags & ZS_FILE_TOMBSTONE) != 0;
    s_put (buffer + 44, tombstone ? 0 : zs_object_chunks (info->size), 4);
    memcpy (buffer + 48, info->checksum, ZS_CHECKSUM_SIZE);
    s_put (buffer + 80, user_length, 2);
    s_put (buffer + 82, name_length, 2);
    memcpy (buffer + ZS_OBJECT_FIXED_HEADER, info->user, user_length);
    memcpy (buffer + ZS_OBJECT_FIXED_HEADER + user_length, info->name, name_length);
    return header_size;
}

static char *
s_string (const byte *bytes, size_t size)
{
    if (memchr (bytes, 0, size))
        return NULL;
    char *string = (char *) malloc (size + 1);
    if (string) {
        memcpy (string, bytes, size);
        string[size] = 0;
    }
    return string;
}

int
zs_object_decode_header (const byte *buffer, size_t size, zs_fileinfo_t *info, size_t *header_size)
{
    if (size < ZS_OBJECT_FIXED_HEADER || memcmp (buffer, s_magic, sizeof (s_magic)))
        return -1;
    size_t user_length = (size_t) s_get (buffer + 80, 2);
    size_t name_length = (size_t) s_get (buffer + 82, 2);
    size_t expected = ZS_OBJECT_FIXED_HEADER + user_length + name_length;
    size_t recorded = (size_t) s_get (buffer + 8, 4);
    if (user_length > ZS_USER_MAX || name_length > ZS_NAME_MAX
        || (recorded != expected && recorded != ZS_OBJECT_ALIGNED) || size < expected)
        return -1;
    uint64_t flags = s_get (buffer + 12, 4);
    uint64_t content = s_get (buffer + 24, 8);
    uint64_t chunks = s_get (buffer + 44, 4);
    bool tombstone = (flags & ZS_FILE_TOMBSTONE) != 0;
    if ((flags & ~(uint64_t) ZS_FILE_TOMBSTONE) || content > (uint64_t) UINT32_MAX * ZS_CHUNK_SIZE
        || chunks != (tombstone ? 0 : zs_object_chunks (content)))
        return -1;
    char *user = s_string (buffer + ZS_OBJECT_FIXED_HEADER, user_length);
    char *name = s_string (buffer + ZS_OBJECT_FIXED_HEADER + user_length, name_length);
    if (!user || !name) {
        free (user);
        free (name);
        return -1;
    }
    free (info->user);
    free (info->name);
    info->user = user;
    info->name = name;
    info->flags = (uint8_t) flags;
    info->version = s_get (buffer + 16, 8);
    info->size = content;
    info->stamp = s_get (buffer + 32, 8);
    info->desired = (uint8_t) s_get (buffer + 40, 1);
    memcpy (info->checksum, buffer + 48, ZS_CHECKSUM_SIZE);
    *header_size = recorded;
    return 0;
}

uint64_t
zs_object_disk_size (const zs_fileinfo_t *info, size_t header_size)
{
    bool tombstone = (info->flags & ZS_FILE_TOMBSTONE) != 0;
    return header_size + info->size + (tombstone ? 0 : 4ull * zs_object_chunks (info->size));
}
