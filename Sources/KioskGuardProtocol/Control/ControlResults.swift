/// The result of `status`.
public struct StatusResult: Hashable, Sendable, Codable {
    /// The daemon's version.
    public var version: String
    /// Seconds since the daemon started.
    public var uptimeSeconds: Int64
    /// The configuration files in force, in order; empty on built-in defaults; absent for a
    /// reader (only admins are shown the host's paths).
    public var configFiles: [String]?
    /// Configured terminals.
    public var terminalsConfigured: Int
    /// Terminals with a connected kiosk app.
    public var terminalsConnected: Int
    /// Open sessions by state (`active`, `warned`, `locked`).
    public var sessions: [String: Int]
    /// Undelivered alerts per hotline endpoint.
    public var alertsPending: [String: Int]
    /// Age in seconds of the oldest undelivered alert per endpoint.
    public var oldestPendingSeconds: [String: Int64]
    /// The fingerprint of the pseudonym key (`k:` and 16 hex digits): hosts whose fingerprints
    /// differ make different pseudonyms of the same number.
    public var keyFingerprint: String
    /// How the latest enforcement by system lock actions ended, on any terminal; absent when
    /// none has ended since the daemon started.
    public var lastEnforcement: EnforcementResult?

    /// Creates a status result.
    public init(
        version: String, uptimeSeconds: Int64, configFiles: [String]?, terminalsConfigured: Int, terminalsConnected: Int,
        sessions: [String: Int], alertsPending: [String: Int] = [:], oldestPendingSeconds: [String: Int64] = [:], keyFingerprint: String,
        lastEnforcement: EnforcementResult? = nil
    ) {
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.configFiles = configFiles
        self.terminalsConfigured = terminalsConfigured
        self.terminalsConnected = terminalsConnected
        self.sessions = sessions
        self.alertsPending = alertsPending
        self.oldestPendingSeconds = oldestPendingSeconds
        self.keyFingerprint = keyFingerprint
        self.lastEnforcement = lastEnforcement
    }

    enum CodingKeys: String, CodingKey {
        case version
        case uptimeSeconds = "uptime_seconds"
        case configFiles = "config_files"
        case terminalsConfigured = "terminals_configured"
        case terminalsConnected = "terminals_connected"
        case sessions
        case alertsPending = "alerts_pending"
        case oldestPendingSeconds = "oldest_pending_seconds"
        case keyFingerprint = "key_fingerprint"
        case lastEnforcement = "last_enforcement"
    }
}

/// How one enforcement by system lock actions (`logind`, `exec`) ended: the action seen to carry
/// it out, or that none could.
public struct EnforcementResult: Hashable, Sendable, Codable {
    /// The terminal's name.
    public var terminal: String
    /// The session enforced.
    public var session: String
    /// `lock` or `terminate`.
    public var command: String
    /// `enforced` when an action was seen to carry it out, `unenforced` when none could.
    public var result: String
    /// The action that carried it out (`logind` or `exec`); absent when none could.
    public var action: String?
    /// What the `lock-action` journal entry that ended it says; absent for a reader (it may name
    /// the configuration's `exec_command`, and only admins are shown the host's paths).
    public var detail: String?
    /// Seconds since it ended.
    public var secondsAgo: Int64

    /// Creates a result; `action` nil says that no action could.
    public init(terminal: String, session: String, command: String, action: String?, detail: String?, secondsAgo: Int64) {
        self.terminal = terminal
        self.session = session
        self.command = command
        self.result = action == nil ? "unenforced" : "enforced"
        self.action = action
        self.detail = detail
        self.secondsAgo = secondsAgo
    }

    /// Whether an action was seen to carry it out.
    public var enforced: Bool { action != nil }

    enum CodingKeys: String, CodingKey {
        case terminal, session, command, result, action, detail
        case secondsAgo = "seconds_ago"
    }
}

/// One row of `terminals`.
public struct TerminalRow: Hashable, Sendable, Codable {
    /// The terminal's name.
    public var name: String
    /// Whether a kiosk app is connected.
    public var connected: Bool
    /// Its open session, if any.
    public var session: String?
    /// Whether a card is in its reader; absent when it reports no card events.
    public var cardPresent: Bool?
    /// Its idle timeout in seconds.
    public var idleTimeoutSeconds: Int64

    /// Creates a row.
    public init(name: String, connected: Bool, session: String?, cardPresent: Bool?, idleTimeoutSeconds: Int64) {
        self.name = name
        self.connected = connected
        self.session = session
        self.cardPresent = cardPresent
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    enum CodingKeys: String, CodingKey {
        case name, connected, session
        case cardPresent = "card_present"
        case idleTimeoutSeconds = "idle_timeout_seconds"
    }
}

/// One row of `sessions`, and the result of `show`.
public struct SessionRow: Hashable, Sendable, Codable {
    /// The terminal's name.
    public var terminal: String
    /// The session's id.
    public var session: String
    /// The subject's pseudonym; absent for an anonymous session.
    public var subject: String?
    /// `active`, `warned` or `locked`.
    public var state: String
    /// Why it is locked, when it is.
    public var lockReason: String?
    /// Seconds since the last activity.
    public var idleSeconds: Int64
    /// Seconds until the next timed transition (warn, lock or end).
    public var nextTransitionSeconds: Int64?
    /// How the session's latest enforcement by system lock actions ended, if it had one.
    public var lastEnforcement: EnforcementResult?

    /// Creates a row.
    public init(
        terminal: String, session: String, subject: String?, state: String, lockReason: String?, idleSeconds: Int64, nextTransitionSeconds: Int64?,
        lastEnforcement: EnforcementResult? = nil
    ) {
        self.terminal = terminal
        self.session = session
        self.subject = subject
        self.state = state
        self.lockReason = lockReason
        self.idleSeconds = idleSeconds
        self.nextTransitionSeconds = nextTransitionSeconds
        self.lastEnforcement = lastEnforcement
    }

    enum CodingKeys: String, CodingKey {
        case terminal, session, subject, state
        case lockReason = "lock_reason"
        case idleSeconds = "idle_seconds"
        case nextTransitionSeconds = "next_transition_seconds"
        case lastEnforcement = "last_enforcement"
    }
}

/// The result of a verb that acts: what was done.
public struct ActionResult: Hashable, Sendable, Codable {
    /// A sentence saying what happened.
    public var message: String

    /// Creates a result.
    public init(message: String) { self.message = message }
}

/// The result of `metrics`.
public struct MetricsResult: Hashable, Sendable, Codable {
    /// The Prometheus text exposition format (0.0.4), every metric of contract section 11.
    public var text: String

    /// Creates a result.
    public init(text: String) { self.text = text }
}

/// One row of `alerts`: one alert's delivery to one endpoint.
public struct AlertRow: Hashable, Sendable, Codable {
    /// The alert's id (the CloudEvents id and `webhook-id`).
    public var id: String
    /// Its CloudEvents type.
    public var type: String
    /// The hotline endpoint.
    public var endpoint: String
    /// `pending` or `delivered`.
    public var state: String
    /// Attempts so far.
    public var attempts: Int
    /// The last failure, if any.
    public var lastError: String?
    /// The last HTTP status, if any.
    public var lastStatus: Int?
    /// Seconds since it was queued.
    public var ageSeconds: Int64

    /// Creates a row.
    public init(id: String, type: String, endpoint: String, state: String, attempts: Int, lastError: String?, lastStatus: Int?, ageSeconds: Int64) {
        self.id = id
        self.type = type
        self.endpoint = endpoint
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.lastStatus = lastStatus
        self.ageSeconds = ageSeconds
    }

    enum CodingKeys: String, CodingKey {
        case id, type, endpoint, state, attempts
        case lastError = "last_error"
        case lastStatus = "last_status"
        case ageSeconds = "age_seconds"
    }
}
