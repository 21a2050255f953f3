import NIOCore

/// Holds the kiosk apps' connections unread while the journal's backlog is pressed, and lets
/// them all go when it is relieved: a peer faster than journald is slowed to its pace without
/// the event loop ever waiting, so deadlines still fire and sessions still lock while journald
/// is slow or stalled. One per event loop, shared by its connections (each asks after a read,
/// and holds its `ReadSwitch` while told to); used on the loop only.
final class JournalReadGate {
    private let backlog: any JournalBacklog
    private let eventLoop: any EventLoop
    private var held: [() -> Void] = []
    private var awaitingRelief = false

    init(backlog: any JournalBacklog, eventLoop: any EventLoop) {
        self.backlog = backlog
        self.eventLoop = eventLoop
    }

    /// Whether connections are held now; asked before `holds`, which builds what it keeps.
    var isPressed: Bool {
        awaitingRelief || backlog.isPressed
    }

    /// Holds `resume` until the backlog is relieved and returns true, or returns false at once
    /// when it is not pressed (the caller reads now).
    func holds(_ resume: @escaping () -> Void) -> Bool {
        eventLoop.assertInEventLoop()
        if !awaitingRelief {
            let gate = NIOLoopBound(self, eventLoop: eventLoop)
            let loop = eventLoop
            guard backlog.whenRelieved({ loop.execute { gate.value.release() } }) else { return false }
            awaitingRelief = true
        }
        held.append(resume)
        return true
    }

    private func release() {
        awaitingRelief = false
        let resumed = held
        held = []
        for resume in resumed { resume() }
    }
}
