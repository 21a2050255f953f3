#if canImport(Glibc)
import Glibc
#endif

/// The few file operations configuration and secrets need, bounded and with precise errors.
public enum FileSystem {
    /// Whether `path` is a regular file (following links).
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether `path` is there to read.
    public enum Presence: Equatable, Sendable {
        /// A regular file (following links).
        case present
        /// Nothing is at `path`: it or a directory on the way does not exist.
        case absent
        /// `stat` failed for another reason (a directory on the way this user may not enter), or
        /// `path` is not a regular file; with why.
        case unreachable(String)
    }

    /// Whether `path` is a regular file, is absent, or cannot be reached, and why.
    public static func presence(of path: String) -> Presence {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? .absent : .unreachable(String(cString: strerror(errno)))
        }
        return (info.st_mode & S_IFMT) == S_IFREG ? .present : .unreachable("not a regular file")
    }

    /// The names in directory `path`, or none when it does not exist.
    public static func entries(of path: String) throws(FileSystemError) -> [String] {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return [] }
            throw FileSystemError(path: path, reason: String(cString: strerror(errno)))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The bytes of `path`, which must be a regular file of at most `limit` bytes.
    public static func read(_ path: String, limit: Int) throws(FileSystemError) -> [UInt8] {
        let (descriptor, _) = try openRegularFile(path)
        defer { close(descriptor) }
        return try readAll(descriptor, path: path, limit: limit)
    }

    /// Opens `path` for reading and checks what was opened, not what the path named a moment
    /// before: anything but a regular file is refused (a FIFO would block the reader forever;
    /// `O_NONBLOCK` lets the open itself return).
    private static func openRegularFile(_ path: String) throws(FileSystemError) -> (Int32, stat) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw FileSystemError(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw FileSystemError(path: path, reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw FileSystemError(path: path, reason: "not a regular file")
        }
        return (descriptor, info)
    }

    private static func readAll(_ descriptor: Int32, path: String, limit: Int) throws(FileSystemError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            if bytes.count > limit { throw FileSystemError(path: path, reason: "larger than \(limit) bytes") }
        }
    }

    /// The text of `path`, which must be UTF-8.
    public static func readText(_ path: String, limit: Int) throws(FileSystemError) -> String {
        let bytes = try read(path, limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw FileSystemError(path: path, reason: "not valid UTF-8") }
        return text
    }

    /// Reads a secret: a regular file that belongs to root or `user` (the reading user unless
    /// told) and is readable by its owner only (mode 0600 or stricter), else it is refused.
    /// Whoever else could write the key could compute every pseudonym.
    public static func readSecret(_ path: String, limit: Int = 4096, user: UInt32? = nil) throws(FileSystemError) -> [UInt8] {
        let user = user ?? geteuid()
        let (descriptor, info) = try openRegularFile(path)
        defer { close(descriptor) }
        guard info.st_uid == 0 || info.st_uid == user else {
            throw FileSystemError(path: path, reason: "belongs to uid \(info.st_uid), not to root or the daemon's user (uid \(user))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw FileSystemError(path: path, reason: "mode \(String(info.st_mode & 0o777, radix: 8)) lets others read it; use 0600 or stricter")
        }
        return try readAll(descriptor, path: path, limit: limit)
    }

    /// Checks that no user but root and `user` (this one unless told) can change what
    /// `directory` holds: it and every directory above it belong to root or that user,
    /// `directory` is writable by neither group nor others, and an ancestor others may write is
    /// sticky (as /tmp is), so that no one else can rename it away. Returns why not, or nil.
    /// With `asAncestor`, `directory` is checked as the parent of one still to be made in it.
    public static func ownershipProblem(ofDirectory directory: String, user: UInt32? = nil, asAncestor: Bool = false) -> String? {
        let user = user ?? geteuid()
        var path = directory
        var isTarget = !asAncestor
        while true {
            var info = stat()
            guard stat(path, &info) == 0 else { return "\(path): \(String(cString: strerror(errno)))" }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { return "\(path) is not a directory" }
            guard info.st_uid == 0 || info.st_uid == user else {
                return "\(path) belongs to uid \(info.st_uid), not to root or the daemon's user (uid \(user))"
            }
            if isTarget, info.st_mode & 0o022 != 0 {
                return "\(path) has mode \(String(info.st_mode & 0o7777, radix: 8)): others can write it"
            }
            if !isTarget, info.st_mode & 0o002 != 0, info.st_mode & S_ISVTX == 0 {
                return "\(path) has mode \(String(info.st_mode & 0o7777, radix: 8)): anyone can rename what it holds"
            }
            guard path != "/", let slash = path.lastIndex(of: "/") else { return nil }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
            isTarget = false
        }
    }
}

/// A file could not be read, with the path and the reason.
public struct FileSystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// Why.
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}
