import KioskGuardProtocol
public import NIOCore

/// The line framing of both protocols as a NIO decoder: each complete line (without `\n` or a
/// trailing `\r`) goes up the pipeline as a slice of the read buffer. A line over the limit is an
/// error as soon as the limit is passed, so a peer cannot make the connection buffer more.
/// Wrap it in `ByteToMessageHandler`.
public struct LineFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    private let framer: LineFramer

    /// A decoder for lines of at most `maxLineLength` bytes.
    public init(maxLineLength: Int) {
        self.framer = LineFramer(maxLineLength: maxLineLength)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        switch buffer.withUnsafeReadableBytes({ framer.frame($0) }) {
        case .incomplete:
            return nil
        case .tooLong:
            throw LineTooLongError(limit: framer.maxLineLength)
        case .line(let content, let consumed):
            let line = buffer.getSlice(at: buffer.readerIndex + content.lowerBound, length: content.count)
            buffer.moveReaderIndex(forwardBy: consumed)
            return line
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        // An unterminated last line is not a line: the peer left before finishing it.
        try decode(buffer: &buffer)
    }
}

/// A line went past the limit before its newline; the connection must be closed.
public struct LineTooLongError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The longest line accepted, in bytes.
    public var limit: Int

    /// The error for a line over `limit` bytes.
    public init(limit: Int) {
        self.limit = limit
    }

    public var description: String { "a line may have at most \(limit) bytes" }
}
