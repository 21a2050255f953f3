import KioskGuardCore
import KioskGuardProtocol
import Testing

let pseudonymizer = try! Pseudonymizer(key: Array(0..<32))
let decoder = EventDecoder(pseudonymizer: pseudonymizer)

func decode(_ line: String) -> Result<InboundMessage, EventError> {
    decoder.decode(Array(line.utf8))
}

func errorCode(_ line: String) -> EventErrorCode? {
    if case .failure(let error) = decode(line) { error.code } else { nil }
}

@Suite("Event decoder")
struct EventDecoderTests {
    @Test("every kiosk message type round-trips through the client encoder and the daemon decoder", arguments: [
        (KioskMessage.hello(terminal: "counter-1", client: "kiosk-app/2.1"),
         InboundMessage.Body.hello(Hello(terminal: "counter-1", protocolVersion: 1, client: "kiosk-app/2.1"))),
        (.sessionBegin(session: "s-1", subject: "123456789012", auth: "card+pin"),
         .event(.sessionBegin(SessionID("s-1"), subject: pseudonymizer.pseudonym(ofIdentifier: "123456789012")!, auth: AuthMethod("card+pin")))),
        (.sessionBegin(session: "s-2"), .event(.sessionBegin(SessionID("s-2"), subject: nil, auth: nil))),
        (.activity(session: "s-1"), .event(.activity(SessionID("s-1")))),
        (.authVerified(session: "s-1", subject: "123456789012"),
         .event(.authVerified(SessionID("s-1"), subject: pseudonymizer.pseudonym(ofIdentifier: "123456789012")!))),
        (.cardInserted(subject: "serial-42"), .event(.cardInserted(subject: pseudonymizer.pseudonym(ofIdentifier: "serial-42")!))),
        (.cardRemoved, .event(.cardRemoved)),
        (.presence(present: false), .event(.presence(present: false))),
        (.stepDone(session: "s-1", step: "bank-account", account: "FI12 3456"),
         .event(.stepDone(SessionID("s-1"), step: StepName("bank-account"), account: pseudonymizer.pseudonym(ofIdentifier: "FI12 3456")!))),
        (.locked(session: "s-1"), .event(.locked(SessionID("s-1")))),
        (.sessionEnd(session: "s-1", reason: .completed), .event(.sessionEnd(SessionID("s-1"), reason: .completed))),
        (.sessionEnd(session: "s-1"), .event(.sessionEnd(SessionID("s-1"), reason: .logout))),
        (.ping, .ping),
    ])
    func roundTrip(message: KioskMessage, expected: InboundMessage.Body) throws {
        let line = message.encoded(id: "q7")
        #expect(line.last == UInt8(ascii: "\n"))
        let decoded = try decoder.decode(line.dropLast()).get()
        #expect(decoded == InboundMessage(id: RequestID("q7"), body: expected))
    }

    @Test("step.request round-trips, and needs an id")
    func stepRequest() throws {
        let message = KioskMessage.stepRequest(session: "s-1", step: "bank-account", sensitive: true, account: "FI12")
        let decoded = try decoder.decode(message.encoded(id: "r-1").dropLast()).get()
        #expect(decoded.body == .event(.stepRequest(StepRequest(
            id: RequestID("r-1"), session: SessionID("s-1"), step: StepName("bank-account"), sensitive: true,
            account: pseudonymizer.pseudonym(ofIdentifier: "FI12")!))))
        #expect(errorCode(String(decoding: message.encoded().dropLast(), as: UTF8.self)) == .missingField)
    }

    @Test("the decoded message holds no trace of the raw identifiers")
    func noRawIdentifiers() throws {
        let decoded = try decode(#"{"type":"session.begin","session":"s-1","subject":"310129-954F"}"#).get()
        #expect(!String(reflecting: decoded).contains("310129-954F"))
        #expect(!String(describing: decoded).contains("310129"))
    }

    @Test("escapes decode to the same identifier, so the pseudonym is the same")
    func escapes() throws {
        let plain = try decode(#"{"type":"card.inserted","subject":"Åsa/1"}"#).get()
        let escaped = try decode(#"{"type":"card.inserted","subject":"\u00c5sa\/1"}"#).get()
        #expect(plain == escaped)
        let surrogate = try decode(#"{"type":"card.inserted","subject":"\ud83d\ude00"}"#).get()
        #expect(surrogate.body == .event(.cardInserted(subject: pseudonymizer.pseudonym(ofIdentifier: "😀")!)))
    }

    @Test("unknown fields are ignored, nested ones too")
    func unknownFields() throws {
        let decoded = try decode(#"{"x":[1,{"y":null}],"type":"activity","extra":{"a":-1.5e3,"b":[true,false]},"session":"s-1"}"#).get()
        #expect(decoded.body == .event(.activity(SessionID("s-1"))))
    }

    @Test("bad-json: not JSON, not an object, trailing bytes, raw control characters", arguments: [
        "", "not json", "[1,2]", "\"activity\"", #"{"type":"ping"} x"#, #"{"type":"ping",}"#, #"{"type":"ping""#,
        "{\"type\":\"activity\",\"session\":\"s\u{0}1\"}", "{\"type\":\"ping\"}\u{0}", #"{"type":"ping","n":01}"#,
        #"{"type":"ping","n":1.}"#, #"{"type":"ping","s":"\x"}"#, #"{"type":"ping","s":"\ud800"}"#,
    ])
    func badJSON(line: String) {
        #expect(errorCode(line) == .badJSON)
    }

    @Test("invalid UTF-8 is bad-json and closes the connection", arguments: [
        [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF], [0x80],
    ] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) throws {
        let line = Array(#"{"type":"card.inserted","subject":""#.utf8) + bytes + Array(#""}"#.utf8)
        guard case .failure(let error) = decoder.decode(line) else {
            Issue.record("accepted invalid UTF-8 \(bytes)")
            return
        }
        #expect(error.code == .badJSON)
        #expect(error.closesConnection)
    }

    @Test("nesting is limited to maxDepth")
    func depth() {
        func nested(_ depth: Int) -> String {
            #"{"type":"ping","x":"# + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}"
        }
        #expect((try? decode(nested(8)).get()) != nil)
        #expect(errorCode(nested(9)) == .badJSON)
        #expect(errorCode(nested(5_000)) == .badJSON)
    }

    @Test("lines over the limit are line-too-long and close the connection")
    func lineLimit() throws {
        let padding = String(repeating: "a", count: 16 * 1024 - #"{"type":"ping","p":""}"#.utf8.count)
        let exact = #"{"type":"ping","p":""# + padding + #""}"#
        #expect(exact.utf8.count == 16 * 1024)
        #expect((try? decode(exact).get()) != nil)
        let over = #"{"type":"ping","p":""# + padding + #"a"}"#
        guard case .failure(let error) = decode(over) else {
            Issue.record("accepted a line of 16 KiB + 1")
            return
        }
        #expect(error.code == .lineTooLong)
        #expect(error.closesConnection)
    }

    @Test("unknown-type keeps the connection and echoes the id")
    func unknownType() {
        guard case .failure(let error) = decode(#"{"type":"teleport","id":"q1"}"#) else {
            Issue.record("accepted an unknown type")
            return
        }
        #expect(error.code == .unknownType)
        #expect(error.requestID == RequestID("q1"))
        #expect(!error.closesConnection)
        #expect(errorCode(#"{"type":"welcome"}"#) == .unknownType)
    }

    @Test("an integer may be written as JSON allows, as the schema reads it: 1, 1.0, 1e0, 10e-1, 0.1e1",
          arguments: ["1", "1.0", "1.000", "1e0", "1E+0", "10e-1", "0.1e1", "100e-2"])
    func integerSpellings(version: String) {
        guard case .success(let message) = decode(#"{"type":"hello","terminal":"t","protocol":\#(version)}"#),
              case .hello(let hello) = message.body
        else {
            Issue.record("refused protocol \(version)")
            return
        }
        #expect(hello.protocolVersion == 1)
    }

    @Test("a number that is not an integer is refused as one", arguments: ["1.5", "1e-1", "0.1", "1e400", "-", "1.", "1e", "01"])
    func notIntegers(version: String) {
        #expect(errorCode(#"{"type":"hello","terminal":"t","protocol":\#(version)}"#) == .badJSON)
    }

    @Test("missing-field names the field", arguments: [
        (#"{"session":"s-1"}"#, "type"), (#"{"type":"activity"}"#, "session"), (#"{"type":"hello","protocol":1}"#, "terminal"),
        (#"{"type":"hello","terminal":"t"}"#, "protocol"), (#"{"type":"session.begin"}"#, "session"),
        (#"{"type":"presence"}"#, "present"), (#"{"type":"step.done","session":"s"}"#, "step"),
    ])
    func missingField(line: String, field: String) {
        guard case .failure(let error) = decode(line) else {
            Issue.record("accepted \(line)")
            return
        }
        #expect(error.code == .missingField)
        #expect(error.message.contains("'\(field)'"))
    }

    @Test("bad-field: wrong types, bad characters, lengths, duplicates, reasons", arguments: [
        #"{"type":"activity","session":7}"#, #"{"type":"presence","present":"yes"}"#,
        #"{"type":"hello","terminal":"t","protocol":"1"}"#, #"{"type":"hello","terminal":"a b","protocol":1}"#,
        #"{"type":"activity","session":"has space"}"#, #"{"type":"activity","session":""}"#,
        #"{"type":"activity","session":"s","session":"t"}"#, #"{"type":"session.end","session":"s","reason":"abandoned"}"#,
        #"{"type":"card.inserted","subject":""}"#, #"{"type":"card.inserted","subject":"a\u0000b"}"#,
        #"{"type":"card.inserted","subject":"line\nbreak"}"#, #"{"type":"activity","session":"s","id":"a b"}"#,
        #"{"type":"hello","terminal":"t","protocol":1,"client":"tab\there"}"#,
        "{\"type\":\"card.inserted\",\"subject\":\"" + String(repeating: "9", count: 257) + "\"}",
        "{\"type\":\"activity\",\"session\":\"" + String(repeating: "s", count: 129) + "\"}",
        #"{"type":"step.request","id":"r","session":"s","step":"x","sensitive":1}"#,
    ])
    func badField(line: String) {
        #expect(errorCode(line) == .badField)
    }

    @Test("a bad field's error still echoes the id sent after it")
    func badFieldEchoesID() {
        guard case .failure(let error) = decode(#"{"type":"activity","session":7,"id":"q9"}"#) else {
            Issue.record("accepted a numeric session")
            return
        }
        #expect(error.requestID == RequestID("q9"))
    }

    @Test("the handshake needs hello first, in a supported version")
    func handshake() throws {
        let ping = try decode(#"{"type":"ping","id":"p"}"#).get()
        #expect(Handshake.hello(from: ping).failureCode == .helloFirst)
        let future = try decode(#"{"type":"hello","terminal":"t","protocol":2}"#).get()
        #expect(Handshake.hello(from: future).failureCode == .protocolUnsupported)
        let hello = try decode(#"{"type":"hello","terminal":"t","protocol":1}"#).get()
        #expect((try? Handshake.hello(from: hello).get())?.terminal == "t")
    }
}

extension Result where Failure == EventError {
    var failureCode: EventErrorCode? { if case .failure(let error) = self { error.code } else { nil } }
}
