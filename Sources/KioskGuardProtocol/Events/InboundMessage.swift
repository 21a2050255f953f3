public import KioskGuardCore

/// A message from a kiosk app, decoded, validated and pseudonymised.
public struct InboundMessage: Hashable, Sendable {
    /// The message's `id`, echoed in any reply.
    public var id: RequestID?
    /// What the message says.
    public var body: Body

    /// What a kiosk app's message says.
    public enum Body: Hashable, Sendable {
        /// `hello`: bind this connection to a terminal.
        case hello(Hello)
        /// `ping`: liveness.
        case ping
        /// A session event for the engine.
        case event(KioskEvent)
    }

    /// Creates a decoded message.
    public init(id: RequestID?, body: Body) {
        self.id = id
        self.body = body
    }
}

/// The fields of `hello`.
public struct Hello: Hashable, Sendable {
    /// The terminal the connection is for.
    public var terminal: String
    /// The protocol version the app speaks.
    public var protocolVersion: Int64
    /// The app's self-description, such as `kiosk-app/2.1` (optional).
    public var client: String?

    /// Creates a hello.
    public init(terminal: String, protocolVersion: Int64 = ProtocolVersion.current, client: String? = nil) {
        self.terminal = terminal
        self.protocolVersion = protocolVersion
        self.client = client
    }
}
