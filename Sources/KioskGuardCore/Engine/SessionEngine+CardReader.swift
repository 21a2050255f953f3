// Card rules: the kiosk app's card events, and the reader the daemon watches itself. Where a
// reader is watched it wins: the app's card events then only count when they agree with it.

/// What the daemon's own watch of a terminal's PC/SC reader saw.
public enum ReaderReport: Hashable, Sendable {
    /// A card is in the reader; `card` is the pseudonym of its identity.
    case cardPresent(card: Pseudonym)
    /// No card is in the reader, or the reader itself is gone.
    case cardAbsent
}

extension SessionEngine {
    /// Applies what the watched reader of `terminal` reports at `now`. A report that repeats the
    /// known state changes nothing, so the watcher may report again after reconnecting to pcscd.
    public mutating func readerReported(_ report: ReaderReport, on terminal: TerminalID, at now: Moment) -> [EngineAction] {
        var actions: [EngineAction] = []
        catchUp(terminal, at: now, into: &actions)
        switch report {
        case .cardPresent(let card):
            guard terminals[terminal.index].reader != .present(card: card) else { break }
            terminals[terminal.index].reader = .present(card: card)
            if let session = terminals[terminal.index].open {
                if let bound = session.readerCard, bound != card {
                    handOver(terminal, session, .cardSwap, anomaly: .handoverCardSwap, newSubject: card, at: now, into: &actions)
                } else {
                    terminals[terminal.index].open?.readerCard = card
                }
            }
            // On a card-bound terminal the card is the session: the newcomer's card, after a
            // swap ended the session before it, begins one of its own.
            if terminals[terminal.index].profile.sessionSource == .card, terminals[terminal.index].open == nil {
                beginSession(Self.cardSessionID(at: now), subject: card, auth: Self.cardAuth, terminal, nil, at: now, into: &actions)
            }
        case .cardAbsent:
            guard terminals[terminal.index].reader != .absent else { break }
            terminals[terminal.index].reader = .absent
            applyCardRemoval(terminal, at: now, into: &actions)
        }
        ensureDeadline(terminal, at: now)
        return actions
    }

    /// How a card-bound session's person authenticated: by the card in the reader.
    static let cardAuth = AuthMethod("card")

    /// The id of a session a card begins at `now`: `card-` and the wall clock's milliseconds in
    /// base 36, unique per terminal across restarts. (In decimal, 13 digits in a row would look
    /// like an identification number to anyone scanning the journal for leaks.)
    static func cardSessionID(at now: Moment) -> SessionID {
        SessionID("card-" + String(now.wall.nanosecondsSinceEpoch / 1_000_000, radix: 36))
    }

    /// `card.inserted` from the app. With a reporting reader, it only cross-checks.
    mutating func cardInserted(_ subject: Pseudonym, _ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        switch terminals[terminal.index].reader {
        case .absent:
            raiseCardStateMismatch(terminal, "app-reports-present", at: now, into: &actions)
            return
        case .present:
            break
        case .notWatched, .unknown:
            terminals[terminal.index].card = .present(subject)
        }
        guard let session = terminals[terminal.index].open, let owner = session.subject, owner != subject else { return }
        handOver(terminal, session, .cardSwap, anomaly: .handoverCardSwap, newSubject: subject, at: now, into: &actions)
    }

    /// `card.removed` from the app. With a reporting reader, it only cross-checks.
    mutating func cardRemoved(_ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        switch terminals[terminal.index].reader {
        case .present:
            raiseCardStateMismatch(terminal, "app-reports-absent", at: now, into: &actions)
        case .absent:
            break
        case .notWatched, .unknown:
            terminals[terminal.index].card = .absent
            applyCardRemoval(terminal, at: now, into: &actions)
        }
    }

    /// Whether the session's own card is in the reader, as far as the terminal reports cards.
    func sessionCardIsPresent(_ session: Session, _ state: TerminalState) -> Bool {
        switch state.reader {
        case .present(let card): return card == session.readerCard
        case .absent: return false
        case .notWatched, .unknown:
            if case .present(let card) = state.card { return session.subject == nil || card == session.subject }
            return state.card == .unreported
        }
    }

    /// The subject of the card the app reports in the reader, when it is not the session's
    /// person. (A watched reader's cards are known by their own identity, not the person's, so
    /// only the app's reports can be compared.)
    func cardOfAnotherSubject(_ session: Session, _ state: TerminalState) -> Pseudonym? {
        guard case .present(let card) = state.card, let subject = session.subject, card != subject else { return nil }
        switch state.reader {
        case .notWatched, .unknown: return card
        case .present, .absent: return nil
        }
    }

    /// The card the watched reader holds when a session begins, bound to that session.
    func readerCardAtBegin(_ terminal: TerminalID) -> Pseudonym? {
        if case .present(let card) = terminals[terminal.index].reader { return card }
        return nil
    }

    private mutating func applyCardRemoval(_ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        guard let session = terminals[terminal.index].open else { return }
        switch terminals[terminal.index].policy.onCardRemoved {
        case .lock where session.isInUse: lock(terminal, .cardRemoved, at: now, into: &actions)
        case .lock: break
        case .terminate: end(terminal, .cardRemoved, at: now, into: &actions)
        }
    }

    /// `reason` says which way the app disagrees: `app-reports-present` or `app-reports-absent`.
    private mutating func raiseCardStateMismatch(_ terminal: TerminalID, _ reason: String, at now: Moment, into actions: inout [EngineAction]) {
        let session = terminals[terminal.index].open
        raise(Anomaly(kind: .cardStateMismatch, terminal: terminals[terminal.index].name, session: session?.id, subject: session?.subject,
                      reason: reason, detectedAt: now.wall), into: &actions)
    }
}
