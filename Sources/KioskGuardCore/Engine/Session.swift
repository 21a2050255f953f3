/// An open session and everything its rules depend on.
struct Session: Sendable {
    let id: SessionID
    /// The person's pseudonym; nil for an anonymous session (begun without a subject on a
    /// terminal that watches no reader), to which the rules that compare identities do not apply.
    let subject: Pseudonym?
    let auth: AuthMethod?
    let begunAt: MonotonicInstant
    let begunWall: WallInstant
    var state: SessionState = .active
    var lastActivity: MonotonicInstant
    var lastVerified: MonotonicInstant
    var idleWarned = false
    var maxWarned = false
    var lockedAt: MonotonicInstant?
    var lockReason: LockReason?
    /// The card in the watched reader when the session began (or the first one seen after):
    /// another card in that reader is a handover.
    var readerCard: Pseudonym?
    /// A `lock` was sent and its `locked` is awaited until `lockedAt + lock_confirm_timeout`.
    var awaitingLockConfirmation = false
    /// The app failed to hold the session (lost, or never confirmed a lock): an end also goes to
    /// the system actions.
    var escalated = false
    /// An allowed sensitive step not yet done: the shorter idle limit applies.
    var pendingSensitiveStep: StepName?

    init(id: SessionID, subject: Pseudonym?, auth: AuthMethod?, at now: Moment) {
        self.id = id
        self.subject = subject
        self.auth = auth
        self.begunAt = now.monotonic
        self.begunWall = now.wall
        self.lastActivity = now.monotonic
        self.lastVerified = now.monotonic
    }

    var isInUse: Bool { state == .active || state == .warned }

    func idleLimit(_ policy: SessionPolicy) -> Duration {
        pendingSensitiveStep == nil ? policy.idleTimeout : policy.sensitiveIdleTimeout
    }

    /// Active unless a warning is outstanding.
    mutating func settleWarnedState() {
        guard isInUse else { return }
        state = idleWarned || maxWarned ? .warned : .active
    }
}
