/* The physical limit for the events socket: accepts kiosk-app connections on a Unix socket and
 * only splits their input into lines. No JSON, no session logic, one thread, epoll. So that the
 * load generator can drive it like the daemon, the first line of a connection (the hello) gets
 * a welcome line and a line that starts as a ping gets a pong line; every other line is counted.
 *
 *     cc -O2 -o line_splitter line_splitter.c && ./line_splitter /tmp/x/events.sock
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LINE 16384
#define MAX_EVENTS 256

struct connection {
    int fd;
    int greeted;
    size_t held; /* bytes of an unfinished line kept from the last read */
    char buffer[MAX_LINE + 65536];
};

static unsigned long long lines;

static void reply(int fd, const char *line) {
    /* The replies are a few bytes on an idle socket: a short write does not happen here. */
    if (write(fd, line, strlen(line)) < 0 && errno != EAGAIN) perror("write");
}

static void handle_line(struct connection *c, const char *line, size_t length) {
    static const char ping[] = "{\"type\":\"ping\"";
    lines++;
    if (!c->greeted) {
        c->greeted = 1;
        reply(c->fd, "{\"type\":\"welcome\"}\n");
    } else if (length >= sizeof ping - 1 && memcmp(line, ping, sizeof ping - 1) == 0) {
        reply(c->fd, "{\"type\":\"pong\"}\n");
    }
}

static int readable(struct connection *c) {
    for (;;) {
        ssize_t n = read(c->fd, c->buffer + c->held, sizeof c->buffer - c->held);
        if (n == 0) return -1;
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        char *start = c->buffer, *end = c->buffer + c->held + n, *newline;
        while ((newline = memchr(start, '\n', (size_t)(end - start))) != NULL) {
            handle_line(c, start, (size_t)(newline - start));
            start = newline + 1;
        }
        c->held = (size_t)(end - start);
        if (c->held > MAX_LINE) return -1; /* a line over the limit closes the connection, as in the daemon */
        memmove(c->buffer, start, c->held);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET_PATH\n", argv[0]);
        return 2;
    }
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    unlink(argv[1]);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 4096) < 0) {
        perror("listen");
        return 1;
    }
    int poller = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
    printf("READY\n");
    fflush(stdout);
    struct epoll_event ready[MAX_EVENTS];
    for (;;) {
        int count = epoll_wait(poller, ready, MAX_EVENTS, -1);
        for (int i = 0; i < count; i++) {
            struct connection *c = ready[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    struct connection *fresh = calloc(1, sizeof *fresh);
                    fresh->fd = fd;
                    struct epoll_event added = {.events = EPOLLIN, .data.ptr = fresh};
                    epoll_ctl(poller, EPOLL_CTL_ADD, fd, &added);
                }
            } else if (readable(c) < 0) {
                close(c->fd);
                free(c);
            }
        }
    }
}
