import CPCSCLite

/// A PC/SC result code, printed the way pcsc-lite names it.
struct PCSCResult: Error, CustomStringConvertible {
    let code: LONG
    init(_ code: LONG) { self.code = code }
    var description: String { String(cString: pcsc_stringify_error(code)) }
}

/// The reader names pcscd knows now.
enum PCSCReaders {
    static func list(_ context: SCARDCONTEXT) -> Result<[String], PCSCResult> {
        var length = DWORD(0)
        var code = SCardListReaders(context, nil, nil, &length)
        if code == kioskguard_scard_e_no_readers { return .success([]) }
        guard code == kioskguard_scard_success else { return .failure(PCSCResult(code)) }
        var buffer = [CChar](repeating: 0, count: Int(length))
        code = SCardListReaders(context, nil, &buffer, &length)
        if code == kioskguard_scard_e_no_readers { return .success([]) }
        guard code == kioskguard_scard_success else { return .failure(PCSCResult(code)) }
        // A multi-string: names separated by NUL, ended by an empty one.
        return .success(buffer.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) })
    }
}

/// Exchanges with the card in a reader, in shared mode so the kiosk app keeps its own access.
enum PCSCCard {
    /// Sends one APDU to the card and returns its answer without the status word; anything but
    /// status 9000 is a failure that names the status.
    typealias Exchange = ([UInt8]) throws(PCSCCardProblem) -> [UInt8]

    /// The non-empty answer to `apdu`; a failure names the status or the error.
    static func transmit(_ apdu: [UInt8], reader: String, context: SCARDCONTEXT) -> Result<[UInt8], PCSCCardProblem> {
        withCard(reader: reader, context: context) { (exchange: Exchange) throws(PCSCCardProblem) in
            let answer = try exchange(apdu)
            guard !answer.isEmpty else { throw PCSCCardProblem("an empty answer") }
            return answer
        }
    }

    /// Connects to the card in `reader` and runs `body` inside one transaction, so no other
    /// application's commands come between its exchanges; the card is left as it was.
    static func withCard<Value>(
        reader: String, context: SCARDCONTEXT, _ body: (Exchange) throws(PCSCCardProblem) -> Value
    ) -> Result<Value, PCSCCardProblem> {
        var card = SCARDHANDLE()
        var protocolInUse = DWORD(0)
        let connected = SCardConnect(context, reader, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1), &card, &protocolInUse)
        guard connected == kioskguard_scard_success else { return .failure(PCSCCardProblem("connect: \(PCSCResult(connected))")) }
        defer { SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD)) }
        let began = SCardBeginTransaction(card)
        guard began == kioskguard_scard_success else { return .failure(PCSCCardProblem("transaction: \(PCSCResult(began))")) }
        defer { SCardEndTransaction(card, DWORD(SCARD_LEAVE_CARD)) }
        let pci = kioskguard_scard_pci(protocolInUse)
        let exchange: Exchange = { (apdu: [UInt8]) throws(PCSCCardProblem) -> [UInt8] in
            // 256 bytes of data and the two status bytes: the most a short APDU can answer.
            var answer = [UInt8](repeating: 0, count: 258)
            var answerLength = DWORD(answer.count)
            let sent = SCardTransmit(card, pci, apdu, DWORD(apdu.count), nil, &answer, &answerLength)
            guard sent == kioskguard_scard_success else { throw PCSCCardProblem("transmit: \(PCSCResult(sent))") }
            let length = Int(answerLength)
            guard length >= 2 else { throw PCSCCardProblem("an answer without a status word") }
            let status = UInt16(answer[length - 2]) << 8 | UInt16(answer[length - 1])
            guard status == 0x9000 else {
                let digits = String(status, radix: 16, uppercase: true)
                throw PCSCCardProblem("status word \(String(repeating: "0", count: 4 - digits.count))\(digits)")
            }
            return Array(answer[..<(length - 2)])
        }
        do throws(PCSCCardProblem) {
            return .success(try body(exchange))
        } catch {
            return .failure(error)
        }
    }
}

/// Why the identity APDU gave no identity. Carries no card data.
struct PCSCCardProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
