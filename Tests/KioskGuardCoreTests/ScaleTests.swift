@testable import KioskGuardCore
import KioskGuardTesting
import Testing

@Suite("Scale")
struct ScaleTests {
    @Test("100,000 sessions: activity does no timer work, and every session locks on time")
    func hundredThousandSessions() {
        let count = 100_000
        var harness = EngineHarness(terminals: (0..<count).map { TerminalProfile(name: "t\($0)") })
        harness.checksInvariants = false
        let terminals = (0..<count).map { TerminalID($0) }
        let sessions = (0..<count).map { SessionID("s\($0)") }
        var engine = harness.engine
        var now = harness.clock.now()
        for index in 0..<count {
            _ = engine.connect(terminals[index], at: now)
            _ = engine.handle(.sessionBegin(sessions[index], subject: alice, auth: nil), from: terminals[index], at: now)
        }
        #expect(engine.invariantViolations(at: now).isEmpty)

        // Activity on every session, twice: the heap is never touched.
        now = harness.clock.advance(by: .seconds(30))
        let before = engine.timerStatistics
        for round in 0..<2 {
            for index in 0..<count {
                let actions = engine.handle(.activity(sessions[index]), from: terminals[index], at: now)
                #expect(actions.isEmpty, "round \(round), session \(index)")
            }
        }
        #expect(engine.timerStatistics == before)
        #expect(engine.invariantViolations(at: now).isEmpty)

        // The first deadline is the original warning time, now early: firing it only re-arms.
        now = harness.clock.advance(by: .seconds(70))
        let rearmed = engine.advance(to: now)
        #expect(rearmed.isEmpty)
        #expect(engine.invariantViolations(at: now).isEmpty)

        // 120 s after the last activity, every session is warned and then locked, none twice.
        now = harness.clock.advance(by: .seconds(30))
        let warned = engine.advance(to: now)
        #expect(warned.count { if case .notify(_, .warn) = $0 { true } else { false } } == count)
        now = harness.clock.advance(by: .seconds(20))
        let locked = engine.advance(to: now)
        #expect(locked.count { if case .notify(_, .lock(_, .idle)) = $0 { true } else { false } } == count)
        #expect(engine.openSessions(at: now).allSatisfy { $0.state == .locked })
        #expect(engine.census == EngineCensus(terminals: count, connected: count, sessions: [.active: 0, .warned: 0, .locked: count]))
        #expect(engine.invariantViolations(at: now).isEmpty)
    }

    @Test("heap work per reschedule grows with log n, not n")
    func logarithmicReschedule() {
        func siftStepsPerUpdate(_ count: Int) -> Double {
            var queue = DeadlineQueue()
            for index in 0..<count { queue.schedule(TerminalID(index), at: MonotonicInstant(nanoseconds: Int64(index))) }
            let before = queue.statistics
            for index in 0..<1_000 {
                queue.schedule(TerminalID(index * (count / 1_000)), at: MonotonicInstant(nanoseconds: Int64(count + index)))
            }
            return Double(queue.statistics.siftSteps - before.siftSteps) / 1_000
        }
        let small = siftStepsPerUpdate(1_000), large = siftStepsPerUpdate(100_000)
        // log2(100,000) / log2(1,000) ≈ 1.67; linear growth would be 100.
        #expect(large <= small * 2 + 1, "sift steps per update: \(small) at 1,000, \(large) at 100,000")
    }
}
