import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// logind on the system bus (or the bus in `DBUS_SYSTEM_BUS_ADDRESS`, which is how tests point it
/// at a mock): the session methods kioskguard calls, and the checks that what they asked for
/// happened. Messages are built with `sd_bus_message_new_method_call`: the variadic
/// `sd_bus_call_method` cannot be called from Swift. Everything blocks for at most its
/// `timeout`; run it off any event loop.
public enum Logind {
    /// The logind methods kioskguard uses.
    public enum Method: String, Sendable {
        /// Names the session a process belongs to.
        case getSessionByPID = "GetSessionByPID"
        /// Asks the session's screen locker to lock.
        case lockSession = "LockSession"
        /// Ends the session and its processes.
        case terminateSession = "TerminateSession"
        /// Sends a signal to every process of the session.
        case killSession = "KillSession"
    }

    private static let service = "org.freedesktop.login1"
    private static let sessionInterface = "org.freedesktop.login1.Session"

    /// Calls `method` for logind session `session` (KillSession with SIGKILL to all its processes).
    public static func call(_ method: Method, session: String, timeout: Duration = .seconds(5)) throws(LogindError) {
        let bus = try Bus(method, session)
        var arguments: [BusArgument] = [.string(session)]
        if method == .killSession { arguments += [.string("all"), .int32(SIGKILL)] }
        let reply = try bus.callManager(method.rawValue, arguments, timeout: timeout)
        sd_bus_message_unref(reply)
    }

    /// The logind session process `pid` belongs to (GetSessionByPID), or nil when it belongs to
    /// none. logind reads the process's cgroup itself, so the daemon needs no view of other
    /// users' processes (the unit's `ProtectProc=invisible` hides them from it).
    public static func session(ofProcess pid: Int32, timeout: Duration = .seconds(2)) throws(LogindError) -> String? {
        guard pid > 0 else { return nil }
        let bus = try Bus(.getSessionByPID, "pid \(pid)")
        guard let path = try bus.objectPath(calling: Method.getSessionByPID.rawValue, [.uint32(UInt32(pid))],
                                            absentWhen: "org.freedesktop.login1.NoSessionForPID", timeout: timeout) else { return nil }
        var session: UnsafeMutablePointer<CChar>?
        guard sd_bus_path_decode(path, "/org/freedesktop/login1/session", &session) > 0, let session else {
            throw LogindError(method: .getSessionByPID, target: "pid \(pid)",
                              detail: "logind answered \(path), which is not a session's object path")
        }
        defer { free(session) }
        return String(cString: session)
    }

    /// Waits at most `timeout` for the session's `LockedHint` to be true (a screen locker that
    /// really locked sets it; `LockSession` succeeds whether one listens or not). Returns whether
    /// it was.
    public static func waitUntilLocked(session: String, timeout: Duration) throws(LogindError) -> Bool {
        let bus = try Bus(.lockSession, session)
        let path = try bus.sessionPath()
        return try bus.wait(for: timeout) { () throws(LogindError) -> Bool in
            var locked = Int32(0)
            var error = sd_bus_error()
            defer { sd_bus_error_free(&error) }
            let status = sd_bus_get_property_trivial(bus.handle, service, path, sessionInterface, "LockedHint", &error,
                                                     CChar(UInt8(ascii: "b")), &locked)
            guard status >= 0 else { throw bus.failure(status, error) }
            return locked != 0
        }
    }

    /// Waits at most `timeout` for the session to be gone from logind (not merely closing: its
    /// processes are gone too). Returns whether it was.
    public static func waitUntilGone(session: String, timeout: Duration) throws(LogindError) -> Bool {
        let bus = try Bus(.terminateSession, session)
        guard let path = try bus.sessionPathIfPresent() else { return true }
        return try bus.wait(for: timeout) { () throws(LogindError) -> Bool in
            var state: UnsafeMutablePointer<CChar>?
            var error = sd_bus_error()
            defer { sd_bus_error_free(&error) }
            let status = sd_bus_get_property_string(bus.handle, service, path, sessionInterface, "State", &error, &state)
            free(state)
            guard status < 0 else { return false }
            if Bus.meansNoSuchSession(error) { return true }
            throw bus.failure(status, error)
        }
    }

    private enum BusArgument {
        case string(String)
        case int32(Int32)
        case uint32(UInt32)
    }

    /// One connection to the system bus, for one method's work on one session (or process).
    private final class Bus {
        let handle: OpaquePointer
        let method: Method
        let target: String

        init(_ method: Method, _ target: String) throws(LogindError) {
            self.method = method
            self.target = target
            var bus: OpaquePointer?
            let status = sd_bus_open_system(&bus)
            guard status >= 0, let bus else {
                throw LogindError(method: method, target: target, detail: "cannot connect to the system bus: \(Logind.errorText(status))")
            }
            handle = bus
        }

        deinit { sd_bus_flush_close_unref(handle) }

        func failure(_ status: Int32, _ error: sd_bus_error) -> LogindError {
            let name = error.name.map { String(cString: $0) } ?? Logind.errorText(status)
            let text = error.message.map { String(cString: $0) } ?? ""
            return LogindError(method: method, target: target, detail: text.isEmpty ? name : "\(name): \(text)")
        }

        /// Whether `error` says the session (or its object) does not exist.
        static func meansNoSuchSession(_ error: sd_bus_error) -> Bool {
            let names: [String] = [
                "org.freedesktop.login1.NoSuchSession", "org.freedesktop.DBus.Error.UnknownObject",
                "org.freedesktop.DBus.Error.UnknownMethod", "org.freedesktop.DBus.Error.UnknownInterface",
            ]
            return names.contains { name in withUnsafePointer(to: error) { sd_bus_error_has_name($0, name) } != 0 }
        }

        /// Calls `member` of logind's manager; the caller unrefs the reply.
        func callManager(_ member: String, _ arguments: [BusArgument], timeout: Duration) throws(LogindError) -> OpaquePointer {
            var message: OpaquePointer?
            var status = sd_bus_message_new_method_call(handle, &message, Logind.service, "/org/freedesktop/login1",
                                                        "org.freedesktop.login1.Manager", member)
            guard status >= 0, let message else { throw failure(status, sd_bus_error()) }
            defer { sd_bus_message_unref(message) }
            for argument in arguments {
                switch argument {
                case .string(let text):
                    status = text.withCString { sd_bus_message_append_basic(message, CChar(UInt8(ascii: "s")), $0) }
                case .int32(var number):
                    status = sd_bus_message_append_basic(message, CChar(UInt8(ascii: "i")), &number)
                case .uint32(var number):
                    status = sd_bus_message_append_basic(message, CChar(UInt8(ascii: "u")), &number)
                }
                guard status >= 0 else { throw failure(status, sd_bus_error()) }
            }
            var error = sd_bus_error()
            defer { sd_bus_error_free(&error) }
            var reply: OpaquePointer?
            status = sd_bus_call(handle, message, UInt64(timeout.components.seconds) * 1_000_000 + UInt64(timeout.components.attoseconds / 1_000_000_000_000), &error, &reply)
            guard status >= 0, let reply else { throw failure(status, error) }
            return reply
        }

        /// The session's object path (GetSession).
        func sessionPath() throws(LogindError) -> String {
            guard let path = try sessionPathIfPresent() else {
                throw LogindError(method: method, target: target, detail: "logind has no session \(target)")
            }
            return path
        }

        /// The session's object path, or nil when logind says there is no such session.
        func sessionPathIfPresent() throws(LogindError) -> String? {
            try objectPath(calling: "GetSession", [.string(target)], absentWhen: "org.freedesktop.login1.NoSuchSession", timeout: .seconds(5))
        }

        /// The object path manager method `member` answers with, or nil when it answers error
        /// `absentName` (no such object).
        func objectPath(calling member: String, _ arguments: [BusArgument], absentWhen absentName: String, timeout: Duration) throws(LogindError) -> String? {
            let reply: OpaquePointer
            do {
                reply = try callManager(member, arguments, timeout: timeout)
            } catch {
                if error.detail.hasPrefix(absentName) { return nil }
                throw error
            }
            defer { sd_bus_message_unref(reply) }
            var path: UnsafePointer<CChar>?
            let status = sd_bus_message_read_basic(reply, CChar(UInt8(ascii: "o")), &path)
            guard status > 0, let path else { throw failure(status, sd_bus_error()) }
            return String(cString: path)
        }

        /// Evaluates `done` now and again whenever logind says anything (a property changed, a
        /// session was removed), until it holds or `timeout` passes; one last look at the end.
        /// Nothing polls: between signals the thread sleeps in `sd_bus_wait`.
        func wait(for timeout: Duration, until done: () throws(LogindError) -> Bool) throws(LogindError) -> Bool {
            var slot: OpaquePointer?
            // Installed before the first look, so a change right after it is not missed.
            let status = sd_bus_add_match(handle, &slot, "type='signal',sender='\(Logind.service)'", { _, _, _ in 0 }, nil)
            guard status >= 0 else { throw failure(status, sd_bus_error()) }
            defer { sd_bus_slot_unref(slot) }
            let deadline = ContinuousClock.now + timeout
            while true {
                if try done() { return true }
                var heard = false
                while true {
                    let processed = sd_bus_process(handle, nil)
                    guard processed >= 0 else { throw failure(processed, sd_bus_error()) }
                    if processed == 0 { break }
                    heard = true
                }
                // Checked whatever was heard, so a logind that never stops talking cannot keep
                // this from timing out.
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { return try done() }
                if heard { continue }
                let microseconds = remaining.components.seconds * 1_000_000 + remaining.components.attoseconds / 1_000_000_000_000 + 1
                let waited = sd_bus_wait(handle, UInt64(microseconds))
                guard waited >= 0 else { throw failure(waited, sd_bus_error()) }
            }
        }
    }

    fileprivate static func errorText(_ status: Int32) -> String { String(cString: strerror(-status)) }
}

/// A logind call failed.
public struct LogindError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The method called.
    public var method: Logind.Method
    /// The logind session it was for, or `pid N` for a process's.
    public var target: String
    /// What the bus or logind said.
    public var detail: String

    public var description: String { "logind \(method.rawValue)(\(target)) failed: \(detail)" }
}
