import Foundation
import KioskGuardClient
import Testing

/// The daemon binary, built by `swift build --build-tests` next to this test bundle.
let daemonPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".build/debug/kioskguardd").path

/// A real kioskguardd on a temporary directory, with one terminal the current user may use.
final class RunningDaemon {
    let directory = NSTemporaryDirectory() + "kioskguard-client-\(UUID().uuidString.prefix(8))"
    let process = Process()
    var events: String { directory + "/events.sock" }

    init(policy: String = "") throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = directory + "/pseudonym.key"
        FileManager.default.createFile(atPath: key, contents: Data(repeating: 7, count: 32), attributes: [.posixPermissions: 0o600])
        let config = """
            [daemon]
            events_socket = "\(events)"
            control_socket = "\(directory)/control.sock"
            state_directory = "\(directory)/state"
            pseudonym_key_file = "\(key)"
            log_target = "stderr"
            [control]
            admin_groups = []
            [policy]
            \(policy)
            [[terminal]]
            name = "counter-1"
            allowed_users = ["\(getuid())"]
            """
        try config.write(toFile: directory + "/kioskguard.toml", atomically: true, encoding: .utf8)
        let notify = try NotifySocket(path: directory + "/notify.sock")
        process.executableURL = URL(fileURLWithPath: daemonPath)
        process.arguments = ["--config", directory + "/kioskguard.toml"]
        process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": notify.path]) { _, new in new }
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        try notify.waitFor("READY=1", timeoutSeconds: 15)
    }

    func connect() async throws -> KioskGuardConnection {
        try await KioskGuardConnection.connect(path: events, terminal: "counter-1", client: "client-tests")
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A datagram socket receiving sd_notify messages, as systemd would.
struct NotifySocket {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(raw.count - 1))) }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// Blocks until a message contains the line `state`, or the timeout passes.
    func waitFor(_ state: String, timeoutSeconds: Int) throws {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { throw CocoaError(.fileReadUnknown) }
            if String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").contains(Substring(state)) { return }
        }
    }
}

@Suite("Swift client against the real daemon")
struct ConnectionTests {
    @Test("hello, a session, a step decision, and the lock when the card leaves")
    func session() async throws {
        let daemon = try RunningDaemon()
        let connection = try await daemon.connect()
        guard case .welcome(let version, let terminal, let policy, _) = connection.welcome else {
            Issue.record("no welcome: \(connection.welcome)")
            return
        }
        #expect(version == 1 && terminal == "counter-1" && policy["idle_timeout"] == 120)
        try await connection.send(.sessionBegin(session: "s-1", subject: "310129-954F", auth: "card+pin"))
        try await connection.send(.cardInserted(subject: "310129-954F"))
        let allowed = try await connection.requestStep(session: "s-1", step: "bank-account", sensitive: true, account: "FI21")
        #expect(allowed == .stepDecision(id: "step-1", session: "s-1", step: "bank-account", allow: true, reason: nil))
        try await connection.send(.cardRemoved)
        var messages = connection.messages.makeAsyncIterator()
        #expect(await messages.next() == .lock(session: "s-1", reason: "card-removed"))
        let denied = try await connection.requestStep(session: "s-1", step: "bank-account", sensitive: true)
        #expect(denied == .stepDecision(id: "step-2", session: "s-1", step: "bank-account", allow: false, reason: "session-locked"))
        await connection.close()
        #expect(await messages.next() == nil)
    }

    @Test("a second connection for the terminal is refused with terminal-busy")
    func busy() async throws {
        let daemon = try RunningDaemon()
        let first = try await daemon.connect()
        await #expect(throws: KioskGuardClientError.self) {
            _ = try await KioskGuardConnection.connect(path: daemon.events, terminal: "counter-1")
        }
        await first.close()
    }
}
