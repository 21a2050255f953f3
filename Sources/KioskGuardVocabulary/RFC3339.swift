/// RFC 3339 timestamps in UTC, `2026-11-27T02:49:27.123Z`: the alerts' `time` (milliseconds)
/// and the journal's `KIOSKGUARD_DETECTED_AT` (microseconds, the journal's own resolution).
public enum RFC3339 {
    /// `nanoseconds` since the epoch with `fractionDigits` (1–9) digits of the second.
    public static func format(nanosecondsSinceEpoch nanoseconds: Int64, fractionDigits: Int) -> String {
        let seconds = floorDivide(nanoseconds, 1_000_000_000)
        let days = floorDivide(seconds, 86_400)
        let (year, month, day) = CivilDate.components(daysSinceEpoch: Int(days))
        let secondOfDay = Int(seconds - days * 86_400)
        var scale: Int64 = 1
        for _ in fractionDigits..<9 { scale *= 10 }
        let fraction = (nanoseconds - seconds * 1_000_000_000) / scale
        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        func two(_ value: Int) -> String { padded(Int64(value), 2) }
        return "\(padded(Int64(year), 4))-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):"
            + "\(two(secondOfDay % 60)).\(padded(fraction, fractionDigits))Z"
    }

    /// The nanoseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, or nil for any
    /// other text (offsets other than `Z` are not written by kioskguard and are refused).
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 30, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ bytes[$0.0] == UInt8(ascii: $0.1.unicodeScalars.first!) }),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        var nanoseconds: Int64 = 0
        if bytes.count > 20 {
            let digits = bytes.count - 21
            guard bytes[19] == UInt8(ascii: "."), (1...9).contains(digits), let fraction = number(20..<(bytes.count - 1)) else { return nil }
            nanoseconds = Int64(fraction)
            for _ in digits..<9 { nanoseconds *= 10 }
        }
        let days = Int64(CivilDate.daysSinceEpoch(year: year, month: month, day: day))
        return (days * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000_000 + nanoseconds
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor != 0 && value < 0 ? quotient - 1 : quotient
    }
}
