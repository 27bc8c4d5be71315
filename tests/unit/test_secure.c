/*  test_secure - key pairs, keyrings of public keys, and which endpoints
    stay on this machine
 */

#include "zs_keyring.h"
#include "zs_secure.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

static char s_folder[64];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_folder, sizeof (s_folder), "/tmp/zs-test-secure.XXXXXX");
    return mkdtemp (s_folder) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    zdir_t *dir = zdir_new (s_folder, NULL);
    if (dir)
        zdir_remove (dir, true);
    zdir_destroy (&dir);
    return 0;
}

static char *
s_path (const char *format, const char *name)
{
    char *relative = zsys_sprintf (format, name);
    char *path = zsys_sprintf ("%s/%s", s_folder, relative);
    zstr_free (&relative);
    return path;
}

//  Waits, up to two seconds, for the keyring to say name (NULL: nothing) of key
static void
s_expect_name (zs_keyring_t *keyring, const char *key, const char *name)
{
    int64_t deadline = zclock_mono () + 2000;
    const char *found = zs_keyring_name (keyring, key);
    while (!(name ? found && streq (found, name) : !found) && zclock_mono () < deadline) {
        zclock_sleep (20);
        found = zs_keyring_name (keyring, key);
    }
    if (name)
        assert_string_equal (found ? found : "(none)", name);
    else
        assert_null (found);
}

static void
test_keygen (void **state)
{
    (void) state;
    char error[256];
    assert_int_equal (zs_secure_keygen (s_folder, "alice", error, sizeof (error)), 0);
    char *secret = s_path ("%s.cert_secret", "alice");
    char *public = s_path ("%s.cert", "alice");
    struct stat info;
    assert_int_equal (stat (secret, &info), 0);
    assert_int_equal (info.st_mode & 0777, 0600);
    assert_int_equal (stat (public, &info), 0);

    zs_secure_t *secure = zs_secure_new (secret, public, error, sizeof (error));
    assert_non_null (secure);
    assert_string_equal (zs_secure_name (secure), "alice");
    assert_int_equal (strlen (zs_secure_public_key (secure)), 40);
    zs_secure_destroy (&secure);
    assert_null (secure);

    //  Never overwritten; names are user names
    assert_int_equal (zs_secure_keygen (s_folder, "alice", error, sizeof (error)), -1);
    assert_non_null (strstr (error, "already"));
    assert_int_equal (zs_secure_keygen (s_folder, "../evil", error, sizeof (error)), -1);
    assert_int_equal (zs_secure_keygen (s_folder, "", error, sizeof (error)), -1);

    //  A public certificate is no key pair; a missing file is said so
    assert_null (zs_secure_new (public, NULL, error, sizeof (error)));
    assert_non_null (strstr (error, "secret"));
    char *missing = s_path ("%s.cert_secret", "nobody");
    assert_null (zs_secure_new (missing, NULL, error, sizeof (error)));
    assert_non_null (strstr (error, "nobody"));
    assert_null (zs_secure_new (secret, missing, error, sizeof (error)));
    assert_non_null (strstr (error, "gateway"));
    zstr_free (&missing);
    zstr_free (&secret);
    zstr_free (&public);
}

static void
test_keyring (void **state)
{
    (void) state;
    char error[256];
    char *keys = s_path ("%s", "keys");
    zs_keyring_t *keyring = zs_keyring_new (keys);
    assert_non_null (keyring);
    assert_int_equal (zs_keyring_size (keyring), 0);
    assert_string_equal (zs_keyring_folder (keyring), keys);

    //  Keys come and go while the keyring lives
    assert_int_equal (zs_secure_keygen (keys, "b1", error, sizeof (error)), 0);
    assert_int_equal (zs_secure_keygen (keys, "b2", error, sizeof (error)), 0);
    char *b1_secret = zsys_sprintf ("%s/b1.cert_secret", keys);
    zs_secure_t *b1 = zs_secure_new (b1_secret, NULL, error, sizeof (error));
    assert_non_null (b1);
    char b1_key[41];
    snprintf (b1_key, sizeof (b1_key), "%s", zs_secure_public_key (b1));
    s_expect_name (keyring, b1_key, "b1");
    assert_int_equal (zs_keyring_size (keyring), 2);
    assert_null (zs_keyring_name (keyring, "0000000000000000000000000000000000000000"));
    assert_null (zs_keyring_name (keyring, NULL));

    char *b1_public = zsys_sprintf ("%s/b1.cert", keys);
    assert_int_equal (unlink (b1_public), 0);
    s_expect_name (keyring, b1_key, NULL);
    assert_int_equal (zs_keyring_size (keyring), 1);

    //  Only the public file counts: the secret one left is no key of the ring
    char *b2_public = zsys_sprintf ("%s/b2.cert", keys);
    assert_int_equal (unlink (b2_public), 0);
    zclock_sleep (150);
    assert_int_equal (zs_keyring_size (keyring), 0);
    zstr_free (&b2_public);

    //  A certificate without a name is no key either
    zcert_t *anonymous = zcert_new ();
    char *anonymous_path = zsys_sprintf ("%s/anonymous.cert", keys);
    assert_int_equal (zcert_save_public (anonymous, anonymous_path), 0);
    zclock_sleep (150);
    assert_null (zs_keyring_name (keyring, zcert_public_txt (anonymous)));
    assert_int_equal (zs_keyring_size (keyring), 0);

    //  Back again
    zcert_t *b1_cert = zcert_load (b1_secret);
    assert_non_null (b1_cert);
    assert_int_equal (zcert_save_public (b1_cert, b1_public), 0);
    zcert_destroy (&b1_cert);
    s_expect_name (keyring, b1_key, "b1");

    zcert_destroy (&anonymous);
    zstr_free (&anonymous_path);
    zstr_free (&b1_public);
    zstr_free (&b1_secret);
    zs_secure_destroy (&b1);
    zs_keyring_destroy (&keyring);
    assert_null (keyring);
    zstr_free (&keys);
}

static void
test_should_log (void **state)
{
    (void) state;
    zs_keyring_t *keyring = zs_keyring_new ("/nonexistent/zs-test-secure");
    assert_non_null (keyring);
    assert_true (zs_keyring_should_log (keyring, "key-one"));
    assert_false (zs_keyring_should_log (keyring, "key-one"));
    assert_true (zs_keyring_should_log (keyring, "key-two"));
    assert_true (zs_keyring_should_log (keyring, NULL));
    assert_false (zs_keyring_should_log (keyring, NULL));
    //  A flood of keys is forgotten rather than kept
    char key[32];
    for (int index = 0; index < 10000; index++) {
        snprintf (key, sizeof (key), "flood-%d", index);
        assert_true (zs_keyring_should_log (keyring, key));
    }
    zs_keyring_destroy (&keyring);
}

static void
test_local_endpoints (void **state)
{
    (void) state;
    const char *local[] = { "tcp://127.0.0.1:5555",  "tcp://127.1.2.3:1",
                            "tcp://localhost:80",    "tcp://[::1]:5555",
                            "ipc:///tmp/zstore.ipc", "inproc://gateway",
                            "tcp://127.0.0.1:*",     "tcp://127.0.0.1;127.0.0.1:5555" };
    const char *remote[] = { "tcp://*:5555",        "tcp://0.0.0.0:5555",
                             "tcp://10.0.0.1:5555", "tcp://127.0.0.1.example.com:5555",
                             "tcp://eth0:5555",     "tcp://127.0.0.1;10.0.0.1:5555",
                             "tcp://gateway:5556",  "udp://127.0.0.1:5555",
                             "tcp://127.0.0.1",     "" };
    for (size_t index = 0; index < sizeof (local) / sizeof (local[0]); index++)
        if (!zs_secure_endpoint_is_local (local[index]))
            fail_msg ("%s taken as not local", local[index]);
    for (size_t index = 0; index < sizeof (remote) / sizeof (remote[0]); index++)
        if (zs_secure_endpoint_is_local (remote[index]))
            fail_msg ("%s taken as local", remote[index]);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_keygen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_keyring, s_setup, s_teardown),
        cmocka_unit_test (test_should_log),
        cmocka_unit_test (test_local_endpoints),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
