import KioskGuardCore
import KioskGuardProtocol
import Testing

@Suite("Canonical activity lines")
struct ActivityShortcutTests {
    /// Session ids at and around every boundary of the shortcut: token bytes, escapes, the length
    /// limit, bytes JSON or the token rule refuse, and ids that smuggle in more fields.
    static let sessionIDs: [String] = [
        "s-1", "S", String(repeating: "x", count: 128), String(repeating: "x", count: 129), "",
        "has space", "tab\there", "del\u{7F}", "nul\u{0}", "caf\u{E9}", #"a\"b"#, #"a\\b"#, #"\u0041"#,
        #"s","id":"q1"#, #"s","session":"t"#, #"s"}"#, "}", "{", "~!#$%&'()*+,-./:;<=>?@[]^_`|",
    ]

    @Test("a canonical activity line and the same message spaced out decode alike", arguments: sessionIDs)
    func shortcutAgreesWithGeneralReader(session: String) {
        let canonical = #"{"type":"activity","session":""# + session + #""}"#
        // The space after the brace sends the same message through the general reader.
        let spaced = #"{ "type":"activity","session":""# + session + #""}"#
        switch (decode(canonical), decode(spaced)) {
        case (.failure(let shortcut), .failure(let general)):
            // Refusals name byte offsets, which the space moves by one.
            #expect(shortcut.code == general.code)
        case (let shortcut, let general):
            #expect(shortcut == general)
        }
    }

    @Test("where the shortcut gives a session, the decoder gives that session's activity", arguments: sessionIDs)
    func shortcutSessionIsTheDecodedActivity(session: String) {
        let canonical = Array((#"{"type":"activity","session":""# + session + #""}"#).utf8)
        let shortcut = canonical.withUnsafeBytes { decoder.canonicalActivitySession($0) }
        if let shortcut {
            #expect(decode(String(decoding: canonical, as: UTF8.self)) == .success(InboundMessage(id: nil, body: .event(.activity(shortcut)))))
        }
        let spaced = Array((#"{ "type":"activity","session":""# + session + #""}"#).utf8)
        #expect(spaced.withUnsafeBytes { decoder.canonicalActivitySession($0) } == nil)
    }

    @Test("the shortcut leaves a line over the line limit to the decoder, which refuses it")
    func shortcutKeepsTheLineLimit() throws {
        var limits = ProtocolLimits()
        limits.maxLineLength = 32
        let short = EventDecoder(limits: limits, pseudonymizer: try Pseudonymizer(key: [UInt8](repeating: 1, count: 32)))
        let line = Array(#"{"type":"activity","session":"s-1"}"#.utf8)
        #expect(line.withUnsafeBytes { short.canonicalActivitySession($0) } == nil)
        guard case .failure(let error) = short.decode(line) else { Issue.record("a line over the limit was decoded"); return }
        #expect(error.code == .lineTooLong)
    }

    @Test("the shortcut accepts the canonical line and hands the session id over unchanged")
    func canonicalLineDecodes() throws {
        let decoded = try decode(#"{"type":"activity","session":"kiosk-7/s:42"}"#).get()
        #expect(decoded == InboundMessage(id: nil, body: .event(.activity(SessionID("kiosk-7/s:42")))))
    }

    @Test("a canonical line that is not quite one is decoded fully", arguments: [
        (#"{"type":"activity","session":"s-1"}x"#, EventErrorCode.badJSON),
        (#"{"type":"activity","session":"s-1"} }"#, .badJSON),
        (#"{"type":"activity","session":"s\u00"}"#, .badJSON),
        (#"{"type":"activity","session":"has space"}"#, .badField),
    ])
    func nearMissesReachTheGeneralReader(line: String, code: EventErrorCode) {
        #expect(errorCode(line) == code)
    }
}
