#if canImport(Glibc)
import Glibc
#endif

extension TOMLParser {
    mutating func parseValue() throws(TOMLError) -> TOMLValue {
        guard let byte = peek() else { throw error("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                position += 3
                return .string(try multilineString(literal: false))
            }
            position += 1
            return .string(try basicString())
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                position += 3
                return .string(try multilineString(literal: true))
            }
            position += 1
            return .string(try literalString())
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw error("arrays and inline tables nest more than \(Self.maxDepth) deep") }
            position += 1
            depth += 1
            defer { depth -= 1 }
            return byte == UInt8(ascii: "[") ? try array() : try inlineTable()
        default:
            return try scalar()
        }
    }

    private mutating func array() throws(TOMLError) -> TOMLValue {
        var values: [TOMLValue] = []
        while true {
            try skipWhitespaceAndComments()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return .array(values)
            }
            values.append(try parseValue())
            try skipWhitespaceAndComments()
            switch peek() {
            case UInt8(ascii: ",")?: position += 1
            case UInt8(ascii: "]")?:
                position += 1
                return .array(values)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func inlineTable() throws(TOMLError) -> TOMLValue {
        let table = TableBox(line: line)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return .table(table.freeze())
        }
        var defined: Set<[String]> = []
        while true {
            skipWhitespace()
            let keyLine = line
            let key = try parseKey()
            skipWhitespace()
            try expect(UInt8(ascii: "="), "'=' after the key")
            skipWhitespace()
            for length in 1..<key.count where defined.contains(Array(key.prefix(length))) {
                throw error("key '\(key.joined(separator: "."))' extends a value of the inline table")
            }
            let parent = try nest(Array(key.dropLast()), from: table, creating: true)
            guard parent.child(key.last!) == nil else { throw error("key '\(key.joined(separator: "."))' is defined twice") }
            let value = try parseValue()
            parent.add(key.last!, .value(value), line: keyLine)
            defined.insert(key)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ",")?: position += 1
            case UInt8(ascii: "}")?:
                position += 1
                return .table(table.freeze())
            default: throw error("expected ',' or '}' in an inline table")
            }
        }
    }

    // MARK: Strings

    mutating func basicString() throws(TOMLError) -> String {
        var output: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return try utf8(output)
            case UInt8(ascii: "\\"): try escape(into: &output)
            case 0x09, 0x20...0x7E, 0x80...: output.append(byte)
            default: throw error("control character in a string")
            }
        }
    }

    mutating func literalString() throws(TOMLError) -> String {
        var output: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated string") }
            position += 1
            switch byte {
            case UInt8(ascii: "'"): return try utf8(output)
            case 0x09, 0x20...0x7E, 0x80...: output.append(byte)
            default: throw error("control character in a string")
            }
        }
    }

    private mutating func multilineString(literal: Bool) throws(TOMLError) -> String {
        let delimiter = literal ? UInt8(ascii: "'") : UInt8(ascii: "\"")
        var output: [UInt8] = []
        if peek() == 0x0A || (peek() == 0x0D && peek(1) == 0x0A) { try newline() }
        while true {
            guard let byte = peek() else { throw error("unterminated multi-line string") }
            if byte == delimiter, peek(1) == delimiter, peek(2) == delimiter {
                var quotes = 3
                while peek(quotes) == delimiter { quotes += 1 }
                guard quotes <= 5 else { throw error("too many quotes closing a multi-line string") }
                output += Array(repeating: delimiter, count: quotes - 3)
                position += quotes
                return try utf8(output)
            }
            switch byte {
            case 0x0A, 0x0D:
                try newline()
                output.append(0x0A)
            case UInt8(ascii: "\\") where !literal:
                position += 1
                if try trimLineEndingBackslash() { continue }
                try escape(into: &output)
            case 0x09, 0x20...0x7E, 0x80...:
                output.append(byte)
                position += 1
            default:
                throw error("control character in a string")
            }
        }
    }

    /// After a backslash in a multi-line basic string: whitespace up to a newline, then all
    /// whitespace and newlines, are dropped. Returns false when the backslash starts an escape.
    private mutating func trimLineEndingBackslash() throws(TOMLError) -> Bool {
        var lookahead = 0
        while let byte = peek(lookahead), byte == 0x20 || byte == 0x09 { lookahead += 1 }
        guard peek(lookahead) == 0x0A || (peek(lookahead) == 0x0D && peek(lookahead + 1) == 0x0A) else { return false }
        position += lookahead
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            if byte == 0x20 || byte == 0x09 { position += 1 } else { try newline() }
        }
        return true
    }

    private mutating func escape(into output: inout [UInt8]) throws(TOMLError) {
        guard let byte = peek() else { throw error("unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let digits = byte == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let digit = peek(), let nibble = Self.hexValue(digit) else { throw error("invalid unicode escape") }
                value = value << 4 | UInt32(nibble)
                position += 1
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("unicode escape is not a scalar value") }
            output += Array(String(Character(scalar)).utf8)
        default:
            throw error("invalid escape sequence")
        }
    }

    private func utf8(_ bytes: [UInt8]) throws(TOMLError) -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else { throw error("invalid UTF-8") }
        return string
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Scalars

    private mutating func scalar() throws(TOMLError) -> TOMLValue {
        let start = position
        while let byte = peek(), !Self.endsScalar(byte) { position += 1 }
        // A local time or date-time with a space separator continues after the space.
        let token = Array(bytes[start..<position])
        guard !token.isEmpty else { throw error("expected a value") }
        if let text = String(validating: token, as: UTF8.self) {
            switch text {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            case "inf", "+inf": return .float(.infinity)
            case "-inf": return .float(-.infinity)
            case "nan", "+nan", "-nan": return .float(.nan)
            default: break
            }
        }
        if Self.looksLikeDateTime(token) { throw error("dates and times are not used in kioskguard's configuration") }
        if let integer = Self.integer(token) { return .integer(integer) }
        if Self.isFloat(token), let value = Self.double(token) { return .float(value) }
        throw error("'\(String(decoding: token.prefix(40), as: UTF8.self))' is not a valid value")
    }

    private static func endsScalar(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ",")
            || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "#")
    }

    private static func looksLikeDateTime(_ token: [UInt8]) -> Bool {
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { $0 < token.count && (0x30...0x39).contains(token[$0]) } }
        let date = digits(0..<4) && token.count > 4 && token[4] == UInt8(ascii: "-")
        let time = digits(0..<2) && token.count > 2 && token[2] == UInt8(ascii: ":")
        return date || time
    }

    /// Digits with single underscores between them.
    private static func digitsWithUnderscores(_ token: ArraySlice<UInt8>, isDigit: (UInt8) -> Bool) -> [UInt8]? {
        guard let first = token.first, let last = token.last, isDigit(first), isDigit(last) else { return nil }
        var digits: [UInt8] = []
        var previousUnderscore = false
        for byte in token {
            if byte == UInt8(ascii: "_") {
                guard !previousUnderscore else { return nil }
                previousUnderscore = true
            } else {
                guard isDigit(byte) else { return nil }
                previousUnderscore = false
                digits.append(byte)
            }
        }
        return digits
    }

    private static func integer(_ token: [UInt8]) -> Int64? {
        var body = token[...]
        let prefixes: [(UInt8, Int)] = [(UInt8(ascii: "x"), 16), (UInt8(ascii: "o"), 8), (UInt8(ascii: "b"), 2)]
        if token.count > 2, token[0] == UInt8(ascii: "0"), let (_, radix) = prefixes.first(where: { $0.0 == token[1] }) {
            body = token[2...]
            guard let digits = digitsWithUnderscores(body, isDigit: { hexValue($0).map { Int($0) < radix } ?? false }) else { return nil }
            return Int64(String(decoding: digits, as: UTF8.self), radix: radix)
        }
        var negative = false
        if let sign = body.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        guard let digits = digitsWithUnderscores(body, isDigit: { (0x30...0x39).contains($0) }) else { return nil }
        guard digits.count == 1 || digits.first != UInt8(ascii: "0") else { return nil }
        return Int64((negative ? "-" : "") + String(decoding: digits, as: UTF8.self))
    }

    private static func isFloat(_ token: [UInt8]) -> Bool {
        var body = token[...]
        if let sign = body.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { body = body.dropFirst() }
        let exponentIndex = body.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = body[..<(exponentIndex ?? body.endIndex)]
        let dotIndex = mantissa.firstIndex(of: UInt8(ascii: "."))
        let integerPart = mantissa[..<(dotIndex ?? mantissa.endIndex)]
        let isDigit: (UInt8) -> Bool = { (0x30...0x39).contains($0) }
        guard let integerDigits = digitsWithUnderscores(integerPart, isDigit: isDigit),
              integerDigits.count == 1 || integerDigits.first != UInt8(ascii: "0") else { return false }
        if let dotIndex {
            guard digitsWithUnderscores(mantissa[(dotIndex + 1)...], isDigit: isDigit) != nil else { return false }
        }
        if let exponentIndex {
            var exponent = body[(exponentIndex + 1)...]
            if let sign = exponent.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { exponent = exponent.dropFirst() }
            guard digitsWithUnderscores(exponent, isDigit: isDigit) != nil else { return false }
        }
        return dotIndex != nil || exponentIndex != nil
    }

    private static func double(_ token: [UInt8]) -> Double? {
        Double(String(decoding: token.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self))
    }
}
