// Timed rules: idle warn and lock, sensitive idle limit, presence grace, lock confirmation,
// terminate after lock, max duration. A deadline is due when `now >= deadline`.

/// A timed state change and the instant it is due.
struct Transition: Sendable {
    enum Kind: Sendable {
        case warn(WarnReason, until: MonotonicInstant)
        case lock(LockReason)
        case escalateUnconfirmedLock
        case end(EndReason)
    }

    var kind: Kind
    var due: MonotonicInstant
}

extension SessionEngine {
    /// Carries out every deadline due at `now`, on every terminal.
    public mutating func advance(to now: Moment) -> [EngineAction] {
        var actions: [EngineAction] = []
        while let (terminal, deadline) = deadlines.earliest, deadline <= now.monotonic {
            applyDueTransitions(terminal, at: now, into: &actions)
            if terminals[terminal.index].open != nil { rearmDeadline(terminal, at: now) }
        }
        return actions
    }

    /// Carries out the deadlines of one terminal due at `now`, before an event of that terminal is
    /// applied: so an event exactly at a deadline meets the state the deadline made.
    mutating func catchUp(_ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        guard let stored = deadlines.deadline(of: terminal), stored <= now.monotonic else { return }
        applyDueTransitions(terminal, at: now, into: &actions)
        if terminals[terminal.index].open != nil { rearmDeadline(terminal, at: now) }
    }

    /// Makes sure the terminal's stored deadline is not later than its true next transition.
    /// O(1) and heap-free when it already is, which is the case for every plain activity event.
    mutating func ensureDeadline(_ terminal: TerminalID, at now: Moment) {
        guard let next = nextTransition(terminal, at: now)?.due else {
            deadlines.cancel(terminal)
            return
        }
        if let stored = deadlines.deadline(of: terminal), stored <= next { return }
        deadlines.schedule(terminal, at: next)
    }

    private mutating func rearmDeadline(_ terminal: TerminalID, at now: Moment) {
        if let next = nextTransition(terminal, at: now)?.due {
            deadlines.schedule(terminal, at: next)
        } else {
            deadlines.cancel(terminal)
        }
    }

    private mutating func applyDueTransitions(_ terminal: TerminalID, at now: Moment, into actions: inout [EngineAction]) {
        while let transition = nextTransition(terminal, at: now), transition.due <= now.monotonic {
            switch transition.kind {
            case .warn(let reason, let until): warn(terminal, reason, until: until, at: now, into: &actions)
            case .lock(let reason): lock(terminal, reason, at: now, into: &actions)
            case .escalateUnconfirmedLock: escalateUnconfirmedLock(terminal, at: now, into: &actions)
            case .end(let reason): end(terminal, reason, at: now, into: &actions)
            }
        }
    }

    /// The open session's earliest pending transition. Ties go to the more decisive one (end, then
    /// lock, then warn), and a warning whose lock or end is itself already due is skipped.
    func nextTransition(_ terminal: TerminalID, at now: Moment) -> Transition? {
        let state = terminals[terminal.index]
        guard let session = state.open else { return nil }
        let policy = state.policy
        var best: Transition?
        func consider(_ kind: Transition.Kind, at due: MonotonicInstant) {
            if best == nil || due < best!.due { best = Transition(kind: kind, due: due) }
        }

        let maxEnd = session.begunAt + policy.maxSession
        consider(.end(.maxDuration), at: maxEnd)
        if let lockedAt = session.lockedAt, session.state == .locked {
            consider(.end(.abandoned), at: lockedAt + policy.terminateAfterLock)
            if session.awaitingLockConfirmation {
                consider(.escalateUnconfirmedLock, at: lockedAt + policy.lockConfirmTimeout)
            }
            return best
        }

        let idleLock = session.lastActivity + session.idleLimit(policy)
        consider(.lock(.idle), at: idleLock)
        if let lostAt = state.presenceLostAt {
            consider(.lock(.presenceLost), at: max(lostAt, session.begunAt) + policy.presenceGrace)
        }
        if policy.warnBefore > .zero {
            if !session.idleWarned && idleLock > now.monotonic {
                consider(.warn(.idle, until: idleLock), at: idleLock - policy.warnBefore)
            }
            if !session.maxWarned && maxEnd > now.monotonic {
                consider(.warn(.maxDuration, until: maxEnd), at: maxEnd - policy.warnBefore)
            }
        }
        return best
    }
}
