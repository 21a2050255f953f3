// Makes the group database slow for one process: getgrouplist(3) and getpwuid_r(3) wait
// KIOSKGUARD_SLOW_GROUPS_SECONDS before answering, as they do under LDAP or SSSD when the
// directory server is slow. A test preloads it into the daemon to show that such a wait never
// reaches the event loop that locks sessions.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <time.h>

static void wait_like_a_slow_directory(void) {
    const char *seconds = getenv("KIOSKGUARD_SLOW_GROUPS_SECONDS");
    if (seconds == NULL) return;
    struct timespec delay = {.tv_sec = atoi(seconds), .tv_nsec = 0};
    while (nanosleep(&delay, &delay) != 0) {
    }
}

int getgrouplist(const char *user, gid_t group, gid_t *groups, int *count) {
    static int (*real)(const char *, gid_t, gid_t *, int *);
    if (real == NULL) real = dlsym(RTLD_NEXT, "getgrouplist");
    wait_like_a_slow_directory();
    return real(user, group, groups, count);
}

int getpwuid_r(uid_t uid, struct passwd *entry, char *buffer, size_t size, struct passwd **result) {
    static int (*real)(uid_t, struct passwd *, char *, size_t, struct passwd **);
    if (real == NULL) real = dlsym(RTLD_NEXT, "getpwuid_r");
    wait_like_a_slow_directory();
    return real(uid, entry, buffer, size, result);
}
