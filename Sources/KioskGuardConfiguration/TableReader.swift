import KioskGuardCore

/// Reads one TOML table of a configuration file: typed getters that name the file, line and key
/// in every error, and a final check that no unknown key was left.
struct TableReader {
    let table: TOMLTable
    let file: String
    /// The dotted path of this table (`terminal`, `terminal.policy`).
    let path: String
    private var consumed: Set<String> = []

    init(_ table: TOMLTable, file: String, path: String) {
        self.table = table
        self.file = file
        self.path = path
    }

    func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: table[key]?.line ?? table.line, key: dotted(key), message: message)
    }

    func dotted(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func value(_ key: String) -> TOMLValue? {
        consumed.insert(key)
        return table[key]?.value
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let text)?: return text
        case let other?: throw error(key, "expected a string, found \(other.kindName)")
        }
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64? {
        switch value(key) {
        case nil: return nil
        case .integer(let number)? where range.contains(number): return number
        case .integer?: throw error(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        case let other?: throw error(key, "expected an integer, found \(other.kindName)")
        }
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        switch value(key) {
        case nil: return nil
        case .boolean(let flag)?: return flag
        case let other?: throw error(key, "expected true or false, found \(other.kindName)")
        }
    }

    /// A systemd time span (`"90s"`, `"2min"`, `"1h 30min"`) or an integer of seconds.
    mutating func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        switch value(key) {
        case nil: return nil
        case .integer(let seconds)? where seconds >= 0: return .seconds(seconds)
        case .string(let text)?:
            guard let span = TimeSpan.parse(text) else {
                throw error(key, "'\(text)' is not a time span (examples: \"90s\", \"2min\", \"1h 30min\", or seconds as an integer)")
            }
            return span
        case let other?: throw error(key, "expected a time span such as \"90s\" or an integer of seconds, found \(other.kindName)")
        }
    }

    mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        switch value(key) {
        case nil: return nil
        case .array(let items)?:
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item else { throw error(key, "expected an array of strings, found \(item.kindName) in it") }
                strings.append(text)
            }
            return strings
        case let other?: throw error(key, "expected an array of strings, found \(other.kindName)")
        }
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, of _: Choice.Type) throws(ConfigurationError) -> Choice?
    where Choice.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            throw error(key, "'\(text)' is not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }

    mutating func table(_ key: String) throws(ConfigurationError) -> TableReader? {
        switch value(key) {
        case nil: return nil
        case .table(let nested)?: return TableReader(nested, file: file, path: dotted(key))
        case let other?: throw error(key, "expected a table, found \(other.kindName)")
        }
    }

    mutating func tables(_ key: String) throws(ConfigurationError) -> [TableReader] {
        switch value(key) {
        case nil: return []
        case .array(let items)?:
            var readers: [TableReader] = []
            for item in items {
                guard case .table(let nested) = item else { throw error(key, "expected [[\(dotted(key))]] tables") }
                readers.append(TableReader(nested, file: file, path: dotted(key)))
            }
            return readers
        case let other?: throw error(key, "expected [[\(dotted(key))]] tables, found \(other.kindName)")
        }
    }

    /// Fails on the first key no getter asked for.
    func rejectUnknownKeys() throws(ConfigurationError) {
        if let unknown = table.entries.first(where: { !consumed.contains($0.key) }) {
            throw ConfigurationError(file: file, line: unknown.line, key: dotted(unknown.key), message: "unknown key")
        }
    }
}
