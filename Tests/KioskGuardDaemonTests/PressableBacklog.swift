@testable import KioskGuardDaemon
import Synchronization

/// A stand-in for the journal's queue that a test presses and relieves, as a journald that stops
/// reading and one that catches up would.
final class PressableBacklog: JournalBacklog {
    private struct State {
        var pressed = false
        var relief: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// Too many entries wait from now on.
    func press() {
        state.withLock { $0.pressed = true }
    }

    /// The entries were written: whoever waited is told.
    func relieve() {
        let relief = state.withLock { state -> [@Sendable () -> Void] in
            state.pressed = false
            defer { state.relief = [] }
            return state.relief
        }
        for relieved in relief { relieved() }
    }

    var isPressed: Bool {
        state.withLock { $0.pressed }
    }

    func whenRelieved(_ relieved: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard state.pressed else { return false }
            state.relief.append(relieved)
            return true
        }
    }
}
