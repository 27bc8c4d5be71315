/*  test_screen - the monitor's view drawn as text

    Whatever the size, the view fits it; without colour there is no escape
    sequence; a dead bucket shows as dead; long values are cut.
*/

#include "zs_screen.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define T0 1800000000000ULL //  Some wall-clock time, ms

static void
s_add_bucket (zs_proto_t *status, const char *id, const char *state)
{
    zs_bucketinfo_t *bucket = zs_bucketinfo_new ();
    free (bucket->id);
    bucket->id = strdup (id);
    free (bucket->state);
    bucket->state = strdup (state);
    free (bucket->zone);
    bucket->zone = strdup ("z1");
    free (bucket->address);
    bucket->address = strdup ("127.0.0.1");
    bucket->heartbeat_age = streq (state, "dead") ? 4200 : 120;
    bucket->rtt = 350;
    bucket->files = 1234;
    bucket->used = 5 << 20;
    bucket->free = 80ULL << 30;
    zs_proto_add_bucket (status, &bucket);
}

//  A cluster of b1 alive, b2 dead, b3 suspect and the given extra bucket,
//  with some heartbeats and events
static zs_view_t *
s_cluster (const char *extra)
{
    zs_view_t *view = zs_view_new ();
    zs_proto_t *status = zs_proto_new ();
    zs_proto_set_id (status, ZS_PROTO_STATUS_OK);
    zs_proto_set_sequence (status, 100);
    zs_proto_set_uptime (status, 3723000);
    zs_proto_set_heartbeat (status, 1000);
    zs_proto_set_liveness (status, 3);
    zs_proto_set_files (status, 42);
    zs_proto_set_used (status, 1 << 30);
    zs_proto_set_under_replicated (status, 3);
    zs_proto_set_repairs (status, 2);
    zs_proto_set_repairing (status, 1);
    zs_proto_set_repair_bytes (status, 3 << 20);
    zs_proto_set_repair_rate (status, 1 << 20);
    s_add_bucket (status, "b1", "alive");
    s_add_bucket (status, "b2", "dead");
    s_add_bucket (status, "b3", "suspect");
    if (extra)
        s_add_bucket (status, extra, "alive");
    zs_view_load (view, status, T0);
    zs_proto_destroy (&status);
    for (uint64_t sequence = 101; sequence < 130; sequence++) {
        zs_proto_t *event = zs_proto_new ();
        zs_proto_set_id (event, ZS_PROTO_EVENT);
        zs_proto_set_sequence (event, sequence);
        zs_proto_set_clock (event, T0);
        zs_proto_set_kind (event, sequence % 10 ? "bucket.heartbeat" : "file.stored");
        zs_proto_set_attr (event, "bucket", "b1");
        zs_proto_set_attr (event, "last_heartbeat_ms", "0");
        zs_proto_set_attr (event, "user", "alice");
        zs_proto_set_attr (event, "name", "photos/%" PRIu64 ".jpg", sequence);
        zs_view_apply (view, event, T0);
        zs_proto_destroy (&event);
    }
    return view;
}

//  Columns a row takes, counting UTF-8 characters once
static int
s_width (const char *text)
{
    int width = 0;
    for (; *text; text++)
        if (((unsigned char) *text & 0xc0) != 0x80)
            width++;
    return width;
}

//  The screen's text holds text somewhere
static bool
s_shows (zs_screen_t *screen, const char *text)
{
    char *all = zs_screen_text (screen);
    bool found = strstr (all, text) != NULL;
    free (all);
    return found;
}

//  The row that holds text, or -1
static int
s_row_with (zs_screen_t *screen, const char *text)
{
    for (int row = 0; row < zs_screen_height (screen); row++)
        if (strstr (zs_screen_row (screen, row), text))
            return row;
    return -1;
}

static void
test_new_screen (void **state)
{
    (void) state;
    assert_null (zs_screen_new (0, 10));
    assert_null (zs_screen_new (10, 0));
    assert_null (zs_screen_new (ZS_SCREEN_SIZE_MAX + 1, 10));
    zs_screen_t *screen = zs_screen_new (20, 3);
    assert_non_null (screen);
    assert_int_equal (zs_screen_width (screen), 20);
    assert_int_equal (zs_screen_height (screen), 3);
    //  Blank until drawn
    assert_string_equal (zs_screen_row (screen, 0), "                    ");
    assert_null (zs_screen_row (screen, 3));
    assert_null (zs_screen_row (screen, -1));
    zs_screen_destroy (&screen);
    assert_null (screen);
    zs_screen_destroy (&screen);
}

static void
test_fits_the_size (void **state)
{
    (void) state;
    zs_view_t *view = s_cluster ("a-bucket-with-a-rather-long-identifier-that-goes-on");
    const int sizes[][2] = { { 120, 40 }, { 80, 24 }, { 60, 12 }, { 40, 10 }, { 20, 5 },
                             { 1, 1 },    { 200, 3 }, { 10, 60 }, { 300, 2 }, { 33, 7 } };
    for (size_t index = 0; index < sizeof (sizes) / sizeof (sizes[0]); index++) {
        int width = sizes[index][0], height = sizes[index][1];
        for (int colour = 0; colour < 2; colour++) {
            zs_screen_t *screen = zs_screen_new (width, height);
            zs_screen_set_colour (screen, colour);
            zs_screen_render (screen, view, "tcp://gateway.example.com:5555", T0 + 2000);
            if (!colour)
                for (int row = 0; row < height; row++)
                    assert_int_equal (s_width (zs_screen_row (screen, row)), width);
            assert_null (zs_screen_row (screen, height));
            char *text = zs_screen_text (screen);
            int rows = 0;
            for (char *line = text, *end; *line; line = end + 1, rows++) {
                end = strchr (line, '\n');
                assert_non_null (end);
                *end = 0;
                if (!colour)
                    assert_true (s_width (line) <= width);
            }
            assert_int_equal (rows, height);
            free (text);
            zs_screen_destroy (&screen);
        }
    }
    zs_view_destroy (&view);
}

static void
test_no_ansi_without_colour (void **state)
{
    (void) state;
    zs_view_t *view = s_cluster (NULL);
    zs_screen_t *screen = zs_screen_new (120, 40);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0 + 2000);
    char *text = zs_screen_text (screen);
    assert_null (strchr (text, '\033'));
    free (text);
    for (int row = 0; row < 40; row++)
        assert_null (strchr (zs_screen_row (screen, row), '\033'));
    //  With colour: SGR sequences only, each row ending back in the plain style
    zs_screen_set_colour (screen, true);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0 + 2000);
    text = zs_screen_text (screen);
    assert_non_null (strstr (text, "\033["));
    for (const char *escape = strchr (text, '\033'); escape; escape = strchr (escape + 1, '\033')) {
        const char *end = escape + 2;
        while (*end == ';' || (*end >= '0' && *end <= '9'))
            end++;
        assert_int_equal (*end, 'm');
    }
    free (text);
    const char *row = zs_screen_row (screen, s_row_with (screen, "b2"));
    assert_non_null (strstr (row, "\033[0;1;31mdead"));
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

static void
test_shows_a_dead_bucket (void **state)
{
    (void) state;
    zs_view_t *view = s_cluster (NULL);
    zs_screen_t *screen = zs_screen_new (120, 40);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0 + 2000);
    int row = s_row_with (screen, "b2 ");
    assert_true (row > 0);
    const char *line = zs_screen_row (screen, row);
    assert_non_null (strstr (line, "dead"));
    //  Its silence has grown since the snapshot
    assert_non_null (strstr (line, "6.2 s"));
    assert_non_null (strstr (zs_screen_row (screen, s_row_with (screen, "b3 ")), "suspect"));
    //  The header: the gateway, its uptime and the totals
    assert_non_null (strstr (zs_screen_row (screen, 0), "tcp://127.0.0.1:5555"));
    assert_non_null (strstr (zs_screen_row (screen, 0), "up 1h 02m"));
    assert_true (s_shows (screen, "1 alive  1 suspect  1 dead  3 total"));
    assert_true (s_shows (screen, "files 42 (1.0 GiB)"));
    assert_true (s_shows (screen, "under-replicated 3"));
    assert_true (s_shows (screen, "repairs 2 waiting, 1 in flight, 3.0 MiB left at 1.0 MiB/s"));
    //  The columns, b1's heartbeats, the events
    assert_true (s_shows (screen, "BUCKET"));
    assert_true (s_shows (screen, "HEARTBEATS"));
    assert_non_null (strstr (zs_screen_row (screen, s_row_with (screen, "b1 ")), "|||||"));
    assert_true (s_shows (screen, "EVENTS"));
    assert_true (s_shows (screen, "stored alice/photos/120.jpg"));
    assert_true (s_shows (screen, "q quit"));
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

static void
test_truncates_long_ids (void **state)
{
    (void) state;
    const char *id = "bucket-with-an-identifier-far-longer-than-any-column-should-be";
    zs_view_t *view = s_cluster (id);
    zs_screen_t *screen = zs_screen_new (80, 24);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0);
    assert_false (s_shows (screen, id));
    int row = s_row_with (screen, "bucket-with-an-ident");
    assert_true (row > 0);
    const char *line = zs_screen_row (screen, row);
    //  Cut, marked, and the state still shows after it
    assert_non_null (strstr (line, "~ "));
    assert_non_null (strstr (line, "alive"));
    //  So narrow that only the id and state fit: the id gives way
    zs_screen_destroy (&screen);
    screen = zs_screen_new (16, 20);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0);
    row = s_row_with (screen, "dead");
    assert_true (row > 0);
    assert_int_equal (strncmp (zs_screen_row (screen, row), "b2", 2), 0);
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

static void
test_narrow_screens_drop_columns (void **state)
{
    (void) state;
    zs_view_t *view = s_cluster (NULL);
    zs_screen_t *screen = zs_screen_new (120, 30);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0);
    assert_true (s_shows (screen, "ADDRESS"));
    assert_true (s_shows (screen, "ZONE"));
    zs_screen_destroy (&screen);
    screen = zs_screen_new (60, 30);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0);
    assert_false (s_shows (screen, "ADDRESS"));
    assert_true (s_shows (screen, "STATE"));
    assert_true (s_shows (screen, "LAST HB"));
    //  The summary takes two rows rather than lose the repairs
    assert_true (s_shows (screen, "repairs 2 waiting"));
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

static void
test_too_many_buckets (void **state)
{
    (void) state;
    zs_view_t *view = zs_view_new ();
    zs_proto_t *status = zs_proto_new ();
    zs_proto_set_id (status, ZS_PROTO_STATUS_OK);
    for (int index = 1; index <= 50; index++) {
        char id[16];
        snprintf (id, sizeof (id), "b%d", index);
        s_add_bucket (status, id, "alive");
    }
    zs_view_load (view, status, T0);
    zs_proto_destroy (&status);
    zs_screen_t *screen = zs_screen_new (100, 20);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0);
    //  As many as fit, the rest counted, and room left for events
    assert_true (s_shows (screen, "b1 "));
    assert_false (s_shows (screen, "b50"));
    assert_true (s_shows (screen, "more buckets"));
    assert_true (s_shows (screen, "EVENTS"));
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

static void
test_before_and_without_the_gateway (void **state)
{
    (void) state;
    zs_view_t *view = zs_view_new ();
    zs_screen_t *screen = zs_screen_new (100, 20);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0);
    assert_true (s_shows (screen, "connecting"));
    zs_view_set_unreachable (view, "no answer within 1500 ms", T0);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0 + 12000);
    assert_true (s_shows (screen, "UNREACHABLE for 12 s: no answer within 1500 ms"));
    assert_true (s_shows (screen, "gateway unreachable"));
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

static void
test_table (void **state)
{
    (void) state;
    zs_view_t *view = s_cluster (NULL);
    zs_screen_t *screen = zs_screen_new (160, 1);
    zs_screen_render_table (screen, view, "tcp://127.0.0.1:5555", T0);
    //  Title, summary, blank, column titles and three buckets
    assert_int_equal (zs_screen_height (screen), 7);
    assert_true (s_shows (screen, "b3 "));
    assert_false (s_shows (screen, "EVENTS"));
    assert_false (s_shows (screen, "HEARTBEATS"));
    assert_false (s_shows (screen, "q quit"));
    char *text = zs_screen_text (screen);
    //  No trailing blanks
    assert_null (strstr (text, " \n"));
    free (text);
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

static void
test_utf8 (void **state)
{
    (void) state;
    zs_view_t *view = s_cluster (NULL);
    zs_proto_t *event = zs_proto_new ();
    zs_proto_set_id (event, ZS_PROTO_EVENT);
    zs_proto_set_sequence (event, 130);
    zs_proto_set_kind (event, "file.removed");
    zs_proto_set_attr (event, "user", "alice");
    zs_proto_set_attr (event, "name", "\xc3\xa9t\xc3\xa9.txt");
    zs_view_tick (view, T0 + 5000);
    zs_view_apply (view, event, T0 + 5000);
    zs_proto_destroy (&event);
    zs_screen_t *screen = zs_screen_new (60, 40);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0 + 5000);
    assert_true (s_shows (screen, "removed alice/?t?.txt"));
    zs_screen_set_utf8 (screen, true);
    zs_screen_render (screen, view, "tcp://127.0.0.1:5555", T0 + 5000);
    int row = s_row_with (screen, "removed alice/\xc3\xa9t\xc3\xa9.txt");
    assert_true (row > 0);
    assert_int_equal (s_width (zs_screen_row (screen, row)), 60);
    zs_screen_destroy (&screen);
    zs_view_destroy (&view);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_screen),
        cmocka_unit_test (test_fits_the_size),
        cmocka_unit_test (test_no_ansi_without_colour),
        cmocka_unit_test (test_shows_a_dead_bucket),
        cmocka_unit_test (test_truncates_long_ids),
        cmocka_unit_test (test_narrow_screens_drop_columns),
        cmocka_unit_test (test_too_many_buckets),
        cmocka_unit_test (test_before_and_without_the_gateway),
        cmocka_unit_test (test_table),
        cmocka_unit_test (test_utf8),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
