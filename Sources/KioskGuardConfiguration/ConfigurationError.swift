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
    /// The other errors found in the same run, in file order: one run reports them all.
    public var furtherErrors: [ConfigurationError] = []

    /// Creates an error.
    public init(file: String, line: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// This error and the further ones, each alone.
    public var all: [ConfigurationError] {
        var first = self
        first.furtherErrors = []
        return [first] + furtherErrors
    }

    /// `file:line: key: message`, leaving out what is unknown; one line per error when several
    /// were found.
    public var description: String {
        all.map { error in
            var location = error.file.isEmpty ? "built-in defaults" : error.file
            if error.line > 0 { location += ":\(error.line)" }
            return error.key.isEmpty ? "\(location): \(error.message)" : "\(location): \(error.key): \(error.message)"
        }.joined(separator: "\n")
    }
}
