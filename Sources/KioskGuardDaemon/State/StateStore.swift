public import KioskGuardCore

/// The daemon's crash-safe memory in `state_directory`: the sessions open right now (so a restart
/// can lock them) and the account links (so the account rule survives restarts). Pseudonyms only.
///
/// SQLite in WAL mode with `synchronous=NORMAL`: a commit survives the daemon being killed at any
/// point, and costs no fsync on the event loop. Changes are queued and committed together once
/// per event-loop tick.
public final class StateStore {
    private let database: SQLiteDatabase
    private var pending: [EngineAction] = []
    /// The path of the database file.
    public let path: String

    /// Opens (creating if needed) the store in `directory`.
    public init(directory: String) throws {
        path = directory + "/state.sqlite"
        database = try SQLiteDatabase(path, durability: .processCrash, migrations: [Self.schemaVersion1])
    }

    // IF NOT EXISTS: a file written before the schema was versioned has these tables already.
    private static let schemaVersion1 = """
        CREATE TABLE IF NOT EXISTS open_session (
            terminal TEXT NOT NULL, session TEXT NOT NULL, subject TEXT NOT NULL, begun_at_ns INTEGER NOT NULL,
            PRIMARY KEY (terminal, session));
        CREATE TABLE IF NOT EXISTS account_link (
            account TEXT NOT NULL, subject TEXT NOT NULL, linked_at_ns INTEGER NOT NULL,
            PRIMARY KEY (account, subject));
        """

    /// The sessions that were open when the daemon last stopped.
    public func openSessions() throws -> [PersistedSession] {
        try database.read { db in
            try db.query("SELECT terminal, session, subject, begun_at_ns FROM open_session ORDER BY rowid").compactMap { row in
                guard let terminal = row.text("terminal"), let session = row.text("session"), let subjectText = row.text("subject"),
                      let begunAt = row.integer("begun_at_ns")
                else { return nil }
                // An anonymous session is kept with an empty subject, so that it too is locked after a restart.
                let subject = Pseudonym(subjectText)
                guard subject != nil || subjectText.isEmpty else { return nil }
                return PersistedSession(terminal: terminal, session: SessionID(session), subject: subject,
                                        begunAt: WallInstant(nanosecondsSinceEpoch: begunAt))
            }
        }
    }

    /// Every remembered account link.
    public func accountLinks() throws -> [(account: Pseudonym, link: AccountIndex.Link)] {
        try database.read { db in
            try db.query("SELECT account, subject, linked_at_ns FROM account_link").compactMap { row in
                guard let account = row.text("account").flatMap({ Pseudonym($0) }), let subject = row.text("subject").flatMap({ Pseudonym($0) }),
                      let linkedAt = row.integer("linked_at_ns") else { return nil }
                return (account, AccountIndex.Link(subject: subject, linkedAt: WallInstant(nanosecondsSinceEpoch: linkedAt)))
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
                    try db.execute("INSERT OR REPLACE INTO open_session (terminal, session, subject, begun_at_ns) VALUES (?, ?, ?, ?)",
                                   [.text(session.terminal), .text(session.session.rawValue), .text(session.subject?.description ?? ""),
                                    .integer(session.begunAt.nanosecondsSinceEpoch)])
                case .forget(let terminal, let session):
                    try db.execute("DELETE FROM open_session WHERE terminal = ? AND session = ?", [.text(terminal), .text(session.rawValue)])
                case .linkAccount(let account, let subject, let at):
                    try db.execute("INSERT OR REPLACE INTO account_link (account, subject, linked_at_ns) VALUES (?, ?, ?)",
                                   [.text(account.description), .text(subject.description), .integer(at.nanosecondsSinceEpoch)])
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
            try db.execute("DELETE FROM account_link WHERE linked_at_ns < ?", [.integer(cutoff.nanosecondsSinceEpoch)])
        }
    }
}
