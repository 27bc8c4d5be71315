/*  test_cache - the gateway's cache of small files' content
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_cache.h"
#include "zs_crc32c.h"

//  Puts a file of size bytes, each the byte fill, at version
static void
s_put (zs_cache_t *cache, const char *user, const char *name, uint64_t version, size_t size,
       byte fill)
{
    byte data[4096];
    assert_true (size <= sizeof (data));
    memset (data, fill, size);
    zframe_t *content = zframe_new (data, size);
    zs_cache_put (cache, user, name, version, content, zs_crc32c (0, data, size));
    zframe_destroy (&content);
}

//  The first byte of what the cache holds of user/name at version, or -1
static int
s_first_byte (zs_cache_t *cache, const char *user, const char *name, uint64_t version)
{
    uint32_t crc = 0;
    zframe_t *content = zs_cache_get (cache, user, name, version, &crc);
    if (!content)
        return -1;
    assert_int_equal (crc, zs_crc32c (0, zframe_data (content), zframe_size (content)));
    int first = zframe_data (content)[0];
    zframe_destroy (&content);
    return first;
}

static void
test_versions (void **state)
{
    (void) state;
    zs_cache_t *cache = zs_cache_new (1 << 20, 4096);
    assert_non_null (cache);
    s_put (cache, "alice", "a", 1, 100, 'x');
    assert_int_equal (s_first_byte (cache, "alice", "a", 1), 'x');
    //  Another version, another user, another name: not this entry
    assert_int_equal (s_first_byte (cache, "alice", "a", 2), -1);
    assert_int_equal (s_first_byte (cache, "bob", "a", 1), -1);
    assert_int_equal (s_first_byte (cache, "alice", "b", 1), -1);
    //  A new version replaces the old one
    s_put (cache, "alice", "a", 2, 100, 'y');
    assert_int_equal (s_first_byte (cache, "alice", "a", 2), 'y');
    assert_int_equal (s_first_byte (cache, "alice", "a", 1), -1);
    assert_int_equal (zs_cache_size (cache), 1);
    //  "a/b" of "alice" is not "b" of "alice/a"
    s_put (cache, "alice", "a/b", 1, 10, 'z');
    assert_int_equal (s_first_byte (cache, "alice", "a/b", 1), 'z');
    assert_int_equal (zs_cache_size (cache), 2);
    zs_cache_destroy (&cache);
    assert_null (cache);
}

static void
test_limits (void **state)
{
    (void) state;
    zs_cache_t *cache = zs_cache_new (1 << 20, 1000);
    assert_true (zs_cache_fits (cache, 1000));
    assert_false (zs_cache_fits (cache, 1001));
    s_put (cache, "alice", "big", 1, 2000, 'b');
    assert_int_equal (zs_cache_size (cache), 0);
    //  Content that does not match its CRC is not kept
    zframe_t *content = zframe_new ("hello", 5);
    zs_cache_put (cache, "alice", "bad", 1, content, 12345);
    zframe_destroy (&content);
    assert_int_equal (s_first_byte (cache, "alice", "bad", 1), -1);
    assert_int_equal (zs_cache_bytes (cache), 0);
    zs_cache_destroy (&cache);

    //  A budget of 0 keeps nothing
    cache = zs_cache_new (0, 1000);
    assert_false (zs_cache_fits (cache, 1));
    s_put (cache, "alice", "a", 1, 10, 'a');
    assert_int_equal (zs_cache_size (cache), 0);
    zs_cache_destroy (&cache);
}

static void
test_least_recently_used_go (void **state)
{
    (void) state;
    //  Room for about four entries of 1000 bytes
    zs_cache_t *cache = zs_cache_new (4 * 1300, 4096);
    char name[16];
    for (int index = 0; index < 4; index++) {
        snprintf (name, sizeof (name), "f%d", index);
        s_put (cache, "alice", name, 1, 1000, (byte) ('0' + index));
    }
    assert_int_equal (zs_cache_size (cache), 4);
    //  f0 is used: f1 is now the least recently used, and goes first
    assert_int_equal (s_first_byte (cache, "alice", "f0", 1), '0');
    s_put (cache, "alice", "f4", 1, 1000, '4');
    assert_int_equal (s_first_byte (cache, "alice", "f1", 1), -1);
    assert_int_equal (s_first_byte (cache, "alice", "f0", 1), '0');
    assert_int_equal (s_first_byte (cache, "alice", "f4", 1), '4');
    assert_true (zs_cache_bytes (cache) <= 4 * 1300);
    //  Many more: the budget holds
    for (int index = 0; index < 100; index++) {
        snprintf (name, sizeof (name), "g%d", index);
        s_put (cache, "alice", name, 1, 1000, 'g');
        assert_true (zs_cache_bytes (cache) <= 4 * 1300);
    }
    assert_int_equal (s_first_byte (cache, "alice", "g99", 1), 'g');
    assert_int_equal (s_first_byte (cache, "alice", "f0", 1), -1);
    zs_cache_destroy (&cache);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_versions),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_least_recently_used_go),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
