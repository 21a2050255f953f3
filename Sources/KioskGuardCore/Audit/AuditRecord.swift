/// One state change of a session or terminal, as the engine reports it for the journal.
///
/// Every field that names a person is a pseudonym; the type has no place for a raw identifier.
public struct AuditRecord: Hashable, Sendable {
    /// The class of change.
    public var event: AuditEvent
    /// The terminal's name.
    public var terminal: String
    /// The session concerned, if any.
    public var session: SessionID?
    /// The session's subject.
    public var subject: Pseudonym?
    /// The account of a step, if any.
    public var account: Pseudonym?
    /// The state the session is in after the change.
    public var state: SessionState?
    /// Why it changed: a lock, warn, end or denial reason, or how the person authenticated.
    public var reason: RecordReason?
    /// The step of a step decision or completion.
    public var step: StepName?
    /// `allow` or `deny`, for step decisions.
    public var decision: StepDecisionOutcome?

    /// Creates a record.
    public init(
        event: AuditEvent, terminal: String, session: SessionID? = nil, subject: Pseudonym? = nil,
        account: Pseudonym? = nil, state: SessionState? = nil, reason: RecordReason? = nil, step: StepName? = nil,
        decision: StepDecisionOutcome? = nil
    ) {
        self.event = event
        self.terminal = terminal
        self.session = session
        self.subject = subject
        self.account = account
        self.state = state
        self.reason = reason
        self.step = step
        self.decision = decision
    }
}

/// The outcome of a step request, as recorded in `KIOSKGUARD_DECISION`.
public enum StepDecisionOutcome: String, Hashable, Sendable {
    /// The step may be committed.
    case allow
    /// The step must not be committed.
    case deny
}
