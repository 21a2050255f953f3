#ifndef KIOSKGUARD_SHIMS_H
#define KIOSKGUARD_SHIMS_H

#include <sys/types.h>
/* getrandom(2) and GRND_NONBLOCK, which Swift's Glibc module does not export. */
#include <sys/random.h>
/* epoll(7) and eventfd(2) for the input-device watcher, and the evdev record it reads: none of
 * them is in Swift's Glibc module. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/input.h>

/* pidfd_open(2): a descriptor that becomes readable when the process exits. The syscall(2)
 * entry point is variadic and cannot be called from Swift. Returns -1 and sets errno on error. */
int kioskguard_pidfd_open(pid_t pid);

/* pidfd_send_signal(2) with no siginfo and no flags; signal 0 only checks that the process the
 * pidfd refers to is still alive. Returns -1 and sets errno (ESRCH once it exited). */
int kioskguard_pidfd_send_signal(int pidfd, int signal);

#endif
