public import NIOCore

/// The native-messaging framing of Chromium and Firefox, from the browser: a 32-bit length in the
/// host's byte order, then that many bytes of UTF-8 JSON. A length over the limit is an error as
/// soon as its four bytes are in, before anything of the message is buffered; the stream cannot
/// be resynchronised after it, so the bridge reports it and ends.
public struct NativeMessageDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The longest message accepted, in bytes.
    public let maxLength: Int

    /// A decoder of messages of at most `maxLength` bytes.
    public init(maxLength: Int) {
        self.maxLength = maxLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .host, as: UInt32.self) else { return nil }
        guard UInt64(length) <= UInt64(maxLength) else { throw NativeMessagingError.tooLong(length: UInt64(length), limit: maxLength) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        if let message = try decode(buffer: &buffer) { return message }
        guard buffer.readableBytes == 0 else {
            let expected = buffer.getInteger(at: buffer.readerIndex, endianness: .host, as: UInt32.self).map { 4 + Int($0) }
            throw NativeMessagingError.truncated(received: buffer.readableBytes, expected: expected)
        }
        return nil
    }
}

/// The native-messaging framing towards the browser: the length in the host's byte order, then
/// the message.
public struct NativeMessageEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    /// An encoder.
    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.writeInteger(UInt32(data.readableBytes), endianness: .host)
        out.writeImmutableBuffer(data)
    }
}

/// A native-messaging stream that broke its framing.
public enum NativeMessagingError: Error, Hashable, CustomStringConvertible {
    /// A message announced more bytes than the limit.
    case tooLong(length: UInt64, limit: Int)
    /// The stream ended inside a message; `expected` is nil when even the length was cut off.
    case truncated(received: Int, expected: Int?)

    public var description: String {
        switch self {
        case .tooLong(let length, let limit):
            "a native message of \(length) bytes is over the limit of \(limit) bytes"
        case .truncated(let received, let expected?):
            "the browser's stream ended inside a message: \(received) of its \(expected) bytes arrived"
        case .truncated(let received, nil):
            "the browser's stream ended inside a message's length: \(received) of its 4 bytes arrived"
        }
    }

    /// The code the extension is told (a `bridge.error`'s `code`).
    public var code: BridgeErrorCode {
        switch self {
        case .tooLong: .frameTooLong
        case .truncated: .truncatedFrame
        }
    }
}
