/// The verbs of the control socket (kioskguardctl(1), docs/man/kioskguardctl.1). The raw value is the wire `verb`.
public enum ControlVerb: String, Hashable, Sendable, CaseIterable, Codable {
    /// Version, uptime, terminals, sessions by state, alert backlog.
    case status
    /// Every configured terminal.
    case terminals
    /// Every open session.
    case sessions
    /// One session's timeline (`target` = session id).
    case show
    /// Pending and recent alerts (`pending` = only undelivered).
    case alerts
    /// The Prometheus exposition text, as the metrics textfile would hold it now.
    case metrics
    /// Lock a terminal's session (`target` = terminal or session).
    case lock
    /// End a session (`target` = session id).
    case terminate
    /// Retry every pending alert now.
    case alertsRetry = "alerts.retry"
    /// Queue a signed test alert through the normal path.
    case alertsTest = "alerts.test"
    /// Reload the configuration.
    case reload
    /// Print the pseudonym of an identifier (`target`); admin only, since it uses the host key.
    case pseudonym

    /// Whether members of `read_groups` may use the verb; the others need `admin_groups`.
    public var isReadOnly: Bool {
        switch self {
        case .status, .terminals, .sessions, .show, .alerts, .metrics: true
        case .lock, .terminate, .alertsRetry, .alertsTest, .reload, .pseudonym: false
        }
    }

    /// Whether the verb acts on a named terminal or session.
    public var needsTarget: Bool {
        switch self {
        case .show, .lock, .terminate, .pseudonym: true
        default: false
        }
    }
}

/// The `code` of a refused control request.
public enum ControlErrorCode: String, Hashable, Sendable, CaseIterable, Codable {
    /// Not valid JSON, not an object, or a field of the wrong type.
    case badRequest = "bad-request"
    /// The request line is over the limit; the connection is closed.
    case lineTooLong = "line-too-long"
    /// The verb is not one this daemon knows.
    case unknownVerb = "unknown-verb"
    /// The verb needs a `target` and has none.
    case missingTarget = "missing-target"
    /// The peer's groups do not allow the verb.
    case permissionDenied = "permission-denied"
    /// No terminal, session or alert of that name.
    case notFound = "not-found"
    /// Sessions of that id are open on several terminals; the request must name one (`terminal`).
    case ambiguous
    /// The verb was understood but could not be carried out.
    case failed
}
