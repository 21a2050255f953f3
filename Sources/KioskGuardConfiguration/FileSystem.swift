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

    /// The names in directory `path`, or none when it does not exist.
    public static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The bytes of `path`, refusing files over `limit` bytes.
    public static func read(_ path: String, limit: Int) throws(FileSystemError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
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

    /// Reads a secret: the file must belong to the reading user (or root) and be readable by its
    /// owner only (mode 0600 or stricter), else it is refused.
    public static func readSecret(_ path: String, limit: Int = 4096) throws(FileSystemError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileSystemError(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & 0o077 == 0 else {
            throw FileSystemError(path: path, reason: "mode \(String(info.st_mode & 0o777, radix: 8)) lets others read it; use 0600 or stricter")
        }
        return try read(path, limit: limit)
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
