#if canImport(Glibc)
import Glibc
#endif

/// Which journal entries count as kioskguardd's. Anyone may write an entry with
/// `SYSLOG_IDENTIFIER=kioskguardd` and any `KIOSKGUARD_*` field (`logger --journald` does), so
/// the review verbs believe only the fields journald itself adds and no client can set: the
/// systemd unit the writer ran in (`_SYSTEMD_UNIT`), or its command name and user (`_COMM`,
/// `_UID`). They survive systemd-journal-remote, so collected journals are judged the same way.
public struct EntryTrust: Hashable, Sendable {
    /// Units whose processes write kioskguardd's entries.
    public var units: Set<String>
    /// The command name of the daemon.
    public var command: String
    /// The users a `command` process outside those units may run as.
    public var uids: Set<String>

    /// A rule of its own.
    public init(units: Set<String>, command: String, uids: Set<String>) {
        self.units = units
        self.command = command
        self.uids = uids
    }

    /// The installed daemon (`kioskguard.service`), or `kioskguardd` run by root or by the
    /// `kioskguard` system user of this host (development and tests).
    public static var installed: EntryTrust {
        var uids: Set<String> = ["0"]
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        if getpwnam_r("kioskguard", &entry, &buffer, buffer.count, &result) == 0, result != nil { uids.insert(String(entry.pw_uid)) }
        return EntryTrust(units: ["kioskguard.service"], command: "kioskguardd", uids: uids)
    }

    /// Whether an entry with these trusted fields was written by kioskguardd.
    public func vouchesFor(unit: String?, command: String?, uid: String?) -> Bool {
        if let unit, units.contains(unit) { return true }
        guard let command, command == self.command, let uid else { return false }
        return uids.contains(uid)
    }
}

/// What a journal scan passed over.
public struct JournalScan: Hashable, Sendable {
    /// Entries that claimed to be kioskguardd's but that journald does not vouch for.
    public var untrusted = 0

    /// An empty scan.
    public init() {}
}
