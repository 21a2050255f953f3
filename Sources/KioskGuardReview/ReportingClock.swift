/// The reports a leak of personal data owes the regulator under Japan's APPI and My Number Act,
/// counted from the day it was first detected (docs/review.md): a preliminary report promptly,
/// which the regulator's guidance puts at about 3 to 5 days, and a final report within 30 days,
/// or 60 when a deliberate act is suspected.
public struct ReportingClock: Hashable, Sendable {
    /// One report and the day it is due.
    public struct Deadline: Hashable, Sendable, Encodable {
        /// Which report, in the words a reviewer uses: `preliminary`, `final`,
        /// `final (deliberate act)`.
        public var report: String
        /// What the law or guidance asks, such as `about 3 days`.
        public var rule: String
        /// The day it is due.
        public var due: CalendarDay
        /// Days from the day of the run to `due`; negative when overdue.
        public var daysLeft: Int

        /// `ahead` (today is on or before the due day) or `overdue`.
        public var status: Status { daysLeft >= 0 ? .ahead : .overdue }

        enum CodingKeys: String, CodingKey {
            case report, rule, due, status
            case daysLeft = "days_left"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(report, forKey: .report)
            try container.encode(rule, forKey: .rule)
            try container.encode(due.description, forKey: .due)
            try container.encode(daysLeft, forKey: .daysLeft)
            try container.encode(status.rawValue, forKey: .status)
        }
    }

    /// Whether a deadline is still ahead on the day of the run.
    public enum Status: String, Hashable, Sendable {
        /// Due today or later.
        case ahead
        /// Its day has passed.
        case overdue
    }

    /// The day of first detection, the day the clock counts from.
    public var countedFrom: CalendarDay
    /// The day of the run.
    public var asOf: CalendarDay

    /// The clock of a leak first detected on `countedFrom`, read on `asOf`.
    public init(countedFrom: CalendarDay, asOf: CalendarDay) {
        self.countedFrom = countedFrom
        self.asOf = asOf
    }

    /// The preliminary report's earliest and latest guidance days, the final report, and the
    /// final report when a deliberate act is suspected.
    public var deadlines: [Deadline] {
        [("preliminary", "promptly: about 3 days", 3), ("preliminary", "promptly: at the latest about 5 days", 5),
         ("final", "within 30 days", 30), ("final (deliberate act)", "within 60 days when a deliberate act is suspected", 60)]
            .map { report, rule, days in
                let due = countedFrom.adding(days: days)
                return Deadline(report: report, rule: rule, due: due, daysLeft: asOf.days(until: due))
            }
    }
}
