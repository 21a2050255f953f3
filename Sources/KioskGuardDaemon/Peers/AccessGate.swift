import KioskGuardCore
import Logging
import NIOCore
import Systemd

/// Decides which local peers may use the sockets, counts connections against the limit, and
/// records refusals without letting a hostile peer flood the journal: the first refusal of a
/// peer uid in a minute is recorded (and raises `ipc.denied`), later ones are counted and
/// summed up in the next record. Lives on the engine's event loop.
final class AccessGate {
    private let host: EngineHost
    private let audit: AuditLog
    let maxConnections: Int
    private(set) var openConnections = 0
    private var denials: [UInt32: (windowStart: NIODeadline, suppressed: Int)] = [:]
    private static let window = TimeAmount.seconds(60)

    init(host: EngineHost, audit: AuditLog, maxConnections: Int) {
        self.host = host
        self.audit = audit
        self.maxConnections = maxConnections
    }

    /// Counts a new connection; false when the limit is reached and it must be closed.
    func open() -> Bool {
        guard openConnections < maxConnections else { return false }
        openConnections += 1
        return true
    }

    func close() { openConnections -= 1 }

    /// Records that `peer` was refused on `socket` (`events`, `control`) for `reason`.
    func deny(_ peer: PeerCredentials, socket: String, terminal: String?, reason: String) {
        let now = NIODeadline.now()
        if var entry = denials[peer.uid], now - entry.windowStart < Self.window {
            entry.suppressed += 1
            denials[peer.uid] = entry
            return
        }
        let suppressed = denials[peer.uid]?.suppressed ?? 0
        denials[peer.uid] = (now, 0)
        if denials.count > 4096 { denials = denials.filter { now - $0.value.windowStart < Self.window } }
        var fields: Logger.Metadata = [
            JournalFields.peerUID: .string(String(peer.uid)), JournalFields.peerPID: .string(String(peer.pid)),
            JournalFields.reason: .string(reason),
        ]
        fields[JournalFields.terminal] = terminal.map { .string($0) }
        let more = suppressed > 0 ? " (and \(suppressed) more refusals of this uid in the last minute)" : ""
        audit.daemon(.terminalDenied, "refused uid \(peer.uid) pid \(peer.pid) on the \(socket) socket: \(reason)\(more)",
                     level: .warning, fields: fields)
        host.raise(Anomaly(kind: .ipcDenied, terminal: terminal, reason: reason, detectedAt: SystemClock().now().wall,
                           details: [AnomalyDetail("peer_uid", String(peer.uid)), AnomalyDetail("socket", socket)]))
    }
}
