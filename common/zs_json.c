/*  zs_json - write JSON documents
 */

#include "zs_json.h"

#include <czmq.h>

#define DEPTH_MAX 32

struct _zs_json_t {
    char *text;             //  Document so far, NUL-terminated
    size_t size;            //  Bytes in text
    size_t capacity;        //  Bytes allocated
    bool failed;            //  Memory ran out
    int depth;              //  Open containers
    bool first[DEPTH_MAX];  //  No value yet in the container at this depth
    char closer[DEPTH_MAX]; //  Bracket that ends the container at this depth
    bool after_key;         //  A key was written, its value comes next
};

zs_json_t *
zs_json_new (void)
{
    zs_json_t *self = (zs_json_t *) zmalloc (sizeof (zs_json_t));
    if (self) {
        self->capacity = 256;
        self->text = (char *) zmalloc (self->capacity);
        if (!self->text)
            zs_json_destroy (&self);
    }
    return self;
}

void
zs_json_destroy (zs_json_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->text);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_append (zs_json_t *self, const char *bytes, size_t size)
{
    if (self->failed)
        return;
    if (self->size + size + 1 > self->capacity) {
        size_t capacity = self->capacity * 2;
        while (capacity < self->size + size + 1)
            capacity *= 2;
        char *text = (char *) realloc (self->text, capacity);
        if (!text) {
            self->failed = true;
            return;
        }
        self->text = text;
        self->capacity = capacity;
    }
    memcpy (self->text + self->size, bytes, size);
    self->size += size;
    self->text[self->size] = 0;
}

//  Writes the comma that separates this value from the one before
static void
s_separate (zs_json_t *self)
{
    if (self->after_key) {
        self->after_key = false;
        return;
    }
    if (self->depth > 0) {
        if (!self->first[self->depth - 1])
            s_append (self, ",", 1);
        self->first[self->depth - 1] = false;
    }
}

static void
s_open (zs_json_t *self, char opener, char closer)
{
    assert (self->depth < DEPTH_MAX);
    s_separate (self);
    s_append (self, &opener, 1);
    self->first[self->depth] = true;
    self->closer[self->depth] = closer;
    self->depth++;
}

void
zs_json_object (zs_json_t *self)
{
    s_open (self, '{', '}');
}

void
zs_json_array (zs_json_t *self)
{
    s_open (self, '[', ']');
}

void
zs_json_end (zs_json_t *self)
{
    assert (self->depth > 0);
    self->depth--;
    s_append (self, &self->closer[self->depth], 1);
}

static void
s_quoted (zs_json_t *self, const char *value)
{
    s_append (self, "\"", 1);
    const char *run = value;
    for (const char *cursor = value; *cursor; cursor++) {
        unsigned char c = (unsigned char) *cursor;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        s_append (self, run, (size_t) (cursor - run));
        char escape[8];
        if (c == '"' || c == '\\')
            snprintf (escape, sizeof (escape), "\\%c", c);
        else if (c == '\n')
            snprintf (escape, sizeof (escape), "\\n");
        else if (c == '\t')
            snprintf (escape, sizeof (escape), "\\t");
        else
            snprintf (escape, sizeof (escape), "\\u%04x", c);
        s_append (self, escape, strlen (escape));
        run = cursor + 1;
    }
    s_append (self, run, strlen (run));
    s_append (self, "\"", 1);
}

void
zs_json_key (zs_json_t *self, const char *key)
{
    s_separate (self);
    s_quoted (self, key);
    s_append (self, ":", 1);
    self->after_key = true;
}

void
zs_json_string (zs_json_t *self, const char *value)
{
    s_separate (self);
    s_quoted (self, value ? value : "");
}

void
zs_json_number (zs_json_t *self, uint64_t value)
{
    s_separate (self);
    char text[24];
    int size = snprintf (text, sizeof (text), "%" PRIu64, value);
    s_append (self, text, (size_t) size);
}

void
zs_json_bool (zs_json_t *self, bool value)
{
    s_separate (self);
    s_append (self, value ? "true" : "false", value ? 4 : 5);
}

void
zs_json_null (zs_json_t *self)
{
    s_separate (self);
    s_append (self, "null", 4);
}

const char *
zs_json_text (zs_json_t *self)
{
    return self->failed ? NULL : self->text;
}
