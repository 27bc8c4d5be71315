/*  zs_secure - one program's CURVE settings
 */

#include "zs_secure.h"
#include "zs_name.h"

#include <sys/stat.h>

struct _zs_secure_t {
    zcert_t *cert;    //  Own key pair
    char *server_key; //  Gateway's public key (Z85), or NULL
};

zs_secure_t *
zs_secure_new (const char *cert_path, const char *server_key_path, char *error, size_t error_size)
{
    assert (cert_path && error);
    zs_secure_t *self = (zs_secure_t *) zmalloc (sizeof (zs_secure_t));
    if (!self) {
        snprintf (error, error_size, "out of memory");
        return NULL;
    }
    struct stat info;
    if (stat (cert_path, &info)) {
        snprintf (error, error_size, "cannot read the key pair %s: %s", cert_path,
                  strerror (errno));
        zs_secure_destroy (&self);
        return NULL;
    }
    //  The file itself must hold the secret: zcert_load would also take a
    //  public certificate whose secret lies next to it
    zconfig_t *file = zconfig_load (cert_path);
    bool has_secret = file && zconfig_get (file, "curve/secret-key", NULL);
    zconfig_destroy (&file);
    self->cert = has_secret ? zcert_load (cert_path) : NULL;
    if (!self->cert) {
        snprintf (error, error_size,
                  "%s is not a secret certificate (give the NAME.cert_secret file)", cert_path);
        zs_secure_destroy (&self);
        return NULL;
    }
    if (info.st_mode & (S_IRWXG | S_IRWXO))
        zsys_warning ("%s can be read by others than its owner: chmod 600 it", cert_path);
    if (server_key_path) {
        zcert_t *server = zsys_file_exists (server_key_path) ? zcert_load (server_key_path) : NULL;
        if (!server) {
            snprintf (error, error_size, "cannot read the gateway's public key %s",
                      server_key_path);
            zs_secure_destroy (&self);
            return NULL;
        }
        self->server_key = strdup (zcert_public_txt (server));
        zcert_destroy (&server);
    }
    return self;
}

void
zs_secure_destroy (zs_secure_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_secure_t *self = *self_p;
        zcert_destroy (&self->cert);
        free (self->server_key);
        free (self);
        *self_p = NULL;
    }
}

const char *
zs_secure_name (zs_secure_t *self)
{
    assert (self);
    return zcert_meta (self->cert, "name");
}

const char *
zs_secure_public_key (zs_secure_t *self)
{
    assert (self);
    return zcert_public_txt (self->cert);
}

void
zs_secure_apply_client (zs_secure_t *self, zsock_t *socket)
{
    assert (self && self->server_key);
    zcert_apply (self->cert, socket);
    zsock_set_curve_serverkey (socket, self->server_key);
}

void
zs_secure_apply_server (zs_secure_t *self, zsock_t *socket, const char *domain)
{
    assert (self && domain);
    zcert_apply (self->cert, socket);
    zsock_set_curve_server (socket, 1);
    zsock_set_zap_domain (socket, domain);
}

int
zs_secure_keygen (const char *folder, const char *name, char *error, size_t error_size)
{
    assert (folder && name && error);
    const char *why = zs_name_check_user (name);
    if (why) {
        snprintf (error, error_size, "'%s' cannot name a key: %s", name, why);
        return -1;
    }
    if (zsys_dir_create ("%s", folder)) {
        snprintf (error, error_size, "cannot create %s: %s", folder, strerror (errno));
        return -1;
    }
    char *path = zsys_sprintf ("%s/%s.cert", folder, name);
    char *secret = zsys_sprintf ("%s/%s.cert_secret", folder, name);
    int rc = -1;
    zcert_t *cert = zcert_new ();
    if (!path || !secret || !cert)
        snprintf (error, error_size, "out of memory");
    else if (zsys_file_exists (path) || zsys_file_exists (secret))
        snprintf (error, error_size, "%s already has a key named %s: not overwritten", folder,
                  name);
    else {
        zcert_set_meta (cert, "name", "%s", name);
        //  The secret file is born private: no moment when others may read it
        mode_t mask = umask (077);
        rc = zcert_save_secret (cert, secret);
        umask (mask);
        if (rc == 0)
            rc = zcert_save_public (cert, path);
        if (rc)
            snprintf (error, error_size, "cannot write the key pair into %s: %s", folder,
                      strerror (errno));
    }
    zcert_destroy (&cert);
    zstr_free (&path);
    zstr_free (&secret);
    return rc;
}

bool
zs_secure_endpoint_is_local (const char *endpoint)
{
    assert (endpoint);
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6))
        return false;
    const char *host = endpoint + 6;
    //  A connect may name a local source address first: "source;host:port"
    const char *source_end = strchr (host, ';');
    if (source_end)
        host = source_end + 1;
    const char *colon = strrchr (host, ':');
    if (!colon)
        return false;
    size_t length = (size_t) (colon - host);
    if (length == 5 && strncmp (host, "[::1]", 5) == 0)
        return true;
    if (length == 9 && strncmp (host, "localhost", 9) == 0)
        return true;
    if (length < 4 || strncmp (host, "127.", 4))
        return false;
    for (size_t index = 4; index < length; index++)
        if (!isdigit ((unsigned char) host[index]) && host[index] != '.')
            return false;
    return true;
}
