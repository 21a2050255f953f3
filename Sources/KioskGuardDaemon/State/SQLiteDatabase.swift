import CSQLite
import Dispatch

/// One of the daemon's SQLite files, opened the one way they are opened (WAL, at the durability
/// asked for, the schema migrated), with every use serialized on its own queue.
///
/// The daemon talks to SQLite's C API through this and `SQLiteConnection` alone: an ORM would
/// bring full Foundation (and its 35 MB of ICU data) into a static binary for a dozen statements.
final class SQLiteDatabase: @unchecked Sendable {
    /// How much a commit survives.
    enum Durability: String {
        /// A commit survives the daemon being killed (WAL, synchronous=NORMAL): session state.
        case processCrash = "NORMAL"
        /// A commit survives a power cut too (WAL, synchronous=FULL): the alert outbox.
        case powerLoss = "FULL"
    }

    // Every use of `connection` runs on `queue`; that is what makes the class Sendable.
    private let connection: SQLiteConnection
    private let queue: DispatchQueue

    /// Opens (creating if needed) `path`. `migrations[n]` brings the schema from version n to
    /// n + 1; the version lives in `PRAGMA user_version`, and each step commits with its version.
    init(_ path: String, durability: Durability, migrations: [String]) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw SQLiteError(code: code, description: "cannot open \(path): \(message)")
        }
        connection = SQLiteConnection(handle: handle)
        queue = DispatchQueue(label: "kioskguard.sqlite")
        do {
            try connection.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = \(durability.rawValue); PRAGMA foreign_keys = ON")
            sqlite3_busy_timeout(handle, 5_000)
            try migrate(migrations)
        } catch {
            sqlite3_close(handle)
            throw error
        }
    }

    deinit {
        sqlite3_close(connection.handle)
    }

    /// Runs `body` with the connection, outside any transaction (reads).
    func read<Result>(_ body: (SQLiteConnection) throws -> Result) throws -> Result {
        try queue.sync { try body(connection) }
    }

    /// Runs `body` in one transaction, committed when it returns and rolled back when it throws.
    func write<Result>(_ body: (SQLiteConnection) throws -> Result) throws -> Result {
        try queue.sync { try transaction(body) }
    }

    /// `write` without blocking the caller's thread: it waits for the commit (and its fsync).
    func write<Result: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Swift.Result { try self.transaction(body) }) }
        }
    }

    private func transaction<Result>(_ body: (SQLiteConnection) throws -> Result) throws -> Result {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let result = try body(connection)
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func migrate(_ migrations: [String]) throws {
        let version = Int(try connection.query("PRAGMA user_version").first?.integer("user_version") ?? 0)
        guard version <= migrations.count else {
            throw SQLiteError(code: SQLITE_ERROR, description: "schema version \(version) is newer than this kioskguardd knows (\(migrations.count))")
        }
        for (index, migration) in migrations.enumerated().dropFirst(version) {
            try transaction { connection in
                try connection.execute(migration)
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}
