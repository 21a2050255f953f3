import CSystemd
public import NIOCore
public import NIOPosix
public import Systemd

/// Finds out who is on the other end of a new connection without blocking its event loop, in
/// two steps: the kernel's credentials first (the connection is admitted or refused on its uid
/// alone), then the user's groups, which only an admitted connection costs.
public protocol PeerIdentifying: Sendable {
    /// The `SO_PEERCRED` credentials of `channel`'s peer, completed on the channel's event loop.
    func credentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials>
    /// The identity of the peer with `credentials`, its groups included, completed on `eventLoop`.
    func identity(of credentials: PeerCredentials, on eventLoop: any EventLoop) -> EventLoopFuture<PeerIdentity>
}

/// Reads `SO_PEERCRED` from the socket and looks the user's groups up on a thread pool: under
/// LDAP or SSSD `getgrouplist` can take seconds, and the event loop that locks every session
/// must not wait for it.
public struct SocketPeerIdentifier: PeerIdentifying {
    private let pool: NIOThreadPool

    /// An identifier doing its lookups on `pool`.
    public init(pool: NIOThreadPool) {
        self.pool = pool
    }

    public func credentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(PeerIdentificationError())
        }
        let credentials: EventLoopFuture<kioskguard_ucred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        return credentials.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
    }

    public func identity(of credentials: PeerCredentials, on eventLoop: any EventLoop) -> EventLoopFuture<PeerIdentity> {
        pool.runIfActive(eventLoop: eventLoop) {
            PeerIdentity(credentials: credentials, supplementaryGroups: credentials.supplementaryGroups)
        }
    }
}

/// The socket did not say who its peer is.
struct PeerIdentificationError: Error, CustomStringConvertible {
    var description: String { "the socket gave no peer credentials" }
}
