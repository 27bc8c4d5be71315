/*  test_crc32c - CRC-32C of byte ranges, portable and hardware paths
 */

#include "zs_crc32c.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define BIG_SIZE ((1 << 20) + 37)

//  Deterministic pseudo-random bytes (xorshift64*), so failures reproduce
static uint64_t s_seed = 0x9E3779B97F4A7C15ull;

static uint8_t
s_random_byte (void)
{
    s_seed ^= s_seed >> 12;
    s_seed ^= s_seed << 25;
    s_seed ^= s_seed >> 27;
    return (uint8_t) ((s_seed * 0x2545F4914F6CDD1Dull) >> 56);
}

static void
s_random_fill (uint8_t *buffer, size_t size)
{
    for (size_t index = 0; index < size; index++)
        buffer[index] = s_random_byte ();
}

//  Both paths must give the same known value
static void
s_check_vector (const void *data, size_t size, uint32_t expected)
{
    assert_int_equal (zs_crc32c_portable (0, data, size), expected);
    assert_int_equal (zs_crc32c (0, data, size), expected);
}

static void
test_check_string (void **state)
{
    (void) state;
    s_check_vector ("123456789", 9, 0xE3069283);
}

static void
test_empty (void **state)
{
    (void) state;
    s_check_vector ("", 0, 0);
    //  No bytes leave any running value as it was
    assert_int_equal (zs_crc32c_portable (0xE3069283, "", 0), 0xE3069283);
    assert_int_equal (zs_crc32c (0xE3069283, "", 0), 0xE3069283);
}

//  The test patterns of RFC 3720, B.4
static void
test_rfc3720_vectors (void **state)
{
    (void) state;
    uint8_t buffer[32];
    memset (buffer, 0x00, sizeof (buffer));
    s_check_vector (buffer, sizeof (buffer), 0x8A9136AA);
    memset (buffer, 0xFF, sizeof (buffer));
    s_check_vector (buffer, sizeof (buffer), 0x62A8AB43);
    for (int index = 0; index < 32; index++)
        buffer[index] = (uint8_t) index;
    s_check_vector (buffer, sizeof (buffer), 0x46DD794E);
    for (int index = 0; index < 32; index++)
        buffer[index] = (uint8_t) (31 - index);
    s_check_vector (buffer, sizeof (buffer), 0x113FDB5C);
}

static void
test_single_bytes (void **state)
{
    (void) state;
    //  CRC-32C of one byte 'a', and of "a" then "bc" extended
    s_check_vector ("a", 1, 0xC1D04330);
    s_check_vector ("abc", 3, 0x364B3FB7);
    //  A single bit changes the value
    assert_int_not_equal (zs_crc32c (0, "abd", 3), zs_crc32c (0, "abc", 3));
}

//  Feeding the bytes in pieces gives the one-shot value, cut anywhere
static void
test_incremental_every_split (void **state)
{
    (void) state;
    uint8_t buffer[300];
    s_random_fill (buffer, sizeof (buffer));
    uint32_t whole = zs_crc32c_portable (0, buffer, sizeof (buffer));
    assert_int_equal (zs_crc32c (0, buffer, sizeof (buffer)), whole);
    for (size_t cut = 0; cut <= sizeof (buffer); cut++) {
        uint32_t crc = zs_crc32c (0, buffer, cut);
        crc = zs_crc32c (crc, buffer + cut, sizeof (buffer) - cut);
        assert_int_equal (crc, whole);
        crc = zs_crc32c_portable (0, buffer, cut);
        crc = zs_crc32c_portable (crc, buffer + cut, sizeof (buffer) - cut);
        assert_int_equal (crc, whole);
        //  The two paths mix freely
        crc = zs_crc32c_portable (0, buffer, cut);
        crc = zs_crc32c (crc, buffer + cut, sizeof (buffer) - cut);
        assert_int_equal (crc, whole);
    }
    //  The check string, one byte at a time
    uint32_t crc = 0;
    for (const char *cursor = "123456789"; *cursor; cursor++)
        crc = zs_crc32c (crc, cursor, 1);
    assert_int_equal (crc, 0xE3069283);
}

static void
test_incremental_many_pieces (void **state)
{
    (void) state;
    uint8_t *buffer = (uint8_t *) malloc (BIG_SIZE);
    assert_non_null (buffer);
    s_random_fill (buffer, BIG_SIZE);
    uint32_t whole = zs_crc32c_portable (0, buffer, BIG_SIZE);
    assert_int_equal (zs_crc32c (0, buffer, BIG_SIZE), whole);
    for (int round = 0; round < 20; round++) {
        uint32_t crc = 0;
        size_t offset = 0;
        while (offset < BIG_SIZE) {
            size_t piece = 1 + s_random_byte () * (size_t) (round * 97 + 1);
            if (piece > BIG_SIZE - offset)
                piece = BIG_SIZE - offset;
            crc = zs_crc32c (crc, buffer + offset, piece);
            offset += piece;
        }
        assert_int_equal (crc, whole);
    }
    free (buffer);
}

//  The hardware path equals the portable one for every length near the
//  eight-byte steps, every misalignment and any starting value
static void
test_hardware_equals_portable (void **state)
{
    (void) state;
    uint8_t buffer[1024 + 16];
    for (int round = 0; round < 4; round++) {
        s_random_fill (buffer, sizeof (buffer));
        for (size_t offset = 0; offset < 16; offset++)
            for (size_t size = 0; size <= 1024; size += (size < 80 ? 1 : 13)) {
                uint32_t start = round == 0 ? 0 : (uint32_t) (s_seed >> 7);
                uint32_t expected = zs_crc32c_portable (start, buffer + offset, size);
                assert_int_equal (zs_crc32c (start, buffer + offset, size), expected);
            }
    }
}

static void
test_hardware_equals_portable_large (void **state)
{
    (void) state;
    uint8_t *buffer = (uint8_t *) malloc (BIG_SIZE + 8);
    assert_non_null (buffer);
    s_random_fill (buffer, BIG_SIZE + 8);
    for (size_t offset = 0; offset < 8; offset++) {
        uint32_t expected = zs_crc32c_portable (0, buffer + offset, BIG_SIZE);
        assert_int_equal (zs_crc32c (0, buffer + offset, BIG_SIZE), expected);
    }
    free (buffer);
}

//  A content change anywhere changes the value
static void
test_detects_changes (void **state)
{
    (void) state;
    uint8_t buffer[256];
    s_random_fill (buffer, sizeof (buffer));
    uint32_t original = zs_crc32c (0, buffer, sizeof (buffer));
    for (size_t index = 0; index < sizeof (buffer); index++)
        for (int bit = 0; bit < 8; bit++) {
            buffer[index] ^= (uint8_t) (1 << bit);
            assert_int_not_equal (zs_crc32c (0, buffer, sizeof (buffer)), original);
            buffer[index] ^= (uint8_t) (1 << bit);
        }
    assert_int_equal (zs_crc32c (0, buffer, sizeof (buffer)), original);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_check_string),
        cmocka_unit_test (test_empty),
        cmocka_unit_test (test_rfc3720_vectors),
        cmocka_unit_test (test_single_bytes),
        cmocka_unit_test (test_incremental_every_split),
        cmocka_unit_test (test_incremental_many_pieces),
        cmocka_unit_test (test_hardware_equals_portable),
        cmocka_unit_test (test_hardware_equals_portable_large),
        cmocka_unit_test (test_detects_changes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
