#if canImport(Glibc)
import Glibc
#endif

/// Makes a Unix socket path ready to bind: the directory exists, and a socket file left by a
/// daemon that died is removed, while one a running daemon still answers on is never taken over.
enum SocketPaths {
    static func prepare(_ path: String) throws(DaemonError) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty { try makeDirectories(directory, mode: 0o755) }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw DaemonError("\(path) exists and is not a socket; refusing to replace it") }
        if answers(path) { throw DaemonError("another daemon is listening on \(path)") }
        unlink(path)
    }

    /// Restricts a bound socket to its owner and group (kiosk apps and admins get in by group).
    static func restrict(_ path: String) {
        chmod(path, 0o660)
    }

    static func makeDirectories(_ path: String, mode: mode_t) throws(DaemonError) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw DaemonError("cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func answers(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(capacity - 1))) }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
    }
}

/// A reason the daemon cannot start or go on, for a person.
public struct DaemonError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
