import KioskGuardVocabulary
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

    /// Who may have written kioskguardd's entries (the default: the installed unit, or a
    /// kioskguardd run by root or by the `kioskguard` user).
    public var trust = EntryTrust.installed

    /// The anomaly details that name other people (the core's `new_subject`, `card_subject`,
    /// `other_subject`), as journal field suffixes.
    static let subjectDetails = ["NEW_SUBJECT", "CARD_SUBJECT", "OTHER_SUBJECT"]

    /// Streams the matching entries that journald vouches for in time order to `body`, which
    /// returns false to stop early, and says how many it passed over as untrusted.
    @discardableResult
    public func forEach(_ body: (ReviewEntry) throws -> Bool) throws -> JournalScan {
        var scan = JournalScan()
        let reader = try JournalReader(source)
        reader.addMatch("SYSLOG_IDENTIFIER", "kioskguardd")
        if let terminal { reader.addMatch(JournalFields.terminal, terminal) }
        if let session { reader.addMatch(JournalFields.session, session) }
        if let subject { reader.addMatch(JournalFields.subject, subject) }
        reader.seek(toRealtime: since)
        while reader.next() {
            let time = reader.realtimeMicroseconds
            if let until, time > until { return scan }
            guard let event = reader.field(JournalFields.event) else { continue }
            guard trust.vouchesFor(unit: reader.field("_SYSTEMD_UNIT"), command: reader.field("_COMM"), uid: reader.field("_UID")) else {
                scan.untrusted += 1
                continue
            }
            var entry = ReviewEntry(
                time: time, host: reader.field("_HOSTNAME") ?? "?", event: event, terminal: reader.field(JournalFields.terminal),
                session: reader.field(JournalFields.session), subject: reader.field(JournalFields.subject),
                account: reader.field(JournalFields.account), state: reader.field(JournalFields.state), reason: reader.field(JournalFields.reason),
                anomaly: reader.field(JournalFields.anomaly), step: reader.field(JournalFields.step),
                severity: reader.field(JournalFields.severity), detectedAt: reader.field(JournalFields.detectedAt).flatMap(RFC3339.parse).flatMap { UInt64(exactly: $0 / 1000) },
                alertID: reader.field(JournalFields.alertID), endpoint: reader.field(JournalFields.endpoint), message: reader.field("MESSAGE") ?? ""
            )
            entry.site = reader.field(JournalFields.site)
            if event == AuditEvent.anomaly.rawValue {
                entry.otherSubjects = Self.subjectDetails.flatMap { name in
                    reader.field(JournalFields.detailPrefix + name).map { $0.split(separator: ",").map { String($0).trimmingSpaces } } ?? []
                }
            }
            if try !body(entry) { return scan }
        }
        return scan
    }
}
