// libpcsclite (Debian's libpcsclite-dev), for the daemon's own watch of card readers.
#include <winscard.h>

// The result codes are cast macros and the protocol control blocks are addresses of globals:
// neither imports into Swift, so they are restated here.
static const LONG kioskguard_scard_success = SCARD_S_SUCCESS;
static const LONG kioskguard_scard_e_cancelled = SCARD_E_CANCELLED;
static const LONG kioskguard_scard_e_timeout = SCARD_E_TIMEOUT;
static const LONG kioskguard_scard_e_no_service = SCARD_E_NO_SERVICE;
static const LONG kioskguard_scard_e_service_stopped = SCARD_E_SERVICE_STOPPED;
static const LONG kioskguard_scard_e_no_readers = SCARD_E_NO_READERS_AVAILABLE;
static const LONG kioskguard_scard_e_unknown_reader = SCARD_E_UNKNOWN_READER;
static const LONG kioskguard_scard_e_invalid_handle = SCARD_E_INVALID_HANDLE;

static inline const SCARD_IO_REQUEST *kioskguard_scard_pci(DWORD protocol) {
    return protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
}
