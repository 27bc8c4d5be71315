/*  zs_term - the terminal a full-screen view draws on
 */

#include "zs_term.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

//  Alternate screen, cursor hidden, screen cleared; and back
#define ENTER_SEQUENCE "\033[?1049h\033[?25l\033[2J"
#define LEAVE_SEQUENCE "\033[0m\033[?25h\033[?1049l"

//  What the signal handlers and the exit handler need
static volatile sig_atomic_t s_taken;   //  The terminal is in our state
static volatile sig_atomic_t s_changed; //  Resized or resumed since last asked
static bool s_input;                    //  Standard input is a terminal
static struct termios s_saved;          //  Its settings as we found them
static bool s_exit_handler;             //  atexit was told
static bool s_exists;                   //  A zs_term_t exists
static struct sigaction s_old_winch, s_old_tstp, s_old_cont;

struct _zs_term_t {
    char **rows; //  Rows as last drawn
    int width;   //  Size of the screen last drawn
    int height;
    char *buffer; //  One frame of output
    size_t buffer_size;
};

//  Writes everything, as async-signal-safe as write itself
static int
s_write (const char *data, size_t size)
{
    while (size) {
        ssize_t written = write (STDOUT_FILENO, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return -1;
        data += written;
        size -= (size_t) written;
    }
    return 0;
}

static void
s_take (void)
{
    if (s_input) {
        struct termios raw = s_saved;
        //  Keys one at a time, not echoed; Ctrl-C and Ctrl-Z still signal
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tcsetattr (STDIN_FILENO, TCSANOW, &raw);
    }
    s_write (ENTER_SEQUENCE, strlen (ENTER_SEQUENCE));
    s_taken = 1;
}

static void
s_give_back (void)
{
    if (!s_taken)
        return;
    s_taken = 0;
    s_write (LEAVE_SEQUENCE, strlen (LEAVE_SEQUENCE));
    if (s_input)
        tcsetattr (STDIN_FILENO, TCSANOW, &s_saved);
}

static void
s_on_winch (int signal)
{
    (void) signal;
    s_changed = 1;
}

//  Ctrl-Z: give the terminal back, stop, and take it again when resumed
static void
s_on_tstp (int signal)
{
    int saved_errno = errno;
    bool taken = s_taken != 0;
    s_give_back ();
    struct sigaction stop = { .sa_handler = SIG_DFL }, ours;
    sigaction (signal, &stop, &ours);
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, signal);
    sigprocmask (SIG_UNBLOCK, &set, NULL);
    raise (signal);
    //  Resumed
    sigaction (signal, &ours, NULL);
    if (taken)
        s_take ();
    s_changed = 1;
    errno = saved_errno;
}

//  Resumed after a stop that was not ours (SIGSTOP): the shell may have
//  changed the settings meanwhile
static void
s_on_cont (int signal)
{
    (void) signal;
    int saved_errno = errno;
    if (s_taken)
        s_take ();
    s_changed = 1;
    errno = saved_errno;
}

static void
s_at_exit (void)
{
    s_give_back ();
}

zs_term_t *
zs_term_new (void)
{
    if (s_exists || !isatty (STDOUT_FILENO))
        return NULL;
    zs_term_t *self = (zs_term_t *) zmalloc (sizeof (zs_term_t));
    if (!self)
        return NULL;
    s_exists = true;
    s_input = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &s_saved) == 0;
    if (!s_exit_handler) {
        atexit (s_at_exit);
        s_exit_handler = true;
    }
    struct sigaction action = { .sa_flags = SA_RESTART };
    sigemptyset (&action.sa_mask);
    action.sa_handler = s_on_winch;
    sigaction (SIGWINCH, &action, &s_old_winch);
    action.sa_handler = s_on_tstp;
    sigaction (SIGTSTP, &action, &s_old_tstp);
    action.sa_handler = s_on_cont;
    sigaction (SIGCONT, &action, &s_old_cont);
    s_take ();
    s_changed = 1;
    return self;
}

static void
s_forget_rows (zs_term_t *self)
{
    for (int row = 0; row < self->height; row++)
        free (self->rows[row]);
    free (self->rows);
    self->rows = NULL;
    self->height = 0;
    self->width = 0;
}

void
zs_term_destroy (zs_term_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_term_t *self = *self_p;
        s_give_back ();
        sigaction (SIGWINCH, &s_old_winch, NULL);
        sigaction (SIGTSTP, &s_old_tstp, NULL);
        sigaction (SIGCONT, &s_old_cont, NULL);
        s_forget_rows (self);
        free (self->buffer);
        free (self);
        s_exists = false;
        *self_p = NULL;
    }
}

void
zs_term_size (zs_term_t *self, int *width, int *height)
{
    assert (self);
    struct winsize size;
    if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 && size.ws_row > 0) {
        *width = size.ws_col;
        *height = size.ws_row;
    }
    else {
        *width = 80;
        *height = 24;
    }
}

bool
zs_term_changed (zs_term_t *self)
{
    assert (self);
    if (!s_changed)
        return false;
    s_changed = 0;
    //  Whatever is on the terminal now, the next draw replaces it all
    s_forget_rows (self);
    return true;
}

int
zs_term_input (zs_term_t *self)
{
    assert (self);
    return s_input ? STDIN_FILENO : -1;
}

int
zs_term_key (zs_term_t *self)
{
    assert (self);
    unsigned char key;
    if (!s_input || read (STDIN_FILENO, &key, 1) != 1)
        return -1;
    return key;
}

int
zs_term_draw (zs_term_t *self, zs_screen_t *screen)
{
    assert (self);
    assert (screen);
    int width = zs_screen_width (screen), height = zs_screen_height (screen);
    bool repaint = !self->rows || width != self->width || height != self->height;
    if (repaint) {
        s_forget_rows (self);
        self->rows = (char **) calloc ((size_t) height, sizeof (char *));
        if (!self->rows)
            return -1;
        self->width = width;
        self->height = height;
    }
    size_t size = 0;
    for (int row = 0; row < height; row++) {
        const char *text = zs_screen_row (screen, row);
        if (!repaint && self->rows[row] && streq (self->rows[row], text))
            continue;
        free (self->rows[row]);
        self->rows[row] = strdup (text);
        //  Each row at its place: no newline can scroll the screen
        char place[32];
        int place_size = snprintf (place, sizeof (place), "\033[%d;1H", row + 1);
        size_t needed = size + (size_t) place_size + strlen (text) + 1;
        if (needed > self->buffer_size) {
            char *buffer = (char *) realloc (self->buffer, needed * 2);
            if (!buffer)
                return -1;
            self->buffer = buffer;
            self->buffer_size = needed * 2;
        }
        memcpy (self->buffer + size, place, (size_t) place_size);
        size += (size_t) place_size;
        memcpy (self->buffer + size, text, strlen (text));
        size += strlen (text);
    }
    if (repaint && s_write ("\033[2J", 4))
        return -1;
    return size ? s_write (self->buffer, size) : 0;
}
