#if canImport(Glibc)
import Glibc
#endif
import KioskGuardProtocol
public import NIOCore

/// The daemon's line framing as a NIO decoder: every complete line that one read brought goes
/// up the pipeline together, as one `LineBatch`, so a kiosk writing hundreds of events a read
/// costs one trip through the pipeline, not one per line. A line over the limit is an error as
/// soon as the limit is passed (the lines before it are delivered first); a partial line left
/// over is kept in a buffer of its own size, not in the read buffer it is a slice of.
/// Wrap it in `ByteToMessageHandler`.
public struct LineBatchDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = LineBatch

    private let framer: LineFramer

    /// A decoder for lines of at most `maxLineLength` bytes.
    public init(maxLineLength: Int) {
        self.framer = LineFramer(maxLineLength: maxLineLength)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> LineBatch? {
        let limit = framer.maxLineLength
        let (end, overlong) = buffer.withUnsafeReadableBytes { Self.completeLines(in: $0, maxLineLength: limit) }
        guard end > 0 else {
            if overlong { throw LineTooLongError(limit: framer.maxLineLength) }
            if buffer.readerIndex > 0 || buffer.capacity > 2 * buffer.readableBytes + 1024 {
                var compact = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
                compact.writeImmutableBuffer(buffer)
                buffer = compact
            }
            return nil
        }
        return LineBatch(bytes: buffer.readSlice(length: end)!)
    }

    /// Where the complete lines within the limit end in `bytes`, and whether the line after
    /// them is over the limit already (`LineFramer`'s rules, line after line). The lines are
    /// not walked one by one here, since the handler walks them anyway: a line over the limit
    /// needs `maxLineLength + 1` bytes without a newline, so it is enough to find the last
    /// newline in each window of `maxLineLength + 2` bytes from the end of the lines before.
    static func completeLines(in bytes: UnsafeRawBufferPointer, maxLineLength limit: Int) -> (end: Int, overlong: Bool) {
        var start = 0
        while start < bytes.count {
            let window = min(bytes.count, start + limit + 2)
            var last = window - 1
            while last >= start && bytes[last] != 0x0A { last -= 1 }
            guard last >= start else {
                // No newline within the window: the line at `start` is incomplete, or too long.
                return (start, bytes.count - start > limit + 1)
            }
            // Every line in the window is within the limit, but for a newline at the window's
            // very end that is the first one in it: that line has `limit + 1` bytes, one too
            // many unless the last of them is the `\r` before `\n`.
            if last - start == limit + 1, bytes[last - 1] != 0x0D {
                var earlier = last - 1
                while earlier >= start && bytes[earlier] != 0x0A { earlier -= 1 }
                if earlier < start { return (start, true) }
            }
            start = last + 1
        }
        return (start, false)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> LineBatch? {
        // An unterminated last line is not a line: the peer left before finishing it.
        try decode(buffer: &buffer)
    }
}

/// Complete lines that arrived together, each within the limit.
public struct LineBatch: Sendable {
    /// The lines with their newlines, as they arrived.
    public let bytes: ByteBuffer

    @usableFromInline
    init(bytes: ByteBuffer) {
        self.bytes = bytes
    }

    /// Calls `body` with each line's bytes (without `\n` or a trailing `\r`), in order, until it
    /// returns false. Blank lines (empty, or only spaces and tabs) are passed over alike.
    // Inlinable, so `body` compiles into the walk: it runs once per line of every kiosk app.
    @inlinable
    public func forEachLine(_ body: (UnsafeRawBufferPointer) -> Bool) {
        bytes.withUnsafeReadableBytes { all in
            var start = 0
            // The decoder let only complete lines within the limit into the batch.
            while let newline = LineBatch.newline(in: UnsafeRawBufferPointer(rebasing: all[start...])) {
                let end = start + newline
                let content = end > start && all[end - 1] == 0x0D ? start..<(end - 1) : start..<end
                let line = UnsafeRawBufferPointer(rebasing: all[content])
                // Stops at the first byte of any real line, so it costs nothing per line.
                let blank = line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                if !blank, !body(line) { return }
                start = end + 1
            }
        }
    }

    /// The offset of the first `\n` in `bytes`.
    @usableFromInline
    static func newline(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, let found = memchr(base, 0x0A, bytes.count) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}
