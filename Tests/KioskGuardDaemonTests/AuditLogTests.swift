import Foundation
@testable import KioskGuardDaemon
import KioskGuardCore
import Logging
import Synchronization
import Systemd
import Testing

/// A log handler that keeps every record, to check what would reach the journal.
final class CapturingLogHandler: LogHandler, Sendable {
    let records = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var metadataProvider: Logger.MetadataProvider? {
        get { nil }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) {
        records.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
    }
}

@Suite("Audit log")
struct AuditLogTests {
    let subject = Pseudonym(high: 1, low: 2)

    func capture(_ body: (AuditLog) -> Void) -> [(level: Logger.Level, message: String, metadata: Logger.Metadata)] {
        let handler = CapturingLogHandler()
        body(AuditLog(logger: Logger(label: "test", factory: { _ in handler })))
        return handler.records.withLock { $0 }
    }

    @Test("every fixed journal field name is one journald keeps")
    func fieldNames() {
        for name in JournalFields.all { #expect(JournalField.isValidName(name), "\(name)") }
        let details = ["new_subject", "new_session", "other_subject", "step", "open_sessions", "session", "recurring_anomaly",
                       "count", "window_seconds", "peer_uid", "socket"]
        for detail in details { #expect(JournalField.isValidName(JournalFields.detailPrefix + detail.uppercased()), "\(detail)") }
    }

    @Test("the catalog explains every MESSAGE_ID, and the ids are distinct 128-bit values")
    func catalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("systemd/kioskguard.catalog"), encoding: .utf8)
        let ids = AuditEvent.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        for event in AuditEvent.allCases {
            #expect(event.messageID.count == 32 && event.messageID.allSatisfy(\.isHexDigit), "\(event)")
            #expect(text.contains("-- \(event.messageID)\nSubject: "), "no catalog entry for \(event.rawValue)")
        }
    }

    @Test("a state change carries its MESSAGE_ID, event, terminal, session, subject pseudonym, state and reason")
    func record() {
        let records = capture {
            $0.record(AuditRecord(event: .sessionLocked, terminal: "counter-1", session: SessionID("s-1"), subject: subject,
                                  state: .locked, reason: .lock(.idle)))
        }
        let metadata = records[0].metadata
        #expect(records[0].level == .notice)
        #expect(metadata[JournalFields.messageID] == .string(AuditEvent.sessionLocked.messageID))
        #expect(metadata[JournalFields.event] == "session-locked")
        #expect(metadata[JournalFields.terminal] == "counter-1")
        #expect(metadata[JournalFields.session] == "s-1")
        #expect(metadata[JournalFields.subject] == .string(subject.description))
        #expect(metadata[JournalFields.state] == "locked")
        #expect(metadata[JournalFields.reason] == "idle")
        #expect(records[0].message == "session s-1 on counter-1 locked (idle)")
    }

    @Test("anomalies are recorded at a priority that follows their severity", arguments: [
        (AnomalyKind.stepStaleAuth, Logger.Level.warning), (.handoverCardSwap, .error), (.accountMultipleSubjects, .critical),
    ])
    func anomalyPriority(kind: AnomalyKind, level: Logger.Level) {
        let records = capture {
            $0.anomaly(Anomaly(kind: kind, terminal: "t", subject: subject, detectedAt: WallInstant(nanosecondsSinceEpoch: 0),
                               details: [AnomalyDetail("other_subject", "p:a"), AnomalyDetail("other_subject", "p:b")]))
        }
        #expect(records[0].level == level)
        #expect(records[0].metadata[JournalFields.anomaly] == .string(kind.rawValue))
        #expect(records[0].metadata[JournalFields.severity] == .string(kind.severity.rawValue))
        #expect(records[0].metadata["KIOSKGUARD_DETAIL_OTHER_SUBJECT"] == "p:a, p:b")
    }

    @Test("stderr lines cannot be split or forged by control characters")
    func stderrEscaping() {
        #expect(StderrLogHandler.oneLine("a\nb\u{1b}[31m") == "a\\xab\\x1b[31m")
        #expect(StderrLogHandler.oneLine("plain") == "plain")
    }
}
