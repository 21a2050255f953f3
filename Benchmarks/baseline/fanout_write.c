/* The physical limit for locks that fall due together: one short line written to each of N
 * connected Unix stream sockets, one write(2) each, as the daemon must send one `lock` to each
 * terminal. Prints {"connections": N, "milliseconds": T, "microseconds_per_write": W}.
 *
 *     cc -O2 -o fanout_write fanout_write.c && ./fanout_write 10000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int connections = argc > 1 ? atoi(argv[1]) : 10000;
    int *ends = malloc(sizeof(int) * 2 * connections);
    for (int index = 0; index < connections; index++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, &ends[2 * index]) != 0) {
            perror("socketpair (raise the descriptor limit)");
            return 1;
        }
    }
    const char line[] = "{\"type\":\"lock\",\"session\":\"s-12345\",\"reason\":\"idle\"}\n";
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int index = 0; index < connections; index++) {
        if (write(ends[2 * index], line, sizeof line - 1) != (ssize_t)(sizeof line - 1)) {
            perror("write");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double milliseconds = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
    printf("{\"connections\": %d, \"milliseconds\": %.3f, \"microseconds_per_write\": %.3f}\n", connections, milliseconds,
           1000 * milliseconds / connections);
    return 0;
}
