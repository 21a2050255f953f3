#if canImport(Glibc)
import Glibc
#endif

/// The time forms `--since`/`--until` accept, as journalctl does: `now`, `today`, `yesterday`,
/// `tomorrow`, relative spans (`-1h`, `-2d 3h`, `+30min`), `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`
/// (also with `T`; local time, or UTC with a trailing `Z`), and `@SECONDS` since the epoch.
public enum TimeExpression {
    /// Microseconds since the epoch that `text` names, relative to `now` (microseconds).
    public static func parse(_ text: String, now: UInt64) -> UInt64? {
        let trimmed = text.trimmingSpaces
        switch trimmed {
        case "now": return now
        case "today": return startOfLocalDay(now, offsetDays: 0)
        case "yesterday": return startOfLocalDay(now, offsetDays: -1)
        case "tomorrow": return startOfLocalDay(now, offsetDays: 1)
        default: break
        }
        if trimmed.hasPrefix("@"), let seconds = UInt64(trimmed.dropFirst()) { return seconds * 1_000_000 }
        if let sign = trimmed.first, sign == "-" || sign == "+" {
            guard let span = relativeSpan(String(trimmed.dropFirst())) else { return nil }
            return sign == "-" ? (now > span ? now - span : 0) : now + span
        }
        return localDate(trimmed)
    }

    private static func relativeSpan(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [
            ("usec", 1), ("us", 1), ("msec", 1_000), ("ms", 1_000), ("seconds", 1_000_000), ("second", 1_000_000), ("sec", 1_000_000),
            ("s", 1_000_000), ("minutes", 60_000_000), ("minute", 60_000_000), ("min", 60_000_000), ("m", 60_000_000),
            ("hours", 3_600_000_000), ("hour", 3_600_000_000), ("h", 3_600_000_000), ("days", 86_400_000_000),
            ("day", 86_400_000_000), ("d", 86_400_000_000), ("weeks", 604_800_000_000), ("week", 604_800_000_000),
            ("w", 604_800_000_000),
        ]
        var remaining = Substring(text)
        var total: UInt64 = 0
        guard !remaining.isEmpty else { return nil }
        while !remaining.isEmpty {
            let digits = remaining.prefix { $0.isNumber }
            guard let value = UInt64(digits) else { return nil }
            remaining = remaining.dropFirst(digits.count).drop { $0 == " " }
            let unit = remaining.prefix { $0.isLetter }
            let scale = unit.isEmpty ? 1_000_000 : units.first { $0.0 == unit }?.1
            guard let scale else { return nil }
            total += value * scale
            remaining = remaining.dropFirst(unit.count).drop { $0 == " " }
        }
        return total
    }

    private static func localDate(_ text: String) -> UInt64? {
        let utc = text.hasSuffix("Z")
        let normalized = text.replacingT
        let parts = normalized.split(separator: " ")
        guard let datePart = parts.first, parts.count <= 2 else { return nil }
        let date = datePart.split(separator: "-").compactMap { Int32($0) }
        guard date.count == 3 else { return nil }
        var clock: [Int32] = [0, 0, 0]
        if parts.count == 2 {
            let fields = parts[1].split(separator: ":").compactMap { Int32($0) }
            guard fields.count == 2 || fields.count == 3 else { return nil }
            clock = fields + (fields.count == 2 ? [0] : [])
        }
        var broken = tm()
        broken.tm_year = date[0] - 1900
        broken.tm_mon = date[1] - 1
        broken.tm_mday = date[2]
        broken.tm_hour = clock[0]
        broken.tm_min = clock[1]
        broken.tm_sec = clock[2]
        broken.tm_isdst = -1
        let seconds = utc ? timegm(&broken) : mktime(&broken)
        guard seconds >= 0 else { return nil }
        return UInt64(seconds) * 1_000_000
    }

    private static func startOfLocalDay(_ now: UInt64, offsetDays: Int32) -> UInt64 {
        var seconds = time_t(now / 1_000_000)
        var broken = tm()
        localtime_r(&seconds, &broken)
        broken.tm_hour = 0
        broken.tm_min = 0
        broken.tm_sec = 0
        broken.tm_mday += offsetDays
        broken.tm_isdst = -1
        return UInt64(max(0, mktime(&broken))) * 1_000_000
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    /// `2026-11-27T10:00:00Z` → `2026-11-27 10:00:00`.
    var replacingT: String {
        var text = self
        if text.hasSuffix("Z") { text.removeLast() }
        return String(text.map { $0 == "T" ? " " : $0 })
    }
}
