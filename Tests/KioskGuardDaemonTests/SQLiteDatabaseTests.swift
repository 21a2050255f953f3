import Foundation
@testable import KioskGuardDaemon
import Testing

@Suite("SQLite: schema versions, transactions, values")
struct SQLiteDatabaseTests {
    let path = NSTemporaryDirectory() + "kioskguard-sqlite-\(UUID().uuidString).sqlite"
    let createTable = "CREATE TABLE IF NOT EXISTS item (name TEXT NOT NULL UNIQUE, payload BLOB, size INTEGER)"

    private func version(_ database: SQLiteDatabase) throws -> Int64? {
        try database.read { try $0.query("PRAGMA user_version").first?.integer("user_version") }
    }

    @Test("migrations run once each, in order, and the version is kept in the file")
    func migrationsRunOnce() throws {
        do {
            let database = try SQLiteDatabase(path, durability: .processCrash, migrations: [createTable])
            #expect(try version(database) == 1)
            try database.write { try $0.execute("INSERT INTO item (name) VALUES (?)", [.text("first")]) }
        }
        // Reopened with a second migration: only that one runs; the row is still there.
        let reopened = try SQLiteDatabase(path, durability: .processCrash, migrations: [
            createTable, "ALTER TABLE item ADD COLUMN note TEXT",
        ])
        #expect(try version(reopened) == 2)
        #expect(try reopened.read { try $0.query("SELECT name, note FROM item") }.map { $0.text("name") } == ["first"])
    }

    @Test("a file from a newer kioskguardd is refused, not downgraded")
    func newerSchemaRefused() throws {
        _ = try SQLiteDatabase(path, durability: .processCrash, migrations: [createTable, "SELECT 1"])
        #expect(throws: SQLiteError.self) {
            _ = try SQLiteDatabase(path, durability: .processCrash, migrations: [createTable])
        }
    }

    @Test("a throwing write rolls back everything it did")
    func rollback() throws {
        let database = try SQLiteDatabase(path, durability: .powerLoss, migrations: [createTable])
        #expect(throws: SQLiteError.self) {
            try database.write { db in
                try db.execute("INSERT INTO item (name) VALUES (?)", [.text("kept?")])
                try db.execute("INSERT INTO item (name) VALUES (?)", [.text("kept?")])  // violates UNIQUE
            }
        }
        #expect(try database.read { try $0.query("SELECT name FROM item") }.isEmpty)
    }

    @Test("integers, text (with a NUL inside), blobs (empty too) and NULL come back as they went in")
    func valuesRoundTrip() async throws {
        let database = try SQLiteDatabase(path, durability: .powerLoss, migrations: [createTable])
        let payload: [UInt8] = [0, 255, 10, 0]
        try await database.write { db in
            try db.execute("INSERT INTO item (name, payload, size) VALUES (?, ?, ?)", [.text("ä\u{0}b"), .blob(payload), .integer(Int64.min)])
            try db.execute("INSERT INTO item (name, payload, size) VALUES (?, ?, ?)", [.text("empty"), .blob([]), .null])
        }
        let rows = try database.read { try $0.query("SELECT name, payload, size FROM item ORDER BY rowid") }
        #expect(rows.map { $0.text("name") } == ["ä\u{0}b", "empty"])
        #expect(rows[0].blob("payload") == payload && rows[0].integer("size") == Int64.min)
        #expect(rows[1].blob("payload") == [] && rows[1].integer("size") == nil)
    }
}
