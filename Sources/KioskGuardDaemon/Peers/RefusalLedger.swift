import KioskGuardProtocol
import NIOCore

/// Counts refused lines by peer uid and terminal across all of that uid's connections, so the
/// journal gets a few summaries a minute, never one entry per line or per connection: the first
/// refusal of a quiet key is reported at once, and what follows within the minute is reported
/// when the minute ends, or when the key's bound connection closes (once a minute). Pure; the
/// gate arms a timer for `nextReport`.
struct RefusalLedger {
    static let window = TimeAmount.seconds(60)
    /// Keys kept at most; refusals of further keys are counted under `overflow`.
    static let maxKeys = 4096

    /// Whose refusals: a uid, and the terminal its connection is bound to (nil before `hello`).
    struct Key: Hashable {
        var uid: UInt32
        var terminal: String?
    }

    /// Where refusals of keys beyond `maxKeys` are counted.
    static let overflow = Key(uid: .max, terminal: nil)

    /// Refusals by error code, with the pid that had the last of them.
    struct Summary: Equatable {
        var counts: [EventErrorCode: Int]
        var pid: Int32

        var total: Int { counts.values.reduce(0, +) }

        /// `bad-field=2,unknown-type=1`: codes in a stable order, for KIOSKGUARD_REASON.
        var reason: String {
            counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: ",")
        }
    }

    private struct Entry {
        var counts: [EventErrorCode: Int] = [:]
        var pid: Int32 = 0
        var reportedAt: NIODeadline
        var closeReported = false
    }

    private var entries: [Key: Entry] = [:]

    /// Counts one refusal of `key`'s peer `pid`; returns a summary to write now when the key was
    /// quiet for a window.
    mutating func count(_ code: EventErrorCode, key: Key, pid: Int32, at now: NIODeadline) -> Summary? {
        let key = entries[key] != nil || entries.count < Self.maxKeys ? key : Self.overflow
        if var entry = entries[key], now - entry.reportedAt < Self.window {
            entry.counts[code, default: 0] += 1
            entry.pid = pid
            entries[key] = entry
            return nil
        }
        let pending = entries[key]?.counts ?? [:]
        entries[key] = Entry(reportedAt: now)
        return Summary(counts: pending.merging([code: 1], uniquingKeysWith: +), pid: pid)
    }

    /// `key`'s bound connection closed: what it has pending, unless a close already reported it
    /// in this window (a peer reconnecting in a loop must not get an entry per connection).
    mutating func connectionClosed(_ key: Key, at now: NIODeadline) -> Summary? {
        guard var entry = entries[key], !entry.counts.isEmpty, !entry.closeReported else { return nil }
        defer {
            entry.counts.removeAll()
            entry.closeReported = true
            entries[key] = entry
        }
        return Summary(counts: entry.counts, pid: entry.pid)
    }

    /// The summaries of keys whose window ended with refusals pending; forgets quiet keys.
    mutating func due(at now: NIODeadline) -> [(Key, Summary)] {
        var reports: [(Key, Summary)] = []
        for (key, entry) in entries where now - entry.reportedAt >= Self.window {
            if entry.counts.isEmpty {
                entries[key] = nil
            } else {
                reports.append((key, Summary(counts: entry.counts, pid: entry.pid)))
                entries[key] = Entry(reportedAt: now)
            }
        }
        return reports
    }

    /// When the next summary falls due, if any refusal is pending.
    var nextReport: NIODeadline? {
        entries.values.filter { !$0.counts.isEmpty }.map { $0.reportedAt + Self.window }.min()
    }
}
