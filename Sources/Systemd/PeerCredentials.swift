#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a Unix socket: `SO_PEERCRED` plus the peer's supplementary groups.
public struct PeerCredentials: Hashable, Sendable {
    /// The peer's process id at connect time.
    public var pid: Int32
    /// The peer's user id.
    public var uid: UInt32
    /// The peer's primary group id.
    public var gid: UInt32

    /// Wraps credentials read from a socket.
    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The supplementary groups of the peer's user (from the group database, since the kernel does
    /// not pass them with `SO_PEERCRED`).
    public var supplementaryGroups: [UInt32] {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return [] }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, gid, &groups, &count) >= 0 else { return [] }
        }
        return Array(groups.prefix(Int(count)))
    }
}
