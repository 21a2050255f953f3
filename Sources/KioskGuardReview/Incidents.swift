import KioskGuardVocabulary

/// One incident: anomalies that may have exposed one person's data to another, grouped across
/// hosts, with its timeline and reporting clock (docs/review.md).
public struct Incident: Sendable, Encodable {
    /// What one line of the timeline says happened.
    public enum Step: String, Sendable, Encodable, CaseIterable {
        /// An account was registered by a subject (a `step-done` naming the account).
        case registration
        /// kioskguardd detected an anomaly on a host.
        case detected
        /// The review found an account registered by another person across hosts, which no
        /// single host's daemon could see.
        case foundByReview = "found-by-review"
        /// The anomaly's alert was delivered to a hotline.
        case alertDelivered = "alert-delivered"
        /// The anomaly's alert was queued and not delivered by the end of the period.
        case alertUndelivered = "alert-undelivered"

        /// Steps at one instant are listed in the order they follow from each other.
        var order: Int { Self.allCases.firstIndex(of: self)! }
    }

    /// One line of the timeline.
    public struct TimelineEntry: Hashable, Sendable, Encodable {
        /// When, microseconds since the epoch.
        public var time: UInt64
        /// What happened.
        public var step: Step
        /// The host it happened on.
        public var host: String
        /// The host's site, when it names one.
        public var site: String?
        /// The terminal, if any.
        public var terminal: String?
        /// The session, if any.
        public var session: String?
        /// The anomaly kind, for detections and alerts.
        public var anomaly: String?
        /// The subject pseudonym concerned.
        public var subject: String?
        /// The account pseudonym concerned.
        public var account: String?
        /// The hotline endpoint, for alerts.
        public var endpoint: String?
        /// For a delivered alert: microseconds from detection to delivery.
        public var delay: UInt64?
    }

    /// 1 for the incident detected first, and so on.
    public var number: Int
    /// The anomaly kinds it groups.
    public var kinds: [String]
    /// The first detection, microseconds since the epoch: the reporting clock counts from it.
    public var firstDetection: UInt64
    /// Where the first detection was made.
    public var firstHost: String
    /// Every host involved.
    public var hosts: [String]
    /// Every site involved (of the hosts that name one).
    public var sites: [String]
    /// The distinct subject pseudonyms affected.
    public var subjects: [String]
    /// The account pseudonyms involved.
    public var accounts: [String]
    /// Detections with an alert, and how many of those reached a hotline.
    public var alertsQueued: Int
    /// Detections whose alert reached at least one hotline.
    public var alertsDelivered: Int
    /// The reports due and whether each is still ahead on the day of the run.
    public var deadlines: [ReportingClock.Deadline]
    /// What happened, in time order: the first `IncidentFinder.timelineLimit` lines.
    public var timeline: [TimelineEntry]
    /// Lines after those, left out; a narrower `--since`/`--until` shows them.
    public var timelineOmitted: Int

    enum CodingKeys: String, CodingKey {
        case number, kinds, hosts, sites, subjects, accounts, deadlines, timeline
        case firstDetection = "first_detection"
        case firstHost = "first_host"
        case subjectsAffected = "subjects_affected"
        case alertsQueued = "alerts_queued"
        case alertsDelivered = "alerts_delivered"
        case timelineOmitted = "timeline_omitted"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(number, forKey: .number)
        try container.encode(kinds, forKey: .kinds)
        try container.encode(firstDetection, forKey: .firstDetection)
        try container.encode(firstHost, forKey: .firstHost)
        try container.encode(hosts, forKey: .hosts)
        try container.encode(sites, forKey: .sites)
        try container.encode(subjects.count, forKey: .subjectsAffected)
        try container.encode(subjects, forKey: .subjects)
        try container.encode(accounts, forKey: .accounts)
        try container.encode(alertsQueued, forKey: .alertsQueued)
        try container.encode(alertsDelivered, forKey: .alertsDelivered)
        try container.encode(deadlines, forKey: .deadlines)
        try container.encode(timeline, forKey: .timeline)
        try container.encode(timelineOmitted, forKey: .timelineOmitted)
    }
}

/// Groups, from entries streamed in time order, the anomalies that may expose personal data
/// (`AnomalyKind.mayExposePersonalData`) into incidents: two detections belong to one incident
/// when they concern the same account, name a common subject, or are of the same kind within
/// `kindWindow` of each other, on any hosts. Accounts registered by two people on different
/// hosts, which no host's daemon sees, are found as `audit` finds them. Memory grows with
/// detections, alerts and registered accounts, never with the other entries.
public struct IncidentFinder: Sendable {
    /// Detections of one kind this close together are one incident, wherever they were made.
    public static let kindWindow: UInt64 = 7 * 86_400 * 1_000_000
    /// Timeline lines kept per incident: an incident of a hundred thousand detections is read by
    /// its first lines and its counts, and printing every line would cost memory with no reader.
    public static let timelineLimit = 1000

    private struct Detection: Sendable {
        var entry: Incident.TimelineEntry
        var subjects: [String]
        var key: AlertKey?
    }

    /// An anomaly's alert is found by the host, the kind and the detection time it carries.
    private struct AlertKey: Hashable, Sendable {
        var host: String
        var anomaly: String
        var detectedAt: UInt64
    }

    private var detections: [Detection] = []
    private var registrations: [String: [Incident.TimelineEntry]] = [:]
    private var queuedAlerts: [String: (key: AlertKey, time: UInt64)] = [:]
    private var deliveries: [AlertKey: [Incident.TimelineEntry]] = [:]

    /// An empty finder.
    public init() {}

    /// Feeds one entry, in time order.
    public mutating func add(_ entry: ReviewEntry) {
        switch AuditEvent(rawValue: entry.event) {
        case .anomaly:
            guard let kind = entry.anomaly.flatMap(AnomalyKind.init(rawValue:)), kind.mayExposePersonalData else { return }
            let detectedAt = entry.detectedAt ?? entry.time
            let line = Incident.TimelineEntry(time: detectedAt, step: .detected, host: entry.host, site: entry.site, terminal: entry.terminal, session: entry.session,
                                              anomaly: kind.rawValue, subject: entry.subject, account: entry.account)
            detections.append(Detection(entry: line, subjects: ([entry.subject].compactMap { $0 } + entry.otherSubjects),
                                        key: AlertKey(host: entry.host, anomaly: kind.rawValue, detectedAt: detectedAt)))
        case .stepDone:
            guard let account = entry.account, let subject = entry.subject else { return }
            var list = registrations[account, default: []]
            guard !list.contains(where: { $0.subject == subject }) else { return }
            list.append(Incident.TimelineEntry(time: entry.time, step: .registration, host: entry.host, site: entry.site, terminal: entry.terminal,
                                               session: entry.session, subject: subject, account: account))
            registrations[account] = list
            if list.count > 1 {
                let line = Incident.TimelineEntry(time: entry.time, step: .foundByReview, host: entry.host, site: entry.site, terminal: entry.terminal,
                                                  session: entry.session, anomaly: AnomalyKind.accountMultipleSubjects.rawValue,
                                                  subject: subject, account: account)
                detections.append(Detection(entry: line, subjects: list.compactMap(\.subject), key: nil))
            }
        case .alertQueued:
            guard let id = entry.alertID, let anomaly = entry.anomaly, let detectedAt = entry.detectedAt,
                  AnomalyKind(rawValue: anomaly)?.mayExposePersonalData == true else { return }
            queuedAlerts[id] = (AlertKey(host: entry.host, anomaly: anomaly, detectedAt: detectedAt), entry.time)
        case .alertDelivered:
            guard let id = entry.alertID, let queued = queuedAlerts[id] else { return }
            var list = deliveries[queued.key, default: []]
            guard !list.contains(where: { $0.endpoint == entry.endpoint }) else { return }
            list.append(Incident.TimelineEntry(time: entry.time, step: .alertDelivered, host: entry.host, site: entry.site, anomaly: queued.key.anomaly,
                                               endpoint: entry.endpoint, delay: entry.time > queued.key.detectedAt ? entry.time - queued.key.detectedAt : 0))
            deliveries[queued.key] = list
        default:
            break
        }
    }

    /// The incidents, first detected first, with their clocks read on `asOf`.
    public func incidents(asOf: CalendarDay) -> [Incident] {
        let detections = withoutEchoes
        var groups = UnionFind(count: detections.count)
        var byAccount: [String: Int] = [:]
        var bySubject: [String: Int] = [:]
        var lastOfKind: [String: (index: Int, time: UInt64)] = [:]
        for index in detections.indices.sorted(by: { detections[$0].entry.time < detections[$1].entry.time }) {
            let detection = detections[index]
            if let account = detection.entry.account {
                if let other = byAccount[account] { groups.union(index, other) } else { byAccount[account] = index }
            }
            for subject in detection.subjects {
                if let other = bySubject[subject] { groups.union(index, other) } else { bySubject[subject] = index }
            }
            let kind = detection.entry.anomaly ?? ""
            if let last = lastOfKind[kind], detection.entry.time - last.time <= Self.kindWindow { groups.union(index, last.index) }
            lastOfKind[kind] = (index, detection.entry.time)
        }
        var members: [Int: [Int]] = [:]
        for index in detections.indices { members[groups.root(index), default: []].append(index) }
        let queuedKeys = Set(queuedAlerts.values.map(\.key))
        let queuedTimes = Dictionary(queuedAlerts.values.map { ($0.key, $0.time) }, uniquingKeysWith: min)
        var incidents = members.values.map { indices -> Incident in
            let group = indices.map { detections[$0] }
            let accounts = Set(group.compactMap(\.entry.account))
            var timeline = group.map(\.entry)
            timeline += accounts.flatMap { registrations[$0, default: []] }
            var queued = 0
            var delivered = 0
            for key in Set(group.compactMap(\.key)) where queuedKeys.contains(key) {
                queued += 1
                if let lines = deliveries[key], !lines.isEmpty {
                    delivered += 1
                    timeline += lines
                } else {
                    timeline.append(Incident.TimelineEntry(time: queuedTimes[key] ?? key.detectedAt, step: .alertUndelivered, host: key.host,
                                                           anomaly: key.anomaly))
                }
            }
            timeline.sort { ($0.time, $0.step.order) < ($1.time, $1.step.order) }
            let first = group.map(\.entry).min { $0.time < $1.time }!
            let subjects = Set(group.flatMap(\.subjects) + timeline.compactMap(\.subject))
            let omitted = max(0, timeline.count - Self.timelineLimit)
            timeline.removeLast(omitted)
            return Incident(
                number: 0, kinds: Array(Set(group.compactMap(\.entry.anomaly))).sorted(), firstDetection: first.time, firstHost: first.host,
                hosts: Array(Set(timeline.map(\.host))).sorted(), sites: Array(Set(timeline.compactMap(\.site))).sorted(), subjects: subjects.sorted(), accounts: accounts.sorted(),
                alertsQueued: queued, alertsDelivered: delivered,
                deadlines: ReportingClock(countedFrom: CalendarDay(localTimeOf: first.time), asOf: asOf).deadlines, timeline: timeline,
                timelineOmitted: omitted)
        }
        incidents.sort { ($0.firstDetection, $0.firstHost) < ($1.firstDetection, $1.firstHost) }
        for index in incidents.indices { incidents[index].number = index + 1 }
        return incidents
    }
}

extension IncidentFinder {
    /// A daemon that saw both registrations raised `account.multiple-subjects` itself: the
    /// review's own finding of that registration (same account and host, within a minute) would
    /// only repeat it.
    private var withoutEchoes: [Detection] {
        let raised = detections.filter { $0.entry.step == .detected && $0.entry.anomaly == AnomalyKind.accountMultipleSubjects.rawValue }
        return detections.filter { detection in
            guard detection.entry.step == .foundByReview else { return true }
            return !raised.contains { other in
                other.entry.account == detection.entry.account && other.entry.host == detection.entry.host
                    && max(other.entry.time, detection.entry.time) - min(other.entry.time, detection.entry.time) <= 60_000_000
            }
        }
    }
}

/// Disjoint sets over `0..<count`, with path halving.
struct UnionFind {
    private var parent: [Int]

    init(count: Int) {
        parent = Array(0..<count)
    }

    mutating func root(_ element: Int) -> Int {
        var element = element
        while parent[element] != element {
            parent[element] = parent[parent[element]]
            element = parent[element]
        }
        return element
    }

    mutating func union(_ first: Int, _ second: Int) {
        let (a, b) = (root(first), root(second))
        if a != b { parent[max(a, b)] = min(a, b) }
    }
}
