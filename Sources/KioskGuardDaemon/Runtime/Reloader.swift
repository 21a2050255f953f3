import KioskGuardConfiguration
import KioskGuardProtocol
import Logging
import NIOCore
import NIOPosix
import Systemd

/// Reloads the configuration on SIGHUP or the control verb `reload`: `RELOADING=1`, read and
/// validate the files off the event loop, apply them on it, `READY=1`. A configuration that does
/// not validate is refused with a journal entry saying why, and the old one stays in force.
final class Reloader {
    private let host: EngineHost
    private let control: ControlService
    private let loader: ConfigurationLoader
    private let path: String?
    private let pool: NIOThreadPool
    private(set) var configuration: DaemonConfiguration
    /// Called with the new configuration after it took effect.
    var applied: ((DaemonConfiguration) -> Void)?

    init(host: EngineHost, control: ControlService, loader: ConfigurationLoader, path: String?, pool: NIOThreadPool, configuration: DaemonConfiguration) {
        self.host = host
        self.control = control
        self.loader = loader
        self.path = path
        self.pool = pool
        self.configuration = configuration
    }

    /// The watched readers, which the card-reader watcher takes at start only.
    private static func cardReaders(of configuration: DaemonConfiguration) -> [String] {
        configuration.terminals.compactMap { terminal in
            terminal.cardReader.map { "\(terminal.name) \($0) \(terminal.cardIdentityAPDU ?? [])" }
        }
    }

    /// Reloads; `done` is called on the event loop with what happened.
    func reload(_ done: @escaping (ActionResult) -> Void) {
        ServiceNotifier.shared.send("RELOADING=1\nMONOTONIC_USEC=\(SystemClock().now().monotonic.nanoseconds / 1000)")
        let loader = loader, path = path
        let loaded = pool.runIfActive(eventLoop: host.eventLoop) { () throws -> DaemonConfiguration in try loader.load(path: path) }
        loaded.assumeIsolated().whenComplete { [self] result in
            let message: String
            switch result {
            case .success(let new):
                let restartNeeded = new.daemon.eventsSocket != configuration.daemon.eventsSocket
                    || new.daemon.controlSocket != configuration.daemon.controlSocket
                    || new.daemon.stateDirectory != configuration.daemon.stateDirectory
                    || new.hotlines != configuration.hotlines
                    || Self.cardReaders(of: new) != Self.cardReaders(of: configuration)
                configuration = new
                host.reconfigure(new)
                control.configuration = new
                applied?(new)
                message = "configuration reloaded from \(new.sources.isEmpty ? "built-in defaults" : new.sources.joined(separator: ", "))"
                    + (restartNeeded ? "; changed sockets, state directory, hotline endpoints or card readers take effect after a restart" : "")
                host.audit.daemon(.configReloaded, message, fields: [JournalFields.reason: "applied"])
            case .failure(let error):
                message = "new configuration refused, the previous one stays in force: \(error)"
                host.audit.daemon(.configReloaded, message, level: .error, fields: [JournalFields.reason: "refused"])
            }
            ServiceNotifier.shared.send("READY=1")
            done(ActionResult(message: message))
        }
    }
}
