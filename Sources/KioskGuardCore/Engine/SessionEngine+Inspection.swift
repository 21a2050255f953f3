// Read-only views for the control socket, and the engine's invariants for tests and fuzzers.

/// A read-only view of one open session.
public struct SessionSnapshot: Hashable, Sendable {
    /// The terminal's name.
    public var terminal: String
    /// The session's id.
    public var session: SessionID
    /// Its subject's pseudonym; nil for an anonymous session.
    public var subject: Pseudonym?
    /// Its state.
    public var state: SessionState
    /// Why it is locked, when it is.
    public var lockReason: LockReason?
    /// How the person authenticated, as the app said.
    public var auth: AuthMethod?
    /// When it began (wall clock).
    public var begunAt: WallInstant
    /// Time since the last activity.
    public var idleFor: Duration
    /// Time until its next timed transition (warn, lock or end), if any.
    public var nextTransitionIn: Duration?
}

/// A read-only view of one terminal.
public struct TerminalSnapshot: Hashable, Sendable {
    /// The terminal's name.
    public var name: String
    /// Whether a kiosk app holds its connection.
    public var connected: Bool
    /// Its open session's id, if any.
    public var openSession: SessionID?
    /// Whether a card is in its reader (nil when it never reported card events).
    public var cardPresent: Bool?
    /// Its effective rules.
    public var policy: SessionPolicy
}

/// The terminals and open sessions counted: what `status` and `STATUS=` show.
public struct EngineCensus: Hashable, Sendable {
    /// Configured terminals.
    public var terminals: Int
    /// Terminals whose kiosk app holds its connection.
    public var connected: Int
    /// Open sessions by state (`active`, `warned`, `locked`; each present, zero or not).
    public var sessions: [SessionState: Int]

    /// A census of `terminals`, `connected` of them connected, with `sessions` open by state.
    public init(terminals: Int, connected: Int, sessions: [SessionState: Int]) {
        self.terminals = terminals
        self.connected = connected
        self.sessions = sessions
    }
}

extension SessionEngine {
    /// The terminals and open sessions counted in one pass that copies no session: `STATUS=`
    /// takes it every second while sessions change, on the loop that also sends the locks.
    public var census: EngineCensus {
        var connected = 0, active = 0, warned = 0, locked = 0
        for index in terminals.indices {
            if terminals[index].connected { connected += 1 }
            switch terminals[index].open?.state {
            case .active: active += 1
            case .warned: warned += 1
            case .locked: locked += 1
            case .ended, nil: break
            }
        }
        return EngineCensus(terminals: terminals.count, connected: connected, sessions: [.active: active, .warned: warned, .locked: locked])
    }

    /// The subject of session `id` on `terminal`, open or recently ended; nil for an anonymous
    /// or unknown one. (A lock action that fails reports after the session may have ended.)
    public func subject(of id: SessionID, on terminal: TerminalID) -> Pseudonym? {
        let state = terminals[terminal.index]
        if let open = state.open, open.id == id { return open.subject }
        return state.ended(id)?.subject
    }

    /// Every open session, by terminal.
    public func openSessions(at now: Moment) -> [SessionSnapshot] {
        terminals.indices.compactMap { index in
            guard let session = terminals[index].open else { return nil }
            let next = nextTransition(TerminalID(index), at: now)?.due
            return SessionSnapshot(
                terminal: terminals[index].name, session: session.id, subject: session.subject, state: session.state,
                lockReason: session.lockReason, auth: session.auth, begunAt: session.begunWall,
                idleFor: now.monotonic - session.lastActivity, nextTransitionIn: next.map { $0 - now.monotonic }
            )
        }
    }

    /// Every configured terminal.
    public var terminalSnapshots: [TerminalSnapshot] {
        terminals.map { state in
            let card: Bool? = switch (state.reader, state.card) {
            case (.present, _): true
            case (.absent, _): false
            case (_, .unreported): nil
            case (_, .present): true
            case (_, .absent): false
            }
            return TerminalSnapshot(name: state.name, connected: state.connected, openSession: state.open?.id,
                                    cardPresent: card, policy: state.policy)
        }
    }

    /// Broken invariants, described; empty when the engine is sound. For tests and fuzzers:
    /// - every open session has exactly one pending deadline, and no closed terminal has one;
    /// - no pending deadline is later than its session's true next transition;
    /// - a locked session knows when and why it was locked; a session in use does not;
    /// - no session has outlived its maximum duration.
    public func invariantViolations(at now: Moment) -> [String] {
        var problems: [String] = []
        if deadlines.count != terminals.count(where: { $0.open != nil }) {
            problems.append("\(deadlines.count) deadlines for \(terminals.count { $0.open != nil }) open sessions")
        }
        for index in terminals.indices {
            let terminal = TerminalID(index), state = terminals[index]
            let stored = deadlines.deadline(of: terminal)
            guard let session = state.open else {
                if stored != nil { problems.append("\(state.name): deadline without an open session") }
                continue
            }
            guard let stored else {
                problems.append("\(state.name): open session \(session.id) has no deadline")
                continue
            }
            if let next = nextTransition(terminal, at: now), stored > next.due {
                problems.append("\(state.name): deadline \(stored) is later than the next transition \(next.due)")
            }
            if (session.state == .locked) != (session.lockedAt != nil && session.lockReason != nil) {
                problems.append("\(state.name): session \(session.id) is \(session.state) with lock time \(String(describing: session.lockedAt))")
            }
            if session.state == .ended { problems.append("\(state.name): an ended session is still open") }
            if now.monotonic - session.begunAt > state.policy.maxSession, stored <= now.monotonic {
                // Overdue deadlines are legal until the next advance; only a settled engine is checked.
            } else if now.monotonic - session.begunAt > state.policy.maxSession {
                problems.append("\(state.name): session \(session.id) outlived max_session")
            }
        }
        return problems
    }
}
