import KioskGuardCore
import KioskGuardTesting
import Testing

@Suite("Idle, warning and maximum duration")
struct IdleRulesTests {
    @Test("warns warn_before ahead, then locks at idle_timeout")
    func warnThenLock() {
        var harness = EngineHarness.withAliceSession()
        harness.advance(by: .seconds(100) - .nanoseconds(1))
        #expect(harness.notices().isEmpty)
        harness.advance(by: .nanoseconds(1))
        #expect(harness.notices() == [.warn(s1, reason: .idle, lockIn: .seconds(20))])
        #expect(harness.state == .warned)
        harness.advance(by: .seconds(20) - .nanoseconds(1))
        #expect(harness.state == .warned)
        harness.advance(by: .nanoseconds(1))
        #expect(harness.notices().last == .lock(s1, reason: .idle))
        #expect(harness.state == .locked)
        #expect(harness.records(.sessionLocked).map(\.reason) == [.lock(.idle)])
    }

    @Test("activity cancels a warning; the next warning comes a full period later")
    func activityCancelsWarning() {
        var harness = EngineHarness.withAliceSession()
        harness.advance(by: .seconds(105))
        #expect(harness.state == .warned)
        harness.send(.activity(s1))
        #expect(harness.state == .active)
        #expect(harness.records(.sessionResumed).count == 1)
        harness.advance(by: .seconds(99))
        #expect(harness.notices().count { $0.isWarn } == 1)
        #expect(harness.state == .active)
        harness.advance(by: .seconds(1))
        #expect(harness.notices().count { $0.isWarn } == 2)
        #expect(!harness.notices().contains { $0.isLock })
    }

    @Test("activity just before the lock deadline keeps the session")
    func activityJustBeforeDeadline() {
        var harness = EngineHarness.withAliceSession()
        harness.advance(by: .seconds(120) - .nanoseconds(1))
        harness.send(.activity(s1))
        #expect(harness.state == .active)
        #expect(!harness.notices().contains { $0.isLock })
    }

    @Test("activity exactly at the lock deadline arrives too late: the deadline applies first")
    func activityExactlyAtDeadline() {
        var harness = EngineHarness(policy: SessionPolicy())
        harness.connect()
        harness.send(.sessionBegin(s1, subject: alice, auth: nil))
        // Move the clock without firing timers, as if the event won the race with the timer.
        harness.clock.advance(by: .seconds(120))
        let caused = harness.send(.activity(s1))
        #expect(harness.state == .locked)
        #expect(caused.contains(.notify(harness.terminal(), .lock(s1, reason: .idle))))
        #expect(caused.contains { if case .notify(_, .refusal(.sessionNotActive, _, _)) = $0 { true } else { false } })
        // The warning's own deadline had passed too; it is skipped rather than sent after the fact.
        #expect(!harness.notices().contains { $0.isWarn })
    }

    @Test("warn_before 0 locks without a warning")
    func noWarning() {
        var policy = SessionPolicy()
        policy.warnBefore = .zero
        var harness = EngineHarness.withAliceSession(policy: policy)
        harness.advance(by: .seconds(120))
        #expect(harness.notices() == [.lock(s1, reason: .idle)])
    }

    @Test("an allowed sensitive step shortens the idle limit until its step.done")
    func sensitiveIdleLimit() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.stepRequest(StepRequest(id: RequestID("r1"), session: s1, step: StepName("bank-account"), sensitive: true)))
        harness.advance(by: .seconds(40))
        #expect(harness.notices().last == .warn(s1, reason: .idle, lockIn: .seconds(20)))
        harness.send(.stepDone(s1, step: StepName("bank-account"), account: nil))
        harness.advance(by: .seconds(99))
        #expect(harness.state == .active)
        harness.advance(by: .seconds(21))
        #expect(harness.state == .locked)
    }

    @Test("a sensitive step left pending locks at sensitive_idle_timeout")
    func sensitiveIdleLock() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.stepRequest(StepRequest(id: RequestID("r1"), session: s1, step: StepName("bank-account"), sensitive: true)))
        harness.advance(by: .seconds(60))
        #expect(harness.state == .locked)
    }

    @Test("max_session warns, ignores activity, then terminates with max-duration")
    func maxDuration() {
        var harness = EngineHarness.withAliceSession()
        for _ in 0..<87 {
            harness.advance(by: .seconds(10))
            harness.send(.activity(s1))
        }
        #expect(harness.notices().isEmpty)
        harness.advance(by: .seconds(10))
        #expect(harness.notices() == [.warn(s1, reason: .maxDuration, lockIn: .seconds(20))])
        harness.send(.activity(s1))
        #expect(harness.state == .warned)
        harness.advance(by: .seconds(20))
        #expect(harness.notices().last == .terminate(s1, reason: .maxDuration))
        #expect(harness.endReasons == ["max-duration"])
        #expect(harness.openSession() == nil)
    }

    @Test("a locked session still ends at max_session")
    func maxDurationWhileLocked() {
        var policy = SessionPolicy()
        policy.terminateAfterLock = .seconds(3600)
        policy.maxSession = .seconds(300)
        var harness = EngineHarness.withAliceSession(policy: policy)
        harness.advance(by: .seconds(120))
        harness.send(.locked(s1))
        harness.advance(by: .seconds(180))
        #expect(harness.endReasons == ["max-duration"])
    }

    @Test("timers ignore the wall clock: a step of an hour neither fires nor skips a lock")
    func wallClockSteps() {
        var harness = EngineHarness.withAliceSession()
        harness.clock.stepWallClock(by: .seconds(3600))
        harness.advance(by: .seconds(60))
        #expect(harness.state == .active)
        harness.clock.stepWallClock(by: .seconds(-7200))
        harness.advance(by: .seconds(60))
        #expect(harness.state == .locked)
        #expect(harness.notices().count { $0.isWarn } == 1)
    }
}
