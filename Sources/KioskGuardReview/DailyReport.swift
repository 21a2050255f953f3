import KioskGuardVocabulary

/// What the HTML report draws, built by streaming entries through `add`: per terminal and local
/// day the sessions begun and how they ended, anomalies per day by kind and severity, and the
/// delay from each anomaly's detection to its alert's delivery. Memory grows with terminals ×
/// days and with alerts, never with the other entries.
public struct DailyReport: Sendable {
    /// One terminal's sessions on one day.
    public struct Sessions: Hashable, Sendable {
        /// Sessions begun.
        public var begun = 0
        /// Sessions ended, by end reason.
        public var endedBy: [String: Int] = [:]

        /// Sessions ended.
        public var ended: Int { endedBy.values.reduce(0, +) }
        /// Sessions ended `abandoned`: the forgotten logouts.
        public var abandoned: Int { endedBy[EndReason.abandoned.rawValue, default: 0] }
        /// Forgotten logouts among the sessions ended; 0 when none ended.
        public var forgottenLogoutRate: Double { ended == 0 ? 0 : Double(abandoned) / Double(ended) }

        /// Adds `other`'s counts to these.
        public mutating func merge(_ other: Sessions) {
            begun += other.begun
            endedBy.merge(other.endedBy, uniquingKeysWith: +)
        }
    }

    /// A host's terminal.
    public struct Terminal: Hashable, Sendable, Comparable {
        /// The host.
        public var host: String
        /// The terminal's name.
        public var terminal: String

        public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.host, lhs.terminal) < (rhs.host, rhs.terminal) }
    }

    /// The upper bounds of the delivery-delay histogram's buckets, in seconds; one more bucket
    /// holds everything slower.
    public static let delayBuckets: [(label: String, seconds: UInt64)] = [
        ("≤ 1 s", 1), ("≤ 10 s", 10), ("≤ 1 min", 60), ("≤ 10 min", 600), ("≤ 1 h", 3600), ("≤ 1 day", 86_400),
    ]

    /// Sessions by terminal and day.
    public private(set) var sessions: [Terminal: [CalendarDay: Sessions]] = [:]
    /// Anomalies by day and kind.
    public private(set) var anomalies: [CalendarDay: [String: Int]] = [:]
    /// Deliveries per bucket of `delayBuckets`, and one for slower ones.
    public private(set) var delayHistogram = [Int](repeating: 0, count: delayBuckets.count + 1)
    /// The slowest delivery, microseconds from detection.
    public private(set) var slowestDelivery: UInt64 = 0
    /// Every host seen.
    public private(set) var hosts: Set<String> = []
    /// Every site seen (`[daemon] site` of the hosts that name one).
    public private(set) var sites: Set<String> = []
    /// The first and last entry's time, microseconds since the epoch.
    public private(set) var period: ClosedRange<UInt64>?
    /// Entries read.
    public private(set) var entries = 0

    private var alerts: [String: (detectedAt: UInt64, delivered: Bool)] = [:]

    /// An empty report.
    public init() {}

    /// Alerts queued and never delivered in the period.
    public var undeliveredAlerts: Int { alerts.values.count { !$0.delivered } }
    /// Alerts delivered (to at least one hotline).
    public var deliveredAlerts: Int { alerts.values.count(where: \.delivered) }

    /// Counts one entry, in time order.
    public mutating func add(_ entry: ReviewEntry) {
        entries += 1
        hosts.insert(entry.host)
        if let site = entry.site { sites.insert(site) }
        period = period.map { min($0.lowerBound, entry.time)...max($0.upperBound, entry.time) } ?? entry.time...entry.time
        let day = CalendarDay(localTimeOf: entry.time)
        let terminal = Terminal(host: entry.host, terminal: entry.terminal ?? "-")
        switch AuditEvent(rawValue: entry.event) {
        case .sessionBegun:
            sessions[terminal, default: [:]][day, default: Sessions()].begun += 1
        case .sessionEnded:
            sessions[terminal, default: [:]][day, default: Sessions()].endedBy[entry.reason ?? "unknown", default: 0] += 1
        case .anomaly:
            anomalies[CalendarDay(localTimeOf: entry.detectedAt ?? entry.time), default: [:]][entry.anomaly ?? "unknown", default: 0] += 1
        case .alertQueued:
            if let id = entry.alertID, let detectedAt = entry.detectedAt, entry.anomaly != nil { alerts[id] = (detectedAt, false) }
        case .alertDelivered:
            guard let id = entry.alertID, let alert = alerts[id], !alert.delivered else { return }
            alerts[id]?.delivered = true
            let delay = entry.time > alert.detectedAt ? entry.time - alert.detectedAt : 0
            slowestDelivery = max(slowestDelivery, delay)
            let bucket = Self.delayBuckets.firstIndex { delay <= $0.seconds * 1_000_000 } ?? Self.delayBuckets.count
            delayHistogram[bucket] += 1
        default:
            break
        }
    }

    /// Every day from the first to the last entry, in order.
    public var days: [CalendarDay] {
        guard let period else { return [] }
        let (first, last) = (CalendarDay(localTimeOf: period.lowerBound), CalendarDay(localTimeOf: period.upperBound))
        return (first.daysSinceEpoch...last.daysSinceEpoch).map(CalendarDay.init(daysSinceEpoch:))
    }

    /// All terminals' sessions on each day.
    public var sessionsPerDay: [CalendarDay: Sessions] {
        var total: [CalendarDay: Sessions] = [:]
        for perDay in sessions.values {
            for (day, figures) in perDay { total[day, default: Sessions()].merge(figures) }
        }
        return total
    }

    /// Each terminal's sessions over the whole period.
    public var sessionsPerTerminal: [Terminal: Sessions] {
        sessions.mapValues { perDay in perDay.values.reduce(into: Sessions()) { $0.merge($1) } }
    }

    /// The `limit` terminals with the most sessions ended (ties by name), and the rest.
    public func busiestTerminals(limit: Int) -> (top: [Terminal], others: [Terminal]) {
        let ranked = sessionsPerTerminal.sorted { ($1.value.ended, $0.key) < ($0.value.ended, $1.key) }.map(\.key)
        return (Array(ranked.prefix(limit)), Array(ranked.dropFirst(limit)))
    }
}
