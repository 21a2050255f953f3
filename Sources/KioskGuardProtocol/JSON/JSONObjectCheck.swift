/// Checks that bytes from outside (a browser's native message) are one JSON object in strict
/// UTF-8 before they are passed on as a protocol line, so nothing malformed reaches the daemon
/// under the bridge's name.
public enum JSONObjectCheck {
    /// What is wrong with `bytes` as one JSON object, nested at most `maxDepth` levels deep; nil
    /// when nothing is.
    public static func problem(in bytes: UnsafeRawBufferPointer, maxDepth: Int) -> JSONObjectProblem? {
        guard UTF8Validation.isValid(bytes) else { return .invalidUTF8 }
        var scanner = JSONScanner(bytes, maxDepth: maxDepth)
        guard scanner.peekKind() == .object else { return .notAnObject }
        do throws(JSONSyntaxError) {
            try scanner.skipValue(depth: 0)
            try scanner.expectEnd()
        } catch {
            return .invalidJSON(error.description)
        }
        return nil
    }
}

/// Why bytes are not one JSON object.
public enum JSONObjectProblem: Hashable, Sendable, CustomStringConvertible {
    /// The bytes are not well-formed UTF-8.
    case invalidUTF8
    /// The bytes are JSON of another kind, or start with something that is not JSON.
    case notAnObject
    /// The object is malformed; the text says where.
    case invalidJSON(String)

    public var description: String {
        switch self {
        case .invalidUTF8: "not valid UTF-8"
        case .notAnObject: "not a JSON object"
        case .invalidJSON(let detail): "not valid JSON: \(detail)"
        }
    }
}
