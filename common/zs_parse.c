/*  zs_parse - read numbers that people type on command lines
 */

#include "zs_parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

//  Reads the leading digits of text; returns where they end, or NULL
static const char *
s_digits (const char *text, uint64_t *value)
{
    if (!text || !isdigit ((unsigned char) *text))
        return NULL;
    errno = 0;
    char *end;
    unsigned long long number = strtoull (text, &end, 10);
    if (errno)
        return NULL;
    *value = number;
    return end;
}

int
zs_parse_size (const char *text, uint64_t *value)
{
    uint64_t number;
    const char *end = s_digits (text, &number);
    if (!end)
        return -1;
    unsigned int shift = 0;
    switch (*end) {
        case 0: break;
        case 'k':
        case 'K': shift = 10; break;
        case 'm':
        case 'M': shift = 20; break;
        case 'g':
        case 'G': shift = 30; break;
        case 't':
        case 'T': shift = 40; break;
        default: return -1;
    }
    if (*end && end[1])
        return -1;
    if (shift && number > (UINT64_MAX >> shift))
        return -1;
    *value = number << shift;
    return 0;
}

int
zs_parse_count (const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    uint64_t number;
    const char *end = s_digits (text, &number);
    if (!end || *end || number < min || number > max)
        return -1;
    *value = number;
    return 0;
}

void
zs_parse_format_size (uint64_t bytes, char *buffer, unsigned int size)
{
    static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    if (bytes < 1024) {
        snprintf (buffer, size, "%" PRIu64 " B", bytes);
        return;
    }
    double scaled = (double) bytes;
    int unit = 0;
    //  Round as printed: 1023.96 KiB shows as 1.0 MiB, not 1024.0 KiB
    while (scaled >= 1023.95 && unit < 5) {
        scaled /= 1024;
        unit++;
    }
    snprintf (buffer, size, "%.1f %s", scaled, units[unit]);
}

int
zs_parse_usage_error (const char *program, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", program);
    vfprintf (stderr, format, args);
    fprintf (stderr, " (see %s --help)\n", program);
    va_end (args);
    return 2;
}
