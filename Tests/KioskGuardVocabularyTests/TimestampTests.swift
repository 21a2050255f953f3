import KioskGuardVocabulary
import Testing

@Suite("RFC 3339 and the civil calendar")
struct TimestampTests {
    @Test("formats to the millisecond and to the microsecond, parses back, before 1970 and on leap days", arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z"), (951_782_400_500_001_000, "2000-02-29T00:00:00.500001Z"),
        (-1_000_000_000, "1969-12-31T23:59:59.000000Z"), (4_102_444_799_999_999_000, "2099-12-31T23:59:59.999999Z"),
    ])
    func roundTrip(nanoseconds: Int64, expected: String) {
        #expect(RFC3339.format(nanosecondsSinceEpoch: nanoseconds, fractionDigits: 6) == expected)
        #expect(RFC3339.parse(expected) == nanoseconds)
        #expect(RFC3339.format(nanosecondsSinceEpoch: nanoseconds, fractionDigits: 3) == String(expected.dropLast(4)) + "Z")
    }

    @Test("refuses what kioskguard never writes", arguments: [
        "", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00.000Z", "2024-01-01T24:00:00Z", "2024-01-01 10:00:00Z",
        "2024-01-01T10:00:00+09:00", "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00.1234567890Z", "２０２４-01-01T10:00:00Z",
    ])
    func refuses(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("days since the epoch and dates are inverse over four centuries")
    func civil() {
        for days in stride(from: -146_097, through: 146_097, by: 97) {
            let (year, month, day) = CivilDate.components(daysSinceEpoch: days)
            #expect(CivilDate.daysSinceEpoch(year: year, month: month, day: day) == days)
            #expect(day <= CivilDate.daysIn(month: month, year: year))
        }
        #expect(CivilDate.daysIn(month: 2, year: 1900) == 28 && CivilDate.daysIn(month: 2, year: 2000) == 29)
    }
}
