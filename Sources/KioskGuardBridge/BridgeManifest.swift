/// The native-messaging host manifests that tell a browser where the bridge is and which
/// extension may start it (contract section 9).
public enum BridgeManifest {
    /// The host's name, as the extension passes it to `runtime.connectNative`.
    public static let hostName = "kioskguard.bridge"
    /// Where the package installs the bridge.
    public static let installedPath = "/usr/lib/kioskguard/kioskguard-bridge"

    /// The browsers whose manifests differ.
    public enum Browser: String, Sendable, CaseIterable {
        case chromium
        case firefox
    }

    /// Whether `id` can be the id of an extension for `browser`: 32 letters a to p for Chromium;
    /// an email-like id or a `{GUID}` for Firefox.
    public static func isValidExtensionID(_ id: String, for browser: Browser) -> Bool {
        let bytes = Array(id.utf8)
        switch browser {
        case .chromium:
            return bytes.count == 32 && bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "p")).contains($0) }
        case .firefox:
            guard (3...80).contains(bytes.count) else { return false }
            if bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") {
                return bytes.dropFirst().dropLast().allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: "-") }
            }
            let parts = bytes.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
            return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(isIDCharacter) }
        }
    }

    /// The manifest for `browser`, admitting extension `id` to start the bridge at `path`.
    /// `id` must pass `isValidExtensionID` and `path` be absolute, so neither needs escaping
    /// beyond what is done here.
    public static func text(for browser: Browser, extensionID id: String, path: String) -> String {
        let admitted = switch browser {
        case .chromium: #""allowed_origins": ["chrome-extension://\#(id)/"]"#
        case .firefox: #""allowed_extensions": ["\#(id)"]"#
        }
        return """
            {
              "name": "\(hostName)",
              "description": "kioskguard: guards the sessions of this browser kiosk",
              "path": "\(BridgeMessage.escaped(path))",
              "type": "stdio",
              \(admitted)
            }

            """
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isIDCharacter(_ byte: UInt8) -> Bool {
        isHexDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+")].contains(byte)
    }
}
