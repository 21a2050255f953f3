// What an admin may do through the control socket: lock a terminal's session or end a session.

/// Why an admin action found nothing to act on.
public enum AdminRefusal: Error, Hashable, Sendable {
    /// No terminal or open session has that name.
    case notFound(String)
    /// The session is already locked.
    case alreadyLocked(SessionID)
    /// Sessions of that id are open on several terminals; the admin must name one.
    case ambiguous(SessionID, terminals: [String])
}

extension SessionEngine {
    /// The terminals holding an open session `session` (apps choose session ids, so two
    /// counters may both have a `u-1`).
    public func terminals(holding session: SessionID) -> [TerminalID] {
        terminals.indices.filter { terminals[$0].open?.id == session }.map(TerminalID.init)
    }

    /// The terminal an admin means by `target`: the terminal of that name when `byName`, else the
    /// one holding an open session of that id; with `terminalName`, only that terminal's.
    public func adminTarget(_ target: String, byName: Bool, on terminalName: String?) -> Result<TerminalID, AdminRefusal> {
        if let terminalName {
            guard let terminal = terminal(named: terminalName), byName && target == terminalName || terminals[terminal.index].open?.id == SessionID(target)
            else { return .failure(.notFound(target)) }
            return .success(terminal)
        }
        if byName, let terminal = terminal(named: target) { return .success(terminal) }
        let holding = terminals(holding: SessionID(target))
        guard let first = holding.first else { return .failure(.notFound(target)) }
        guard holding.count == 1 else { return .failure(.ambiguous(SessionID(target), terminals: holding.map(name(of:)))) }
        return .success(first)
    }

    /// Locks the open session of the terminal or session named `target` (on `terminalName`).
    public mutating func adminLock(_ target: String, on terminalName: String? = nil, at now: Moment) -> Result<[EngineAction], AdminRefusal> {
        adminTarget(target, byName: true, on: terminalName).flatMap { terminal in
            guard let session = terminals[terminal.index].open else { return .failure(.notFound(target)) }
            var actions: [EngineAction] = []
            catchUp(terminal, at: now, into: &actions)
            guard terminals[terminal.index].open?.state != .locked else { return .failure(.alreadyLocked(session.id)) }
            lock(terminal, .admin, at: now, into: &actions)
            ensureDeadline(terminal, at: now)
            return .success(actions)
        }
    }

    /// Ends the open session `session` (on `terminalName`) with reason `admin`.
    public mutating func adminTerminate(_ session: SessionID, on terminalName: String? = nil, at now: Moment) -> Result<[EngineAction], AdminRefusal> {
        adminTarget(session.rawValue, byName: false, on: terminalName).map { terminal in
            var actions: [EngineAction] = []
            end(terminal, .admin, at: now, into: &actions)
            return actions
        }
    }
}
