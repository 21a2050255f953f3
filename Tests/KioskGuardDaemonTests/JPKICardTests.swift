@testable import KioskGuardDaemon
import Testing

/// A DER element: `tag`, its length in the fewest bytes, then `content`.
private func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
    let count = content.count
    let length: [UInt8] = count < 0x80 ? [UInt8(count)]
        : count <= 0xFF ? [0x81, UInt8(count)]
        : [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
    return [tag] + length + content
}

/// A certificate-shaped DER value of about `size` bytes: SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }.
private func certificate(size: Int = 600) -> [UInt8] {
    der(0x30, der(0x30, [UInt8](repeating: 0x41, count: size - 30)) + der(0x30, [0x06, 0x03, 0x2A, 0x03, 0x04])
        + der(0x03, [0x00] + [UInt8](repeating: 0x5A, count: 8)))
}

/// A My Number card as a scripted exchange: the JPKI AP and EF 00 0A selectable, READ BINARY of
/// `file`; every command kept.
private final class ScriptedCard {
    var file: [UInt8]
    var hasApplication = true
    var commands: [[UInt8]] = []
    private var selected = 0

    init(file: [UInt8]) { self.file = file }

    func exchange(_ apdu: [UInt8]) throws(PCSCCardProblem) -> [UInt8] {
        commands.append(apdu)
        switch Array(apdu.prefix(4)) {
        case [0x00, 0xA4, 0x04, 0x0C]:
            guard hasApplication, Array(apdu.dropFirst(5)) == JPKICard.applicationID else { throw PCSCCardProblem("status word 6A82") }
            selected = 1
            return []
        case [0x00, 0xA4, 0x02, 0x0C]:
            guard selected >= 1, Array(apdu.dropFirst(5)) == JPKICard.authenticationCertificateFile else { throw PCSCCardProblem("status word 6A82") }
            selected = 2
            return []
        default:
            guard apdu.starts(with: [0x00, 0xB0]), selected == 2 else { throw PCSCCardProblem("status word 6D00") }
            let offset = Int(apdu[2]) << 8 | Int(apdu[3])
            let count = apdu[4] == 0 ? 256 : Int(apdu[4])
            guard offset < file.count else { throw PCSCCardProblem("status word 6B00") }
            return Array(file[offset..<min(file.count, offset + count)])
        }
    }
}

@Suite("The My Number card's JPKI user-authentication certificate")
struct JPKICardTests {
    @Test("it is read in chunks of at most 256 bytes up to its DER length, selecting only the AP and EF 00 0A")
    func readsTheCertificate() throws {
        let expected = certificate(size: 700)
        let card = ScriptedCard(file: expected + [0xFF, 0xFF])  // a file longer than its certificate
        let read = try JPKICard.authenticationCertificate(card.exchange)
        #expect(read == expected)
        #expect(card.commands.filter { $0[1] == 0xA4 }.map { Array($0.dropFirst(5)) } == [JPKICard.applicationID, [0x00, 0x0A]])
        let reads = card.commands.filter { $0[1] == 0xB0 }
        #expect(reads.map { Int($0[2]) << 8 | Int($0[3]) } == [0, 4, 260, 516])
        #expect(reads.map { $0[4] == 0 ? 256 : Int($0[4]) } == [4, 256, 256, expected.count - 516])
    }

    @Test("a card without the JPKI application, a short file and a malformed certificate each fail with what went wrong",
          arguments: [
            ("no-application", "no JPKI application"),
            ("short", "ends after 300 of its"),
            ("not-a-sequence", "does not start with a DER SEQUENCE"),
            ("too-long", "more than 8192"),
            ("wrong-elements", "not a SEQUENCE of tbsCertificate"),
          ])
    func failures(kind: String, message: String) {
        let whole = certificate()
        let card = ScriptedCard(file: whole)
        switch kind {
        case "no-application": card.hasApplication = false
        case "short": card.file = Array(whole.prefix(300))
        case "not-a-sequence": card.file = [0x04, 0x82, 0x01, 0x00] + whole
        case "too-long": card.file = [0x30, 0x82, 0x40, 0x00] + whole
        default: card.file = der(0x30, der(0x30, [1, 2, 3]) + der(0x02, [1]))
        }
        let error = #expect(throws: PCSCCardProblem.self) { try JPKICard.authenticationCertificate(card.exchange) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        if kind == "too-long" { #expect(card.commands.filter { $0[1] == 0xB0 }.count == 1, "a claimed length over the bound is not read on") }
    }

    @Test("DER lengths must be definite and in the fewest bytes")
    func lengths() {
        #expect(DERCertificateShape.element(in: [0x30, 0x03, 1, 2, 3][...])?.end == 5)
        #expect(DERCertificateShape.element(in: [0x30, 0x81, 0x05, 1, 2, 3, 4, 5][...]) == nil, "0x05 fits one byte")
        #expect(DERCertificateShape.element(in: [0x30, 0x80, 1, 2][...]) == nil, "indefinite length")
        #expect(DERCertificateShape.element(in: [0x30, 0x05, 1][...]) == nil, "runs past the bytes")
        #expect(DERCertificateShape.element(in: [0x30, 0x05, 1][...], allowingTruncation: true)?.end == 7)
    }
}
