import FoundationEssentials

/// Reads and writes control-socket lines. Requests are small and rare, so the standard JSON
/// coders serve; the bound on a line keeps a peer from making the daemon buffer more.
public struct ControlCodec: Sendable {
    /// The longest request line accepted, in bytes.
    public let maxLineLength: Int

    /// A codec with the given bound (default 64 KiB).
    public init(maxLineLength: Int = 64 * 1024) {
        self.maxLineLength = maxLineLength
    }

    /// Decodes a request line (without its newline). The error carries the request's id when
    /// it could be read, so the refusal can echo it.
    public func decodeRequest(_ line: some Collection<UInt8>) -> Result<ControlRequest, ControlRefusal> {
        guard line.count <= maxLineLength else {
            return .failure(ControlRefusal(id: "", ControlError(.lineTooLong, "a request may have at most \(maxLineLength) bytes")))
        }
        let data = Data(line)
        guard let envelope = try? JSONDecoder().decode(RequestEnvelope.self, from: data) else {
            return .failure(ControlRefusal(id: "", ControlError(.badRequest, "a request is one JSON object with a string 'id' and 'verb'")))
        }
        let id = envelope.id ?? ""
        guard let verbName = envelope.verb else { return .failure(ControlRefusal(id: id, ControlError(.badRequest, "the request has no 'verb'"))) }
        guard let verb = ControlVerb(rawValue: verbName) else {
            let known = ControlVerb.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(ControlRefusal(id: id, ControlError(.unknownVerb, "unknown verb; known verbs: \(known)")))
        }
        let request: ControlRequest
        do {
            request = try JSONDecoder().decode(ControlRequest.self, from: data)
        } catch {
            return .failure(ControlRefusal(id: id, ControlError(.badRequest, "a field has the wrong type: \(Self.describe(error))")))
        }
        if verb.needsTarget && (request.target ?? "").isEmpty {
            return .failure(ControlRefusal(id: id, ControlError(.missingTarget, "'\(verb.rawValue)' needs a 'target'")))
        }
        return .success(request)
    }

    /// Encodes a request as one line.
    public func encode(_ request: ControlRequest) -> [UInt8] {
        Self.line(request)
    }

    /// Encodes a response as one line.
    public func encode<Payload>(_ response: ControlResponse<Payload>) -> [UInt8] {
        Self.line(response)
    }

    /// Decodes a response line, for the CLI.
    public func decodeResponse<Payload>(_ line: some Collection<UInt8>, as: Payload.Type) throws -> ControlResponse<Payload> {
        try JSONDecoder().decode(ControlResponse<Payload>.self, from: Data(line))
    }

    private static func line(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these value types cannot fail: no floats, no custom encoders.
        var bytes = Array((try? encoder.encode(value)) ?? Data("{}".utf8))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "unreadable" }
        switch decoding {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)'"
        @unknown default:
            return "unreadable"
        }
    }
}

/// The two fields read first, so that even a malformed request's refusal can echo its id.
private struct RequestEnvelope: Decodable {
    var id: String?
    var verb: String?
}

/// A control request that cannot be carried out, with the id to echo.
public struct ControlRefusal: Error, Hashable, Sendable {
    /// The request's id, or empty when it could not be read.
    public var id: String
    /// Why.
    public var error: ControlError

    /// Creates a refusal.
    public init(id: String, _ error: ControlError) {
        self.id = id
        self.error = error
    }
}
