/*  test_json - the JSON document writer
 */

#include "zs_json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void
test_new_is_empty (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    assert_non_null (json);
    assert_non_null (zs_json_text (json));
    assert_string_equal (zs_json_text (json), "");
    zs_json_destroy (&json);
    assert_null (json);
    //  Destroying nothing is harmless
    zs_json_destroy (&json);
}

static void
test_empty_containers (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_object (json);
    zs_json_end (json);
    assert_string_equal (zs_json_text (json), "{}");
    zs_json_destroy (&json);

    json = zs_json_new ();
    zs_json_array (json);
    zs_json_end (json);
    assert_string_equal (zs_json_text (json), "[]");
    zs_json_destroy (&json);

    json = zs_json_new ();
    zs_json_array (json);
    zs_json_object (json);
    zs_json_end (json);
    zs_json_array (json);
    zs_json_end (json);
    zs_json_object (json);
    zs_json_end (json);
    zs_json_end (json);
    assert_string_equal (zs_json_text (json), "[{},[],{}]");
    zs_json_destroy (&json);
}

static void
test_flat_object (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_object (json);
    zs_json_key (json, "name");
    zs_json_string (json, "a.txt");
    zs_json_key (json, "size");
    zs_json_number (json, 42);
    zs_json_key (json, "ok");
    zs_json_bool (json, true);
    zs_json_key (json, "gone");
    zs_json_bool (json, false);
    zs_json_key (json, "unknown");
    zs_json_null (json);
    zs_json_end (json);
    assert_string_equal (
        zs_json_text (json),
        "{\"name\":\"a.txt\",\"size\":42,\"ok\":true,\"gone\":false,\"unknown\":null}");
    zs_json_destroy (&json);
}

static void
test_nested (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_object (json);
    zs_json_key (json, "files");
    zs_json_array (json);
    {
        zs_json_object (json);
        zs_json_key (json, "name");
        zs_json_string (json, "a");
        zs_json_key (json, "buckets");
        zs_json_array (json);
        zs_json_string (json, "b1");
        zs_json_string (json, "b2");
        zs_json_end (json);
        zs_json_end (json);
    }
    {
        zs_json_object (json);
        zs_json_key (json, "name");
        zs_json_string (json, "b");
        zs_json_key (json, "buckets");
        zs_json_array (json);
        zs_json_end (json);
        zs_json_key (json, "meta");
        zs_json_object (json);
        zs_json_end (json);
        zs_json_end (json);
    }
    zs_json_end (json);
    zs_json_key (json, "matrix");
    zs_json_array (json);
    zs_json_array (json);
    zs_json_number (json, 1);
    zs_json_number (json, 2);
    zs_json_end (json);
    zs_json_array (json);
    zs_json_end (json);
    zs_json_array (json);
    zs_json_array (json);
    zs_json_number (json, 3);
    zs_json_end (json);
    zs_json_end (json);
    zs_json_end (json);
    zs_json_key (json, "more");
    zs_json_bool (json, false);
    zs_json_end (json);
    assert_string_equal (zs_json_text (json),
                         "{\"files\":[{\"name\":\"a\",\"buckets\":[\"b1\",\"b2\"]},"
                         "{\"name\":\"b\",\"buckets\":[],\"meta\":{}}],"
                         "\"matrix\":[[1,2],[],[[3]]],\"more\":false}");
    zs_json_destroy (&json);
}

static void
test_escaping (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_array (json);
    zs_json_string (json, "say \"hi\"");
    zs_json_string (json, "back\\slash");
    zs_json_string (json, "line\nbreak\ttab");
    zs_json_string (json, "\x01\x1f");
    zs_json_string (json, "\"\\\"");
    zs_json_string (json, "");
    zs_json_string (json, NULL);
    zs_json_string (json, "/ and \x7f pass");
    zs_json_end (json);
    assert_string_equal (zs_json_text (json), "[\"say \\\"hi\\\"\","
                                              "\"back\\\\slash\","
                                              "\"line\\nbreak\\ttab\","
                                              "\"\\u0001\\u001f\","
                                              "\"\\\"\\\\\\\"\","
                                              "\"\","
                                              "\"\","
                                              "\"/ and \x7f pass\"]");
    zs_json_destroy (&json);
}

static void
test_key_escaping (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_object (json);
    zs_json_key (json, "a\"b\\c\nd\x02");
    zs_json_number (json, 1);
    zs_json_key (json, "");
    zs_json_string (json, "");
    zs_json_end (json);
    assert_string_equal (zs_json_text (json), "{\"a\\\"b\\\\c\\nd\\u0002\":1,\"\":\"\"}");
    zs_json_destroy (&json);
}

static void
test_utf8_unchanged (void **state)
{
    (void) state;
    const char *text = "été/日本語.txt \xf0\x9f\x98\x80 \xc2\x85";
    zs_json_t *json = zs_json_new ();
    zs_json_object (json);
    zs_json_key (json, "名前");
    zs_json_string (json, text);
    zs_json_end (json);
    char expected[128];
    snprintf (expected, sizeof (expected), "{\"名前\":\"%s\"}", text);
    assert_string_equal (zs_json_text (json), expected);
    zs_json_destroy (&json);
}

static void
test_numbers (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_array (json);
    zs_json_number (json, 0);
    zs_json_number (json, 1);
    zs_json_number (json, 4294967295u);
    zs_json_number (json, 4294967296u);
    zs_json_number (json, UINT64_MAX - 1);
    zs_json_number (json, UINT64_MAX);
    zs_json_end (json);
    assert_string_equal (zs_json_text (json), "[0,1,4294967295,4294967296,18446744073709551614,"
                                              "18446744073709551615]");
    zs_json_destroy (&json);
}

static void
test_booleans (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_array (json);
    zs_json_bool (json, true);
    zs_json_bool (json, false);
    zs_json_bool (json, true);
    zs_json_end (json);
    assert_string_equal (zs_json_text (json), "[true,false,true]");
    zs_json_destroy (&json);
}

//  Values outside any container are written as they are
static void
test_top_level_values (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    zs_json_string (json, "just \"text\"");
    assert_string_equal (zs_json_text (json), "\"just \\\"text\\\"\"");
    zs_json_destroy (&json);

    json = zs_json_new ();
    zs_json_number (json, 7);
    assert_string_equal (zs_json_text (json), "7");
    zs_json_destroy (&json);
}

//  A document far larger than the first allocation
static void
test_large_document (void **state)
{
    (void) state;
    size_t capacity = 200000;
    char *expected = (char *) malloc (capacity);
    assert_non_null (expected);
    size_t used = 0;
    zs_json_t *json = zs_json_new ();
    zs_json_array (json);
    used += (size_t) snprintf (expected + used, capacity - used, "[");
    for (uint64_t index = 0; index < 10000; index++) {
        if (index % 2) {
            zs_json_number (json, index * 1000003);
            used += (size_t) snprintf (expected + used, capacity - used, "%s%llu", index ? "," : "",
                                       (unsigned long long) (index * 1000003));
        }
        else {
            zs_json_object (json);
            zs_json_key (json, "i");
            zs_json_string (json, "x\"y");
            zs_json_end (json);
            used += (size_t) snprintf (expected + used, capacity - used, "%s{\"i\":\"x\\\"y\"}",
                                       index ? "," : "");
        }
        assert_true (used < capacity);
    }
    zs_json_end (json);
    used += (size_t) snprintf (expected + used, capacity - used, "]");
    assert_non_null (zs_json_text (json));
    assert_int_equal (strlen (zs_json_text (json)), used);
    assert_string_equal (zs_json_text (json), expected);
    zs_json_destroy (&json);
    free (expected);

    //  One long string value, with escapes spread through it
    size_t size = 100000;
    char *value = (char *) malloc (size + 1);
    char *quoted = (char *) malloc (2 * size + 3);
    assert_non_null (value);
    assert_non_null (quoted);
    size_t length = 0;
    quoted[length++] = '"';
    for (size_t index = 0; index < size; index++) {
        value[index] = index % 1000 == 999 ? '"' : (char) ('a' + index % 26);
        if (value[index] == '"')
            quoted[length++] = '\\';
        quoted[length++] = value[index];
    }
    value[size] = 0;
    quoted[length++] = '"';
    quoted[length] = 0;
    json = zs_json_new ();
    zs_json_string (json, value);
    assert_string_equal (zs_json_text (json), quoted);
    zs_json_destroy (&json);
    free (value);
    free (quoted);
}

//  Containers nest as deep as the writer allows
static void
test_deep_nesting (void **state)
{
    (void) state;
    zs_json_t *json = zs_json_new ();
    char expected[256] = "";
    size_t used = 0;
    for (int depth = 0; depth < 32; depth++) {
        if (depth % 2) {
            zs_json_array (json);
            expected[used++] = '[';
        }
        else {
            zs_json_object (json);
            zs_json_key (json, "k");
            memcpy (expected + used, "{\"k\":", 5);
            used += 5;
        }
    }
    zs_json_bool (json, true);
    memcpy (expected + used, "true", 4);
    used += 4;
    for (int depth = 31; depth >= 0; depth--) {
        zs_json_end (json);
        expected[used++] = depth % 2 ? ']' : '}';
    }
    expected[used] = 0;
    assert_string_equal (zs_json_text (json), expected);
    zs_json_destroy (&json);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_is_empty),   cmocka_unit_test (test_empty_containers),
        cmocka_unit_test (test_flat_object),    cmocka_unit_test (test_nested),
        cmocka_unit_test (test_escaping),       cmocka_unit_test (test_key_escaping),
        cmocka_unit_test (test_utf8_unchanged), cmocka_unit_test (test_numbers),
        cmocka_unit_test (test_booleans),       cmocka_unit_test (test_top_level_values),
        cmocka_unit_test (test_large_document), cmocka_unit_test (test_deep_nesting),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
