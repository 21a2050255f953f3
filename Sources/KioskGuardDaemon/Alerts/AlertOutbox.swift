public import KioskGuardCore

/// The durable outbox: every alert, and its delivery state for each hotline endpoint.
///
/// SQLite in WAL mode with `synchronous=FULL`: a committed alert survives a crash or a power cut.
/// Writes run on the database's own serial queue, never on the event loop, and alerts arriving together
/// are committed in one transaction. Redeliveries send the stored body, so they carry the same id.
public final class AlertOutbox: Sendable {
    private let database: SQLiteDatabase
    /// The database file.
    public let path: String

    /// One delivery due to an endpoint: the alert and how it went so far.
    public struct Delivery: Sendable {
        /// The alert's position in detection order.
        public var sequence: Int64
        /// The alert.
        public var alert: Alert
        /// When it was committed.
        public var queuedAt: WallInstant
        /// Failed attempts so far.
        public var attempts: Int
        /// Not before this time.
        public var nextAttemptAt: WallInstant
        /// Whether its stall was already reported.
        public var stalled: Bool
    }

    /// One row of the `alerts` control verb.
    public struct Row: Sendable {
        /// The alert's id.
        public var id: String
        /// Its CloudEvents type.
        public var type: String
        /// The endpoint this row is about.
        public var endpoint: String
        /// Whether the endpoint acknowledged it.
        public var delivered: Bool
        /// Attempts so far.
        public var attempts: Int
        /// The last failure, if any.
        public var lastError: String?
        /// The last HTTP status, if any.
        public var lastStatus: Int?
        /// When it was committed.
        public var queuedAt: WallInstant
        /// When it was acknowledged.
        public var deliveredAt: WallInstant?
    }

    /// Opens (creating if needed) the outbox in `directory`.
    public init(directory: String) throws {
        path = directory + "/outbox.sqlite"
        database = try SQLiteDatabase(path, durability: .powerLoss, migrations: [Self.schemaVersion1])
    }

    // IF NOT EXISTS: a file written before the schema was versioned has these tables already.
    private static let schemaVersion1 = """
        CREATE TABLE IF NOT EXISTS alert (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
            detected_at_ns INTEGER NOT NULL, queued_at_ns INTEGER NOT NULL, body BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS delivery (
            sequence INTEGER NOT NULL REFERENCES alert(sequence) ON DELETE CASCADE, endpoint TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ns INTEGER NOT NULL DEFAULT 0,
            last_error TEXT, last_status INTEGER, delivered_at_ns INTEGER, stalled BOOLEAN NOT NULL DEFAULT 0,
            PRIMARY KEY (sequence, endpoint));
        CREATE INDEX IF NOT EXISTS delivery_pending ON delivery (endpoint, delivered_at_ns, sequence);
        """

    /// Commits `alerts` for every endpoint in one transaction; returns once they are durable.
    public func enqueue(_ alerts: [Alert], endpoints: [String], at now: WallInstant) async throws {
        try await database.write { db in
            for alert in alerts {
                try db.execute("INSERT INTO alert (id, type, detected_at_ns, queued_at_ns, body) VALUES (?, ?, ?, ?, ?)",
                               [.text(alert.id), .text(alert.type), .integer(alert.detectedAt.nanosecondsSinceEpoch),
                                .integer(now.nanosecondsSinceEpoch), .blob(alert.body)])
                let sequence = db.lastInsertedRowID
                for endpoint in endpoints {
                    try db.execute("INSERT INTO delivery (sequence, endpoint) VALUES (?, ?)", [.integer(sequence), .text(endpoint)])
                }
            }
        }
    }

    /// The oldest undelivered alert of `endpoint` (deliveries go out in detection order).
    public func nextDelivery(for endpoint: String) throws -> Delivery? {
        try deliveries("d.endpoint = ? AND d.delivered_at_ns IS NULL ORDER BY d.sequence LIMIT 1", [.text(endpoint)]).first
    }

    /// Undelivered alerts of `endpoint` queued before `cutoff` whose stall was not reported yet
    /// (at most 100 at a time, oldest first).
    public func unreportedStalls(for endpoint: String, queuedBefore cutoff: WallInstant) throws -> [Delivery] {
        try deliveries("d.endpoint = ? AND d.delivered_at_ns IS NULL AND d.stalled = 0 AND a.queued_at_ns <= ? ORDER BY d.sequence LIMIT 100",
                       [.text(endpoint), .integer(cutoff.nanosecondsSinceEpoch)])
    }

    /// When the oldest undelivered alert of `endpoint` whose stall was not reported was queued.
    public func oldestUnreportedStall(for endpoint: String) throws -> WallInstant? {
        try database.read { db in
            try db.query("""
                SELECT MIN(a.queued_at_ns) AS queued FROM delivery d JOIN alert a ON a.sequence = d.sequence
                WHERE d.endpoint = ? AND d.delivered_at_ns IS NULL AND d.stalled = 0
                """, [.text(endpoint)]).first?.integer("queued").map { WallInstant(nanosecondsSinceEpoch: $0) }
        }
    }

    private func deliveries(_ condition: String, _ values: [SQLiteValue]) throws -> [Delivery] {
        try database.read { db in
            try db.query("""
                SELECT a.sequence, a.id, a.type, a.detected_at_ns, a.queued_at_ns, a.body, d.attempts, d.next_attempt_ns, d.stalled
                FROM delivery d JOIN alert a ON a.sequence = d.sequence
                WHERE \(condition)
                """, values).compactMap { row in
                guard let sequence = row.integer("sequence"), let id = row.text("id"), let type = row.text("type"),
                      let detectedAt = row.integer("detected_at_ns"), let queuedAt = row.integer("queued_at_ns"), let body = row.blob("body"),
                      let attempts = row.integer("attempts"), let nextAttempt = row.integer("next_attempt_ns"), let stalled = row.integer("stalled")
                else { return nil }
                return Delivery(
                    sequence: sequence,
                    alert: Alert(id: id, type: type, detectedAt: WallInstant(nanosecondsSinceEpoch: detectedAt), body: body),
                    queuedAt: WallInstant(nanosecondsSinceEpoch: queuedAt), attempts: Int(attempts),
                    nextAttemptAt: WallInstant(nanosecondsSinceEpoch: nextAttempt), stalled: stalled != 0
                )
            }
        }
    }

    /// Records a delivery acknowledged with a 2xx.
    public func markDelivered(_ sequence: Int64, endpoint: String, status: Int, at now: WallInstant) async throws {
        try await database.write { db in
            try db.execute("UPDATE delivery SET delivered_at_ns = ?, last_status = ?, attempts = attempts + 1, last_error = NULL WHERE sequence = ? AND endpoint = ?",
                           [.integer(now.nanosecondsSinceEpoch), .integer(Int64(status)), .integer(sequence), .text(endpoint)])
        }
    }

    /// Records a failed attempt and when to try again.
    public func markFailed(_ sequence: Int64, endpoint: String, error: String, status: Int?, nextAttempt: WallInstant) async throws {
        try await database.write { db in
            try db.execute("UPDATE delivery SET attempts = attempts + 1, last_error = ?, last_status = ?, next_attempt_ns = ? WHERE sequence = ? AND endpoint = ?",
                           [.text(error), status.map { .integer(Int64($0)) } ?? .null, .integer(nextAttempt.nanosecondsSinceEpoch),
                            .integer(sequence), .text(endpoint)])
        }
    }

    /// Records that the delivery's stall was reported, so it is reported once.
    public func markStalled(_ sequence: Int64, endpoint: String) async throws {
        try await database.write { db in
            try db.execute("UPDATE delivery SET stalled = 1 WHERE sequence = ? AND endpoint = ?", [.integer(sequence), .text(endpoint)])
        }
    }

    /// Makes every pending delivery due now (`alerts retry`).
    public func retryNow() async throws {
        try await database.write { db in
            try db.execute("UPDATE delivery SET next_attempt_ns = 0 WHERE delivered_at_ns IS NULL")
        }
    }

    /// Undelivered alerts per endpoint, with the oldest one's queue time.
    public func backlog() throws -> [String: (count: Int, oldest: WallInstant)] {
        try database.read { db in
            var result: [String: (Int, WallInstant)] = [:]
            for row in try db.query("""
                SELECT d.endpoint, COUNT(*) AS pending, MIN(a.queued_at_ns) AS oldest
                FROM delivery d JOIN alert a ON a.sequence = d.sequence WHERE d.delivered_at_ns IS NULL GROUP BY d.endpoint
                """) {
                guard let endpoint = row.text("endpoint"), let pending = row.integer("pending"), let oldest = row.integer("oldest") else { continue }
                result[endpoint] = (Int(pending), WallInstant(nanosecondsSinceEpoch: oldest))
            }
            return result
        }
    }

    /// The newest deliveries (or only the undelivered ones), newest first.
    public func rows(pendingOnly: Bool, limit: Int = 200) throws -> [Row] {
        try database.read { db in
            try db.query("""
                SELECT a.id, a.type, d.endpoint, d.delivered_at_ns, d.attempts, d.last_error, d.last_status, a.queued_at_ns
                FROM delivery d JOIN alert a ON a.sequence = d.sequence
                \(pendingOnly ? "WHERE d.delivered_at_ns IS NULL" : "") ORDER BY d.sequence DESC LIMIT ?
                """, [.integer(Int64(limit))]).compactMap { row in
                guard let id = row.text("id"), let type = row.text("type"), let endpoint = row.text("endpoint"),
                      let attempts = row.integer("attempts"), let queuedAt = row.integer("queued_at_ns") else { return nil }
                let delivered = row.integer("delivered_at_ns")
                return Row(id: id, type: type, endpoint: endpoint, delivered: delivered != nil, attempts: Int(attempts),
                           lastError: row.text("last_error"), lastStatus: row.integer("last_status").map { Int($0) },
                           queuedAt: WallInstant(nanosecondsSinceEpoch: queuedAt),
                           deliveredAt: delivered.map { WallInstant(nanosecondsSinceEpoch: $0) })
            }
        }
    }

    /// Deletes alerts delivered to every endpoint before `cutoff`.
    public func prune(deliveredBefore cutoff: WallInstant) async throws {
        try await database.write { db in
            try db.execute("""
                DELETE FROM alert WHERE sequence NOT IN (SELECT sequence FROM delivery WHERE delivered_at_ns IS NULL OR delivered_at_ns >= ?)
                """, [.integer(cutoff.nanosecondsSinceEpoch)])
        }
    }
}
