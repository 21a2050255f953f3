/// The connections one socket holds, by peer uid, and whether a new one may stay under the
/// limits in force. Pure: the gate feeds it what happens to each connection.
struct ConnectionBudget {
    /// What is decided about a new connection.
    enum Verdict: Equatable {
        /// It may stay; keep the ticket until it closes.
        case admitted(Ticket)
        /// The socket holds as many connections as it may.
        case overTotal(limit: Int)
        /// Its uid holds as many unbound connections as it may.
        case overUID(limit: Int)
    }

    /// One admitted connection, as counted: handed back when it is bound and when it closes, so
    /// it is released exactly as it was counted even across a reload that changes the limits.
    struct Ticket: Equatable {
        let uid: UInt32
        let named: Bool
        fileprivate(set) var bound = false
    }

    private(set) var open = 0
    private var unnamedOpen = 0
    private var unboundByUID: [UInt32: Int] = [:]

    /// Counts a new connection of `uid` when `limits` allow it.
    mutating func admit(uid: UInt32, under limits: ConnectionLimits) -> Verdict {
        guard open < limits.total else { return .overTotal(limit: limits.total) }
        let named = limits.isNamed(uid)
        if !named, unnamedOpen >= limits.total - limits.reserved { return .overTotal(limit: limits.total - limits.reserved) }
        let unbound = unboundByUID[uid, default: 0]
        let limit = limits.unboundLimit(of: uid)
        guard unbound < limit else { return .overUID(limit: limit) }
        unboundByUID[uid] = unbound + 1
        open += 1
        if !named { unnamedOpen += 1 }
        return .admitted(Ticket(uid: uid, named: named))
    }

    /// The connection of `ticket` is bound to a terminal: it no longer counts against its uid.
    mutating func bind(_ ticket: inout Ticket) {
        guard !ticket.bound else { return }
        ticket.bound = true
        releaseUnbound(ticket.uid)
    }

    /// The connection of `ticket` is gone.
    mutating func close(_ ticket: Ticket) {
        open -= 1
        if !ticket.named { unnamedOpen -= 1 }
        if !ticket.bound { releaseUnbound(ticket.uid) }
    }

    /// Unbound connections `uid` holds now.
    func unbound(of uid: UInt32) -> Int {
        unboundByUID[uid, default: 0]
    }

    private mutating func releaseUnbound(_ uid: UInt32) {
        let left = unboundByUID[uid, default: 1] - 1
        unboundByUID[uid] = left > 0 ? left : nil
    }
}
