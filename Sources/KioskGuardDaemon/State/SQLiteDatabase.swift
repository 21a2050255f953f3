import GRDB

/// Opens the daemon's SQLite files the one way they are opened: WAL, at the durability asked for.
enum SQLiteDatabase {
    /// How much a commit survives.
    enum Durability: String {
        /// A commit survives the daemon being killed (WAL, synchronous=NORMAL): session state.
        case processCrash = "NORMAL"
        /// A commit survives a power cut too (WAL, synchronous=FULL): the alert outbox.
        case powerLoss = "FULL"
    }

    static func open(_ path: String, durability: Durability, migrations: (inout DatabaseMigrator) -> Void) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = \(durability.rawValue)")
        }
        let database = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrations(&migrator)
        try migrator.migrate(database)
        return database
    }
}
