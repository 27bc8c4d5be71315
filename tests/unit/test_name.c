/*  test_name - what file names, user names, bucket ids and zones may be
 */

#include "zs_name.h"
#include "zs_proto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

//  Fails with the offending text, so a broken case is easy to spot
static void
s_accept_file (const char *name)
{
    const char *reason = zs_name_check_file (name);
    if (reason)
        fail_msg ("refused file name \"%s\": %s", name, reason);
}

static void
s_refuse_file (const char *name)
{
    const char *reason = zs_name_check_file (name);
    if (!reason)
        fail_msg ("accepted file name \"%s\"", name ? name : "(null)");
    assert_true (strlen (reason) > 0);
}

//  A name of size bytes: repeats of unit, then 'a's to fill
static char *
s_long_name (const char *unit, size_t size)
{
    char *name = (char *) malloc (size + 1);
    assert_non_null (name);
    size_t unit_size = strlen (unit);
    size_t used = 0;
    while (used + unit_size <= size) {
        memcpy (name + used, unit, unit_size);
        used += unit_size;
    }
    memset (name + used, 'a', size - used);
    name[size] = 0;
    return name;
}

static void
test_file_accepts (void **state)
{
    (void) state;
    s_accept_file ("a");
    s_accept_file ("photos/2024/a.jpg");
    s_accept_file ("my file with spaces.txt");
    s_accept_file (" leading and trailing ");
    s_accept_file ("a..b");
    s_accept_file (".hidden");
    s_accept_file ("x/.y");
    s_accept_file ("x/..y/z..");
    s_accept_file ("...");
    s_accept_file ("a/.../b");
    s_accept_file ("a-b_c.d~e!@#$%^&*()[]{}'\"\\");
    s_accept_file ("été/日本語.txt");
    s_accept_file ("\xf0\x9f\x98\x80");           //  U+1F600, four bytes
    s_accept_file ("smile-\xf0\x9f\x98\x80.png"); //  U+1F600 inside a name
    s_accept_file ("\xc2\xa0nbsp");               //  U+00A0, first above C1
    s_accept_file ("\xef\xbf\xbd");               //  U+FFFD
    s_accept_file ("\xf4\x8f\xbf\xbf");           //  U+10FFFF, the last code point
    s_accept_file ("\xed\x9f\xbf");               //  U+D7FF, just below surrogates
    s_accept_file ("\xee\x80\x80");               //  U+E000, just above surrogates
    s_accept_file ("~");                          //  0x7E, below DEL
}

static void
test_file_length (void **state)
{
    (void) state;
    char *name = s_long_name ("a", ZS_NAME_MAX);
    assert_int_equal (strlen (name), 1024);
    s_accept_file (name);
    free (name);

    name = s_long_name ("a", ZS_NAME_MAX + 1);
    s_refuse_file (name);
    free (name);

    //  The limit is in bytes, not characters
    name = s_long_name ("é", ZS_NAME_MAX);
    assert_int_equal (strlen (name), 1024);
    s_accept_file (name);
    free (name);

    name = s_long_name ("é", ZS_NAME_MAX + 1);
    s_refuse_file (name);
    free (name);

    //  Segments of a long name
    name = s_long_name ("dir/", ZS_NAME_MAX);
    name[ZS_NAME_MAX - 1] = 'z';
    s_accept_file (name);
    free (name);

    name = s_long_name ("a", 100000);
    s_refuse_file (name);
    free (name);
}

static void
test_file_refuses_shapes (void **state)
{
    (void) state;
    s_refuse_file (NULL);
    s_refuse_file ("");
    s_refuse_file ("/abs");
    s_refuse_file ("/");
    s_refuse_file ("//");
    s_refuse_file ("a//b");
    s_refuse_file ("a/");
    s_refuse_file ("a/b/");
    s_refuse_file (".");
    s_refuse_file ("..");
    s_refuse_file ("./a");
    s_refuse_file ("a/.");
    s_refuse_file ("a/..");
    s_refuse_file ("a/./b");
    s_refuse_file ("a/../b");
    s_refuse_file ("../x");
    s_refuse_file ("x/../../y");
}

static void
test_file_refuses_control (void **state)
{
    (void) state;
    s_refuse_file ("\x01");
    s_refuse_file ("a\x01z");
    s_refuse_file ("a\x1fz");
    s_refuse_file ("a\x7fz");
    s_refuse_file ("a\tb");
    s_refuse_file ("a\nb");
    s_refuse_file ("a\rb");
    s_refuse_file ("a\x1b[31mred");
    s_refuse_file ("a\xc2\x85z"); //  U+0085, C1 next line
    s_refuse_file ("a\xc2\x80z"); //  U+0080, first C1
    s_refuse_file ("a\xc2\x9fz"); //  U+009F, last C1
    //  Every C0 control, anywhere in a name
    for (int code = 1; code < 0x20; code++) {
        char name[8];
        snprintf (name, sizeof (name), "ab%cc", code);
        s_refuse_file (name);
    }
}

static void
test_file_refuses_bad_utf8 (void **state)
{
    (void) state;
    s_refuse_file ("\x80");             //  Lone continuation byte
    s_refuse_file ("a\xbfz");           //  Lone continuation byte inside
    s_refuse_file ("\xc0\xaf");         //  Overlong '/'
    s_refuse_file ("\xc1\xbf");         //  Overlong, two bytes
    s_refuse_file ("\xe0\x80\xaf");     //  Overlong, three bytes
    s_refuse_file ("\xe0\x9f\xbf");     //  Overlong U+07FF
    s_refuse_file ("\xf0\x80\x80\xaf"); //  Overlong, four bytes
    s_refuse_file ("\xf0\x8f\xbf\xbf"); //  Overlong U+FFFF
    s_refuse_file ("\xed\xa0\x80");     //  Surrogate U+D800
    s_refuse_file ("\xed\xbf\xbf");     //  Surrogate U+DFFF
    s_refuse_file ("\xe6\x97");         //  Truncated at the end
    s_refuse_file ("a\xe6\x97z");       //  Truncated inside
    s_refuse_file ("\xf0\x9f\x98");     //  Truncated four-byte sequence
    s_refuse_file ("\xc3");             //  Lead byte alone
    s_refuse_file ("\xf4\x90\x80\x80"); //  U+110000, past the last code point
    s_refuse_file ("\xf7\xbf\xbf\xbf"); //  Far past it
    s_refuse_file ("\xf8\x88\x80\x80\x80");
    s_refuse_file ("\xfe");
    s_refuse_file ("\xff");
    s_refuse_file ("ok/\xff/ok");
}

static void
test_user (void **state)
{
    (void) state;
    const char *good[] = { "a", "alice", "Alice_01", "a.b-c_d", "0", "42", "a-", "a.", "_x", "Z" };
    for (size_t index = 0; index < sizeof (good) / sizeof (good[0]); index++)
        assert_null (zs_name_check_user (good[index]));
    const char *bad[] = { "",  ".a",  "-a",  "a b", "a/b", "a@b", "a:b",     "a,b",
                          "é", "a\n", "a\t", " a",  "a ",  "a+b", "\xc3\xa9" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        const char *reason = zs_name_check_user (bad[index]);
        if (!reason)
            fail_msg ("accepted user \"%s\"", bad[index]);
        assert_true (strlen (reason) > 0);
    }
    assert_non_null (zs_name_check_user (NULL));

    char *user = s_long_name ("u", ZS_USER_MAX);
    assert_null (zs_name_check_user (user));
    free (user);
    user = s_long_name ("u", ZS_USER_MAX + 1);
    assert_non_null (zs_name_check_user (user));
    free (user);
}

static void
test_bucket (void **state)
{
    (void) state;
    const char *good[] = { "b", "bucket-01", "Bucket_2", "node.rack-3", "9", "b-", "b." };
    for (size_t index = 0; index < sizeof (good) / sizeof (good[0]); index++)
        assert_null (zs_name_check_bucket (good[index]));
    const char *bad[] = { "", ".b", "-b", "b 1", "b/1", "b,1", "é", "b\x01", "b=1" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        const char *reason = zs_name_check_bucket (bad[index]);
        if (!reason)
            fail_msg ("accepted bucket id \"%s\"", bad[index]);
        assert_true (strlen (reason) > 0);
    }
    assert_non_null (zs_name_check_bucket (NULL));

    char *id = s_long_name ("b", ZS_BUCKET_ID_MAX);
    assert_null (zs_name_check_bucket (id));
    free (id);
    id = s_long_name ("b", ZS_BUCKET_ID_MAX + 1);
    assert_non_null (zs_name_check_bucket (id));
    free (id);
}

static void
test_zone (void **state)
{
    (void) state;
    //  No zone at all is fine
    assert_null (zs_name_check_zone (NULL));
    assert_null (zs_name_check_zone (""));
    const char *good[] = { "z", "zone-a", "eu-west_1.a", "rack7" };
    for (size_t index = 0; index < sizeof (good) / sizeof (good[0]); index++)
        assert_null (zs_name_check_zone (good[index]));
    const char *bad[] = { ".z", "-z", "zone a", "zone/a", "zöne", "z\x7f" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        const char *reason = zs_name_check_zone (bad[index]);
        if (!reason)
            fail_msg ("accepted zone \"%s\"", bad[index]);
        assert_true (strlen (reason) > 0);
    }
    char *zone = s_long_name ("z", ZS_BUCKET_ID_MAX);
    assert_null (zs_name_check_zone (zone));
    free (zone);
    zone = s_long_name ("z", ZS_BUCKET_ID_MAX + 1);
    assert_non_null (zs_name_check_zone (zone));
    free (zone);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_file_accepts),
        cmocka_unit_test (test_file_length),
        cmocka_unit_test (test_file_refuses_shapes),
        cmocka_unit_test (test_file_refuses_control),
        cmocka_unit_test (test_file_refuses_bad_utf8),
        cmocka_unit_test (test_user),
        cmocka_unit_test (test_bucket),
        cmocka_unit_test (test_zone),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
