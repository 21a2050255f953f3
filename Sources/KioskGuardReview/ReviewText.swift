#if canImport(Glibc)
import Glibc
#endif

/// Text from the journal as the review verbs print it. A journal field is anyone's text: printed
/// raw, its control characters could set a terminal's title, clear its screen or fake lines of
/// output.
public enum ReviewText {
    /// `text` with every control character (C0, DEL, C1) written as `\x1b`.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                let hex = String(scalar.value, radix: 16)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Local time of `microseconds` since the epoch, `2026-11-27 10:00:05`.
    public static func localTime(_ microseconds: UInt64) -> String {
        var seconds = time_t(microseconds / 1_000_000)
        var broken = tm()
        localtime_r(&seconds, &broken)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(broken.tm_year + 1900)-\(two(broken.tm_mon + 1))-\(two(broken.tm_mday)) \(two(broken.tm_hour)):\(two(broken.tm_min)):\(two(broken.tm_sec))"
    }
}
