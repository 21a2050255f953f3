public import Systemd

/// Who is on the other end of a connection: its `SO_PEERCRED` credentials and the supplementary
/// groups of its user, looked up once per connection off the event loop.
public struct PeerIdentity: Hashable, Sendable {
    /// The peer's pid, uid and primary gid at connect time.
    public var credentials: PeerCredentials
    /// The supplementary groups of the peer's user.
    public var supplementaryGroups: [UInt32]

    /// An identity of `credentials` with `supplementaryGroups`.
    public init(credentials: PeerCredentials, supplementaryGroups: [UInt32]) {
        self.credentials = credentials
        self.supplementaryGroups = supplementaryGroups
    }

    /// The peer's user id.
    public var uid: UInt32 { credentials.uid }
    /// The peer's primary group id.
    public var gid: UInt32 { credentials.gid }
    /// The peer's process id at connect time.
    public var pid: Int32 { credentials.pid }
}
