public import KioskGuardConfiguration
public import KioskGuardCore
import Logging
public import NIOPosix
import Systemd

/// Carries out the engine's system-level enforcements: each configured action in order (logind,
/// then exec) until one succeeds. Every attempt is recorded; a failure escalates to the next
/// action, and a lock that no action could enforce is recorded as critical.
/// Actions block (a bus call, a child process), so they run on a thread pool, never on the loop.
public struct LockActionRunner: Sendable {
    private let pool: NIOThreadPool
    private let audit: AuditLog
    private let metrics: DaemonMetrics

    /// A runner using `pool` for the blocking work, counting results in `metrics`.
    public init(pool: NIOThreadPool, audit: AuditLog, metrics: DaemonMetrics) {
        self.pool = pool
        self.audit = audit
        self.metrics = metrics
    }

    /// Runs `enforcement` in the background with the settings `terminal` has in the
    /// configuration in force now; `peerSession` is the logind session the kiosk app was in when
    /// it connected, the one locked unless the terminal names one.
    public func run(_ enforcement: Enforcement, terminal: TerminalConfiguration?, peerSession: String?) {
        pool.submit { state in
            guard case .active = state else { return }
            for action in enforcement.actions {
                do {
                    let detail = try perform(action, enforcement, terminal: terminal, peerSession: peerSession)
                    record(action, enforcement, level: .notice, "\(enforcement.command.rawValue) by \(action.rawValue) succeeded: \(detail)")
                    metrics.lockAction(action, .succeeded)
                    return
                } catch {
                    record(action, enforcement, level: .error, "\(enforcement.command.rawValue) by \(action.rawValue) failed: \(error)")
                    metrics.lockAction(action, .failed)
                }
            }
            metrics.lockAction(nil, .unenforced)
            record(nil, enforcement, level: .critical,
                   "no lock action could \(enforcement.command.rawValue) session \(enforcement.session) on \(enforcement.terminalName)")
        }
    }

    /// Runs the terminal's `warn_command` for `warning` in the background (the warning of a
    /// terminal with no app to show it), and records how it went.
    public func warn(_ warning: WarnCommandRun, terminal: TerminalConfiguration?) {
        pool.submit { state in
            guard case .active = state, let terminal, let program = terminal.warnCommand.first else { return }
            let lockIn = warning.lockIn.components
            let environment = [
                "KIOSKGUARD_TERMINAL=\(warning.terminalName)", "KIOSKGUARD_SESSION=\(warning.session.rawValue)",
                "KIOSKGUARD_REASON=\(warning.reason.rawValue)",
                "KIOSKGUARD_LOCK_IN=\(lockIn.seconds + (lockIn.attoseconds > 0 ? 1 : 0))", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            ]
            let fields: Logger.Metadata = [
                JournalFields.terminal: .string(warning.terminalName), JournalFields.session: .string(warning.session.rawValue),
                JournalFields.reason: .string(warning.reason.rawValue),
            ]
            do {
                let status = try ChildProcess.run(terminal.warnCommand, environment: environment, timeout: terminal.execTimeout)
                guard status == 0 else { throw LockActionError("\(program) exited with status \(status)") }
                audit.daemon(.lockAction, "warning by warn_command \(program) succeeded", level: .notice, fields: fields)
            } catch {
                audit.daemon(.lockAction, "warning by warn_command failed: \(error)", level: .error, fields: fields)
            }
        }
    }

    private func perform(_ action: SystemLockAction, _ enforcement: Enforcement, terminal: TerminalConfiguration?, peerSession: String?) throws -> String {
        switch action {
        case .logind:
            guard let session = terminal?.logindSession ?? peerSession else {
                throw LockActionError("the kiosk app was in no logind session when it connected, and none is configured")
            }
            try Logind.call(enforcement.command == .lock ? .lockSession : .terminateSession, session: session)
            return "logind session \(session)"
        case .exec:
            guard let terminal, !terminal.execCommand.isEmpty else { throw LockActionError("no exec_command is configured") }
            let environment = [
                "KIOSKGUARD_TERMINAL=\(enforcement.terminalName)", "KIOSKGUARD_SESSION=\(enforcement.session.rawValue)",
                "KIOSKGUARD_REASON=\(enforcement.reason)", "KIOSKGUARD_COMMAND=\(enforcement.command.rawValue)",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            ]
            let status = try ChildProcess.run(terminal.execCommand, environment: environment, timeout: terminal.execTimeout)
            guard status == 0 else { throw LockActionError("\(terminal.execCommand[0]) exited with status \(status)") }
            return terminal.execCommand[0]
        }
    }

    private func record(_ action: SystemLockAction?, _ enforcement: Enforcement, level: Logger.Level, _ message: String) {
        var fields: Logger.Metadata = [
            JournalFields.terminal: .string(enforcement.terminalName),
            JournalFields.session: .string(enforcement.session.rawValue),
            JournalFields.reason: .string(enforcement.reason.rawValue),
        ]
        fields[JournalFields.lockAction] = action.map { .string($0.rawValue) }
        audit.daemon(.lockAction, message, level: level, fields: fields)
    }
}

/// Why a lock action could not run.
struct LockActionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
