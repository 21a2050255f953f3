import ArgumentParser
import KioskGuardProtocol
#if canImport(Glibc)
import Glibc
#endif

/// One request to the daemon's control socket, answered with one line. Blocking and small: the
/// CLI makes one call and exits.
struct ControlConnection {
    let path: String
    private let codec = ControlCodec()

    /// Sends `request` and decodes the response's result as `Payload`; a refusal or an unreachable
    /// daemon is printed as one line and exits with 1.
    func call<Payload: Codable & Sendable>(_ request: ControlRequest, as: Payload.Type) throws -> Payload {
        let line = try exchange(codec.encode(request))
        let response: ControlResponse<Payload>
        do {
            response = try codec.decodeResponse(line, as: Payload.self)
        } catch {
            throw CLIFailure("the daemon's answer could not be read: \(error)")
        }
        if let error = response.error { throw CLIFailure("\(error.message) (\(error.code.rawValue))") }
        guard let result = response.result else { throw CLIFailure("the daemon answered without a result") }
        return result
    }

    private func exchange(_ request: [UInt8]) throws -> [UInt8] {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw CLIFailure("cannot create a socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw CLIFailure("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let reason = errno
            if reason == ENOENT || reason == ECONNREFUSED {
                throw CLIFailure("kioskguardd is not running: nothing listens on \(path) (use --socket if it runs elsewhere)")
            }
            if reason == EACCES {
                throw CLIFailure("permission denied on \(path): admins need membership in the daemon's admin_groups (default kioskguard-admin)")
            }
            throw CLIFailure("cannot connect to \(path): \(String(cString: strerror(reason)))")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var remaining = request[...]
        while !remaining.isEmpty {
            let sent = remaining.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The daemon may have answered (a refusal) and closed before the request was written:
            // read what it said.
            guard sent > 0 else { break }
            remaining = remaining.dropFirst(sent)
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !response.contains(UInt8(ascii: "\n")) {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                if response.isEmpty { throw CLIFailure("the daemon closed the connection without answering") }
                break
            }
            response += chunk[..<count]
            if response.count > 16 << 20 { throw CLIFailure("the daemon's answer is too large") }
        }
        return Array(response.prefix { $0 != UInt8(ascii: "\n") })
    }
}

/// A refusal or failure: printed as one line, exit status 1.
struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    /// 1 (refused or failed), or 2 when the journal a verb was given cannot be read: audit and
    /// incident exit 1 for what they find, so not being able to look must not look like it.
    let exitStatus: Int32
    init(_ description: String, exitStatus: Int32 = 1) {
        self.description = description
        self.exitStatus = exitStatus
    }
}
