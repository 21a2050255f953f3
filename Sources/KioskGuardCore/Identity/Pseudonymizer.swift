import Crypto

/// Turns raw personal identifiers into keyed pseudonyms, at the boundary where they are decoded.
///
/// One host key serves a whole fleet when reviewers audit across hosts: the same account number
/// then has the same pseudonym everywhere, and nowhere its raw value.
public struct Pseudonymizer: Sendable {
    /// HMAC keyed once; each pseudonym copies it (a value type), which skips the key schedule.
    private let keyed: HMAC<SHA256>

    /// The shortest key accepted, in bytes: shorter keys make pseudonyms guessable by brute force.
    public static let minimumKeyLength = 32

    /// Creates a pseudonymizer over the host key.
    /// - Throws: `PseudonymKeyError` when the key is shorter than `minimumKeyLength`.
    public init(key: some Collection<UInt8>) throws(PseudonymKeyError) {
        guard key.count >= Self.minimumKeyLength else {
            throw PseudonymKeyError(length: key.count)
        }
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: Array(key)))
    }

    /// A short keyed hash that tells keys apart and reveals nothing of the key: `k:` and 16 hex
    /// digits, the first 8 bytes of HMAC-SHA256(key, "kioskguard key fingerprint"). Recorded with
    /// the daemon's start and every alert, so reviewers know which pseudonyms can be compared.
    public var keyFingerprint: String {
        var mac = keyed
        mac.update(data: Array("kioskguard key fingerprint".utf8))
        let digest = Array(mac.finalize()).prefix(8)
        let digits = Array("0123456789abcdef".utf8)
        return "k:" + String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }

    /// The pseudonym of a person's identifier (a card serial, an ID or account number) whose
    /// UTF-8 bytes are `raw`, in its canonical spelling (`IdentifierSpelling`); nil when `raw`
    /// holds nothing but separators.
    public func pseudonym(ofIdentifier raw: UnsafeRawBufferPointer) -> Pseudonym? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { canonical in
            var count = 0
            for byte in raw where !IdentifierSpelling.isSeparator(byte) {
                canonical[count] = IdentifierSpelling.canonical(byte)
                count += 1
            }
            return count == 0 ? nil : pseudonym(of: UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: canonical[..<count])))
        }
    }

    /// The pseudonym of a person's identifier given as text; nil when it is only separators.
    public func pseudonym(ofIdentifier raw: String) -> Pseudonym? {
        var raw = raw
        return raw.withUTF8 { pseudonym(ofIdentifier: UnsafeRawBufferPointer($0)) }
    }

    /// The pseudonym of exactly the bytes `raw` (a card's answer, which has no spelling).
    public func pseudonym(of raw: UnsafeRawBufferPointer) -> Pseudonym {
        var mac = keyed
        mac.update(data: raw)
        return mac.finalize().withUnsafeBytes { digest in
            Pseudonym(
                high: UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                low: UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }

    /// The pseudonym of exactly the UTF-8 bytes of `raw`.
    public func pseudonym(of raw: String) -> Pseudonym {
        var raw = raw
        return raw.withUTF8 { pseudonym(of: UnsafeRawBufferPointer($0)) }
    }
}

/// The pseudonym key is too short to be safe.
public struct PseudonymKeyError: Error, CustomStringConvertible {
    /// The length of the rejected key, in bytes.
    public let length: Int

    public var description: String {
        "the pseudonym key has \(length) bytes; at least \(Pseudonymizer.minimumKeyLength) are required"
    }
}
