/// systemd time spans, as in `systemd.time(7)`: `90s`, `2min`, `1h 30min`, `1.5h`, `500ms`;
/// a plain number is seconds.
public enum TimeSpan {
    private static let units: [(names: [String], nanoseconds: Double)] = [
        (["usec", "us", "µs", "μs"], 1e3),
        (["msec", "ms"], 1e6),
        (["seconds", "second", "sec", "s"], 1e9),
        (["minutes", "minute", "min", "m"], 60e9),
        (["hours", "hour", "hr", "h"], 3600e9),
        (["days", "day", "d"], 86_400e9),
        (["weeks", "week", "w"], 604_800e9),
        (["months", "month", "M"], 2_629_800e9),
        (["years", "year", "y"], 31_557_600e9),
    ]

    /// The duration `text` spells, or nil when it is not a time span.
    public static func parse(_ text: String) -> Duration? {
        var remaining = Substring(text.trimmingWhitespace())
        guard !remaining.isEmpty else { return nil }
        if let seconds = Double(remaining), seconds >= 0, seconds.isFinite, remaining.allSatisfy({ $0.isNumber || $0 == "." }) {
            return nanosecondsDuration(seconds * 1e9)
        }
        var total = 0.0
        while !remaining.isEmpty {
            let number = remaining.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            remaining = remaining.dropFirst(number.count).drop { $0 == " " }
            let unit = remaining.prefix { $0.isLetter || $0 == "µ" || $0 == "μ" }
            guard let scale = units.first(where: { $0.names.contains(String(unit)) })?.nanoseconds else { return nil }
            total += value * scale
            remaining = remaining.dropFirst(unit.count).drop { $0 == " " }
        }
        return nanosecondsDuration(total)
    }

    private static func nanosecondsDuration(_ nanoseconds: Double) -> Duration? {
        guard nanoseconds.isFinite, nanoseconds >= 0, nanoseconds < 1e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }
}
