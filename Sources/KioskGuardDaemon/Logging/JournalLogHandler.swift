public import Logging
import KioskGuardVocabulary
import Systemd

/// A swift-log handler writing structured journal entries with `sd_journal_sendv`: the message,
/// `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, and every metadata key
/// as a field. Keys that are not valid journal field names are dropped here, deliberately and
/// countably, because journald would drop them silently. Entries are written by `JournalQueue`'s
/// thread, off the event loop. An entry journald does not take (it stopped or restarts) goes to
/// stderr in `StderrLogHandler`'s form instead of being lost; the next entry tries the journal
/// again, so logging returns there as soon as journald does.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    /// The `SYSLOG_IDENTIFIER` of every entry.
    public let identifier: String
    /// Fields every entry carries (`KIOSKGUARD_SITE`), appended without merging metadata.
    private let fixedFields: [(name: String, value: String)]

    /// A handler for entries identified as `identifier`, each naming `site` when there is one.
    public init(identifier: String = "kioskguardd", site: String? = nil) {
        self.identifier = identifier
        fixedFields = site.map { [(JournalFields.site, $0)] } ?? []
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let message = event.message.description
        let priority = event.level.syslogPriority
        let metadata = validFields(of: merged(event.metadata))
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", message), ("PRIORITY", String(priority)), ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", event.file), ("CODE_LINE", String(event.line)), ("CODE_FUNC", event.function),
        ]
        fields.reserveCapacity(fields.count + fixedFields.count + metadata.count)
        fields.append(contentsOf: fixedFields)
        fields.append(contentsOf: metadata)
        JournalQueue.shared.send(fields) {
            StderrLogHandler.write(priority: priority, message: message, fields: metadata)
        }
    }

    private func validFields(of metadata: Logger.Metadata) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(metadata.count)
        for (name, value) in metadata where JournalField.isValidName(name) { fields.append((name, value.description)) }
        return fields
    }

    private func merged(_ explicit: Logger.Metadata?) -> Logger.Metadata {
        let provided = metadataProvider?.get()
        // The daemon's records carry all their fields themselves: no copy, no rehashing.
        if metadata.isEmpty, provided?.isEmpty ?? true { return explicit ?? [:] }
        var all = metadata
        if let provided { all.merge(provided) { _, new in new } }
        if let explicit { all.merge(explicit) { _, new in new } }
        return all
    }
}

extension Logger.Level {
    /// The syslog priority journald records (`PRIORITY=`).
    public var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
