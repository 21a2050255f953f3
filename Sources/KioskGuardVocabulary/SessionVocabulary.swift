// The names here are fixed: they appear on the wire and in the journal.

/// Where a session is in its life: `active` → `warned` → `locked` → `ended`.
public enum SessionState: String, Hashable, Sendable, CaseIterable {
    /// The citizen is using the session.
    case active
    /// A lock or the end is announced with a countdown.
    case warned
    /// The UI is locked; only re-verification of the same subject unlocks it.
    case locked
    /// The session is over; nothing reopens it.
    case ended
}

/// Why a warning was sent.
public enum WarnReason: String, Hashable, Sendable, CaseIterable {
    /// The session is about to lock for lack of activity.
    case idle
    /// The session is about to reach its maximum duration and end.
    case maxDuration = "max-duration"
}

/// Why a session was locked.
public enum LockReason: String, Hashable, Sendable, CaseIterable {
    /// No activity within the idle limit.
    case idle
    /// The presence sensor saw nobody for the grace period.
    case presenceLost = "presence-lost"
    /// The card left the reader.
    case cardRemoved = "card-removed"
    /// The kiosk app's connection went away with the session open.
    case clientLost = "client-lost"
    /// An admin locked it.
    case admin
    /// The guard restarted and locks every session it finds open (fail closed).
    case guardRestarted = "guard-restarted"
    /// The guard is stopping (a `systemctl stop` or restart) with the session open.
    case guardStopping = "guard-stopping"
    /// The kiosk app locked its UI by itself and reported `locked`.
    case client
}

/// How a session ended; every end is recorded with one of these.
public enum EndReason: String, Hashable, Sendable, CaseIterable {
    /// The citizen logged out.
    case logout
    /// The registration was completed.
    case completed
    /// The citizen cancelled.
    case cancelled
    /// Locked for `terminate_after_lock` without re-verification: a forgotten logout.
    case abandoned
    /// A new session began on the terminal.
    case superseded
    /// Another person's card was inserted.
    case cardSwap = "card-swap"
    /// Re-verification named another person.
    case subjectMismatch = "subject-mismatch"
    /// The session reached `max_session`.
    case maxDuration = "max-duration"
    /// An admin terminated it.
    case admin
    /// The card left the reader and the terminal ends sessions on card removal.
    case cardRemoved = "card-removed"

    /// The reasons a kiosk app may give in `session.end`.
    public static let clientReasons: [EndReason] = [.logout, .completed, .cancelled]
}

/// Why a step request was refused.
public enum StepDenial: String, Hashable, Sendable, CaseIterable {
    /// The session is locked.
    case sessionLocked = "session-locked"
    /// The session has ended.
    case sessionEnded = "session-ended"
    /// The last verification is older than `sensitive_auth_max_age`.
    case authStale = "auth-stale"
    /// The session's card is not in the reader.
    case cardAbsent = "card-absent"
    /// The request names another person than the session's.
    case subjectMismatch = "subject-mismatch"
    /// The terminal has no such session.
    case unknownSession = "unknown-session"
}

/// How a kiosk app's request was refused by the engine (a subset of the protocol's error codes).
public enum EngineRefusal: String, Hashable, Sendable, CaseIterable {
    /// No open or recently ended session of that id on this terminal.
    case unknownSession = "unknown-session"
    /// The session exists but is not in a state that accepts the request.
    case sessionNotActive = "session-not-active"
    /// A field is well-formed but not acceptable here (for example a reused session id).
    case badField = "bad-field"
    /// A field the request may omit only when the daemon can supply it, and it cannot.
    case missingField = "missing-field"
}

/// Why a committed step is recorded with a reason (`step-done` entries).
public enum StepDoneNote: String, Hashable, Sendable, CaseIterable {
    /// The step was committed in a locked or ended session.
    case inactiveSession = "inactive-session"
}

/// Why a system lock action runs: the lock or end reason of the session it enforces. Its string
/// is that reason's (`KIOSKGUARD_REASON` of `lock-action` entries and of the exec action).
public enum EnforcementReason: Hashable, Sendable, CustomStringConvertible {
    /// The session was locked for this reason.
    case lock(LockReason)
    /// The session ended for this reason.
    case end(EndReason)

    /// The reason as the journal and the exec action's environment spell it.
    public var rawValue: String {
        switch self {
        case .lock(let reason): reason.rawValue
        case .end(let reason): reason.rawValue
        }
    }

    public var description: String { rawValue }
}

/// Why a session or step entry happened (`KIOSKGUARD_REASON` of session and step entries):
/// exactly one of the vocabulary's reasons, or the authentication method of a begin.
public enum RecordReason: Hashable, Sendable, CustomStringConvertible {
    /// A warning, or the activity that cancelled one.
    case warn(WarnReason)
    /// A lock.
    case lock(LockReason)
    /// An end.
    case end(EndReason)
    /// A refused step.
    case denial(StepDenial)
    /// A committed step out of place.
    case note(StepDoneNote)
    /// How the person authenticated at `session.begin`, as the kiosk app named it (`card+pin`, …).
    case auth(String)

    /// The reason as the journal spells it.
    public var rawValue: String {
        switch self {
        case .warn(let reason): reason.rawValue
        case .lock(let reason): reason.rawValue
        case .end(let reason): reason.rawValue
        case .denial(let reason): reason.rawValue
        case .note(let note): note.rawValue
        case .auth(let method): method
        }
    }

    public var description: String { rawValue }
}
