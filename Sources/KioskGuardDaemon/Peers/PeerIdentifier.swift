import CKioskGuardShims
import CSystemd
public import NIOCore
public import NIOPosix
public import Systemd

/// Finds out who is on the other end of a new connection without blocking its event loop, in
/// two steps: the kernel's credentials first (the connection is admitted or refused on its uid
/// alone), then the user's groups and the process's logind session, which only an admitted
/// connection costs.
public protocol PeerIdentifying: Sendable {
    /// The `SO_PEERCRED` credentials of `channel`'s peer, completed on the channel's event loop.
    func credentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials>
    /// The identity of `channel`'s peer with `credentials`, completed on the channel's loop; its
    /// logind session only if `askingLogind` (a kiosk app's, when a terminal locks it through logind).
    func identity(of credentials: PeerCredentials, on channel: any Channel, askingLogind: Bool) -> EventLoopFuture<PeerIdentity>
}

/// Reads `SO_PEERCRED` from the socket and looks the user's groups and the process's logind
/// session up on a thread pool: under LDAP or SSSD `getgrouplist` can take seconds, and logind
/// answers over D-Bus, and the event loop that locks every session must not wait for either.
/// The session is asked of logind by pid (`GetSessionByPID`: the daemon cannot see other users'
/// processes itself) and believed only if the process the socket's `SO_PEERPIDFD` refers to is
/// still alive afterwards: then the pid named that very process throughout, not one that reused it.
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

    public func identity(of credentials: PeerCredentials, on channel: any Channel, askingLogind: Bool) -> EventLoopFuture<PeerIdentity> {
        // The pidfd only guards the session lookup against pid reuse: no lookup, no pidfd.
        let pidfd: EventLoopFuture<Int32> = !askingLogind ? channel.eventLoop.makeSucceededFuture(-1)
            : (channel as? any SocketOptionProvider).map {
                $0.unsafeGetSocketOption(level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: Self.peerPIDFD))
            } ?? channel.eventLoop.makeFailedFuture(PeerIdentificationError())
        return pidfd.recover { _ in -1 }.flatMap { [pool] descriptor in
            let looked = pool.runIfActive(eventLoop: channel.eventLoop) {
                defer { if descriptor >= 0 { close(descriptor) } }
                return PeerIdentity(credentials: credentials, supplementaryGroups: credentials.supplementaryGroups,
                                    loginSession: askingLogind ? Self.loginSession(of: credentials.pid, pidfd: descriptor) : .notAsked)
            }
            looked.whenFailure { _ in if descriptor >= 0 { close(descriptor) } }
            return looked
        }
    }

    /// `SO_PEERPIDFD` (Linux 6.5): a pidfd of the process that connected.
    private static let peerPIDFD: Int32 = 77

    /// `pid`'s logind session, believed if the process `pidfd` refers to (or, without one, a
    /// pidfd opened now) is still alive once logind answered. Signal 0 only asks whether it
    /// exists: `EPERM` (an app of another user, which the daemon may not signal) means it does,
    /// `ESRCH` that it is gone. No logind (no system bus, a stalled one) leaves it unknown, which
    /// a logind lock action later names as the reason it had no session to act on.
    private static func loginSession(of pid: Int32, pidfd: Int32) -> LoginSessionLookup {
        let descriptor = pidfd >= 0 ? pidfd : kioskguard_pidfd_open(pid)
        guard descriptor >= 0 else { return .unknown("process \(pid) was gone before logind was asked") }
        defer { if descriptor != pidfd { close(descriptor) } }
        let session: String?
        do {
            session = try Logind.session(ofProcess: pid)
        } catch {
            return .unknown(error.description)
        }
        guard kioskguard_pidfd_send_signal(descriptor, 0) == 0 || errno == EPERM else {
            return .unknown("process \(pid) was gone when logind answered")
        }
        return session.map(LoginSessionLookup.session) ?? .none
    }
}

/// The socket did not say who its peer is.
struct PeerIdentificationError: Error, CustomStringConvertible {
    var description: String { "the socket gave no peer credentials" }
}
