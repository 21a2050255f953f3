import Dispatch
import Synchronization
import Systemd

/// Hands journal entries to journald from a thread of its own, in order. `sd_journal_sendv`
/// costs some 20 µs an entry here, so when thousands of sessions lock at once, writing their
/// records on the event loop would hold back every lock behind them. Up to `limit` entries
/// wait; beyond that the caller waits for the queue (backpressure), so memory stays bounded and
/// no entry is dropped or reordered.
public final class JournalQueue: Sendable {
    /// The process's queue: there is one journal connection per process.
    public static let shared = JournalQueue()

    /// Entries that may wait before a caller is made to wait with them.
    static let limit = 16_384

    private let queue = DispatchQueue(label: "kioskguard.journal")
    private let waiting = Atomic<Int>(0)

    /// Queues one entry; `undelivered` runs (on the queue's thread) if journald does not take it.
    func send(_ fields: [(name: String, value: String)], undelivered: @escaping @Sendable () -> Void) {
        let write: @Sendable () -> Void = { [self] in
            if JournalWriter.send(fields) < 0 { undelivered() }
            waiting.subtract(1, ordering: .relaxed)
        }
        if waiting.add(1, ordering: .relaxed).newValue > Self.limit {
            queue.sync(execute: write)
        } else {
            queue.async(execute: write)
        }
    }

    /// Returns once every entry queued so far was handed to journald: before the process exits.
    public func flush() {
        queue.sync {}
    }
}
