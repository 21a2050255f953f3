public import Systemd

/// Which kioskguard entries to read, and from where.
public struct JournalQuery: Sendable {
    /// The journal files: this host's, a collected directory, or files.
    public var source: JournalReader.Source = .local
    /// Only this terminal.
    public var terminal: String?
    /// Only this session.
    public var session: String?
    /// Only this subject pseudonym.
    public var subject: String?
    /// Not before, microseconds since the epoch.
    public var since: UInt64?
    /// Not after, microseconds since the epoch.
    public var until: UInt64?

    /// A query of everything on this host.
    public init() {}

    /// Streams the matching entries in time order to `body`, which returns false to stop early.
    public func forEach(_ body: (ReviewEntry) throws -> Bool) throws {
        let reader = try JournalReader(source)
        reader.addMatch("SYSLOG_IDENTIFIER", "kioskguardd")
        if let terminal { reader.addMatch("KIOSKGUARD_TERMINAL", terminal) }
        if let session { reader.addMatch("KIOSKGUARD_SESSION", session) }
        if let subject { reader.addMatch("KIOSKGUARD_SUBJECT", subject) }
        reader.seek(toRealtime: since)
        while reader.next() {
            let time = reader.realtimeMicroseconds
            if let until, time > until { return }
            guard let event = reader.field("KIOSKGUARD_EVENT") else { continue }
            let entry = ReviewEntry(
                time: time, host: reader.field("_HOSTNAME") ?? "?", event: event, terminal: reader.field("KIOSKGUARD_TERMINAL"),
                session: reader.field("KIOSKGUARD_SESSION"), subject: reader.field("KIOSKGUARD_SUBJECT"),
                account: reader.field("KIOSKGUARD_ACCOUNT"), state: reader.field("KIOSKGUARD_STATE"), reason: reader.field("KIOSKGUARD_REASON"),
                anomaly: reader.field("KIOSKGUARD_ANOMALY"), step: reader.field("KIOSKGUARD_STEP"), message: reader.field("MESSAGE") ?? ""
            )
            if try !body(entry) { return }
        }
    }
}
