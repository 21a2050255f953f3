import CSQLite

/// A value bound to or read from an SQL statement.
enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

/// One result row, read by column name.
struct SQLiteRow {
    fileprivate var values: [String: SQLiteValue]

    func integer(_ column: String) -> Int64? {
        if case .integer(let value) = values[column] { return value }
        return nil
    }

    func text(_ column: String) -> String? {
        if case .text(let value) = values[column] { return value }
        return nil
    }

    func blob(_ column: String) -> [UInt8]? {
        if case .blob(let value) = values[column] { return value }
        return nil
    }
}

/// A failed SQLite call: what was attempted and SQLite's own message.
public struct SQLiteError: Error, CustomStringConvertible {
    /// SQLite's result code.
    public let code: Int32
    /// What failed and why.
    public let description: String

    /// A UNIQUE, NOT NULL or foreign-key constraint refused the statement: retrying it as it is
    /// can never succeed.
    public var isConstraintViolation: Bool { code & 0xFF == SQLITE_CONSTRAINT }
}

/// An open SQLite connection. Not thread-safe by itself: `SQLiteDatabase` is its only owner and
/// serializes every use.
struct SQLiteConnection {
    let handle: OpaquePointer

    /// Runs `sql` (one or more statements, no parameters).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, description: message.map { String(cString: $0) } ?? "SQLite error \(code)")
        }
    }

    /// Runs one statement with `arguments` bound to its `?` parameters.
    func execute(_ sql: String, _ arguments: [SQLiteValue]) throws {
        _ = try query(sql, arguments)
    }

    /// Runs one statement and returns every row it yields.
    func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [SQLiteRow] {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil), sql)
        defer { sqlite3_finalize(statement) }
        for (index, argument) in arguments.enumerated() {
            try check(bind(argument, at: Int32(index + 1), in: statement), sql)
        }
        let columns = (0..<sqlite3_column_count(statement)).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows: [SQLiteRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return rows }
            guard code == SQLITE_ROW else { try check(code, sql); return rows }
            var values: [String: SQLiteValue] = [:]
            for (index, name) in columns.enumerated() {
                values[name] = column(Int32(index), of: statement)
            }
            rows.append(SQLiteRow(values: values))
        }
    }

    /// The rowid of the last row inserted on this connection.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    private func bind(_ value: SQLiteValue, at index: Int32, in statement: OpaquePointer?) -> Int32 {
        switch value {
        case .integer(let integer):
            return sqlite3_bind_int64(statement, index, integer)
        case .text(let text):
            // The byte count, not -1: a session id may carry an escaped NUL, and -1 would cut it there.
            return sqlite3_bind_text(statement, index, text, Int32(text.utf8.count), kioskguard_sqlite_transient())
        case .blob(let bytes) where bytes.isEmpty:
            // An empty array has no base address, and a NULL pointer would bind SQL NULL.
            return sqlite3_bind_zeroblob(statement, index, 0)
        case .blob(let bytes):
            return bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), kioskguard_sqlite_transient()) }
        case .null:
            return sqlite3_bind_null(statement, index)
        }
    }

    private func column(_ index: Int32, of statement: OpaquePointer?) -> SQLiteValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeRawBufferPointer(start: sqlite3_column_text(statement, index), count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    private func check(_ code: Int32, _ sql: String) throws {
        guard code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE else {
            throw SQLiteError(code: code, description: "\(String(cString: sqlite3_errmsg(handle))) (in: \(sql.prefix(80)))")
        }
    }
}
