/*  zstore-monitor - watch a zstore cluster: buckets, heartbeats, events

    Subscribes to the gateway's events first, then asks for a snapshot
    (STATUS), so that no event falls between the two; zs_view applies the
    events after the snapshot and asks for a new one when some are lost or
    the gateway restarts. A snapshot is asked for every interval as well,
    for heartbeat ages and usage.

    It only reads: it sends STATUS and nothing else, and a monitor that is
    slow or stopped loses events (its subscription holds a bounded number)
    rather than slow the gateway; it then re-syncs.

    Exit status: 0 success, 1 the gateway did not answer (--once) or the
    output failed, 2 wrong usage.
*/

#include "zs_client.h"
#include "zs_parse.h"
#include "zs_probe.h"
#include "zs_report.h"
#include "zs_screen.h"
#include "zs_term.h"
#include "zs_view.h"

#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <sys/ioctl.h>

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define PROGRAM     "zstore-monitor"

#define INTERVAL_DEFAULT 500       //  ms between snapshots and redraws
#define INTERVAL_MIN     50        //  ms
#define INTERVAL_MAX     60000     //  ms
#define DRAW_EVERY       500       //  ms between two redraws at most: ages move on
#define DRAW_PAUSE       100       //  ms between two redraws at least: events come in bursts
#define ASK_PAUSE        200       //  ms between two snapshot requests while re-syncing
#define PROBE_TIMEOUT    1000      //  ms a snapshot may take at least; three intervals if longer
#define ONCE_TIMEOUT     5000      //  ms --once waits for the gateway
#define EVENT_HWM        1000      //  Events held for us at most: the rest are dropped
#define EVENT_BATCH      1000      //  Events read at most before looking at keys and the screen
#define CLIENT_USER      "monitor" //  STATUS is nobody's: any valid user name does

typedef struct {
    const char *gateway;     //  Client endpoint
    char *events;            //  Events endpoint
    bool once;               //  One snapshot, then exit
    bool json;               //  JSON lines instead of a screen
    int64_t interval;        //  ms
    const char *cert;        //  Key pair, in secure mode
    const char *gateway_key; //  The gateway's public key, in secure mode
    zs_secure_t *secure;     //  Both, loaded
} options_t;

typedef struct {
    options_t *options;
    zs_view_t *view;
    zs_probe_t *probe;
    zsock_t *subscriber; //  The gateway's events
    zs_proto_t *event;   //  Event received
    zs_term_t *term;     //  The terminal, when standard output is one
    zs_screen_t *screen;
    bool colour;
    bool utf8;
    int64_t next_ask;  //  Monotonic ms of the next snapshot request
    int64_t last_ask;  //  Of the last one
    int64_t next_draw; //  Of the next redraw at the latest
    int64_t last_draw; //  Of the last one
    bool dirty;        //  Something changed since the last draw
    bool quit;
    int status; //  Exit status
} monitor_t;

static void
s_usage (FILE *stream)
{
    fprintf (stream,
             "usage: zstore-monitor [-g CLIENT_ENDPOINT] [--events EVENTS_ENDPOINT] [--once]\n"
             "                      [--json] [--interval MS]\n"
             "\n"
             "Watch a zstore cluster: the gateway, every bucket with its heartbeats, and\n"
             "the latest events, live in the terminal. q or Ctrl-C quits.\n"
             "\n"
             "  -g, --gateway ENDPOINT   the gateway's client endpoint (default $ZSTORE_GATEWAY,\n"
             "                           else tcp://127.0.0.1:5555)\n"
             "  --events ENDPOINT        its event endpoint (default $ZSTORE_EVENTS, else the\n"
             "                           gateway's host with its port + 2)\n"
             "  --once                   print the cluster once, as a table, and exit\n"
             "  --json                   print JSON lines instead: the snapshot, then each\n"
             "                           event (with --once, only the snapshot)\n"
             "  --interval MS            between snapshots and redraws, %d to %d\n"
             "                           (default %d)\n"
             "  --secure                 speak CURVE with the gateway (implied by $ZSTORE_CERT)\n"
             "  --cert FILE              the monitor's key pair (default $ZSTORE_CERT); its\n"
             "                           public key must be in the gateway's user keys\n"
             "  --gateway-key FILE       the gateway's public key (default $ZSTORE_GATEWAY_KEY)\n"
             "  -h, --help               this help\n"
             "\n"
             "Exit status: 0 success, 1 the gateway did not answer (--once), 2 wrong usage.\n",
             INTERVAL_MIN, INTERVAL_MAX, INTERVAL_DEFAULT);
}

//  The events endpoint next to a tcp://HOST:PORT client endpoint: the same
//  host, port + 2, as the gateway binds them by default. NULL otherwise.
static char *
s_events_next_to (const char *gateway)
{
    if (strncmp (gateway, "tcp://", 6))
        return NULL;
    const char *colon = strrchr (gateway, ':');
    uint64_t port;
    if (colon < gateway + 6 || zs_parse_count (colon + 1, 1, 65533, &port))
        return NULL;
    return zsys_sprintf ("%.*s:%" PRIu64, (int) (colon - gateway), gateway, port + 2);
}

//  Reads the command line; returns -1 to go on, or an exit status
static int
s_options (options_t *options, int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "gateway", required_argument, NULL, 'g' },
        { "events", required_argument, NULL, 'e' },
        { "once", no_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },
        { "interval", required_argument, NULL, 'i' },
        { "secure", no_argument, NULL, 'S' },
        { "cert", required_argument, NULL, 'C' },
        { "gateway-key", required_argument, NULL, 'K' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *cert = getenv ("ZSTORE_CERT");
    const char *gateway_key = getenv ("ZSTORE_GATEWAY_KEY");
    options->cert = cert && *cert ? cert : NULL;
    options->gateway_key = gateway_key && *gateway_key ? gateway_key : NULL;
    bool secure = false;
    const char *gateway = getenv ("ZSTORE_GATEWAY");
    const char *events = getenv ("ZSTORE_EVENTS");
    options->gateway = gateway && *gateway ? gateway : "tcp://127.0.0.1:5555";
    options->interval = INTERVAL_DEFAULT;
    bool events_given = false;
    opterr = 0;
    int option;
    uint64_t interval;
    while ((option = getopt_long (argc, argv, "g:h", long_options, NULL)) != -1) {
        switch (option) {
            case 'g': options->gateway = optarg; break;
            case 'e':
                events = optarg;
                events_given = true;
                break;
            case 'o': options->once = true; break;
            case 'S': secure = true; break;
            case 'C': options->cert = optarg; break;
            case 'K': options->gateway_key = optarg; break;
            case 'j': options->json = true; break;
            case 'i':
                if (zs_parse_count (optarg, INTERVAL_MIN, INTERVAL_MAX, &interval))
                    return zs_parse_usage_error (PROGRAM, "--interval must be %d to %d ms",
                                                 INTERVAL_MIN, INTERVAL_MAX);
                options->interval = (int64_t) interval;
                break;
            case 'h': s_usage (stdout); return 0;
            default:
                return zs_parse_usage_error (PROGRAM, "unknown option or missing value '%s'",
                                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return zs_parse_usage_error (PROGRAM, "unexpected argument '%s'", argv[optind]);
    if (!*options->gateway)
        return zs_parse_usage_error (PROGRAM, "the gateway endpoint is empty");
    if (events && (*events || events_given))
        options->events = strdup (events);
    else if (!(options->events = s_events_next_to (options->gateway)))
        return zs_parse_usage_error (
            PROGRAM, "cannot tell the events endpoint from '%s': give --events", options->gateway);
    if (!*options->events)
        return zs_parse_usage_error (PROGRAM, "the events endpoint is empty");
    if (secure || options->cert) {
        if (!options->cert || !options->gateway_key)
            return zs_parse_usage_error (PROGRAM, "secure mode needs --cert and --gateway-key");
        char error[512];
        options->secure =
            zs_secure_new (options->cert, options->gateway_key, error, sizeof (error));
        if (!options->secure)
            return zs_parse_usage_error (PROGRAM, "%s", error);
    }
    return -1;
}

static bool
s_colour_wanted (void)
{
    const char *no_colour = getenv ("NO_COLOR");
    const char *term = getenv ("TERM");
    return isatty (STDOUT_FILENO) && !(no_colour && *no_colour) && !(term && streq (term, "dumb"));
}

//  Prints one line of output; false when standard output failed
static bool
s_print_line (char *line)
{
    bool printed = line && printf ("%s\n", line) > 0 && fflush (stdout) == 0;
    free (line);
    return printed;
}

//  --------------------------------------------------------------------------
//  --once

static int
s_once (options_t *options, bool colour, bool utf8)
{
    zs_client_t *client = zs_client_new (options->gateway, CLIENT_USER);
    if (!client)
        return zs_parse_usage_error (PROGRAM, "cannot use gateway endpoint '%s'", options->gateway);
    zs_client_set_timeout (client, ONCE_TIMEOUT);
    zs_proto_t *status = NULL;
    if (!options->secure || zs_client_set_secure (client, options->cert, options->gateway_key) == 0)
        status = zs_client_status (client);
    int rc = 0;
    if (!status) {
        fprintf (stderr, "zstore-monitor: %s\n", zs_client_error (client));
        rc = EXIT_FAILED;
    }
    else if (options->json) {
        char *line = zs_report_snapshot (status, "once", options->gateway, options->events,
                                         (uint64_t) zclock_time ());
        rc = s_print_line (line) ? 0 : EXIT_FAILED;
    }
    else {
        struct winsize size;
        int width = isatty (STDOUT_FILENO) && ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0
                            && size.ws_col > 0
                        ? size.ws_col
                        : 160;
        uint64_t now = (uint64_t) zclock_time ();
        zs_view_t *view = zs_view_new ();
        zs_screen_t *screen = zs_screen_new (width, 1);
        char *text = NULL;
        if (view && screen) {
            zs_view_load (view, status, now);
            zs_screen_set_colour (screen, colour);
            zs_screen_set_utf8 (screen, utf8);
            zs_screen_render_table (screen, view, options->gateway, now);
            text = zs_screen_text (screen);
        }
        rc = text && fputs (text, stdout) >= 0 && fflush (stdout) == 0 ? 0 : EXIT_FAILED;
        free (text);
        zs_screen_destroy (&screen);
        zs_view_destroy (&view);
    }
    zs_proto_destroy (&status);
    zs_client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  JSON lines

static void
s_json_snapshot (zs_proto_t *status, const char *reason, void *arg)
{
    monitor_t *self = (monitor_t *) arg;
    char *line = zs_report_snapshot (status, reason, self->options->gateway, self->options->events,
                                     (uint64_t) zclock_time ());
    if (!s_print_line (line)) {
        self->quit = true;
        self->status = EXIT_FAILED;
    }
}

static void
s_json_event (zs_proto_t *event, void *arg)
{
    monitor_t *self = (monitor_t *) arg;
    if (!s_print_line (zs_report_event (event))) {
        self->quit = true;
        self->status = EXIT_FAILED;
    }
}

//  --------------------------------------------------------------------------
//  The loop

static void
s_unreachable (monitor_t *self, const char *problem)
{
    uint64_t now = (uint64_t) zclock_time ();
    if (zs_view_set_unreachable (self->view, problem, now) && self->options->json
        && !s_print_line (zs_report_unreachable (self->options->gateway, problem, now))) {
        self->quit = true;
        self->status = EXIT_FAILED;
    }
    self->dirty = true;
}

static void
s_read_events (monitor_t *self)
{
    for (int count = 0; count < EVENT_BATCH && !zsys_interrupted; count++) {
        if (!(zsock_events (self->subscriber) & ZMQ_POLLIN))
            break;
        if (zs_proto_recv (self->event, self->subscriber) == 0
            && zs_proto_id (self->event) == ZS_PROTO_EVENT) {
            zs_view_apply (self->view, self->event, (uint64_t) zclock_time ());
            self->dirty = true;
        }
    }
}

static void
s_read_status (monitor_t *self)
{
    zsock_t *socket = zs_probe_socket (self->probe);
    while (socket && (zsock_events (socket) & ZMQ_POLLIN) && !zsys_interrupted) {
        zs_proto_t *status = NULL;
        int rc = zs_probe_receive (self->probe, &status);
        if (rc > 0) {
            zs_view_load (self->view, status, (uint64_t) zclock_time ());
            zs_proto_destroy (&status);
            self->dirty = true;
        }
        else if (rc < 0)
            s_unreachable (self, zs_probe_error (self->probe));
    }
}

static void
s_read_keys (monitor_t *self)
{
    int key;
    while ((key = zs_term_key (self->term)) >= 0)
        if (key == 'q' || key == 'Q' || key == 3)
            self->quit = true;
}

//  Asks for a snapshot every interval, at once when the view needs one,
//  and notices requests left unanswered
static void
s_ask (monitor_t *self, int64_t now)
{
    if (zs_probe_expired (self->probe))
        s_unreachable (self, zs_probe_error (self->probe));
    if (zs_probe_pending (self->probe))
        return;
    bool resync = zs_view_wants_snapshot (self->view) && now >= self->last_ask + ASK_PAUSE;
    if (now < self->next_ask && !resync)
        return;
    int64_t timeout = self->options->interval * 3;
    if (zs_probe_ask (self->probe, timeout > PROBE_TIMEOUT ? timeout : PROBE_TIMEOUT))
        s_unreachable (self, zs_probe_error (self->probe));
    self->last_ask = now;
    self->next_ask = now + self->options->interval;
}

//  The screen: a terminal's size, else a frame of 80 x 24 printed as text
static void
s_draw (monitor_t *self, int64_t now)
{
    int width = 80, height = 24;
    if (self->term)
        zs_term_size (self->term, &width, &height);
    if (!self->screen || zs_screen_width (self->screen) != width
        || zs_screen_height (self->screen) != height) {
        zs_screen_destroy (&self->screen);
        self->screen = zs_screen_new (width, height);
        if (!self->screen)
            return;
        zs_screen_set_colour (self->screen, self->colour);
        zs_screen_set_utf8 (self->screen, self->utf8);
    }
    uint64_t wall = (uint64_t) zclock_time ();
    zs_view_tick (self->view, wall);
    zs_screen_render (self->screen, self->view, self->options->gateway, wall);
    bool drawn;
    if (self->term)
        drawn = zs_term_draw (self->term, self->screen) == 0;
    else {
        char *text = zs_screen_text (self->screen);
        drawn = text && printf ("%s\n", text) > 0 && fflush (stdout) == 0;
        free (text);
    }
    if (!drawn) {
        self->quit = true;
        self->status = EXIT_FAILED;
    }
    self->dirty = false;
    self->last_draw = now;
    //  A terminal shows ages moving at least every DRAW_EVERY
    int64_t pause = self->options->interval;
    if (self->term && pause > DRAW_EVERY)
        pause = DRAW_EVERY;
    self->next_draw = now + pause;
}

//  How long the poll may wait: until the next thing to do
static int
s_poll_timeout (monitor_t *self, int64_t now)
{
    int64_t until = now + 1000;
    if (!self->options->json) {
        if (self->next_draw < until)
            until = self->next_draw;
        if (self->term && self->dirty && self->last_draw + DRAW_PAUSE < until)
            until = self->last_draw + DRAW_PAUSE;
    }
    int64_t left = zs_probe_time_left (self->probe);
    if (left >= 0 && now + left < until)
        until = now + left;
    if (left < 0) {
        int64_t ask =
            zs_view_wants_snapshot (self->view) ? self->last_ask + ASK_PAUSE : self->next_ask;
        if (ask < until)
            until = ask;
    }
    return until > now ? (int) (until - now) : 0;
}

static void
s_run (monitor_t *self)
{
    while (!zsys_interrupted && !self->quit) {
        int64_t now = zclock_mono ();
        s_ask (self, now);
        if (self->term && zs_term_changed (self->term))
            self->next_draw = now; //  Resized or resumed: draw it all again now
        //  A terminal shows news at once; text frames come at the interval
        bool draw_due = now >= self->next_draw
                        || (self->term && self->dirty && now >= self->last_draw + DRAW_PAUSE);
        if (!self->options->json && draw_due)
            s_draw (self, now);
        zsock_t *socket = zs_probe_socket (self->probe);
        zmq_pollitem_t items[3] = {
            { zsock_resolve (self->subscriber), 0, ZMQ_POLLIN, 0 },
            { socket ? zsock_resolve (socket) : NULL, -1, socket ? ZMQ_POLLIN : 0, 0 },
            { NULL, self->term ? zs_term_input (self->term) : -1, ZMQ_POLLIN, 0 },
        };
        int count = items[2].fd >= 0 ? 3 : 2;
        if (zmq_poll (items, count, s_poll_timeout (self, zclock_mono ())) < 0) {
            if (errno == EINTR)
                continue; //  A signal: interrupted, or the terminal resized
            zsys_error ("zstore-monitor: poll: %s", zmq_strerror (errno));
            self->status = EXIT_FAILED;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            s_read_events (self);
        if (items[1].revents & ZMQ_POLLIN)
            s_read_status (self);
        if (count > 2 && (items[2].revents & ZMQ_POLLIN))
            s_read_keys (self);
    }
}

static int
s_monitor (options_t *options, bool colour, bool utf8)
{
    monitor_t self = { .options = options, .colour = colour, .utf8 = utf8 };
    //  Subscribed before the first snapshot is asked for: events that come
    //  meanwhile wait in the view, none fall between
    self.subscriber = zsock_new (ZMQ_SUB);
    if (self.subscriber) {
        zsock_set_rcvhwm (self.subscriber, EVENT_HWM);
        zsock_set_subscribe (self.subscriber, "");
        if (options->secure)
            zs_secure_apply_client (options->secure, self.subscriber);
        if (zsock_connect (self.subscriber, "%s", options->events)) {
            zsock_destroy (&self.subscriber);
            return zs_parse_usage_error (PROGRAM, "cannot use events endpoint '%s'",
                                         options->events);
        }
    }
    self.probe = zs_probe_new (options->gateway, options->secure);
    if (!self.probe) {
        zsock_destroy (&self.subscriber);
        return zs_parse_usage_error (PROGRAM, "cannot use gateway endpoint '%s'", options->gateway);
    }
    self.view = zs_view_new ();
    self.event = zs_proto_new ();
    if (!self.subscriber || !self.view || !self.event) {
        fprintf (stderr, "zstore-monitor: out of memory\n");
        self.status = EXIT_FAILED;
    }
    else {
        if (options->json)
            zs_view_set_listener (self.view, s_json_snapshot, s_json_event, &self);
        else
            self.term = zs_term_new ();
        s_run (&self);
    }
    //  The terminal first, so that it is back as soon as possible
    zs_term_destroy (&self.term);
    zs_screen_destroy (&self.screen);
    zs_proto_destroy (&self.event);
    zs_view_destroy (&self.view);
    zs_probe_destroy (&self.probe);
    zsock_destroy (&self.subscriber);
    return self.status;
}

int
main (int argc, char *argv[])
{
    options_t options = { 0 };
    int rc = s_options (&options, argc, argv);
    if (rc < 0) {
        setlocale (LC_CTYPE, "");
        bool utf8 = streq (nl_langinfo (CODESET), "UTF-8");
        bool colour = s_colour_wanted ();
        //  czmq catches SIGINT and SIGTERM: the loop sees zsys_interrupted
        zsys_init ();
        zsys_set_logstream (stderr);
        rc = options.once ? s_once (&options, colour, utf8) : s_monitor (&options, colour, utf8);
    }
    free (options.events);
    zs_secure_destroy (&options.secure);
    return rc;
}
