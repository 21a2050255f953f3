/// What the event loop needs of the journal's queue to stop reading peers while too many entries
/// wait for journald: `JournalQueue`, or a test's stand-in.
protocol JournalBacklog: AnyObject, Sendable {
    /// Whether too many entries wait now: a cheap look, for the common case; `whenRelieved`
    /// decides.
    var isPressed: Bool { get }

    /// If the backlog is pressed (too many entries wait), keeps `relieved`, to be run once on any
    /// thread when it is no longer, and returns true; returns false if it is not pressed.
    func whenRelieved(_ relieved: @escaping @Sendable () -> Void) -> Bool
}

/// Whether a backlog is pressed, and who waits to be told when it no longer is: what a
/// `JournalBacklog` keeps under its lock.
struct BacklogPressure {
    /// Whether too many entries wait.
    private(set) var isPressed = false
    private var relief: [@Sendable () -> Void] = []

    /// Too many entries wait from now on.
    mutating func press() {
        isPressed = true
    }

    /// Keeps `relieved` and returns true while pressed; returns false otherwise.
    mutating func whenRelieved(_ relieved: @escaping @Sendable () -> Void) -> Bool {
        guard isPressed else { return false }
        relief.append(relieved)
        return true
    }

    /// Ends the pressure; returns whom to tell, to be told outside the lock.
    mutating func relieve() -> [@Sendable () -> Void] {
        isPressed = false
        defer { relief = [] }
        return relief
    }
}
