/// One pending deadline per terminal, ordered by time: an indexed binary min-heap.
///
/// Scheduling, moving and cancelling a terminal's deadline cost O(log n); finding the next one
/// costs O(1). The engine keeps this cost off the hot path: activity only moves a deadline later,
/// and a deadline that is merely early is left in place and re-armed when it fires (see
/// `SessionEngine+Deadlines.swift`), so an activity event does no heap work at all.
public struct DeadlineQueue: Sendable {
    private var heap: [Entry] = []
    /// Heap slot of each terminal, or -1 when it has no deadline; indexed by `TerminalID.index`.
    private var slots: [Int32] = []

    private struct Entry: Sendable {
        var deadline: MonotonicInstant
        var terminal: TerminalID
    }

    /// Counters of the work done, for benchmarks and for tests that prove the hot path does none.
    public struct Statistics: Hashable, Sendable {
        /// Calls that inserted, moved or removed an entry.
        public var updates = 0
        /// Entries moved while restoring heap order.
        public var siftSteps = 0
    }

    /// The work done so far.
    public private(set) var statistics = Statistics()

    /// An empty queue.
    public init() {}

    /// The number of pending deadlines.
    public var count: Int { heap.count }

    /// The earliest pending deadline.
    public var earliest: (terminal: TerminalID, deadline: MonotonicInstant)? {
        heap.first.map { ($0.terminal, $0.deadline) }
    }

    /// The deadline pending for `terminal`, if any.
    public func deadline(of terminal: TerminalID) -> MonotonicInstant? {
        guard terminal.index < slots.count, slots[terminal.index] >= 0 else { return nil }
        return heap[Int(slots[terminal.index])].deadline
    }

    /// Sets `terminal`'s deadline to `deadline`, inserting or moving it.
    public mutating func schedule(_ terminal: TerminalID, at deadline: MonotonicInstant) {
        statistics.updates += 1
        while slots.count <= terminal.index { slots.append(-1) }
        let slot = Int(slots[terminal.index])
        if slot < 0 {
            heap.append(Entry(deadline: deadline, terminal: terminal))
            slots[terminal.index] = Int32(heap.count - 1)
            siftUp(heap.count - 1)
        } else {
            let earlier = deadline < heap[slot].deadline
            heap[slot].deadline = deadline
            if earlier { siftUp(slot) } else { siftDown(slot) }
        }
    }

    /// Removes `terminal`'s deadline, if it has one.
    public mutating func cancel(_ terminal: TerminalID) {
        guard terminal.index < slots.count else { return }
        let slot = Int(slots[terminal.index])
        guard slot >= 0 else { return }
        statistics.updates += 1
        slots[terminal.index] = -1
        let last = heap.removeLast()
        guard slot < heap.count else { return }
        heap[slot] = last
        slots[last.terminal.index] = Int32(slot)
        siftDown(slot)
        siftUp(slot)
    }

    /// Removes and returns the earliest deadline if it is due at `now`.
    public mutating func popDue(at now: MonotonicInstant) -> TerminalID? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        cancel(first.terminal)
        return first.terminal
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            swapEntries(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            let right = left + 1
            let smaller = right < heap.count && heap[right].deadline < heap[left].deadline ? right : left
            guard heap[smaller].deadline < heap[parent].deadline else { break }
            swapEntries(parent, smaller)
            parent = smaller
        }
    }

    private mutating func swapEntries(_ first: Int, _ second: Int) {
        statistics.siftSteps += 1
        heap.swapAt(first, second)
        slots[heap[first].terminal.index] = Int32(first)
        slots[heap[second].terminal.index] = Int32(second)
    }
}
