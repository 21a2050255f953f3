import KioskGuardVocabulary
#if canImport(Glibc)
import Glibc
#endif

/// A date on the local calendar (the `TZ` of the run), without a time: what a reporting deadline
/// and a report's daily rows are counted in.
public struct CalendarDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01 on the proleptic Gregorian calendar.
    public let daysSinceEpoch: Int

    /// The day `daysSinceEpoch` days after 1970-01-01.
    public init(daysSinceEpoch: Int) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The day with this year, month (1–12) and day of the month, or nil when there is none.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year) else { return nil }
        daysSinceEpoch = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
    }

    /// The local day of `microseconds` since the epoch.
    public init(localTimeOf microseconds: UInt64) {
        var seconds = time_t(microseconds / 1_000_000)
        var broken = tm()
        localtime_r(&seconds, &broken)
        self.init(year: Int(broken.tm_year) + 1900, month: Int(broken.tm_mon) + 1, day: Int(broken.tm_mday))!
    }

    /// Year, month and day of the month.
    public var components: (year: Int, month: Int, day: Int) { CivilDate.components(daysSinceEpoch: daysSinceEpoch) }

    /// The day `days` later (earlier when negative).
    public func adding(days: Int) -> CalendarDay { CalendarDay(daysSinceEpoch: daysSinceEpoch + days) }

    /// Whole days from `self` to `other`.
    public func days(until other: CalendarDay) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = components
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }
}
