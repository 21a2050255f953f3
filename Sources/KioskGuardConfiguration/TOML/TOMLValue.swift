/// A TOML value as the configuration reads it, with the line it was defined on.
public indirect enum TOMLValue: Hashable, Sendable {
    /// A basic or literal string, single- or multi-line.
    case string(String)
    /// A decimal, hex, octal or binary integer.
    case integer(Int64)
    /// A float, including `inf` and `nan`.
    case float(Double)
    /// `true` or `false`.
    case boolean(Bool)
    /// An array of values.
    case array([TOMLValue])
    /// A table: a `[header]` section or an inline `{ … }`.
    case table(TOMLTable)

    /// The kind's name, for error messages.
    public var kindName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML table whose keys keep their definition order and line numbers.
public struct TOMLTable: Hashable, Sendable {
    /// One key of the table.
    public struct Entry: Hashable, Sendable {
        /// The key.
        public var key: String
        /// Its value.
        public var value: TOMLValue
        /// The 1-based line the key was defined on.
        public var line: Int
    }

    /// The entries in definition order.
    public private(set) var entries: [Entry] = []
    /// The line of the table's header, or of its first key for implicit tables.
    public var line: Int

    /// An empty table defined at `line`.
    public init(line: Int) { self.line = line }

    /// The entry under `key`.
    public subscript(key: String) -> Entry? {
        entries.first { $0.key == key }
    }

    mutating func set(_ key: String, _ value: TOMLValue, line: Int) {
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append(Entry(key: key, value: value, line: line))
        }
    }
}
