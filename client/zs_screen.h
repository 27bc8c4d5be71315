/*  zs_screen - the monitor's view of the cluster, drawn as text

    Draws a zs_view into a grid of width x height cells: a title bar (the
    gateway, its uptime or why it is unreachable), a summary of the cluster,
    one row per bucket with a row of marks for its recent heartbeats, the
    latest events, and a footer. Everything fits the size it is given:
    columns drop out of narrow screens, long values are cut and end in '~',
    buckets and events that do not fit are left out.

    With colour, rows carry ANSI SGR sequences (colours and bold, nothing
    that moves the cursor); without, they are plain text. Pure: no terminal
    and no clock, the caller passes the time (wall-clock ms).
*/

#ifndef ZS_SCREEN_H_INCLUDED
#define ZS_SCREEN_H_INCLUDED

#include "zs_view.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_SCREEN_SIZE_MAX 4096 //  Columns or rows at most

typedef struct _zs_screen_t zs_screen_t;

//  A blank screen of this size; NULL when a side is below 1 or above
//  ZS_SCREEN_SIZE_MAX
zs_screen_t *zs_screen_new (int width, int height);

//  Destroy the screen
void zs_screen_destroy (zs_screen_t **self_p);

//  Colours on or off (default off)
void zs_screen_set_colour (zs_screen_t *self, bool colour);

//  Whether text may be drawn as UTF-8; when not (the default), characters
//  beyond ASCII show as '?'
void zs_screen_set_utf8 (zs_screen_t *self, bool utf8);

//  Draw the live view of the cluster, as it is at now
void zs_screen_render (zs_screen_t *self, zs_view_t *view, const char *gateway, uint64_t now);

//  Draw only the title, the summary and every bucket, taking as many rows
//  as that needs (the height changes): for a one-off table
void zs_screen_render_table (zs_screen_t *self, zs_view_t *view, const char *gateway, uint64_t now);

//  The size
int zs_screen_width (zs_screen_t *self);
int zs_screen_height (zs_screen_t *self);

//  One row as drawn, exactly width columns, with colour sequences when
//  colour is on; valid until the next call. NULL past the last row.
const char *zs_screen_row (zs_screen_t *self, int row);

//  Every row without its trailing blanks, each ending in a newline, with
//  colour sequences when colour is on. The caller frees it; NULL when
//  memory ran out.
char *zs_screen_text (zs_screen_t *self);

#ifdef __cplusplus
}
#endif

#endif
