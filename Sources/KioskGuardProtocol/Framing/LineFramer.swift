#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into protocol lines: newline-terminated, bounded, `\r\n` tolerated.
///
/// Stateless: the caller keeps the unconsumed bytes (NIO's cumulation buffer in the daemon) and
/// calls `frame` again when more arrive. A line longer than the limit is reported as soon as the
/// limit is passed, without waiting for its newline, so a peer cannot make the daemon buffer more.
public struct LineFramer: Sendable {
    /// The longest line accepted, without its newline.
    public let maxLineLength: Int

    /// A framer with the given bound.
    public init(maxLineLength: Int) {
        self.maxLineLength = maxLineLength
    }

    /// The outcome of looking for a line at the start of a buffer.
    public enum Frame: Hashable, Sendable {
        /// A complete line: its bytes (without `\n` or a trailing `\r`) and how many bytes it used.
        case line(content: Range<Int>, consumed: Int)
        /// No newline yet and still within the limit: wait for more bytes.
        case incomplete
        /// The line is over the limit: the connection must be closed.
        case tooLong
    }

    /// Looks for the first line in `bytes`.
    public func frame(_ bytes: UnsafeRawBufferPointer) -> Frame {
        let searched = min(bytes.count, maxLineLength + 2)
        guard searched > 0, let base = bytes.baseAddress,
              let newline = memchr(base, 0x0A, searched)
        else { return bytes.count > maxLineLength + 1 ? .tooLong : .incomplete }
        let newlineIndex = base.distance(to: UnsafeRawPointer(newline))
        var end = newlineIndex
        if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
        guard end <= maxLineLength else { return .tooLong }
        return .line(content: 0..<end, consumed: newlineIndex + 1)
    }
}
