import FoundationEssentials
import GRDB
public import KioskGuardCore

/// The durable outbox: every alert, and its delivery state for each hotline endpoint.
///
/// SQLite in WAL mode with `synchronous=FULL`: a committed alert survives a crash or a power cut.
/// Writes run on GRDB's serial writer queue, never on the event loop, and alerts arriving together
/// are committed in one transaction. Redeliveries send the stored body, so they carry the same id.
public final class AlertOutbox: Sendable {
    private let database: DatabaseQueue
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
        database = try SQLiteDatabase.open(path, durability: .powerLoss) { migrator in
            migrator.registerMigration("v1") { db in
                try db.create(table: "alert") { table in
                    table.autoIncrementedPrimaryKey("sequence")
                    table.column("id", .text).notNull().unique()
                    table.column("type", .text).notNull()
                    table.column("detected_at_ns", .integer).notNull()
                    table.column("queued_at_ns", .integer).notNull()
                    table.column("body", .blob).notNull()
                }
                try db.create(table: "delivery") { table in
                    table.column("sequence", .integer).notNull().references("alert", onDelete: .cascade)
                    table.column("endpoint", .text).notNull()
                    table.column("attempts", .integer).notNull().defaults(to: 0)
                    table.column("next_attempt_ns", .integer).notNull().defaults(to: 0)
                    table.column("last_error", .text)
                    table.column("last_status", .integer)
                    table.column("delivered_at_ns", .integer)
                    table.column("stalled", .boolean).notNull().defaults(to: false)
                    table.primaryKey(["sequence", "endpoint"])
                }
                try db.create(index: "delivery_pending", on: "delivery", columns: ["endpoint", "delivered_at_ns", "sequence"])
            }
        }
    }

    /// Commits `alerts` for every endpoint in one transaction; returns once they are durable.
    public func enqueue(_ alerts: [Alert], endpoints: [String], at now: WallInstant) async throws {
        try await database.write { db in
            for alert in alerts {
                try db.execute(sql: "INSERT INTO alert (id, type, detected_at_ns, queued_at_ns, body) VALUES (?, ?, ?, ?, ?)",
                               arguments: [alert.id, alert.type, alert.detectedAt.nanosecondsSinceEpoch, now.nanosecondsSinceEpoch, Data(alert.body)])
                let sequence = db.lastInsertedRowID
                for endpoint in endpoints {
                    try db.execute(sql: "INSERT INTO delivery (sequence, endpoint) VALUES (?, ?)", arguments: [sequence, endpoint])
                }
            }
        }
    }

    /// The oldest undelivered alert of `endpoint` (deliveries go out in detection order).
    public func nextDelivery(for endpoint: String) throws -> Delivery? {
        try database.read { db in
            try Row_.fetchOne(db, sql: """
                SELECT a.sequence, a.id, a.type, a.detected_at_ns, a.queued_at_ns, a.body, d.attempts, d.next_attempt_ns, d.stalled
                FROM delivery d JOIN alert a ON a.sequence = d.sequence
                WHERE d.endpoint = ? AND d.delivered_at_ns IS NULL ORDER BY d.sequence LIMIT 1
                """, arguments: [endpoint]).map { row in
                Delivery(
                    sequence: row["sequence"],
                    alert: Alert(id: row["id"], type: row["type"], detectedAt: WallInstant(nanosecondsSinceEpoch: row["detected_at_ns"]),
                                 body: Array(row["body"] as Data)),
                    queuedAt: WallInstant(nanosecondsSinceEpoch: row["queued_at_ns"]), attempts: row["attempts"],
                    nextAttemptAt: WallInstant(nanosecondsSinceEpoch: row["next_attempt_ns"]), stalled: row["stalled"]
                )
            }
        }
    }

    /// Records a delivery acknowledged with a 2xx.
    public func markDelivered(_ sequence: Int64, endpoint: String, status: Int, at now: WallInstant) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE delivery SET delivered_at_ns = ?, last_status = ?, attempts = attempts + 1, last_error = NULL WHERE sequence = ? AND endpoint = ?",
                           arguments: [now.nanosecondsSinceEpoch, status, sequence, endpoint])
        }
    }

    /// Records a failed attempt and when to try again.
    public func markFailed(_ sequence: Int64, endpoint: String, error: String, status: Int?, nextAttempt: WallInstant) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE delivery SET attempts = attempts + 1, last_error = ?, last_status = ?, next_attempt_ns = ? WHERE sequence = ? AND endpoint = ?",
                           arguments: [error, status, nextAttempt.nanosecondsSinceEpoch, sequence, endpoint])
        }
    }

    /// Records that the delivery's stall was reported, so it is reported once.
    public func markStalled(_ sequence: Int64, endpoint: String) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE delivery SET stalled = 1 WHERE sequence = ? AND endpoint = ?", arguments: [sequence, endpoint])
        }
    }

    /// Makes every pending delivery due now (`alerts retry`).
    public func retryNow() async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE delivery SET next_attempt_ns = 0 WHERE delivered_at_ns IS NULL")
        }
    }

    /// Undelivered alerts per endpoint, with the oldest one's queue time.
    public func backlog() throws -> [String: (count: Int, oldest: WallInstant)] {
        try database.read { db in
            var result: [String: (Int, WallInstant)] = [:]
            for row in try Row_.fetchAll(db, sql: """
                SELECT d.endpoint, COUNT(*) AS pending, MIN(a.queued_at_ns) AS oldest
                FROM delivery d JOIN alert a ON a.sequence = d.sequence WHERE d.delivered_at_ns IS NULL GROUP BY d.endpoint
                """) {
                result[row["endpoint"]] = (row["pending"], WallInstant(nanosecondsSinceEpoch: row["oldest"]))
            }
            return result
        }
    }

    /// The newest deliveries (or only the undelivered ones), newest first.
    public func rows(pendingOnly: Bool, limit: Int = 200) throws -> [Row] {
        try database.read { db in
            try Row_.fetchAll(db, sql: """
                SELECT a.id, a.type, d.endpoint, d.delivered_at_ns, d.attempts, d.last_error, d.last_status, a.queued_at_ns
                FROM delivery d JOIN alert a ON a.sequence = d.sequence
                \(pendingOnly ? "WHERE d.delivered_at_ns IS NULL" : "") ORDER BY d.sequence DESC LIMIT ?
                """, arguments: [limit]).map { row in
                let delivered: Int64? = row["delivered_at_ns"]
                return Row(id: row["id"], type: row["type"], endpoint: row["endpoint"], delivered: delivered != nil, attempts: row["attempts"],
                           lastError: row["last_error"], lastStatus: row["last_status"],
                           queuedAt: WallInstant(nanosecondsSinceEpoch: row["queued_at_ns"]),
                           deliveredAt: delivered.map { WallInstant(nanosecondsSinceEpoch: $0) })
            }
        }
    }

    /// Deletes alerts delivered to every endpoint before `cutoff`.
    public func prune(deliveredBefore cutoff: WallInstant) async throws {
        try await database.write { db in
            try db.execute(sql: """
                DELETE FROM alert WHERE sequence NOT IN (SELECT sequence FROM delivery WHERE delivered_at_ns IS NULL OR delivered_at_ns >= ?)
                """, arguments: [cutoff.nanosecondsSinceEpoch])
        }
    }
}

/// GRDB's row type, renamed so it does not clash with `AlertOutbox.Row`.
typealias Row_ = GRDB.Row
