/*  zs_term - the terminal a full-screen view draws on

    Takes the terminal for a full-screen view (the alternate screen, no
    cursor, keys read one at a time without echo) and gives it back as it
    was on every way out: zs_term_destroy, exit, Ctrl-C and SIGTERM (czmq
    turns them into zsys_interrupted; the caller's loop ends and destroys
    the terminal), and Ctrl-Z (given back while stopped, taken again when
    resumed). Resizes are noticed through SIGWINCH.

    Signal handlers can only reach static state, so there is one terminal:
    one zs_term_t at a time.
*/

#ifndef ZS_TERM_H_INCLUDED
#define ZS_TERM_H_INCLUDED

#include "zs_screen.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _zs_term_t zs_term_t;

//  Take the terminal on standard output; keys come from standard input
//  when it is a terminal too. NULL when standard output is not a terminal,
//  or another zs_term_t exists.
zs_term_t *zs_term_new (void);

//  Give the terminal back as it was
void zs_term_destroy (zs_term_t **self_p);

//  Its size in columns and rows
void zs_term_size (zs_term_t *self, int *width, int *height);

//  True, once, after the terminal was resized or the program resumed: the
//  next draw repaints everything
bool zs_term_changed (zs_term_t *self);

//  The descriptor to poll for keys, or -1 when there are none to read
int zs_term_input (zs_term_t *self);

//  The next key pressed (a byte), or -1 when none is waiting
int zs_term_key (zs_term_t *self);

//  Show a screen, rewriting only the rows that changed since the last one.
//  0, or -1 when the terminal cannot be written to.
int zs_term_draw (zs_term_t *self, zs_screen_t *screen);

#ifdef __cplusplus
}
#endif

#endif
