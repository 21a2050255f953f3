/// Bounds on everything a peer can make the daemon hold or parse.
public struct ProtocolLimits: Hashable, Sendable {
    /// The longest line accepted, in bytes without the newline (design default 16 KiB).
    public var maxLineLength: Int = 16 * 1024
    /// The deepest nesting of objects and arrays in a line; the message itself is level 1.
    public var maxDepth: Int = 8
    /// The longest `subject` or `account`, in bytes after unescaping.
    public var maxIdentifierLength: Int = 256
    /// The longest session id, step name, request id or auth method, in bytes.
    public var maxTokenLength: Int = 128

    /// The defaults.
    public init() {}
}
