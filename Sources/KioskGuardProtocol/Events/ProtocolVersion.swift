/// Event protocol versions and the rules for changing the protocol.
///
/// Versioning rules (the wire contract; docs/protocol.md repeats them for app developers):
/// 1. A peer names its version in `hello`; the daemon answers `protocol-unsupported` to any
///    version it does not implement, and `welcome` states the version in force.
/// 2. Within a version, changes are additive only: new optional fields, new message types, new
///    values of reason fields. Receivers ignore unknown fields; an unknown message type gets
///    `unknown-type` and the connection stays open, so a newer app learns what this daemon lacks.
/// 3. Removing or renaming a field or type, changing a field's type or meaning, or making an
///    optional field required takes a new version, and the daemon keeps serving the old one for
///    at least one release.
public enum ProtocolVersion {
    /// The version this implementation speaks.
    public static let current: Int64 = 1
    /// Every version this implementation accepts in `hello`.
    public static let supported: ClosedRange<Int64> = 1...1
}

/// Every `type` of the event protocol, in both directions.
public enum MessageType: String, Hashable, Sendable, CaseIterable {
    // Kiosk app → daemon.
    /// Binds the connection to a terminal.
    case hello
    /// A person authenticated.
    case sessionBegin = "session.begin"
    /// User input or navigation.
    case activity
    /// Identity re-verified.
    case authVerified = "auth.verified"
    /// A card appeared.
    case cardInserted = "card.inserted"
    /// The card left.
    case cardRemoved = "card.removed"
    /// Presence sensor state.
    case presence
    /// May this step be committed now?
    case stepRequest = "step.request"
    /// The step was committed.
    case stepDone = "step.done"
    /// The UI confirms it is locked.
    case locked
    /// Explicit end.
    case sessionEnd = "session.end"
    /// Liveness.
    case ping
    // Daemon → kiosk app.
    /// Reply to hello.
    case welcome
    /// Countdown before a lock or end.
    case warn
    /// Lock the UI now.
    case lock
    /// End the session.
    case terminate
    /// Answer to step.request.
    case stepDecision = "step.decision"
    /// Answer to ping.
    case pong
    /// The request was refused.
    case error
}

extension MessageType {
    private static let names = NameTable(allCases, name: \.rawValue)

    /// The type named by `bytes`, matched without making a `String`.
    init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard let type = Self.names.value(named: bytes) else { return nil }
        self = type
    }
}
