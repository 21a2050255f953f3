import KioskGuardConfiguration
#if canImport(Glibc)
import Glibc
#endif

/// Makes a Unix socket path ready to bind and binds it: the directory exists and no one but root
/// and the daemon's user can change what it holds, a socket file left by a daemon that died is
/// removed while one a running daemon still answers on is never taken over, and the socket gets
/// its mode before anyone else can reach it.
enum SocketPaths {
    static func prepare(_ path: String) throws(DaemonError) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty { try makeDirectories(directory, mode: 0o755) }
        if let problem = FileSystem.ownershipProblem(ofDirectory: directory.isEmpty ? "/" : directory) {
            throw DaemonError("refusing the socket directory of \(path): \(problem)")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw DaemonError("\(path) exists and is not a socket; refusing to replace it") }
        if answers(path) { throw DaemonError("another daemon is listening on \(path)") }
        unlink(path)
    }

    /// Binds `path` with `bind` in a private directory beside it (mode 0700), gives the socket
    /// `mode` there, and renames it into place: no one can connect before the mode is set, and no
    /// link swapped in at the path can turn the chmod onto another file.
    static func bindPrivately<Bound>(_ path: String, mode: mode_t, _ bind: (String) async throws -> Bound) async throws -> Bound {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        var template = Array((directory + "/.kioskguard-bind-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw DaemonError("cannot create a private directory in \(directory.isEmpty ? "/" : directory): \(String(cString: strerror(errno)))")
        }
        let privateDirectory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { rmdir(privateDirectory) }
        let privatePath = privateDirectory + "/" + String(path[path.index(after: path.lastIndex(of: "/") ?? path.startIndex)...])
        let bound = try await bind(privatePath)
        guard chmod(privatePath, mode) == 0, rename(privatePath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(privatePath)
            throw DaemonError("cannot put the socket in place at \(path): \(reason)")
        }
        return bound
    }

    /// Creates the missing directories of `path` with `mode` exactly (the daemon's umask of 077
    /// would otherwise make a socket directory no kiosk app can enter); existing ones are left.
    static func makeDirectories(_ path: String, mode: mode_t) throws(DaemonError) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) == 0 {
                chmod(current, mode)
            } else if errno != EEXIST {
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
