/*  zs_screen - the monitor's view of the cluster, drawn as text

    The grid holds one character per cell with its style; rows are made
    into text only when asked for, so that styles become SGR sequences only
    where they change.
*/

#include "zs_screen.h"
#include "zs_parse.h"

#include <stdarg.h>
#include <time.h>

#define GAP         2  //  Blanks between two columns
#define HISTORY_MIN 8  //  Heartbeat marks worth showing
#define HISTORY_MAX 32 //  Heartbeat marks shown at most
#define LOG_MIN     3  //  Event lines kept when buckets would fill the screen
#define SGR_MAX     16 //  Bytes of the longest style sequence

typedef enum {
    S_PLAIN,
    S_BOLD,
    S_DIM,
    S_GOOD,
    S_WARNING,
    S_BAD,
    S_NOTE,
    S_TITLE,
    S_TITLE_BAD,
    S_COUNT
} style_t;

//  Every sequence resets first, so that one style never leaks into the next
static const char *s_sgr[S_COUNT] = {
    [S_PLAIN] = "\033[0m",   [S_BOLD] = "\033[0;1m",     [S_DIM] = "\033[0;2m",
    [S_GOOD] = "\033[0;32m", [S_WARNING] = "\033[0;33m", [S_BAD] = "\033[0;1;31m",
    [S_NOTE] = "\033[0;36m", [S_TITLE] = "\033[0;1;7m",  [S_TITLE_BAD] = "\033[0;1;37;41m",
};

typedef struct {
    char glyph[4]; //  One character, UTF-8
    uint8_t size;  //  Bytes in glyph; 0 for a blank
    uint8_t style;
} cell_t;

struct _zs_screen_t {
    int width;
    int height;
    cell_t *cells; //  width x height, row after row
    bool colour;   //  Draw SGR sequences
    bool utf8;     //  Text may stay UTF-8
    bool table;    //  Drawing a one-off table: no clock, no heartbeat marks
    char *line;    //  The last row made into text
    size_t line_capacity;
};

zs_screen_t *
zs_screen_new (int width, int height)
{
    if (width < 1 || height < 1 || width > ZS_SCREEN_SIZE_MAX || height > ZS_SCREEN_SIZE_MAX)
        return NULL;
    zs_screen_t *self = (zs_screen_t *) zmalloc (sizeof (zs_screen_t));
    if (!self)
        return NULL;
    self->width = width;
    self->height = height;
    self->cells = (cell_t *) calloc ((size_t) width * (size_t) height, sizeof (cell_t));
    self->line_capacity = (size_t) width * (4 + SGR_MAX) + SGR_MAX + 1;
    self->line = (char *) malloc (self->line_capacity);
    if (!self->cells || !self->line)
        zs_screen_destroy (&self);
    return self;
}

void
zs_screen_destroy (zs_screen_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_screen_t *self = *self_p;
        free (self->cells);
        free (self->line);
        free (self);
        *self_p = NULL;
    }
}

void
zs_screen_set_colour (zs_screen_t *self, bool colour)
{
    assert (self);
    self->colour = colour;
}

void
zs_screen_set_utf8 (zs_screen_t *self, bool utf8)
{
    assert (self);
    self->utf8 = utf8;
}

int
zs_screen_width (zs_screen_t *self)
{
    assert (self);
    return self->width;
}

int
zs_screen_height (zs_screen_t *self)
{
    assert (self);
    return self->height;
}

//  --------------------------------------------------------------------------
//  Writing into cells

static void
s_clear (zs_screen_t *self)
{
    memset (self->cells, 0, (size_t) self->width * (size_t) self->height * sizeof (cell_t));
}

//  Bytes in the UTF-8 character at text, or 0 when it is not one
static size_t
s_utf8_size (const unsigned char *text)
{
    size_t size = *text >= 0xf0 && *text <= 0xf4   ? 4
                  : *text >= 0xe0 && *text <= 0xef ? 3
                  : *text >= 0xc2 && *text <= 0xdf ? 2
                                                   : 0;
    for (size_t index = 1; index < size; index++)
        if ((text[index] & 0xc0) != 0x80)
            return 0;
    return size;
}

//  Columns text takes: one per character
static int
s_columns (const char *text)
{
    int columns = 0;
    for (const unsigned char *cursor = (const unsigned char *) text; *cursor; columns++) {
        size_t size = *cursor < 0x80 ? 1 : s_utf8_size (cursor);
        cursor += size ? size : 1;
    }
    return columns;
}

//  Writes text from column on in row, at most max columns of it; returns
//  the columns written. Control characters, and characters beyond ASCII
//  without UTF-8, show as '?'.
static int
s_put (zs_screen_t *self, int row, int column, style_t style, const char *text, int max)
{
    if (row < 0 || row >= self->height || column < 0)
        return 0;
    if (max > self->width - column)
        max = self->width - column;
    int written = 0;
    const unsigned char *cursor = (const unsigned char *) text;
    while (*cursor && written < max) {
        cell_t *cell = &self->cells[row * self->width + column + written];
        size_t size = *cursor < 0x80 ? 1 : s_utf8_size (cursor);
        if (size == 1 && *cursor >= 0x20 && *cursor != 0x7f)
            cell->glyph[0] = (char) *cursor;
        else if (size > 1 && self->utf8)
            memcpy (cell->glyph, cursor, size);
        else
            cell->glyph[0] = '?';
        cell->size = size > 1 && self->utf8 ? (uint8_t) size : 1;
        cell->style = (uint8_t) style;
        cursor += size ? size : 1;
        written++;
    }
    return written;
}

//  Writes text into a field of width columns, aligned left or right; text
//  that does not fit is cut and ends in '~'
static void
s_put_field (zs_screen_t *self, int row, int column, int width, bool right, style_t style,
             const char *text)
{
    int columns = s_columns (text);
    if (columns > width) {
        int kept = s_put (self, row, column, style, text, width - 1);
        s_put (self, row, column + kept, style, "~", 1);
    }
    else
        s_put (self, row, right ? column + width - columns : column, style, text, width);
}

static int s_putf (zs_screen_t *self, int row, int column, style_t style, const char *format, ...)
    CHECK_PRINTF (5);

//  Writes formatted text, as far as the row goes; returns the next column
static int
s_putf (zs_screen_t *self, int row, int column, style_t style, const char *format, ...)
{
    char text[512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    return column + s_put (self, row, column, style, text, self->width);
}

//  Paints a whole row in a style (the title bar)
static void
s_fill (zs_screen_t *self, int row, style_t style)
{
    for (int column = 0; column < self->width; column++) {
        cell_t *cell = &self->cells[row * self->width + column];
        cell->style = (uint8_t) style;
    }
}

//  --------------------------------------------------------------------------
//  Numbers for people

static void
s_duration (uint64_t ms, char *text, size_t size)
{
    uint64_t seconds = ms / 1000;
    if (ms < 1000)
        snprintf (text, size, "%" PRIu64 " ms", ms);
    else if (seconds < 10)
        snprintf (text, size, "%" PRIu64 ".%" PRIu64 " s", seconds, ms % 1000 / 100);
    else if (seconds < 60)
        snprintf (text, size, "%" PRIu64 " s", seconds);
    else if (seconds < 3600)
        snprintf (text, size, "%" PRIu64 "m %02" PRIu64 "s", seconds / 60, seconds % 60);
    else if (seconds < 86400)
        snprintf (text, size, "%" PRIu64 "h %02" PRIu64 "m", seconds / 3600, seconds / 60 % 60);
    else
        snprintf (text, size, "%" PRIu64 "d %02" PRIu64 "h", seconds / 86400, seconds / 3600 % 24);
}

static void
s_round_trip (uint32_t us, char *text, size_t size)
{
    if (us < 1000)
        snprintf (text, size, "%u us", us);
    else if (us < 1000000)
        snprintf (text, size, "%u.%u ms", us / 1000, us % 1000 / 100);
    else
        snprintf (text, size, "%u.%u s", us / 1000000, us % 1000000 / 100000);
}

static void
s_clock (uint64_t now, char *text, size_t size)
{
    time_t seconds = (time_t) (now / 1000);
    struct tm local;
    if (localtime_r (&seconds, &local))
        strftime (text, size, "%H:%M:%S", &local);
    else
        snprintf (text, size, "--:--:--");
}

static style_t
s_state_style (const char *state)
{
    if (streq (state, "alive"))
        return S_GOOD;
    if (streq (state, "suspect"))
        return S_WARNING;
    if (streq (state, "dead"))
        return S_BAD;
    return S_NOTE;
}

//  --------------------------------------------------------------------------
//  Title and summary

static void
s_title (zs_screen_t *self, int row, zs_view_t *view, const char *gateway, uint64_t now)
{
    bool reachable = zs_view_reachable (view);
    const zs_view_cluster_t *cluster = zs_view_cluster (view);
    style_t style = reachable ? S_TITLE : S_TITLE_BAD;
    s_fill (self, row, style);
    char clock[16];
    s_clock (now, clock, sizeof (clock));
    //  The clock goes right, when there is room for it
    int clock_column = self->width - (int) strlen (clock) - 1;
    int end = clock_column > 40 && !self->table ? clock_column - 1 : self->width;
    char text[512], duration[32];
    if (!reachable) {
        uint64_t since = zs_view_unreachable_since (view);
        s_duration (now > since ? now - since : 0, duration, sizeof (duration));
        snprintf (text, sizeof (text), " zstore-monitor  %s  UNREACHABLE for %s: %s; retrying",
                  gateway, duration, zs_view_problem (view));
    }
    else if (!cluster)
        snprintf (text, sizeof (text), " zstore-monitor  %s  connecting...", gateway);
    else {
        s_duration (zs_view_uptime (view, now), duration, sizeof (duration));
        snprintf (text, sizeof (text), " zstore-monitor  %s  up %s  heartbeat %u ms x %u%s%s",
                  gateway, duration, cluster->heartbeat, cluster->liveness,
                  cluster->recovering ? "  recovering" : "",
                  zs_view_wants_snapshot (view) ? "  re-syncing" : "");
    }
    s_put_field (self, row, 0, end, false, style, text);
    if (end < self->width)
        s_put (self, row, clock_column, style, clock, self->width);
}

//  A piece of the summary, in one style
typedef struct {
    style_t style;
    char text[128];
} part_t;

//  Writes a group of parts that stay together on one line, after the
//  column, or at the start of the next row when they do not fit and rows
//  are left; returns the next column
static int
s_group (zs_screen_t *self, int *row, int last_row, int column, const part_t *parts, int count)
{
    int width = 0;
    for (int index = 0; index < count; index++)
        width += s_columns (parts[index].text);
    if (column > 1)
        width += 3;
    if (column + width > self->width && column > 1 && *row < last_row) {
        (*row)++;
        column = 1;
    }
    else if (column > 1)
        column = s_putf (self, *row, column, S_PLAIN, "   ");
    for (int index = 0; index < count; index++)
        column = s_putf (self, *row, column, parts[index].style, "%s", parts[index].text);
    return column;
}

//  The cluster in a line, or two on a narrow screen; returns the rows used
static int
s_summary (zs_screen_t *self, int row, int last_row, zs_view_t *view)
{
    const zs_view_cluster_t *cluster = zs_view_cluster (view);
    if (!cluster)
        return 1;
    size_t alive, suspect, dead, total;
    zs_view_counts (view, &alive, &suspect, &dead, &total);
    part_t buckets[] = {
        { S_BOLD, "buckets " },
        { alive ? S_GOOD : S_PLAIN, "" },
        { suspect ? S_WARNING : S_PLAIN, "" },
        { dead ? S_BAD : S_PLAIN, "" },
        { S_PLAIN, "" },
    };
    snprintf (buckets[1].text, sizeof (buckets[1].text), "%zu alive", alive);
    snprintf (buckets[2].text, sizeof (buckets[2].text), "  %zu suspect", suspect);
    snprintf (buckets[3].text, sizeof (buckets[3].text), "  %zu dead", dead);
    snprintf (buckets[4].text, sizeof (buckets[4].text), "  %zu total", total);
    char bytes[32];
    zs_parse_format_size (cluster->bytes, bytes, sizeof (bytes));
    part_t files[] = { { S_BOLD, "files " }, { S_PLAIN, "" } };
    snprintf (files[1].text, sizeof (files[1].text), "%" PRIu64 " (%s)", cluster->files, bytes);
    part_t under[] = { { S_BOLD, "under-replicated " },
                       { cluster->under_replicated ? S_WARNING : S_PLAIN, "" } };
    snprintf (under[1].text, sizeof (under[1].text), "%" PRIu64, cluster->under_replicated);
    part_t repairs[] = { { S_BOLD, "repairs " },
                         { cluster->repairs || cluster->repairing ? S_NOTE : S_PLAIN, "" } };
    char extra[48] = "";
    if (cluster->repair_bytes) {
        char left[16], rate[16];
        zs_parse_format_size (cluster->repair_bytes, left, sizeof (left));
        zs_parse_format_size (cluster->repair_rate, rate, sizeof (rate));
        snprintf (extra, sizeof (extra), ", %s left at %s/s", left, rate);
    }
    snprintf (repairs[1].text, sizeof (repairs[1].text), "%" PRIu64 " waiting, %u in flight%s",
              cluster->repairs, cluster->repairing, extra);
    int first = row;
    int column = s_group (self, &row, last_row, 1, buckets, 5);
    column = s_group (self, &row, last_row, column, files, 2);
    column = s_group (self, &row, last_row, column, under, 2);
    s_group (self, &row, last_row, column, repairs, 2);
    return row - first + 1;
}

//  --------------------------------------------------------------------------
//  The buckets

typedef enum {
    C_ID,
    C_ZONE,
    C_ADDRESS,
    C_STATE,
    C_AGE,
    C_RTT,
    C_FILES,
    C_USED,
    C_FREE,
    C_HISTORY,
    C_COUNT
} column_t;

//  Columns in the order shown; the higher the rank, the sooner a column
//  drops out of a narrow screen (rank 0 stays)
static const struct {
    const char *title;
    int rank;
    bool right;
    int max; //  Columns at most
} s_columns_def[C_COUNT] = {
    [C_ID] = { "BUCKET", 0, false, 24 },
    [C_ZONE] = { "ZONE", 8, false, 12 },
    [C_ADDRESS] = { "ADDRESS", 9, false, 24 },
    [C_STATE] = { "STATE", 0, false, 12 },
    [C_AGE] = { "LAST HB", 1, true, 9 },
    [C_RTT] = { "RTT", 6, true, 9 },
    [C_FILES] = { "FILES", 4, true, 12 },
    [C_USED] = { "USED", 5, true, 11 },
    [C_FREE] = { "FREE", 7, true, 11 },
    [C_HISTORY] = { "HEARTBEATS", 3, false, HISTORY_MAX },
};

typedef struct {
    int width[C_COUNT]; //  0: not shown
} layout_t;

//  The text of one cell of the table
static void
s_cell_text (const zs_view_bucket_t *bucket, column_t column, uint64_t now, char *text, size_t size)
{
    switch (column) {
        case C_ID: snprintf (text, size, "%s", bucket->id); break;
        case C_ZONE: snprintf (text, size, "%s", *bucket->zone ? bucket->zone : "-"); break;
        case C_ADDRESS:
            snprintf (text, size, "%s", *bucket->address ? bucket->address : "-");
            break;
        case C_STATE: snprintf (text, size, "%s", *bucket->state ? bucket->state : "?"); break;
        case C_AGE: s_duration (zs_view_bucket_age (bucket, now), text, size); break;
        case C_RTT: s_round_trip (bucket->rtt, text, size); break;
        case C_FILES: snprintf (text, size, "%" PRIu64, bucket->files); break;
        case C_USED: zs_parse_format_size (bucket->used, text, (unsigned int) size); break;
        case C_FREE: zs_parse_format_size (bucket->free, text, (unsigned int) size); break;
        default: snprintf (text, size, "%s", ""); break;
    }
}

//  Which columns fit in the width, and how wide each is
static layout_t
s_layout (zs_screen_t *self, zs_view_t *view, uint64_t now)
{
    layout_t layout;
    for (int column = 0; column < C_COUNT; column++)
        layout.width[column] = (int) strlen (s_columns_def[column].title);
    layout.width[C_HISTORY] = self->table ? 0 : HISTORY_MIN;
    size_t count = zs_view_bucket_count (view);
    for (size_t index = 0; index < count; index++) {
        const zs_view_bucket_t *bucket = zs_view_bucket (view, index);
        for (int column = 0; column < C_HISTORY; column++) {
            char text[128];
            s_cell_text (bucket, (column_t) column, now, text, sizeof (text));
            int columns = s_columns (text);
            if (columns > s_columns_def[column].max)
                columns = s_columns_def[column].max;
            if (columns > layout.width[column])
                layout.width[column] = columns;
        }
    }
    //  Drop columns, least wanted first, until the rest fits
    while (true) {
        int total = -GAP, worst = -1;
        for (int column = 0; column < C_COUNT; column++) {
            if (!layout.width[column])
                continue;
            total += layout.width[column] + GAP;
            if (s_columns_def[column].rank
                && (worst < 0 || s_columns_def[column].rank > s_columns_def[worst].rank))
                worst = column;
        }
        if (total <= self->width || worst < 0) {
            //  Ids give way last; then the heartbeats take what is left
            if (total > self->width) {
                layout.width[C_ID] -= total - self->width;
                if (layout.width[C_ID] < 2)
                    layout.width[C_ID] = 2;
            }
            else if (layout.width[C_HISTORY]) {
                int room = layout.width[C_HISTORY] + self->width - total;
                layout.width[C_HISTORY] = room < HISTORY_MAX ? room : HISTORY_MAX;
            }
            break;
        }
        layout.width[worst] = 0;
    }
    return layout;
}

static void
s_history (zs_screen_t *self, int row, int column, int width, const zs_view_bucket_t *bucket)
{
    //  The newest last: once the field is full, the marks scroll left
    int shown = (int) bucket->history_size < width ? (int) bucket->history_size : width;
    int start = column;
    for (int index = 0; index < shown; index++) {
        uint8_t mark = bucket->history[bucket->history_size - (size_t) shown + (size_t) index];
        style_t style = mark == ZS_VIEW_BEAT     ? S_GOOD
                        : mark == ZS_VIEW_MISSED ? S_WARNING
                        : mark == ZS_VIEW_UP     ? S_NOTE
                                                 : S_BAD;
        const char *glyph = mark == ZS_VIEW_BEAT     ? "|"
                            : mark == ZS_VIEW_MISSED ? "x"
                            : mark == ZS_VIEW_UP     ? "+"
                                                     : "X";
        s_put (self, row, start + index, style, glyph, 1);
    }
}

static void
s_bucket_row (zs_screen_t *self, int row, const layout_t *layout, const zs_view_bucket_t *bucket,
              uint64_t now)
{
    int at = 0;
    style_t state_style = s_state_style (bucket->state);
    for (int column = 0; column < C_COUNT; column++) {
        int width = layout->width[column];
        if (!width)
            continue;
        if (column == C_HISTORY)
            s_history (self, row, at, width, bucket);
        else {
            char text[128];
            s_cell_text (bucket, (column_t) column, now, text, sizeof (text));
            style_t style = column == C_ID                             ? S_BOLD
                            : column == C_STATE                        ? state_style
                            : column == C_AGE && state_style != S_GOOD ? state_style
                                                                       : S_PLAIN;
            s_put_field (self, row, at, width, s_columns_def[column].right, style, text);
        }
        at += width + GAP;
    }
}

//  Draws the table from row on, in at most rows rows; returns the next row
static int
s_table (zs_screen_t *self, int row, int rows, zs_view_t *view, uint64_t now)
{
    if (rows < 1)
        return row;
    layout_t layout = s_layout (self, view, now);
    int at = 0;
    for (int column = 0; column < C_COUNT; column++) {
        int width = layout.width[column];
        if (!width)
            continue;
        s_put_field (self, row, at, width, s_columns_def[column].right, S_BOLD,
                     s_columns_def[column].title);
        at += width + GAP;
    }
    row++;
    rows--;
    if (rows < 1)
        return row;
    size_t count = zs_view_bucket_count (view);
    if (!zs_view_cluster (view)) {
        s_putf (self, row++, 0, S_DIM, "waiting for the gateway's status...");
        return row;
    }
    if (count == 0) {
        s_putf (self, row++, 0, S_DIM, "no buckets registered");
        return row;
    }
    //  When they do not all fit, the last row says how many are left out
    size_t shown = count <= (size_t) rows ? count : (size_t) rows - 1;
    for (size_t index = 0; index < shown; index++)
        s_bucket_row (self, row++, &layout, zs_view_bucket (view, index), now);
    if (shown < count)
        s_putf (self, row++, 0, S_DIM, "... %zu more bucket%s", count - shown,
                count - shown == 1 ? "" : "s");
    return row;
}

//  --------------------------------------------------------------------------
//  Events and footer

static void
s_log (zs_screen_t *self, int row, int rows, zs_view_t *view)
{
    if (rows < 1)
        return;
    s_putf (self, row++, 0, S_BOLD, "EVENTS");
    rows--;
    size_t size = zs_view_log_size (view);
    size_t shown = size < (size_t) rows ? size : (size_t) rows;
    //  Oldest first, the newest at the bottom
    for (size_t index = shown; index-- > 0; row++) {
        const zs_view_entry_t *entry = zs_view_log_entry (view, index);
        char clock[16];
        s_clock (entry->time, clock, sizeof (clock));
        style_t style = entry->level == ZS_VIEW_GOOD      ? S_GOOD
                        : entry->level == ZS_VIEW_WARNING ? S_WARNING
                        : entry->level == ZS_VIEW_BAD     ? S_BAD
                        : entry->level == ZS_VIEW_NOTE    ? S_NOTE
                                                          : S_PLAIN;
        int column = s_putf (self, row, 0, S_DIM, "%s  ", clock);
        s_put (self, row, column, style, entry->text, self->width);
    }
}

static void
s_footer (zs_screen_t *self, int row, zs_view_t *view)
{
    uint64_t resyncs = zs_view_resyncs (view);
    s_putf (self, row, 0, S_DIM, " q quit   event %" PRIu64 "   %" PRIu64 " re-sync%s",
            zs_view_sequence (view), resyncs, resyncs == 1 ? "" : "s");
}

void
zs_screen_render (zs_screen_t *self, zs_view_t *view, const char *gateway, uint64_t now)
{
    assert (self);
    assert (view);
    s_clear (self);
    self->table = false;
    int height = self->height;
    s_title (self, 0, view, gateway, now);
    if (height < 2)
        return;
    //  A blank row under the summary, unless it took two
    int footer = height >= 5 ? 1 : 0;
    int top = 1 + s_summary (self, 1, height - footer > 4 ? 2 : 1, view);
    if (top == 2)
        top = 3;
    int bottom = height - footer;
    int room = bottom - top;
    if (room > 0) {
        int wanted = 1 + (int) (zs_view_cluster (view) ? zs_view_bucket_count (view) : 1);
        if (wanted == 1)
            wanted = 2; //  Room for "no buckets"
        //  The events take what the buckets leave; when the buckets would
        //  fill the screen, the events keep a blank, their title and a few
        //  lines, if the table still has three rows
        int lines =
            (int) zs_view_log_size (view) < LOG_MIN ? (int) zs_view_log_size (view) : LOG_MIN;
        int events = room >= wanted + 2 + LOG_MIN ? room - wanted - 1
                     : room >= 2 + lines + 3      ? 1 + lines
                                                  : 0;
        int row = s_table (self, top, room - (events ? events + 1 : 0), view, now);
        if (events)
            s_log (self, row + 1, bottom - row - 1, view);
    }
    if (footer)
        s_footer (self, height - 1, view);
}

void
zs_screen_render_table (zs_screen_t *self, zs_view_t *view, const char *gateway, uint64_t now)
{
    assert (self);
    assert (view);
    //  Title, two rows of summary at most, a blank, the column titles, and
    //  a row per bucket (or one saying there is none)
    size_t count = zs_view_bucket_count (view);
    int height = 5 + (int) (count ? count : 1);
    if (height > ZS_SCREEN_SIZE_MAX)
        height = ZS_SCREEN_SIZE_MAX;
    if (height > self->height) {
        cell_t *cells = (cell_t *) realloc (self->cells, (size_t) self->width * (size_t) height
                                                             * sizeof (cell_t));
        if (!cells)
            return;
        self->cells = cells;
    }
    self->height = height;
    s_clear (self);
    self->table = true;
    s_title (self, 0, view, gateway, now);
    int top = 1 + s_summary (self, 1, 2, view);
    self->height = s_table (self, top + 1, height - top - 1, view, now);
}

//  --------------------------------------------------------------------------
//  Text

//  Appends the cells of a row, up to columns, to text
static size_t
s_row_text (zs_screen_t *self, int row, int columns, char *text)
{
    size_t size = 0;
    int style = -1;
    for (int column = 0; column < columns; column++) {
        const cell_t *cell = &self->cells[row * self->width + column];
        if (self->colour && cell->style != style) {
            size_t length = strlen (s_sgr[cell->style]);
            memcpy (text + size, s_sgr[cell->style], length);
            size += length;
            style = cell->style;
        }
        if (cell->size) {
            memcpy (text + size, cell->glyph, cell->size);
            size += cell->size;
        }
        else
            text[size++] = ' ';
    }
    if (self->colour && style > S_PLAIN) {
        memcpy (text + size, s_sgr[S_PLAIN], strlen (s_sgr[S_PLAIN]));
        size += strlen (s_sgr[S_PLAIN]);
    }
    text[size] = 0;
    return size;
}

const char *
zs_screen_row (zs_screen_t *self, int row)
{
    assert (self);
    if (row < 0 || row >= self->height)
        return NULL;
    s_row_text (self, row, self->width, self->line);
    return self->line;
}

char *
zs_screen_text (zs_screen_t *self)
{
    assert (self);
    char *text = (char *) malloc ((size_t) self->height * (self->line_capacity + 1) + 1);
    if (!text)
        return NULL;
    size_t size = 0;
    for (int row = 0; row < self->height; row++) {
        //  Up to the last cell that shows something
        int columns = self->width;
        while (columns > 0) {
            const cell_t *cell = &self->cells[row * self->width + columns - 1];
            if ((cell->size && cell->glyph[0] != ' ')
                || (self->colour && (cell->style == S_TITLE || cell->style == S_TITLE_BAD)))
                break;
            columns--;
        }
        size += s_row_text (self, row, columns, text + size);
        text[size++] = '\n';
    }
    text[size] = 0;
    return text;
}
