import KioskGuardBridge
import NIOCore
import NIOEmbedded
import Testing

/// The browser's framing in a real pipeline (`EmbeddedChannel`): messages split across reads and
/// several in one read come out whole; a length over the limit fails as soon as its four bytes
/// are in; a stream that ends inside a message says how much of it came.
@Suite struct NativeMessageDecoderTests {
    private func channel(limit: Int = 64) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NativeMessageDecoder(maxLength: limit)))
        return channel
    }

    private func frame(_ text: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(text.utf8.count), endianness: .host)
        buffer.writeString(text)
        return buffer
    }

    private func messages(_ channel: EmbeddedChannel) throws -> [String] {
        var messages: [String] = []
        while let message = try channel.readInbound(as: ByteBuffer.self) { messages.append(String(buffer: message)) }
        return messages
    }

    @Test func messagesSplitAcrossReadsAndManyInOneReadComeOutWhole() throws {
        let channel = try channel()
        var both = frame(#"{"a":1}"#)
        both.writeImmutableBuffer(frame(#"{"b":2}"#))
        var first = both.readSlice(length: 3)!
        try channel.writeInbound(first)
        #expect(try messages(channel) == [])
        first = both.readSlice(length: 9)!
        try channel.writeInbound(first)
        #expect(try messages(channel) == [#"{"a":1}"#])
        try channel.writeInbound(both)
        #expect(try messages(channel) == [#"{"b":2}"#])
    }

    @Test func aMessageOfExactlyTheLimitPassesAndALongerLengthFailsBeforeItsBody() throws {
        let channel = try channel(limit: 8)
        try channel.writeInbound(frame("12345678"))
        #expect(try messages(channel) == ["12345678"])
        var announced = ByteBuffer()
        announced.writeInteger(UInt32.max, endianness: .host)
        #expect(throws: NativeMessagingError.tooLong(length: UInt64(UInt32.max), limit: 8)) { try channel.writeInbound(announced) }
    }

    @Test("a stream that ends inside a message says how much came", arguments: [(2, nil as Int?), (4 + 3, 4 + 10)])
    func truncated(sent: Int, expected: Int?) throws {
        let channel = try channel()
        var partial = frame("0123456789")
        try channel.writeInbound(partial.readSlice(length: sent)!)
        #expect(throws: NativeMessagingError.truncated(received: sent, expected: expected)) { _ = try channel.finish() }
        #expect(NativeMessagingError.truncated(received: sent, expected: expected).code == .truncatedFrame)
    }

    @Test func theEncoderWritesTheLengthInTheHostsOrder() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(NativeMessageEncoder()))
        try channel.writeOutbound(ByteBuffer(string: "{}"))
        var written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(written.readInteger(endianness: .host, as: UInt32.self) == 2)
        #expect(String(buffer: written) == "{}")
    }
}
