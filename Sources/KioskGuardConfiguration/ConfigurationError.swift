/// A configuration that cannot be used, with where and why.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, or empty for the built-in defaults.
    public var file: String
    /// The 1-based line, or 0 when the problem is not on one line.
    public var line: Int
    /// The key, dotted (`terminal.policy.idle_timeout`), or empty.
    public var key: String
    /// What is wrong, and what would be right.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `file:line: key: message`, leaving out what is unknown.
    public var description: String {
        var location = file.isEmpty ? "built-in defaults" : file
        if line > 0 { location += ":\(line)" }
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}
