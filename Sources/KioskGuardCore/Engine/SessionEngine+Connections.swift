// The kiosk app's connection: one live connection per terminal; losing it with a session open
// is an anomaly, and a reconnecting app is told what happened while it was away.

/// What a kiosk app learns when it binds a connection to a terminal.
public struct Welcome: Hashable, Sendable {
    /// The terminal's effective rules, for the `welcome` message.
    public var policy: SessionPolicy
    /// Notices for the app about sessions locked or ended while it was away, to send after
    /// `welcome`, and the records of the connection.
    public var actions: [EngineAction]
}

/// Why a terminal refused a connection.
public enum ConnectRefusal: Error, Hashable, Sendable {
    /// Another connection holds the terminal.
    case terminalBusy
}

extension SessionEngine {
    /// Binds a kiosk app's connection to `terminal`.
    public mutating func connect(_ terminal: TerminalID, at now: Moment) -> Result<Welcome, ConnectRefusal> {
        guard !terminals[terminal.index].connected else { return .failure(.terminalBusy) }
        var actions: [EngineAction] = []
        catchUp(terminal, at: now, into: &actions)
        terminals[terminal.index].connected = true
        let state = terminals[terminal.index]
        actions.append(.record(AuditRecord(event: .terminalConnected, terminal: state.name, session: state.open?.id,
                                           subject: state.open?.subject, state: state.open?.state)))
        for ended in state.untoldEnds.elements {
            actions.append(.notify(terminal, .terminate(ended.id, reason: ended.reason)))
        }
        terminals[terminal.index].untoldEnds.removeAll()
        if let session = state.open, session.state == .locked {
            actions.append(.notify(terminal, .lock(session.id, reason: session.lockReason ?? .clientLost)))
        }
        return .success(Welcome(policy: state.policy, actions: actions))
    }

    /// The kiosk app's connection to `terminal` closed. An open session is locked at the system
    /// level and raises `client.lost`.
    public mutating func disconnect(_ terminal: TerminalID, at now: Moment) -> [EngineAction] {
        guard terminals[terminal.index].connected else { return [] }
        var actions: [EngineAction] = []
        if let session = release(terminal, locking: .clientLost, at: now, into: &actions) {
            raise(anomaly(.clientLost, terminal, session, reason: LockReason.clientLost.rawValue, at: now), into: &actions)
        }
        return actions
    }

    /// The guard is stopping: every connected terminal is let go as on a disconnect, its open
    /// session locked at the system level and kept persisted, but without `client.lost`. The
    /// daemon leaves, not the app; the restart's one `guard.restarted` accounts for the sessions.
    public mutating func stop(at now: Moment) -> [EngineAction] {
        var actions: [EngineAction] = []
        for index in terminals.indices where terminals[index].connected {
            _ = release(TerminalID(index), locking: .guardStopping, at: now, into: &actions)
        }
        return actions
    }

    /// Marks `terminal` disconnected and locks its open session at the system level for `reason`;
    /// returns that session.
    private mutating func release(_ terminal: TerminalID, locking reason: LockReason, at now: Moment,
                                  into actions: inout [EngineAction]) -> Session? {
        catchUp(terminal, at: now, into: &actions)
        terminals[terminal.index].connected = false
        let state = terminals[terminal.index]
        actions.append(.record(AuditRecord(event: .terminalDisconnected, terminal: state.name, session: state.open?.id,
                                           subject: state.open?.subject, state: state.open?.state)))
        guard let session = state.open else { return nil }
        if session.isInUse {
            lock(terminal, reason, at: now, into: &actions)
        } else if !session.escalated {
            terminals[terminal.index].open?.awaitingLockConfirmation = false
            terminals[terminal.index].open?.escalated = true
            enforce(.lock(reason), terminal, session, into: &actions)
        }
        ensureDeadline(terminal, at: now)
        return session
    }

    /// Rebuilds the sessions that were open when the guard stopped, all locked (fail closed), and
    /// raises one `guard.restarted` listing them. Sessions of terminals no longer configured are
    /// listed too, and forgotten.
    public mutating func restore(_ persisted: [PersistedSession], at now: Moment) -> [EngineAction] {
        guard !persisted.isEmpty else { return [] }
        var actions: [EngineAction] = []
        for record in persisted {
            guard let terminal = terminal(named: record.terminal), terminals[terminal.index].open == nil else {
                actions.append(.forget(terminal: record.terminal, session: record.session))
                continue
            }
            // The session keeps its original start, so max_session still bounds it; its last
            // verification is unknown, so it counts as stale.
            let age = max(.zero, min(now.wall - record.begunAt, terminals[terminal.index].policy.maxSession))
            let begun = Moment(monotonic: now.monotonic - age, wall: record.begunAt)
            var session = Session(id: record.session, subject: record.subject, auth: nil, at: begun)
            session.lastVerified = now.monotonic - terminals[terminal.index].policy.sensitiveAuthMaxAge - .seconds(1)
            terminals[terminal.index].open = session
            lock(terminal, .guardRestarted, at: now, into: &actions)
            ensureDeadline(terminal, at: now)
        }
        let listed = persisted.prefix(Self.restartListLimit).map {
            AnomalyDetail("session", "\($0.terminal)/\($0.session.rawValue) \($0.subject?.description ?? "anonymous")")
        }
        raise(Anomaly(
            kind: .guardRestarted, reason: LockReason.guardRestarted.rawValue, detectedAt: now.wall,
            details: [AnomalyDetail("open_sessions", String(persisted.count))] + listed
        ), into: &actions)
        return actions
    }

    /// The most sessions one `guard.restarted` anomaly lists by name; the count covers the rest.
    static let restartListLimit = 200
}
