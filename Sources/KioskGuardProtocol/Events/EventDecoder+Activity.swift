import KioskGuardCore
#if canImport(Glibc)
import Glibc
#endif

extension EventDecoder {
    /// The line a busy kiosk sends most, byte for byte as the protocol document and every client
    /// write it, up to the session id: `{"type":"activity","session":"…"}`.
    private static let activityPrefix = Array(#"{"type":"activity","session":""#.utf8)
    private static let activitySuffix = Array(#""}"#.utf8)

    /// Decodes the canonical activity line without the general JSON reader, or returns nil for
    /// any other line (other spacing, field order, extra fields, escapes), which then takes the
    /// general path. For every line both paths give the same result: the session id is accepted
    /// here only when it is a token with no `"` or `\`, which JSON carries unchanged.
    func decodeCanonicalActivity(_ line: UnsafeRawBufferPointer) -> InboundMessage? {
        let prefix = Self.activityPrefix, suffix = Self.activitySuffix
        let tokenLength = line.count - prefix.count - suffix.count
        guard tokenLength >= 1, tokenLength <= limits.maxTokenLength,
              Self.line(line, holds: prefix, at: 0), Self.line(line, holds: suffix, at: line.count - suffix.count) else { return nil }
        let token = UnsafeRawBufferPointer(rebasing: line[prefix.count ..< prefix.count + tokenLength])
        for byte in token where byte < 0x21 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            return nil
        }
        return InboundMessage(id: nil, body: .event(.activity(SessionID(String(decoding: token, as: UTF8.self)))))
    }

    private static func line(_ line: UnsafeRawBufferPointer, holds expected: [UInt8], at offset: Int) -> Bool {
        expected.withUnsafeBytes { memcmp(line.baseAddress! + offset, $0.baseAddress!, $0.count) == 0 }
    }
}
