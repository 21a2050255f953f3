import Foundation
import KioskGuardConfiguration
import KioskGuardCore
import KioskGuardProtocol
@testable import KioskGuardDaemon
import Testing

@Suite("Metrics: counters, gauges, exposition, textfile")
struct MetricsTests {
    /// The value of the one sample of `name` whose labels include every one of `labels`.
    static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        let values = text.split(separator: "\n").compactMap { line -> Double? in
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return nil }
            guard labels.allSatisfy({ line.contains("\($0.key)=\"\($0.value)\"") }) else { return nil }
            return Double(line.split(separator: " ").last ?? "")
        }
        return values.count == 1 ? values[0] : nil
    }

    @Test("every metric of contract section 11 has its exact name, and no two share one")
    func names() {
        #expect(MetricName.allCases.map(\.rawValue) == [
            "kioskguard_sessions_begun_total", "kioskguard_sessions_ended_total", "kioskguard_anomalies_total",
            "kioskguard_alerts_pending", "kioskguard_alert_oldest_pending_seconds", "kioskguard_terminals_connected",
            "kioskguard_sessions_open", "kioskguard_lock_actions_total", "kioskguard_build_info",
        ])
        for name in MetricName.allCases {
            #expect(MetricName(rawValue: name.rawValue) == name)
            #expect(name.descriptor.name == name.rawValue)
        }
        #expect(LockActionResult.allCases.map { LockActionResult(rawValue: $0.rawValue) } == LockActionResult.allCases)
    }

    @Test("sessions, ends by reason, anomalies and lock actions are counted under the site, and each move is a change")
    func counting() throws {
        let metrics = DaemonMetrics(site: "Kita ward", terminals: ["counter-1", "counter-2"])
        var generation = metrics.generation
        func moved() -> Bool {
            defer { generation = metrics.generation }
            return metrics.generation != generation
        }
        var text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(Self.sample(text, "kioskguard_sessions_begun_total", ["terminal": "counter-2", "site": "Kita ward"]) == 0)
        #expect(Self.sample(text, "kioskguard_anomalies_total", ["anomaly": "handover.unclosed-session", "severity": "high"]) == 0)
        #expect(Self.sample(text, "kioskguard_sessions_ended_total", ["terminal": "counter-1", "reason": "abandoned"]) == nil,
                "ended counters appear with a terminal's first session")

        metrics.record(AuditRecord(event: .sessionBegun, terminal: "counter-1", session: SessionID("s-1")))
        #expect(moved())
        text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(Self.sample(text, "kioskguard_sessions_begun_total", ["terminal": "counter-1"]) == 1)
        #expect(Self.sample(text, "kioskguard_sessions_ended_total", ["terminal": "counter-1", "reason": "abandoned"]) == 0)

        metrics.record(AuditRecord(event: .sessionEnded, terminal: "counter-1", session: SessionID("s-1"), reason: .end(.abandoned)))
        metrics.record(AuditRecord(event: .sessionBegun, terminal: "counter-1", session: SessionID("s-2")))
        metrics.record(AuditRecord(event: .sessionEnded, terminal: "counter-1", session: SessionID("s-2"), reason: .end(.logout)))
        metrics.record(AuditRecord(event: .sessionWarned, terminal: "counter-1", session: SessionID("s-3")))
        metrics.anomaly(Anomaly(kind: .handoverUnclosedSession, terminal: "counter-1", detectedAt: WallInstant(nanosecondsSinceEpoch: 0)))
        metrics.lockAction(.exec, .failed)
        metrics.lockAction(nil, .unenforced)
        #expect(moved())
        text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(Self.sample(text, "kioskguard_sessions_begun_total", ["terminal": "counter-1"]) == 2)
        #expect(Self.sample(text, "kioskguard_sessions_ended_total", ["terminal": "counter-1", "reason": "abandoned"]) == 1)
        #expect(Self.sample(text, "kioskguard_sessions_ended_total", ["terminal": "counter-1", "reason": "logout"]) == 1)
        #expect(Self.sample(text, "kioskguard_anomalies_total", ["anomaly": "handover.unclosed-session", "severity": "high", "site": "Kita ward"]) == 1)
        #expect(Self.sample(text, "kioskguard_lock_actions_total", ["action": "exec", "result": "failed"]) == 1)
        #expect(Self.sample(text, "kioskguard_lock_actions_total", ["action": "none", "result": "unenforced"]) == 1)
        #expect(Self.sample(text, "kioskguard_build_info", ["version": KioskGuardVersion.current]) == 1)
        #expect(!text.contains("s-1") && !text.contains("s-2"), "no session is a label")

        metrics.record(AuditRecord(event: .stepAllowed, terminal: "counter-1", session: SessionID("s-4")))
        #expect(!moved(), "records that count nothing are no change")
    }

    @Test("a terminal's label escapes quote, backslash and line feed; each counter family has one header however many terminals")
    func sessionCounterText() {
        let metrics = DaemonMetrics(site: nil, terminals: ["a\"b\\c\nd", "counter-2"])
        metrics.record(AuditRecord(event: .sessionBegun, terminal: "counter-2", session: SessionID("s-1")))
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"kioskguard_sessions_begun_total{terminal="a\"b\\c\nd"} 0"#))
        #expect(text.contains(#"kioskguard_sessions_ended_total{terminal="counter-2",reason="abandoned"} 0"#))
        for name in [MetricName.sessionsBegun, .sessionsEnded, .anomalies] {
            #expect(text.components(separatedBy: "# TYPE \(name.rawValue) counter\n").count == 2, "\(name.rawValue)")
            #expect(text.components(separatedBy: "# HELP \(name.rawValue) ").count == 2, "\(name.rawValue)")
        }
    }

    @Test("gauges follow the snapshot; an endpoint that is gone loses its series; an equal snapshot is no change")
    func gauges() {
        let metrics = DaemonMetrics(site: nil, terminals: [])
        let snapshot = MetricsSnapshot(terminalsConnected: 3, sessionsOpen: ["active": 2, "warned": 0, "locked": 1],
                                       alertsPending: ["am-1": 4, "am-2": 0], oldestPendingSeconds: ["am-1": 90])
        metrics.update(snapshot)
        let generation = metrics.generation
        var text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(Self.sample(text, "kioskguard_terminals_connected") == 3)
        #expect(Self.sample(text, "kioskguard_sessions_open", ["state": "locked"]) == 1)
        #expect(Self.sample(text, "kioskguard_alerts_pending", ["endpoint": "am-1"]) == 4)
        #expect(Self.sample(text, "kioskguard_alert_oldest_pending_seconds", ["endpoint": "am-1"]) == 90)
        #expect(Self.sample(text, "kioskguard_alert_oldest_pending_seconds", ["endpoint": "am-2"]) == 0)
        #expect(!text.contains("site="), "no site configured, no site label")
        metrics.update(snapshot)
        #expect(metrics.generation == generation)
        metrics.update(MetricsSnapshot(terminalsConnected: 3, sessionsOpen: [:], alertsPending: ["am-2": 1], oldestPendingSeconds: ["am-2": 5]))
        #expect(metrics.generation != generation)
        text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(!text.contains("endpoint=\"am-1\""))
        #expect(Self.sample(text, "kioskguard_alerts_pending", ["endpoint": "am-2"]) == 1)
        #expect(Self.sample(text, "kioskguard_sessions_open", ["state": "active"]) == 0)
    }

    @Test("the textfile is due when never written, on a change, while alerts wait, at the heartbeat, and after a failure")
    func textfileRules() {
        var writer = TextfileWriter()
        let start = ContinuousClock().now
        #expect(writer.isDue(generation: 1, waiting: false, now: start))
        #expect(writer.wrote(.success(()), generation: 1, now: start) == nil)
        #expect(!writer.isDue(generation: 1, waiting: false, now: start + .seconds(15)))
        #expect(writer.isDue(generation: 2, waiting: false, now: start + .seconds(15)))
        #expect(writer.isDue(generation: 1, waiting: true, now: start + .seconds(15)))
        #expect(writer.isDue(generation: 1, waiting: false, now: start + MetricsService.heartbeat))
        let denied = MetricsTextfileError(path: "/x/.k.prom.tmp", operation: "open", errno: EACCES)
        #expect(writer.wrote(.failure(denied), generation: 2, now: start) == .failing(denied))
        #expect(writer.wrote(.failure(denied), generation: 3, now: start) == nil, "the same failure is not news twice")
        #expect(writer.isDue(generation: 3, waiting: false, now: start))
        #expect(writer.wrote(.success(()), generation: 3, now: start) == .recovered)
        writer.forceNext()
        #expect(writer.isDue(generation: 3, waiting: false, now: start))
    }

    @Test("the textfile is replaced by a rename, readable by all, with no temporary left; a missing directory is a clear error")
    func textfileWrite() throws {
        let directory = NSTemporaryDirectory() + "kioskguard-metrics-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/kioskguard.prom"
        #expect(MetricsTextfile.temporaryPath(for: path) == directory + "/.kioskguard.prom.tmp")
        try MetricsTextfile.write(Array("a 1\n".utf8), to: path)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        try MetricsTextfile.write(Array("a 2\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a 2\n")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int != before, "a new inode: renamed over, not rewritten")
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["kioskguard.prom"])
        #expect(throws: MetricsTextfileError(path: directory + "/gone/.k.prom.tmp", operation: "open", errno: ENOENT)) {
            try MetricsTextfile.write([], to: directory + "/gone/k.prom")
        }
    }
}
