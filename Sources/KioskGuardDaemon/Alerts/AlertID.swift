import CKioskGuardShims
#if canImport(Glibc)
import Glibc
#endif

/// Alert ids: random version-4 UUIDs from `getrandom(2)`, which needs no descriptor, so a daemon
/// out of descriptors still gets them. When the kernel gives no randomness there is no id at all,
/// never a constant one: two alerts with one id would collide in the outbox.
public enum AlertID {
    /// A new random id, or nil when `getrandom` fails (the error is in `errno`).
    public static func random() -> String? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let filled = bytes.withUnsafeMutableBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let got = getrandom(buffer.baseAddress! + offset, buffer.count - offset, UInt32(GRND_NONBLOCK))
                if got < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += got
            }
            return true
        }
        guard filled else { return nil }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return format(bytes)
    }

    /// `bytes` (16 of them) in the 8-4-4-4-12 form, lower case.
    static func format(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
