/*  zs-key - print where a bucket keeps a user's file

    usage: zs-key USER NAME

    Prints the copy's key; its copies are objects/<k0k1>/<k2k3>/<key>.<version>
    in a bucket's data folder. Tests use it to look at the disks directly.
*/

#include "zs_object.h"

#include <sodium.h>

int
main (int argc, char *argv[])
{
    if (argc != 3) {
        fprintf (stderr, "usage: zs-key USER NAME\n");
        return 2;
    }
    if (sodium_init () < 0)
        return 1;
    char key[ZS_OBJECT_KEY_SIZE + 1];
    zs_object_key (argv[1], argv[2], key);
    printf ("%s\n", key);
    return 0;
}
