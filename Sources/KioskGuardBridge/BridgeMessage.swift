public import NIOCore

/// What the bridge itself tells the extension, besides relaying the daemon's lines. Every
/// message is one JSON object whose `type` starts with `bridge.`, so it cannot be mistaken for
/// one of the daemon's (docs/browser-kiosks.md).
public enum BridgeMessage: Hashable, Sendable {
    /// `bridge.daemon`: the connection to kioskguardd is up (send `hello` now) or lost (lock
    /// every guarded tab; the bridge reconnects by itself).
    case daemon(connected: Bool)
    /// `bridge.error`: a message from the extension was refused, or the stream broke.
    case error(BridgeErrorCode, String)

    /// The message as the JSON bytes of one native message.
    public func encoded(allocator: ByteBufferAllocator) -> ByteBuffer {
        let text: String
        switch self {
        case .daemon(let connected):
            text = #"{"type":"bridge.daemon","state":"\#(connected ? "connected" : "lost")"}"#
        case .error(let code, let message):
            text = #"{"type":"bridge.error","code":"\#(code.rawValue)","message":"\#(Self.escaped(message))"}"#
        }
        return allocator.buffer(string: text)
    }

    /// `text` as the inside of a JSON string. The bridge's messages and manifests are built from
    /// its own texts, numbers and checked names, so escaping what JSON reserves is enough; a
    /// control character becomes a space.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where character.value < 0x20: out += " "
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

/// Why the bridge refused something (the `code` of `bridge.error`).
public enum BridgeErrorCode: String, Hashable, Sendable, CaseIterable {
    /// A message's length was over the limit; the bridge ends after saying so.
    case frameTooLong = "frame-too-long"
    /// The stream ended inside a message; the bridge ends after saying so.
    case truncatedFrame = "truncated-frame"
    /// A message was not valid UTF-8.
    case badUTF8 = "bad-utf8"
    /// A message was not one JSON object.
    case badJSON = "bad-json"
    /// A message came while the daemon was not connected; it was not delivered.
    case daemonUnavailable = "daemon-unavailable"
}
