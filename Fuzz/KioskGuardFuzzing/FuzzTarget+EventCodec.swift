import KioskGuardCore
import KioskGuardProtocol

extension FuzzTarget {
    // Small limits make the fuzzer reach every bound quickly; the code paths are the daemon's.
    private static let limits: ProtocolLimits = {
        var limits = ProtocolLimits()
        limits.maxLineLength = 512
        limits.maxDepth = 4
        limits.maxIdentifierLength = 40
        limits.maxTokenLength = 24
        return limits
    }()

    private static let eventLines: EventDecoder = {
        // A fixed key: determinism is one of the properties checked.
        guard let pseudonymizer = try? Pseudonymizer(key: [UInt8](repeating: 0x5A, count: 32)) else {
            fatalError("a 32-byte key is a valid pseudonym key")
        }
        return EventDecoder(limits: limits, pseudonymizer: pseudonymizer)
    }()

    /// The input is a byte stream from a kiosk app. Checks: framing it whole and framing it as it
    /// arrives in pieces of at most 143 bytes find the same lines; every line decodes the same way
    /// twice; an accepted line is within the limits; a refusal has a message that echoes no
    /// ID-number-like digit run; a line accepted with or without the canonical-activity shortcut
    /// decodes the same when a space after its brace sends it through the general reader, and a
    /// session the shortcut takes from a line is the activity the decoder reads in it.
    static func eventCodec(_ input: UnsafeRawBufferPointer) {
        let framer = LineFramer(maxLineLength: limits.maxLineLength)
        let whole = lines(of: input, framer: framer, pieceSize: input.count)
        let pieceSize = input.isEmpty ? 1 : Int(input[0]) % 143 + 1
        let pieces = lines(of: input, framer: framer, pieceSize: pieceSize)
        fuzzCheck(whole == pieces, "framing depends on how bytes arrive: \(whole.count) lines whole, \(pieces.count) in pieces of \(pieceSize)")
        for line in whole {
            guard case .line(let bytes) = line else { continue }
            let first = eventLines.decode(bytes), second = eventLines.decode(bytes)
            fuzzCheck(first == second, "decoding the same line twice differs")
            checkShortcut(bytes, decoded: first)
            switch first {
            case .success(let message): checkLimits(message)
            case .failure(let error):
                fuzzCheck(!error.message.isEmpty, "a refusal without a message")
                fuzzCheck(longestDigitRun(error.message) < 12, "a refusal echoes a digit run: \(error.message)")
            }
        }
    }

    enum FramedLine: Equatable {
        case line([UInt8])
        case tooLong
    }

    /// Frames `input` the way the daemon's cumulation buffer does when it arrives `pieceSize`
    /// bytes at a time; a line over the limit ends the stream, as it ends the connection.
    static func lines(of input: UnsafeRawBufferPointer, framer: LineFramer, pieceSize: Int) -> [FramedLine] {
        var buffered: [UInt8] = [], found: [FramedLine] = []
        var position = 0
        while position < input.count {
            let end = min(position + max(pieceSize, 1), input.count)
            buffered += input[position..<end]
            position = end
            while true {
                let frame = buffered.withUnsafeBytes { framer.frame($0) }
                switch frame {
                case .incomplete:
                    break
                case .tooLong:
                    found.append(.tooLong)
                    return found
                case .line(let content, let consumed):
                    found.append(.line(Array(buffered[content])))
                    buffered.removeFirst(consumed)
                    continue
                }
                break
            }
        }
        return found
    }

    private static func checkShortcut(_ line: [UInt8], decoded: Result<InboundMessage, EventError>) {
        // The event handler asks the shortcut before the decoder: what it takes must be what the
        // decoder would have given.
        if let session = line.withUnsafeBytes({ eventLines.canonicalActivitySession($0) }) {
            fuzzCheck(decoded == .success(InboundMessage(id: nil, body: .event(.activity(session)))),
                      "the shortcut takes a session from a line the decoder reads otherwise")
        }
        guard line.first == UInt8(ascii: "{"), line.count < limits.maxLineLength else { return }
        let spaced = eventLines.decode([UInt8(ascii: "{"), UInt8(ascii: " ")] + line.dropFirst())
        // Refusals may name byte offsets, which the space moves; acceptances must be identical.
        if case .failure = decoded, case .failure = spaced { return }
        fuzzCheck(decoded == spaced, "a line and the same line spaced out decode differently")
    }

    private static func checkLimits(_ message: InboundMessage) {
        fuzzCheck((message.id?.rawValue.utf8.count ?? 0) <= limits.maxTokenLength, "an accepted request id over the limit")
        switch message.body {
        case .hello(let hello):
            fuzzCheck(!hello.terminal.isEmpty && hello.terminal.utf8.count <= 64, "an accepted terminal name out of bounds")
        case .event(.sessionBegin(let session, _, _)), .event(.activity(let session)), .event(.locked(let session)):
            fuzzCheck(!session.rawValue.isEmpty && session.rawValue.utf8.count <= limits.maxTokenLength, "an accepted session id out of bounds")
        case .event(.stepRequest(let request)):
            fuzzCheck(request.step.rawValue.utf8.count <= limits.maxTokenLength, "an accepted step name over the limit")
        default:
            break
        }
    }

    static func longestDigitRun(_ text: String) -> Int {
        var longest = 0, current = 0
        for byte in text.utf8 {
            current = (0x30...0x39).contains(byte) ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }
}
