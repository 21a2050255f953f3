public import KioskGuardCore
public import Logging
public import Systemd

/// Writes kioskguard's records: every state change the engine reports, every anomaly, and the
/// daemon's own events, each with its `MESSAGE_ID`, priority and `KIOSKGUARD_*` fields.
/// Subjects and accounts are pseudonyms by type; nothing here can print a raw identifier.
public struct AuditLog: Sendable {
    /// The logger the records go through (journal or stderr).
    public let logger: Logger
    /// Whether records are built on the journal's writer thread rather than by the caller.
    private let buildsOnJournalThread: Bool

    /// An audit log over `logger`. With `buildsOnJournalThread` (for a journal logger), the
    /// event loop only queues what happened: building an entry costs it as much as the lock it
    /// records, and thousands of deadlines may fall together.
    public init(logger: Logger, buildsOnJournalThread: Bool = false) {
        self.logger = logger
        self.buildsOnJournalThread = buildsOnJournalThread
    }

    private func emit(_ build: @escaping @Sendable () -> Void) {
        if buildsOnJournalThread { JournalQueue.shared.perform(build) } else { build() }
    }

    /// Records a session or terminal state change.
    public func record(_ record: AuditRecord, peer: PeerCredentials? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        emit { [logger] in
            var metadata: Logger.Metadata = [
                JournalFields.messageID: .string(record.event.messageID),
                JournalFields.event: .string(record.event.rawValue),
                JournalFields.terminal: .string(record.terminal),
            ]
            metadata[JournalFields.session] = record.session.map { .string($0.rawValue) }
            metadata[JournalFields.subject] = record.subject.map { .string($0.description) }
            metadata[JournalFields.account] = record.account.map { .string($0.description) }
            metadata[JournalFields.state] = record.state.map { .string($0.rawValue) }
            metadata[JournalFields.reason] = record.reason.map { .string($0.rawValue) }
            metadata[JournalFields.step] = record.step.map { .string($0.rawValue) }
            metadata[JournalFields.decision] = record.decision.map { .string($0.rawValue) }
            if let peer {
                metadata[JournalFields.peerUID] = .string(String(peer.uid))
                metadata[JournalFields.peerPID] = .string(String(peer.pid))
            }
            logger.log(level: Self.level(of: record), "\(Self.sentence(record))", metadata: metadata, file: file, function: function, line: line)
        }
    }

    /// Records an anomaly.
    public func anomaly(_ anomaly: Anomaly, file: String = #fileID, function: String = #function, line: UInt = #line) {
        emit { [logger] in
            var metadata: Logger.Metadata = [
                JournalFields.messageID: .string(AuditEvent.anomaly.messageID),
                JournalFields.event: .string(AuditEvent.anomaly.rawValue),
                JournalFields.anomaly: .string(anomaly.kind.rawValue),
                JournalFields.severity: .string(anomaly.severity.rawValue),
                JournalFields.detectedAt: .string(RFC3339.format(nanosecondsSinceEpoch: anomaly.detectedAt.nanosecondsSinceEpoch, fractionDigits: 6)),
            ]
            metadata[JournalFields.terminal] = anomaly.terminal.map { .string($0) }
            metadata[JournalFields.session] = anomaly.session.map { .string($0.rawValue) }
            metadata[JournalFields.subject] = anomaly.subject.map { .string($0.description) }
            metadata[JournalFields.account] = anomaly.account.map { .string($0.description) }
            metadata[JournalFields.reason] = anomaly.reason.map { .string($0) }
            var detailValues: [String: [String]] = [:]
            for detail in anomaly.details { detailValues[detail.name, default: []].append(detail.value) }
            for (name, values) in detailValues {
                metadata[JournalFields.detailPrefix + name.uppercased()] = .string(values.joined(separator: ", "))
            }
            let place = [anomaly.terminal, anomaly.session?.rawValue].compactMap { $0 }.joined(separator: "/")
            logger.log(level: Self.level(of: anomaly.severity),
                       "anomaly \(anomaly.kind.rawValue) (\(anomaly.severity.rawValue))\(place.isEmpty ? "" : " on \(place)")",
                       metadata: metadata, file: file, function: function, line: line)
        }
    }

    /// Records one of the daemon's own events.
    public func daemon(
        _ event: AuditEvent, _ message: String, level: Logger.Level = .notice, fields: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        emit { [logger] in
            var metadata = fields
            metadata[JournalFields.messageID] = .string(event.messageID)
            metadata[JournalFields.event] = .string(event.rawValue)
            logger.log(level: level, "\(message)", metadata: metadata, file: file, function: function, line: line)
        }
    }

    static func level(of record: AuditRecord) -> Logger.Level {
        switch record.event {
        case .terminalConnected, .terminalDisconnected, .sessionBegun, .sessionWarned, .sessionResumed, .stepAllowed, .stepDone,
            .alertQueued, .alertDelivered:
            .info
        case .terminalDenied, .stepDenied, .alertRetry: .warning
        case .alertStalled: .critical
        default: .notice
        }
    }

    static func level(of severity: Severity) -> Logger.Level {
        switch severity {
        case .low: .notice
        case .medium: .warning
        case .high: .error
        case .critical: .critical
        }
    }

    /// A human sentence for `journalctl` readers; the fields carry the same facts for tools.
    static func sentence(_ record: AuditRecord) -> String {
        let session = record.session.map { "session \($0.rawValue) on \(record.terminal)" } ?? "terminal \(record.terminal)"
        let because = record.reason.map { " (\($0))" } ?? ""
        switch record.event {
        case .terminalConnected: return "kiosk app connected to terminal \(record.terminal)"
        case .terminalDisconnected: return "kiosk app of terminal \(record.terminal) disconnected"
        case .sessionBegun: return record.subject.map { "\(session) begun for \($0)" } ?? "\(session) begun anonymously"
        case .sessionWarned: return "\(session) warned\(because)"
        case .sessionResumed: return "\(session) active again after a warning"
        case .sessionLocked: return "\(session) locked\(because)"
        case .sessionUnlocked: return "\(session) unlocked by re-verification"
        case .sessionEnded: return "\(session) ended\(because)"
        case .stepAllowed: return "\(session): step \(record.step?.rawValue ?? "?") allowed"
        case .stepDenied: return "\(session): step \(record.step?.rawValue ?? "?") denied\(because)"
        case .stepDone: return "\(session): step \(record.step?.rawValue ?? "?") done"
        default: return "\(record.event.rawValue) \(session)\(because)"
        }
    }
}
