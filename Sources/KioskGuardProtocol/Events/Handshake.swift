/// The rule for the first message on an events connection: it must be `hello`, in a version
/// this daemon speaks. Whether the peer may act as the terminal (peer credentials) and whether
/// the terminal is free are decided by the daemon and the engine after this.
public enum Handshake {
    /// The hello in `first`, or the error to send before closing.
    public static func hello(from first: InboundMessage) -> Result<Hello, EventError> {
        guard case .hello(let hello) = first.body else {
            return .failure(EventError(.helloFirst, "the first message on a connection must be hello", requestID: first.id,
                                       closesConnection: true))
        }
        guard ProtocolVersion.supported.contains(hello.protocolVersion) else {
            let supported = ProtocolVersion.supported.map(String.init).joined(separator: ", ")
            return .failure(EventError(.protocolUnsupported, "protocol \(hello.protocolVersion) is not supported; this daemon speaks \(supported)",
                                       requestID: first.id, closesConnection: true))
        }
        return .success(hello)
    }
}
