public import KioskGuardConfiguration
public import KioskGuardCore
import Logging
public import NIOPosix
import Systemd

/// Carries out the engine's system-level enforcements: each configured action in order (logind,
/// then exec) until one succeeds. An action succeeds only when what it asked for is seen to have
/// happened: a logind lock when the session's `LockedHint` turns true within
/// `lock_confirm_timeout`, a logind termination when the session is gone within
/// `terminate_confirm_timeout` (after `KillSession` with SIGKILL if `TerminateSession` left it).
/// Every attempt and step is recorded; a failure escalates to the next action, and a lock that no
/// action could enforce is recorded as critical.
/// Actions block (a bus call, a wait for logind, a child process), so they run on a thread pool,
/// never on the loop.
public struct LockActionRunner: Sendable {
    /// How many enforcements may run at once, each on a thread of its own while it waits for
    /// logind (up to `lock_confirm_timeout`, or twice `terminate_confirm_timeout`); more wait
    /// their turn. A burst larger than this, all on logind without a screen locker, is
    /// enforced in waves.
    public static let concurrentEnforcements = 8

    private let pool: NIOThreadPool
    private let audit: AuditLog
    private let metrics: DaemonMetrics

    /// A runner using `pool` (of `concurrentEnforcements` threads) for the blocking work,
    /// counting results in `metrics`.
    public init(pool: NIOThreadPool, audit: AuditLog, metrics: DaemonMetrics) {
        self.pool = pool
        self.audit = audit
        self.metrics = metrics
    }

    /// Runs `enforcement` in the background with the settings `terminal` has in the
    /// configuration in force now; `peerSession` is what logind said of the kiosk app's session
    /// when it connected, the one locked unless the terminal names one. `observer` is told (on
    /// the pool's thread) why a lock logind accepted was not seen to happen, and how it ended.
    public func run(_ enforcement: Enforcement, terminal: TerminalConfiguration?, peerSession: LoginSessionLookup?, observer: EnforcementObserver) {
        pool.submit { state in
            guard case .active = state else { return }
            for action in enforcement.actions {
                do {
                    let detail = try perform(action, enforcement, terminal: terminal, peerSession: peerSession, lockUnconfirmed: observer.lockUnconfirmed)
                    let message = "\(enforcement.command.rawValue) by \(action.rawValue) succeeded: \(detail)"
                    // Told before the entry is written: whoever read the entry asks a loop that knows.
                    observer.finished(EnforcementOutcome(enforcement: enforcement, action: action, message: message))
                    record(action, enforcement, level: .notice, message)
                    metrics.lockAction(action, .succeeded)
                    return
                } catch {
                    record(action, enforcement, level: .error, "\(enforcement.command.rawValue) by \(action.rawValue) failed: \(error)")
                    metrics.lockAction(action, .failed)
                }
            }
            metrics.lockAction(nil, .unenforced)
            let message = "no lock action could \(enforcement.command.rawValue) session \(enforcement.session) on \(enforcement.terminalName)"
            observer.finished(EnforcementOutcome(enforcement: enforcement, action: nil, message: message))
            record(nil, enforcement, level: .critical, message)
        }
    }

    /// Runs the terminal's `warn_command` for `warning` in the background (the warning of a
    /// terminal with no app to show it), and records how it went.
    public func warn(_ warning: WarnCommandRun, terminal: TerminalConfiguration?) {
        pool.submit { state in
            guard case .active = state, let terminal, let program = terminal.warnCommand.first else { return }
            let environment = [
                "KIOSKGUARD_TERMINAL=\(warning.terminalName)", "KIOSKGUARD_SESSION=\(warning.session.rawValue)",
                "KIOSKGUARD_REASON=\(warning.reason.rawValue)", "KIOSKGUARD_LOCK_IN=\(warning.lockIn.wholeSecondsRoundedUp)",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
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

    private func perform(
        _ action: SystemLockAction, _ enforcement: Enforcement, terminal: TerminalConfiguration?, peerSession: LoginSessionLookup?,
        lockUnconfirmed: @Sendable (String) -> Void
    ) throws -> String {
        switch action {
        case .logind:
            guard let session = terminal?.logindSession ?? peerSession?.session else {
                if case .unknown(let why) = peerSession {
                    throw LockActionError("logind could not name the kiosk app's session when it connected (\(why)), and none is configured")
                }
                throw LockActionError("the kiosk app was in no logind session when it connected, and none is configured")
            }
            let policy = terminal?.profile.policy ?? SessionPolicy()
            switch enforcement.command {
            case .lock:
                return try lockByLogind(session, within: policy.lockConfirmTimeout, lockUnconfirmed)
            case .terminate:
                return try terminateByLogind(session, enforcement, within: policy.terminateConfirmTimeout)
            }
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

    /// LockSession, then the session's LockedHint: logind accepts the call whether or not a
    /// screen locker listens, so only the hint says the screen is locked.
    private func lockByLogind(_ session: String, within timeout: Duration, _ lockUnconfirmed: @Sendable (String) -> Void) throws -> String {
        try Logind.call(.lockSession, session: session)
        guard try Logind.waitUntilLocked(session: session, timeout: timeout) else {
            let reason = "logind accepted LockSession, but session \(session)'s LockedHint was not true within \(timeout.wholeSecondsRoundedUp)s: no screen locker locked it"
            lockUnconfirmed(reason)
            throw LockActionError(reason)
        }
        return "logind session \(session) is locked (LockedHint)"
    }

    /// TerminateSession, then the session must be gone; if it stays, KillSession with SIGKILL,
    /// and it must be gone after that.
    private func terminateByLogind(_ session: String, _ enforcement: Enforcement, within timeout: Duration) throws -> String {
        try Logind.call(.terminateSession, session: session)
        if try Logind.waitUntilGone(session: session, timeout: timeout) { return "logind session \(session) is gone" }
        record(.logind, enforcement, level: .warning,
               "logind session \(session) was still there \(timeout.wholeSecondsRoundedUp)s after TerminateSession: killing its processes with SIGKILL")
        try Logind.call(.killSession, session: session)
        guard try Logind.waitUntilGone(session: session, timeout: timeout) else {
            throw LockActionError("logind session \(session) was still there \(timeout.wholeSecondsRoundedUp)s after KillSession with SIGKILL")
        }
        return "logind session \(session) is gone after KillSession with SIGKILL"
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
