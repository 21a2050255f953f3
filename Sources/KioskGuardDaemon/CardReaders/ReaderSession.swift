import CPCSCLite
import KioskGuardCore
#if canImport(Glibc)
import Glibc
#endif

/// The watched readers within one connection to pcscd: which reader each terminal's pattern
/// matches, and the state pcscd last reported for each, so a wait returns only on a change.
struct ReaderSession {
    private let watches: [CardReaderWatcher.Watch]
    /// Per watch: the reader its pattern matches now, if any.
    private var matched: [String?]
    /// Per watch: whether "no reader" was already reported, so it is reported once.
    private var reportedMissing: [Bool]
    /// Per reader: the state pcscd last reported (0, unaware, until it reports one).
    private var known: [String: DWORD] = [:]
    /// pcscd's count of readers, which its notification pseudo-reader changes when one comes or goes.
    private var readerCount = DWORD(0)

    private static let notificationReader = "\\\\?PnP?\\Notification"

    init(watches: [CardReaderWatcher.Watch]) {
        self.watches = watches
        matched = Array(repeating: nil, count: watches.count)
        reportedMissing = Array(repeating: false, count: watches.count)
    }

    /// Forgets what pcscd reported: a new pcscd knows nothing of the old one's states (nor of a
    /// card changed meanwhile), so the first wait then reports every reader as it is now.
    mutating func forgetStates() {
        known.removeAll()
        readerCount = 0
    }

    /// Matches every watch against `readers` (the first name its glob matches). Returns the
    /// watches left without a reader, once each time that happens.
    mutating func assign(_ readers: [String]) -> [CardReaderWatcher.Watch] {
        var missing: [CardReaderWatcher.Watch] = []
        for (index, watch) in watches.enumerated() {
            let reader = readers.first { fnmatch(watch.readerPattern, $0, 0) == 0 }
            matched[index] = reader
            if reader == nil, !reportedMissing[index] { missing.append(watch) }
            reportedMissing[index] = reader == nil
        }
        known = known.filter { readers.contains($0.key) }
        return missing
    }

    /// Waits, without a timeout, until a watched reader or the set of readers changes, and
    /// returns what each affected terminal should be told. `identify` names a present card.
    mutating func waitForChange(
        _ context: SCARDCONTEXT, identify: (CardReaderWatcher.Watch, String, [UInt8]) -> Pseudonym
    ) -> (code: LONG, reports: [(String, ReaderReport)]) {
        let readers = Array(Set(matched.compactMap { $0 })).sorted()
        var states = (readers + [Self.notificationReader]).map { name in
            var state = SCARD_READERSTATE()
            state.szReader = UnsafePointer(strdup(name))
            state.dwCurrentState = name == Self.notificationReader ? readerCount << 16 : known[name] ?? DWORD(SCARD_STATE_UNAWARE)
            return state
        }
        defer { for state in states { free(UnsafeMutablePointer(mutating: state.szReader)) } }
        let code = SCardGetStatusChange(context, DWORD(INFINITE), &states, DWORD(states.count))
        guard code == kioskguard_scard_success else { return (code, []) }
        readerCount = states[readers.count].dwEventState >> 16
        var reports: [(String, ReaderReport)] = []
        for (reader, state) in zip(readers, states) where state.dwEventState & DWORD(SCARD_STATE_CHANGED) != 0 {
            let event = state.dwEventState & ~DWORD(SCARD_STATE_CHANGED)
            known[reader] = event
            let atr = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(Int(state.cbAtr))) }
            for (index, watch) in watches.enumerated() where matched[index] == reader {
                reports.append((watch.terminal, Self.report(event, watch: watch, reader: reader, atr: atr, identify: identify)))
            }
        }
        return (code, reports)
    }

    /// A card counts as present when the reader is there and the card answers (not mute).
    private static func report(
        _ event: DWORD, watch: CardReaderWatcher.Watch, reader: String, atr: [UInt8],
        identify: (CardReaderWatcher.Watch, String, [UInt8]) -> Pseudonym
    ) -> ReaderReport {
        let unusable = DWORD(SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE | SCARD_STATE_MUTE)
        guard event & unusable == 0, event & DWORD(SCARD_STATE_PRESENT) != 0 else { return .cardAbsent }
        return .cardPresent(card: identify(watch, reader, atr))
    }
}
