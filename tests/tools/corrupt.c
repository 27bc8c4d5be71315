/*  zs-corrupt - damage one byte of a copy on a bucket's disk

    usage: zs-corrupt FILE OFFSET [--fix-crc]

    Flips the bits of the content byte at OFFSET. With --fix-crc, also
    rewrites that chunk's stored CRC to match the damaged content, so that
    only the end-to-end checksum can tell: what a bug or a crafted bucket
    might serve.
*/

#include "zs_crc32c.h"
#include "zs_fs.h"
#include "zs_object.h"

#include <fcntl.h>

int
main (int argc, char *argv[])
{
    if (argc < 3) {
        fprintf (stderr, "usage: zs-corrupt FILE OFFSET [--fix-crc]\n");
        return 2;
    }
    bool fix_crc = argc > 3 && streq (argv[3], "--fix-crc");
    uint64_t offset = strtoull (argv[2], NULL, 10);
    int fd = open (argv[1], O_RDWR);
    byte header[ZS_OBJECT_HEADER_MAX];
    zs_fileinfo_t *info = zs_fileinfo_new ();
    size_t header_size = 0;
    ssize_t got = fd < 0 ? -1 : pread (fd, header, sizeof (header), 0);
    if (got < 0 || zs_object_decode_header (header, (size_t) got, info, &header_size)
        || offset >= info->size) {
        fprintf (stderr, "zs-corrupt: %s is not a copy with a byte %s\n", argv[1], argv[2]);
        return 1;
    }
    byte value;
    zs_fs_pread_all (fd, &value, 1, (long long) (header_size + offset));
    value ^= 0xFF;
    zs_fs_pwrite_all (fd, &value, 1, (long long) (header_size + offset));
    if (fix_crc) {
        uint32_t chunk = (uint32_t) (offset / ZS_CHUNK_SIZE);
        uint64_t start = (uint64_t) chunk * ZS_CHUNK_SIZE;
        size_t size =
            info->size - start < ZS_CHUNK_SIZE ? (size_t) (info->size - start) : ZS_CHUNK_SIZE;
        byte *data = (byte *) malloc (size);
        zs_fs_pread_all (fd, data, size, (long long) (header_size + start));
        uint32_t crc = htonl (zs_crc32c (0, data, size));
        zs_fs_pwrite_all (fd, &crc, sizeof (crc),
                          (long long) (header_size + info->size + 4ull * chunk));
        free (data);
    }
    fsync (fd);
    close (fd);
    zs_fileinfo_destroy (&info);
    return 0;
}
