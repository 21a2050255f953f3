import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Writes structured entries to the systemd journal through `sd_journal_sendv` (the variadic
/// `sd_journal_send` cannot be called from Swift).
public enum JournalWriter {
    /// Whether journald's socket exists, so entries would be stored rather than dropped.
    public static var isJournalAvailable: Bool {
        access("/run/systemd/journal/socket", F_OK) == 0
    }

    /// Whether standard error already goes to the journal: systemd names the stream it connected
    /// in `JOURNAL_STREAM` (`device:inode`), so a service need not write a line twice.
    public static var isStandardErrorJournal: Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return value == "\(info.st_dev):\(info.st_ino)"
    }

    /// Sends one entry. Field names must be valid (`JournalField.isValidName`): journald silently
    /// drops invalid ones. Returns the negative errno on failure.
    @discardableResult
    public static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        // Every `NAME=value` goes into one buffer and the iovecs point into it: three allocations
        // an entry rather than two per field, which with the handler's copies took a quarter of
        // the writer's CPU in a burst of 18,000 locks.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + 1 + $1.value.utf8.count })
        var ends: [Int] = []
        ends.reserveCapacity(fields.count)
        for field in fields {
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(contentsOf: field.value.utf8)
            ends.append(bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            var start = 0
            let vectors = ends.map { end in
                defer { start = end }
                return iovec(iov_base: buffer.baseAddress! + start, iov_len: end - start)
            }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }
}

/// Journal field names as journald accepts them.
public enum JournalField {
    /// Uppercase letters, digits and underscores, at most 64 characters, not starting with an
    /// underscore or a digit: anything else journald drops without a word.
    public static func isValidName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard let first = utf8.first, !utf8.isEmpty, utf8.count <= 64, first != UInt8(ascii: "_"),
              !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }
}
