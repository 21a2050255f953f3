public import Systemd

/// Who is on the other end of a connection: its `SO_PEERCRED` credentials, the supplementary
/// groups of its user and the logind session its process was in, looked up once per connection
/// off the event loop.
public struct PeerIdentity: Hashable, Sendable {
    /// The peer's pid, uid and primary gid at connect time.
    public var credentials: PeerCredentials
    /// The supplementary groups of the peer's user.
    public var supplementaryGroups: [UInt32]
    /// What logind said of the peer's process when it connected: the session the `logind` lock
    /// action locks, kept for the connection, since the pid may be reused later.
    public var loginSession: LoginSessionLookup

    /// An identity of `credentials` with `supplementaryGroups`, in `loginSession`.
    public init(credentials: PeerCredentials, supplementaryGroups: [UInt32], loginSession: LoginSessionLookup = .none) {
        self.credentials = credentials
        self.supplementaryGroups = supplementaryGroups
        self.loginSession = loginSession
    }

    /// The peer's user id.
    public var uid: UInt32 { credentials.uid }
    /// The peer's primary group id.
    public var gid: UInt32 { credentials.gid }
    /// The peer's process id at connect time.
    public var pid: Int32 { credentials.pid }
}

/// What logind said of a process's session.
public enum LoginSessionLookup: Hashable, Sendable {
    /// The process was in this logind session.
    case session(String)
    /// The process was in no logind session.
    case none
    /// logind could not be asked, or its answer was not believed; the text says why.
    case unknown(String)

    /// logind was not asked: when the peer connected, nothing would have used its session. One
    /// text shared by every such peer.
    public static let notAsked = LoginSessionLookup.unknown("not asked: no terminal locked an app's own session through logind when it connected")

    /// The session, if logind named one.
    public var session: String? {
        if case .session(let name) = self { return name }
        return nil
    }
}
