import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Reads journal entries with `sd_journal`, streaming: one entry at a time, only the fields
/// asked for, so a journal of millions of entries is never loaded into memory.
public final class JournalReader {
    /// Which journal files to read.
    public enum Source: Sendable {
        /// This host's journal (system and runtime).
        case local
        /// Every journal file in a directory, such as one systemd-journal-remote writes a fleet into.
        case directory(String)
        /// Exactly these files.
        case files([String])
    }

    private var journal: OpaquePointer?

    /// Opens `source`.
    public init(_ source: Source) throws(JournalReaderError) {
        var status: Int32
        switch source {
        case .local:
            status = sd_journal_open(&journal, Int32(SD_JOURNAL_LOCAL_ONLY))
        case .directory(let path):
            status = sd_journal_open_directory(&journal, path, 0)
        case .files(let paths):
            var pointers = paths.map { strdup($0) } + [nil]
            defer { pointers.forEach { free($0) } }
            status = pointers.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    sd_journal_open_files(&journal, $0, 0)
                }
            }
        }
        guard status >= 0, journal != nil else { throw JournalReaderError(status: status, source: source) }
        sd_journal_set_data_threshold(journal, 0)
    }

    deinit { sd_journal_close(journal) }

    /// Only entries with `field=value`; several values of one field are alternatives, different
    /// fields must all match.
    public func addMatch(_ field: String, _ value: String) {
        let match = "\(field)=\(value)"
        _ = match.withCString { sd_journal_add_match(journal, $0, match.utf8.count) }
    }

    /// Starts at the first entry at or after `microseconds` since the epoch, or at the beginning.
    public func seek(toRealtime microseconds: UInt64?) {
        if let microseconds { sd_journal_seek_realtime_usec(journal, microseconds) } else { sd_journal_seek_head(journal) }
    }

    /// Moves to the next entry; false at the end.
    public func next() -> Bool { sd_journal_next(journal) > 0 }

    /// The current entry's time, in microseconds since the epoch.
    public var realtimeMicroseconds: UInt64 {
        var value: UInt64 = 0
        sd_journal_get_realtime_usec(journal, &value)
        return value
    }

    /// The value of `field` in the current entry.
    public func field(_ name: String) -> String? {
        var data: UnsafeRawPointer?
        var length = 0
        guard sd_journal_get_data(journal, name, &data, &length) >= 0, let data else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data, count: length)
        let prefix = name.utf8.count + 1
        guard length >= prefix else { return nil }
        return String(decoding: bytes[prefix...], as: UTF8.self)
    }
}

/// A journal could not be opened.
public struct JournalReaderError: Error, CustomStringConvertible {
    /// The negative errno.
    public let status: Int32
    /// What was opened.
    public let source: JournalReader.Source

    public var description: String {
        let what: String = switch source {
        case .local: "the journal"
        case .directory(let path): "journal directory \(path)"
        case .files(let paths): "journal files \(paths.joined(separator: ", "))"
        }
        let reason = String(cString: strerror(-status))
        let hint = -status == EACCES ? " (reading it needs root or membership in the systemd-journal or adm group)" : ""
        return "cannot read \(what): \(reason)\(hint)"
    }
}
