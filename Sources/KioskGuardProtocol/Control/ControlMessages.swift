/// A request on the control socket: `{"id", "verb", …}`.
public struct ControlRequest: Hashable, Sendable, Codable {
    /// Echoed in the response.
    public var id: String
    /// What to do.
    public var verb: ControlVerb
    /// The terminal, session or value the verb acts on.
    public var target: String?
    /// For `alerts`: only undelivered ones.
    public var pending: Bool?
    /// For `lock` and `terminate` of a session: the terminal it is open on, needed when sessions
    /// of that id are open on several.
    public var terminal: String?

    /// Creates a request.
    public init(id: String, verb: ControlVerb, target: String? = nil, pending: Bool? = nil, terminal: String? = nil) {
        self.id = id
        self.verb = verb
        self.target = target
        self.pending = pending
        self.terminal = terminal
    }
}

/// The error of a refused control request.
public struct ControlError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The machine-readable code.
    public var code: ControlErrorCode
    /// What went wrong, for a person (names the group needed when permission is denied).
    public var message: String

    /// Creates an error.
    public init(_ code: ControlErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// A response on the control socket: `{"id", "ok": true, "result"}` or
/// `{"id", "ok": false, "error": {"code", "message"}}`.
public struct ControlResponse<Payload: Codable & Sendable>: Sendable, Codable {
    /// The request's id (empty when the request was unreadable).
    public var id: String
    /// Whether the request was carried out.
    public var ok: Bool
    /// The verb's result, when `ok`.
    public var result: Payload?
    /// Why it was refused, when not `ok`.
    public var error: ControlError?

    /// A successful response.
    public static func success(id: String, _ result: Payload) -> Self {
        Self(id: id, ok: true, result: result, error: nil)
    }

    /// A refusal.
    public static func failure(id: String, _ error: ControlError) -> Self {
        Self(id: id, ok: false, result: nil, error: error)
    }
}
