import ArgumentParser
import KioskGuardReview
import Systemd
#if canImport(Glibc)
import Glibc
#endif

/// Where and when the journal verbs read: this host's journal, or journals collected from many
/// hosts (`--directory`, `--file`), between `--since` and `--until`.
struct JournalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read journal files in this directory (for example a systemd-journal-remote collector's).", valueName: "dir"))
    var directory: String?

    @Option(name: .long, help: ArgumentHelp("Read this journal file (repeatable).", valueName: "file"))
    var file: [String] = []

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only entries at or after this time: now, today, yesterday, -1h, 2026-11-27, \"2026-11-27 10:00\", @SECONDS.", valueName: "time"))
    var since: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only entries at or before this time (same forms as --since).", valueName: "time"))
    var until: String?

    func validate() throws {
        if directory != nil && !file.isEmpty { throw ValidationError("give --directory or --file, not both") }
        // A journal that is not there is a mistake in the command, not an empty record: exit 2.
        var status = stat()
        if let directory {
            guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw ValidationError("--directory '\(directory)': \(stat(directory, &status) == 0 ? "not a directory" : "no such directory")")
            }
        }
        for path in file where stat(path, &status) != 0 {
            throw ValidationError("--file '\(path)': no such file")
        }
        // sd_journal skips files it cannot open: a reader without permission would see nothing and
        // be told "no findings". Not being able to look is never "nothing found".
        let unreadable = JournalAccess.unreadableFiles(of: query().source)
        if !unreadable.isEmpty {
            let listed = unreadable.prefix(3).map { "\($0.path): \($0.reason)" }.joined(separator: "; ")
            let more = unreadable.count > 3 ? " and \(unreadable.count - 3) more" : ""
            throw ValidationError("cannot read the journal: \(listed)\(more). Reading it needs root or membership in systemd-journal (or adm)")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, TimeExpression.parse(value, now: Self.now) == nil {
                throw ValidationError("\(name) '\(value)': use now, today, yesterday, -1h, 2026-11-27, \"2026-11-27 10:00\" or @SECONDS")
            }
        }
    }

    /// The query these options describe.
    func query() -> JournalQuery {
        var query = JournalQuery()
        if let directory { query.source = .directory(directory) } else if !file.isEmpty { query.source = .files(file) }
        query.since = since.flatMap { TimeExpression.parse($0, now: Self.now) }
        query.until = until.flatMap { TimeExpression.parse($0, now: Self.now) }
        return query
    }

    /// Runs `query`, turning an unreadable journal into a one-line failure. Entries journald
    /// does not vouch for are left out and counted on stderr, never silently dropped.
    static func stream(_ query: JournalQuery, _ body: (ReviewEntry) throws -> Bool) throws {
        let scan: JournalScan
        do {
            scan = try query.forEach(body)
        } catch let error as JournalReaderError {
            throw CLIFailure(error.description, exitStatus: 2)
        }
        if scan.untrusted > 0 {
            printToStandardError("kioskguardctl: \(scan.untrusted) entries name kioskguardd but were not written by it (journald's _SYSTEMD_UNIT, _COMM and _UID say otherwise); they are left out. See them with: journalctl SYSLOG_IDENTIFIER=kioskguardd -o verbose")
        }
    }

    static var now: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec / 1000)
    }
}
