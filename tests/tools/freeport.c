/*  zs-freeport - print free TCP ports on the loopback interface

    usage: zs-freeport [COUNT]

    Binds COUNT sockets to port 0 at once, so the ports printed are distinct,
    then releases them for the test to use.
*/

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define COUNT_MAX 32

int
main (int argc, char *argv[])
{
    int count = argc > 1 ? atoi (argv[1]) : 1;
    if (count < 1 || count > COUNT_MAX) {
        fprintf (stderr, "usage: zs-freeport [1..%d]\n", COUNT_MAX);
        return 2;
    }
    int sockets[COUNT_MAX];
    for (int index = 0; index < count; index++) {
        struct sockaddr_in address = { 0 };
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        socklen_t length = sizeof (address);
        sockets[index] = socket (AF_INET, SOCK_STREAM, 0);
        if (sockets[index] < 0 || bind (sockets[index], (struct sockaddr *) &address, length)
            || getsockname (sockets[index], (struct sockaddr *) &address, &length)) {
            perror ("zs-freeport");
            return 1;
        }
        printf ("%d\n", ntohs (address.sin_port));
    }
    for (int index = 0; index < count; index++)
        close (sockets[index]);
    return 0;
}
