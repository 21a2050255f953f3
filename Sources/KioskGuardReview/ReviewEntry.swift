/// One kioskguard journal entry, as a reviewer reads it: only the fields that carry meaning.
public struct ReviewEntry: Hashable, Sendable, Codable {
    /// When it was written, microseconds since the epoch.
    public var time: UInt64
    /// The host that wrote it (`_HOSTNAME`).
    public var host: String
    /// `KIOSKGUARD_SITE`: the office or municipality, when the host names one.
    public var site: String?
    /// `KIOSKGUARD_EVENT`.
    public var event: String
    /// `KIOSKGUARD_TERMINAL`.
    public var terminal: String?
    /// `KIOSKGUARD_SESSION`.
    public var session: String?
    /// `KIOSKGUARD_SUBJECT` (a pseudonym).
    public var subject: String?
    /// `KIOSKGUARD_ACCOUNT` (a pseudonym).
    public var account: String?
    /// `KIOSKGUARD_STATE`.
    public var state: String?
    /// `KIOSKGUARD_REASON`.
    public var reason: String?
    /// `KIOSKGUARD_ANOMALY`.
    public var anomaly: String?
    /// `KIOSKGUARD_STEP`.
    public var step: String?
    /// `KIOSKGUARD_SEVERITY` (anomalies).
    public var severity: String?
    /// `KIOSKGUARD_DETECTED_AT` as microseconds since the epoch (anomalies and `alert-queued`).
    public var detectedAt: UInt64?
    /// `KIOSKGUARD_ALERT_ID` (alert entries).
    public var alertID: String?
    /// `KIOSKGUARD_ENDPOINT`, the hotline an alert entry is about.
    public var endpoint: String?
    /// The other people an anomaly names (its `new_subject`, `card_subject` and `other_subject`
    /// details): the next person of a handover, the registrants of an account.
    public var otherSubjects: [String] = []
    /// `MESSAGE`.
    public var message: String

    /// Creates an entry.
    public init(time: UInt64, host: String, event: String, terminal: String? = nil, session: String? = nil, subject: String? = nil,
                account: String? = nil, state: String? = nil, reason: String? = nil, anomaly: String? = nil, step: String? = nil,
                severity: String? = nil, detectedAt: UInt64? = nil, alertID: String? = nil, endpoint: String? = nil, message: String = "") {
        self.time = time
        self.host = host
        self.event = event
        self.terminal = terminal
        self.session = session
        self.subject = subject
        self.account = account
        self.state = state
        self.reason = reason
        self.anomaly = anomaly
        self.step = step
        self.severity = severity
        self.detectedAt = detectedAt
        self.alertID = alertID
        self.endpoint = endpoint
        self.message = message
    }
}
