import Dispatch
import Synchronization
import Systemd

/// Hands journal entries to journald from a thread of its own, in order. `sd_journal_sendv`
/// costs some 20 µs an entry here, so when thousands of sessions lock at once, writing their
/// records on the event loop would hold back every lock behind them. Entries queued while the
/// thread is writing join its current batch, so a burst costs one wakeup, not one per entry.
///
/// Nobody who queues ever waits: `sd_journal_sendv` blocks while journald does not read, and a
/// waiting event loop would lock no session. Instead, once `limit` items wait the queue is
/// *pressed*, and the event loop stops reading its peers (`JournalReadGate`) until fewer wait,
/// so a peer faster than journald is slowed to its pace while deadlines still fire. What is
/// queued beyond the limit is what reads already taken and timers produce, so memory stays
/// bounded, and no entry is dropped or reordered.
public final class JournalQueue: JournalBacklog {
    /// The process's queue: there is one journal connection per process.
    public static let shared = JournalQueue()

    /// Items that may wait before the queue is pressed.
    private let limit: Int

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
        /// Items queued and not yet handled, the current batch's included.
        var waiting = 0
        /// Pressed once `waiting` reaches the limit, until it is counted below it.
        var pressure = BacklogPressure()
    }

    /// Items handled between two updates of the count that decides the pressure: reading
    /// resumes once this many are written (some 1.5 ms of journald's time at most), so a pressed
    /// queue paces the peers much as a full one would, and the writer takes the lock and wakes
    /// the loop once in 64 entries, not once an entry.
    private let countEvery: Int

    private let queue = DispatchQueue(label: "kioskguard.journal")
    private let onQueue = DispatchSpecificKey<Bool>()
    private let backlog = Mutex(Backlog())
    private let write: @Sendable ([(name: String, value: String)]) -> Int32

    /// A queue pressed at `limit` waiting items, handing entries to `write` (journald's).
    init(limit: Int = 16_384, write: @escaping @Sendable ([(name: String, value: String)]) -> Int32 = { JournalWriter.send($0) }) {
        self.limit = limit
        self.write = write
        countEvery = max(1, min(64, limit / 8))
        queue.setSpecific(key: onQueue, value: true)
    }

    /// Queues one entry; `undelivered` runs (on the queue's thread) if journald does not take it.
    func send(_ fields: [(name: String, value: String)], undelivered: @escaping @Sendable () -> Void) {
        // Sent by work running on the queue: its place in the order is the work's place.
        if DispatchQueue.getSpecific(key: onQueue) == true {
            if write(fields) < 0 { undelivered() }
            return
        }
        enqueue(.entry(fields, undelivered: undelivered))
    }

    /// Runs `work`, which logs, on the queue's thread in the order of everything queued, so the
    /// caller does not spend its own time building the entries.
    func perform(_ work: @escaping @Sendable () -> Void) {
        if DispatchQueue.getSpecific(key: onQueue) == true { return work() }
        enqueue(.work(work))
    }

    /// Returns once every item queued so far was handled: before the process exits.
    public func flush() {
        queue.sync {}
    }

    var isPressed: Bool {
        backlog.withLock { $0.pressure.isPressed }
    }

    func whenRelieved(_ relieved: @escaping @Sendable () -> Void) -> Bool {
        backlog.withLock { $0.pressure.whenRelieved(relieved) }
    }

    private func enqueue(_ item: Item) {
        let startDrain = backlog.withLock { backlog -> Bool in
            backlog.items.append(item)
            backlog.waiting += 1
            if backlog.waiting >= limit { backlog.pressure.press() }
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
            var uncounted = 0
            for item in batch {
                switch item {
                case .entry(let fields, let undelivered): if write(fields) < 0 { undelivered() }
                case .work(let work): work()
                }
                uncounted += 1
                if uncounted == countEvery {
                    handled(uncounted)
                    uncounted = 0
                }
            }
            handled(uncounted)
        }
    }

    /// Counts `count` items as written, and tells whoever waits for relief once fewer than the
    /// limit wait.
    private func handled(_ count: Int) {
        let relieved = backlog.withLock { backlog -> [@Sendable () -> Void] in
            backlog.waiting -= count
            guard backlog.pressure.isPressed, backlog.waiting < limit else { return [] }
            return backlog.pressure.relieve()
        }
        for relief in relieved { relief() }
    }
}
