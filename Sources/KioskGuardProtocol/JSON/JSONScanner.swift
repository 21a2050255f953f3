/// A strict, single-pass JSON reader over one line, for the hot path of the event protocol.
///
/// It reads exactly what the protocol needs (objects of strings, booleans, integers and nested
/// objects) without building a document tree, unescapes strings into a reused scratch buffer,
/// and skips unknown values up to a nesting limit. Foundation's decoders would allocate a tree
/// per event; this does not.
struct JSONScanner: ~Copyable {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private let maxDepth: Int
    /// The last string read: a range of the input when it had no escapes (the common case, no
    /// copy), otherwise its unescaped bytes in `scratch`.
    private var lastString: Range<Int> = 0..<0
    private var lastStringIsEscaped = false
    private var scratch: [UInt8] = []

    /// A scanner over `bytes`, which must already be valid UTF-8.
    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// The bytes of the last string read.
    private func withLastString<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if lastStringIsEscaped { return scratch.withUnsafeBytes(body) }
        return body(UnsafeRawBufferPointer(rebasing: bytes[lastString]))
    }

    /// Reads an object at the current position, calling `member` with each key; `member` must
    /// consume the value. `depth` is the object's nesting level (the top level is 1).
    mutating func readObject(depth: Int = 1, _ member: (inout JSONScanner, String) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        try readObject(depth: depth, key: { String(decoding: $0, as: UTF8.self) }, member)
    }

    /// Reads an object, turning each key's bytes into a `Key` with `key` (while the bytes are
    /// valid, without making a `String`) before `member` consumes the value.
    mutating func readObject<Key>(
        depth: Int = 1, key makeKey: (UnsafeRawBufferPointer) -> Key,
        _ member: (inout JSONScanner, Key) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        guard depth <= maxDepth else { throw .tooDeep }
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            try readString()
            let key = withLastString(makeKey)
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw .unexpected("',' or '}'", at: position)
            }
        }
    }

    /// Requires that only whitespace remains.
    mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        guard position == bytes.count else { throw .unexpected("end of line", at: position) }
    }

    /// Reads a string value and returns it.
    mutating func string() throws(JSONSyntaxError) -> String {
        try readString()
        return withLastString { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads a string value into `scratch` and passes its bytes to `body`, without making a
    /// `String` of it: for personal identifiers, which are pseudonymised straight from the bytes.
    mutating func withStringBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) throws(JSONSyntaxError) -> Result {
        try readString()
        return withLastString(body)
    }

    /// The kind of the value at the current position.
    mutating func peekKind() -> JSONValueKind {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "n"): return .null
        default: return .number
        }
    }

    /// Reads `true` or `false`.
    mutating func boolean() throws(JSONSyntaxError) -> Bool {
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw .unexpected("true or false", at: position)
    }

    /// Reads a number whose value is an integer in `Int64` range, in any of the spellings JSON
    /// allows for it (`1`, `1.0`, `1e0`, `10e-1`), as JSON Schema's `integer` reads it.
    mutating func integer() throws(JSONSyntaxError) -> Int64 {
        let start = position
        let negative = peek() == UInt8(ascii: "-")
        if negative { position += 1 }
        let digitsStart = position
        guard skipDigits(allowLeadingZero: true) else { throw .unexpected("an integer", at: start) }
        if position - digitsStart > 1, bytes[digitsStart] == UInt8(ascii: "0") { throw .unexpected("no leading zero", at: digitsStart) }
        var digits = Array(bytes[digitsStart..<position])
        // The value is `digits` × 10^scale.
        var scale = 0
        if peek() == UInt8(ascii: ".") {
            position += 1
            let fractionStart = position
            guard skipDigits(allowLeadingZero: true) else { throw .unexpected("digits", at: position) }
            digits += bytes[fractionStart..<position]
            scale -= position - fractionStart
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
            let exponentNegative = peek() == UInt8(ascii: "-")
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            let exponentStart = position
            guard skipDigits(allowLeadingZero: true) else { throw .unexpected("digits", at: position) }
            // Past 10,000 no Int64 can come of it (a line has at most a few thousand digits).
            var exponent = 0
            for byte in bytes[exponentStart..<position] { exponent = min(exponent * 10 + Int(byte - UInt8(ascii: "0")), 10_000) }
            scale += exponentNegative ? -exponent : exponent
        }
        guard digits.contains(where: { $0 != UInt8(ascii: "0") }) else { return 0 }
        while scale < 0 {
            guard digits.last == UInt8(ascii: "0") else { throw .unexpected("an integer", at: start) }
            digits.removeLast()
            scale += 1
        }
        var value: Int64 = 0
        for digit in digits + repeatElement(UInt8(ascii: "0"), count: min(scale, 20)) {
            let (scaled, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = scaled.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { throw .unexpected("an integer in range", at: start) }
            value = sum
        }
        return negative ? -value : value
    }

    /// Skips one value of any kind, enforcing the nesting limit. `depth` is the nesting level of
    /// the container the value is in.
    mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        switch peekKind() {
        case .string: try readString()
        case .boolean: _ = try boolean()
        case .null: guard matchLiteral("null") else { throw .unexpected("null", at: position) }
        case .number: try skipNumber()
        case .object: try readObject(depth: depth + 1) { (scanner: inout JSONScanner, _) throws(JSONSyntaxError) in try scanner.skipValue(depth: depth + 1) }
        case .array: try skipArray(depth: depth + 1)
        }
    }

    private mutating func skipArray(depth: Int) throws(JSONSyntaxError) {
        guard depth <= maxDepth else { throw .tooDeep }
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            try skipValue(depth: depth)
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: throw .unexpected("',' or ']'", at: position)
            }
        }
    }

    private mutating func skipNumber() throws(JSONSyntaxError) {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard skipDigits(allowLeadingZero: false) else { throw .unexpected("a value", at: start) }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard skipDigits(allowLeadingZero: true) else { throw .unexpected("digits", at: position) }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            guard skipDigits(allowLeadingZero: true) else { throw .unexpected("digits", at: position) }
        }
    }

    private mutating func skipDigits(allowLeadingZero: Bool) -> Bool {
        let start = position
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
        if !allowLeadingZero, position - start > 1, bytes[start] == UInt8(ascii: "0") { position = start + 1 }
        return position > start
    }

    private mutating func readString() throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "\""))
        let start = position
        // Fast path: no escapes, so the string is a range of the input.
        while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 { position += 1 }
        if peek() == UInt8(ascii: "\"") {
            lastString = start..<position
            lastStringIsEscaped = false
            position += 1
            return
        }
        lastStringIsEscaped = true
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard let byte = next() else { throw .unexpected("a closing quote", at: position) }
            switch byte {
            case UInt8(ascii: "\""):
                return
            case UInt8(ascii: "\\"):
                try readEscape()
            case 0x00..<0x20:
                throw .controlCharacter(at: position - 1)
            default:
                scratch.append(byte)
            }
        }
    }

    private mutating func readEscape() throws(JSONSyntaxError) {
        guard let escape = next() else { throw .unexpected("an escape", at: position) }
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800...0xDBFF).contains(scalar) {
                guard next() == UInt8(ascii: "\\"), next() == UInt8(ascii: "u") else { throw .badEscape(at: position) }
                let low = try hexQuad()
                guard (0xDC00...0xDFFF).contains(low) else { throw .badEscape(at: position) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw .badEscape(at: position)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw .badEscape(at: position) }
            scratch.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw .badEscape(at: position - 1)
        }
    }

    private mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = next() else { throw .badEscape(at: position) }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw .badEscape(at: position - 1)
            }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard position + length <= bytes.count else { return false }
        for offset in 0..<length where bytes[position + offset] != literal.utf8Start[offset] { return false }
        position += length
        return true
    }

    private mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        guard next() == byte else { throw .unexpected("'\(Character(Unicode.Scalar(byte)))'", at: max(0, position - 1)) }
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func next() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }
}

/// The kind of a JSON value, told by its first byte.
enum JSONValueKind: String {
    case string, number, boolean, null, object, array
}

/// Why a line is not the JSON the protocol accepts.
enum JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    case unexpected(String, at: Int)
    case controlCharacter(at: Int)
    case badEscape(at: Int)
    case tooDeep

    var description: String {
        switch self {
        case .unexpected(let expected, let offset): "expected \(expected) at byte \(offset)"
        case .controlCharacter(let offset): "unescaped control character at byte \(offset)"
        case .badEscape(let offset): "invalid escape sequence at byte \(offset)"
        case .tooDeep: "nesting deeper than allowed"
        }
    }
}
