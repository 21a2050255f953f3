import KioskGuardProtocol
import NIOCore

/// Counts the lines one connection had refused, so the journal gets a summary instead of one
/// entry per bad line: the first refusal is reported at once, later ones at most once per
/// `interval`, and whatever is left when the connection closes.
struct ProtocolErrorTally {
    static let interval = TimeAmount.seconds(60)

    private var counts: [EventErrorCode: Int] = [:]
    private var lastReport: NIODeadline?

    /// Counts one refusal at `now`; returns the counts to report when a summary is due.
    mutating func count(_ code: EventErrorCode, at now: NIODeadline) -> Summary? {
        counts[code, default: 0] += 1
        if let lastReport, now - lastReport < Self.interval { return nil }
        lastReport = now
        return drain()
    }

    /// The counts not yet reported, if any, and forgets them.
    mutating func drain() -> Summary? {
        guard !counts.isEmpty else { return nil }
        defer { counts.removeAll(keepingCapacity: true) }
        return Summary(counts: counts)
    }

    /// Refusals by error code, with their total.
    struct Summary {
        var counts: [EventErrorCode: Int]

        var total: Int { counts.values.reduce(0, +) }

        /// `bad-field=2,unknown-type=1`: codes in a stable order, for KIOSKGUARD_REASON.
        var reason: String {
            counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: ",")
        }
    }
}
