/// The My Number card's own identity: the user-authentication certificate of its JPKI
/// application (JPKI-AP), which reads without a PIN. Only the AP and that one file are selected:
/// the signing certificate and the card surface, which need PINs, are never touched.
enum JPKICard {
    /// The JPKI-AP's application identifier.
    static let applicationID: [UInt8] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]
    /// The elementary file holding the user-authentication certificate.
    static let authenticationCertificateFile: [UInt8] = [0x00, 0x0A]
    /// The longest certificate read: a JPKI certificate is some 1.5 KiB, and a card claiming more
    /// is not read on.
    static let maxCertificateLength = 8192

    /// SELECT the AP, SELECT the file (neither asks for an answer), then READ BINARY until the
    /// DER length its first bytes state; the certificate must then be shaped like one.
    static func authenticationCertificate(_ exchange: PCSCCard.Exchange) throws(PCSCCardProblem) -> [UInt8] {
        do {
            _ = try exchange([0x00, 0xA4, 0x04, 0x0C, UInt8(applicationID.count)] + applicationID)
        } catch {
            throw PCSCCardProblem("no JPKI application (SELECT: \(error))")
        }
        do {
            _ = try exchange([0x00, 0xA4, 0x02, 0x0C, UInt8(authenticationCertificateFile.count)] + authenticationCertificateFile)
        } catch {
            throw PCSCCardProblem("no user-authentication certificate file (SELECT: \(error))")
        }
        var certificate = try exchange(readBinary(at: 0, count: 4))
        let length = try DERCertificateShape.length(fromHead: certificate, atMost: maxCertificateLength)
        while certificate.count < length {
            let answer: [UInt8]
            do {
                answer = try exchange(readBinary(at: certificate.count, count: min(length - certificate.count, 256)))
            } catch {
                throw PCSCCardProblem("the certificate ends after \(certificate.count) of its \(length) bytes (\(error))")
            }
            guard !answer.isEmpty else { throw PCSCCardProblem("the certificate ends after \(certificate.count) of its \(length) bytes") }
            certificate += answer.prefix(length - certificate.count)
        }
        try DERCertificateShape.check(certificate)
        return certificate
    }

    /// READ BINARY of `count` bytes (1 to 256; 256 is sent as 00) at `offset` of the selected file.
    static func readBinary(at offset: Int, count: Int) -> [UInt8] {
        [0x00, 0xB0, UInt8(truncatingIfNeeded: offset >> 8), UInt8(truncatingIfNeeded: offset), UInt8(truncatingIfNeeded: count)]
    }
}

/// The outline of a DER-encoded X.509 certificate, checked without parsing what it says:
/// SEQUENCE { SEQUENCE (tbsCertificate), SEQUENCE (signatureAlgorithm), BIT STRING (signature) }
/// with every length definite, in bounds and adding up.
enum DERCertificateShape {
    /// The whole length (header included) that the first bytes of a DER SEQUENCE state.
    static func length(fromHead head: [UInt8], atMost limit: Int) throws(PCSCCardProblem) -> Int {
        guard let element = element(in: head[...], allowingTruncation: true), element.tag == 0x30 else {
            throw PCSCCardProblem("the certificate file does not start with a DER SEQUENCE")
        }
        guard element.end <= limit else { throw PCSCCardProblem("the certificate claims \(element.end) bytes, more than \(limit)") }
        return element.end
    }

    /// Checks `der` is one certificate-shaped SEQUENCE and nothing more.
    static func check(_ der: [UInt8]) throws(PCSCCardProblem) {
        guard let outer = element(in: der[...]), outer.tag == 0x30, outer.end == der.count else {
            throw PCSCCardProblem("the certificate is not one whole DER SEQUENCE")
        }
        var position = outer.contentStart
        var tags: [UInt8] = []
        while position < outer.end {
            guard let inner = element(in: der[position..<outer.end]) else {
                throw PCSCCardProblem("the certificate's element at byte \(position) is malformed")
            }
            tags.append(inner.tag)
            position = inner.end
        }
        guard tags == [0x30, 0x30, 0x03] else {
            throw PCSCCardProblem("the certificate is not a SEQUENCE of tbsCertificate, signatureAlgorithm and signature")
        }
    }

    /// One DER element at the start of `bytes`: its tag, where its content starts and where it
    /// ends (indices of the underlying array). Nil if its header is malformed or, unless
    /// `allowingTruncation`, its content runs past `bytes`.
    static func element(in bytes: ArraySlice<UInt8>, allowingTruncation: Bool = false) -> (tag: UInt8, contentStart: Int, end: Int)? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[start]
        let first = bytes[start + 1]
        var contentStart = start + 2
        var length = Int(first)
        if first & 0x80 != 0 {
            let count = Int(first & 0x7F)
            // Definite lengths of one to three bytes only: no certificate needs more, and an
            // indefinite length is not DER.
            guard (1...3).contains(count), bytes.count >= 2 + count else { return nil }
            length = bytes[(start + 2)..<(start + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
            // DER spells a length in the fewest bytes.
            guard length >= 0x80, bytes[start + 2] != 0 else { return nil }
            contentStart += count
        }
        let end = contentStart + length
        guard allowingTruncation || end <= bytes.endIndex else { return nil }
        return (tag, contentStart, end)
    }
}
