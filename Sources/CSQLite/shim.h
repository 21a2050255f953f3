// The system SQLite (Debian's libsqlite3), for the daemon's state and alert outbox.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: it tells sqlite3_bind_* to copy the value.
static inline void (*kioskguard_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
