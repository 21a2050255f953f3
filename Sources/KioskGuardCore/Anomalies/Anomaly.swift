/// One detected anomaly: what, where, about whom (pseudonyms only) and when.
public struct Anomaly: Hashable, Sendable {
    /// What was detected.
    public var kind: AnomalyKind
    /// The terminal's name, when the anomaly concerns one.
    public var terminal: String?
    /// The session concerned, if any.
    public var session: SessionID?
    /// The session's subject.
    public var subject: Pseudonym?
    /// The account concerned, for account anomalies.
    public var account: Pseudonym?
    /// A short machine-readable reason, such as the end or denial reason it caused.
    public var reason: String?
    /// When it was detected (wall clock; alerts carry this time, never the send time).
    public var detectedAt: WallInstant
    /// Further facts as key/value pairs, pseudonymous by construction.
    public var details: [AnomalyDetail]

    /// The fixed severity of `kind`.
    public var severity: Severity { kind.severity }

    /// Creates an anomaly record.
    public init(
        kind: AnomalyKind, terminal: String? = nil, session: SessionID? = nil, subject: Pseudonym? = nil,
        account: Pseudonym? = nil, reason: String? = nil, detectedAt: WallInstant, details: [AnomalyDetail] = []
    ) {
        self.kind = kind
        self.terminal = terminal
        self.session = session
        self.subject = subject
        self.account = account
        self.reason = reason
        self.detectedAt = detectedAt
        self.details = details
    }
}

/// One fact about an anomaly. Values are pseudonyms, names of the contract or numbers.
public struct AnomalyDetail: Hashable, Sendable {
    /// The fact's name, snake_case.
    public var name: String
    /// The fact's value.
    public var value: String

    /// A named fact.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
