// Event rules: what each kiosk event does to the terminal's open session.

extension SessionEngine {
    /// Applies one event from `terminal`'s kiosk app at `now`. `requestID` is the message's `id`,
    /// echoed in any refusal. Deadlines of this terminal that are due at `now` apply first.
    public mutating func handle(_ event: KioskEvent, requestID: RequestID? = nil, from terminal: TerminalID, at now: Moment) -> [EngineAction] {
        var actions: [EngineAction] = []
        catchUp(terminal, at: now, into: &actions)
        switch event {
        case .activity(let id):
            // The hot path. Activity only moves deadlines later unless it cancels a warning, so a
            // session in use with no idle warning needs no deadline work at all: the stored
            // deadline may now be early, which is allowed (it is re-armed when it fires).
            if terminals[terminal.index].noteRoutineActivity(id, at: now.monotonic) { return actions }
            guard let session = openSession(id, terminal, requestID, &actions) else { break }
            if session.state == .locked {
                refuse(.sessionNotActive, "session \(session.id) is locked; only auth.verified unlocks it", to: terminal, requestID, into: &actions)
            } else {
                noteActivity(terminal, at: now, into: &actions)
            }
        case .sessionBegin(let session, let subject, let auth):
            // Without a subject: the watched reader's card, or an anonymous session where no reader is watched.
            let subject = subject ?? readerCardAtBegin(terminal)
            guard subject != nil || !terminals[terminal.index].profile.watchesCardReader else {
                refuse(.missingField, "session.begin without 'subject' takes the card in the reader of terminal "
                           + "\(terminals[terminal.index].name), and no card is there", to: terminal, requestID, into: &actions)
                break
            }
            beginSession(session, subject: subject, auth: auth, terminal, requestID, at: now, into: &actions)
        case .authVerified(let session, let subject):
            verify(session, subject: subject, terminal, requestID, at: now, into: &actions)
        case .cardInserted(let subject):
            cardInserted(subject, terminal, at: now, into: &actions)
        case .cardRemoved:
            cardRemoved(terminal, at: now, into: &actions)
        case .presence(let present):
            if present {
                terminals[terminal.index].presenceLostAt = nil
            } else if terminals[terminal.index].presenceLostAt == nil {
                terminals[terminal.index].presenceLostAt = now.monotonic
            }
        case .stepRequest(let request):
            decide(request, terminal, at: now, into: &actions)
        case .stepDone(let session, let step, let account):
            stepDone(session, step: step, account: account, terminal, requestID, at: now, into: &actions)
        case .locked(let session):
            guard let session = openSession(session, terminal, requestID, &actions) else { break }
            if session.state == .locked {
                terminals[terminal.index].open?.awaitingLockConfirmation = false
            } else {
                lock(terminal, .client, at: now, into: &actions)
            }
        case .sessionEnd(let session, let reason):
            guard openSession(session, terminal, requestID, &actions) != nil else { break }
            end(terminal, reason, tellClient: false, at: now, into: &actions)
        }
        ensureDeadline(terminal, at: now)
        return actions
    }

    /// The terminal's open session if it is `id`; otherwise refuses the request and returns nil.
    func openSession(_ id: SessionID, _ terminal: TerminalID, _ requestID: RequestID?, _ actions: inout [EngineAction]) -> Session? {
        let state = terminals[terminal.index]
        if let session = state.open, session.id == id { return session }
        if state.ended(id) != nil {
            refuse(.sessionNotActive, "session \(id) has ended", to: terminal, requestID, into: &actions)
        } else {
            refuse(.unknownSession, "terminal \(state.name) has no session \(id)", to: terminal, requestID, into: &actions)
        }
        return nil
    }

    func refuse(_ refusal: EngineRefusal, _ message: String, to terminal: TerminalID, _ requestID: RequestID?, into actions: inout [EngineAction]) {
        actions.append(.notify(terminal, .refusal(refusal, message: message, requestID: requestID)))
    }

    /// Input or navigation in a session in use: pushes the idle deadline and cancels an idle warning.
    mutating func noteActivity(_ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        terminals[terminal.index].open?.lastActivity = now.monotonic
        guard let session = terminals[terminal.index].open, session.idleWarned else { return }
        terminals[terminal.index].open?.idleWarned = false
        terminals[terminal.index].open?.settleWarnedState()
        if let resumed = terminals[terminal.index].open {
            actions.append(.record(record(.sessionResumed, terminal, resumed, reason: .warn(.idle))))
        }
    }

    mutating func beginSession(
        _ id: SessionID, subject: Pseudonym?, auth: AuthMethod?, _ terminal: TerminalID, _ requestID: RequestID?,
        at now: Moment, into actions: inout [EngineAction]
    ) {
        let state = terminals[terminal.index]
        if state.open?.id == id || state.ended(id) != nil {
            refuse(.badField, "session id \(id) was already used on terminal \(state.name)", to: terminal, requestID, into: &actions)
            return
        }
        if let previous = state.open {
            end(terminal, .superseded, at: now, into: &actions)
            if let previousSubject = previous.subject, let subject, previousSubject != subject {
                raise(anomaly(.handoverUnclosedSession, terminal, previous, reason: EndReason.superseded.rawValue, at: now,
                              details: [AnomalyDetail("new_subject", subject.description), AnomalyDetail("new_session", id.rawValue)]),
                      into: &actions)
            }
        }
        var session = Session(id: id, subject: subject, auth: auth, at: now)
        session.readerCard = readerCardAtBegin(terminal)
        terminals[terminal.index].open = session
        actions.append(.record(record(.sessionBegun, terminal, session, reason: auth.map { .auth($0.rawValue) })))
        actions.append(.persist(PersistedSession(terminal: state.name, session: id, subject: subject, begunAt: now.wall)))
        if let card = cardOfAnotherSubject(session, state) {
            // Begun for one person while another's card is in: the handover the guard exists for.
            raise(anomaly(.handoverSubjectMismatch, terminal, session, reason: StepDenial.subjectMismatch.rawValue, at: now,
                          details: [AnomalyDetail("card_subject", card.description)]),
                  into: &actions)
        }
    }

    private mutating func verify(
        _ id: SessionID, subject: Pseudonym, _ terminal: TerminalID, _ requestID: RequestID?, at now: Moment,
        into actions: inout [EngineAction]
    ) {
        guard let session = openSession(id, terminal, requestID, &actions) else { return }
        // An anonymous session has no person to compare: the verification only refreshes it.
        guard session.subject == nil || session.subject == subject else {
            handOver(terminal, session, .subjectMismatch, anomaly: .handoverSubjectMismatch, newSubject: subject, at: now, into: &actions)
            return
        }
        terminals[terminal.index].open?.lastVerified = now.monotonic
        if session.state == .locked {
            unlock(terminal, at: now, into: &actions)
        } else {
            noteActivity(terminal, at: now, into: &actions)
        }
    }

    /// Another person appeared in `session`: end it and raise the handover anomaly.
    mutating func handOver(
        _ terminal: TerminalID, _ session: Session, _ reason: EndReason, anomaly kind: AnomalyKind, newSubject: Pseudonym,
        at now: Moment, into actions: inout [EngineAction]
    ) {
        end(terminal, reason, at: now, into: &actions)
        raise(anomaly(kind, terminal, session, reason: reason.rawValue, at: now,
                      details: [AnomalyDetail("new_subject", newSubject.description)]),
              into: &actions)
    }
}
