import Foundation
@testable import KioskGuardConfiguration
import Testing

/// The parser is checked against CPython's tomllib (a complete TOML 1.0 parser, in Debian 12's
/// python3): for each document, both must agree on the parsed value, or both must refuse it.
@Suite("TOML parser against tomllib")
struct TOMLParserTests {
    static let valid: [String] = [
        "",
        "# only a comment\n",
        "a = 1\nb = -2\nc = +3\nd = 1_000\ne = 0\nf = 0xDEAD_beef\ng = 0o755\nh = 0b1101\n",
        "pi = 3.1415\nneg = -0.01\nexp = 5e+22\nexp2 = 1e06\nboth = 6.626e-34\nunder = 224_617.445_991\n",
        "t = true\nf = false\ninf1 = inf\ninf2 = -inf\n",
        "s = \"tab\\tnewline\\nquote\\\" backslash\\\\ unicode \\u00e9 \\U0001F600\"\n",
        "s = 'C:\\Users\\nobody'\nt = '<\\i\\c*\\s*>'\n",
        "s = \"\"\"\nRoses are red\n  Violets are blue\"\"\"\n",
        "s = \"\"\"\\\n    The quick \\\n    brown fox.\\\n    \"\"\"\n",
        "s = '''\nfirst\n   second'''\n",
        "s = \"\"\"Here are two quotation marks: \"\". Simple.\"\"\"\n",
        "s = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n",
        "[daemon]\nevents_socket = \"/run/x.sock\" # trailing comment\n\n[policy]\nidle_timeout = \"120s\"\n",
        "[a.b.c]\nx = 1\n[a]\ny = 2\n",
        "[a]\nb.c = 1\nb.d = 2\n",
        "a.b.c = 1\na.b.d = 2\na.e = \"x\"\n",
        "\"quoted key\" = 1\n'literal key' = 2\n\"a.b\".c = 3\nbare-key_1 = 4\n",
        "[[terminal]]\nname = \"counter-1\"\n[terminal.policy]\nidle_timeout = \"60s\"\n[[terminal]]\nname = \"counter-2\"\n",
        "[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n[a.b.c]\ny = 3\n",
        "arr = [ 1, 2, 3, ]\nnested = [[1, 2], ['a', \"b\"], []]\nmulti = [\n  \"x\", # comment\n  \"y\"\n]\n",
        "groups = [\"kioskguard-admin\", \"wheel\"]\nempty = []\n",
        "point = { x = 1, y = 2 }\nnested = { a = { b = 1 }, c.d = 2 }\nempty = {}\n",
        "arr = [{ name = \"a\" }, { name = \"b\" }]\n",
        "a = 1\r\nb = 2\r\n",
        "key = \"value\"\t# tab before comment\n",
        "[ spaced . header ]\nx = 1\n",
        "x = 1\n[b]\n[c]\n",
        "big = 9223372036854775807\nsmall = -9223372036854775808\n",
        "closing = \"\"\"\"\"\"\"\n",
    ]

    static let invalid: [String] = [
        "a = 1\na = 2\n",
        "[a]\n[a]\n",
        "a = 1\n[a]\n",
        "[a]\nb = 1\n[a.b]\n",
        "[a]\nb.c = 1\n[a.b]\n",
        "[a.b]\nx = 1\n[a]\nb.y = 2\n",
        "a = []\n[[a]]\n",
        "[[a]]\n[a]\n",
        "a = {x = 1}\na.y = 2\n",
        "a = {x = 1}\n[a.b]\n",
        "a = { x = 1, }\n",
        "a = { x = 1\n, y = 2 }\n",
        "a = 01\n", "a = 1__0\n", "a = _1\n", "a = 1_\n", "a = 0x\n", "a = +0x10\n", "a = 1.\n", "a = .1\n", "a = 1e\n",
        "t = '''fifteen apostrophes: ''''''''''''''''''\n",
        "a = \"unterminated\n", "a = 'unterminated\n", "a = \"\"\"never closed\n", "a = \"bad \\q escape\"\n",
        "a = \"\\uD800\"\n", "a = \"raw\u{01}control\"\n",
        "a = \n", "= 1\n", "a b = 1\n", "a = 1 b = 2\n", "[a\nx = 1\n", "[[a]\n", "a = [1 2]\n", "a = TRUE\n",
        "a = 1 # comment with \u{7F} delete\n", "a = 1\rb = 2\n",
        "a.b = 1\na.b.c = 2\n",
    ]

    /// tomllib's verdict on each document: canonical JSON, or nil when it refuses it.
    static func oracle(_ documents: [String]) throws -> [String?] {
        let script = """
        import json, sys, tomllib
        out = []
        for doc in json.load(sys.stdin):
            try:
                out.append(json.dumps(tomllib.loads(doc), sort_keys=True, ensure_ascii=True))
            except tomllib.TOMLDecodeError:
                out.append(None)
        json.dump(out, sys.stdout)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: documents))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return (try JSONSerialization.jsonObject(with: data) as! [Any]).map { $0 as? String }
    }

    /// Our verdict, rendered the way Python's json.dumps(sort_keys=True) renders tomllib's.
    static func ours(_ document: String) -> String? {
        guard let table = try? TOMLParser.parse(document, file: "test.toml") else { return nil }
        return canonical(.table(table))
    }

    static func canonical(_ value: TOMLValue) -> String {
        switch value {
        case .string(let text): return quote(text)
        case .integer(let number): return String(number)
        case .float(let number):
            if number.isNaN { return "NaN" }
            if number.isInfinite { return number > 0 ? "Infinity" : "-Infinity" }
            return "\(number)"
        case .boolean(let flag): return flag ? "true" : "false"
        case .array(let items): return "[" + items.map(canonical).joined(separator: ", ") + "]"
        case .table(let table):
            let sorted = table.entries.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            return "{" + sorted.map { quote($0.key) + ": " + canonical($0.value) }.joined(separator: ", ") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20...0x7E: out += String(UnicodeScalar(UInt8(unit)))
            default: out += "\\u" + String(repeating: "0", count: 4 - String(unit, radix: 16).count) + String(unit, radix: 16)
            }
        }
        return out + "\""
    }

    @Test("agrees with tomllib on every document of the corpus")
    func differential() throws {
        let documents = Self.valid + Self.invalid
        let expected = try Self.oracle(documents)
        for (index, document) in documents.enumerated() {
            #expect(Self.ours(document) == expected[index], "document: \(document.debugDescription)")
        }
        #expect(expected[..<Self.valid.count].allSatisfy { $0 != nil }, "the valid corpus must be valid TOML")
        #expect(expected[Self.valid.count...].allSatisfy { $0 == nil }, "the invalid corpus must be invalid TOML")
    }

    @Test("integers outside 64 bits are refused, as TOML 1.0 requires (tomllib accepts Python's unbounded ints)")
    func integerRange() {
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = 9223372036854775808\n", file: "t.toml") }
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = -9223372036854775809\n", file: "t.toml") }
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = 0x1_0000_0000_0000_0000\n", file: "t.toml") }
    }

    @Test("nesting is bounded: 32 levels are read, a million are refused without overflowing the stack")
    func nesting() throws {
        let deep = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try TOMLParser.parse("a = \(deep)\n", file: "t.toml") }
        let hostile = "a = " + String(repeating: "[{x=", count: 250_000) + "\n"
        #expect { try TOMLParser.parse(hostile, file: "t.toml") } throws: { error in
            (error as? TOMLError)?.message == "arrays and inline tables nest more than 32 deep"
        }
    }

    @Test("date-times are refused by name rather than misread")
    func dates() {
        #expect(throws: TOMLError.self) { try TOMLParser.parse("when = 1979-05-27T07:32:00Z\n", file: "t.toml") }
        do {
            _ = try TOMLParser.parse("x = 1\nwhen = 07:32:00\n", file: "t.toml")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("dates and times"))
        }
    }

    @Test("keys remember their lines; errors name file and line")
    func lines() throws {
        let table = try TOMLParser.parse("# header\n[daemon]\n\nevents_socket = \"/x\"\n", file: "k.toml")
        guard case .table(let daemon)? = table["daemon"]?.value else {
            Issue.record("no daemon table")
            return
        }
        #expect(daemon["events_socket"]?.line == 4)
        do {
            _ = try TOMLParser.parse("a = 1\nb = 2\nb = 3\n", file: "k.toml")
            Issue.record("accepted a duplicate key")
        } catch {
            #expect(error.description == "k.toml:3: key 'b' is defined twice")
        }
    }
}
