public import KioskGuardCore

/// A message a kiosk app sends, with identifiers as the app knows them.
///
/// This is the app's side: `subject` and `account` are raw here and leave the app only inside
/// the local socket's line; the daemon pseudonymises them as it decodes (`EventDecoder`).
public enum KioskMessage: Hashable, Sendable {
    /// Bind the connection to a terminal.
    case hello(terminal: String, client: String? = nil)
    /// A person authenticated.
    case sessionBegin(session: String, subject: String? = nil, auth: String? = nil)
    /// User input or navigation.
    case activity(session: String)
    /// Identity re-verified.
    case authVerified(session: String, subject: String)
    /// A card appeared in the reader.
    case cardInserted(subject: String)
    /// The card left the reader.
    case cardRemoved
    /// The presence sensor's state changed.
    case presence(present: Bool)
    /// May this step be committed now? The message's id is required.
    case stepRequest(session: String, step: String, sensitive: Bool = false, account: String? = nil)
    /// The step was committed.
    case stepDone(session: String, step: String, account: String? = nil)
    /// The UI confirms it is locked.
    case locked(session: String)
    /// Explicit end (`logout`, `completed`, `cancelled`).
    case sessionEnd(session: String, reason: EndReason? = nil)
    /// Liveness.
    case ping

    /// The message as one protocol line with the optional request `id`, newline included.
    public func encoded(id: String? = nil) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        switch self {
        case .hello(let terminal, let client):
            writer.field("type", MessageType.hello.rawValue)
            writer.field("terminal", terminal)
            writer.field("protocol", ProtocolVersion.current)
            writer.field("client", client)
        case .sessionBegin(let session, let subject, let auth):
            writer.field("type", MessageType.sessionBegin.rawValue)
            writer.field("session", session)
            writer.field("subject", subject)
            writer.field("auth", auth)
        case .activity(let session):
            writer.field("type", MessageType.activity.rawValue)
            writer.field("session", session)
        case .authVerified(let session, let subject):
            writer.field("type", MessageType.authVerified.rawValue)
            writer.field("session", session)
            writer.field("subject", subject)
        case .cardInserted(let subject):
            writer.field("type", MessageType.cardInserted.rawValue)
            writer.field("subject", subject)
        case .cardRemoved:
            writer.field("type", MessageType.cardRemoved.rawValue)
        case .presence(let present):
            writer.field("type", MessageType.presence.rawValue)
            writer.field("present", present)
        case .stepRequest(let session, let step, let sensitive, let account):
            writer.field("type", MessageType.stepRequest.rawValue)
            writer.field("session", session)
            writer.field("step", step)
            writer.field("sensitive", sensitive)
            writer.field("account", account)
        case .stepDone(let session, let step, let account):
            writer.field("type", MessageType.stepDone.rawValue)
            writer.field("session", session)
            writer.field("step", step)
            writer.field("account", account)
        case .locked(let session):
            writer.field("type", MessageType.locked.rawValue)
            writer.field("session", session)
        case .sessionEnd(let session, let reason):
            writer.field("type", MessageType.sessionEnd.rawValue)
            writer.field("session", session)
            writer.field("reason", reason?.rawValue)
        case .ping:
            writer.field("type", MessageType.ping.rawValue)
        }
        writer.field("id", id)
        writer.endObject()
        return writer.finishLine()
    }
}
