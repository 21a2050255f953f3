public import KioskGuardCore

/// The `code` of an `error` message on the events socket (docs/protocol.md, "Error codes").
public enum EventErrorCode: String, Hashable, Sendable, CaseIterable {
    /// The line is not a JSON object, or not valid UTF-8.
    case badJSON = "bad-json"
    /// The line is longer than the limit; the connection is closed.
    case lineTooLong = "line-too-long"
    /// The `type` is not one this protocol version knows.
    case unknownType = "unknown-type"
    /// A required field is missing.
    case missingField = "missing-field"
    /// A field has the wrong type, length, characters or value.
    case badField = "bad-field"
    /// The first message on a connection was not `hello`.
    case helloFirst = "hello-first"
    /// The `protocol` in `hello` is not supported.
    case protocolUnsupported = "protocol-unsupported"
    /// The peer's uid/gid may not act as this terminal; the connection is closed.
    case terminalNotAllowed = "terminal-not-allowed"
    /// Another connection holds the terminal.
    case terminalBusy = "terminal-busy"
    /// The terminal has no such session.
    case unknownSession = "unknown-session"
    /// The session is locked or ended.
    case sessionNotActive = "session-not-active"

    /// The wire code of an engine refusal.
    public init(_ refusal: EngineRefusal) {
        switch refusal {
        case .unknownSession: self = .unknownSession
        case .sessionNotActive: self = .sessionNotActive
        case .badField: self = .badField
        case .missingField: self = .missingField
        }
    }
}

/// A message the daemon could not accept, with what to tell the peer.
public struct EventError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The wire code.
    public var code: EventErrorCode
    /// A precise, human-readable message (never containing a raw identifier).
    public var message: String
    /// The `id` of the offending request, when it could be read.
    public var requestID: RequestID?
    /// Whether the daemon closes the connection after replying: the framing is broken (a line
    /// too long, invalid UTF-8) or the peer may not use the terminal.
    public var closesConnection: Bool

    /// Creates an error reply; `closesConnection` defaults to what the code implies.
    public init(_ code: EventErrorCode, _ message: String, requestID: RequestID? = nil, closesConnection: Bool? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.closesConnection = closesConnection ?? (code == .lineTooLong || code == .terminalNotAllowed)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
