import KioskGuardConfiguration
import KioskGuardProtocol
import KioskGuardVocabulary
import NIOCore
import Systemd

/// What the running daemon holds, confined to the engine's event loop: the engine host and the
/// parts the connections and services share, readiness and `STATUS=`.
final class RunningDaemon {
    let host: EngineHost
    let gate: AccessGate
    let control: ControlService
    let reloader: Reloader
    let decoder: EventDecoder
    let audit: AuditLog
    /// The events socket as held, for the start record (under socket activation, the unit's path).
    var eventsSocketPath: String?
    private var watchdog: RepeatedTask?
    private var statusScheduled = false

    init(host: EngineHost, gate: AccessGate, control: ControlService, reloader: Reloader, decoder: EventDecoder, audit: AuditLog) {
        self.host = host
        self.gate = gate
        self.control = control
        self.reloader = reloader
        self.decoder = decoder
        self.audit = audit
    }

    /// Records the start, sends `READY=1` with the first `STATUS=`, and starts the watchdog.
    func announceReady() {
        let configuration = host.configuration
        let source = configuration.isBuiltInDefault
            ? "built-in defaults (no configuration file found at \(ConfigurationLoader.defaultPath))"
            : configuration.sources.joined(separator: ", ")
        let events = eventsSocketPath ?? configuration.daemon.eventsSocket
        let fingerprint = control.pseudonymizer.keyFingerprint
        audit.daemon(.daemonStarted, "kioskguardd \(ControlService.version) started on \(source); events on \(events); pseudonym key \(fingerprint)",
                     fields: [JournalFields.keyFingerprint: .string(fingerprint)])
        ServiceNotifier.shared.send("READY=1\nSTATUS=\(statusLine())")
        if let interval = ServiceManager.watchdogInterval {
            let half = TimeAmount.nanoseconds(interval.nanoseconds / 2)
            // Pinged from the loop that serves events, so a stalled loop stops the pings.
            watchdog = host.eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { _ in
                ServiceNotifier.shared.send("WATCHDOG=1")
            }
        }
    }

    /// Schedules one `STATUS=` update a second after a change, coalescing bursts; an idle daemon
    /// sends none.
    func statusChanged() {
        guard !statusScheduled else { return }
        statusScheduled = true
        host.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
            statusScheduled = false
            ServiceNotifier.shared.send("STATUS=\(statusLine())")
        }
    }

    private func statusLine() -> String {
        let status = control.status()
        let open = status.sessions.values.reduce(0, +)
        let pending = status.alertsPending.values.reduce(0, +)
        return "\(status.terminalsConnected)/\(status.terminalsConfigured) terminals connected, \(open) open sessions "
            + "(\(status.sessions["locked"] ?? 0) locked), \(pending) alerts pending"
    }

    /// The last thing before the loop stops: the stop record and the state committed.
    func stop() {
        watchdog?.cancel()
        audit.daemon(.daemonStopping, "kioskguardd stopping")
        host.stopGuarding()
        host.commitState()
    }
}
