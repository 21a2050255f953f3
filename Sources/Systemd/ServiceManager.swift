import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's side of the service manager protocol: notifications, the watchdog interval and
/// socket activation. Every call is a no-op outside systemd.
public enum ServiceManager {
    /// Sends a notification such as `READY=1` or `STATUS=…` (`sd_notify`).
    @discardableResult
    public static func notify(_ state: String) -> Int32 {
        sd_notify(0, state)
    }

    /// The watchdog interval systemd expects pings within, if the watchdog is enabled for this
    /// process (`sd_watchdog_enabled`).
    public static var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }

    /// The sockets passed by socket activation, by `FileDescriptorName=`
    /// (`sd_listen_fds_with_names`). The environment variables are cleared, so children do not
    /// inherit them.
    public static func listenedSockets() -> [(name: String, descriptor: Int32)] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0, let names else { return [] }
        defer { free(names) }
        return (0..<Int(count)).map { index in
            let name = names[index].map { String(cString: $0) } ?? "unknown"
            free(names[index])
            return (name, SD_LISTEN_FDS_START + Int32(index))
        }
    }
}
