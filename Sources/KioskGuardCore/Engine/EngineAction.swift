/// What the engine asks its host to do. The engine performs no I/O; the daemon carries these out
/// in order.
public enum EngineAction: Hashable, Sendable {
    /// Send a message to the terminal's kiosk app.
    case notify(TerminalID, ClientNotice)
    /// Lock or end a session at the system level (logind, exec), escalating through the actions.
    case enforce(Enforcement)
    /// Write a state change to the journal.
    case record(AuditRecord)
    /// Record an anomaly and queue its alerts.
    case raise(Anomaly)
    /// Persist an open session, so a restart can lock it.
    case persist(PersistedSession)
    /// Drop a persisted session: it has ended.
    case forget(terminal: String, session: SessionID)
    /// Persist that `subject` registered `account` at `at`, for the account rule across restarts.
    case linkAccount(account: Pseudonym, subject: Pseudonym, at: WallInstant)
    /// Run the terminal's `warn_command`: the warning of a terminal with no app to show it.
    case runWarnCommand(WarnCommandRun)
}

/// A warning for the terminal's `warn_command`, with what its environment says.
public struct WarnCommandRun: Hashable, Sendable {
    /// The terminal's name, for `KIOSKGUARD_TERMINAL`.
    public var terminalName: String
    /// The session warned, for `KIOSKGUARD_SESSION`.
    public var session: SessionID
    /// Why, for `KIOSKGUARD_REASON`.
    public var reason: WarnReason
    /// How long until the lock, for `KIOSKGUARD_LOCK_IN` (whole seconds, rounded up).
    public var lockIn: Duration

    /// Creates a warning run.
    public init(terminalName: String, session: SessionID, reason: WarnReason, lockIn: Duration) {
        self.terminalName = terminalName
        self.session = session
        self.reason = reason
        self.lockIn = lockIn
    }
}

/// A message from the daemon to a kiosk app.
public enum ClientNotice: Hashable, Sendable {
    /// Show an "are you still there?" countdown.
    case warn(SessionID, reason: WarnReason, lockIn: Duration)
    /// Lock the UI now and answer `locked`.
    case lock(SessionID, reason: LockReason)
    /// End the session, wipe its data, back to the start screen.
    case terminate(SessionID, reason: EndReason)
    /// The answer to a `step.request`; `denial` is nil when allowed.
    case stepDecision(RequestID, session: SessionID, step: StepName, denial: StepDenial?)
    /// The request was refused.
    case refusal(EngineRefusal, message: String, requestID: RequestID?)
}

/// A system-level lock or termination for the daemon's lock actions.
public struct Enforcement: Hashable, Sendable {
    /// Lock the login session, or terminate it.
    public enum Command: String, Hashable, Sendable {
        /// logind LockSession, or the exec action with reason set.
        case lock
        /// logind TerminateSession, or the exec action with reason set.
        case terminate
    }

    /// The terminal, to find the kiosk app's login session.
    public var terminal: TerminalID
    /// The terminal's name, for `KIOSKGUARD_TERMINAL`.
    public var terminalName: String
    /// The session concerned.
    public var session: SessionID
    /// Why: the session's lock or end reason, which also says what to do.
    public var reason: EnforcementReason
    /// What to do: lock for a lock reason, terminate for an end reason.
    public var command: Command {
        switch reason {
        case .lock: .lock
        case .end: .terminate
        }
    }
    /// The terminal's system actions, tried in order until one succeeds.
    public var actions: [SystemLockAction]
}

/// What survives a restart of an open session: enough to lock it and say whose it was.
public struct PersistedSession: Hashable, Sendable {
    /// The terminal's name.
    public var terminal: String
    /// The session's id.
    public var session: SessionID
    /// The session's subject; nil for an anonymous session.
    public var subject: Pseudonym?
    /// When it began, on the wall clock (the monotonic clock does not survive a reboot).
    public var begunAt: WallInstant

    /// Creates a persisted session record.
    public init(terminal: String, session: SessionID, subject: Pseudonym?, begunAt: WallInstant) {
        self.terminal = terminal
        self.session = session
        self.subject = subject
        self.begunAt = begunAt
    }
}
