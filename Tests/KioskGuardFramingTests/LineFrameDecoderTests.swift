@testable import KioskGuardFraming
import KioskGuardProtocol
import NIOCore
import NIOEmbedded
import Testing

/// The shared line decoder in a real pipeline (`EmbeddedChannel`): lines split across reads,
/// several lines in one read, `\r\n`, and a line over the limit failing before its newline.
@Suite struct LineFrameDecoderTests {
    private func channel(limit: Int = 16) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: limit)))
        return channel
    }

    private func lines(_ channel: EmbeddedChannel) throws -> [String] {
        var lines: [String] = []
        while let line = try channel.readInbound(as: ByteBuffer.self) { lines.append(String(buffer: line)) }
        return lines
    }

    @Test func linesSplitAcrossReadsAndManyInOneReadComeOutWhole() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "{\"a\""))
        #expect(try lines(channel) == [])
        try channel.writeInbound(ByteBuffer(string: ":1}\nsecond\r\nthird\n\nfou"))
        #expect(try lines(channel) == ["{\"a\":1}", "second", "third", ""])
        try channel.writeInbound(ByteBuffer(string: "rth\n"))
        #expect(try lines(channel) == ["fourth"])
    }

    @Test func aLineOfExactlyTheLimitPassesAndOneByteMoreFails() throws {
        let channel = try channel(limit: 4)
        try channel.writeInbound(ByteBuffer(string: "abcd\n"))
        #expect(try lines(channel) == ["abcd"])
        #expect(throws: LineTooLongError(limit: 4)) { try channel.writeInbound(ByteBuffer(string: "abcde\n")) }
    }

    @Test func anOverlongLineFailsBeforeItsNewlineArrives() throws {
        let channel = try channel(limit: 8)
        #expect(throws: LineTooLongError(limit: 8)) { try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 10))) }
    }

    @Test func anUnterminatedLastLineIsNoLine() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "whole\npartial"))
        #expect(try lines(channel) == ["whole"])
        _ = try channel.finish()
        #expect(try lines(channel) == [])
    }
}

/// The daemon's batch decoder in a real pipeline: the lines of one read come up together, lines
/// before an overlong one are still delivered, and a partial line is not kept in a big buffer.
@Suite struct LineBatchDecoderTests {
    private func channel(limit: Int = 16) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBatchDecoder(maxLineLength: limit)))
        return channel
    }

    private func batches(_ channel: EmbeddedChannel) throws -> [[String]] {
        var batches: [[String]] = []
        while let batch = try channel.readInbound(as: LineBatch.self) {
            var lines: [String] = []
            batch.forEachLine { line in
                lines.append(String(decoding: line, as: UTF8.self))
                return true
            }
            batches.append(lines)
        }
        return batches
    }

    @Test func theLinesOfOneReadComeUpAsOneBatch() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "one\ntwo\r\n\n  \t \r\nthree\nfo"))
        // The blank lines (empty, or spaces and tabs) are passed over alike.
        #expect(try batches(channel) == [["one", "two", "three"]])
        try channel.writeInbound(ByteBuffer(string: "ur\n"))
        #expect(try batches(channel) == [["four"]])
    }

    @Test func linesBeforeAnOverlongOneAreDeliveredThenItFails() throws {
        let channel = try channel(limit: 4)
        #expect(throws: LineTooLongError(limit: 4)) { try channel.writeInbound(ByteBuffer(string: "ok\nabcde\nlater\n")) }
        #expect(try batches(channel) == [["ok"]])
    }

    @Test func aLineCanStopTheBatch() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "a\nb\nc\n"))
        let batch = try #require(try channel.readInbound(as: LineBatch.self))
        var seen: [String] = []
        batch.forEachLine { line in
            seen.append(String(decoding: line, as: UTF8.self))
            return seen.count < 2
        }
        #expect(seen == ["a", "b"])
    }

    @Test func aPartialLineIsKeptInABufferOfItsOwnSize() throws {
        var decoder = LineBatchDecoder(maxLineLength: 16)
        var buffer = ByteBufferAllocator().buffer(capacity: 65_536)
        buffer.writeString("whole\npart")
        #expect(try decoder.decode(buffer: &buffer) != nil)
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(String(buffer: buffer) == "part")
        #expect(buffer.capacity < 1024)
    }
}

@Suite struct LineBatchWindowTests {
    /// What `LineFramer` says of `bytes`, line after line: the decoder's rules.
    private func framedLineByLine(_ bytes: [UInt8], limit: Int) -> (end: Int, overlong: Bool) {
        let framer = LineFramer(maxLineLength: limit)
        return bytes.withUnsafeBytes { all in
            var end = 0
            while end < all.count {
                switch framer.frame(UnsafeRawBufferPointer(rebasing: all[end...])) {
                case .line(_, let consumed): end += consumed
                case .incomplete: return (end, false)
                case .tooLong: return (end, true)
                }
            }
            return (end, false)
        }
    }

    @Test func findingTheLastNewlineOfEachWindowAgreesWithFramingLineByLine() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let limit = Int.random(in: 1...12, using: &generator)
            // Lines around the limit, some ending in \r\n, some unterminated at the end.
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                bytes += (0..<Int.random(in: 0...(limit + 3), using: &generator)).map { _ in
                    [UInt8(ascii: "a"), UInt8(ascii: "\r"), UInt8(ascii: " ")].randomElement(using: &generator)!
                }
                switch Int.random(in: 0...3, using: &generator) {
                case 0: bytes += [0x0D, 0x0A]
                case 1, 2: bytes += [0x0A]
                default: break
                }
            }
            let found = bytes.withUnsafeBytes { LineBatchDecoder.completeLines(in: $0, maxLineLength: limit) }
            let expected = framedLineByLine(bytes, limit: limit)
            #expect(found == expected, "limit \(limit), bytes \(bytes)")
            if found != expected { return }
        }
    }
}
