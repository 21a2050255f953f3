import CSystemd
public import NIOCore
public import NIOPosix
import Systemd

/// Finds out who is on the other end of a new connection without blocking its event loop.
public protocol PeerIdentifying: Sendable {
    /// The identity of `channel`'s peer, completed on the channel's event loop.
    func identify(_ channel: any Channel) -> EventLoopFuture<PeerIdentity>
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

    public func identify(_ channel: any Channel) -> EventLoopFuture<PeerIdentity> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(PeerIdentificationError())
        }
        let credentials: EventLoopFuture<kioskguard_ucred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        return credentials.flatMap { [pool] raw in
            let peer = PeerCredentials(pid: raw.pid, uid: raw.uid, gid: raw.gid)
            return pool.runIfActive(eventLoop: channel.eventLoop) {
                PeerIdentity(credentials: peer, supplementaryGroups: peer.supplementaryGroups)
            }
        }
    }
}

/// The socket did not say who its peer is.
struct PeerIdentificationError: Error, CustomStringConvertible {
    var description: String { "the socket gave no peer credentials" }
}
