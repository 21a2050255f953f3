// Micro-benchmarks of the pure core and the codec, run on demand (not part of the test suite):
//   swift run -c release kioskguard-bench
// Each figure is the minimum, median and maximum over several runs of the same workload.
#if canImport(Glibc)
import Glibc
#endif
import KioskGuardCore
import KioskGuardDaemon
import KioskGuardProtocol
import KioskGuardTesting

struct Measurement {
    var name: String
    var unit: String
    var samples: [Double]

    var row: String {
        let sorted = samples.sorted()
        func format(_ value: Double) -> String {
            let rounded = (value * 10).rounded() / 10
            return String(rounded)
        }
        return "| \(name) | \(format(sorted.first!)) | \(format(sorted[sorted.count / 2])) | \(format(sorted.last!)) | \(unit) |"
    }
}

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

/// Runs `body` `runs` times and returns nanoseconds per operation for each run.
func measure(runs: Int = 5, operations: Int, _ body: () -> Void) -> [Double] {
    let clock = ContinuousClock()
    return (0..<runs).map { _ in nanoseconds(clock.measure(body)) / Double(operations) }
}

/// An engine with `count` terminals, each connected with one open session.
func engineWithSessions(_ count: Int) -> (SessionEngine, [TerminalID], [SessionID], ManualClock) {
    let clock = ManualClock()
    var engine = SessionEngine(terminals: (0..<count).map { TerminalProfile(name: "t\($0)") })
    let terminals = (0..<count).map { engine.terminal(named: "t\($0)")! }
    let sessions = (0..<count).map { SessionID("session-\($0)") }
    let now = clock.now()
    for index in 0..<count {
        _ = engine.connect(terminals[index], at: now)
        _ = engine.handle(.sessionBegin(sessions[index], subject: Pseudonym(high: UInt64(index), low: 1), auth: nil),
                          from: terminals[index], at: now)
    }
    return (engine, terminals, sessions, clock)
}

/// Per-event cost of `activity` with `count` open sessions, events spread over all sessions in
/// a scattered order (`step` 7919, a prime) or in order (`step` 1, which shows the cache effect).
func activityCost(sessions count: Int, step: Int = 7919) -> (Measurement, heapUpdatesPerEvent: Double) {
    var (engine, terminals, sessions, clock) = engineWithSessions(count)
    let events = 1_000_000
    var heapUpdates = 0
    let samples = measure(operations: events) {
        let now = clock.advance(by: .milliseconds(1))
        let before = engine.timerStatistics.updates
        for event in 0..<events {
            let index = (event &* step) % count
            _ = engine.handle(.activity(sessions[index]), from: terminals[index], at: now)
        }
        heapUpdates = engine.timerStatistics.updates - before
    }
    let order = step == 1 ? "in order" : "scattered"
    return (Measurement(name: "engine: activity, \(count) open sessions, \(order)", unit: "ns/event", samples: samples),
            Double(heapUpdates) / Double(events))
}

/// Cost of firing deadlines: every session's idle deadline falls together.
func lockCost(sessions count: Int) -> Measurement {
    var samples: [Double] = []
    for _ in 0..<3 {
        var (engine, _, _, clock) = engineWithSessions(count)
        clock.advance(by: .seconds(100))
        _ = engine.advance(to: clock.now())
        let now = clock.advance(by: .seconds(20))
        let time = ContinuousClock().measure { _ = engine.advance(to: now) }
        samples.append(nanoseconds(time) / Double(count))
    }
    return Measurement(name: "engine: idle lock fired, \(count) deadlines at once", unit: "ns/session", samples: samples)
}

/// Cost on the loop of what `status` and `STATUS=` (once a second while sessions change) count:
/// the census, and the snapshots of every terminal and session it replaced.
func statusCountCost(sessions count: Int) -> [Measurement] {
    let (engine, _, _, clock) = engineWithSessions(count)
    let now = clock.now()
    var total = 0
    let census = measure(operations: 1) { total &+= engine.census.sessions[.active] ?? 0 }
    let snapshots = measure(operations: 1) { total &+= engine.openSessions(at: now).count + engine.terminalSnapshots.count }
    precondition(total > 0)
    return [Measurement(name: "engine: status counts by census, \(count) open sessions", unit: "ns/count", samples: census),
            Measurement(name: "engine: status counts by snapshots (before the census), \(count) open sessions", unit: "ns/count", samples: snapshots)]
}

func decodeCost(_ name: String, _ line: String) -> Measurement {
    let decoder = EventDecoder(pseudonymizer: try! Pseudonymizer(key: Array(0..<32)))
    let bytes = Array(line.utf8)
    let count = 200_000
    let samples = measure(operations: count) {
        bytes.withUnsafeBytes { raw in
            for _ in 0..<count { _ = decoder.decode(raw) }
        }
    }
    return Measurement(name: "decode: \(name) (\(bytes.count) B)", unit: "ns/line", samples: samples)
}

func encodeCost() -> Measurement {
    let count = 200_000
    let message = OutboundMessage.notice(.lock(SessionID("session-123"), reason: .idle))
    let samples = measure(operations: count) {
        for _ in 0..<count { _ = message.encoded() }
    }
    return Measurement(name: "encode: lock", unit: "ns/line", samples: samples)
}

// `kioskguard-bench decode` runs only the activity decoder, for profilers.
if CommandLine.arguments.dropFirst().first == "decode" {
    print(decodeCost("activity", #"{"type":"activity","session":"session-123"}"#).row)
    exit(0)
}

/// Durable enqueue into the real outbox (SQLite, WAL, synchronous=FULL, a real fsync per commit)
/// in /tmp: alerts per second committed one per transaction, or `batch` per transaction.
func outboxEnqueueRate(batch: Int) async throws -> Measurement {
    var samples: [Double] = []
    for run in 0..<3 {
        let directory = "/tmp/kioskguard-bench-outbox-\(getpid())-\(batch)-\(run)"
        mkdir(directory, 0o700)
        defer { for file in ["outbox.sqlite", "outbox.sqlite-wal", "outbox.sqlite-shm"] { unlink(directory + "/" + file) }; rmdir(directory) }
        let outbox = try AlertOutbox(directory: directory)
        let anomaly = Anomaly(kind: .handoverCardSwap, terminal: "t", session: SessionID("s"), subject: Pseudonym(high: 1, low: 1),
                              detectedAt: WallInstant(nanosecondsSinceEpoch: 0))
        let count = 2_000
        let alerts = (0..<count).map { _ in AlertBody.alert(for: anomaly, from: AlertOrigin(host: "bench", keyFingerprint: "k:0000000000000000"), id: AlertID.random()!) }
        let start = ContinuousClock.now
        for first in stride(from: 0, to: count, by: batch) {
            try await outbox.enqueue(Array(alerts[first..<min(first + batch, count)]), endpoints: ["primary"],
                                     at: WallInstant(nanosecondsSinceEpoch: 0))
        }
        samples.append(Double(count) / (nanoseconds(ContinuousClock.now - start) / 1e9))
    }
    return Measurement(name: "outbox: durable enqueue, \(batch) alert(s) per commit", unit: "alerts/s", samples: samples)
}

/// The metrics' cost on the per-event path: one session begun and ended, counted.
func metricsRecordCost() -> Measurement {
    let metrics = DaemonMetrics(site: "bench", terminals: (0..<1_000).map { "t\($0)" })
    let records = (0..<1_000).flatMap { index in
        [AuditRecord(event: .sessionBegun, terminal: "t\(index)", session: SessionID("s")),
         AuditRecord(event: .sessionEnded, terminal: "t\(index)", session: SessionID("s"), reason: .end(.logout))]
    }
    let rounds = 500
    let samples = measure(operations: rounds * records.count) {
        for _ in 0..<rounds { for record in records { metrics.record(record) } }
    }
    return Measurement(name: "metrics: a session record counted (1,000 terminals)", unit: "ns/record", samples: samples)
}

/// One textfile rewrite at 1,000 terminals that each had a session: the text rendered and renamed
/// into place.
func metricsRewriteCost() -> (Measurement, bytes: Int) {
    let metrics = DaemonMetrics(site: "bench", terminals: (0..<1_000).map { "t\($0)" })
    for index in 0..<1_000 {
        metrics.record(AuditRecord(event: .sessionBegun, terminal: "t\(index)", session: SessionID("s")))
        metrics.record(AuditRecord(event: .sessionEnded, terminal: "t\(index)", session: SessionID("s"), reason: .end(.abandoned)))
    }
    metrics.update(MetricsSnapshot(terminalsConnected: 1_000, sessionsOpen: ["active": 0, "warned": 0, "locked": 0],
                                   alertsPending: ["primary": 0], oldestPendingSeconds: [:]))
    let path = "/tmp/kioskguard-bench-\(getpid()).prom"
    defer { unlink(path) }
    let rewrites = 50
    let samples = measure(operations: rewrites) {
        for _ in 0..<rewrites { try? MetricsTextfile.write(metrics.exposition(), to: path) }
    }
    return (Measurement(name: "metrics: textfile rendered and renamed into place, 1,000 terminals", unit: "ns/rewrite", samples: samples),
            metrics.exposition().count)
}

var rows: [Measurement] = []
var notes: [String] = []
for count in [1_000, 100_000] {
    let (measurement, heapUpdates) = activityCost(sessions: count)
    rows.append(measurement)
    notes.append("heap updates per activity event at \(count) sessions: \(heapUpdates)")
}
rows.append(activityCost(sessions: 100_000, step: 1).0)
rows.append(lockCost(sessions: 1_000))
rows.append(lockCost(sessions: 100_000))
rows += statusCountCost(sessions: 18_000)
rows.append(decodeCost("activity", #"{"type":"activity","session":"session-123"}"#))
rows.append(decodeCost("session.begin", #"{"type":"session.begin","session":"session-123","subject":"310129-954F","auth":"card+pin"}"#))
rows.append(decodeCost("step.request", #"{"type":"step.request","id":"r-17","session":"session-123","step":"bank-account","sensitive":true,"account":"FI21 1234 5600 0007 85"}"#))
rows.append(encodeCost())
rows.append(try await outboxEnqueueRate(batch: 1))
rows.append(try await outboxEnqueueRate(batch: 100))
rows.append(metricsRecordCost())
let (rewrite, textfileBytes) = metricsRewriteCost()
rows.append(rewrite)
notes.append("metrics textfile at 1,000 terminals: \(textfileBytes) bytes")

print("| benchmark | min | median | max | unit |")
print("|---|---|---|---|---|")
for row in rows { print(row.row) }
print()
for note in notes { print(note) }
