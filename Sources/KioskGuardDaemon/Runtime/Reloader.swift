import KioskGuardConfiguration
import KioskGuardProtocol
import KioskGuardVocabulary
import Logging
import NIOCore
import NIOPosix
import Systemd

/// Reloads the configuration on SIGHUP or the control verb `reload`: `RELOADING=1`, read and
/// validate the files off the event loop, hand the new snapshot to the engine host (which every
/// part of the daemon reads), `READY=1`. A configuration that does not validate is refused with a
/// journal entry saying why, and the old one stays in force.
final class Reloader {
    private let host: EngineHost
    private let loader: ConfigurationLoader
    private let path: String?
    private let pool: NIOThreadPool
    /// The alert service whose hotline endpoints a reload replaces.
    var alerts: AlertService?

    init(host: EngineHost, loader: ConfigurationLoader, path: String?, pool: NIOThreadPool) {
        self.host = host
        self.loader = loader
        self.path = path
        self.pool = pool
    }

    /// Reloads; `done` is called on the event loop with what happened: the new configuration in
    /// force, or why it was refused.
    func reload(_ done: @escaping (Result<ActionResult, ControlError>) -> Void) {
        ServiceNotifier.shared.send("RELOADING=1\nMONOTONIC_USEC=\(SystemClock().now().monotonic.nanoseconds / 1000)")
        let loader = loader, path = path, alerts = alerts
        // Read and checked off the loop: the files, then each hotline's secret. Either failing
        // refuses the whole reload.
        let loaded = pool.runIfActive(eventLoop: host.eventLoop) { () throws -> (DaemonConfiguration, [HotlineDelivery]) in
            let configuration = try loader.load(path: path)
            return (configuration, try alerts?.prepareWorkers(for: configuration) ?? [])
        }
        loaded.assumeIsolated().whenComplete { [self] result in
            let message: String
            let outcome: Result<ActionResult, ControlError>
            switch result {
            case .success(let (new, workers)):
                let waiting = RestartRequirement.changes(from: host.configuration, to: new)
                host.reconfigure(new)
                let hotlines = alerts?.apply(workers, settings: new.alerts) ?? []
                message = "configuration reloaded from \(new.sources.isEmpty ? "built-in defaults" : new.sources.joined(separator: ", "))"
                    + (hotlines.isEmpty ? "" : "; " + hotlines.joined(separator: ", "))
                    + (waiting.isEmpty ? "" : "; a restart is needed for: \(waiting.map(\.rawValue).joined(separator: ", "))")
                host.audit.daemon(.configReloaded, message, fields: [JournalFields.reason: "applied"])
                outcome = .success(ActionResult(message: message))
            case .failure(let error):
                message = "new configuration refused, the previous one stays in force: \(error)"
                host.audit.daemon(.configReloaded, message, level: .error, fields: [JournalFields.reason: "refused"])
                outcome = .failure(ControlError(.failed, message))
            }
            ServiceNotifier.shared.send("READY=1")
            done(outcome)
        }
    }
}

/// A setting a running daemon cannot take over from a reload: the sockets it holds, the state it
/// opened, and the card-reader and input-device threads started once.
enum RestartRequirement: String, CaseIterable {
    case eventsSocket = "events_socket"
    case controlSocket = "control_socket"
    case stateDirectory = "state_directory"
    case cardReaders = "card readers"
    case inputDevices = "input devices"
    /// Written into every journal entry by the log handler set up at start.
    case site

    /// What differs between `old` and `new` among the settings that need a restart.
    static func changes(from old: DaemonConfiguration, to new: DaemonConfiguration) -> [RestartRequirement] {
        allCases.filter { $0.value(in: old) != $0.value(in: new) }
    }

    private func value(in configuration: DaemonConfiguration) -> AnyHashable {
        switch self {
        case .eventsSocket: configuration.daemon.eventsSocket
        case .controlSocket: configuration.daemon.controlSocket
        case .stateDirectory: configuration.daemon.stateDirectory
        case .site: configuration.daemon.site
        case .cardReaders:
            configuration.terminals.compactMap { terminal in
                terminal.cardReader.map { "\(terminal.name) \($0) \(terminal.cardIdentity)" }
            }
        case .inputDevices:
            configuration.terminals.filter { !$0.inputDevices.isEmpty }.map { "\($0.name) \($0.inputDevices)" }
        }
    }
}
