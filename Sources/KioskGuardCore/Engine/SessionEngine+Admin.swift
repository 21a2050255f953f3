// What an admin may do through the control socket: lock a terminal's session or end a session.

/// Why an admin action found nothing to act on.
public enum AdminRefusal: Error, Hashable, Sendable {
    /// No terminal or open session has that name.
    case notFound(String)
    /// The session is already locked.
    case alreadyLocked(SessionID)
}

extension SessionEngine {
    /// The terminal holding the open session `session`, if any.
    public func terminal(holding session: SessionID) -> TerminalID? {
        terminals.indices.first { terminals[$0].open?.id == session }.map(TerminalID.init)
    }

    /// Locks the open session of the terminal or session named `target`.
    public mutating func adminLock(_ target: String, at now: Moment) -> Result<[EngineAction], AdminRefusal> {
        guard let terminal = terminal(named: target) ?? terminal(holding: SessionID(target)),
              let session = terminals[terminal.index].open
        else { return .failure(.notFound(target)) }
        var actions: [EngineAction] = []
        catchUp(terminal, at: now, into: &actions)
        guard terminals[terminal.index].open?.state != .locked else { return .failure(.alreadyLocked(session.id)) }
        lock(terminal, .admin, at: now, into: &actions)
        ensureDeadline(terminal, at: now)
        return .success(actions)
    }

    /// Ends the open session `session` with reason `admin`.
    public mutating func adminTerminate(_ session: SessionID, at now: Moment) -> Result<[EngineAction], AdminRefusal> {
        guard let terminal = terminal(holding: session) else { return .failure(.notFound(session.rawValue)) }
        var actions: [EngineAction] = []
        end(terminal, .admin, at: now, into: &actions)
        return .success(actions)
    }
}
