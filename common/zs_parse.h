/*  zs_parse - read numbers that people type on command lines

    Sizes accept a K, M, G or T suffix (powers of 1024); counts are plain
    decimal numbers within bounds. Nothing else is accepted: no signs, no
    spaces, no trailing text.
*/

#ifndef ZS_PARSE_H_INCLUDED
#define ZS_PARSE_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Parse "123", "64K", "10G"...; 0 on success, -1 if text is not a size
int zs_parse_size (const char *text, uint64_t *value);

//  Parse a decimal count in [min, max]; 0 on success, -1 otherwise
int zs_parse_count (const char *text, uint64_t min, uint64_t max, uint64_t *value);

//  Format bytes for people: "512 B", "1.5 KiB", "3.2 GiB"
void zs_parse_format_size (uint64_t bytes, char *buffer, unsigned int size);

//  Says on stderr what is wrong with a command line, as "program: what (see
//  program --help)"; returns 2, the exit status of wrong usage
int zs_parse_usage_error (const char *program, const char *format, ...) CHECK_PRINTF (2);

#ifdef __cplusplus
}
#endif

#endif
