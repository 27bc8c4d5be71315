/*  zstore-bucket - a storage server of a zstore cluster
 */

#include "zs_bucket.h"
#include "zs_name.h"
#include "zs_parse.h"
#include "zs_secure.h"

#include <getopt.h>

#define WORKERS_DEFAULT "4"

static void
s_usage (FILE *stream)
{
    fprintf (stream,
             "usage: zstore-bucket --id ID --gateway ENDPOINT --data DIR [options]\n"
             "\n"
             "Serves the copies in DIR to the gateway at ENDPOINT (its --buckets address).\n"
             "\n"
             "  --id ID             bucket id: letters, digits, '.', '_', '-' (required)\n"
             "  --gateway ENDPOINT  e.g. tcp://127.0.0.1:5556 (required)\n"
             "  --data DIR          data folder, created when missing (required)\n"
             "  --zone ZONE         failure zone; replicas go to distinct zones first\n"
             "  --capacity BYTES    most bytes to store (K, M, G, T suffixes); default: the\n"
             "                      file system's free space\n"
             "  --workers N         disk worker threads, 1 to 16: one writes, the others read\n"
             "                      (default " WORKERS_DEFAULT ")\n"
             "  --scrub-rate BYTES  read every copy again in the background at this many\n"
             "                      bytes per second (K, M, G suffixes) to find damage;\n"
             "                      0 turns it off (default 8M)\n"
             "  --scrub-pause MS    rest between two scrub passes (default 60000)\n"
             "  --idle-timeout MS   abort transfers the gateway left idle this long\n"
             "                      (default 120000)\n"
             "  --secure            speak CURVE with the gateway (see docs/SECURITY.md)\n"
             "  --cert FILE         this bucket's key pair (ID.cert_secret); its name must be\n"
             "                      the bucket id\n"
             "  --gateway-key FILE  the gateway's public key (its .cert file): the bucket talks\n"
             "                      to that gateway only\n"
             "  --insecure          without --secure, connect beyond loopback all the same\n"
             "  --config FILE       read any of these from a ZPL file (bucket/id, bucket/gateway,\n"
             "                      bucket/data, bucket/zone, bucket/capacity, bucket/workers,\n"
             "                      bucket/scrub-rate, bucket/scrub-pause, bucket/idle-timeout,\n"
             "                      bucket/secure, bucket/cert, bucket/gateway-key,\n"
             "                      bucket/insecure);\n"
             "                      the command line wins\n"
             "  -v, --verbose       log every message\n"
             "  -h, --help          this help\n");
}

//  A setting from the command line, else from the config file, else NULL
static const char *
s_setting (const char *given, zconfig_t *config, const char *path)
{
    if (given || !config)
        return given;
    return zconfig_get (config, path, NULL);
}

int
main (int argc, char *argv[])
{
    static const struct option options[] = {
        { "id", required_argument, NULL, 'i' },
        { "gateway", required_argument, NULL, 'g' },
        { "data", required_argument, NULL, 'd' },
        { "zone", required_argument, NULL, 'z' },
        { "capacity", required_argument, NULL, 'c' },
        { "workers", required_argument, NULL, 'w' },
        { "idle-timeout", required_argument, NULL, 't' },
        { "scrub-rate", required_argument, NULL, 's' },
        { "scrub-pause", required_argument, NULL, 'p' },
        { "secure", no_argument, NULL, 'S' },
        { "cert", required_argument, NULL, 'C' },
        { "gateway-key", required_argument, NULL, 'K' },
        { "insecure", no_argument, NULL, 'I' },
        { "config", required_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *id = NULL, *gateway = NULL, *data = NULL, *zone = NULL, *capacity = NULL;
    const char *workers = NULL, *idle_timeout = NULL, *config_path = NULL;
    const char *scrub_rate = NULL, *scrub_pause = NULL;
    const char *secure = NULL, *cert = NULL, *gateway_key = NULL, *insecure = NULL;
    bool verbose = false;
    int option;
    while ((option = getopt_long (argc, argv, "vh", options, NULL)) != -1) {
        switch (option) {
            case 'i': id = optarg; break;
            case 'g': gateway = optarg; break;
            case 'd': data = optarg; break;
            case 'z': zone = optarg; break;
            case 'c': capacity = optarg; break;
            case 'w': workers = optarg; break;
            case 't': idle_timeout = optarg; break;
            case 's': scrub_rate = optarg; break;
            case 'p': scrub_pause = optarg; break;
            case 'S': secure = "1"; break;
            case 'C': cert = optarg; break;
            case 'K': gateway_key = optarg; break;
            case 'I': insecure = "1"; break;
            case 'f': config_path = optarg; break;
            case 'v': verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            default: s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "zstore-bucket: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    zconfig_t *config = NULL;
    if (config_path && !(config = zconfig_load (config_path))) {
        fprintf (stderr, "zstore-bucket: cannot read config file %s\n", config_path);
        return 2;
    }
    id = s_setting (id, config, "bucket/id");
    gateway = s_setting (gateway, config, "bucket/gateway");
    data = s_setting (data, config, "bucket/data");
    zone = s_setting (zone, config, "bucket/zone");
    capacity = s_setting (capacity, config, "bucket/capacity");
    workers = s_setting (workers, config, "bucket/workers");
    scrub_rate = s_setting (scrub_rate, config, "bucket/scrub-rate");
    scrub_pause = s_setting (scrub_pause, config, "bucket/scrub-pause");
    idle_timeout = s_setting (idle_timeout, config, "bucket/idle-timeout");
    secure = s_setting (s_setting (secure, config, "bucket/secure"), config, "secure");
    cert = s_setting (cert, config, "bucket/cert");
    gateway_key = s_setting (gateway_key, config, "bucket/gateway-key");
    insecure = s_setting (insecure, config, "bucket/insecure");
    bool secure_mode = secure && atoi (secure) == 1;
    int rc = 2;
    uint64_t capacity_bytes = 0, worker_count = 0, timeout = 0;
    uint64_t scrub_bytes = 8 << 20, scrub_ms = 60000;
    if (!id || !gateway || !data)
        fprintf (stderr, "zstore-bucket: --id, --gateway and --data are required (see --help)\n");
    else if (zs_name_check_bucket (id))
        fprintf (stderr, "zstore-bucket: bad bucket id '%s': %s\n", id, zs_name_check_bucket (id));
    else if (zs_name_check_zone (zone))
        fprintf (stderr, "zstore-bucket: bad zone '%s': %s\n", zone, zs_name_check_zone (zone));
    else if (capacity && zs_parse_size (capacity, &capacity_bytes))
        fprintf (stderr, "zstore-bucket: --capacity '%s' is not a size\n", capacity);
    else if (zs_parse_count (workers ? workers : WORKERS_DEFAULT, 1, 16, &worker_count))
        fprintf (stderr, "zstore-bucket: --workers must be 1 to 16\n");
    else if (idle_timeout && zs_parse_count (idle_timeout, 1, 86400000, &timeout))
        fprintf (stderr, "zstore-bucket: --idle-timeout must be 1 to 86400000 ms\n");
    else if (scrub_rate && zs_parse_size (scrub_rate, &scrub_bytes))
        fprintf (stderr, "zstore-bucket: --scrub-rate '%s' is not a size\n", scrub_rate);
    else if (scrub_pause && zs_parse_count (scrub_pause, 1, 86400000, &scrub_ms))
        fprintf (stderr, "zstore-bucket: --scrub-pause must be 1 to 86400000 ms\n");
    else if (secure_mode && (!cert || !gateway_key))
        fprintf (stderr, "zstore-bucket: --secure needs --cert and --gateway-key\n");
    else if (!secure_mode && !(insecure && atoi (insecure) == 1)
             && !zs_secure_endpoint_is_local (gateway))
        fprintf (stderr,
                 "zstore-bucket: the gateway %s is not on loopback: without --secure the bucket "
                 "connects only on loopback (add --secure, or --insecure to accept unencrypted, "
                 "unauthenticated traffic)\n",
                 gateway);
    else
        rc = 0;
    if (rc) {
        zconfig_destroy (&config);
        return rc;
    }

    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("zstore-bucket");
    //  Room in the disk workers' queues for many transfers' windows at once
    zsys_set_pipehwm (10000);
    zactor_t *bucket = zactor_new (zs_bucket_actor, NULL);
    if (verbose)
        zstr_send (bucket, "VERBOSE");
    if (secure_mode) {
        zstr_sendx (bucket, "SECURE", cert, gateway_key, NULL);
        char *answer = zstr_recv (bucket);
        if (!answer || strneq (answer, "OK")) {
            fprintf (stderr, "zstore-bucket: %s\n", answer ? answer : "interrupted");
            rc = 2;
        }
        zstr_free (&answer);
    }
    if (rc) {
        zactor_destroy (&bucket);
        zconfig_destroy (&config);
        return rc;
    }
    char capacity_text[24], workers_text[24];
    snprintf (capacity_text, sizeof (capacity_text), "%" PRIu64, capacity_bytes);
    snprintf (workers_text, sizeof (workers_text), "%" PRIu64, worker_count);
    zstr_sendx (bucket, "START", id, zone ? zone : "", data, gateway, capacity_text, workers_text,
                NULL);
    char *reply = zstr_recv (bucket);
    if (reply && streq (reply, "OK")) {
        if (!secure_mode)
            zsys_warning ("bucket %s: insecure mode: traffic with the gateway is neither "
                          "encrypted nor authenticated",
                          id);
        if (timeout) {
            char timeout_text[24];
            snprintf (timeout_text, sizeof (timeout_text), "%" PRIu64, timeout);
            zstr_sendx (bucket, "TIMEOUT", timeout_text, NULL);
        }
        if (scrub_bytes) {
            char rate_text[24], pause_text[24];
            snprintf (rate_text, sizeof (rate_text), "%" PRIu64, scrub_bytes);
            snprintf (pause_text, sizeof (pause_text), "%" PRIu64, scrub_ms);
            zstr_sendx (bucket, "SCRUB", rate_text, pause_text, NULL);
        }
        //  Runs until SIGINT or SIGTERM
        zpoller_t *poller = zpoller_new (bucket, NULL);
        while (!zsys_interrupted && !zpoller_wait (poller, -1) && !zpoller_terminated (poller))
            ;
        zpoller_destroy (&poller);
        zsys_info ("bucket %s: stopping", id);
    }
    else {
        fprintf (stderr, "zstore-bucket: %s\n", reply ? reply : "interrupted");
        rc = 1;
    }
    zstr_free (&reply);
    zactor_destroy (&bucket);
    zconfig_destroy (&config);
    return rc;
}
