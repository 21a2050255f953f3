public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The same records as the journal gets, one line each on stderr, for runs without journald:
/// `<priority>MESSAGE KEY=value …` with the keys sorted, so lines are stable and greppable.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info

    /// A handler writing to stderr.
    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        Self.write(priority: event.level.syslogPriority, message: event.message.description, fields: all.map { ($0.key, $0.value.description) })
    }

    /// Writes one record: `<priority>message KEY=value …`, keys sorted.
    static func write(priority: Int, message: String, fields: [(String, String)]) {
        var line = "<\(priority)>\(oneLine(message))"
        for (key, value) in fields.sorted(by: { $0.0 < $1.0 }) {
            line += " \(key)=\(oneLine(value))"
        }
        line += "\n"
        // One write(2) per record, so concurrent records never interleave within a line.
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Newlines and other control characters would split or forge lines; they are escaped.
    static func oneLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        return String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\x\(String($0.value, radix: 16))" : String($0) }.joined())
    }
}
