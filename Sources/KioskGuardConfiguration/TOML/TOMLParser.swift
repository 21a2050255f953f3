/// A strict TOML 1.0 reader that remembers the line of every key.
///
/// Everything of TOML 1.0 is read except date-times, which kioskguard's configuration never uses;
/// they are refused with a precise error instead of being misread. Table and dotted-key rules
/// follow the specification as CPython's `tomllib` implements it, and the test suite compares the
/// two on the same documents.
public struct TOMLParser {
    /// Parses `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(Array(text.utf8), file: file)
        try parser.parseDocument()
        return parser.root.freeze()
    }

    var bytes: [UInt8]
    var position = 0
    var line = 1
    let file: String
    let root: TableBox
    /// Tables declared by a header, or defined by dotted keys in an earlier section.
    var explicitTables: Set<[String]> = []
    /// Tables created by dotted keys in the current section; explicit once the section ends.
    var pendingTables: [[String]] = []
    /// How many arrays and inline tables enclose the value being read.
    var depth = 0
    /// The deepest nesting of arrays and inline tables read: the parser recurses per level, so a
    /// file of a million `[` must be refused, not overflow the stack (the fuzzer found this).
    static let maxDepth = 32

    private init(_ bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        self.root = TableBox(line: 1)
    }

    private mutating func parseDocument() throws(TOMLError) {
        var header: [String] = []
        var current = root
        while true {
            skipWhitespace()
            guard let byte = peek() else { return }
            switch byte {
            case UInt8(ascii: "#"), 0x0A, 0x0D:
                try endOfLine()
            case UInt8(ascii: "["):
                explicitTables.formUnion(pendingTables)
                pendingTables.removeAll()
                position += 1
                if peek() == UInt8(ascii: "[") {
                    position += 1
                    (header, current) = try arrayTableHeader()
                } else {
                    (header, current) = try tableHeader()
                }
                try endOfLine()
            default:
                try keyValue(in: current, header: header)
                try endOfLine()
            }
        }
    }

    private mutating func tableHeader() throws(TOMLError) -> ([String], TableBox) {
        skipWhitespace()
        let key = try parseKey()
        skipWhitespace()
        try expect(UInt8(ascii: "]"), "']' to close the table header")
        guard !explicitTables.contains(key) else { throw error("table [\(key.joined(separator: "."))] is defined twice") }
        explicitTables.insert(key)
        return (key, try nest(key, creating: true))
    }

    private mutating func arrayTableHeader() throws(TOMLError) -> ([String], TableBox) {
        skipWhitespace()
        let key = try parseKey()
        skipWhitespace()
        try expect(UInt8(ascii: "]"), "']]' to close the array-of-tables header")
        try expect(UInt8(ascii: "]"), "']]' to close the array-of-tables header")
        explicitTables = explicitTables.filter { !$0.starts(with: key) }
        explicitTables.insert(key)
        let parent = try nest(Array(key.dropLast()), creating: true)
        let table = TableBox(line: line)
        switch parent.child(key.last!) {
        case nil: parent.add(key.last!, .tables([table]), line: line)
        case .tables(let list)?: parent.replace(key.last!, .tables(list + [table]))
        default: throw error("'\(key.joined(separator: "."))' is already defined and is not an array of tables")
        }
        return (key, table)
    }

    private mutating func keyValue(in table: TableBox, header: [String]) throws(TOMLError) {
        let keyLine = line
        let key = try parseKey()
        skipWhitespace()
        try expect(UInt8(ascii: "="), "'=' after the key")
        skipWhitespace()
        for length in 1..<key.count {
            let path = header + key.prefix(length)
            guard !explicitTables.contains(path) else {
                throw error("dotted key '\(key.joined(separator: "."))' extends table [\(path.joined(separator: "."))] defined elsewhere")
            }
            pendingTables.append(path)
        }
        let parent = try nest(Array(key.dropLast()), from: table, creating: true)
        guard parent.child(key.last!) == nil else { throw error("key '\(key.joined(separator: "."))' is defined twice") }
        let value = try parseValue()
        parent.add(key.last!, .value(value), line: keyLine)
    }

    /// The table at `path` below `start`, created as needed; the last table of an array of
    /// tables is entered, inline tables and other values are not.
    func nest(_ path: [String], from start: TableBox? = nil, creating: Bool) throws(TOMLError) -> TableBox {
        var current = start ?? root
        for part in path {
            switch current.child(part) {
            case nil:
                let table = TableBox(line: line)
                current.add(part, .table(table), line: line)
                current = table
            case .table(let table)?: current = table
            case .tables(let list)?: current = list.last!
            case .value(let value)?:
                throw error("'\(part)' is already defined as \(value.kindName), not a table")
            }
        }
        return current
    }

    // MARK: Keys

    mutating func parseKey() throws(TOMLError) -> [String] {
        var parts: [String] = []
        while true {
            skipWhitespace()
            parts.append(try simpleKey())
            skipWhitespace()
            guard peek() == UInt8(ascii: ".") else { return parts }
            position += 1
        }
    }

    private mutating func simpleKey() throws(TOMLError) -> String {
        switch peek() {
        case UInt8(ascii: "\"")?:
            position += 1
            return try basicString()
        case UInt8(ascii: "'")?:
            position += 1
            return try literalString()
        default:
            let start = position
            while let byte = peek(), Self.isBareKeyByte(byte) { position += 1 }
            guard position > start else { throw error("expected a key") }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    // MARK: Lexing helpers

    func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 { position += 1 }
    }

    /// Whitespace, newlines and comments, as allowed inside arrays.
    mutating func skipWhitespaceAndComments() throws(TOMLError) {
        while true {
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: "#")?: try skipComment()
            case 0x0A?, 0x0D?: try newline()
            default: return
            }
        }
    }

    /// A comment (if any) and the end of the line or document.
    mutating func endOfLine() throws(TOMLError) {
        skipWhitespace()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        guard peek() != nil else { return }
        try newline()
    }

    private mutating func skipComment() throws(TOMLError) {
        while let byte = peek(), byte != 0x0A {
            if byte == 0x0D, peek(1) == 0x0A { return }
            guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else { throw error("control character in a comment") }
            position += 1
        }
    }

    mutating func newline() throws(TOMLError) {
        if peek() == 0x0D {
            position += 1
            guard peek() == 0x0A else { throw error("a carriage return must be followed by a newline") }
        }
        guard peek() == 0x0A else { throw error("expected the end of the line") }
        position += 1
        line += 1
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(TOMLError) {
        guard peek() == byte else { throw error("expected \(what)") }
        position += 1
    }

    func error(_ message: String) -> TOMLError {
        TOMLError(file: file, line: line, message: message)
    }
}

/// A TOML document that is not valid, with where.
public struct TOMLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file's path.
    public var file: String
    /// The 1-based line.
    public var line: Int
    /// What is wrong.
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}

/// A table while it is being built; `freeze` turns it into a value.
final class TableBox {
    enum Child {
        case table(TableBox)
        case tables([TableBox])
        case value(TOMLValue)
    }

    private(set) var children: [(key: String, child: Child, line: Int)] = []
    let line: Int

    init(line: Int) { self.line = line }

    func child(_ key: String) -> Child? { children.first { $0.key == key }?.child }

    func add(_ key: String, _ child: Child, line: Int) { children.append((key, child, line)) }

    func replace(_ key: String, _ child: Child) {
        if let index = children.firstIndex(where: { $0.key == key }) { children[index].child = child }
    }

    func freeze() -> TOMLTable {
        var table = TOMLTable(line: line)
        for (key, child, line) in children {
            switch child {
            case .table(let box): table.set(key, .table(box.freeze()), line: line)
            case .tables(let boxes): table.set(key, .array(boxes.map { .table($0.freeze()) }), line: line)
            case .value(let value): table.set(key, value, line: line)
            }
        }
        return table
    }
}
