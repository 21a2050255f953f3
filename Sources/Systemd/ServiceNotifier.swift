import Dispatch
import Synchronization

/// Hands notifications to the service manager from a thread of its own, so the event loop never
/// waits on them: `sd_notify` blocks while the manager's socket queue is full, and that queue
/// holds only `net.unix.max_dgram_qlen` datagrams (10 by default). A status update replaces one
/// still waiting, as does a watchdog ping, so a manager that stops reading costs a bounded queue.
public final class ServiceNotifier: Sendable {
    /// The process's notifier (there is one `NOTIFY_SOCKET` per process).
    public static let shared = ServiceNotifier()

    /// Notifications waiting beyond this many are dropped, oldest first; only a manager that
    /// stopped reading while the daemon reloaded dozens of times could get there.
    static let queueLimit = 64

    private let queue = DispatchQueue(label: "kioskguard.service-notifier")
    private let pending = Mutex<(states: [String], draining: Bool)>(([], false))

    /// Queues `state` (`READY=1`, `STATUS=…`, `WATCHDOG=1`, …) for the service manager.
    public func send(_ state: String) {
        let startDrain = pending.withLock { pending -> Bool in
            if let kind = Self.replaceableKind(of: state), let index = pending.states.firstIndex(where: { Self.replaceableKind(of: $0) == kind }) {
                pending.states[index] = state
            } else {
                pending.states.append(state)
                if pending.states.count > Self.queueLimit { pending.states.removeFirst() }
            }
            defer { pending.draining = true }
            return !pending.draining
        }
        if startDrain { queue.async { self.drain() } }
    }

    private func drain() {
        while let next = pending.withLock({ pending -> String? in
            if pending.states.isEmpty {
                pending.draining = false
                return nil
            }
            return pending.states.removeFirst()
        }) {
            ServiceManager.notify(next)
        }
    }

    /// A notification that only says the current state: a newer one makes it worthless.
    private static func replaceableKind(of state: String) -> String? {
        if state == "WATCHDOG=1" { return "WATCHDOG" }
        if state.hasPrefix("STATUS="), !state.contains("\n") { return "STATUS" }
        return nil
    }
}
