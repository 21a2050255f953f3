@testable import KioskGuardCore
import Testing

@Suite("Deadline queue")
struct DeadlineQueueTests {
    func at(_ seconds: Int64) -> MonotonicInstant { MonotonicInstant(nanoseconds: seconds * 1_000_000_000) }

    @Test("pops deadlines in time order, only when due")
    func ordering() {
        var queue = DeadlineQueue()
        let times: [Int64] = [50, 10, 40, 20, 30, 60, 5]
        for (index, time) in times.enumerated() { queue.schedule(TerminalID(index), at: at(time)) }
        #expect(queue.popDue(at: at(4)) == nil)
        var popped: [Int64] = []
        while let terminal = queue.popDue(at: at(100)) { popped.append(times[terminal.index]) }
        #expect(popped == times.sorted())
        #expect(queue.count == 0)
    }

    @Test("moves a deadline earlier and later, and cancels from the middle")
    func updateAndCancel() {
        var queue = DeadlineQueue()
        for index in 0..<8 { queue.schedule(TerminalID(index), at: at(Int64(10 + index))) }
        queue.schedule(TerminalID(7), at: at(1))
        #expect(queue.earliest?.terminal == TerminalID(7))
        queue.schedule(TerminalID(7), at: at(100))
        #expect(queue.earliest?.terminal == TerminalID(0))
        queue.cancel(TerminalID(3))
        queue.cancel(TerminalID(3))
        #expect(queue.deadline(of: TerminalID(3)) == nil)
        var order: [Int] = []
        while let terminal = queue.popDue(at: at(1000)) { order.append(terminal.index) }
        #expect(order == [0, 1, 2, 4, 5, 6, 7])
    }

    @Test("stays a valid heap under random operations")
    func randomized() {
        var queue = DeadlineQueue()
        var model: [Int: Int64] = [:]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let terminal = Int.random(in: 0..<64, using: &generator)
            if Bool.random(using: &generator) {
                let time = Int64.random(in: 0..<1_000, using: &generator)
                queue.schedule(TerminalID(terminal), at: at(time))
                model[terminal] = time
            } else {
                queue.cancel(TerminalID(terminal))
                model[terminal] = nil
            }
            #expect(queue.earliest.map { at(model.values.min()!) == $0.deadline } ?? model.isEmpty)
        }
    }
}
