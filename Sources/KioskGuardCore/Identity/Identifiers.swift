/// The kiosk app's name for a session; opaque to the daemon, unique per terminal.
public struct SessionID: Hashable, Sendable, CustomStringConvertible {
    /// The identifier as the kiosk app sent it (validated by the protocol's limits).
    public let rawValue: String

    /// Wraps an identifier that already passed the protocol's checks.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

/// The kiosk app's name for a step of a registration, such as `bank-account`.
public struct StepName: Hashable, Sendable, CustomStringConvertible {
    /// The step name as the kiosk app sent it.
    public let rawValue: String

    /// Wraps a step name that already passed the protocol's checks.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

/// The `id` a request carried; echoed in its reply.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    /// The id as the peer sent it.
    public let rawValue: String

    /// Wraps an id that already passed the protocol's checks.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

/// A terminal's position in the engine's table; stable for the engine's lifetime.
public struct TerminalID: Hashable, Sendable, Comparable {
    /// Index into the engine's terminal table.
    public let index: Int

    init(_ index: Int) { self.index = index }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }
}
