/// The timing rules of one terminal (`[policy]` in kioskguard.toml(5), docs/man/kioskguard.toml.5).
public struct SessionPolicy: Hashable, Sendable {
    /// No activity for this long locks the session (reason `idle`).
    public var idleTimeout: Duration = .seconds(120)
    /// The idle limit between an allowed sensitive step request and its `step.done`.
    public var sensitiveIdleTimeout: Duration = .seconds(60)
    /// A warning comes this long before an idle or max-duration lock.
    public var warnBefore: Duration = .seconds(20)
    /// A `lock` the kiosk app does not confirm within this time escalates to system lock actions.
    public var lockConfirmTimeout: Duration = .seconds(3)
    /// A logind termination counts only when the session is gone within this time; else its
    /// processes are killed, and what still stays escalates to the next lock action.
    public var terminateConfirmTimeout: Duration = .seconds(5)
    /// A session locked this long is terminated as `abandoned`: a forgotten logout.
    public var terminateAfterLock: Duration = .seconds(120)
    /// No session lives longer than this; it is warned, then terminated (`max-duration`).
    public var maxSession: Duration = .seconds(15 * 60)
    /// What a removed card does to the open session.
    public var onCardRemoved: CardRemovalAction = .lock
    /// Presence lost for this long locks the session (reason `presence-lost`).
    public var presenceGrace: Duration = .seconds(5)
    /// A sensitive step needs a verification at most this old.
    public var sensitiveAuthMaxAge: Duration = .seconds(120)

    /// The defaults kioskguard.toml(5) documents.
    public init() {}

    /// Why this policy cannot be enforced as written, or nil when it can.
    ///
    /// Zero or negative timeouts would lock at once or never; a warning as long as the timeout it
    /// precedes would come before the session even started.
    public var problem: String? {
        let positive: [(String, Duration)] = [
            ("idle_timeout", idleTimeout), ("sensitive_idle_timeout", sensitiveIdleTimeout),
            ("lock_confirm_timeout", lockConfirmTimeout), ("terminate_confirm_timeout", terminateConfirmTimeout),
            ("terminate_after_lock", terminateAfterLock),
            ("max_session", maxSession), ("sensitive_auth_max_age", sensitiveAuthMaxAge),
        ]
        for (name, value) in positive where value <= .zero {
            return "\(name) must be longer than zero"
        }
        if warnBefore < .zero { return "warn_before must not be negative" }
        if presenceGrace < .zero { return "presence_grace must not be negative" }
        for (name, limit) in [("idle_timeout", idleTimeout), ("sensitive_idle_timeout", sensitiveIdleTimeout), ("max_session", maxSession)]
        where warnBefore >= limit {
            return "warn_before must be shorter than \(name)"
        }
        return nil
    }
}

/// What a removed card does to the open session.
public enum CardRemovalAction: String, Hashable, Sendable, CaseIterable {
    /// Lock the session; the citizen re-verifies to continue.
    case lock
    /// End the session (reason `card-removed`).
    case terminate
}
