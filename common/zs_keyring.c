/*  zs_keyring - the public keys in a folder, and the names they carry
 */

#include "zs_keyring.h"

#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>

#define LOOK_INTERVAL 100   //  ms between two looks at the folder
#define LOG_INTERVAL  60000 //  ms between two log lines about one key
#define LOGGED_MAX    4096  //  keys whose last log line is remembered

struct _zs_keyring_t {
    char *folder;
    zhashx_t *names;  //  Public key text -> name
    zhashx_t *logged; //  Public key text -> when last logged (int64_t *)
    byte signature[crypto_generichash_BYTES];
    int64_t looked_at; //  When the folder was last looked at
};

static bool
s_is_public_cert (const struct dirent *entry)
{
    size_t length = strlen (entry->d_name);
    return entry->d_name[0] != '.'
           && !(length > 7 && streq (entry->d_name + length - 7, "_secret"));
}

//  A digest of what the folder holds: names, sizes, inodes and times of its
//  certificates. Returns false when it cannot be read.
static bool
s_signature (zs_keyring_t *self, byte *signature)
{
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, crypto_generichash_BYTES);
    DIR *dir = opendir (self->folder);
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            struct stat info;
            if (!s_is_public_cert (entry) || fstatat (dirfd (dir), entry->d_name, &info, 0)
                || !S_ISREG (info.st_mode))
                continue;
            //  Entries come in any order: each one's digest is added up
            crypto_generichash_update (&state, (const byte *) entry->d_name,
                                       strlen (entry->d_name) + 1);
            int64_t facts[] = { (int64_t) info.st_size, (int64_t) info.st_ino,
                                (int64_t) info.st_mtim.tv_sec, (int64_t) info.st_mtim.tv_nsec };
            crypto_generichash_update (&state, (const byte *) facts, sizeof (facts));
        }
        closedir (dir);
    }
    crypto_generichash_final (&state, signature, crypto_generichash_BYTES);
    return dir != NULL;
}

static void
s_read (zs_keyring_t *self)
{
    zhashx_purge (self->names);
    DIR *dir = opendir (self->folder);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (!s_is_public_cert (entry))
            continue;
        //  Read as the text it is: zcert_load would read PATH_secret instead
        //  when there is one, and the secret has no business here
        char *path = zsys_sprintf ("%s/%s", self->folder, entry->d_name);
        zconfig_t *cert = path ? zconfig_load (path) : NULL;
        const char *key = cert ? zconfig_get (cert, "curve/public-key", NULL) : NULL;
        const char *name = cert ? zconfig_get (cert, "metadata/name", NULL) : NULL;
        byte binary[32];
        bool valid = key && strlen (key) == 40 && zmq_z85_decode (binary, key) && name && *name;
        if (valid)
            zhashx_update (self->names, key, (void *) name);
        else if (path)
            zsys_warning ("keys: %s is not a public certificate with a name: ignored", path);
        zconfig_destroy (&cert);
        zstr_free (&path);
    }
    closedir (dir);
}

//  Reads the folder again if it changed since it was last read
static void
s_refresh (zs_keyring_t *self)
{
    int64_t now = zclock_mono ();
    if (self->looked_at && now - self->looked_at < LOOK_INTERVAL)
        return;
    self->looked_at = now;
    byte signature[crypto_generichash_BYTES];
    s_signature (self, signature);
    if (memcmp (signature, self->signature, sizeof (signature))) {
        memcpy (self->signature, signature, sizeof (signature));
        s_read (self);
    }
}

static void
s_free_time (int64_t **time_p)
{
    free (*time_p);
    *time_p = NULL;
}

zs_keyring_t *
zs_keyring_new (const char *folder)
{
    assert (folder);
    zs_keyring_t *self = (zs_keyring_t *) zmalloc (sizeof (zs_keyring_t));
    if (!self)
        return NULL;
    self->folder = strdup (folder);
    self->names = zhashx_new ();
    self->logged = zhashx_new ();
    if (!self->folder || !self->names || !self->logged || sodium_init () < 0) {
        zs_keyring_destroy (&self);
        return NULL;
    }
    zhashx_set_duplicator (self->names, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->names, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_destructor (self->logged, (zhashx_destructor_fn *) s_free_time);
    if (!s_signature (self, self->signature))
        zsys_warning ("keys: cannot read the folder %s: no key is accepted until it can be",
                      folder);
    s_read (self);
    self->looked_at = zclock_mono ();
    return self;
}

void
zs_keyring_destroy (zs_keyring_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_keyring_t *self = *self_p;
        zhashx_destroy (&self->names);
        zhashx_destroy (&self->logged);
        free (self->folder);
        free (self);
        *self_p = NULL;
    }
}

const char *
zs_keyring_name (zs_keyring_t *self, const char *public_key)
{
    assert (self);
    if (!public_key)
        return NULL;
    s_refresh (self);
    return (const char *) zhashx_lookup (self->names, public_key);
}

size_t
zs_keyring_size (zs_keyring_t *self)
{
    assert (self);
    s_refresh (self);
    return zhashx_size (self->names);
}

const char *
zs_keyring_folder (zs_keyring_t *self)
{
    assert (self);
    return self->folder;
}

bool
zs_keyring_should_log (zs_keyring_t *self, const char *public_key)
{
    assert (self);
    int64_t now = zclock_mono ();
    const char *key = public_key ? public_key : "";
    int64_t *last = (int64_t *) zhashx_lookup (self->logged, key);
    if (last && now - *last < LOG_INTERVAL)
        return false;
    if (!last) {
        //  A flood of keys must not grow this without bound
        if (zhashx_size (self->logged) >= LOGGED_MAX)
            zhashx_purge (self->logged);
        last = (int64_t *) malloc (sizeof (int64_t));
        if (!last)
            return true;
        zhashx_insert (self->logged, key, last);
    }
    *last = now;
    return true;
}
