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
