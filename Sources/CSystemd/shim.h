#ifndef KIOSKGUARD_CSYSTEMD_SHIM_H
#define KIOSKGUARD_CSYSTEMD_SHIM_H

/* libsystemd for Swift: journal, notify/listen-fds, login and bus. Variadic entry points
 * (sd_journal_send, sd_bus_call_method) cannot be called from Swift; the daemon uses
 * sd_journal_sendv and builds bus messages instead. */
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-login.h>
#include <sys/types.h>

/* glibc declares struct ucred only under _GNU_SOURCE, which Swift's Glibc module does not set.
 * Same layout as <bits/socket.h>: the peer credentials SO_PEERCRED returns. */
struct kioskguard_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

#endif
