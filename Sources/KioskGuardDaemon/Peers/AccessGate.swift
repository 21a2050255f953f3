import KioskGuardCore
import KioskGuardProtocol
import Logging
import NIOCore
import Systemd

/// Decides which local peers may use the sockets and records refusals without letting a hostile
/// peer flood the journal. It admits a connection on its uid before anything is read (limits per
/// socket and per uid, under the configuration in force), records the first refusal of a uid in a
/// minute (raising `ipc.denied`) and sums up the rest, and keeps the refused-line ledger whose
/// summaries are written per uid and minute. Lives on the engine's event loop.
final class AccessGate {
    /// The two sockets, as named in records.
    enum Socket: String {
        case events
        case control
    }

    private let host: EngineHost
    private let audit: AuditLog
    private var eventsBudget = ConnectionBudget()
    private var controlBudget = ConnectionBudget()
    private var eventLimits: ConnectionLimits
    private var eventLimitsGeneration: Int
    private var denials: [UInt32: (windowStart: NIODeadline, suppressed: Int)] = [:]
    private static let window = TimeAmount.seconds(60)
    private var ledger = RefusalLedger()
    private var ledgerTimer: Scheduled<Void>?

    init(host: EngineHost, audit: AuditLog) {
        self.host = host
        self.audit = audit
        eventLimits = ConnectionLimits.events(host.configuration)
        eventLimitsGeneration = host.configurationGeneration
    }

    /// Connections open on `socket`.
    func openConnections(on socket: Socket) -> Int {
        socket == .events ? eventsBudget.open : controlBudget.open
    }

    /// Counts a new connection of `peer` on `socket`; nil when a limit is reached and it must be
    /// closed at once (the refusal is recorded, once a minute per uid).
    func admit(_ peer: PeerCredentials, on socket: Socket) -> ConnectionBudget.Ticket? {
        let verdict: ConnectionBudget.Verdict
        switch socket {
        case .events:
            if eventLimitsGeneration != host.configurationGeneration {
                eventLimits = ConnectionLimits.events(host.configuration)
                eventLimitsGeneration = host.configurationGeneration
            }
            verdict = eventsBudget.admit(uid: peer.uid, under: eventLimits)
        case .control:
            verdict = controlBudget.admit(uid: peer.uid, under: .control)
        }
        switch verdict {
        case .admitted(let ticket):
            return ticket
        case .overTotal(let limit):
            host.raiseConnectionLimit(socket: socket.rawValue, limit: limit)
        case .overUID(let limit):
            deny(peer, socket: socket, terminal: nil, reason: "connection-limit",
                 detail: "the connection limit is reached for this uid (\(limit) connections without a terminal)")
        }
        return nil
    }

    /// The events connection of `ticket` is bound to a terminal.
    func bind(_ ticket: inout ConnectionBudget.Ticket) {
        eventsBudget.bind(&ticket)
    }

    /// The connection of `ticket` on `socket` is gone.
    func close(_ ticket: ConnectionBudget.Ticket, on socket: Socket) {
        switch socket {
        case .events: eventsBudget.close(ticket)
        case .control: controlBudget.close(ticket)
        }
    }

    /// Records that `peer` was refused on `socket` for `reason` (a KIOSKGUARD_REASON word), with
    /// `detail` for the message when the reason alone does not say enough.
    func deny(_ peer: PeerCredentials, socket: Socket, terminal: String?, reason: String, detail: String? = nil) {
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
        audit.daemon(.terminalDenied, "refused uid \(peer.uid) pid \(peer.pid) on the \(socket.rawValue) socket: \(detail ?? reason)\(more)",
                     level: .warning, fields: fields)
        host.raise(Anomaly(kind: .ipcDenied, terminal: terminal, reason: reason, detectedAt: SystemClock().now().wall,
                           details: [AnomalyDetail("peer_uid", String(peer.uid)), AnomalyDetail("socket", socket.rawValue)]))
    }

    // MARK: Refused lines

    /// Counts a line refused with `code` to `peer`, on a connection bound to `terminal` (nil
    /// before `hello`).
    func refused(_ code: EventErrorCode, peer: PeerCredentials, terminal: String?) {
        let key = RefusalLedger.Key(uid: peer.uid, terminal: terminal)
        if let summary = ledger.count(code, key: key, pid: peer.pid, at: .now()) {
            report(summary, of: key, when: "")
        }
        armLedgerTimer()
    }

    /// A connection bound to `terminal` closed: its refusals are summed up now, once a minute.
    func boundConnectionClosed(_ peer: PeerCredentials, terminal: String) {
        let key = RefusalLedger.Key(uid: peer.uid, terminal: terminal)
        if let summary = ledger.connectionClosed(key, at: .now()) {
            report(summary, of: key, when: " before its connection closed")
        }
    }

    private func armLedgerTimer() {
        // One timer at a time: a key that falls due before it is reported when it fires, late by
        // less than a window, which keeps each refused line's cost constant.
        guard ledgerTimer == nil, let next = ledger.nextReport else { return }
        let task = host.eventLoop.assumeIsolated().scheduleTask(deadline: next) { [self] in
            ledgerTimer = nil
            for (key, summary) in ledger.due(at: .now()) { report(summary, of: key, when: " in the last minute") }
            armLedgerTimer()
        }
        ledgerTimer = task
    }

    private func report(_ summary: RefusalLedger.Summary, of key: RefusalLedger.Key, when: String) {
        let whose = key == RefusalLedger.overflow ? "peers beyond the ledger's \(RefusalLedger.maxKeys) uids"
            : key.terminal.map { "terminal \($0) (uid \(key.uid))" } ?? "kiosk app connections of uid \(key.uid) without a terminal"
        var fields: Logger.Metadata = [
            JournalFields.reason: .string(summary.reason), JournalFields.peerUID: .string(String(key.uid)),
            JournalFields.peerPID: .string(String(summary.pid)),
        ]
        fields[JournalFields.terminal] = key.terminal.map { .string($0) }
        audit.daemon(.protocolErrors, "\(whose) had \(summary.total) lines refused\(when): \(summary.reason)", level: .warning, fields: fields)
    }
}
