/*  zs_name - what a file name, a user name and a bucket id may be
 */

#include "zs_name.h"
#include "zs_proto.h"

//  Length of the UTF-8 sequence at text and its code point, or 0 if invalid
static size_t
s_utf8_decode (const unsigned char *text, uint32_t *code_p)
{
    unsigned char lead = text[0];
    size_t length;
    uint32_t code, minimum;
    if (lead < 0x80)
        length = 1, code = lead, minimum = 0;
    else if ((lead & 0xE0) == 0xC0)
        length = 2, code = lead & 0x1F, minimum = 0x80;
    else if ((lead & 0xF0) == 0xE0)
        length = 3, code = lead & 0x0F, minimum = 0x800;
    else if ((lead & 0xF8) == 0xF0)
        length = 4, code = lead & 0x07, minimum = 0x10000;
    else
        return 0;
    for (size_t index = 1; index < length; index++) {
        if ((text[index] & 0xC0) != 0x80)
            return 0;
        code = (code << 6) | (text[index] & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    *code_p = code;
    return length;
}

static bool
s_is_control (uint32_t code)
{
    return code < 0x20 || code == 0x7F || (code >= 0x80 && code <= 0x9F);
}

const char *
zs_name_check_file (const char *name)
{
    if (!name || !*name)
        return "the name is empty";
    size_t length = strlen (name);
    if (length > ZS_NAME_MAX)
        return "the name is longer than 1024 bytes";
    if (name[0] == '/')
        return "the name starts with '/'";
    const unsigned char *cursor = (const unsigned char *) name;
    while (*cursor) {
        uint32_t code;
        size_t step = s_utf8_decode (cursor, &code);
        if (step == 0)
            return "the name is not valid UTF-8";
        if (s_is_control (code))
            return "the name holds a control character";
        cursor += step;
    }
    //  Segments between slashes: none may be empty, "." or ".."
    const char *segment = name;
    while (true) {
        const char *slash = strchr (segment, '/');
        size_t size = slash ? (size_t) (slash - segment) : strlen (segment);
        if (size == 0)
            return "the name has an empty segment ('//' or a trailing '/')";
        if ((size == 1 && segment[0] == '.')
            || (size == 2 && segment[0] == '.' && segment[1] == '.'))
            return "the name has a '.' or '..' segment";
        if (!slash)
            break;
        segment = slash + 1;
    }
    return NULL;
}

//  Letters, digits, '.', '_' and '-', not starting with '.' or '-'
static bool
s_is_word (const char *text, size_t max)
{
    size_t length = strlen (text);
    if (length == 0 || length > max || text[0] == '.' || text[0] == '-')
        return false;
    for (const char *cursor = text; *cursor; cursor++) {
        char c = *cursor;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                  || c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

const char *
zs_name_check_user (const char *user)
{
    if (!user || !*user)
        return "the user name is empty";
    if (!s_is_word (user, ZS_USER_MAX))
        return "a user name is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or "
               "'-'";
    return NULL;
}

const char *
zs_name_check_bucket (const char *id)
{
    if (!id || !*id)
        return "the bucket id is empty";
    if (!s_is_word (id, ZS_BUCKET_ID_MAX))
        return "a bucket id is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or "
               "'-'";
    return NULL;
}

const char *
zs_name_check_zone (const char *zone)
{
    if (!zone || !*zone)
        return NULL;
    if (!s_is_word (zone, ZS_BUCKET_ID_MAX))
        return "a zone is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'";
    return NULL;
}
