import Foundation
import KioskGuardBridge
import KioskGuardProtocol
import NIOCore
import Testing

/// What the bridge says itself, the check of what the extension sends, and the host manifests.
@Suite struct BridgeMessageTests {
    private func object(_ buffer: ByteBuffer) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: String])
    }

    @Test func theBridgesMessagesAreJSONObjectsOfTheirOwnType() throws {
        let allocator = ByteBufferAllocator()
        #expect(try object(BridgeMessage.daemon(connected: true).encoded(allocator: allocator)) == ["type": "bridge.daemon", "state": "connected"])
        #expect(try object(BridgeMessage.daemon(connected: false).encoded(allocator: allocator))["state"] == "lost")
        let error = try object(BridgeMessage.error(.badJSON, "a \"quoted\" \\ text\nwith a line break").encoded(allocator: allocator))
        #expect(error == ["type": "bridge.error", "code": "bad-json", "message": "a \"quoted\" \\ text with a line break"])
    }

    @Test("error codes round-trip through their wire names")
    func errorCodes() {
        for code in BridgeErrorCode.allCases { #expect(BridgeErrorCode(rawValue: code.rawValue) == code) }
        #expect(Set(BridgeErrorCode.allCases.map(\.rawValue)).count == BridgeErrorCode.allCases.count)
    }

    @Test("what the extension sends must be one JSON object in UTF-8", arguments: [
        (#"{"type":"activity","session":"s-1"}"#, nil as JSONObjectProblem?),
        ("{\n  \"type\": \"ping\"\n}", nil),
        (#"["type"]"#, .notAnObject),
        ("", .notAnObject),
        ("null", .notAnObject),
        (#"{"type":"ping"} {}"#, .invalidJSON("expected end of line at byte 16")),
        (#"{"type":"ping""#, .invalidJSON("expected ',' or '}' at byte 14")),
        (String(repeating: "{\"a\":", count: 17) + "1" + String(repeating: "}", count: 17), .invalidJSON("nesting deeper than allowed")),
    ])
    func objectCheck(text: String, problem: JSONObjectProblem?) {
        let found = Array(text.utf8).withUnsafeBytes { JSONObjectCheck.problem(in: $0, maxDepth: 16) }
        #expect(found == problem)
    }

    @Test("invalid UTF-8 is refused before any JSON is read", arguments: [[0x7B, 0xC3, 0x7D], [0x7B, 0xED, 0xA0, 0x80, 0x7D], [0xFF]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { JSONObjectCheck.problem(in: $0, maxDepth: 16) } == .invalidUTF8)
    }

    @Test func manifestsNameTheHostAndAdmitOnlyTheExtension() throws {
        let chromium = try #require(try JSONSerialization.jsonObject(with: Data(BridgeManifest.text(
            for: .chromium, extensionID: String(repeating: "a", count: 32), path: "/opt/kg/kioskguard-bridge").utf8)) as? [String: Any])
        #expect(chromium["name"] as? String == "kioskguard.bridge" && chromium["type"] as? String == "stdio")
        #expect(chromium["path"] as? String == "/opt/kg/kioskguard-bridge")
        #expect(chromium["allowed_origins"] as? [String] == ["chrome-extension://\(String(repeating: "a", count: 32))/"])
        let firefox = try #require(try JSONSerialization.jsonObject(with: Data(BridgeManifest.text(
            for: .firefox, extensionID: "bridge@kioskguard.example", path: BridgeManifest.installedPath).utf8)) as? [String: Any])
        #expect(firefox["allowed_extensions"] as? [String] == ["bridge@kioskguard.example"] && firefox["allowed_origins"] == nil)
    }

    @Test("extension ids", arguments: [
        (String(repeating: "p", count: 32), BridgeManifest.Browser.chromium, true), (String(repeating: "q", count: 32), .chromium, false),
        (String(repeating: "a", count: 31), .chromium, false), ("bridge@kioskguard.example", .firefox, true),
        ("{8d3a1c2e-0b4f-4e6a-9c1d-2f3e4a5b6c7d}", .firefox, true), ("no-at-sign", .firefox, false), ("a\"b@c", .firefox, false),
        ("@example", .firefox, false),
    ])
    func extensionIDs(id: String, browser: BridgeManifest.Browser, valid: Bool) {
        #expect(BridgeManifest.isValidExtensionID(id, for: browser) == valid)
    }
}
