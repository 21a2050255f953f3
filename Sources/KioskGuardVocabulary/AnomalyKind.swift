/// Every anomaly (docs/review.md), with its fixed severity.
public enum AnomalyKind: String, Hashable, Sendable, CaseIterable {
    /// A card of another person was inserted into an open session's terminal.
    case handoverCardSwap = "handover.card-swap"
    /// Re-verification named another person than the session's.
    case handoverSubjectMismatch = "handover.subject-mismatch"
    /// A new person began a session while the previous one was still open.
    case handoverUnclosedSession = "handover.unclosed-session"
    /// A step was requested or committed in a locked or ended session.
    case stepOnInactiveSession = "step.on-inactive-session"
    /// A sensitive step was requested with a stale verification.
    case stepStaleAuth = "step.stale-auth"
    /// The kiosk app did not confirm a lock in time.
    case lockUnconfirmed = "lock.unconfirmed"
    /// The kiosk app disconnected with a session open.
    case clientLost = "client.lost"
    /// The guard restarted with sessions open.
    case guardRestarted = "guard.restarted"
    /// The kiosk app's card events contradict the reader the daemon watches itself.
    case cardStateMismatch = "card.state-mismatch"
    /// A local peer was refused on a socket.
    case ipcDenied = "ipc.denied"
    /// One account was registered by two different people within the retention.
    case accountMultipleSubjects = "account.multiple-subjects"
    /// Anomalies of one kind keep recurring on this host.
    case patternRecurring = "pattern.recurring"

    /// Whether this kind means one person's data or session may have reached another person: the
    /// anomalies `kioskguardctl incident` groups into incidents with a reporting clock. Guard
    /// failures, refused peers and recurring patterns are not leaks by themselves.
    public var mayExposePersonalData: Bool {
        switch self {
        case .handoverCardSwap, .handoverSubjectMismatch, .handoverUnclosedSession, .stepOnInactiveSession, .accountMultipleSubjects:
            true
        case .stepStaleAuth, .lockUnconfirmed, .clientLost, .guardRestarted, .cardStateMismatch, .ipcDenied, .patternRecurring:
            false
        }
    }

    /// The fixed severity of this kind.
    public var severity: Severity {
        switch self {
        case .handoverCardSwap, .handoverSubjectMismatch, .handoverUnclosedSession,
            .stepOnInactiveSession, .lockUnconfirmed, .clientLost, .guardRestarted, .cardStateMismatch:
            .high
        case .stepStaleAuth, .ipcDenied:
            .medium
        case .accountMultipleSubjects, .patternRecurring:
            .critical
        }
    }
}

/// How urgent an anomaly is; alerts go out at or above the configured minimum.
public enum Severity: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Worth recording, not worth waking anyone.
    case low
    /// Suspicious on its own.
    case medium
    /// A likely handover or a guard failure.
    case high
    /// Personal data is probably linked to the wrong person.
    case critical

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}
