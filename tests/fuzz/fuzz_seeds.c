/*  fuzz_seeds - writes a seed corpus for fuzz_proto: one valid message of
    every kind the codec knows, in fuzz_proto's input format

    usage: fuzz_seeds DIR
*/

#include "zs_proto.h"

//  Fills the fields most messages carry, so that each seed is a full one
static void
s_fill (zs_proto_t *proto, int id)
{
    zs_proto_set_id (proto, id);
    zs_proto_set_request (proto, 42);
    zs_proto_set_transfer (proto, 7);
    zs_proto_set_user (proto, "alice");
    zs_proto_set_name (proto, "photos/2024/a.jpg");
    zs_proto_set_bucket (proto, "b1");
    zs_proto_set_zone (proto, "z1");
    zs_proto_set_reason (proto, "because");
    zs_proto_set_version (proto, 1795787658543270ULL);
    zs_proto_set_size (proto, 3);
    zs_proto_set_seq (proto, 0);
    zs_proto_set_limit (proto, 8);
    zs_proto_set_replicas (proto, 3);
    zs_proto_set_status (proto, 404);
    zs_proto_set_kind (proto, "bucket.dead");
    zs_proto_set_attr (proto, "bucket", "%s", "b1");
    zs_fileinfo_t *entry = zs_fileinfo_new ();
    free (entry->name);
    entry->name = strdup ("notes.txt");
    free (entry->user);
    entry->user = strdup ("alice");
    free (entry->buckets);
    entry->buckets = strdup ("b1,b2");
    entry->size = 3;
    entry->version = 9;
    entry->desired = 2;
    zs_proto_add_entry (proto, entry);
    zs_fileinfo_destroy (&entry);
    zs_bucketinfo_t *bucket = zs_bucketinfo_new ();
    free (bucket->id);
    bucket->id = strdup ("b1");
    free (bucket->zone);
    bucket->zone = strdup ("z1");
    free (bucket->state);
    bucket->state = strdup ("alive");
    free (bucket->address);
    bucket->address = strdup ("127.0.0.1");
    zs_proto_add_bucket (proto, &bucket);
    zframe_t *data = zframe_new ("abc", 3);
    zs_proto_set_data (proto, &data);
}

int
main (int argc, char *argv[])
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    if (zsys_dir_create ("%s", argv[1])) {
        fprintf (stderr, "fuzz_seeds: cannot create %s\n", argv[1]);
        return 1;
    }
    zsock_t *writer = zsock_new_pair ("@inproc://fuzz-seeds");
    zsock_t *reader = zsock_new_pair (">inproc://fuzz-seeds");
    assert (writer && reader);
    int written = 0;
    for (int id = 0; id < 256; id++) {
        if (streq (zs_proto_command_name (id), "?"))
            continue;
        zs_proto_t *proto = zs_proto_new ();
        s_fill (proto, id);
        bool sent = zs_proto_send (proto, writer) == 0;
        zs_proto_destroy (&proto);
        zmsg_t *msg = sent ? zmsg_recv (reader) : NULL;
        if (!msg)
            continue;
        char *path = zsys_sprintf ("%s/%s", argv[1], zs_proto_command_name (id));
        FILE *file = fopen (path, "wb");
        zframe_t *body = zmsg_first (msg), *data = zmsg_next (msg);
        if (file && body) {
            byte frames = data ? 1 : 0;
            fwrite (&frames, 1, 1, file);
            if (data) {
                uint32_t length = (uint32_t) zframe_size (body);
                byte header[4] = { (byte) (length >> 24), (byte) (length >> 16),
                                   (byte) (length >> 8), (byte) length };
                fwrite (header, 1, 4, file);
            }
            fwrite (zframe_data (body), 1, zframe_size (body), file);
            if (data)
                fwrite (zframe_data (data), 1, zframe_size (data), file);
            written++;
        }
        if (file)
            fclose (file);
        zstr_free (&path);
        zmsg_destroy (&msg);
    }
    zsock_destroy (&reader);
    zsock_destroy (&writer);
    printf ("fuzz_seeds: %d seeds in %s\n", written, argv[1]);
    return written > 0 ? 0 : 1;
}
