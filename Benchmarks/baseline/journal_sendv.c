/* The physical limit for journal writing: sd_journal_sendv in a loop with the fields of one of
 * kioskguardd's session records, as fast as it returns. Prints {"entries_per_second": N}.
 *
 *     cc -O2 -o journal_sendv journal_sendv.c -lsystemd && ./journal_sendv 20000
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>

int main(int argc, char **argv) {
    long entries = argc > 1 ? atol(argv[1]) : 20000;
    char session[64];
    struct iovec fields[12];
    const char *fixed[] = {
        "PRIORITY=6", "SYSLOG_IDENTIFIER=kioskguard-baseline", "CODE_FILE=KioskGuardDaemon/AuditLog.swift",
        "CODE_LINE=35", "CODE_FUNC=record(_:)", "MESSAGE_ID=90c78ce73f184f01a7a3194b9ce1845b",
        "KIOSKGUARD_EVENT=session-begun", "KIOSKGUARD_TERMINAL=t0", "KIOSKGUARD_SUBJECT=p:00000000000000000000000000000000",
        "KIOSKGUARD_REASON=card+pin",
    };
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long index = 0; index < entries; index++) {
        char message[128];
        snprintf(message, sizeof message, "MESSAGE=session s%ld on t0 begun for p:00000000000000000000000000000000", index);
        snprintf(session, sizeof session, "KIOSKGUARD_SESSION=s%ld", index);
        fields[0] = (struct iovec){message, strlen(message)};
        fields[1] = (struct iovec){session, strlen(session)};
        for (int field = 0; field < 10; field++) fields[field + 2] = (struct iovec){(void *)fixed[field], strlen(fixed[field])};
        if (sd_journal_sendv(fields, 12) < 0) {
            fprintf(stderr, "sd_journal_sendv failed\n");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    printf("{\"entries_per_second\": %.0f}\n", entries / seconds);
    return 0;
}
