/*  zstore-gateway - the gateway of a zstore cluster
 */

#include "zs_gateway.h"
#include "zs_parse.h"

#include <getopt.h>

static void
s_usage (FILE *stream)
{
    fprintf (
        stream,
        "usage: zstore-gateway [options]\n"
        "\n"
        "The one address clients know: places copies on buckets, moves content,\n"
        "watches the buckets' heartbeats and publishes cluster events.\n"
        "\n"
        "  --clients ENDPOINT        for clients (default tcp://127.0.0.1:5555)\n"
        "  --buckets ENDPOINT        for buckets (default tcp://127.0.0.1:5556)\n"
        "  --events ENDPOINT         event stream (default tcp://127.0.0.1:5557)\n"
        "  --heartbeat MS            between heartbeats (default 1000)\n"
        "  --liveness N              heartbeats missed before a bucket is dead (default 3)\n"
        "  --default-replicas N      copies of a file when the client does not say (default 2)\n"
        "  --transfer-timeout MS     a transfer with no progress this long fails\n"
        "                            (default 30000)\n"
        "  --recovery MS             after start, how long a file absent from the index may\n"
        "                            still be on a bucket yet to report (default: liveness x\n"
        "                            heartbeat)\n"
        "  --tombstone-grace MS      how long a removal is remembered once every bucket that\n"
        "                            held the file has deleted it, for buckets a restarted\n"
        "                            gateway does not know of yet (default 86400000: a day)\n"
        "  --config FILE             read settings from a ZPL file (gateway/clients,\n"
        "                            gateway/buckets, gateway/events, gateway/heartbeat, ...);\n"
        "                            the command line wins\n"
        "  -v, --verbose             log every message\n"
        "  -h, --help                this help\n");
}

typedef struct {
    const char *option;  //  Command line option, and config key under gateway/
    const char *setting; //  Actor setting, NULL for endpoints
    const char *value;   //  As given
} setting_t;

int
main (int argc, char *argv[])
{
    setting_t settings[] = {
        { "clients", NULL, NULL },
        { "buckets", NULL, NULL },
        { "events", NULL, NULL },
        { "heartbeat", "heartbeat", NULL },
        { "liveness", "liveness", NULL },
        { "default-replicas", "default-replicas", NULL },
        { "transfer-timeout", "transfer-timeout", NULL },
        { "recovery", "recovery", NULL },
        { "tombstone-grace", "tombstone-grace", NULL },
    };
    const size_t setting_count = sizeof (settings) / sizeof (settings[0]);
    struct option options[sizeof (settings) / sizeof (settings[0]) + 4];
    for (size_t index = 0; index < setting_count; index++)
        options[index] =
            (struct option){ settings[index].option, required_argument, NULL, (int) (256 + index) };
    options[setting_count] = (struct option){ "config", required_argument, NULL, 'f' };
    options[setting_count + 1] = (struct option){ "verbose", no_argument, NULL, 'v' };
    options[setting_count + 2] = (struct option){ "help", no_argument, NULL, 'h' };
    options[setting_count + 3] = (struct option){ NULL, 0, NULL, 0 };

    const char *config_path = NULL;
    bool verbose = false;
    int option;
    while ((option = getopt_long (argc, argv, "vh", options, NULL)) != -1) {
        if (option >= 256 && option < 256 + (int) setting_count)
            settings[option - 256].value = optarg;
        else if (option == 'f')
            config_path = optarg;
        else if (option == 'v')
            verbose = true;
        else if (option == 'h') {
            s_usage (stdout);
            return 0;
        }
        else {
            s_usage (stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "zstore-gateway: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    zconfig_t *config = NULL;
    if (config_path && !(config = zconfig_load (config_path))) {
        fprintf (stderr, "zstore-gateway: cannot read config file %s\n", config_path);
        return 2;
    }
    for (size_t index = 0; index < setting_count && config; index++)
        if (!settings[index].value) {
            char path[64];
            snprintf (path, sizeof (path), "gateway/%s", settings[index].option);
            settings[index].value = zconfig_get (config, path, NULL);
        }
    if (config && !verbose)
        verbose = atoi (zconfig_get (config, "gateway/verbose", "0")) != 0;

    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("zstore-gateway");
    zactor_t *gateway = zactor_new (zs_gateway_actor, NULL);
    if (verbose)
        zstr_send (gateway, "VERBOSE");
    int rc = 0;
    for (size_t index = 0; index < setting_count && rc == 0; index++) {
        if (!settings[index].setting || !settings[index].value)
            continue;
        uint64_t number;
        char *reply = NULL;
        if (zs_parse_count (settings[index].value, 0, 31536000000ULL, &number) == 0) {
            zstr_sendx (gateway, "SET", settings[index].setting, settings[index].value, NULL);
            reply = zstr_recv (gateway);
        }
        if (!reply || strneq (reply, "OK")) {
            fprintf (stderr, "zstore-gateway: --%s %s: %s\n", settings[index].option,
                     settings[index].value, reply ? reply : "not a number");
            rc = 2;
        }
        zstr_free (&reply);
    }
    if (rc == 0) {
        zstr_sendx (gateway, "START",
                    settings[0].value ? settings[0].value : "tcp://127.0.0.1:5555",
                    settings[1].value ? settings[1].value : "tcp://127.0.0.1:5556",
                    settings[2].value ? settings[2].value : "tcp://127.0.0.1:5557", NULL);
        char *reply = NULL, *clients = NULL, *buckets = NULL, *events = NULL;
        zstr_recvx (gateway, &reply, &clients, &buckets, &events, NULL);
        if (reply && streq (reply, "OK")) {
            //  Runs until SIGINT or SIGTERM
            zpoller_t *poller = zpoller_new (gateway, NULL);
            while (!zsys_interrupted && !zpoller_wait (poller, -1) && !zpoller_terminated (poller))
                ;
            zpoller_destroy (&poller);
            zsys_info ("gateway: stopping");
        }
        else {
            fprintf (stderr, "zstore-gateway: %s\n", reply ? reply : "interrupted");
            rc = 1;
        }
        zstr_free (&reply);
        zstr_free (&clients);
        zstr_free (&buckets);
        zstr_free (&events);
    }
    zactor_destroy (&gateway);
    zconfig_destroy (&config);
    return rc;
}
