import Dispatch
@testable import KioskGuardDaemon
import Synchronization
import Testing

/// A journald that takes entries only when the test lets it, and keeps what it took.
private final class StalledJournal: Sendable {
    private let permits = DispatchSemaphore(value: 0)
    let written = Mutex<[String]>([])

    func write(_ fields: [(name: String, value: String)]) -> Int32 {
        // Bounded, so a failing test ends instead of leaving the queue's thread stuck.
        guard permits.wait(timeout: .now() + .seconds(10)) == .success else { return -1 }
        written.withLock { $0.append(fields[0].value) }
        return 0
    }

    func take(_ count: Int) {
        for _ in 0..<count { permits.signal() }
    }
}

/// Counts reliefs.
private final class Reliefs: Sendable {
    let count = Mutex(0)
    let done = DispatchSemaphore(value: 0)
    func relieved() {
        count.withLock { $0 += 1 }
        done.signal()
    }
}

@Suite("Journal queue: pressed, never waited on")
struct JournalQueueTests {
    @Test(.timeLimit(.minutes(1)))
    func aStalledJournaldNeverMakesTheCallerWaitAndNothingIsLostOrReordered() {
        let journal = StalledJournal()
        let queue = JournalQueue(limit: 8) { journal.write($0) }
        let reliefs = Reliefs()
        #expect(!queue.whenRelieved { reliefs.relieved() }, "an empty queue is pressed")
        // Far past the limit while journald takes nothing: each send returns at once.
        for index in 0..<100 { queue.send([("MESSAGE", "\(index)")]) {} }
        #expect(queue.whenRelieved { reliefs.relieved() }, "100 entries waiting and the queue of 8 is not pressed")
        journal.take(100)
        #expect(reliefs.done.wait(timeout: .now() + .seconds(10)) == .success, "no relief once everything was written")
        queue.flush()
        #expect(reliefs.count.withLock { $0 } == 1)
        #expect(journal.written.withLock { $0 } == (0..<100).map(String.init))
        #expect(!queue.whenRelieved { reliefs.relieved() }, "still pressed once everything was written")
    }

    @Test(.timeLimit(.minutes(1)))
    func reliefComesOnceFewerThanTheLimitWait() {
        let journal = StalledJournal()
        let queue = JournalQueue(limit: 8) { journal.write($0) }
        let writtenAtRelief = Mutex<Int?>(nil)
        let relieved = DispatchSemaphore(value: 0)
        for index in 0..<12 { queue.send([("MESSAGE", "\(index)")]) {} }
        #expect(queue.whenRelieved {
            writtenAtRelief.withLock { $0 = journal.written.withLock { $0.count } }
            relieved.signal()
        })
        // Five written leave seven of the twelve waiting: relief, with the rest still stalled.
        journal.take(5)
        #expect(relieved.wait(timeout: .now() + .seconds(10)) == .success, "no relief with seven of twelve waiting")
        #expect(writtenAtRelief.withLock { $0 } == 5)
        journal.take(7)
        queue.flush()
        #expect(journal.written.withLock { $0.count } == 12)
    }
}
