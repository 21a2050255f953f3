import Dispatch
import Synchronization
import Systemd

/// Hands journal entries to journald from a thread of its own, in order. `sd_journal_sendv`
/// costs some 20 µs an entry here, so when thousands of sessions lock at once, writing their
/// records on the event loop would hold back every lock behind them. Entries queued while the
/// thread is writing join its current batch, so a burst costs one wakeup, not one per entry.
/// Up to `limit` items wait; beyond that a caller waits until one is written (backpressure, one
/// item at a time, so a producer faster than journald is slowed to its pace, not stopped), and
/// memory stays bounded and no entry is dropped or reordered.
public final class JournalQueue: Sendable {
    /// The process's queue: there is one journal connection per process.
    public static let shared = JournalQueue()

    /// Items that may wait before a caller is made to wait with them.
    static let limit = 16_384

    private enum Item {
        /// A built entry; `undelivered` runs if journald does not take it.
        case entry([(name: String, value: String)], undelivered: @Sendable () -> Void)
        /// Work that builds entries (see `perform`); what it sends is written at once, in place.
        case work(@Sendable () -> Void)
    }

    private struct Backlog {
        var items: [Item] = []
        /// Whether a drain is scheduled or running; only then do items wait.
        var draining = false
    }

    private let queue = DispatchQueue(label: "kioskguard.journal")
    private let onQueue = DispatchSpecificKey<Bool>()
    private let backlog = Mutex(Backlog())
    /// One permit per item that may wait.
    private let room = DispatchSemaphore(value: JournalQueue.limit)

    private init() {
        queue.setSpecific(key: onQueue, value: true)
    }

    /// Queues one entry; `undelivered` runs (on the queue's thread) if journald does not take it.
    func send(_ fields: [(name: String, value: String)], undelivered: @escaping @Sendable () -> Void) {
        // Sent by work running on the queue: its place in the order is the work's place.
        if DispatchQueue.getSpecific(key: onQueue) == true {
            if JournalWriter.send(fields) < 0 { undelivered() }
            return
        }
        enqueue(.entry(fields, undelivered: undelivered))
    }

    /// Runs `work`, which logs, on the queue's thread in the order of everything queued, so the
    /// caller does not spend its own time building the entries.
    func perform(_ work: @escaping @Sendable () -> Void) {
        // Only the queue's thread frees room, so it never waits for any.
        if DispatchQueue.getSpecific(key: onQueue) == true { return work() }
        enqueue(.work(work))
    }

    /// Returns once every item queued so far was handled: before the process exits.
    public func flush() {
        queue.sync {}
    }

    private func enqueue(_ item: Item) {
        room.wait()
        let startDrain = backlog.withLock { backlog -> Bool in
            backlog.items.append(item)
            defer { backlog.draining = true }
            return !backlog.draining
        }
        if startDrain { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            let batch = backlog.withLock { backlog -> [Item] in
                if backlog.items.isEmpty { backlog.draining = false }
                defer { backlog.items = [] }
                return backlog.items
            }
            if batch.isEmpty { return }
            for item in batch {
                switch item {
                case .entry(let fields, let undelivered): if JournalWriter.send(fields) < 0 { undelivered() }
                case .work(let work): work()
                }
                room.signal()
            }
        }
    }
}
