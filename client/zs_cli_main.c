/*  zstore - the command line client of a zstore cluster

    Exit status: 0 success, 1 the operation failed, 2 wrong usage.
*/

#include "zs_client.h"
#include "zs_report.h"
#include "zs_json.h"
#include "zs_name.h"
#include "zs_parse.h"
#include "zs_secure.h"

#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <sys/stat.h>

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define PROGRAM     "zstore"

typedef struct {
    const char *endpoint;    //  Gateway's client endpoint
    const char *user;        //  Whose files
    bool user_given;         //  By -u or ZSTORE_USER, not just the login name
    int64_t timeout;         //  ms
    const char *cert;        //  Key pair, in secure mode
    const char *gateway_key; //  The gateway's public key, in secure mode
} context_t;

typedef int (command_fn) (context_t *context, int argc, char *argv[]);

typedef struct {
    const char *name;
    command_fn *run;
    const char *usage;   //  Arguments, for help
    const char *summary; //  One line, for help
    const char *details; //  Options, for the command's own help
} command_t;

static const command_t *s_find_command (const char *name);

//  One line on stderr: what failed (a format), then why
static int s_failed (zs_client_t *client, const char *format, ...) CHECK_PRINTF (2);

static int
s_failed (zs_client_t *client, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "zstore: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, ": %s\n", zs_client_error (client));
    va_end (args);
    return EXIT_FAILED;
}

static zs_client_t *
s_connect (context_t *context)
{
    zs_client_t *client = zs_client_new (context->endpoint, context->user);
    if (!client) {
        fprintf (stderr, "zstore: cannot use gateway endpoint '%s'\n", context->endpoint);
        return NULL;
    }
    zs_client_set_timeout (client, context->timeout);
    if (context->cert && zs_client_set_secure (client, context->cert, context->gateway_key)) {
        fprintf (stderr, "zstore: %s\n", zs_client_error (client));
        zs_client_destroy (&client);
    }
    return client;
}

//  Parses a command's options; "h" is always help. Returns -1 to go on, or
//  an exit status.
static int
s_options (const char *command, int argc, char *argv[], const char *short_options,
           const struct option *long_options, int (*handle) (int option, void *arg), void *arg)
{
    optind = 0; //  Makes glibc start a fresh scan
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, short_options, long_options, NULL)) != -1) {
        if (option == 'h') {
            const command_t *entry = s_find_command (command);
            printf ("usage: zstore [global options] %s %s\n\n%s\n%s", command, entry->usage,
                    entry->summary, entry->details);
            return 0;
        }
        if (option == '?' || option == ':')
            return zs_parse_usage_error (PROGRAM, "%s: unknown option or missing value '%s'",
                                         command, argv[optind - 1]);
        int rc = handle (option, arg);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

static const struct option s_help_only[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static const struct option s_json_options[] = {
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int
s_set_flag (int option, void *arg)
{
    (void) option;
    *(bool *) arg = true;
    return -1;
}

static int
s_no_options (int option, void *arg)
{
    (void) option;
    (void) arg;
    return -1;
}

//  Checks the count of positional arguments
static int
s_arguments (const char *command, int argc, int min, int max)
{
    int count = argc - optind;
    if (count < min)
        return zs_parse_usage_error (PROGRAM, "%s: missing argument", command);
    if (count > max)
        return zs_parse_usage_error (PROGRAM, "%s: too many arguments", command);
    return -1;
}

static int
s_bad_name (const char *name)
{
    const char *problem = zs_name_check_file (name);
    if (!problem)
        return -1;
    fprintf (stderr, "zstore: bad name '%s': %s\n", name, problem);
    return EXIT_USAGE;
}

//  --------------------------------------------------------------------------
//  put

static int
s_put_option (int option, void *arg)
{
    if (option == 'r' && zs_parse_count (optarg, 1, ZS_REPLICAS_MAX, (uint64_t *) arg))
        return zs_parse_usage_error (PROGRAM, "put: -r must be 1 to %d", ZS_REPLICAS_MAX);
    return -1;
}

static int
s_put (context_t *context, int argc, char *argv[])
{
    static const struct option options[] = {
        { "replicas", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t replicas = 0;
    int rc = s_options ("put", argc, argv, "r:h", options, s_put_option, &replicas);
    if (rc >= 0 || (rc = s_arguments ("put", argc, 1, 2)) >= 0)
        return rc;
    int count = argc - optind;
    char **positional = argv + optind;
    const char *local = positional[0];
    char *base = NULL;
    const char *name = count == 2 ? positional[1] : NULL;
    if (!name) {
        if (streq (local, "-"))
            return zs_parse_usage_error (PROGRAM,
                                         "put: a NAME is needed when reading standard input");
        base = strdup (local);
        name = basename (base);
    }
    if ((rc = s_bad_name (name)) >= 0) {
        free (base);
        return rc;
    }
    int fd = streq (local, "-") ? STDIN_FILENO : open (local, O_RDONLY | O_CLOEXEC);
    struct stat info;
    if (fd < 0 || fstat (fd, &info) || S_ISDIR (info.st_mode)) {
        fprintf (stderr, "zstore: put: cannot read '%s': %s\n", local,
                 fd < 0 ? strerror (errno) : "is a directory");
        if (fd > STDIN_FILENO)
            close (fd);
        free (base);
        return EXIT_FAILED;
    }
    zs_client_t *client = s_connect (context);
    rc = EXIT_FAILED;
    uint64_t version = 0;
    uint8_t copies = 0;
    if (client && zs_client_put (client, name, fd, (uint8_t) replicas, &version, &copies) == 0) {
        if (replicas && copies < replicas)
            printf ("stored %s: version %" PRIu64 ", %u of %" PRIu64
                    " copies (repair adds the rest)\n",
                    name, version, copies, replicas);
        else
            printf ("stored %s: version %" PRIu64 ", %u copies\n", name, version, copies);
        rc = 0;
    }
    else if (client)
        rc = s_failed (client, "put %s", name);
    if (fd > STDIN_FILENO)
        close (fd);
    zs_client_destroy (&client);
    free (base);
    return rc;
}

//  --------------------------------------------------------------------------
//  get

#define PARALLEL_DEFAULT 16
#define PARALLEL_MAX     256

typedef struct {
    const char *output; //  -o
    uint64_t parallel;  //  -j
} get_options_t;

static int
s_get_option (int option, void *arg)
{
    get_options_t *options = (get_options_t *) arg;
    if (option == 'o')
        options->output = optarg;
    else if (option == 'j' && zs_parse_count (optarg, 1, PARALLEL_MAX, &options->parallel))
        return zs_parse_usage_error (PROGRAM, "get: --parallel must be 1 to %d", PARALLEL_MAX);
    return -1;
}

//  Several files into a folder, many in flight at once: each goes to a
//  temporary file next to where it belongs, and appears whole and verified
typedef struct {
    zs_client_t *client;
    const char *folder;
    char **names;
    int count;
    int next;           //  Index of the next name to get
    char **temporaries; //  By name index, while its get is in flight
    int *fds;           //  By name index, while its get is in flight
    zhashx_t *made;     //  Folders the batch made, while they are there
    int failures;
} batch_t;

//  Whether path names something other than a file or a folder: a device, a
//  pipe or a socket, which a get must write into, never replace
static bool
s_is_special (const char *path)
{
    struct stat target;
    return stat (path, &target) == 0 && !S_ISREG (target.st_mode) && !S_ISDIR (target.st_mode);
}

//  Where a get's output is written before it appears whole: a hidden file
//  in the same folder (a rename does not cross file systems), whose name
//  does not grow with the output's
static char *
s_temporary_for (const char *path)
{
    const char *slash = strrchr (path, '/');
    return slash ? zsys_sprintf ("%.*s/.zstore-XXXXXX", (int) (slash - path), path)
                 : strdup (".zstore-XXXXXX");
}

//  Puts a complete output in its place, durably, with the permissions that
//  a new file gets
static int
s_publish (int fd, const char *temporary, const char *path)
{
    mode_t mask = umask (0);
    umask (mask);
    return fchmod (fd, 0666 & ~mask) || fsync (fd) || rename (temporary, path) ? -1 : 0;
}

//  Makes the folders a name's file goes into; those it made go in made, if
//  not NULL
static int
s_make_folders (const char *path, zhashx_t *made)
{
    char *copy = strdup (path);
    if (!copy)
        return -1;
    int rc = 0;
    for (char *slash = strchr (copy + 1, '/'); slash && rc == 0; slash = strchr (slash + 1, '/')) {
        *slash = 0;
        if (mkdir (copy, 0755) == 0) {
            if (made)
                zhashx_update (made, copy, made);
        }
        else if (errno != EEXIST)
            rc = -1;
        *slash = '/';
    }
    free (copy);
    return rc;
}

//  Removes the folders above path that made holds and that are empty,
//  deepest first, past those that were never made: a file that failed
//  leaves no folder behind that was made for it alone
static void
s_remove_folders (const char *path, zhashx_t *made)
{
    char *copy = strdup (path);
    for (char *slash = copy ? strrchr (copy, '/') : NULL; slash; slash = strrchr (copy, '/')) {
        *slash = 0;
        struct stat folder;
        if (!zhashx_lookup (made, copy)) {
            if (stat (copy, &folder) == 0 || (errno != ENOENT && errno != ENAMETOOLONG))
                break;
        }
        else if (rmdir (copy) == 0)
            zhashx_delete (made, copy);
        else
            break;
    }
    free (copy);
}

static bool
s_batch_next (void *arg, const char **name, int *fd)
{
    batch_t *batch = (batch_t *) arg;
    while (batch->next < batch->count) {
        int index = batch->next++;
        char *path = zsys_sprintf ("%s/%s", batch->folder, batch->names[index]);
        if (path && s_is_special (path)) {
            fprintf (stderr, "zstore: get %s: '%s' is not a regular file\n", batch->names[index],
                     path);
            batch->failures++;
            zstr_free (&path);
            continue;
        }
        char *temporary = path ? s_temporary_for (path) : NULL;
        zstr_free (&path);
        int file =
            temporary && s_make_folders (temporary, batch->made) == 0 ? mkstemp (temporary) : -1;
        if (file < 0) {
            fprintf (stderr, "zstore: get %s: cannot write in '%s': %s\n", batch->names[index],
                     batch->folder, strerror (errno));
            if (temporary)
                s_remove_folders (temporary, batch->made);
            batch->failures++;
            zstr_free (&temporary);
            continue;
        }
        batch->temporaries[index] = temporary;
        batch->fds[index] = file;
        *name = batch->names[index];
        *fd = file;
        return true;
    }
    return false;
}

static void
s_batch_done (void *arg, const char *name, int fd, int rc)
{
    batch_t *batch = (batch_t *) arg;
    int index = 0;
    while (batch->fds[index] != fd)
        index++;
    char *path = zsys_sprintf ("%s/%s", batch->folder, name);
    if (rc)
        s_failed (batch->client, "get %s", name);
    else if (!path || s_publish (fd, batch->temporaries[index], path)) {
        fprintf (stderr, "zstore: get: cannot write '%s': %s\n", path ? path : name,
                 strerror (errno));
        rc = -1;
    }
    if (rc) {
        unlink (batch->temporaries[index]);
        s_remove_folders (batch->temporaries[index], batch->made);
        batch->failures++;
    }
    close (fd);
    batch->fds[index] = -1;
    zstr_free (&batch->temporaries[index]);
    zstr_free (&path);
}

static int
s_get_many (context_t *context, char **names, int count, const get_options_t *options)
{
    for (int index = 0; index < count; index++) {
        int rc = s_bad_name (names[index]);
        if (rc >= 0)
            return rc;
    }
    if (!options->output || streq (options->output, "-"))
        return zs_parse_usage_error (PROGRAM, "get: several files need -o FOLDER");
    char *inside = zsys_sprintf ("%s/", options->output);
    int made = inside ? s_make_folders (inside, NULL) : -1;
    zstr_free (&inside);
    if (made) {
        fprintf (stderr, "zstore: get: cannot make '%s': %s\n", options->output, strerror (errno));
        return EXIT_FAILED;
    }
    batch_t batch = { .folder = options->output,
                      .names = names,
                      .count = count,
                      .temporaries = (char **) calloc ((size_t) count, sizeof (char *)),
                      .fds = (int *) malloc ((size_t) count * sizeof (int)),
                      .made = zhashx_new () };
    if (!batch.temporaries || !batch.fds || !batch.made) {
        free (batch.temporaries);
        free (batch.fds);
        zhashx_destroy (&batch.made);
        fprintf (stderr, "zstore: get: out of memory\n");
        return EXIT_FAILED;
    }
    for (int index = 0; index < count; index++)
        batch.fds[index] = -1;
    batch.client = s_connect (context);
    int rc = EXIT_FAILED;
    if (batch.client) {
        rc = zs_client_get_many (batch.client, options->parallel, s_batch_next, s_batch_done,
                                 &batch);
        //  Files never asked for, when interrupted, failed too
        int failed = batch.failures + (batch.count - batch.next);
        if (failed)
            fprintf (stderr, "zstore: get: %d of %d files failed\n", failed, count);
        else if (rc)
            s_failed (batch.client, "get");
        rc = failed || rc ? EXIT_FAILED : 0;
    }
    zs_client_destroy (&batch.client);
    free (batch.temporaries);
    free (batch.fds);
    zhashx_destroy (&batch.made);
    return rc;
}

static int
s_get (context_t *context, int argc, char *argv[])
{
    static const struct option options[] = {
        { "output", required_argument, NULL, 'o' },
        { "parallel", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    get_options_t settings = { NULL, PARALLEL_DEFAULT };
    int rc = s_options ("get", argc, argv, "o:j:h", options, s_get_option, &settings);
    if (rc >= 0 || (rc = s_arguments ("get", argc, 1, INT_MAX)) >= 0)
        return rc;
    if (argc - optind > 1)
        return s_get_many (context, argv + optind, argc - optind, &settings);
    const char *output = settings.output;
    const char *name = argv[optind];
    if ((rc = s_bad_name (name)) >= 0)
        return rc;
    bool to_stdout = !output || streq (output, "-");
    //  A device or a pipe is written into as it is
    bool in_place = !to_stdout && s_is_special (output);
    //  A file output appears whole or not at all
    char *temporary = NULL;
    int fd = STDOUT_FILENO;
    if (in_place && (fd = open (output, O_WRONLY | O_CLOEXEC)) < 0) {
        fprintf (stderr, "zstore: get: cannot write '%s': %s\n", output, strerror (errno));
        return EXIT_FAILED;
    }
    if (!to_stdout && !in_place) {
        temporary = s_temporary_for (output);
        fd = temporary ? mkstemp (temporary) : -1;
        if (fd < 0) {
            fprintf (stderr, "zstore: get: cannot write next to '%s': %s\n", output,
                     strerror (errno));
            zstr_free (&temporary);
            return EXIT_FAILED;
        }
    }
    zs_client_t *client = s_connect (context);
    rc = EXIT_FAILED;
    if (client && zs_client_get (client, name, fd, NULL) == 0) {
        rc = 0;
        if (temporary && s_publish (fd, temporary, output)) {
            fprintf (stderr, "zstore: get: cannot write '%s': %s\n", output, strerror (errno));
            rc = EXIT_FAILED;
        }
    }
    else if (client)
        rc = s_failed (client, "get %s", name);
    if (!to_stdout)
        close (fd);
    if (temporary && rc)
        unlink (temporary);
    zstr_free (&temporary);
    zs_client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  ls and stat

static void
s_json_file (zs_json_t *json, const zs_fileinfo_t *info, bool full)
{
    char checksum[ZS_CHECKSUM_SIZE * 2 + 1];
    zs_client_checksum_hex (info->checksum, checksum);
    zs_json_object (json);
    zs_json_key (json, "name");
    zs_json_string (json, info->name);
    zs_json_key (json, "size");
    zs_json_number (json, info->size);
    if (full) {
        zs_json_key (json, "checksum");
        zs_json_string (json, checksum);
    }
    zs_json_key (json, "version");
    zs_json_number (json, info->version);
    zs_json_key (json, "replicas");
    zs_json_object (json);
    zs_json_key (json, "desired");
    zs_json_number (json, info->desired);
    zs_json_key (json, "actual");
    zs_json_number (json, info->actual);
    zs_json_end (json);
    if (full) {
        zs_json_key (json, "buckets");
        zs_json_array (json);
        char *list = strdup (info->buckets);
        char *state = NULL;
        for (char *id = strtok_r (list, ",", &state); id; id = strtok_r (NULL, ",", &state))
            zs_json_string (json, id);
        free (list);
        zs_json_end (json);
    }
    zs_json_end (json);
}

static int
s_print_json (zs_json_t *json)
{
    const char *text = zs_json_text (json);
    if (!text) {
        fprintf (stderr, "zstore: out of memory\n");
        return EXIT_FAILED;
    }
    printf ("%s\n", text);
    return 0;
}

static int
s_ls (context_t *context, int argc, char *argv[])
{
    bool json = false;
    int rc = s_options ("ls", argc, argv, "h", s_json_options, s_set_flag, &json);
    if (rc >= 0 || (rc = s_arguments ("ls", argc, 0, 0)) >= 0)
        return rc;
    zs_client_t *client = s_connect (context);
    if (!client)
        return EXIT_FAILED;
    zlistx_t *files = zs_client_list (client);
    if (!files) {
        rc = s_failed (client, "ls");
        zs_client_destroy (&client);
        return rc;
    }
    zs_json_t *writer = json ? zs_json_new () : NULL;
    if (writer)
        zs_json_array (writer);
    const zs_fileinfo_t *info = (const zs_fileinfo_t *) zlistx_first (files);
    for (; info; info = (const zs_fileinfo_t *) zlistx_next (files)) {
        if (writer)
            s_json_file (writer, info, false);
        else
            printf ("%12" PRIu64 "  %u/%u  %s\n", info->size, info->actual, info->desired,
                    info->name);
    }
    rc = 0;
    if (writer) {
        zs_json_end (writer);
        rc = s_print_json (writer);
    }
    zs_json_destroy (&writer);
    zlistx_destroy (&files);
    zs_client_destroy (&client);
    return rc;
}

static int
s_stat (context_t *context, int argc, char *argv[])
{
    bool json = false;
    int rc = s_options ("stat", argc, argv, "h", s_json_options, s_set_flag, &json);
    if (rc >= 0 || (rc = s_arguments ("stat", argc, 1, 1)) >= 0)
        return rc;
    const char *name = argv[optind];
    if ((rc = s_bad_name (name)) >= 0)
        return rc;
    zs_client_t *client = s_connect (context);
    if (!client)
        return EXIT_FAILED;
    zs_fileinfo_t *info = zs_client_stat (client, name);
    rc = 0;
    if (!info)
        rc = s_failed (client, "stat %s", name);
    else if (json) {
        zs_json_t *writer = zs_json_new ();
        s_json_file (writer, info, true);
        rc = s_print_json (writer);
        zs_json_destroy (&writer);
    }
    else {
        char checksum[ZS_CHECKSUM_SIZE * 2 + 1];
        zs_client_checksum_hex (info->checksum, checksum);
        printf ("name:     %s\nsize:     %" PRIu64 "\nchecksum: %s\nversion:  %" PRIu64
                "\nreplicas: %u/%u\nbuckets:  %s\n",
                info->name, info->size, checksum, info->version, info->actual, info->desired,
                info->buckets);
    }
    zs_fileinfo_destroy (&info);
    zs_client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  rm and replicas

static int
s_rm (context_t *context, int argc, char *argv[])
{
    int rc = s_options ("rm", argc, argv, "h", s_help_only, s_no_options, NULL);
    if (rc >= 0 || (rc = s_arguments ("rm", argc, 1, 1)) >= 0)
        return rc;
    const char *name = argv[optind];
    if ((rc = s_bad_name (name)) >= 0)
        return rc;
    zs_client_t *client = s_connect (context);
    if (!client)
        return EXIT_FAILED;
    rc = 0;
    if (zs_client_remove (client, name))
        rc = s_failed (client, "rm %s", name);
    else
        printf ("removed %s\n", name);
    zs_client_destroy (&client);
    return rc;
}

static int
s_replicas (context_t *context, int argc, char *argv[])
{
    int rc = s_options ("replicas", argc, argv, "h", s_help_only, s_no_options, NULL);
    if (rc >= 0 || (rc = s_arguments ("replicas", argc, 2, 2)) >= 0)
        return rc;
    const char *name = argv[optind];
    uint64_t replicas;
    if ((rc = s_bad_name (name)) >= 0)
        return rc;
    if (zs_parse_count (argv[optind + 1], 1, ZS_REPLICAS_MAX, &replicas))
        return zs_parse_usage_error (PROGRAM, "replicas: N must be 1 to %d", ZS_REPLICAS_MAX);
    zs_client_t *client = s_connect (context);
    if (!client)
        return EXIT_FAILED;
    uint8_t copies = 0;
    rc = 0;
    if (zs_client_set_replicas (client, name, (uint8_t) replicas, &copies))
        rc = s_failed (client, "replicas %s", name);
    else
        printf ("%s: %" PRIu64 " replicas, %u live copies\n", name, replicas, copies);
    zs_client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  drain, undrain, forget, rebalance

//  The administrative commands take a bucket id, except rebalance
static int
s_admin (context_t *context, int argc, char *argv[])
{
    const char *command = argv[0];
    bool with_bucket = strneq (command, "rebalance");
    int rc = s_options (command, argc, argv, "h", s_help_only, s_no_options, NULL);
    if (rc >= 0 || (rc = s_arguments (command, argc, with_bucket, with_bucket)) >= 0)
        return rc;
    const char *bucket = with_bucket ? argv[optind] : NULL;
    if (bucket && zs_name_check_bucket (bucket))
        return zs_parse_usage_error (PROGRAM, "%s: bad bucket id '%s'", command, bucket);
    zs_client_t *client = s_connect (context);
    if (!client)
        return EXIT_FAILED;
    char *answer = NULL;
    rc = 0;
    if (zs_client_admin (client, command, bucket, &answer))
        rc =
            bucket ? s_failed (client, "%s %s", command, bucket) : s_failed (client, "%s", command);
    else
        printf ("%s\n", answer);
    free (answer);
    zs_client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  keygen

static int
s_keygen_option (int option, void *arg)
{
    if (option != 'd')
        return -1;
    *(const char **) arg = optarg;
    return -1;
}

static int
s_keygen (context_t *context, int argc, char *argv[])
{
    (void) context;
    static const struct option options[] = {
        { "dir", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *folder = ".";
    int rc = s_options ("keygen", argc, argv, "hd:", options, s_keygen_option, &folder);
    if (rc >= 0 || (rc = s_arguments ("keygen", argc, 1, 1)) >= 0)
        return rc;
    const char *name = argv[optind];
    char error[512];
    if (zs_secure_keygen (folder, name, error, sizeof (error))) {
        fprintf (stderr, "zstore: keygen %s: %s\n", name, error);
        return EXIT_FAILED;
    }
    printf ("wrote %s/%s.cert (public: give it to the gateway) and %s/%s.cert_secret (keep it "
            "private)\n",
            folder, name, folder, name);
    return 0;
}

//  --------------------------------------------------------------------------
//  status

static void
s_status_json (zs_proto_t *status, zs_json_t *json)
{
    zs_json_object (json);
    zs_report_status (json, status);
    zs_json_end (json);
}

static void
s_status_table (zs_proto_t *status)
{
    char used[32], free_text[32];
    zs_parse_format_size (zs_proto_used (status), used, sizeof (used));
    printf ("files: %" PRIu64 " (%s)  under-replicated: %" PRIu64 "%s\n", zs_proto_files (status),
            used, zs_proto_under_replicated (status),
            zs_proto_recovering (status) ? "  (recovering: buckets still reporting)" : "");
    uint64_t speed = zs_proto_repair_rate (status);
    if (zs_proto_repairs (status) || zs_proto_repairing (status)) {
        char left[32], rate[32];
        zs_parse_format_size (zs_proto_repair_bytes (status), left, sizeof (left));
        zs_parse_format_size (speed, rate, sizeof (rate));
        printf ("repair: %" PRIu64 " files waiting, %u in flight, %s left at %s/s",
                zs_proto_repairs (status), zs_proto_repairing (status), left, rate);
        if (speed)
            printf (", about %" PRIu64 " s to go", zs_proto_repair_bytes (status) / speed);
        printf ("\n");
    }
    printf ("\n");
    printf ("%-16s %-10s %-8s %10s %10s %12s %12s\n", "BUCKET", "ZONE", "STATE", "HEARTBEAT",
            "FILES", "USED", "FREE");
    zlistx_t *buckets = zs_proto_buckets (status);
    const zs_bucketinfo_t *bucket = (const zs_bucketinfo_t *) zlistx_first (buckets);
    for (; bucket; bucket = (const zs_bucketinfo_t *) zlistx_next (buckets)) {
        char age[32];
        snprintf (age, sizeof (age), "%" PRIu64 " ms", bucket->heartbeat_age);
        zs_parse_format_size (bucket->used, used, sizeof (used));
        zs_parse_format_size (bucket->free, free_text, sizeof (free_text));
        printf ("%-16s %-10s %-8s %10s %10" PRIu64 " %12s %12s\n", bucket->id,
                *bucket->zone ? bucket->zone : "-", bucket->state, age, bucket->files, used,
                free_text);
    }
}

static int
s_status (context_t *context, int argc, char *argv[])
{
    bool json = false;
    int rc = s_options ("status", argc, argv, "h", s_json_options, s_set_flag, &json);
    if (rc >= 0 || (rc = s_arguments ("status", argc, 0, 0)) >= 0)
        return rc;
    zs_client_t *client = s_connect (context);
    if (!client)
        return EXIT_FAILED;
    zs_proto_t *status = zs_client_status (client);
    rc = 0;
    if (!status)
        rc = s_failed (client, "status");
    else if (json) {
        zs_json_t *writer = zs_json_new ();
        s_status_json (status, writer);
        rc = s_print_json (writer);
        zs_json_destroy (&writer);
    }
    else
        s_status_table (status);
    zs_proto_destroy (&status);
    zs_client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  Main

static const command_t s_commands[] = {
    { "put", s_put, "LOCAL_FILE [NAME] [-r N]",
      "Store a file (NAME defaults to its base name; LOCAL_FILE - reads standard input).",
      "  -r, --replicas N   copies to keep, 1 to 16 (default: the gateway's)\n" },
    { "get", s_get, "NAME [-o OUT] | NAME... -o FOLDER [-j N]",
      "Fetch a file to OUT, or to standard output when OUT is - or not given; or\n"
      "fetch several files into FOLDER, each to FOLDER/NAME, many at once.",
      "  -o, --output OUT   write here; a file appears only when complete and verified;\n"
      "                     a device or a pipe is written into as it is\n"
      "  -j, --parallel N   files in flight at once, 1 to 256 (default 16)\n" },
    { "ls", s_ls, "[--json]", "List your files: size, live copies / replica count, name.",
      "  --json   one JSON array\n" },
    { "stat", s_stat, "NAME [--json]",
      "Show one file: size, checksum, version, replicas, buckets holding it.",
      "  --json   one JSON object\n" },
    { "rm", s_rm, "NAME", "Remove a file, every copy of it.", "" },
    { "replicas", s_replicas, "NAME N", "Change the number of copies of a stored file.", "" },
    { "status", s_status, "[--json]",
      "Show the cluster: buckets, their state, heartbeat age and usage.",
      "  --json   one JSON object\n" },
    { "drain", s_admin, "BUCKET",
      "Copy everything a bucket holds elsewhere, so that it may be stopped.", "" },
    { "undrain", s_admin, "BUCKET", "Let a draining bucket take new copies again.", "" },
    { "forget", s_admin, "BUCKET", "Forget a dead or drained bucket for good.", "" },
    { "rebalance", s_admin, "", "Move copies from the fullest buckets to the emptiest.", "" },
    { "keygen", s_keygen, "NAME [-d DIR]",
      "Make a key pair for secure mode: DIR/NAME.cert and DIR/NAME.cert_secret.",
      "  -d, --dir DIR   where to write them (default: the current folder)\n" },
};

#define COMMAND_COUNT (sizeof (s_commands) / sizeof (s_commands[0]))

static const command_t *
s_find_command (const char *name)
{
    for (size_t index = 0; index < COMMAND_COUNT; index++)
        if (streq (s_commands[index].name, name))
            return &s_commands[index];
    return NULL;
}

static void
s_usage (FILE *stream)
{
    fprintf (stream, "usage: zstore [-g ENDPOINT] [-u USER] [--timeout SEC] COMMAND ...\n\n");
    for (size_t index = 0; index < COMMAND_COUNT; index++)
        fprintf (stream, "  %-8s %-26s %s\n", s_commands[index].name, s_commands[index].usage,
                 s_commands[index].summary);
    fprintf (stream,
             "\n"
             "  -g, --gateway ENDPOINT   the gateway's client endpoint (default $ZSTORE_GATEWAY,\n"
             "                           else tcp://127.0.0.1:5555)\n"
             "  -u, --user USER          whose files (default $ZSTORE_USER, else your login)\n"
             "  --timeout SEC            how long to wait for the gateway (default 10)\n"
             "  --secure                 speak CURVE with the gateway (implied by $ZSTORE_CERT)\n"
             "  --cert FILE              your key pair, NAME.cert_secret (default $ZSTORE_CERT);\n"
             "                           in secure mode its name is the user\n"
             "  --gateway-key FILE       the gateway's public key, its .cert file (default\n"
             "                           $ZSTORE_GATEWAY_KEY)\n"
             "  -h, --help               this help; COMMAND --help for a command's\n"
             "\n"
             "Exit status: 0 success, 1 the operation failed, 2 wrong usage.\n");
}

static const char *
s_login_name (void)
{
    struct passwd *entry = getpwuid (geteuid ());
    return entry ? entry->pw_name : NULL;
}

//  An environment variable, NULL when unset or empty
static const char *
s_env (const char *name)
{
    const char *value = getenv (name);
    return value && *value ? value : NULL;
}

//  In secure mode the key pair names the user: a user given otherwise must
//  be the same one
static int
s_check_secure (context_t *context, bool secure)
{
    if (!secure && !context->cert)
        return -1;
    if (!context->cert || !context->gateway_key)
        return zs_parse_usage_error (
            PROGRAM, "secure mode needs --cert and --gateway-key (or ZSTORE_CERT and "
                     "ZSTORE_GATEWAY_KEY)");
    char error[512];
    zs_secure_t *secure_keys =
        zs_secure_new (context->cert, context->gateway_key, error, sizeof (error));
    if (!secure_keys)
        return zs_parse_usage_error (PROGRAM, "%s", error);
    const char *name = zs_secure_name (secure_keys);
    int rc = -1;
    if (!name)
        rc = zs_parse_usage_error (PROGRAM, "%s names no user", context->cert);
    else if (context->user_given && strneq (context->user, name))
        rc = zs_parse_usage_error (
            PROGRAM,
            "the key pair is user %s's, not %s's: in secure mode the key says "
            "who you are",
            name, context->user);
    zs_secure_destroy (&secure_keys);
    return rc;
}

int
main (int argc, char *argv[])
{
    static const struct option options[] = {
        { "gateway", required_argument, NULL, 'g' },
        { "user", required_argument, NULL, 'u' },
        { "timeout", required_argument, NULL, 't' },
        { "secure", no_argument, NULL, 'S' },
        { "cert", required_argument, NULL, 'C' },
        { "gateway-key", required_argument, NULL, 'K' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *gateway = s_env ("ZSTORE_GATEWAY");
    context_t context = { gateway ? gateway : "tcp://127.0.0.1:5555",
                          s_env ("ZSTORE_USER") ? s_env ("ZSTORE_USER") : s_login_name (),
                          s_env ("ZSTORE_USER") != NULL,
                          10000,
                          s_env ("ZSTORE_CERT"),
                          s_env ("ZSTORE_GATEWAY_KEY") };
    bool secure = false;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, "+g:u:h", options, NULL)) != -1) {
        uint64_t seconds;
        switch (option) {
            case 'g': context.endpoint = optarg; break;
            case 'u':
                context.user = optarg;
                context.user_given = true;
                break;
            case 'S': secure = true; break;
            case 'C': context.cert = optarg; break;
            case 'K': context.gateway_key = optarg; break;
            case 't':
                if (zs_parse_count (optarg, 1, 86400, &seconds))
                    return zs_parse_usage_error (PROGRAM, "--timeout must be 1 to 86400 seconds");
                context.timeout = (int64_t) seconds * 1000;
                break;
            case 'h': s_usage (stdout); return 0;
            default:
                return zs_parse_usage_error (PROGRAM, "unknown option or missing value '%s'",
                                             argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return zs_parse_usage_error (PROGRAM, "no command given");
    const command_t *command = s_find_command (argv[optind]);
    if (!command)
        return zs_parse_usage_error (PROGRAM, "unknown command '%s'", argv[optind]);
    zsys_init ();
    zsys_set_logstream (stderr);
    if (command->run == s_keygen)
        return command->run (&context, argc - optind, argv + optind);
    int rc = s_check_secure (&context, secure);
    if (rc >= 0)
        return rc;
    if (!context.cert) {
        if (!context.user)
            return zs_parse_usage_error (PROGRAM, "no user: give -u USER or set ZSTORE_USER");
        const char *problem = zs_name_check_user (context.user);
        if (problem)
            return zs_parse_usage_error (PROGRAM, "bad user '%s': %s", context.user, problem);
    }
    else
        context.user = "unknown"; //  Until the key pair names the user
    return command->run (&context, argc - optind, argv + optind);
}
