public import KioskGuardCore

/// Decodes kiosk-app lines into `InboundMessage`s: strict UTF-8 and JSON, bounded nesting,
/// unknown fields ignored, each field checked, and `subject`/`account` turned into pseudonyms
/// straight from the decoded bytes, so no raw identifier outlives the call.
public struct EventDecoder: Sendable {
    /// The bounds applied to every line.
    public let limits: ProtocolLimits
    private let pseudonymizer: Pseudonymizer

    /// A decoder with the host's pseudonym key.
    public init(limits: ProtocolLimits = ProtocolLimits(), pseudonymizer: Pseudonymizer) {
        self.limits = limits
        self.pseudonymizer = pseudonymizer
    }

    /// Decodes one line (without its newline).
    public func decode(_ line: UnsafeRawBufferPointer) -> Result<InboundMessage, EventError> {
        guard line.count <= limits.maxLineLength else {
            return .failure(EventError(.lineTooLong, "a line may have at most \(limits.maxLineLength) bytes"))
        }
        if let session = canonicalActivitySession(line) { return .success(InboundMessage(id: nil, body: .event(.activity(session)))) }
        guard UTF8Validation.isValid(line) else {
            return .failure(EventError(.badJSON, "invalid UTF-8 in the line", closesConnection: true))
        }
        var fields = InboundFields()
        var scanner = JSONScanner(line, maxDepth: limits.maxDepth)
        do {
            guard scanner.peekKind() == .object else {
                return .failure(EventError(.badJSON, "a message is one JSON object per line"))
            }
            try scanner.readObject(key: InboundField.init(utf8:)) { (scanner: inout JSONScanner, field: InboundField?) throws(JSONSyntaxError) in
                try fields.read(field, from: &scanner, decoder: self)
            }
            try scanner.expectEnd()
        } catch {
            return .failure(EventError(.badJSON, error.description, requestID: fields.id))
        }
        return fields.message(limits: limits)
    }

    /// Decodes one line given as bytes.
    public func decode(_ line: some Collection<UInt8>) -> Result<InboundMessage, EventError> {
        if let result = line.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(line).withUnsafeBytes { decode($0) }
    }

    fileprivate func pseudonym(_ bytes: UnsafeRawBufferPointer) -> Pseudonym? {
        FieldRules.isIdentifier(bytes, maxLength: limits.maxIdentifierLength) ? pseudonymizer.pseudonym(ofIdentifier: bytes) : nil
    }
}

/// The fields the event protocol knows; anything else is skipped.
private enum InboundField: String, CaseIterable {
    case type, id, `protocol`, terminal, client, session, auth, step, reason, subject, account, present, sensitive

    /// This field's bit in the seen-set (a switch: `allCases` would build an array per call).
    var bit: UInt16 {
        switch self {
        case .type: 1 << 0
        case .id: 1 << 1
        case .protocol: 1 << 2
        case .terminal: 1 << 3
        case .client: 1 << 4
        case .session: 1 << 5
        case .auth: 1 << 6
        case .step: 1 << 7
        case .reason: 1 << 8
        case .subject: 1 << 9
        case .account: 1 << 10
        case .present: 1 << 11
        case .sensitive: 1 << 12
        }
    }

    private static let names = NameTable(allCases, name: \.rawValue)

    /// The field named by `bytes`, or nil for a field the protocol does not know.
    init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard let field = Self.names.value(named: bytes) else { return nil }
        self = field
    }
}

/// The fields of one message as they are read, before the type says which are required.
/// Stored inline (no dictionaries), so decoding a typical event allocates only its strings.
private struct InboundFields {
    var type: MessageType?
    /// Set when `type` named no known type.
    var unknownType = false
    var id: RequestID?
    var terminal: String?
    var client: String?
    var session: String?
    var auth: String?
    var step: String?
    var reason: String?
    var subject: Pseudonym?
    var account: Pseudonym?
    var protocolVersion: Int64?
    var present: Bool?
    var sensitive: Bool?
    var seen: UInt16 = 0
    /// The first problem with a field; reported once the whole line was read, with its `id`.
    var problem: EventError?

    mutating func read(_ field: InboundField?, from scanner: inout JSONScanner, decoder: EventDecoder) throws(JSONSyntaxError) {
        guard let field else {
            try scanner.skipValue(depth: 1)
            return
        }
        let key = field.rawValue
        guard seen & field.bit == 0 else {
            flag(.badField, "field '\(key)' appears twice")
            try scanner.skipValue(depth: 1)
            return
        }
        seen |= field.bit
        let kind = scanner.peekKind()
        switch field {
        case .protocol:
            guard kind == .number else { return try mistyped(key, "an integer", &scanner) }
            protocolVersion = try scanner.integer()
        case .present, .sensitive:
            guard kind == .boolean else { return try mistyped(key, "true or false", &scanner) }
            let value = try scanner.boolean()
            if field == .present { present = value } else { sensitive = value }
        case .subject, .account:
            guard kind == .string else { return try mistyped(key, "a string", &scanner) }
            guard let pseudonym = try scanner.withStringBytes({ decoder.pseudonym($0) }) else {
                return flag(.badField, "'\(key)' must have 1 to \(decoder.limits.maxIdentifierLength) bytes, no control characters, and more than separators")
            }
            if field == .subject { subject = pseudonym } else { account = pseudonym }
        case .type:
            guard kind == .string else { return try mistyped(key, "a string", &scanner) }
            type = try scanner.withStringBytes { MessageType(utf8: $0) }
            unknownType = type == nil
        case .id, .terminal, .client, .session, .auth, .step, .reason:
            guard kind == .string else { return try mistyped(key, "a string", &scanner) }
            let value = try scanner.string()
            switch field {
            case .id:
                guard FieldRules.isToken(value, maxLength: decoder.limits.maxTokenLength) else {
                    return flag(.badField, "'id' must be 1 to \(decoder.limits.maxTokenLength) visible ASCII characters")
                }
                id = RequestID(value)
            case .terminal: terminal = value
            case .client: client = value
            case .session: session = value
            case .auth: auth = value
            case .step: step = value
            default: reason = value
            }
        }
    }

    private mutating func mistyped(_ key: String, _ expected: String, _ scanner: inout JSONScanner) throws(JSONSyntaxError) {
        flag(.badField, "'\(key)' must be \(expected)")
        try scanner.skipValue(depth: 1)
    }

    private mutating func flag(_ code: EventErrorCode, _ message: String) {
        if problem == nil { problem = EventError(code, message) }
    }

    // MARK: Building the message

    func message(limits: ProtocolLimits) -> Result<InboundMessage, EventError> {
        do throws(EventError) {
            if var problem {
                problem.requestID = id
                throw problem
            }
            if unknownType { throw error(.unknownType, "unknown message type") }
            guard let type else { throw error(.missingField, "every message needs 'type'") }
            guard let body = try body(type, limits) else {
                throw error(.unknownType, "'\(type.rawValue)' is sent by the daemon, not to it")
            }
            return .success(InboundMessage(id: id, body: body))
        } catch {
            return .failure(error)
        }
    }

    /// The body of a message of `type`, or nil when the type is one the daemon sends, not receives.
    private func body(_ type: MessageType, _ limits: ProtocolLimits) throws(EventError) -> InboundMessage.Body? {
        switch type {
        case .hello:
            let terminal = try required(terminal, "terminal", of: type)
            guard FieldRules.isTerminalName(terminal) else {
                throw error(.badField, "'terminal' must be 1 to 64 letters, digits, '.', '_' or '-'")
            }
            guard let version = protocolVersion else { throw error(.missingField, "hello needs 'protocol'") }
            if let client, !FieldRules.isLabel(client, maxLength: limits.maxTokenLength) {
                throw error(.badField, "'client' must be at most \(limits.maxTokenLength) printable ASCII characters")
            }
            return .hello(Hello(terminal: terminal, protocolVersion: version, client: client))
        case .ping:
            return .ping
        case .sessionBegin:
            let auth = try auth.map { (value) throws(EventError) in AuthMethod(try token(value, "auth", limits)) }
            return .event(.sessionBegin(try session(type, limits), subject: subject, auth: auth))
        case .activity:
            return .event(.activity(try session(type, limits)))
        case .authVerified:
            return .event(.authVerified(try session(type, limits), subject: try required(subject, "subject", of: type)))
        case .cardInserted:
            return .event(.cardInserted(subject: try required(subject, "subject", of: type)))
        case .cardRemoved:
            return .event(.cardRemoved)
        case .presence:
            guard let present else { throw error(.missingField, "presence needs 'present'") }
            return .event(.presence(present: present))
        case .stepRequest:
            guard let id else { throw error(.missingField, "step.request needs 'id'") }
            return .event(.stepRequest(StepRequest(
                id: id, session: try session(type, limits), step: try step(type, limits),
                sensitive: sensitive ?? false, account: account, subject: subject
            )))
        case .stepDone:
            return .event(.stepDone(try session(type, limits), step: try step(type, limits), account: account))
        case .locked:
            return .event(.locked(try session(type, limits)))
        case .sessionEnd:
            var endReason = EndReason.logout
            if let reason {
                guard let parsed = EndReason(rawValue: reason), EndReason.clientReasons.contains(parsed) else {
                    throw error(.badField, "'reason' must be one of logout, completed, cancelled")
                }
                endReason = parsed
            }
            return .event(.sessionEnd(try session(type, limits), reason: endReason))
        case .welcome, .warn, .lock, .terminate, .stepDecision, .pong, .error:
            return nil
        }
    }

    private func required<Value>(_ value: Value?, _ key: String, of type: MessageType) throws(EventError) -> Value {
        guard let value else { throw error(.missingField, "\(type.rawValue) needs '\(key)'") }
        return value
    }

    private func token(_ value: String, _ key: String, _ limits: ProtocolLimits) throws(EventError) -> String {
        guard FieldRules.isToken(value, maxLength: limits.maxTokenLength) else {
            throw error(.badField, "'\(key)' must be 1 to \(limits.maxTokenLength) visible ASCII characters")
        }
        return value
    }

    private func session(_ type: MessageType, _ limits: ProtocolLimits) throws(EventError) -> SessionID {
        SessionID(try token(try required(session, "session", of: type), "session", limits))
    }

    private func step(_ type: MessageType, _ limits: ProtocolLimits) throws(EventError) -> StepName {
        StepName(try token(try required(step, "step", of: type), "step", limits))
    }

    private func error(_ code: EventErrorCode, _ message: String) -> EventError {
        EventError(code, message, requestID: id)
    }
}
