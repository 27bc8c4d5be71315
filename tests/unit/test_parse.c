/*  test_parse - sizes and counts typed on command lines, sizes for people
 */

#include "zs_parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)
#define PIB (1024ull * TIB)

static void
s_size_is (const char *text, uint64_t expected)
{
    uint64_t value = 12345;
    if (zs_parse_size (text, &value))
        fail_msg ("refused size \"%s\"", text);
    assert_int_equal (value, expected);
}

static void
s_size_refused (const char *text)
{
    uint64_t value = 0;
    if (zs_parse_size (text, &value) != -1)
        fail_msg ("accepted size \"%s\"", text ? text : "(null)");
}

static void
test_size_plain (void **state)
{
    (void) state;
    s_size_is ("0", 0);
    s_size_is ("1", 1);
    s_size_is ("123", 123);
    s_size_is ("007", 7);
    s_size_is ("1048576", MIB);
    s_size_is ("18446744073709551615", UINT64_MAX);
}

static void
test_size_suffixes (void **state)
{
    (void) state;
    s_size_is ("64K", 64 * KIB);
    s_size_is ("10M", 10 * MIB);
    s_size_is ("3G", 3 * GIB);
    s_size_is ("1T", TIB);
    s_size_is ("64k", 64 * KIB);
    s_size_is ("10m", 10 * MIB);
    s_size_is ("3g", 3 * GIB);
    s_size_is ("1t", TIB);
    s_size_is ("0K", 0);
    s_size_is ("0T", 0);
    s_size_is ("1536K", 1536 * KIB);
}

static void
test_size_limits (void **state)
{
    (void) state;
    //  The largest multiples that fit in 64 bits
    s_size_is ("16777215T", 16777215ull * TIB);
    s_size_is ("17179869183G", 17179869183ull * GIB);
    s_size_is ("18014398509481983K", 18014398509481983ull * KIB);
    //  One more overflows
    s_size_refused ("16777216T");
    s_size_refused ("17179869184G");
    s_size_refused ("17592186044416M");
    s_size_refused ("18014398509481984K");
    s_size_refused ("20000000T");
    s_size_refused ("18446744073709551616");
    s_size_refused ("99999999999999999999");
    s_size_refused ("99999999999999999999K");
}

static void
test_size_refuses (void **state)
{
    (void) state;
    const char *bad[] = { "",    "-1",  "+1",  "1.5G", "10X", "G",    "K",     "12 ",
                          " 12", "1KB", "1 K", "1Ki",  "1e3", "0x10", "1,000", "1_000",
                          "12a", "1GG", "1B",  "1P",   "1E",  "k",    "-0",    "1\n" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++)
        s_size_refused (bad[index]);
    s_size_refused (NULL);
}

static void
s_count_is (const char *text, uint64_t min, uint64_t max, uint64_t expected)
{
    uint64_t value = 12345;
    if (zs_parse_count (text, min, max, &value))
        fail_msg ("refused count \"%s\" in [%llu, %llu]", text, (unsigned long long) min,
                  (unsigned long long) max);
    assert_int_equal (value, expected);
}

static void
s_count_refused (const char *text, uint64_t min, uint64_t max)
{
    uint64_t value = 0;
    if (zs_parse_count (text, min, max, &value) != -1)
        fail_msg ("accepted count \"%s\" in [%llu, %llu]", text ? text : "(null)",
                  (unsigned long long) min, (unsigned long long) max);
}

static void
test_count (void **state)
{
    (void) state;
    s_count_is ("5", 1, 10, 5);
    s_count_is ("1", 1, 10, 1);
    s_count_is ("10", 1, 10, 10);
    s_count_is ("0", 0, 0, 0);
    s_count_is ("3", 3, 3, 3);
    s_count_is ("16", 1, 16, 16);
    s_count_is ("0", 0, UINT64_MAX, 0);
    s_count_is ("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
    s_count_is ("18446744073709551615", UINT64_MAX, UINT64_MAX, UINT64_MAX);

    s_count_refused ("0", 1, 10);
    s_count_refused ("11", 1, 10);
    s_count_refused ("2", 3, 3);
    s_count_refused ("4", 3, 3);
    s_count_refused ("17", 1, 16);
    s_count_refused ("18446744073709551614", UINT64_MAX, UINT64_MAX);
    s_count_refused ("18446744073709551616", 0, UINT64_MAX);
    s_count_refused ("99999999999999999999", 0, UINT64_MAX);
    const char *bad[] = { "", "-1", "+1", " 5", "5 ", "5K", "1.0", "0x5", "five", "5\n" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++)
        s_count_refused (bad[index], 0, UINT64_MAX);
    s_count_refused (NULL, 0, UINT64_MAX);
}

static void
s_formats_as (uint64_t bytes, const char *expected)
{
    char buffer[32];
    memset (buffer, 'x', sizeof (buffer));
    zs_parse_format_size (bytes, buffer, sizeof (buffer));
    assert_string_equal (buffer, expected);
}

static void
test_format_size (void **state)
{
    (void) state;
    s_formats_as (0, "0 B");
    s_formats_as (1, "1 B");
    s_formats_as (512, "512 B");
    s_formats_as (1023, "1023 B");
    s_formats_as (KIB, "1.0 KiB");
    s_formats_as (1536, "1.5 KiB");
    s_formats_as (10 * KIB, "10.0 KiB");
    s_formats_as (MIB, "1.0 MiB");
    s_formats_as (MIB + MIB / 2, "1.5 MiB");
    s_formats_as (3 * GIB + GIB / 5, "3.2 GiB");
    s_formats_as (TIB, "1.0 TiB");
    s_formats_as (PIB, "1.0 PiB");
    //  Past the largest unit, the count of that unit grows
    s_formats_as (2048 * PIB, "2048.0 PiB");
    s_formats_as (UINT64_MAX, "16384.0 PiB");
}

static void
test_format_size_small_buffer (void **state)
{
    (void) state;
    char buffer[8];
    memset (buffer, 'x', sizeof (buffer));
    zs_parse_format_size (1536, buffer, 4);
    assert_string_equal (buffer, "1.5");
    //  Nothing written past the given size
    assert_int_equal (buffer[4], 'x');
    zs_parse_format_size (123456, buffer, 1);
    assert_string_equal (buffer, "");
    zs_parse_format_size (512, buffer, 4);
    assert_string_equal (buffer, "512");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_size_plain),
        cmocka_unit_test (test_size_suffixes),
        cmocka_unit_test (test_size_limits),
        cmocka_unit_test (test_size_refuses),
        cmocka_unit_test (test_count),
        cmocka_unit_test (test_format_size),
        cmocka_unit_test (test_format_size_small_buffer),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
