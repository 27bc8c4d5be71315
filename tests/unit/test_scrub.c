/*  test_scrub - the bucket's background integrity check

    A scrub actor runs on a store in a temporary folder. A copy whose
    content was damaged on disk is found, moved to quarantine and reported
    up the pipe as COPY_LOST; a good copy is left alone; and the pause
    between passes is the one last set, also when it was set while the
    scrubber already rested (a bucket's settings may reach it only after
    its first pass).
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zs_crc32c.h"
#include "zs_object.h"
#include "zs_proto.h"
#include "zs_reader.h"
#include "zs_scrub.h"
#include "zs_store.h"
#include "zs_testkit.h"
#include "zs_writer.h"

#include <sodium.h>

#define COPY_SIZE    5000
#define REPORT_WAIT  5000 //  ms for a report that must come
#define SILENCE_WAIT 300  //  ms in which a report that must not come would
#define QUICK_PAUSE  "50" //  ms between passes, once set

typedef struct {
    char root[64];     //  Temporary folder
    char data[96];     //  The store's folder in it
    zs_store_t *store; //  Open on data
    zactor_t *scrub;   //  The actor under test, once started
    zs_proto_t *report;
    FILE *log; //  Where zsys logs go while a test reads them
} fixture_t;

static int
s_teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    if (!self)
        return 0;
    //  The actor first: the store must outlive it
    zactor_destroy (&self->scrub);
    if (self->log) {
        zsys_set_logstream (stderr);
        fclose (self->log);
    }
    zs_store_destroy (&self->store);
    zs_proto_destroy (&self->report);
    int rc = zs_testkit_folder_remove (self->root);
    free (self);
    return rc;
}

static int
s_setup (void **state)
{
    fixture_t *self = (fixture_t *) calloc (1, sizeof (fixture_t));
    if (!self)
        return -1;
    *state = self;
    if (!zs_testkit_folder_new (self->root, sizeof (self->root), "scrub")) {
        free (self);
        *state = NULL;
        return -1;
    }
    snprintf (self->data, sizeof (self->data), "%s/data", self->root);
    char error[256];
    self->store = zs_store_new (self->data, "b1", error, sizeof (error));
    self->report = zs_proto_new ();
    if (!self->store || !self->report) {
        print_error ("cannot open a store: %s\n", error);
        s_teardown (state);
        return -1;
    }
    return 0;
}

//  Writes a one-chunk copy of alice's name, version 1, and damages one byte
//  of its content on disk when asked
static void
s_put_copy (fixture_t *self, const char *name, bool damaged)
{
    byte *data = zs_testkit_random (COPY_SIZE), checksum[ZS_CHECKSUM_SIZE];
    zs_testkit_checksum (data, COPY_SIZE, checksum);
    zs_fileinfo_t *info = zs_testkit_info ("alice", name, 1, COPY_SIZE);
    info->desired = 1;
    int status;
    zs_writer_t *writer = zs_writer_new (self->store, info, &status);
    zs_fileinfo_destroy (&info);
    assert_non_null (writer);
    assert_int_equal (zs_writer_append (writer, 0, data, COPY_SIZE, zs_crc32c (0, data, COPY_SIZE)),
                      ZS_STATUS_OK);
    assert_int_equal (zs_writer_prepare (writer, COPY_SIZE, checksum), ZS_STATUS_OK);
    assert_int_equal (zs_writer_commit (writer), ZS_STATUS_OK);
    zs_writer_destroy (&writer);
    free (data);
    if (damaged) {
        char path[256];
        zs_testkit_copy_path (self->data, "alice", name, 1, path, sizeof (path));
        //  A byte of the content: the header holds the fixed part and the names
        zs_testkit_flip_byte (
            path, (off_t) (ZS_OBJECT_FIXED_HEADER + strlen ("alice") + strlen (name) + 1234));
    }
}

static void
s_start (fixture_t *self)
{
    self->scrub = zactor_new (zs_scrub_actor, self->store);
    assert_non_null (self->scrub);
    assert_int_equal (zstr_sendx (self->scrub, "RATE", "1000000000", NULL), 0);
}

//  The next report within timeout ms, or NULL
static const char *
s_reported (fixture_t *self, int timeout)
{
    zpoller_t *poller = zpoller_new (self->scrub, NULL);
    bool ready = zpoller_wait (poller, timeout) != NULL;
    zpoller_destroy (&poller);
    if (!ready)
        return NULL;
    assert_int_equal (zs_proto_recv (self->report, zactor_sock (self->scrub)), 0);
    assert_int_equal (zs_proto_id (self->report), ZS_PROTO_COPY_LOST);
    assert_string_equal (zs_proto_user (self->report), "alice");
    assert_int_equal (zs_proto_version (self->report), 1);
    return zs_proto_name (self->report);
}

static void
test_damage_found (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_put_copy (self, "good", false);
    s_put_copy (self, "damaged", true);
    s_start (self);
    const char *name = s_reported (self, REPORT_WAIT);
    assert_non_null (name);
    assert_string_equal (name, "damaged");
    assert_string_not_equal (zs_proto_reason (self->report), "");
    char quarantine[128];
    snprintf (quarantine, sizeof (quarantine), "%s/quarantine", self->data);
    assert_int_equal (zs_testkit_entries (quarantine), 1);
    //  The good copy stays where it was, and nothing more is reported
    int status;
    zs_reader_t *reader = zs_reader_new (self->store, "alice", "good", 1, &status);
    assert_int_equal (status, ZS_STATUS_OK);
    zs_reader_destroy (&reader);
    assert_null (s_reported (self, SILENCE_WAIT));
}

//  Whether the log holds text, waiting up to timeout ms for it
static bool
s_logged (const char *path, const char *text, int timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    while (true) {
        char *log = NULL;
        zfile_t *file = zfile_new (NULL, path);
        zchunk_t *chunk = file && zfile_input (file) == 0 ? zfile_read (file, 1 << 20, 0) : NULL;
        if (chunk)
            log = zchunk_strdup (chunk);
        bool found = log && strstr (log, text);
        zstr_free (&log);
        zchunk_destroy (&chunk);
        zfile_destroy (&file);
        if (found || zclock_mono () >= deadline)
            return found;
        zclock_sleep (10);
    }
}

//  The default pause is a minute: a pause set while the scrubber rests
//  (once the pass that found the only copy ended, as its log says) must cut
//  the rest short, not wait for it
static void
test_pause_set_while_resting (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    char path[128];
    snprintf (path, sizeof (path), "%s/log", self->root);
    self->log = fopen (path, "w");
    assert_non_null (self->log);
    zsys_set_logstream (self->log);
    s_put_copy (self, "first", true);
    s_start (self);
    const char *name = s_reported (self, REPORT_WAIT);
    assert_non_null (name);
    assert_string_equal (name, "first");
    assert_true (s_logged (path, "pass done", REPORT_WAIT));
    assert_int_equal (zstr_sendx (self->scrub, "PAUSE", QUICK_PAUSE, NULL), 0);
    s_put_copy (self, "second", true);
    name = s_reported (self, REPORT_WAIT);
    assert_non_null (name);
    assert_string_equal (name, "second");
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    zsys_init ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_damage_found, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pause_set_while_resting, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
