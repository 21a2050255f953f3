import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Calls logind's `LockSession` and `TerminateSession` on the system bus (or the bus in
/// `DBUS_SYSTEM_BUS_ADDRESS`, which is how tests point it at a mock). The message is built with
/// `sd_bus_message_new_method_call`: the variadic `sd_bus_call_method` cannot be called from Swift.
/// Calls block for at most `timeout`; run them off any event loop.
public enum Logind {
    /// The two session methods kioskguard uses.
    public enum Method: String, Sendable {
        /// Asks the session's screen locker to lock.
        case lockSession = "LockSession"
        /// Ends the session and its processes.
        case terminateSession = "TerminateSession"
    }

    /// Calls `method` for logind session `session`.
    public static func call(_ method: Method, session: String, timeout: Duration = .seconds(5)) throws(LogindError) {
        var bus: OpaquePointer?
        var status = sd_bus_open_system(&bus)
        guard status >= 0, let bus else { throw LogindError(method: method, session: session, detail: "cannot connect to the system bus: \(errorText(status))") }
        defer { sd_bus_flush_close_unref(bus) }

        var message: OpaquePointer?
        status = sd_bus_message_new_method_call(bus, &message, "org.freedesktop.login1", "/org/freedesktop/login1",
                                                "org.freedesktop.login1.Manager", method.rawValue)
        guard status >= 0, let message else { throw LogindError(method: method, session: session, detail: errorText(status)) }
        defer { sd_bus_message_unref(message) }
        status = session.withCString { sd_bus_message_append_basic(message, CChar(UInt8(ascii: "s")), $0) }
        guard status >= 0 else { throw LogindError(method: method, session: session, detail: errorText(status)) }

        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var reply: OpaquePointer?
        status = sd_bus_call(bus, message, UInt64(timeout.components.seconds) * 1_000_000, &error, &reply)
        if let reply { sd_bus_message_unref(reply) }
        guard status >= 0 else {
            let name = error.name.map { String(cString: $0) } ?? errorText(status)
            let text = error.message.map { String(cString: $0) } ?? ""
            throw LogindError(method: method, session: session, detail: text.isEmpty ? name : "\(name): \(text)")
        }
    }

    private static func errorText(_ status: Int32) -> String { String(cString: strerror(-status)) }
}

/// A logind call failed.
public struct LogindError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The method called.
    public var method: Logind.Method
    /// The logind session it was for.
    public var session: String
    /// What the bus or logind said.
    public var detail: String

    public var description: String { "logind \(method.rawValue)(\(session)) failed: \(detail)" }
}
