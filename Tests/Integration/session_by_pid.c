// Answers sd_pid_get_session(3) for one process from a file, so a test can stand in for a pid
// that exited and was reused by a process of another logind session (a real reuse cannot be
// arranged): KIOSKGUARD_TEST_SESSIONS names a file of "PID SESSION" lines, read on each call.
// Pids not in it get -ENODATA, as for a process in no session.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int sd_pid_get_session(pid_t pid, char **session) {
    const char *path = getenv("KIOSKGUARD_TEST_SESSIONS");
    FILE *file = path ? fopen(path, "r") : NULL;
    if (file == NULL) return -ENODATA;
    long listed;
    char name[64];
    int found = 0;
    while (!found && fscanf(file, "%ld %63s", &listed, name) == 2) found = listed == (long)pid;
    fclose(file);
    if (!found) return -ENODATA;
    *session = strdup(name);
    return *session ? 0 : -ENOMEM;
}
