// Makes the kernel's randomness fail for one process, the way a daemon out of descriptors saw
// it through libuuid: while the file named by KIOSKGUARD_RANDOMNESS exists, getrandom(2) calls
// made with GRND_NONBLOCK (the daemon's alert ids; Swift's own hashing seeds use no flags and
// are left alone) fail with EAGAIN when the file says "fail", or return zeros when it says
// "zeros", the constant id the original failure produced.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

ssize_t getrandom(void *buffer, size_t length, unsigned int flags) {
    static ssize_t (*real)(void *, size_t, unsigned int);
    if (real == NULL) real = dlsym(RTLD_NEXT, "getrandom");
    const char *path = getenv("KIOSKGUARD_RANDOMNESS");
    if (path != NULL && (flags & GRND_NONBLOCK)) {
        FILE *file = fopen(path, "r");
        if (file != NULL) {
            char mode[16] = {0};
            size_t got = fread(mode, 1, sizeof mode - 1, file);
            fclose(file);
            if (got >= 4 && strncmp(mode, "fail", 4) == 0) {
                errno = EAGAIN;
                return -1;
            }
            if (got >= 5 && strncmp(mode, "zeros", 5) == 0) {
                memset(buffer, 0, length);
                return (ssize_t)length;
            }
        }
    }
    return real(buffer, length, flags);
}
