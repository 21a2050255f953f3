import GRDB
public import KioskGuardCore

/// The daemon's crash-safe memory in `state_directory`: the sessions open right now (so a restart
/// can lock them) and the account links (so the account rule survives restarts). Pseudonyms only.
///
/// SQLite in WAL mode with `synchronous=NORMAL`: a commit survives the daemon being killed at any
/// point, and costs no fsync on the event loop. Changes are queued and committed together once
/// per event-loop tick.
public final class StateStore {
    private let database: DatabaseQueue
    private var pending: [EngineAction] = []
    /// The path of the database file.
    public let path: String

    /// Opens (creating if needed) the store in `directory`.
    public init(directory: String) throws {
        path = directory + "/state.sqlite"
        database = try SQLiteDatabase.open(path, durability: .processCrash) { migrator in
            migrator.registerMigration("v1") { db in
                try db.create(table: "open_session") { table in
                    table.column("terminal", .text).notNull()
                    table.column("session", .text).notNull()
                    table.column("subject", .text).notNull()
                    table.column("begun_at_ns", .integer).notNull()
                    table.primaryKey(["terminal", "session"])
                }
                try db.create(table: "account_link") { table in
                    table.column("account", .text).notNull()
                    table.column("subject", .text).notNull()
                    table.column("linked_at_ns", .integer).notNull()
                    table.primaryKey(["account", "subject"])
                }
            }
        }
    }

    /// The sessions that were open when the daemon last stopped.
    public func openSessions() throws -> [PersistedSession] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT terminal, session, subject, begun_at_ns FROM open_session ORDER BY rowid").compactMap { row in
                guard let subject = Pseudonym(row["subject"] as String) else { return nil }
                return PersistedSession(terminal: row["terminal"], session: SessionID(row["session"]), subject: subject,
                                        begunAt: WallInstant(nanosecondsSinceEpoch: row["begun_at_ns"]))
            }
        }
    }

    /// Every remembered account link.
    public func accountLinks() throws -> [(account: Pseudonym, link: AccountIndex.Link)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT account, subject, linked_at_ns FROM account_link").compactMap { row in
                guard let account = Pseudonym(row["account"] as String), let subject = Pseudonym(row["subject"] as String) else { return nil }
                return (account, AccountIndex.Link(subject: subject, linkedAt: WallInstant(nanosecondsSinceEpoch: row["linked_at_ns"])))
            }
        }
    }

    /// Queues a persistence action (`persist`, `forget`, `linkAccount`); others are ignored.
    /// Returns true when the queue was empty, so the caller can schedule one `commit`.
    public func enqueue(_ action: EngineAction) -> Bool {
        switch action {
        case .persist, .forget, .linkAccount:
            pending.append(action)
            return pending.count == 1
        default:
            return false
        }
    }

    /// Whether changes are waiting for `commit`.
    public var hasPending: Bool { !pending.isEmpty }

    /// Commits every queued change in one transaction. On failure (a full disk, say) the changes
    /// stay queued for the next commit, and the error is returned for the caller to report.
    public func commit() throws {
        guard !pending.isEmpty else { return }
        let changes = pending
        try database.write { db in
            for change in changes {
                switch change {
                case .persist(let session):
                    try db.execute(sql: "INSERT OR REPLACE INTO open_session (terminal, session, subject, begun_at_ns) VALUES (?, ?, ?, ?)",
                                   arguments: [session.terminal, session.session.rawValue, session.subject.description,
                                               session.begunAt.nanosecondsSinceEpoch])
                case .forget(let terminal, let session):
                    try db.execute(sql: "DELETE FROM open_session WHERE terminal = ? AND session = ?", arguments: [terminal, session.rawValue])
                case .linkAccount(let account, let subject, let at):
                    try db.execute(sql: "INSERT OR REPLACE INTO account_link (account, subject, linked_at_ns) VALUES (?, ?, ?)",
                                   arguments: [account.description, subject.description, at.nanosecondsSinceEpoch])
                default:
                    break
                }
            }
        }
        pending.removeFirst(changes.count)
    }

    /// Deletes account links older than `cutoff`.
    public func pruneAccountLinks(before cutoff: WallInstant) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM account_link WHERE linked_at_ns < ?", arguments: [cutoff.nanosecondsSinceEpoch])
        }
    }
}
