/*  zs_cluster - a local cluster of real processes for the benchmark
 */

#include "zs_cluster.h"
#include "zs_client.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define PROCESS_MAX   17   //  The gateway and up to 16 buckets
#define POLL_INTERVAL 20   //  ms between looks at a log or a status
#define STOP_GRACE    5000 //  ms a process has to stop after SIGTERM

typedef struct {
    char *name; //  gateway, b1, b2...
    char *log;  //  Path of its log
    pid_t pid;  //  0 once reaped
    int status; //  How it ended, once reaped
} process_t;

struct _zs_cluster_t {
    char *folder;
    char *endpoint; //  Clients
    process_t processes[PROCESS_MAX];
    int count;
};

//  Starts program with argv, output to log; the child goes when we do, so
//  that a benchmark that crashes leaves nothing running
static pid_t
s_spawn (const char *program, char *const argv[], const char *log)
{
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid != 0)
        return pid;
    //  Only async-signal-safe calls from here to exec
    if (prctl (PR_SET_PDEATHSIG, SIGTERM) || getppid () != parent)
        _exit (127);
    int output = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int input = open ("/dev/null", O_RDONLY);
    if (output < 0 || input < 0 || dup2 (input, 0) < 0 || dup2 (output, 1) < 0
        || dup2 (output, 2) < 0)
        _exit (127);
    execv (program, argv);
    _exit (127);
}

static int
s_start (zs_cluster_t *self, const char *bin, const char *program, const char *name,
         char *const argv[])
{
    assert (self->count < PROCESS_MAX);
    char *path = zsys_sprintf ("%s/%s", bin, program);
    if (access (path, X_OK)) {
        fprintf (stderr, "zstore-bench: cannot run %s: %s\n", path, strerror (errno));
        zstr_free (&path);
        return -1;
    }
    process_t *process = &self->processes[self->count];
    process->name = strdup (name);
    process->log = zsys_sprintf ("%s/%s.log", self->folder, name);
    process->pid = s_spawn (path, argv, process->log);
    zstr_free (&path);
    if (process->pid < 0) {
        fprintf (stderr, "zstore-bench: cannot start %s: %s\n", name, strerror (errno));
        process->pid = 0;
        return -1;
    }
    self->count++;
    return 0;
}

//  Reaps a process that ended; true while it runs
static bool
s_alive (process_t *process)
{
    if (process->pid == 0)
        return false;
    if (waitpid (process->pid, &process->status, WNOHANG) == process->pid) {
        process->pid = 0;
        return false;
    }
    return true;
}

//  The gateway binds to ports the kernel picks and logs them: the only
//  place they can be read from
static char *
s_read_endpoints (zs_cluster_t *self, int64_t until, char **buckets)
{
    process_t *gateway = &self->processes[0];
    while (zclock_mono () < until && !zsys_interrupted && s_alive (gateway)) {
        char *text = NULL;
        FILE *file = fopen (gateway->log, "r");
        if (file) {
            char line[1024];
            while (!text && fgets (line, sizeof (line), file)) {
                char *clients = strstr (line, "clients on ");
                char *bucket = strstr (line, ", buckets on ");
                char *events = strstr (line, ", events on ");
                if (clients && bucket && events && clients < bucket && bucket < events) {
                    *bucket = 0;
                    *events = 0;
                    text = strdup (clients + strlen ("clients on "));
                    *buckets = strdup (bucket + strlen (", buckets on "));
                }
            }
            fclose (file);
        }
        if (text)
            return text;
        zclock_sleep (POLL_INTERVAL);
    }
    return NULL;
}

//  Every bucket alive and the index complete
static bool
s_ready (zs_client_t *client, int buckets)
{
    zs_proto_t *status = zs_client_status (client);
    if (!status)
        return false;
    int alive = 0;
    zlistx_t *list = zs_proto_buckets (status);
    for (zs_bucketinfo_t *bucket = (zs_bucketinfo_t *) zlistx_first (list); bucket;
         bucket = (zs_bucketinfo_t *) zlistx_next (list))
        if (streq (bucket->state, "alive"))
            alive++;
    bool ready = alive == buckets && !zs_proto_recovering (status);
    zs_proto_destroy (&status);
    return ready;
}

zs_cluster_t *
zs_cluster_new (const char *bin, const char *folder, int buckets, int64_t timeout)
{
    assert (bin && folder && buckets > 0 && buckets < PROCESS_MAX);
    zs_cluster_t *self = (zs_cluster_t *) zmalloc (sizeof (zs_cluster_t));
    if (!self)
        return NULL;
    self->folder = strdup (folder);
    int64_t until = zclock_mono () + timeout;
    //  Default settings, but for a short recovery at start: the gateway
    //  starts empty, and the buckets register at once
    char *gateway_argv[] = { "zstore-gateway",
                             "--clients",
                             "tcp://127.0.0.1:*",
                             "--buckets",
                             "tcp://127.0.0.1:*",
                             "--events",
                             "tcp://127.0.0.1:*",
                             "--recovery",
                             "500",
                             NULL };
    char *bucket_endpoint = NULL;
    bool started = s_start (self, bin, "zstore-gateway", "gateway", gateway_argv) == 0;
    if (started) {
        self->endpoint = s_read_endpoints (self, until, &bucket_endpoint);
        if (!self->endpoint) {
            fprintf (stderr, "zstore-bench: the gateway did not start\n");
            started = false;
        }
    }
    for (int index = 1; started && index <= buckets; index++) {
        char id[16], zone[16];
        snprintf (id, sizeof (id), "b%d", index);
        snprintf (zone, sizeof (zone), "z%d", index);
        char *data = zsys_sprintf ("%s/data/%s", folder, id);
        char *bucket_argv[] = { "zstore-bucket", "--id", id,       "--gateway", bucket_endpoint,
                                "--data",        data,   "--zone", zone,        NULL };
        started = s_start (self, bin, "zstore-bucket", id, bucket_argv) == 0;
        zstr_free (&data);
    }
    zstr_free (&bucket_endpoint);
    if (started) {
        zs_client_t *client = zs_client_new (self->endpoint, "bench");
        if (client)
            zs_client_set_timeout (client, 1000);
        started = false;
        while (client && !zsys_interrupted && zclock_mono () < until && zs_cluster_running (self)) {
            if (s_ready (client, buckets)) {
                started = true;
                break;
            }
            zclock_sleep (POLL_INTERVAL);
        }
        zs_client_destroy (&client);
        if (!started && !zsys_interrupted)
            fprintf (stderr, "zstore-bench: the cluster was not ready within %" PRId64 " ms\n",
                     timeout);
    }
    if (!started) {
        zs_cluster_print_logs (self, 10);
        zs_cluster_destroy (&self);
    }
    return self;
}

void
zs_cluster_destroy (zs_cluster_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_cluster_t *self = *self_p;
        for (int index = 0; index < self->count; index++)
            if (self->processes[index].pid)
                kill (self->processes[index].pid, SIGTERM);
        int64_t until = zclock_mono () + STOP_GRACE;
        for (int index = 0; index < self->count; index++) {
            process_t *process = &self->processes[index];
            while (s_alive (process) && zclock_mono () < until)
                zclock_sleep (POLL_INTERVAL);
            if (process->pid) {
                fprintf (stderr, "zstore-bench: %s did not stop, killing it\n", process->name);
                kill (process->pid, SIGKILL);
                waitpid (process->pid, &process->status, 0);
                process->pid = 0;
            }
            free (process->name);
            zstr_free (&process->log);
        }
        zstr_free (&self->endpoint);
        free (self->folder);
        free (self);
        *self_p = NULL;
    }
}

const char *
zs_cluster_endpoint (zs_cluster_t *self)
{
    assert (self);
    return self->endpoint;
}

pid_t
zs_cluster_pid (zs_cluster_t *self, int index)
{
    assert (self);
    return index >= 0 && index < self->count ? self->processes[index].pid : 0;
}

bool
zs_cluster_running (zs_cluster_t *self)
{
    assert (self);
    for (int index = 0; index < self->count; index++) {
        process_t *process = &self->processes[index];
        if (!s_alive (process)) {
            if (WIFSIGNALED (process->status))
                fprintf (stderr, "zstore-bench: %s was killed by signal %d\n", process->name,
                         WTERMSIG (process->status));
            else
                fprintf (stderr, "zstore-bench: %s exited with status %d\n", process->name,
                         WEXITSTATUS (process->status));
            return false;
        }
    }
    return true;
}

//  VmHWM of a process, in bytes
static uint64_t
s_peak (pid_t pid)
{
    if (pid == 0)
        return 0;
    char path[64], line[256];
    snprintf (path, sizeof (path), "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    unsigned long long kilobytes = 0;
    while (fgets (line, sizeof (line), file))
        if (sscanf (line, "VmHWM: %llu kB", &kilobytes) == 1)
            break;
    fclose (file);
    return (uint64_t) kilobytes * 1024;
}

uint64_t
zs_cluster_peak_gateway (zs_cluster_t *self)
{
    assert (self);
    return self->count > 0 ? s_peak (self->processes[0].pid) : 0;
}

uint64_t
zs_cluster_peak_bucket (zs_cluster_t *self)
{
    assert (self);
    uint64_t peak = 0;
    for (int index = 1; index < self->count; index++) {
        uint64_t bytes = s_peak (self->processes[index].pid);
        peak = bytes > peak ? bytes : peak;
    }
    return peak;
}

bool
zs_cluster_reset_peaks (zs_cluster_t *self)
{
    assert (self);
    bool reset = true;
    for (int index = 0; index < self->count; index++) {
        char path[64];
        snprintf (path, sizeof (path), "/proc/%d/clear_refs", (int) self->processes[index].pid);
        int fd = self->processes[index].pid ? open (path, O_WRONLY) : -1;
        //  "5" resets the peak resident set size (Linux 4.0 and later)
        if (fd < 0 || write (fd, "5", 1) != 1)
            reset = false;
        if (fd >= 0)
            close (fd);
    }
    return reset;
}

void
zs_cluster_print_logs (zs_cluster_t *self, int lines)
{
    assert (self);
    for (int index = 0; index < self->count; index++) {
        process_t *process = &self->processes[index];
        FILE *file = fopen (process->log, "r");
        if (!file)
            continue;
        //  Keep the last lines in a ring as the file goes by
        char **ring = (char **) calloc ((size_t) lines, sizeof (char *));
        char line[1024];
        int next = 0;
        while (ring && fgets (line, sizeof (line), file)) {
            free (ring[next]);
            ring[next] = strdup (line);
            next = (next + 1) % lines;
        }
        fclose (file);
        fprintf (stderr, "--- last lines of %s.log\n", process->name);
        for (int shown = 0; ring && shown < lines; shown++) {
            char *text = ring[(next + shown) % lines];
            if (text)
                fputs (text, stderr);
            free (text);
        }
        free (ring);
    }
}
