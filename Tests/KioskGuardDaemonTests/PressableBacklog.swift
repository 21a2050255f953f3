@testable import KioskGuardDaemon
import Synchronization

/// A stand-in for the journal's queue that a test presses and relieves, as a journald that stops
/// reading and one that catches up would; relief runs on the test's thread, where the embedded
/// event loop may be used.
final class PressableBacklog: JournalBacklog {
    private let pressure = Mutex(BacklogPressure())

    /// Too many entries wait from now on.
    func press() {
        pressure.withLock { $0.press() }
    }

    /// The entries were written: whoever waited is told.
    func relieve() {
        for relieved in pressure.withLock({ $0.relieve() }) { relieved() }
    }

    var isPressed: Bool {
        pressure.withLock { $0.isPressed }
    }

    func whenRelieved(_ relieved: @escaping @Sendable () -> Void) -> Bool {
        pressure.withLock { $0.whenRelieved(relieved) }
    }
}
