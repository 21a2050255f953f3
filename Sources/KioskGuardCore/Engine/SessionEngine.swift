/// The session rules (docs/protocol.md, kioskguard.toml(5)) as a pure state machine.
///
/// Inputs carry the time they happen at (`Moment`); outputs are `EngineAction`s for the daemon to
/// carry out. The engine never reads a clock, touches a socket or writes a log, so every rule is
/// testable with a manual clock and the daemon's event loop owns all I/O.
///
/// Timers: each terminal with an open session has exactly one entry in `deadlines`. The daemon
/// arms one timer for `nextDeadline` and calls `advance(to:)` when it fires. An entry may be
/// earlier than the session's true next transition (activity pushes transitions later without
/// touching the heap); when it fires early it is simply re-armed. It is never later.
public struct SessionEngine: Sendable {
    var terminals: [TerminalState] = []
    private var terminalsByName: [String: TerminalID] = [:]
    var deadlines = DeadlineQueue()
    var patterns: PatternDetector
    /// Which subjects registered which accounts, for `account.multiple-subjects`.
    public internal(set) var accounts: AccountIndex

    /// An engine for the configured terminals and host-wide rules.
    public init(terminals profiles: [TerminalProfile], rules: HostRules = HostRules()) {
        patterns = PatternDetector(threshold: rules.patternThreshold, window: rules.patternWindow)
        accounts = AccountIndex(retention: rules.accountRetention)
        for profile in profiles { addTerminal(profile) }
    }

    /// The terminal configured under `name`.
    public func terminal(named name: String) -> TerminalID? { terminalsByName[name] }

    /// The configured name of `terminal`.
    public func name(of terminal: TerminalID) -> String { terminals[terminal.index].name }

    /// The effective rules of `terminal`.
    public func policy(of terminal: TerminalID) -> SessionPolicy { terminals[terminal.index].policy }

    /// When the daemon must call `advance(to:)` next, if any session has a pending deadline.
    public var nextDeadline: MonotonicInstant? { deadlines.earliest?.deadline }

    /// The timer structure's work counters.
    public var timerStatistics: DeadlineQueue.Statistics { deadlines.statistics }

    /// Adds a terminal, or updates the profile of one configured under the same name (a reload).
    /// Open sessions keep running; the new rules apply from their next transition.
    @discardableResult
    public mutating func addTerminal(_ profile: TerminalProfile) -> TerminalID {
        if let existing = terminalsByName[profile.name] {
            terminals[existing.index].profile = profile
            // The new rules may bring a transition forward: re-evaluate at the next advance.
            if terminals[existing.index].open != nil { deadlines.schedule(existing, at: .init(nanoseconds: .min)) }
            return existing
        }
        let id = TerminalID(terminals.count)
        terminals.append(TerminalState(profile: profile))
        terminalsByName[profile.name] = id
        return id
    }

    /// Restores the account index from persisted links.
    public mutating func restoreAccountLinks(_ links: [(account: Pseudonym, link: AccountIndex.Link)]) {
        for (account, link) in links { accounts.restore(account: account, link: link) }
    }

    /// Forgets account links past the retention.
    public mutating func pruneAccountLinks(at now: WallInstant) {
        accounts.prune(at: now)
    }

    /// Records `anomaly` and any recurring pattern it completes.
    mutating func raise(_ anomaly: Anomaly, into actions: inout [EngineAction]) {
        actions.append(.raise(anomaly))
        if let pattern = patterns.observe(anomaly) { actions.append(.raise(pattern)) }
    }

    /// Records an anomaly detected outside the engine (such as `ipc.denied`), so it counts towards
    /// the recurring-pattern rule; returns the actions to carry out.
    public mutating func raiseExternal(_ anomaly: Anomaly) -> [EngineAction] {
        var actions: [EngineAction] = []
        raise(anomaly, into: &actions)
        return actions
    }
}

/// Rules that apply to the whole host rather than one terminal.
public struct HostRules: Hashable, Sendable {
    /// Anomalies of one kind that make a recurring pattern.
    public var patternThreshold = 3
    /// The window they must fall in.
    public var patternWindow: Duration = .seconds(24 * 3600)
    /// How long an account stays linked to the subject that registered it.
    public var accountRetention: Duration = .seconds(90 * 86_400)

    /// The defaults kioskguard.toml(5) documents.
    public init() {}
}
