// Shifts the wall clock (CLOCK_REALTIME) of one process, and only that, by the whole seconds
// written in the file KIOSKGUARD_WALLCLOCK_SHIFT_FILE names, re-read on every call: a test steps
// the daemon's clock by rewriting the file. Monotonic clocks are untouched.
//
// Why a preload and not the machine's clock: stepping the real clock in CI would move journald's
// timestamps and every other process with it. libfaketime was tried first; under it the Swift
// runtime's startup never completed here (its sem_timedwait interception), so this shim replaces
// only the three calls that read the wall clock.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long shift_seconds(void) {
    const char *path = getenv("KIOSKGUARD_WALLCLOCK_SHIFT_FILE");
    if (path == NULL) return 0;
    int descriptor = open(path, O_RDONLY | O_CLOEXEC);
    if (descriptor < 0) return 0;
    char text[32] = {0};
    ssize_t count = read(descriptor, text, sizeof text - 1);
    close(descriptor);
    return count > 0 ? strtoll(text, NULL, 10) : 0;
}

int clock_gettime(clockid_t clock, struct timespec *now) {
    static int (*real)(clockid_t, struct timespec *);
    if (real == NULL) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int result = real(clock, now);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) now->tv_sec += shift_seconds();
    return result;
}

int gettimeofday(struct timeval *restrict now, void *restrict zone) {
    static int (*real)(struct timeval *restrict, void *restrict);
    if (real == NULL) real = (int (*)(struct timeval *restrict, void *restrict))dlsym(RTLD_NEXT, "gettimeofday");
    int result = real(now, zone);
    if (result == 0) now->tv_sec += shift_seconds();
    return result;
}

time_t time(time_t *now) {
    struct timespec reading;
    clock_gettime(CLOCK_REALTIME, &reading);
    if (now != NULL) *now = reading.tv_sec;
    return reading.tv_sec;
}
