/*  fuzz_proto - libFuzzer target for the protocol codec

    An input is one message as frames: byte 0 says how many (1 + its low
    bit); with two, bytes 1 to 4 give the body's length (big-endian) and the
    data frame is what follows the body. Every input must be decoded or
    refused, without a crash, a leak or a hang; what decodes must print,
    and its fields must read back.
*/

#include "zs_proto.h"

#include <stdint.h>

static zmsg_t *
s_frames (const uint8_t *data, size_t size)
{
    if (size < 1)
        return NULL;
    zmsg_t *msg = zmsg_new ();
    if ((data[0] & 1) == 0)
        zmsg_addmem (msg, data + 1, size - 1);
    else {
        if (size < 5) {
            zmsg_destroy (&msg);
            return NULL;
        }
        size_t body = (size_t) data[1] << 24 | (size_t) data[2] << 16 | (size_t) data[3] << 8
                      | (size_t) data[4];
        if (body > size - 5)
            body = size - 5;
        zmsg_addmem (msg, data + 5, body);
        zmsg_addmem (msg, data + 5 + body, size - 5 - body);
    }
    return msg;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static bool quiet = false;
    if (!quiet) {
        //  Refusals are logged at most once a second; the fuzzer wants none
        zsys_set_logstream (NULL);
        quiet = true;
    }
    zmsg_t *msg = s_frames (data, size);
    if (!msg)
        return 0;
    zs_proto_t *proto = zs_proto_new ();
    if (zs_proto_decode (proto, &msg) == 0) {
        //  What decoded is whole: every accessor of its message reads back
        zs_proto_print (proto, "fuzz");
        (void) zs_proto_command (proto);
        (void) zs_proto_user (proto);
        (void) zs_proto_name (proto);
        (void) zs_proto_reason (proto);
        zlistx_t *entries = zs_proto_entries (proto);
        for (void *entry = zlistx_first (entries); entry; entry = zlistx_next (entries))
            ;
        zlistx_t *buckets = zs_proto_buckets (proto);
        for (void *bucket = zlistx_first (buckets); bucket; bucket = zlistx_next (buckets))
            ;
    }
    zmsg_destroy (&msg);
    zs_proto_destroy (&proto);
    return 0;
}
