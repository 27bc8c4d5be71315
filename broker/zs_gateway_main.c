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
        "  --repair-grace SEC        how long a bucket may be dead before its copies are made\n"
        "                            again elsewhere (default 30)\n"
        "  --repair-streams N        background copies (repair, drain, rebalance) at once\n"
        "                            (default 2)\n"
        "  --repair-rate BYTES       bytes per second they may move, K/M/G suffixes; 0 for no\n"
        "                            limit (default 64M)\n"
        "  --repair-queue N          files short of copies that repair keeps in memory at\n"
        "                            once, those with the fewest live copies; the others\n"
        "                            are counted, and found again by the next look\n"
        "                            (default 100000; about 250 bytes each)\n"
        "  --min-write-replicas N    a put succeeds with this many durable copies when fewer\n"
        "                            buckets than asked are alive; repair adds the rest\n"
        "                            (default: all that were asked)\n"
        "  --rebalance               move copies onto emptier buckets continuously, at the\n"
        "                            repair rate\n"
        "  --cache BYTES             memory for the content of small files (64K or less), to\n"
        "                            answer gets without asking a bucket; 0 for none\n"
        "                            (default 16M)\n"
        "\n"
        "Security (see docs/SECURITY.md):\n"
        "  --secure                  CURVE on every endpoint: encrypted, and only known keys\n"
        "  --cert FILE               the gateway's key pair (NAME.cert_secret)\n"
        "  --bucket-keys DIR         public keys of the buckets that may register, each\n"
        "                            named after its bucket id\n"
        "  --user-keys DIR           public keys of users and monitors, each named after\n"
        "                            its user\n"
        "  --admins USERS            users who may drain, forget and rebalance in secure\n"
        "                            mode, comma-separated (default: admin)\n"
        "  --insecure                without --secure, listen beyond loopback all the same\n"
        "\n"
        "Limits:\n"
        "  --max-file-size BYTES     largest file (default 1T)\n"
        "  --quota-files N           files per user (default: no limit)\n"
        "  --quota-bytes BYTES       bytes per user, one copy counted (default: no limit)\n"
        "  --max-transfers N         puts and gets in flight per client connection\n"
        "                            (default 256)\n"
        "  --max-name BYTES          longest file name, up to 1024 (default 1024)\n"
        "  --max-message BYTES       largest message, 64K to 1M+64K (default 1M+64K)\n"
        "\n"
        "  --config FILE             read settings from a ZPL file (gateway/clients,\n"
        "                            gateway/buckets, gateway/events, gateway/heartbeat, ...);\n"
        "                            the command line wins\n"
        "  -v, --verbose             log every message\n"
        "  -h, --help                this help\n");
}

//  How a setting is written: the actor takes every number in its own unit
typedef enum { COUNT, SECONDS, SIZE, FLAG, TEXT } unit_t;

typedef struct {
    const char *option;  //  Command line option, and config key under gateway/
    const char *setting; //  Actor setting, NULL for endpoints
    unit_t unit;         //  How its value is written
    const char *value;   //  As given
} setting_t;

//  The value as the actor takes it (milliseconds, bytes, 0 or 1); false
//  when it is not a value of its kind
static bool
s_actor_value (const setting_t *setting, char *text, size_t size)
{
    if (setting->unit == TEXT) {
        snprintf (text, size, "%s", setting->value);
        return true;
    }
    uint64_t number = 0;
    bool ok = setting->unit == SIZE
                  ? zs_parse_size (setting->value, &number) == 0
                  : zs_parse_count (setting->value, 0, 31536000000ULL, &number) == 0;
    if (setting->unit == SECONDS)
        number *= 1000;
    snprintf (text, size, "%" PRIu64, number);
    return ok;
}

int
main (int argc, char *argv[])
{
    setting_t settings[] = {
        { "clients", NULL, COUNT, NULL },
        { "buckets", NULL, COUNT, NULL },
        { "events", NULL, COUNT, NULL },
        { "heartbeat", "heartbeat", COUNT, NULL },
        { "liveness", "liveness", COUNT, NULL },
        { "default-replicas", "default-replicas", COUNT, NULL },
        { "transfer-timeout", "transfer-timeout", COUNT, NULL },
        { "recovery", "recovery", COUNT, NULL },
        { "tombstone-grace", "tombstone-grace", COUNT, NULL },
        { "repair-grace", "repair-grace", SECONDS, NULL },
        { "repair-streams", "repair-streams", COUNT, NULL },
        { "repair-rate", "repair-rate", SIZE, NULL },
        { "repair-queue", "repair-queue", COUNT, NULL },
        { "min-write-replicas", "min-write-replicas", COUNT, NULL },
        { "rebalance", "rebalance", FLAG, NULL },
        { "secure", "secure", FLAG, NULL },
        { "cert", "cert", TEXT, NULL },
        { "bucket-keys", "bucket-keys", TEXT, NULL },
        { "user-keys", "user-keys", TEXT, NULL },
        { "admins", "admins", TEXT, NULL },
        { "insecure", "insecure", FLAG, NULL },
        { "max-file-size", "max-file-size", SIZE, NULL },
        { "quota-files", "quota-files", COUNT, NULL },
        { "quota-bytes", "quota-bytes", SIZE, NULL },
        { "max-transfers", "max-transfers", COUNT, NULL },
        { "max-name", "max-name", COUNT, NULL },
        { "max-message", "max-message", SIZE, NULL },
        { "cache", "cache", SIZE, NULL },
    };
    const size_t setting_count = sizeof (settings) / sizeof (settings[0]);
    struct option options[sizeof (settings) / sizeof (settings[0]) + 4];
    for (size_t index = 0; index < setting_count; index++)
        options[index] =
            (struct option){ settings[index].option,
                             settings[index].unit == FLAG ? no_argument : required_argument, NULL,
                             (int) (256 + index) };
    options[setting_count] = (struct option){ "config", required_argument, NULL, 'f' };
    options[setting_count + 1] = (struct option){ "verbose", no_argument, NULL, 'v' };
    options[setting_count + 2] = (struct option){ "help", no_argument, NULL, 'h' };
    options[setting_count + 3] = (struct option){ NULL, 0, NULL, 0 };

    const char *config_path = NULL;
    bool verbose = false;
    int option;
    while ((option = getopt_long (argc, argv, "vh", options, NULL)) != -1) {
        if (option >= 256 && option < 256 + (int) setting_count)
            settings[option - 256].value = settings[option - 256].unit == FLAG ? "1" : optarg;
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
            //  One "secure = 1" may serve every program of a machine
            if (!settings[index].value && streq (settings[index].option, "secure"))
                settings[index].value = zconfig_get (config, "secure", NULL);
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
        char value[4096];
        char *reply = NULL;
        if (s_actor_value (&settings[index], value, sizeof (value))) {
            zstr_sendx (gateway, "SET", settings[index].setting, value, NULL);
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
