/// A terminal's live state: its kiosk app, card reader, presence sensor and open session.
struct TerminalState: Sendable {
    var profile: TerminalProfile
    var connected = false
    /// At most one open session per terminal: a new one supersedes the old.
    var open: Session?
    /// The last few ended sessions, so late requests get `session-ended`, not `unknown-session`.
    var recentlyEnded = BoundedHistory<EndedSession>(capacity: 8)
    /// Terminations the app has not heard of because it was disconnected; told on reconnect.
    var untoldEnds = BoundedHistory<EndedSession>(capacity: 8)
    var card: CardState = .unreported
    var reader: ReaderState
    var presenceLostAt: MonotonicInstant?

    init(profile: TerminalProfile) {
        self.profile = profile
        reader = profile.watchesCardReader ? .unknown : .notWatched
    }

    var name: String { profile.name }
    var policy: SessionPolicy { profile.policy }

    /// Records activity in place when no rule is involved: the open session is `id`, in use, and
    /// not warned for idleness. Returns false when the full event handling must run.
    mutating func noteRoutineActivity(_ id: SessionID, at now: MonotonicInstant) -> Bool {
        guard open != nil, open!.id == id, open!.isInUse, !open!.idleWarned else { return false }
        open!.lastActivity = now
        return true
    }

    func ended(_ session: SessionID) -> EndedSession? {
        recentlyEnded.last { $0.id == session }
    }
}

/// A session that ended recently, remembered so late requests about it are answered precisely.
struct EndedSession: Sendable {
    var id: SessionID
    var subject: Pseudonym?
    var reason: EndReason
}

/// What the terminal's reader says about the card.
enum CardState: Hashable, Sendable {
    /// The terminal never reported card events: card presence is not checked.
    case unreported
    case present(Pseudonym)
    case absent
}

/// What the daemon's own watch of the terminal's PC/SC reader says. The card is known by a
/// pseudonym of its identity (ATR or a configured APDU's answer), not by the person's subject.
enum ReaderState: Hashable, Sendable {
    /// No reader is configured for the terminal: the kiosk app's card events are all there is.
    case notWatched
    /// Watched, but not reported yet (pcscd starting or down): the app's events count meanwhile.
    case unknown
    case present(card: Pseudonym)
    case absent
}

/// The newest `capacity` values of a sequence; older ones are dropped.
struct BoundedHistory<Element: Sendable>: Sendable {
    let capacity: Int
    private(set) var elements: [Element] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func append(_ element: Element) {
        if elements.count == capacity { elements.removeFirst() }
        elements.append(element)
    }

    mutating func removeAll() { elements.removeAll() }

    func last(where predicate: (Element) -> Bool) -> Element? {
        elements.last(where: predicate)
    }
}
