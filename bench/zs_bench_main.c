/*  zstore-bench - how fast zstore is, against what this machine can do

    Starts a local cluster (a gateway and 3 buckets on 127.0.0.1, data in a
    temporary folder) unless -g names a running one, measures the store
    through the client library and the machine's own limits in the same
    run, on the same loopback and disk, and prints one table; --json writes
    the same figures for programs. Each figure is the median of its rounds,
    with their minimum and maximum.

    Exit status: 0 when every measurement ran and every byte read back was
    the byte written (speed is reported, never judged); 1 when the
    benchmark itself failed; 2 on wrong usage.
*/

#include "zs_bigfile.h"
#include "zs_client.h"
#include "zs_cluster.h"
#include "zs_index.h"
#include "zs_limits.h"
#include "zs_load.h"
#include "zs_name.h"
#include "zs_parse.h"
#include "zs_results.h"
#include "zs_samples.h"
#include "zs_scratch.h"

#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define PROGRAM     "zstore-bench"

#define BUCKETS       3
#define START_TIMEOUT 20000   //  ms for the local cluster to be ready
#define INDEX_ENTRIES 1000000 //  Entries of the index measured
#define INDEX_USERS   100
#define FILE_THREADS  4 //  Threads of the file-create limit, as the issue fixes it
//  Small files got one at a time under a large put: eight times what the
//  gateway's 16 MiB cache holds, so that most gets go to a bucket
#define UNDER_PUT_FILES 32768
#define UNDER_PUT_QUICK 2048
#define REMOVE_CLIENTS  16 //  Removals in flight when a run cleans up
//  Hops of the messages whose rates bound a get: a small get's content
//  crosses 4 sockets (request to the gateway, to a bucket, chunk back to
//  the gateway, to the client); a large get's chunks cross 2
#define SMALL_GET_HOPS 4
#define LARGE_GET_HOPS 2

#define LIST_MAX    8   //  Entries of --clients and --replicas
#define CLIENTS_MAX 256 //  Requests in flight

//  The targets of the issue, and what OpenStack Swift did on the same
//  machine (4 KiB with 16 in flight; 512 MiB files)
#define TARGET_LARGE_PUT  0.70
#define TARGET_LARGE_GET  0.50
#define TARGET_SMALL_PUT  0.90
#define TARGET_SMALL_GETS 20000.0
#define TARGET_P99        5.0
#define TARGET_RSS        64.0
#define TARGET_INDEX      200.0
#define SWIFT_SMALL_PUT   142.0
#define SWIFT_SMALL_GET   629.0
#define SWIFT_LARGE_PUT   154.0
#define SWIFT_LARGE_GET   522.0

typedef struct {
    const char *endpoint; //  -g: a running cluster
    const char *user;
    const char *folder; //  Where the temporary folder goes
    const char *bin;    //  The programs of the local cluster
    const char *json;   //  --json FILE
    uint64_t rounds;
    uint64_t seconds;    //  Of each small-file run and limit measurement
    uint64_t small_size; //  Bytes of a small file
    uint64_t large_size; //  Bytes of the large file
    bool keep;           //  Keep the temporary folder
    bool quick;
    bool run_limits, run_small, run_large, run_index;
    int clients[LIST_MAX]; //  Requests in flight of the small-file runs
    size_t client_kinds;
    int replicas[LIST_MAX]; //  Replica counts of the small and large runs
    size_t replica_kinds;
} options_t;

//  What a run works with
typedef struct {
    options_t *options;
    zs_results_t *results;
    zs_scratch_t *scratch;
    zs_cluster_t *cluster; //  NULL with -g
    const char *endpoint;
    char prefix[64];                       //  Of every name this run stores
    zs_load_t *loads[ZS_REPLICAS_MAX + 1]; //  The small files, by replica count
    double started;
} bench_t;

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static void s_progress (bench_t *bench, const char *format, ...) CHECK_PRINTF (2);

//  One line on stderr as each measurement ends, so that a long run shows
//  where it is
static void
s_progress (bench_t *bench, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "[%4.0fs] ", s_now () - bench->started);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
}

static void
s_usage (FILE *file)
{
    fprintf (file,
             "usage: zstore-bench [options]\n"
             "\n"
             "Measures zstore against this machine's limits: small files put and got with\n"
             "1, 16 and 64 requests in flight, a large file put and got, peak memory, the\n"
             "gateway's index, libzmq over loopback, and the disk. Starts a local cluster\n"
             "(a gateway and 3 buckets on 127.0.0.1) unless -g names one.\n"
             "\n"
             "  -g, --gateway ENDPOINT  measure this running cluster (3 buckets or more)\n"
             "  -u, --user USER         whose files (default bench)\n"
             "  --dir DIR               where the temporary folder goes: the cluster's data\n"
             "                          and the disk measurements (default $TMPDIR or /tmp)\n"
             "  --bin DIR               zstore-gateway and zstore-bucket (default: the folder\n"
             "                          of this program)\n"
             "  --rounds N              rounds of each measurement (default 3)\n"
             "  --seconds N             length of each small-file run and limit measurement\n"
             "                          (default 5)\n"
             "  --small SIZE            bytes of a small file (default 4K)\n"
             "  --large SIZE            bytes of the large file (default 1G)\n"
             "  --quick                 --rounds 1 --seconds 2 --large 64M, unless given\n"
             "  --only LIST             some of limits,small,large,index (comma-separated)\n"
             "  --clients LIST          requests in flight of the small-file runs\n"
             "                          (default 1,16,64)\n"
             "  --replicas LIST         replica counts of the small and large runs (default\n"
             "                          1,3); small gets under a large put use 3\n"
             "  --json FILE             write the results as JSON\n"
             "  --keep                  keep the temporary folder and the cluster's logs;\n"
             "                          with -g, the files put (else removed at the end)\n"
             "  -h, --help              this help\n"
             "\n"
             "Exit status: 0 when every measurement ran and read back what it wrote, 1 when\n"
             "the benchmark failed, 2 on wrong usage. Speed is reported, never judged.\n");
}

static int
s_only (options_t *options, const char *list)
{
    options->run_limits = options->run_small = options->run_large = options->run_index = false;
    char *copy = strdup (list), *state = NULL;
    int rc = 0;
    for (char *part = strtok_r (copy, ",", &state); part; part = strtok_r (NULL, ",", &state)) {
        if (streq (part, "limits"))
            options->run_limits = true;
        else if (streq (part, "small"))
            options->run_small = true;
        else if (streq (part, "large"))
            options->run_large = true;
        else if (streq (part, "index"))
            options->run_index = true;
        else
            rc = zs_parse_usage_error (PROGRAM, "--only: unknown part '%s'", part);
    }
    free (copy);
    return rc;
}

//  Parses a comma-separated list of numbers from min to max
static int
s_list (const char *text, int min, int max, int *values, size_t *count)
{
    char *copy = strdup (text), *state = NULL;
    int rc = 0;
    *count = 0;
    for (char *part = strtok_r (copy, ",", &state); part && rc == 0;
         part = strtok_r (NULL, ",", &state)) {
        uint64_t value;
        if (*count == LIST_MAX || zs_parse_count (part, (uint64_t) min, (uint64_t) max, &value))
            rc = -1;
        else
            values[(*count)++] = (int) value;
    }
    free (copy);
    return rc == 0 && *count > 0 ? 0 : -1;
}

//  Parses the command line; -1 to go on, or an exit status
static int
s_parse (options_t *options, int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "gateway", required_argument, NULL, 'g' }, { "user", required_argument, NULL, 'u' },
        { "dir", required_argument, NULL, 'd' },     { "bin", required_argument, NULL, 'b' },
        { "rounds", required_argument, NULL, 'r' },  { "seconds", required_argument, NULL, 's' },
        { "small", required_argument, NULL, 'S' },   { "large", required_argument, NULL, 'L' },
        { "quick", no_argument, NULL, 'q' },         { "only", required_argument, NULL, 'o' },
        { "json", required_argument, NULL, 'j' },    { "keep", no_argument, NULL, 'k' },
        { "clients", required_argument, NULL, 'c' }, { "replicas", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    bool rounds = false, seconds = false, large = false;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, "g:u:h", long_options, NULL)) != -1) {
        switch (option) {
            case 'g': options->endpoint = optarg; break;
            case 'u': options->user = optarg; break;
            case 'd': options->folder = optarg; break;
            case 'b': options->bin = optarg; break;
            case 'j': options->json = optarg; break;
            case 'k': options->keep = true; break;
            case 'q': options->quick = true; break;
            case 'r':
                if (zs_parse_count (optarg, 1, 1000, &options->rounds))
                    return zs_parse_usage_error (PROGRAM, "--rounds must be 1 to 1000");
                rounds = true;
                break;
            case 's':
                if (zs_parse_count (optarg, 1, 3600, &options->seconds))
                    return zs_parse_usage_error (PROGRAM, "--seconds must be 1 to 3600");
                seconds = true;
                break;
            case 'S':
                if (zs_parse_size (optarg, &options->small_size) || options->small_size == 0
                    || options->small_size > ZS_CHUNK_SIZE)
                    return zs_parse_usage_error (PROGRAM,
                                                 "--small must be a size from 1 byte to 1M");
                break;
            case 'L':
                if (zs_parse_size (optarg, &options->large_size) || options->large_size == 0
                    || options->large_size > (1ULL << 40))
                    return zs_parse_usage_error (PROGRAM,
                                                 "--large must be a size from 1 byte to 1T");
                large = true;
                break;
            case 'o':
                if (s_only (options, optarg))
                    return EXIT_USAGE;
                break;
            case 'c':
                if (s_list (optarg, 1, CLIENTS_MAX, options->clients, &options->client_kinds))
                    return zs_parse_usage_error (PROGRAM,
                                                 "--clients must be up to %d counts from 1 to %d",
                                                 LIST_MAX, CLIENTS_MAX);
                break;
            case 'R':
                if (s_list (optarg, 1, ZS_REPLICAS_MAX, options->replicas, &options->replica_kinds))
                    return zs_parse_usage_error (PROGRAM,
                                                 "--replicas must be up to %d counts from 1 to %d",
                                                 LIST_MAX, ZS_REPLICAS_MAX);
                break;
            case 'h': s_usage (stdout); return 0;
            default:
                return zs_parse_usage_error (PROGRAM, "unknown option or missing value '%s'",
                                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return zs_parse_usage_error (PROGRAM, "unexpected argument '%s'", argv[optind]);
    if (zs_name_check_user (options->user))
        return zs_parse_usage_error (PROGRAM, "bad user '%s'", options->user);
    if (options->quick) {
        options->rounds = rounds ? options->rounds : 1;
        options->seconds = seconds ? options->seconds : 2;
        options->large_size = large ? options->large_size : 64ULL << 20;
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  The machine

static void
s_machine (bench_t *bench)
{
    zs_results_t *results = bench->results;
    options_t *options = bench->options;
    char text[256];
    time_t now = time (NULL);
    strftime (text, sizeof (text), "%Y-%m-%d %H:%M:%S %Z", localtime (&now));
    zs_results_machine_text (results, "date", text);
    FILE *file = fopen ("/proc/cpuinfo", "r");
    char line[512];
    while (file && fgets (line, sizeof (line), file)) {
        char *colon = strchr (line, ':');
        if (strncmp (line, "model name", 10) == 0 && colon) {
            colon[strcspn (colon, "\n")] = 0;
            zs_results_machine_text (results, "cpu", colon + 2);
            break;
        }
    }
    if (file)
        fclose (file);
    zs_results_machine_number (results, "cores", (double) sysconf (_SC_NPROCESSORS_ONLN));
    double memory = (double) sysconf (_SC_PHYS_PAGES) * (double) sysconf (_SC_PAGESIZE);
    zs_results_machine_number (results, "memory_gib",
                               (double) (long) (memory / (1 << 30) * 10) / 10);
    struct utsname name;
    if (uname (&name) == 0) {
        snprintf (text, sizeof (text), "%s %s %s", name.sysname, name.release, name.machine);
        zs_results_machine_text (results, "kernel", text);
    }
    struct statfs disk;
    if (statfs (zs_scratch_path (bench->scratch), &disk) == 0) {
        const char *type = disk.f_type == 0xEF53       ? "ext4"
                           : disk.f_type == 0x58465342 ? "xfs"
                           : disk.f_type == 0x9123683E ? "btrfs"
                           : disk.f_type == 0x01021994 ? "tmpfs"
                           : disk.f_type == 0x794C7630 ? "overlayfs"
                                                       : "other";
        zs_results_machine_text (results, "filesystem", type);
    }
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    snprintf (text, sizeof (text), "libzmq %d.%d.%d, czmq %d.%d.%d", major, minor, patch,
              CZMQ_VERSION_MAJOR, CZMQ_VERSION_MINOR, CZMQ_VERSION_PATCH);
    zs_results_machine_text (results, "libraries", text);
    zs_results_machine_text (results, "cluster",
                             options->endpoint ? options->endpoint
                                               : "local: a gateway and 3 buckets on 127.0.0.1");
    char small[32], large[32];
    zs_parse_format_size (options->small_size, small, sizeof (small));
    zs_parse_format_size (options->large_size, large, sizeof (large));
    snprintf (text, sizeof (text),
              "%" PRIu64 " round(s); small files %s, %" PRIu64 " s a run; large file %s",
              options->rounds, small, options->seconds, large);
    zs_results_machine_text (results, "workload", text);
}

//  --------------------------------------------------------------------------
//  The machine's limits

static int
s_limits (bench_t *bench)
{
    options_t *options = bench->options;
    zs_samples_t *zmq_large = zs_samples_new (), *zmq_small = zs_samples_new ();
    zs_samples_t *disk = zs_samples_new (), *creates = zs_samples_new ();
    zs_samples_t *hash = zs_samples_new ();
    const char *folder = zs_scratch_path (bench->scratch);
    double seconds = (double) options->seconds;
    int rc = 0;
    for (uint64_t round = 1; rc == 0 && round <= options->rounds; round++) {
        double messages, mebibytes;
        if (zs_limits_zmq (ZS_CHUNK_SIZE, seconds, &messages, &mebibytes)) {
            fprintf (stderr, "zstore-bench: libzmq over loopback failed\n");
            rc = -1;
            break;
        }
        zs_samples_add (zmq_large, mebibytes);
        s_progress (bench, "limit zmq 1 MiB messages, round %" PRIu64 ": %.0f MiB/s", round,
                    mebibytes);
        if (zs_limits_zmq (options->small_size, seconds, &messages, &mebibytes)) {
            fprintf (stderr, "zstore-bench: libzmq over loopback failed\n");
            rc = -1;
            break;
        }
        zs_samples_add (zmq_small, messages);
        s_progress (bench, "limit zmq small messages, round %" PRIu64 ": %.0f msgs/s", round,
                    messages);
        double rate = zs_limits_disk_write (folder, options->large_size);
        if (rate < 0) {
            rc = -1;
            break;
        }
        zs_samples_add (disk, rate);
        s_progress (bench, "limit disk write + fsync, round %" PRIu64 ": %.0f MiB/s", round, rate);
        rate = zs_limits_file_creates (folder, FILE_THREADS, seconds);
        if (rate < 0) {
            rc = -1;
            break;
        }
        zs_samples_add (creates, rate);
        s_progress (bench, "limit file creates, round %" PRIu64 ": %.0f files/s", round, rate);
        rate = zs_limits_hash (seconds);
        if (rate < 0) {
            fprintf (stderr, "zstore-bench: BLAKE2b failed\n");
            rc = -1;
            break;
        }
        zs_samples_add (hash, rate);
        s_progress (bench, "limit BLAKE2b on one core, round %" PRIu64 ": %.0f MiB/s", round, rate);
    }
    if (rc == 0) {
        zs_results_section (bench->results, "machine limits");
        zs_results_add (bench->results, "limit_zmq_1mib", "MiB/s", zmq_large);
        zs_results_add (bench->results, "limit_zmq_4kib", "msgs/s", zmq_small);
        zs_results_add (bench->results, "limit_disk_write", "MiB/s", disk);
        zs_results_add (bench->results, "limit_file_creates", "files/s", creates);
        zs_results_add (bench->results, "limit_blake2b", "MiB/s", hash);
    }
    zs_samples_destroy (&zmq_large);
    zs_samples_destroy (&zmq_small);
    zs_samples_destroy (&disk);
    zs_samples_destroy (&creates);
    zs_samples_destroy (&hash);
    return rc;
}

//  --------------------------------------------------------------------------
//  The gateway's index, filled with a million entries

//  VmRSS of this process, in bytes
static uint64_t
s_resident (void)
{
    FILE *file = fopen ("/proc/self/status", "r");
    char line[256];
    unsigned long long kilobytes = 0;
    while (file && fgets (line, sizeof (line), file))
        if (sscanf (line, "VmRSS: %llu kB", &kilobytes) == 1)
            break;
    if (file)
        fclose (file);
    return (uint64_t) kilobytes * 1024;
}

//  Names as people make them: folders, dates, counters, extensions
static size_t
s_index_name (uint64_t number, char *name, size_t size)
{
    static const char *projects[] = { "alpha", "billing", "customer-portal", "data", "infra" };
    unsigned year = 2015 + (unsigned) (number % 10), month = 1 + (unsigned) (number / 10 % 12),
             day = 1 + (unsigned) (number / 120 % 28);
    const char *project = projects[number / 7 % 5];
    int length = 0;
    switch (number % 5) {
        case 0:
            length = snprintf (name, size, "photos/%u/%02u/IMG_%u%02u%02u_%06" PRIu64 ".jpg", year,
                               month, year, month, day, number % 1000000);
            break;
        case 1:
            length = snprintf (name, size, "documents/%s/report-%05" PRIu64 ".pdf", project,
                               number % 100000);
            break;
        case 2:
            length = snprintf (name, size, "backups/%s/%u-%02u-%02u/part-%05" PRIu64 ".tar.gz",
                               project, year, month, day, number % 100000);
            break;
        case 3:
            length = snprintf (name, size, "src/%s/lib/module_%" PRIu64 "/file_%06" PRIu64 ".c",
                               project, number % 97, number);
            break;
        default: length = snprintf (name, size, "notes/%" PRIu64 ".md", number); break;
    }
    return (size_t) length;
}

static int
s_index (bench_t *bench)
{
    zs_record_t record;
    memset (&record, 0, sizeof (record));
    record.desired = 3;
    record.holder_count = 3;
    for (uint16_t slot = 0; slot < 3; slot++)
        record.holders[slot] = slot + 1;
    uint64_t before = s_resident ();
    zs_index_t *index = zs_index_new ();
    if (!index)
        return -1;
    uint64_t name_bytes = 0;
    double start = s_now ();
    int rc = 0;
    for (uint64_t number = 0; number < INDEX_ENTRIES && rc == 0; number++) {
        char user[16], name[256];
        snprintf (user, sizeof (user), "user%03u", (unsigned) (number % INDEX_USERS));
        name_bytes += s_index_name (number / INDEX_USERS, name, sizeof (name));
        record.version = 1700000000000000ULL + number;
        record.stamp = record.version;
        record.size = 4096 + number % 1000000;
        memcpy (record.checksum, &record.version, sizeof (record.version));
        rc = zs_index_put (index, user, name, &record);
    }
    double seconds = s_now () - start;
    uint64_t after = s_resident ();
    uint64_t memory = zs_index_memory (index);
    uint64_t entries = zs_index_size (index);
    zs_index_destroy (&index);
    if (rc || entries != INDEX_ENTRIES) {
        fprintf (stderr, "zstore-bench: the index took %" PRIu64 " entries of %d\n", entries,
                 INDEX_ENTRIES);
        return -1;
    }
    char text[160];
    snprintf (text, sizeof (text),
              "%d entries, %d users, names of %.1f bytes on average, 3 holders", INDEX_ENTRIES,
              INDEX_USERS, (double) name_bytes / INDEX_ENTRIES);
    zs_results_machine_text (bench->results, "index", text);
    zs_samples_t *bytes = zs_samples_new (), *resident = zs_samples_new (),
                 *rate = zs_samples_new ();
    zs_samples_add (bytes, (double) memory / INDEX_ENTRIES);
    zs_samples_add (resident, (double) (after > before ? after - before : 0) / INDEX_ENTRIES);
    zs_samples_add (rate, INDEX_ENTRIES / seconds);
    zs_results_section (bench->results, "gateway index, 1M entries");
    zs_results_add (bench->results, "index_bytes_per_file", "B", bytes);
    zs_results_add (bench->results, "index_rss_per_file", "B", resident);
    zs_results_add (bench->results, "index_inserts", "ops/s", rate);
    s_progress (bench, "index: %.0f bytes per file (%.0f resident), %.0f inserts/s",
                zs_results_value (bench->results, "index_bytes_per_file"),
                zs_results_value (bench->results, "index_rss_per_file"), INDEX_ENTRIES / seconds);
    zs_samples_destroy (&bytes);
    zs_samples_destroy (&resident);
    zs_samples_destroy (&rate);
    return 0;
}

//  --------------------------------------------------------------------------
//  Small files

//  The figures of one kind of run over its rounds
typedef struct {
    zs_samples_t *rate, *p50, *p99;
} series_t;

static void
s_series_new (series_t *series)
{
    series->rate = zs_samples_new ();
    series->p50 = zs_samples_new ();
    series->p99 = zs_samples_new ();
}

static void
s_series_destroy (series_t *series)
{
    zs_samples_destroy (&series->rate);
    zs_samples_destroy (&series->p50);
    zs_samples_destroy (&series->p99);
}

static void
s_series_add (series_t *series, zs_load_t *load)
{
    zs_samples_add (series->rate, zs_load_rate (load));
    zs_samples_add (series->p50, zs_load_latency (load, 50));
    zs_samples_add (series->p99, zs_load_latency (load, 99));
}

static void
s_series_result (bench_t *bench, series_t *series, const char *name)
{
    zs_results_add (bench->results, name, "ops/s", series->rate);
    zs_results_set_latency (bench->results, name, series->p50, series->p99);
}

//  A run failed: says why, and whether the cluster is to blame
static int
s_run_failed (bench_t *bench, const char *what, const char *error)
{
    fprintf (stderr, "zstore-bench: %s failed: %s\n", what, error);
    if (bench->cluster && !zsys_interrupted) {
        zs_cluster_running (bench->cluster);
        zs_cluster_print_logs (bench->cluster, 10);
    }
    return -1;
}

static zs_load_t *
s_load (bench_t *bench, int replicas)
{
    if (!bench->loads[replicas]) {
        char prefix[96];
        snprintf (prefix, sizeof (prefix), "%s/small-r%d", bench->prefix, replicas);
        bench->loads[replicas] =
            zs_load_new (bench->endpoint, bench->options->user, prefix, (uint8_t) replicas,
                         (size_t) bench->options->small_size);
    }
    return bench->loads[replicas];
}

static int
s_small (bench_t *bench)
{
    options_t *options = bench->options;
    series_t puts[LIST_MAX][LIST_MAX], gets[LIST_MAX][LIST_MAX];
    for (size_t kind = 0; kind < options->replica_kinds; kind++)
        for (size_t clients = 0; clients < options->client_kinds; clients++) {
            s_series_new (&puts[kind][clients]);
            s_series_new (&gets[kind][clients]);
        }
    int rc = 0;
    double seconds = (double) options->seconds;
    for (size_t kind = 0; rc == 0 && kind < options->replica_kinds; kind++) {
        zs_load_t *load = s_load (bench, options->replicas[kind]);
        for (size_t clients = 0; rc == 0 && clients < options->client_kinds; clients++) {
            int count = options->clients[clients], replicas = options->replicas[kind];
            for (uint64_t round = 1; rc == 0 && round <= options->rounds; round++) {
                char what[64];
                snprintf (what, sizeof (what), "small put r%d c%d", replicas, count);
                if (zs_load_put (load, count, seconds)) {
                    rc = s_run_failed (bench, what, zs_load_error (load));
                    break;
                }
                s_series_add (&puts[kind][clients], load);
                s_progress (bench, "%s, round %" PRIu64 ": %.0f ops/s, p50 %.2f ms, p99 %.2f ms",
                            what, round, zs_load_rate (load), zs_load_latency (load, 50),
                            zs_load_latency (load, 99));
                snprintf (what, sizeof (what), "small get r%d c%d", replicas, count);
                if (zs_load_get (load, count, seconds, NULL)) {
                    rc = s_run_failed (bench, what, zs_load_error (load));
                    break;
                }
                s_series_add (&gets[kind][clients], load);
                s_progress (bench, "%s, round %" PRIu64 ": %.0f ops/s, p50 %.2f ms, p99 %.2f ms",
                            what, round, zs_load_rate (load), zs_load_latency (load, 50),
                            zs_load_latency (load, 99));
            }
        }
    }
    if (rc == 0) {
        char name[64];
        char title[64];
        snprintf (title, sizeof (title), "small files, %" PRIu64 " B", options->small_size);
        zs_results_section (bench->results, title);
        for (size_t kind = 0; kind < options->replica_kinds; kind++)
            for (size_t clients = 0; clients < options->client_kinds; clients++) {
                snprintf (name, sizeof (name), "small_put_r%d_c%d", options->replicas[kind],
                          options->clients[clients]);
                s_series_result (bench, &puts[kind][clients], name);
            }
        for (size_t kind = 0; kind < options->replica_kinds; kind++)
            for (size_t clients = 0; clients < options->client_kinds; clients++) {
                snprintf (name, sizeof (name), "small_get_r%d_c%d", options->replicas[kind],
                          options->clients[clients]);
                s_series_result (bench, &gets[kind][clients], name);
            }
    }
    for (size_t kind = 0; kind < options->replica_kinds; kind++)
        for (size_t clients = 0; clients < options->client_kinds; clients++) {
            s_series_destroy (&puts[kind][clients]);
            s_series_destroy (&gets[kind][clients]);
        }
    return rc;
}

//  --------------------------------------------------------------------------
//  Large files

//  The name of a large file of the run: its replica count (0 for the one
//  put under small gets) and round. A name for each round: an overwrite
//  would set the buckets deleting the last one during the next measurement.
static void
s_large_name (bench_t *bench, int replicas, uint64_t round, char *name, size_t size)
{
    if (replicas)
        snprintf (name, size, "%s/large-r%d-%" PRIu64, bench->prefix, replicas, round);
    else
        snprintf (name, size, "%s/large-under-%" PRIu64, bench->prefix, round);
}

static zs_client_t *
s_client (bench_t *bench)
{
    zs_client_t *client = zs_client_new (bench->endpoint, bench->options->user);
    //  A slow disk may take long over a large file's last fsync
    if (client)
        zs_client_set_timeout (client, 120000);
    return client;
}

//  The large put that runs while small gets are timed
typedef struct {
    bench_t *bench;
    zs_bigfile_t *file;
    char name[128];
    atomic_int done;
    int rc;
    double seconds;
} background_t;

static void *
s_background_put (void *arg)
{
    background_t *background = (background_t *) arg;
    zs_client_t *client = s_client (background->bench);
    background->rc = client ? zs_bigfile_put (background->file, client, background->name, 3,
                                              &background->seconds)
                            : -1;
    zs_client_destroy (&client);
    atomic_store (&background->done, 1);
    return NULL;
}

//  The small files that s_under_put gets, as many in every run, however fast
//  the machine put them
static int
s_under_put_files (bench_t *bench)
{
    zs_load_t *load = s_load (bench, 3);
    size_t target = bench->options->quick ? UNDER_PUT_QUICK : UNDER_PUT_FILES;
    double start = s_now (), seconds = 1;
    while (zs_load_files (load) < target && !zsys_interrupted) {
        if (zs_load_put (load, 64, seconds))
            return s_run_failed (bench, "small put", zs_load_error (load));
        //  The rest at the rate this run went, in runs of a few seconds:
        //  the first, as the cluster warms up, is the slowest
        double rate = zs_load_rate (load);
        size_t left = target - MIN (target, zs_load_files (load));
        seconds = rate > 0 ? MAX (0.2, MIN (4.0, (double) left / rate)) : 1;
    }
    s_progress (bench, "%zu small files for the gets under a large put, in %.1f s",
                zs_load_files (load), s_now () - start);
    return zsys_interrupted ? -1 : 0;
}

//  p99 of small gets, one at a time, while a large put runs
static int
s_under_put (bench_t *bench, zs_bigfile_t *file, zs_samples_t *p99)
{
    options_t *options = bench->options;
    zs_load_t *load = s_load (bench, 3);
    for (uint64_t round = 1; round <= options->rounds; round++) {
        background_t background = { bench, file, "", 0, -1, 0 };
        s_large_name (bench, 0, round, background.name, sizeof (background.name));
        pthread_t thread;
        if (pthread_create (&thread, NULL, s_background_put, &background))
            return -1;
        int rc = zs_load_get (load, 1, 86400, &background.done);
        pthread_join (thread, NULL);
        if (background.rc)
            return s_run_failed (bench, "large put under small gets", zs_bigfile_error (file));
        if (rc)
            return s_run_failed (bench, "small gets under a large put", zs_load_error (load));
        zs_samples_add (p99, zs_load_latency (load, 99));
        s_progress (bench,
                    "small gets under a large put, round %" PRIu64 ": p50 %.2f ms, p99 %.2f ms "
                    "(%" PRIu64 " gets; the put %.0f MiB/s)",
                    round, zs_load_latency (load, 50), zs_load_latency (load, 99),
                    zs_load_operations (load),
                    (double) zs_bigfile_size (file) / background.seconds / (1 << 20));
    }
    return 0;
}

static int
s_large (bench_t *bench)
{
    options_t *options = bench->options;
    double start = s_now ();
    zs_bigfile_t *file = zs_bigfile_new (options->large_size);
    zs_client_t *client = s_client (bench);
    if (!file || !client) {
        fprintf (stderr, "zstore-bench: cannot make the large file in memory\n");
        zs_bigfile_destroy (&file);
        zs_client_destroy (&client);
        return -1;
    }
    s_progress (bench, "large file made in memory in %.1f s", s_now () - start);
    if (s_under_put_files (bench)) {
        zs_client_destroy (&client);
        zs_bigfile_destroy (&file);
        return -1;
    }
    //  Peaks of the large runs only, when the kernel lets us start them again
    bool reset = bench->cluster && zs_cluster_reset_peaks (bench->cluster);
    double mebibytes = (double) options->large_size / (1 << 20);
    zs_samples_t *puts[LIST_MAX], *gets[LIST_MAX];
    zs_samples_t *p99 = zs_samples_new ();
    int rc = 0;
    for (size_t kind = 0; kind < options->replica_kinds; kind++) {
        puts[kind] = zs_samples_new ();
        gets[kind] = zs_samples_new ();
    }
    for (size_t kind = 0; rc == 0 && kind < options->replica_kinds; kind++) {
        int replicas = options->replicas[kind];
        for (uint64_t round = 1; rc == 0 && round <= options->rounds; round++) {
            char name[128];
            s_large_name (bench, replicas, round, name, sizeof (name));
            double seconds;
            if (zs_bigfile_put (file, client, name, (uint8_t) replicas, &seconds)) {
                rc = s_run_failed (bench, "large put", zs_bigfile_error (file));
                break;
            }
            zs_samples_add (puts[kind], mebibytes / seconds);
            s_progress (bench, "large put r%d, round %" PRIu64 ": %.0f MiB/s", replicas, round,
                        mebibytes / seconds);
            if (zs_bigfile_get (file, client, name, &seconds)) {
                rc = s_run_failed (bench, "large get", zs_bigfile_error (file));
                break;
            }
            zs_samples_add (gets[kind], mebibytes / seconds);
            s_progress (bench, "large get r%d, round %" PRIu64 ": %.0f MiB/s", replicas, round,
                        mebibytes / seconds);
        }
    }
    if (rc == 0)
        rc = s_under_put (bench, file, p99);
    if (rc == 0 && bench->cluster && !zs_cluster_running (bench->cluster))
        rc = -1;
    if (rc == 0) {
        char title[64], size[32];
        zs_parse_format_size (options->large_size, size, sizeof (size));
        snprintf (title, sizeof (title), "large file, %s", size);
        zs_results_section (bench->results, title);
        for (size_t kind = 0; kind < options->replica_kinds; kind++) {
            snprintf (title, sizeof (title), "large_put_r%d", options->replicas[kind]);
            zs_results_add (bench->results, title, "MiB/s", puts[kind]);
        }
        for (size_t kind = 0; kind < options->replica_kinds; kind++) {
            snprintf (title, sizeof (title), "large_get_r%d", options->replicas[kind]);
            zs_results_add (bench->results, title, "MiB/s", gets[kind]);
        }
        //  The same gets against what bounds them first: the client's
        //  BLAKE2b over every byte, which no number of cores can share
        for (size_t kind = 0; kind < options->replica_kinds; kind++) {
            snprintf (title, sizeof (title), "large_get_r%d_of_hash", options->replicas[kind]);
            zs_results_add (bench->results, title, "MiB/s", gets[kind]);
        }
        zs_results_add (bench->results, "small_get_p99_under_put", "ms", p99);
        if (bench->cluster) {
            zs_samples_t *gateway = zs_samples_new (), *bucket = zs_samples_new ();
            zs_samples_add (gateway, (double) zs_cluster_peak_gateway (bench->cluster) / (1 << 20));
            zs_samples_add (bucket, (double) zs_cluster_peak_bucket (bench->cluster) / (1 << 20));
            zs_results_add (bench->results, "rss_gateway_max", "MiB", gateway);
            zs_results_add (bench->results, "rss_bucket_max", "MiB", bucket);
            zs_samples_destroy (&gateway);
            zs_samples_destroy (&bucket);
            zs_results_machine_text (bench->results, "peak_rss",
                                     reset ? "of the large-file runs (VmHWM reset before them)"
                                           : "since the processes started (VmHWM)");
        }
    }
    for (size_t kind = 0; kind < options->replica_kinds; kind++) {
        zs_samples_destroy (&puts[kind]);
        zs_samples_destroy (&gets[kind]);
    }
    zs_samples_destroy (&p99);
    zs_client_destroy (&client);
    zs_bigfile_destroy (&file);
    return rc;
}

//  --------------------------------------------------------------------------
//  Limits, ratios and targets

static void
s_bound (bench_t *bench, const char *name, const char *limit, double divisor, const char *how)
{
    double value = zs_results_value (bench->results, limit);
    if (value > 0)
        zs_results_set_limit (bench->results, name, value / divisor, how);
}

//  The target a result is held to: a least ratio to its limit, a least
//  value, a value to stay under (each 0 for none)
static void
s_target (bench_t *bench, const char *name, double ratio, double at_least, double under,
          const char *text)
{
    double value = zs_results_value (bench->results, name);
    double measured_ratio = zs_results_ratio (bench->results, name);
    bool absolute = value > 0 && value >= at_least && (under == 0 || value < under);
    zs_verdict_t verdict = !absolute                 ? ZS_TARGET_MISSED
                           : measured_ratio >= ratio ? ZS_TARGET_MET
                           : measured_ratio == 0     ? ZS_TARGET_NOT_JUDGED
                                                     : ZS_TARGET_MISSED;
    zs_results_set_target (bench->results, name, text, verdict);
}

static void
s_judge (bench_t *bench)
{
    options_t *options = bench->options;
    char name[64], how[64];
    for (size_t kind = 0; kind < options->replica_kinds; kind++) {
        int replicas = options->replicas[kind];
        snprintf (how, sizeof (how), "creates / %d", replicas);
        for (size_t clients = 0; clients < options->client_kinds; clients++) {
            snprintf (name, sizeof (name), "small_put_r%d_c%d", replicas,
                      options->clients[clients]);
            s_bound (bench, name, "limit_file_creates", replicas, how);
            snprintf (name, sizeof (name), "small_get_r%d_c%d", replicas,
                      options->clients[clients]);
            s_bound (bench, name, "limit_zmq_4kib", SMALL_GET_HOPS, "zmq 4K / 4");
        }
        snprintf (name, sizeof (name), "large_put_r%d", replicas);
        snprintf (how, sizeof (how), "disk / %d", replicas);
        s_bound (bench, name, "limit_disk_write", replicas, how);
        snprintf (name, sizeof (name), "large_get_r%d", replicas);
        s_bound (bench, name, "limit_zmq_1mib", LARGE_GET_HOPS, "zmq 1M / 2");
        snprintf (name, sizeof (name), "large_get_r%d_of_hash", replicas);
        s_bound (bench, name, "limit_blake2b", 1, "BLAKE2b");
    }
    s_target (bench, "small_put_r3_c16", TARGET_SMALL_PUT, SWIFT_SMALL_PUT, 0,
              ">= 90 % of limit, > 142 (Swift)");
    s_target (bench, "small_get_r3_c16", 0, SWIFT_SMALL_GET, 0, "> 629 (Swift)");
    s_target (bench, "small_get_r1_c64", 0, TARGET_SMALL_GETS, 0, ">= 20000");
    s_target (bench, "small_get_r3_c64", 0, TARGET_SMALL_GETS, 0, ">= 20000");
    s_target (bench, "large_put_r3", TARGET_LARGE_PUT, SWIFT_LARGE_PUT, 0,
              ">= 70 % of limit, > 154 (Swift)");
    s_target (bench, "large_get_r1", TARGET_LARGE_GET, SWIFT_LARGE_GET, 0,
              ">= 50 % of limit, > 522 (Swift)");
    s_target (bench, "large_get_r3", TARGET_LARGE_GET, SWIFT_LARGE_GET, 0,
              ">= 50 % of limit, > 522 (Swift)");
    s_target (bench, "small_get_p99_under_put", 0, 0, TARGET_P99, "< 5 ms");
    s_target (bench, "rss_gateway_max", 0, 0, TARGET_RSS, "< 64 MiB");
    s_target (bench, "rss_bucket_max", 0, 0, TARGET_RSS, "< 64 MiB");
    s_target (bench, "index_bytes_per_file", 0, 0, TARGET_INDEX, "< 200 B");
    s_target (bench, "index_rss_per_file", 0, 0, TARGET_INDEX, "< 200 B");
}

//  --------------------------------------------------------------------------

//  The folder of this program, where the others are
static char *
s_own_folder (void)
{
    char path[PATH_MAX];
    ssize_t length = readlink ("/proc/self/exe", path, sizeof (path) - 1);
    if (length <= 0)
        return strdup (".");
    path[length] = 0;
    return strdup (dirname (path));
}

//  With -g, the files the run put are removed from the cluster it measured
//  (a local cluster goes with its folder). 0, or -1 when some stayed.
static int
s_remove_files (bench_t *bench)
{
    options_t *options = bench->options;
    if (!options->endpoint || options->keep)
        return 0;
    s_progress (bench, "removing the files of this run from %s", options->endpoint);
    int rc = 0;
    for (size_t replicas = 0; replicas <= ZS_REPLICAS_MAX; replicas++) {
        zs_load_t *load = bench->loads[replicas];
        if (load && zs_load_remove (load, REMOVE_CLIENTS)) {
            fprintf (stderr, "zstore-bench: %s\n", zs_load_error (load));
            rc = -1;
        }
    }
    zs_client_t *client = s_client (bench);
    if (!client)
        return -1;
    //  Whichever large files the run got to put; the others are not found
    for (size_t kind = 0; kind <= options->replica_kinds; kind++)
        for (uint64_t round = 1; round <= options->rounds; round++) {
            char name[128];
            s_large_name (bench, kind < options->replica_kinds ? options->replicas[kind] : 0, round,
                          name, sizeof (name));
            if (zs_client_remove (client, name)
                && zs_client_status_code (client) != ZS_STATUS_NOT_FOUND) {
                fprintf (stderr, "zstore-bench: remove %s: %s\n", name, zs_client_error (client));
                rc = -1;
            }
        }
    zs_client_destroy (&client);
    return rc;
}

//  The folder of the local cluster for the runs called name, in the scratch
//  folder; for the caller to free
static char *
s_cluster_folder (bench_t *bench, const char *name)
{
    return zsys_sprintf ("%s/%s", zs_scratch_path (bench->scratch), name);
}

//  Starts a local cluster with its data and logs in its folder
static int
s_start_cluster (bench_t *bench, const char *name)
{
    options_t *options = bench->options;
    char *folder = s_cluster_folder (bench, name);
    if (!folder || mkdir (folder, 0700)) {
        fprintf (stderr, "zstore-bench: cannot make a folder for the cluster: %s\n",
                 strerror (errno));
        zstr_free (&folder);
        return -1;
    }
    char *bin = options->bin ? strdup (options->bin) : s_own_folder ();
    bench->cluster = bin ? zs_cluster_new (bin, folder, BUCKETS, START_TIMEOUT) : NULL;
    free (bin);
    zstr_free (&folder);
    if (!bench->cluster)
        return -1;
    bench->endpoint = zs_cluster_endpoint (bench->cluster);
    s_progress (bench, "cluster ready for the %s runs: gateway %d, buckets %d %d %d, clients on %s",
                name, (int) zs_cluster_pid (bench->cluster, 0),
                (int) zs_cluster_pid (bench->cluster, 1), (int) zs_cluster_pid (bench->cluster, 2),
                (int) zs_cluster_pid (bench->cluster, 3), bench->endpoint);
    return 0;
}

//  Stops the local cluster, when there is one, and forgets its files; its
//  folder goes too, unless the run keeps it
static int
s_stop_cluster (bench_t *bench, const char *name)
{
    if (!bench->cluster)
        return 0;
    for (size_t replicas = 0; replicas <= ZS_REPLICAS_MAX; replicas++)
        zs_load_destroy (&bench->loads[replicas]);
    zs_cluster_destroy (&bench->cluster);
    bench->endpoint = NULL;
    if (bench->options->keep)
        return 0;
    char *folder = s_cluster_folder (bench, name);
    int rc = folder ? zs_scratch_remove (folder) : -1;
    if (rc)
        fprintf (stderr, "zstore-bench: cannot remove %s: %s\n", name, strerror (errno));
    zstr_free (&folder);
    return rc;
}

static int
s_bench (bench_t *bench)
{
    options_t *options = bench->options;
    //  First, while this process is small and has one thread: the index's
    //  growth is then all that its resident memory shows
    if (options->run_index && s_index (bench))
        return -1;
    if (options->run_limits && s_limits (bench))
        return -1;
    bool local = !options->endpoint;
    if (options->run_small) {
        if (local && s_start_cluster (bench, "small"))
            return -1;
        if (s_small (bench))
            return -1;
    }
    if (options->run_large) {
        //  The large runs get a cluster of their own: the gateway's memory
        //  would otherwise count the index of every file the small runs put,
        //  as many as the machine was fast (index_bytes_per_file measures
        //  that), not what a large transfer costs
        if (local && (s_stop_cluster (bench, "small") || s_start_cluster (bench, "large")))
            return -1;
        if (s_large (bench))
            return -1;
    }
    return 0;
}

int
main (int argc, char *argv[])
{
    const char *temp = getenv ("TMPDIR");
    options_t options = { NULL,  "bench", temp && *temp ? temp : "/tmp",
                          NULL,  NULL,    3,
                          5,     4096,    1ULL << 30,
                          false, false,   true,
                          true,  true,    true };
    options.clients[0] = 1, options.clients[1] = 16, options.clients[2] = 64;
    options.client_kinds = 3;
    options.replicas[0] = 1, options.replicas[1] = 3;
    options.replica_kinds = 2;
    int rc = s_parse (&options, argc, argv);
    if (rc >= 0)
        return rc;
    if (sodium_init () < 0)
        return EXIT_FAILED;
    //  czmq catches SIGINT and SIGTERM: every wait then ends, and the
    //  cluster and folder are cleaned up on the way out
    zsys_init ();
    zsys_set_logstream (stderr);
    bench_t bench = { &options };
    bench.started = s_now ();
    bench.endpoint = options.endpoint;
    snprintf (bench.prefix, sizeof (bench.prefix), "bench-%d-%08x", (int) getpid (),
              randombytes_random ());
    bench.results = zs_results_new ();
    bench.scratch = zs_scratch_new (options.folder);
    if (!bench.scratch) {
        fprintf (stderr, "zstore-bench: cannot make a folder in %s: %s\n", options.folder,
                 strerror (errno));
        zs_results_destroy (&bench.results);
        return EXIT_FAILED;
    }
    if (options.keep)
        zs_scratch_keep (bench.scratch);
    s_machine (&bench);
    rc = s_bench (&bench) == 0 && !zsys_interrupted ? 0 : EXIT_FAILED;
    if (rc == 0 && s_remove_files (&bench))
        rc = EXIT_FAILED;
    if (rc && options.endpoint && !options.keep)
        fprintf (stderr, "zstore-bench: files of this run may stay on %s, named %s/...\n",
                 options.endpoint, bench.prefix);
    for (size_t replicas = 0; replicas <= ZS_REPLICAS_MAX; replicas++)
        zs_load_destroy (&bench.loads[replicas]);
    zs_cluster_destroy (&bench.cluster);
    zs_scratch_destroy (&bench.scratch);
    if (rc == 0) {
        s_judge (&bench);
        printf ("\n");
        zs_results_print (bench.results, stdout);
        if (options.json && zs_results_save (bench.results, options.json)) {
            fprintf (stderr, "zstore-bench: cannot write %s: %s\n", options.json, strerror (errno));
            rc = EXIT_FAILED;
        }
        fflush (stdout);
        s_progress (&bench, "done");
    }
    else if (zsys_interrupted)
        fprintf (stderr, "zstore-bench: interrupted\n");
    zs_results_destroy (&bench.results);
    return rc;
}
