/// A message from the daemon, as a kiosk app decodes it.
///
/// Reasons are kept as strings: within a protocol version new reason values may appear (see
/// `ProtocolVersion`), and an app must act on `lock` or `terminate` whatever the reason.
public enum DaemonMessage: Hashable, Sendable {
    /// The reply to hello, with the effective timeouts in seconds under their config key names.
    case welcome(protocolVersion: Int64, terminal: String, policy: [String: Int64], onCardRemoved: String?)
    /// Show a countdown: the session locks or ends in `lockIn` seconds.
    case warn(session: String, reason: String, lockIn: Int64)
    /// Lock the UI now and answer `locked`.
    case lock(session: String, reason: String)
    /// End the session, wipe its data, back to the start screen.
    case terminate(session: String, reason: String)
    /// The answer to a step request.
    case stepDecision(id: String, session: String, step: String, allow: Bool, reason: String?)
    /// The answer to ping.
    case pong(id: String?)
    /// A request was refused.
    case error(code: String, message: String, id: String?)

    /// Decodes one line from the daemon (without its newline).
    public static func decode(_ line: some Collection<UInt8>, limits: ProtocolLimits = ProtocolLimits()) -> Result<DaemonMessage, EventError> {
        let bytes = Array(line)
        return bytes.withUnsafeBytes { raw in
            guard UTF8Validation.isValid(raw) else { return .failure(EventError(.badJSON, "invalid UTF-8 in the line")) }
            var scanner = JSONScanner(raw, maxDepth: limits.maxDepth)
            var fields = ScalarFields()
            do throws(JSONSyntaxError) {
                guard scanner.peekKind() == .object else { return .failure(EventError(.badJSON, "not a JSON object")) }
                try scanner.readObject { (scanner: inout JSONScanner, key: String) throws(JSONSyntaxError) in
                    if key == "policy", scanner.peekKind() == .object {
                        try scanner.readObject(depth: 2) { (nested: inout JSONScanner, name: String) throws(JSONSyntaxError) in
                            try fields.readScalar(name, from: &nested, into: \.policy)
                        }
                    } else {
                        try fields.readScalar(key, from: &scanner, into: \.top)
                    }
                }
                try scanner.expectEnd()
            } catch {
                return .failure(EventError(.badJSON, error.description))
            }
            return fields.message()
        }
    }
}

/// A JSON scalar, as the client-side decoder keeps it.
private enum Scalar: Hashable {
    case string(String), integer(Int64), boolean(Bool)
}

/// The scalar fields of a daemon message; anything else is skipped.
private struct ScalarFields {
    var top: [String: Scalar] = [:]
    var policy: [String: Scalar] = [:]

    mutating func readScalar(_ key: String, from scanner: inout JSONScanner, into table: WritableKeyPath<Self, [String: Scalar]>) throws(JSONSyntaxError) {
        switch scanner.peekKind() {
        case .string: self[keyPath: table][key] = .string(try scanner.string())
        case .boolean: self[keyPath: table][key] = .boolean(try scanner.boolean())
        case .number:
            // Non-integers are not part of the protocol; skip them rather than fail the message.
            if let value = try? scanner.integer() { self[keyPath: table][key] = .integer(value) } else { try scanner.skipValue(depth: 1) }
        default: try scanner.skipValue(depth: 1)
        }
    }

    func message() -> Result<DaemonMessage, EventError> {
        func string(_ key: String) -> String? { if case .string(let value)? = top[key] { value } else { nil } }
        func integer(_ key: String) -> Int64? { if case .integer(let value)? = top[key] { value } else { nil } }
        func missing(_ key: String) -> Result<DaemonMessage, EventError> { .failure(EventError(.missingField, "missing '\(key)'")) }
        guard let type = string("type") else { return missing("type") }
        switch MessageType(rawValue: type) {
        case .welcome:
            guard let version = integer("protocol"), let terminal = string("terminal") else { return missing("protocol/terminal") }
            var timeouts: [String: Int64] = [:]
            for case (let name, .integer(let value)) in policy { timeouts[name] = value }
            var onCardRemoved: String?
            if case .string(let value)? = policy["on_card_removed"] { onCardRemoved = value }
            return .success(.welcome(protocolVersion: version, terminal: terminal, policy: timeouts, onCardRemoved: onCardRemoved))
        case .warn:
            guard let session = string("session"), let reason = string("reason"), let lockIn = integer("lock_in") else {
                return missing("session/reason/lock_in")
            }
            return .success(.warn(session: session, reason: reason, lockIn: lockIn))
        case .lock, .terminate:
            guard let session = string("session"), let reason = string("reason") else { return missing("session/reason") }
            return .success(type == MessageType.lock.rawValue
                ? .lock(session: session, reason: reason) : .terminate(session: session, reason: reason))
        case .stepDecision:
            guard let id = string("id"), let session = string("session"), let step = string("step"),
                  case .boolean(let allow)? = top["allow"]
            else { return missing("id/session/step/allow") }
            return .success(.stepDecision(id: id, session: session, step: step, allow: allow, reason: string("reason")))
        case .pong:
            return .success(.pong(id: string("id")))
        case .error:
            guard let code = string("code"), let message = string("message") else { return missing("code/message") }
            return .success(.error(code: code, message: message, id: string("id")))
        default:
            return .failure(EventError(.unknownType, "unknown message type"))
        }
    }
}
