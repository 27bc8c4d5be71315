/*  test_object - keys, paths and headers of copies on a bucket's disk
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_object.h"
#include "zs_testkit.h"

//  A header buffer with room to spare, so that tests may write past the
//  end of a well-formed header
#define BUFFER_SIZE (ZS_OBJECT_HEADER_MAX + 64)

static void
s_put (byte *target, uint64_t value, size_t width)
{
    for (size_t index = 0; index < width; index++)
        target[index] = (byte) (value >> (8 * (width - 1 - index)));
}

static zs_fileinfo_t *
s_info (const char *user, const char *name, uint64_t version, uint64_t size)
{
    zs_fileinfo_t *info = zs_testkit_info (user, name, version, size);
    info->stamp = 0x0102030405060708ull;
    info->desired = 3;
    for (size_t index = 0; index < ZS_CHECKSUM_SIZE; index++)
        info->checksum[index] = (byte) (index * 7 + 1);
    return info;
}

//  Encodes a header for user's name and returns its size
static size_t
s_encode (byte *buffer, const char *user, const char *name, uint64_t size, uint8_t flags)
{
    zs_fileinfo_t *info = s_info (user, name, 42, size);
    info->flags = flags;
    memset (buffer, 0xAA, BUFFER_SIZE);
    size_t header_size = zs_object_encode_header (info, false, buffer);
    zs_fileinfo_destroy (&info);
    return header_size;
}

static int
s_decode (const byte *buffer, size_t size)
{
    zs_fileinfo_t *info = zs_fileinfo_new ();
    assert_non_null (info);
    size_t header_size = 0;
    int rc = zs_object_decode_header (buffer, size, info, &header_size);
    zs_fileinfo_destroy (&info);
    return rc;
}

static bool
s_is_lower_hex (const char *text, size_t length)
{
    if (strlen (text) != length)
        return false;
    for (size_t index = 0; index < length; index++)
        if (!((text[index] >= '0' && text[index] <= '9')
              || (text[index] >= 'a' && text[index] <= 'f')))
            return false;
    return true;
}

static void
test_key_deterministic (void **state)
{
    (void) state;
    char first[ZS_OBJECT_KEY_SIZE + 1], second[ZS_OBJECT_KEY_SIZE + 1];
    zs_object_key ("alice", "notes.txt", first);
    zs_object_key ("alice", "notes.txt", second);
    assert_string_equal (first, second);
    assert_true (s_is_lower_hex (first, ZS_OBJECT_KEY_SIZE));
    //  BLAKE2b-128 of owner, NUL, name: a stable on-disk format
    assert_string_equal (first, "84c6d350cb628b42e3177bd0f5bd438b");
    zs_object_key ("a", "bc", first);
    assert_string_equal (first, "2b6b61fcaa57518eba08d9c8a37ffe96");
}

static void
test_key_separates_user_and_name (void **state)
{
    (void) state;
    char first[ZS_OBJECT_KEY_SIZE + 1], second[ZS_OBJECT_KEY_SIZE + 1];
    zs_object_key ("a", "bc", first);
    zs_object_key ("ab", "c", second);
    assert_string_not_equal (first, second);
    zs_object_key ("", "abc", first);
    zs_object_key ("abc", "", second);
    assert_string_not_equal (first, second);
    zs_object_key ("alice", "x", first);
    zs_object_key ("bob", "x", second);
    assert_string_not_equal (first, second);
    zs_object_key ("alice", "x", first);
    zs_object_key ("alice", "y", second);
    assert_string_not_equal (first, second);
}

static void
test_paths (void **state)
{
    (void) state;
    const char *key = "0123456789abcdef0123456789abcdef";
    char path[ZS_OBJECT_PATH_MAX];
    zs_object_copy_path (path, key, 0x1a2b);
    assert_string_equal (path, "objects/01/23/0123456789abcdef0123456789abcdef.0000000000001a2b");
    zs_object_copy_path (path, key, UINT64_MAX);
    assert_string_equal (path, "objects/01/23/0123456789abcdef0123456789abcdef.ffffffffffffffff");
    assert_true (strlen (path) < ZS_OBJECT_PATH_MAX);
    zs_object_leaf_path (path, key);
    assert_string_equal (path, "objects/01/23");
    zs_object_tombstone_path (path, key, 7);
    assert_string_equal (path, "tombstones/0123456789abcdef0123456789abcdef.0000000000000007");
}

static void
test_chunks (void **state)
{
    (void) state;
    assert_int_equal (zs_object_chunks (0), 0);
    assert_int_equal (zs_object_chunks (1), 1);
    assert_int_equal (zs_object_chunks (ZS_CHUNK_SIZE - 1), 1);
    assert_int_equal (zs_object_chunks (ZS_CHUNK_SIZE), 1);
    assert_int_equal (zs_object_chunks (ZS_CHUNK_SIZE + 1), 2);
    assert_int_equal (zs_object_chunks (5ull * ZS_CHUNK_SIZE / 2), 3);
}

static void
test_header_round_trip (void **state)
{
    (void) state;
    const char *names[] = { "notes.txt", "", "dir/sub/file", "caf\xc3\xa9 \xe6\x97\xa5" };
    uint64_t sizes[] = { 0, 1, ZS_CHUNK_SIZE, 5ull * ZS_CHUNK_SIZE / 2 };
    for (size_t index = 0; index < 4; index++) {
        zs_fileinfo_t *info = s_info ("alice", names[index], 1000 + index, sizes[index]);
        byte buffer[BUFFER_SIZE];
        size_t header_size = zs_object_encode_header (info, false, buffer);
        assert_int_equal (header_size, ZS_OBJECT_FIXED_HEADER + 5 + strlen (names[index]));
        assert_memory_equal (buffer, "ZSOBJ\0\0\1", 8);

        zs_fileinfo_t *decoded = zs_fileinfo_new ();
        assert_non_null (decoded);
        size_t decoded_size = 0;
        assert_int_equal (zs_object_decode_header (buffer, header_size, decoded, &decoded_size), 0);
        assert_int_equal (decoded_size, header_size);
        assert_string_equal (decoded->user, "alice");
        assert_string_equal (decoded->name, names[index]);
        assert_int_equal (decoded->version, 1000 + index);
        assert_int_equal (decoded->size, sizes[index]);
        assert_int_equal (decoded->stamp, 0x0102030405060708ull);
        assert_int_equal (decoded->desired, 3);
        assert_int_equal (decoded->flags, 0);
        assert_memory_equal (decoded->checksum, info->checksum, ZS_CHECKSUM_SIZE);
        assert_int_equal (zs_object_disk_size (decoded, decoded_size),
                          header_size + sizes[index] + 4ull * zs_object_chunks (sizes[index]));
        //  Decoding again into the same record replaces its strings
        assert_int_equal (zs_object_decode_header (buffer, header_size, decoded, &decoded_size), 0);
        assert_string_equal (decoded->name, names[index]);
        zs_fileinfo_destroy (&decoded);
        zs_fileinfo_destroy (&info);
    }
}

static void
test_header_aligned (void **state)
{
    (void) state;
    zs_fileinfo_t *info = s_info ("alice", "big", 7, 9ull * ZS_CHUNK_SIZE / 2);
    byte buffer[ZS_OBJECT_ALIGNED];
    memset (buffer, 0xAA, sizeof (buffer));
    size_t fields_size = ZS_OBJECT_FIXED_HEADER + strlen ("alice") + strlen ("big");
    assert_int_equal (zs_object_encode_header (info, true, buffer), ZS_OBJECT_ALIGNED);
    //  Zeros pad the fields to the block
    for (size_t index = fields_size; index < ZS_OBJECT_ALIGNED; index++)
        assert_int_equal (buffer[index], 0);
    zs_fileinfo_t *decoded = zs_fileinfo_new ();
    assert_non_null (decoded);
    size_t decoded_size = 0;
    //  The fields are enough to decode it
    assert_int_equal (zs_object_decode_header (buffer, fields_size, decoded, &decoded_size), 0);
    assert_int_equal (decoded_size, ZS_OBJECT_ALIGNED);
    assert_string_equal (decoded->name, "big");
    assert_int_equal (decoded->size, info->size);
    assert_int_equal (zs_object_disk_size (decoded, decoded_size),
                      ZS_OBJECT_ALIGNED + info->size + 4ull * zs_object_chunks (info->size));
    //  Any other size between the fields and the block is refused
    s_put (buffer + 8, ZS_OBJECT_ALIGNED / 2, 4);
    assert_int_equal (zs_object_decode_header (buffer, fields_size, decoded, &decoded_size), -1);
    s_put (buffer + 8, ZS_OBJECT_ALIGNED * 2, 4);
    assert_int_equal (zs_object_decode_header (buffer, fields_size, decoded, &decoded_size), -1);
    zs_fileinfo_destroy (&decoded);
    zs_fileinfo_destroy (&info);
}

static void
test_header_tombstone (void **state)
{
    (void) state;
    zs_fileinfo_t *info = s_info ("bob", "gone", 9, 5);
    info->flags = ZS_FILE_TOMBSTONE;
    byte buffer[BUFFER_SIZE];
    size_t header_size = zs_object_encode_header (info, false, buffer);
    //  A tombstone has no chunks, whatever its size
    assert_int_equal (buffer[44] | buffer[45] | buffer[46] | buffer[47], 0);
    zs_fileinfo_t *decoded = zs_fileinfo_new ();
    assert_non_null (decoded);
    size_t decoded_size = 0;
    assert_int_equal (zs_object_decode_header (buffer, header_size, decoded, &decoded_size), 0);
    assert_int_equal (decoded->flags, ZS_FILE_TOMBSTONE);
    assert_int_equal (decoded->size, 5);
    assert_int_equal (zs_object_disk_size (decoded, decoded_size), header_size + 5);
    zs_fileinfo_destroy (&decoded);
    zs_fileinfo_destroy (&info);
}

static void
test_header_refuses_wrong_magic (void **state)
{
    (void) state;
    byte buffer[BUFFER_SIZE];
    size_t header_size = s_encode (buffer, "alice", "a", 10, 0);
    assert_int_equal (s_decode (buffer, header_size), 0);
    for (size_t index = 0; index < 8; index++) {
        buffer[index] ^= 0x20;
        assert_int_equal (s_decode (buffer, header_size), -1);
        buffer[index] ^= 0x20;
    }
    assert_int_equal (s_decode (buffer, header_size), 0);
}

static void
test_header_refuses_bad_lengths (void **state)
{
    (void) state;
    byte buffer[BUFFER_SIZE];
    size_t header_size = s_encode (buffer, "alice", "file", 10, 0);
    assert_int_equal (s_decode (buffer, header_size), 0);
    //  Shorter than the fixed part, or than the header says
    assert_int_equal (s_decode (buffer, ZS_OBJECT_FIXED_HEADER - 1), -1);
    assert_int_equal (s_decode (buffer, header_size - 1), -1);
    //  Header size field disagrees with the lengths
    s_put (buffer + 8, header_size + 1, 4);
    assert_int_equal (s_decode (buffer, BUFFER_SIZE), -1);
    s_put (buffer + 8, header_size - 1, 4);
    assert_int_equal (s_decode (buffer, BUFFER_SIZE), -1);
    s_put (buffer + 8, header_size, 4);
    assert_int_equal (s_decode (buffer, header_size), 0);
    //  Lengths disagree with the header size field
    s_put (buffer + 80, 6, 2);
    assert_int_equal (s_decode (buffer, BUFFER_SIZE), -1);
    s_put (buffer + 80, 5, 2);
    s_put (buffer + 82, 3, 2);
    assert_int_equal (s_decode (buffer, BUFFER_SIZE), -1);
    s_put (buffer + 82, 4, 2);
    assert_int_equal (s_decode (buffer, header_size), 0);

    //  Lengths over the limits, even when consistent
    byte *large = (byte *) calloc (1, ZS_OBJECT_FIXED_HEADER + 2 * ZS_NAME_MAX);
    assert_non_null (large);
    s_encode (buffer, "u", "n", 10, 0);
    memcpy (large, buffer, ZS_OBJECT_FIXED_HEADER);
    memset (large + ZS_OBJECT_FIXED_HEADER, 'x', 2 * ZS_NAME_MAX);
    s_put (large + 80, ZS_USER_MAX + 1, 2);
    s_put (large + 82, 1, 2);
    s_put (large + 8, ZS_OBJECT_FIXED_HEADER + ZS_USER_MAX + 2, 4);
    assert_int_equal (s_decode (large, ZS_OBJECT_FIXED_HEADER + 2 * ZS_NAME_MAX), -1);
    s_put (large + 80, 1, 2);
    s_put (large + 82, ZS_NAME_MAX + 1, 2);
    s_put (large + 8, ZS_OBJECT_FIXED_HEADER + ZS_NAME_MAX + 2, 4);
    assert_int_equal (s_decode (large, ZS_OBJECT_FIXED_HEADER + 2 * ZS_NAME_MAX), -1);
    //  The largest allowed lengths are fine
    s_put (large + 80, ZS_USER_MAX, 2);
    s_put (large + 82, ZS_NAME_MAX, 2);
    s_put (large + 8, ZS_OBJECT_HEADER_MAX, 4);
    assert_int_equal (s_decode (large, ZS_OBJECT_FIXED_HEADER + 2 * ZS_NAME_MAX), 0);
    free (large);

    //  A NUL inside the owner or the name
    header_size = s_encode (buffer, "alice", "file", 10, 0);
    buffer[ZS_OBJECT_FIXED_HEADER + 2] = 0;
    assert_int_equal (s_decode (buffer, header_size), -1);
    header_size = s_encode (buffer, "alice", "file", 10, 0);
    buffer[ZS_OBJECT_FIXED_HEADER + 5 + 3] = 0;
    assert_int_equal (s_decode (buffer, header_size), -1);
}

static void
test_header_refuses_bad_chunks (void **state)
{
    (void) state;
    byte buffer[BUFFER_SIZE];
    size_t header_size = s_encode (buffer, "alice", "file", ZS_CHUNK_SIZE + 1, 0);
    assert_int_equal (s_decode (buffer, header_size), 0);
    s_put (buffer + 44, 1, 4);
    assert_int_equal (s_decode (buffer, header_size), -1);
    s_put (buffer + 44, 3, 4);
    assert_int_equal (s_decode (buffer, header_size), -1);
    s_put (buffer + 44, 0, 4);
    assert_int_equal (s_decode (buffer, header_size), -1);

    //  An empty file has no chunk
    header_size = s_encode (buffer, "alice", "file", 0, 0);
    assert_int_equal (s_decode (buffer, header_size), 0);
    s_put (buffer + 44, 1, 4);
    assert_int_equal (s_decode (buffer, header_size), -1);

    //  Neither has a tombstone
    header_size = s_encode (buffer, "alice", "file", 12, ZS_FILE_TOMBSTONE);
    assert_int_equal (s_decode (buffer, header_size), 0);
    s_put (buffer + 44, 1, 4);
    assert_int_equal (s_decode (buffer, header_size), -1);

    //  A size with more chunks than a 32-bit count can hold
    header_size = s_encode (buffer, "alice", "file", 10, 0);
    s_put (buffer + 24, (uint64_t) UINT32_MAX * ZS_CHUNK_SIZE + 1, 8);
    s_put (buffer + 44, 0, 4);
    assert_int_equal (s_decode (buffer, header_size), -1);
    s_put (buffer + 24, (uint64_t) UINT32_MAX * ZS_CHUNK_SIZE, 8);
    s_put (buffer + 44, UINT32_MAX, 4);
    assert_int_equal (s_decode (buffer, header_size), 0);
}

static void
test_header_refuses_unknown_flags (void **state)
{
    (void) state;
    byte buffer[BUFFER_SIZE];
    size_t header_size = s_encode (buffer, "alice", "file", 10, 0);
    uint32_t flags[] = { 2, 4, 0x80, 0x100, 0x80000000u, 3 };
    for (size_t index = 0; index < sizeof (flags) / sizeof (flags[0]); index++) {
        s_put (buffer + 12, flags[index], 4);
        assert_int_equal (s_decode (buffer, header_size), -1);
    }
    s_put (buffer + 12, 0, 4);
    assert_int_equal (s_decode (buffer, header_size), 0);
}

static void
test_parse_filename (void **state)
{
    (void) state;
    char key[ZS_OBJECT_KEY_SIZE + 1];
    uint64_t version = 0;
    assert_int_equal (zs_object_parse_filename ("0123456789abcdef0123456789abcdef.00000000000000ff",
                                                key, &version),
                      0);
    assert_string_equal (key, "0123456789abcdef0123456789abcdef");
    assert_int_equal (version, 255);
    assert_int_equal (zs_object_parse_filename ("ffffffffffffffffffffffffffffffff.ffffffffffffffff",
                                                key, &version),
                      0);
    assert_int_equal (version, UINT64_MAX);
    assert_int_equal (zs_object_parse_filename ("00000000000000000000000000000000.0123456789abcdef",
                                                key, &version),
                      0);
    assert_int_equal (version, 0x0123456789abcdefull);

    //  Round trip with the path of a copy
    char real_key[ZS_OBJECT_KEY_SIZE + 1], path[ZS_OBJECT_PATH_MAX];
    zs_object_key ("alice", "notes.txt", real_key);
    zs_object_copy_path (path, real_key, 123456789);
    assert_int_equal (zs_object_parse_filename (strrchr (path, '/') + 1, key, &version), 0);
    assert_string_equal (key, real_key);
    assert_int_equal (version, 123456789);

    const char *refused[] = {
        "",
        ".",
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef.",
        "0123456789abcdef0123456789abcdef.00000000000000f",   //  15 digits
        "0123456789abcdef0123456789abcdef.00000000000000fff", //  17 digits
        "0123456789abcdef0123456789abcde.00000000000000ff",   //  31 digits
        "0123456789abcdef0123456789abcdef0.0000000000000ff",  //  dot misplaced
        "0123456789abcdef0123456789abcdef_00000000000000ff",
        "0123456789ABCDEF0123456789abcdef.00000000000000ff", //  upper case
        "0123456789abcdef0123456789abcdef.00000000000000FF",
        "0123456789abcdeg0123456789abcdef.00000000000000ff", //  not hex
        "0123456789abcdef0123456789abcdef.0000000000000x0f",
        "0123456789abcdef0123456789abcdef.00000000000000f.",
        "0123456789abcdef0123456789abcdef.0000000000000.ff",
        "0123456789abcdef0123456789abcdef.00000000000000ff.new",
        "0123456789abcdef0123456789abcdef.00000000000000ff.1700000000000",
        " 123456789abcdef0123456789abcdef.00000000000000ff",
        "0123456789abcdef0123456789abcdef.00000000000000f ",
    };
    for (size_t index = 0; index < sizeof (refused) / sizeof (refused[0]); index++) {
        version = 77;
        strcpy (key, "untouched");
        assert_int_equal (zs_object_parse_filename (refused[index], key, &version), -1);
        assert_int_equal (version, 77);
        assert_string_equal (key, "untouched");
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_key_deterministic),
        cmocka_unit_test (test_key_separates_user_and_name),
        cmocka_unit_test (test_paths),
        cmocka_unit_test (test_chunks),
        cmocka_unit_test (test_header_round_trip),
        cmocka_unit_test (test_header_aligned),
        cmocka_unit_test (test_header_tombstone),
        cmocka_unit_test (test_header_refuses_wrong_magic),
        cmocka_unit_test (test_header_refuses_bad_lengths),
        cmocka_unit_test (test_header_refuses_bad_chunks),
        cmocka_unit_test (test_header_refuses_unknown_flags),
        cmocka_unit_test (test_parse_filename),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
