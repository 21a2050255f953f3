/// A keyed pseudonym of a personal identifier (card serial, ID number, account number).
///
/// It is the first 128 bits of HMAC-SHA256(host key, identifier), printed as `p:` and 32
/// lowercase hex digits. Two values are stored inline, so a pseudonym never allocates and holds no
/// trace of the identifier it was made from.
public struct Pseudonym: Hashable, Sendable, CustomStringConvertible {
    /// The first 64 bits of the digest, big-endian.
    public let high: UInt64
    /// The next 64 bits of the digest, big-endian.
    public let low: UInt64

    /// The prefix every printed pseudonym carries.
    public static let prefix = "p:"

    /// Builds a pseudonym from its two digest halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the printed form, `p:` followed by exactly 32 lowercase hex digits.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 34, utf8[0] == UInt8(ascii: "p"), utf8[1] == UInt8(ascii: ":") else {
            return nil
        }
        guard let high = Self.parseHex(utf8[2..<18]), let low = Self.parseHex(utf8[18..<34]) else {
            return nil
        }
        self.init(high: high, low: low)
    }

    /// `p:` followed by 32 lowercase hex digits.
    public var description: String {
        String(unsafeUninitializedCapacity: 34) { buffer in
            buffer[0] = UInt8(ascii: "p")
            buffer[1] = UInt8(ascii: ":")
            Self.writeHex(high, into: buffer, at: 2)
            Self.writeHex(low, into: buffer, at: 18)
            return 34
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for index in 0..<16 {
            let nibble = Int((value >> UInt64(60 - 4 * index)) & 0xF)
            buffer[offset + index] = hexDigits[nibble]
        }
    }

    private static func parseHex(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}
