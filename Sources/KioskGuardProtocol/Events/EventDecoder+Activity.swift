public import KioskGuardCore
#if canImport(Glibc)
import Glibc
#endif

extension EventDecoder {
    /// The session of the line a busy kiosk sends most, byte for byte as the protocol document
    /// and every client write it: `{"type":"activity","session":"…"}`; nil for any other line
    /// (other spacing, field order, extra fields, escapes, over the limits), which `decode`
    /// reads in full. Where this gives a session, `decode` gives the activity of that session:
    /// the id is taken only when it is a token with no `"` or `\`, which JSON carries unchanged.
    /// The event handler asks this first, so the commonest line builds no message to take apart.
    public func canonicalActivitySession(_ line: UnsafeRawBufferPointer) -> SessionID? {
        // Static strings are constants in the binary: no lazy global to check on every line.
        let prefix: StaticString = #"{"type":"activity","session":""#
        let suffix: StaticString = #""}"#
        let tokenLength = line.count - prefix.utf8CodeUnitCount - suffix.utf8CodeUnitCount
        guard line.count <= limits.maxLineLength, tokenLength >= 1, tokenLength <= limits.maxTokenLength,
              Self.line(line, holds: prefix, at: 0), Self.line(line, holds: suffix, at: line.count - suffix.utf8CodeUnitCount)
        else { return nil }
        let token = UnsafeRawBufferPointer(rebasing: line[prefix.utf8CodeUnitCount ..< prefix.utf8CodeUnitCount + tokenLength])
        for byte in token where byte < 0x21 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            return nil
        }
        return SessionID(String(decoding: token, as: UTF8.self))
    }

    private static func line(_ line: UnsafeRawBufferPointer, holds expected: StaticString, at offset: Int) -> Bool {
        memcmp(line.baseAddress! + offset, expected.utf8Start, expected.utf8CodeUnitCount) == 0
    }
}
