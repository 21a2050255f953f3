// The state changes every rule ends in: warn, lock, unlock, end. Each records itself and tells
// the app and the system what they must do.

extension SessionEngine {
    mutating func warn(_ terminal: TerminalID, _ reason: WarnReason, until target: MonotonicInstant, at now: Moment, into actions: inout [EngineAction]) {
        guard var session = terminals[terminal.index].open else { return }
        switch reason {
        case .idle: session.idleWarned = true
        case .maxDuration: session.maxWarned = true
        }
        session.settleWarnedState()
        terminals[terminal.index].open = session
        actions.append(.record(record(.sessionWarned, terminal, session, reason: .warn(reason))))
        let state = terminals[terminal.index]
        if state.connected {
            actions.append(.notify(terminal, .warn(session.id, reason: reason, lockIn: target - now.monotonic)))
        }
        if state.profile.warnsByCommand {
            actions.append(.runWarnCommand(WarnCommandRun(terminalName: state.name, session: session.id, reason: reason,
                                                          lockIn: target - now.monotonic)))
        }
    }

    mutating func lock(_ terminal: TerminalID, _ reason: LockReason, at now: Moment, into actions: inout [EngineAction]) {
        let state = terminals[terminal.index]
        guard var session = state.open, session.state != .locked else { return }
        session.state = .locked
        session.lockedAt = now.monotonic
        session.lockReason = reason
        session.idleWarned = false
        session.maxWarned = false
        session.pendingSensitiveStep = nil
        actions.append(.record(record(.sessionLocked, terminal, session, reason: .lock(reason))))
        if reason != .client {
            if state.connected { actions.append(.notify(terminal, .lock(session.id, reason: reason))) }
            if state.connected && state.profile.lockPlan.waitsForClient {
                session.awaitingLockConfirmation = true
            } else {
                session.escalated = true
                enforce(.lock(reason), terminal, session, into: &actions)
            }
        }
        terminals[terminal.index].open = session
    }

    mutating func unlock(_ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        guard var session = terminals[terminal.index].open, session.state == .locked else { return }
        session.state = .active
        session.lockedAt = nil
        session.lockReason = nil
        session.awaitingLockConfirmation = false
        session.lastActivity = now.monotonic
        terminals[terminal.index].open = session
        actions.append(.record(record(.sessionUnlocked, terminal, session)))
    }

    /// The lock was not confirmed in time: the app cannot be trusted to hold it.
    mutating func escalateUnconfirmedLock(_ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        guard var session = terminals[terminal.index].open, session.awaitingLockConfirmation else { return }
        session.awaitingLockConfirmation = false
        session.escalated = true
        terminals[terminal.index].open = session
        enforce(.lock(session.lockReason ?? .idle), terminal, session, into: &actions)
        raise(anomaly(.lockUnconfirmed, terminal, session, reason: session.lockReason?.rawValue, at: now), into: &actions)
    }

    /// Ends the open session. `tellClient` is false when the app itself ended it.
    mutating func end(_ terminal: TerminalID, _ reason: EndReason, tellClient: Bool = true, at now: Moment, into actions: inout [EngineAction]) {
        let state = terminals[terminal.index]
        guard let session = state.open else { return }
        terminals[terminal.index].open = nil
        let endedSession = EndedSession(id: session.id, subject: session.subject, reason: reason)
        terminals[terminal.index].recentlyEnded.append(endedSession)
        deadlines.cancel(terminal)
        var ended = session
        ended.state = .ended
        actions.append(.record(record(.sessionEnded, terminal, ended, reason: .end(reason))))
        actions.append(.forget(terminal: state.name, session: session.id))
        guard tellClient else { return }
        if state.connected {
            actions.append(.notify(terminal, .terminate(session.id, reason: reason)))
        } else {
            terminals[terminal.index].untoldEnds.append(endedSession)
        }
        if session.escalated || !state.connected {
            enforce(.end(reason), terminal, session, into: &actions)
        }
    }

    func enforce(_ reason: EnforcementReason, _ terminal: TerminalID, _ session: Session, into actions: inout [EngineAction]) {
        let profile = terminals[terminal.index].profile
        guard !profile.lockPlan.systemActions.isEmpty else { return }
        actions.append(.enforce(Enforcement(
            terminal: terminal, terminalName: profile.name, session: session.id, reason: reason,
            actions: profile.lockPlan.systemActions
        )))
    }

    func record(
        _ event: AuditEvent, _ terminal: TerminalID, _ session: Session, reason: RecordReason? = nil,
        step: StepName? = nil, account: Pseudonym? = nil, decision: StepDecisionOutcome? = nil
    ) -> AuditRecord {
        AuditRecord(
            event: event, terminal: terminals[terminal.index].name, session: session.id, subject: session.subject,
            account: account, state: session.state, reason: reason, step: step, decision: decision
        )
    }

    func anomaly(
        _ kind: AnomalyKind, _ terminal: TerminalID, _ session: Session, account: Pseudonym? = nil,
        reason: String? = nil, at now: Moment, details: [AnomalyDetail] = []
    ) -> Anomaly {
        Anomaly(
            kind: kind, terminal: terminals[terminal.index].name, session: session.id, subject: session.subject,
            account: account, reason: reason, detectedAt: now.wall, details: details
        )
    }
}
