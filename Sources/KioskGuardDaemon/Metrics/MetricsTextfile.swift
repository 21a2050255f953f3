#if canImport(Glibc)
import Glibc
#endif

/// Writes node_exporter's textfile so that no reader ever sees half of it: the text goes to a
/// temporary file beside it (a name node_exporter ignores, as it does not end in `.prom`),
/// which is then renamed over it. Blocking: call it on a thread pool.
public enum MetricsTextfile {
    /// Replaces the file at `path` (ending in `.prom`) with `text`, mode 0644 so that
    /// node_exporter's user may read it.
    public static func write(_ text: [UInt8], to path: String) throws(MetricsTextfileError) {
        let temporary = temporaryPath(for: path)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else { throw MetricsTextfileError(path: temporary, operation: "open", errno: errno) }
        var failure: MetricsTextfileError?
        if fchmod(descriptor, 0o644) != 0 { failure = MetricsTextfileError(path: temporary, operation: "chmod", errno: errno) }
        var offset = 0
        while failure == nil && offset < text.count {
            let written = text.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = MetricsTextfileError(path: temporary, operation: "write", errno: errno)
            } else {
                offset += written
            }
        }
        if close(descriptor) != 0 && failure == nil { failure = MetricsTextfileError(path: temporary, operation: "close", errno: errno) }
        if failure == nil && rename(temporary, path) != 0 { failure = MetricsTextfileError(path: path, operation: "rename", errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// `DIR/.NAME.prom.tmp` for `DIR/NAME.prom`.
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        return String(path[..<slash]) + "." + String(path[slash...]) + ".tmp"
    }
}

/// A textfile that could not be written, with the operation and the system's reason.
public struct MetricsTextfileError: Error, Equatable, CustomStringConvertible {
    /// The file the operation was on.
    public var path: String
    /// `open`, `chmod`, `write`, `close` or `rename`.
    public var operation: String
    /// The system's error number.
    public var errno: Int32

    /// The operation, the path and the system's reason.
    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}
