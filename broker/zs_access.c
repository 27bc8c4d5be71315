/*  zs_access - who may do what: keys in secure mode, and the limits

    In secure mode every endpoint is a CURVE server and zs_guard admits only
    known keys at the handshake. That is not enough on its own: a key taken
    out of its folder must stop working on connections made before, and a
    key says who its holder is. So each message is checked again here
    against the folders, as they are now: a client acts only as the user
    its key names, a bucket only as the bucket its key names.
*/

#include "zs_guard.h"
#include "zs_name.h"
#include "zs_server.h"

//  The user a client's key names, or NULL (answered FAILED) when the key is
//  no longer accepted
static const char *
s_client_name (zs_server_t *self, zframe_t *client, uint64_t request)
{
    const char *key = zs_proto_meta (self->message, "User-Id");
    const char *name = zs_keyring_name (self->user_keys, key);
    if (!name) {
        if (zs_keyring_should_log (self->user_keys, key))
            zsys_warning ("gateway: refused a request from key %s: no longer in %s",
                          key ? key : "-", self->user_keys_path);
        zs_server_fail_client (self, client, request, ZS_STATUS_FORBIDDEN,
                               "this client's key is no longer accepted by the gateway");
    }
    return name;
}

static bool
s_is_admin (zs_server_t *self, const char *user)
{
    const char *cursor = self->admins ? self->admins : "";
    size_t length = strlen (user);
    while (*cursor) {
        size_t span = strcspn (cursor, ",");
        if (span == length && strncmp (cursor, user, length) == 0)
            return true;
        cursor += span + (cursor[span] == ',');
    }
    return false;
}

//  Whether a client message names a user and a file
static bool
s_about_a_file (int id)
{
    return id == ZS_PROTO_PUT_BEGIN || id == ZS_PROTO_GET || id == ZS_PROTO_STAT
           || id == ZS_PROTO_REMOVE || id == ZS_PROTO_REPLICAS;
}

bool
zs_access_client (zs_server_t *self)
{
    zs_proto_t *message = self->message;
    zframe_t *client = zs_proto_routing_id (message);
    uint64_t request = zs_proto_request (message);
    int id = zs_proto_id (message);
    if (self->secure) {
        const char *name = s_client_name (self, client, request);
        if (!name)
            return false;
        bool names_user = s_about_a_file (id) || id == ZS_PROTO_LIST;
        if (names_user && strneq (zs_proto_user (message), name)) {
            zs_server_fail_client (self, client, request, ZS_STATUS_FORBIDDEN,
                                   "this client's key is user %s's, not %s's", name,
                                   zs_proto_user (message));
            return false;
        }
        if (id == ZS_PROTO_ADMIN && !s_is_admin (self, name)) {
            zs_server_fail_client (self, client, request, ZS_STATUS_FORBIDDEN,
                                   "%s may not administer the cluster (see the gateway's "
                                   "--admins)",
                                   name);
            return false;
        }
    }
    if (s_about_a_file (id) && strlen (zs_proto_name (message)) > self->max_name) {
        zs_server_fail_client (self, client, request, ZS_STATUS_TOO_LARGE,
                               "names may have %zu bytes at most here", self->max_name);
        return false;
    }
    return true;
}

bool
zs_access_bucket (zs_server_t *self)
{
    if (!self->secure)
        return true;
    zs_proto_t *message = self->message;
    const char *key = zs_proto_meta (message, "User-Id");
    const char *name = zs_keyring_name (self->bucket_keys, key);
    bool registering = zs_proto_id (message) == ZS_PROTO_REGISTER;
    const char *claimed = NULL;
    if (registering)
        claimed = zs_proto_bucket (message);
    else {
        zs_member_t *member = zs_registry_connected (self->registry, zs_proto_routing_id (message));
        claimed = member ? member->id : NULL;
    }
    bool accepted = name && (!claimed || streq (claimed, name));
    if (accepted)
        return true;
    if (zs_keyring_should_log (self->bucket_keys, key))
        zsys_warning ("gateway: refused bucket key %s%s%s: %s", key ? key : "-",
                      claimed ? " claiming to be " : "", claimed ? claimed : "",
                      name ? "the key is another bucket's" : "not in the bucket keys");
    if (registering) {
        zs_proto_set_id (self->reply, ZS_PROTO_REFUSED);
        if (name)
            zs_proto_set_reason (self->reply, "this key is bucket %s's, not %s's", name, claimed);
        else
            zs_proto_set_reason (self->reply, "this bucket's key is not accepted");
        zs_proto_set_routing_id (self->reply, zs_proto_routing_id (message));
        zs_proto_send (self->reply, self->backend);
        zs_proto_reset (self->reply);
    }
    return false;
}

//  Puts and gets in flight on a client connection, kept as a count: a walk of
//  every transfer for each request would cost the gateway's thread more the
//  more clients it serves
static size_t
s_client_transfers (zs_server_t *self, const char *key)
{
    return (size_t) (uintptr_t) zhashx_lookup (self->client_transfers, key);
}

void
zs_access_count_transfer (zs_server_t *self, const zs_transfer_t *transfer, int change)
{
    if (!transfer->client || transfer->kind == ZS_TRANSFER_COPY)
        return;
    char *key = zframe_strhex (transfer->client);
    assert (key);
    size_t count = s_client_transfers (self, key);
    assert (change > 0 || count > 0);
    count = change > 0 ? count + 1 : count - 1;
    if (count)
        zhashx_update (self->client_transfers, key, (void *) (uintptr_t) count);
    else
        zhashx_delete (self->client_transfers, key);
    free (key);
}

bool
zs_access_may_transfer (zs_server_t *self, zframe_t *client, uint64_t request)
{
    char *key = zframe_strhex (client);
    assert (key);
    size_t count = s_client_transfers (self, key);
    free (key);
    if (count < self->max_transfers)
        return true;
    zs_server_fail_client (self, client, request, ZS_STATUS_BUSY,
                           "%zu puts and gets already in flight on this connection, the most "
                           "the gateway allows",
                           count);
    return false;
}

const char *
zs_access_storage (zs_server_t *self, const char *user, const char *name, uint64_t size)
{
    static char why[256];
    bool known = size != UINT64_MAX;
    if (known && self->max_file_size && size > self->max_file_size) {
        snprintf (why, sizeof (why), "files may have %" PRIu64 " bytes at most here",
                  self->max_file_size);
        return why;
    }
    if (!self->quota_files && !self->quota_bytes)
        return NULL;
    uint64_t files, bytes;
    zs_index_usage (self->index, user, &files, &bytes);
    //  An overwrite replaces what the name held
    zs_record_t record;
    if (zs_index_get (self->index, user, name, &record) && !record.tombstone) {
        files--;
        bytes -= record.size;
    }
    if (self->quota_files && files + 1 > self->quota_files) {
        snprintf (why, sizeof (why), "%s has %" PRIu64 " files, the quota", user, files);
        return why;
    }
    if (self->quota_bytes && known && bytes + size > self->quota_bytes) {
        snprintf (why, sizeof (why),
                  "%s's quota is %" PRIu64 " bytes; %" PRIu64 " are used, %" PRIu64 " more asked",
                  user, self->quota_bytes, bytes, size);
        return why;
    }
    return NULL;
}

void
zs_access_secure (zs_server_t *self, zsock_t *socket, const char *domain)
{
    zsock_set_maxmsgsize (socket, (int64_t) self->max_message);
    if (self->secure)
        zs_secure_apply_server (self->secure, socket, domain);
}

int
zs_access_start (zs_server_t *self, const char *endpoints[3], char *error, size_t size)
{
    static const char *what[3] = { "client", "bucket", "event" };
    if (!self->secure_mode) {
        for (int index = 0; index < 3 && !self->insecure; index++)
            if (!zs_secure_endpoint_is_local (endpoints[index])) {
                snprintf (error, size,
                          "the %s endpoint %s is not on loopback: without --secure the gateway "
                          "listens only on loopback (add --secure, or --insecure to accept "
                          "unencrypted, unauthenticated traffic)",
                          what[index], endpoints[index]);
                return -1;
            }
        return 0;
    }
    //  What a START that failed before may have left
    zactor_destroy (&self->guard);
    zs_keyring_destroy (&self->bucket_keys);
    zs_keyring_destroy (&self->user_keys);
    zs_secure_destroy (&self->secure);
    if (!self->cert_path || !self->bucket_keys_path || !self->user_keys_path) {
        snprintf (error, size, "secure mode needs --cert, --bucket-keys and --user-keys");
        return -1;
    }
    self->secure = zs_secure_new (self->cert_path, NULL, error, size);
    if (!self->secure)
        return -1;
    self->bucket_keys = zs_keyring_new (self->bucket_keys_path);
    self->user_keys = zs_keyring_new (self->user_keys_path);
    self->guard = zactor_new (zs_guard_actor, NULL);
    if (!self->bucket_keys || !self->user_keys || !self->guard) {
        snprintf (error, size, "out of memory");
        return -1;
    }
    zstr_sendx (self->guard, "KEYS", self->bucket_keys_path, self->user_keys_path, NULL);
    if (zsock_wait (self->guard) != 0) {
        snprintf (error, size, "cannot check keys: another ZAP handler runs in this process");
        return -1;
    }
    zsys_info ("gateway: secure mode, key %s; %zu bucket keys in %s, %zu user keys in %s",
               zs_secure_public_key (self->secure), zs_keyring_size (self->bucket_keys),
               self->bucket_keys_path, zs_keyring_size (self->user_keys), self->user_keys_path);
    return 0;
}

void
zs_access_destroy (zs_server_t *self)
{
    zactor_destroy (&self->guard);
    zs_keyring_destroy (&self->bucket_keys);
    zs_keyring_destroy (&self->user_keys);
    zs_secure_destroy (&self->secure);
    zstr_free (&self->cert_path);
    zstr_free (&self->bucket_keys_path);
    zstr_free (&self->user_keys_path);
    zstr_free (&self->admins);
}
