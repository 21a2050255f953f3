/// A session event from a kiosk app, already decoded and pseudonymised.
///
/// Connection-level messages (`hello`, `ping`) never reach the engine. Subjects and accounts are
/// `Pseudonym`s: the raw values were turned into pseudonyms where they were decoded.
public enum KioskEvent: Hashable, Sendable {
    /// `session.begin`: a person authenticated and a session starts. Without a subject, the card
    /// in the terminal's watched reader is the subject.
    case sessionBegin(SessionID, subject: Pseudonym?, auth: AuthMethod?)
    /// `activity`: user input or navigation.
    case activity(SessionID)
    /// `auth.verified`: identity re-verified.
    case authVerified(SessionID, subject: Pseudonym)
    /// `card.inserted`: a card appeared in the terminal's reader.
    case cardInserted(subject: Pseudonym)
    /// `card.removed`: the card left the reader.
    case cardRemoved
    /// `presence`: the presence sensor's state changed.
    case presence(present: Bool)
    /// `step.request`: may this step be committed now?
    case stepRequest(StepRequest)
    /// `step.done`: the step was committed.
    case stepDone(SessionID, step: StepName, account: Pseudonym?)
    /// `locked`: the kiosk UI confirms it is locked.
    case locked(SessionID)
    /// `session.end`: the app ended the session.
    case sessionEnd(SessionID, reason: EndReason)
}

/// How a session's person authenticated (`card+pin`, `card`, `staff`, …), as the app says.
public struct AuthMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method's name as sent.
    public let rawValue: String

    /// Wraps a method name that already passed the protocol's checks.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

/// A `step.request`: the step guard's question.
public struct StepRequest: Hashable, Sendable {
    /// The request's id, echoed in the decision.
    public var id: RequestID
    /// The session the step belongs to.
    public var session: SessionID
    /// The step's name.
    public var step: StepName
    /// Whether the step needs fresh identity and the card (registering a bank account does).
    public var sensitive: Bool
    /// The account the step concerns, if any.
    public var account: Pseudonym?
    /// The person the app believes it serves, if it says (an extension: a mismatch is a handover).
    public var subject: Pseudonym?

    /// Creates a step request.
    public init(
        id: RequestID, session: SessionID, step: StepName, sensitive: Bool = false, account: Pseudonym? = nil,
        subject: Pseudonym? = nil
    ) {
        self.id = id
        self.session = session
        self.step = step
        self.sensitive = sensitive
        self.account = account
        self.subject = subject
    }
}
