import KioskGuardFraming
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
