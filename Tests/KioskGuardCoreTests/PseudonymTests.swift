import KioskGuardCore
import Testing

@Suite("Pseudonyms")
struct PseudonymTests {
    let pseudonymizer = try! Pseudonymizer(key: Array(0..<32))

    @Test("match HMAC-SHA256 computed independently (Python hmac), truncated to 128 bits", arguments: [
        ("123456789012", "p:15e5b9b8ab2df6f5d9a217f3f36bdf87"),
        ("FI12 3456 7890 1234 56", "p:477acdb1bfe9d17407f60e8bd285f8ff"),
        ("Åsa Öberg", "p:ef09f57ad3259d95d5b8b1978918495a"),
    ])
    func referenceVectors(raw: String, expected: String) {
        #expect(pseudonymizer.pseudonym(of: raw).description == expected)
    }

    @Test("of an identifier: one pseudonym however it is spelled, HMAC of the canonical spelling (Python hmac)", arguments: [
        ("FI21 1234 5600 0007 85", "p:c933e9a57707b2922afcda47f054b42d"),
        ("FI2112345600000785", "p:c933e9a57707b2922afcda47f054b42d"),
        ("fi21-1234-5600-0007-85", "p:c933e9a57707b2922afcda47f054b42d"),
        ("FI21.1234.5600.0007.85\t", "p:c933e9a57707b2922afcda47f054b42d"),
        ("310129+954f", "p:013dffe492cefa80a8c794c83bba2ad1"),
        ("Åsa Öberg", "p:3b4201b54a2cdfad661a42700e3dfc49"),
    ])
    func canonicalSpelling(raw: String, expected: String) {
        #expect(pseudonymizer.pseudonym(ofIdentifier: raw)?.description == expected)
    }

    @Test("of an identifier: what the spelling keeps still tells people apart, and only separators is none", arguments: [
        ("310129-954F", "310129+954F"), ("FI21 1234 5600 0007 85", "FI21 1234 5600 0007 86"), ("Åsa", "åsa"),
    ])
    func spellingKeepsDifferences(one: String, other: String) {
        #expect(pseudonymizer.pseudonym(ofIdentifier: one) != pseudonymizer.pseudonym(ofIdentifier: other))
        #expect(pseudonymizer.pseudonym(ofIdentifier: " - . / ") == nil)
        #expect(pseudonymizer.pseudonym(ofIdentifier: "fi21-1234 5600/00.07\t85") == pseudonymizer.pseudonym(of: "FI2112345600000785"))
    }

    @Test("the key's fingerprint: HMAC of a fixed text (Python hmac), 8 bytes, different for another key")
    func keyFingerprint() throws {
        #expect(pseudonymizer.keyFingerprint == "k:e47debae5e9efb1a")
        #expect(try Pseudonymizer(key: Array(repeating: UInt8(7), count: 32)).keyFingerprint != pseudonymizer.keyFingerprint)
    }

    @Test("differ between keys, so a leaked journal cannot be matched without the key")
    func keyed() throws {
        let other = try Pseudonymizer(key: Array(repeating: UInt8(7), count: 32))
        #expect(other.pseudonym(of: "123456789012") != pseudonymizer.pseudonym(of: "123456789012"))
    }

    @Test("print as p: and 32 lowercase hex digits, and parse back")
    func printedForm() throws {
        let pseudonym = pseudonymizer.pseudonym(of: "123456789012")
        let text = pseudonym.description
        #expect(text.count == 34)
        #expect(text.hasPrefix("p:"))
        #expect(text.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(Pseudonym(text) == pseudonym)
    }

    @Test("reject malformed printed forms", arguments: [
        "", "p:", "15e5b9b8ab2df6f5d9a217f3f36bdf87", "p:15E5B9B8AB2DF6F5D9A217F3F36BDF87",
        "p:15e5b9b8ab2df6f5d9a217f3f36bdf8", "p:15e5b9b8ab2df6f5d9a217f3f36bdf877", "q:15e5b9b8ab2df6f5d9a217f3f36bdf87",
        "p:15e5b9b8ab2df6f5d9a217f3f36bdfzz",
    ])
    func rejectsMalformed(text: String) {
        #expect(Pseudonym(text) == nil)
    }

    @Test("refuse keys shorter than 32 bytes")
    func shortKey() {
        #expect(throws: PseudonymKeyError.self) { try Pseudonymizer(key: Array(repeating: UInt8(1), count: 31)) }
    }
}
