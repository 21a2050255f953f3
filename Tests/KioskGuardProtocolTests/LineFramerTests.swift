import KioskGuardProtocol
import Testing

@Suite("Line framing")
struct LineFramerTests {
    let framer = LineFramer(maxLineLength: 16)

    /// Feeds `stream` in chunks of `chunk` bytes, as partial reads would, and collects lines.
    func lines(of stream: [UInt8], chunk: Int) -> (lines: [String], tooLong: Bool) {
        var buffer: [UInt8] = []
        var lines: [String] = []
        var offset = 0
        while offset < stream.count {
            buffer += stream[offset..<min(offset + chunk, stream.count)]
            offset += chunk
            while true {
                let frame = buffer.withUnsafeBytes { framer.frame($0) }
                switch frame {
                case .line(let content, let consumed):
                    lines.append(String(decoding: buffer[content], as: UTF8.self))
                    buffer.removeFirst(consumed)
                    continue
                case .incomplete: break
                case .tooLong: return (lines, true)
                }
                break
            }
        }
        return (lines, false)
    }

    @Test("splits lines the same way whatever the read sizes", arguments: [1, 2, 3, 7, 143, 1000])
    func partialReads(chunk: Int) {
        let stream = Array("a\nbb\r\n\nccc\n0123456789abcdef\n".utf8)
        let result = lines(of: stream, chunk: chunk)
        #expect(result.lines == ["a", "bb", "", "ccc", "0123456789abcdef"])
        #expect(!result.tooLong)
    }

    @Test("a line over the limit is reported before its newline arrives")
    func tooLongEarly() {
        let seventeen = Array(repeating: UInt8(ascii: "x"), count: 18)
        #expect(seventeen.withUnsafeBytes { framer.frame($0) } == .tooLong)
        let sixteenPlusCR = Array(repeating: UInt8(ascii: "x"), count: 16) + [0x0D]
        #expect(sixteenPlusCR.withUnsafeBytes { framer.frame($0) } == .incomplete)
        let seventeenWithNewline = Array(repeating: UInt8(ascii: "x"), count: 17) + [0x0A]
        #expect(seventeenWithNewline.withUnsafeBytes { framer.frame($0) } == .tooLong)
    }

    @Test("a default-limit line of 16 KiB passes and 16 KiB + 1 does not")
    func defaultLimit() {
        let framer = LineFramer(maxLineLength: ProtocolLimits().maxLineLength)
        let exact = Array(repeating: UInt8(ascii: "x"), count: 16 * 1024) + [0x0A]
        #expect(exact.withUnsafeBytes { framer.frame($0) } == .line(content: 0..<(16 * 1024), consumed: 16 * 1024 + 1))
        let over = Array(repeating: UInt8(ascii: "x"), count: 16 * 1024 + 1) + [0x0A]
        #expect(over.withUnsafeBytes { framer.frame($0) } == .tooLong)
    }

    @Test("an empty buffer is incomplete")
    func empty() {
        #expect([UInt8]().withUnsafeBytes { framer.frame($0) } == .incomplete)
    }
}
