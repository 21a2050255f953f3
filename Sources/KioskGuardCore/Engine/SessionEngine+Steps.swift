// The step guard: a sensitive step needs a session in use, the same subject, a fresh
// verification and the session's card in the reader. And the account rule on `step.done`.

extension SessionEngine {
    mutating func decide(_ request: StepRequest, _ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        let state = terminals[terminal.index]
        guard let session = state.open, session.id == request.session else {
            let ended = state.ended(request.session)
            deny(request, ended == nil ? .unknownSession : .sessionEnded, terminal, subject: ended?.subject, state: ended.map { _ in .ended },
                 at: now, into: &actions)
            return
        }
        if session.state == .locked {
            deny(request, .sessionLocked, terminal, subject: session.subject, state: session.state, at: now, into: &actions)
            return
        }
        if let claimed = request.subject, let subject = session.subject, claimed != subject {
            deny(request, .subjectMismatch, terminal, subject: session.subject, state: session.state, at: now, into: &actions)
            handOver(terminal, session, .subjectMismatch, anomaly: .handoverSubjectMismatch, newSubject: claimed, at: now, into: &actions)
            return
        }
        noteActivity(terminal, at: now, into: &actions)
        if request.sensitive {
            if now.monotonic - session.lastVerified > state.policy.sensitiveAuthMaxAge {
                deny(request, .authStale, terminal, subject: session.subject, state: session.state, at: now, into: &actions)
                return
            }
            if cardOfAnotherSubject(session, state) != nil {
                deny(request, .subjectMismatch, terminal, subject: session.subject, state: session.state, at: now, into: &actions)
                return
            }
            guard sessionCardIsPresent(session, state) else {
                deny(request, .cardAbsent, terminal, subject: session.subject, state: session.state, at: now, into: &actions)
                return
            }
            terminals[terminal.index].open?.pendingSensitiveStep = request.step
        }
        actions.append(.record(record(.stepAllowed, terminal, session, step: request.step, account: request.account, decision: .allow)))
        actions.append(.notify(terminal, .stepDecision(request.id, session: request.session, step: request.step, denial: nil)))
    }

    /// Denies a step request, records it, and raises the anomaly the denial implies.
    private mutating func deny(
        _ request: StepRequest, _ denial: StepDenial, _ terminal: TerminalID, subject: Pseudonym?, state: SessionState?,
        at now: Moment, into actions: inout [EngineAction]
    ) {
        let name = terminals[terminal.index].name
        actions.append(.record(AuditRecord(
            event: .stepDenied, terminal: name, session: request.session, subject: subject, account: request.account, state: state,
            reason: .denial(denial), step: request.step, decision: .deny
        )))
        actions.append(.notify(terminal, .stepDecision(request.id, session: request.session, step: request.step, denial: denial)))
        let kind: AnomalyKind
        switch denial {
        case .sessionLocked, .sessionEnded: kind = .stepOnInactiveSession
        case .authStale: kind = .stepStaleAuth
        case .cardAbsent, .subjectMismatch, .unknownSession: return
        }
        raise(Anomaly(
            kind: kind, terminal: name, session: request.session, subject: subject, account: request.account,
            reason: denial.rawValue, detectedAt: now.wall, details: [AnomalyDetail("step", request.step.rawValue)]
        ), into: &actions)
    }

    mutating func stepDone(
        _ id: SessionID, step: StepName, account: Pseudonym?, _ terminal: TerminalID, _ requestID: RequestID?, at now: Moment,
        into actions: inout [EngineAction]
    ) {
        let state = terminals[terminal.index]
        if let session = state.open, session.id == id, session.isInUse {
            if session.pendingSensitiveStep == step { terminals[terminal.index].open?.pendingSensitiveStep = nil }
            noteActivity(terminal, at: now, into: &actions)
            actions.append(.record(record(.stepDone, terminal, session, step: step, account: account)))
            if let account, let subject = session.subject { linkAccount(account, subject: subject, terminal, session: id, at: now, into: &actions) }
            return
        }
        // A step committed in a locked or ended session is exactly the incident this guard exists
        // for: it is refused, raised, and its account link still counts.
        let inactive: (subject: Pseudonym?, state: SessionState)
        if let session = state.open, session.id == id {
            inactive = (session.subject, session.state)
        } else if let ended = state.ended(id) {
            inactive = (ended.subject, .ended)
        } else {
            refuse(.unknownSession, "terminal \(state.name) has no session \(id)", to: terminal, requestID, into: &actions)
            return
        }
        refuse(.sessionNotActive, "session \(id) is \(inactive.state.rawValue); the step must not be committed", to: terminal, requestID, into: &actions)
        actions.append(.record(AuditRecord(
            event: .stepDone, terminal: state.name, session: id, subject: inactive.subject, account: account,
            state: inactive.state, reason: .note(.inactiveSession), step: step
        )))
        raise(Anomaly(
            kind: .stepOnInactiveSession, terminal: state.name, session: id, subject: inactive.subject, account: account,
            reason: "step-done", detectedAt: now.wall, details: [AnomalyDetail("step", step.rawValue)]
        ), into: &actions)
        if let account, let subject = inactive.subject { linkAccount(account, subject: subject, terminal, session: id, at: now, into: &actions) }
    }

    private mutating func linkAccount(
        _ account: Pseudonym, subject: Pseudonym, _ terminal: TerminalID, session: SessionID, at now: Moment,
        into actions: inout [EngineAction]
    ) {
        let others = accounts.link(account, to: subject, at: now.wall)
        actions.append(.linkAccount(account: account, subject: subject, at: now.wall))
        guard !others.isEmpty else { return }
        raise(Anomaly(
            kind: .accountMultipleSubjects, terminal: terminals[terminal.index].name, session: session, subject: subject,
            account: account, detectedAt: now.wall, details: others.map { AnomalyDetail("other_subject", $0.description) }
        ), into: &actions)
    }
}
