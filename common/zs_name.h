/*  zs_name - what a file name, a user name and a bucket id may be

    File names are UTF-8, 1 to ZS_NAME_MAX bytes, with '/' as an ordinary
    character; they never become paths on a bucket's disk. User names and
    bucket ids are short, plain ASCII words.
*/

#ifndef ZS_NAME_H_INCLUDED
#define ZS_NAME_H_INCLUDED

#ifdef __cplusplus
extern "C" {
#endif

//  Each returns NULL when the text is acceptable, else why it is not
const char *zs_name_check_file (const char *name);
const char *zs_name_check_user (const char *user);
const char *zs_name_check_bucket (const char *id);

//  Zones are bucket-id words, or empty
const char *zs_name_check_zone (const char *zone);

#ifdef __cplusplus
}
#endif

#endif
