import KioskGuardCore
import KioskGuardTesting
import Testing

@Suite("Locking, confirmation and unlocking")
struct LockRulesTests {
    @Test("a confirmed lock needs no system action")
    func confirmedLock() {
        var harness = EngineHarness.withAliceSession()
        harness.advance(by: .seconds(120))
        harness.send(.locked(s1))
        harness.advance(by: .seconds(10))
        #expect(harness.enforcements.isEmpty)
        #expect(harness.anomalies().isEmpty)
    }

    @Test("a lock never confirmed escalates to the system actions after lock_confirm_timeout")
    func unconfirmedLock() {
        var harness = EngineHarness.withAliceSession(lockPlan: LockPlan(waitsForClient: true, systemActions: [.logind, .exec]))
        harness.advance(by: .seconds(120))
        harness.advance(by: .seconds(3) - .nanoseconds(1))
        #expect(harness.enforcements.isEmpty)
        harness.advance(by: .nanoseconds(1))
        #expect(harness.enforcements.map(\.command) == [.lock])
        #expect(harness.enforcements.first?.actions == [.logind, .exec])
        #expect(harness.enforcements.first?.reason == .lock(.idle))
        let anomaly = harness.anomalies(.lockUnconfirmed)
        #expect(anomaly.count == 1)
        #expect(anomaly.first?.severity == .high)
        #expect(anomaly.first?.subject == alice)
        // A late confirmation changes nothing, and the end of an escalated session is enforced too.
        harness.send(.locked(s1))
        harness.advance(by: .seconds(120))
        #expect(harness.enforcements.map(\.command) == [.lock, .terminate])
    }

    @Test("without the client action, system actions run at once")
    func systemFirst() {
        var harness = EngineHarness.withAliceSession(lockPlan: LockPlan(waitsForClient: false, systemActions: [.logind]))
        harness.advance(by: .seconds(120))
        #expect(harness.notices().last == .lock(s1, reason: .idle))
        #expect(harness.enforcements.map(\.command) == [.lock])
        harness.advance(by: .seconds(10))
        #expect(harness.anomalies().isEmpty)
    }

    @Test("activity on a locked session does not unlock it, and it ends as abandoned")
    func activityDoesNotUnlock() {
        var harness = EngineHarness.withAliceSession()
        harness.advance(by: .seconds(120))
        harness.send(.locked(s1))
        for _ in 0..<11 {
            harness.advance(by: .seconds(10))
            let caused = harness.send(.activity(s1))
            #expect(caused.contains { if case .notify(_, .refusal(.sessionNotActive, _, _)) = $0 { true } else { false } })
            #expect(harness.state == .locked)
        }
        harness.advance(by: .seconds(10))
        #expect(harness.openSession() == nil)
        #expect(harness.endReasons == ["abandoned"])
        #expect(harness.notices().last == .terminate(s1, reason: .abandoned))
    }

    @Test("auth.verified with the same subject unlocks")
    func sameSubjectUnlocks() {
        var harness = EngineHarness.withAliceSession()
        harness.advance(by: .seconds(120))
        harness.send(.locked(s1))
        harness.send(.authVerified(s1, subject: alice))
        #expect(harness.state == .active)
        #expect(harness.records(.sessionUnlocked).count == 1)
        // The idle clock restarts at the unlock: warned at 100 s, locked at 120 s.
        harness.advance(by: .seconds(119))
        #expect(harness.state == .warned)
        harness.advance(by: .seconds(1))
        #expect(harness.state == .locked)
    }

    @Test("auth.verified with another subject terminates and raises handover.subject-mismatch")
    func otherSubjectTerminates() {
        var harness = EngineHarness.withAliceSession()
        harness.advance(by: .seconds(120))
        harness.send(.authVerified(s1, subject: bob))
        #expect(harness.openSession() == nil)
        #expect(harness.endReasons == ["subject-mismatch"])
        let anomaly = harness.anomalies(.handoverSubjectMismatch)
        #expect(anomaly.count == 1)
        #expect(anomaly.first?.subject == alice)
        #expect(anomaly.first?.details.contains(AnomalyDetail("new_subject", bob.description)) == true)
    }

    @Test("the app may lock by itself; that needs no confirmation")
    func clientLock() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.locked(s1))
        #expect(harness.state == .locked)
        #expect(harness.records(.sessionLocked).map(\.reason) == [.lock(.client)])
        harness.advance(by: .seconds(5))
        #expect(harness.anomalies().isEmpty)
    }

    @Test("an admin lock is sent to the app; locking twice is refused")
    func adminLock() {
        var harness = EngineHarness.withAliceSession()
        let first = harness.apply(harness.engine.adminLock("counter-1", at: harness.clock.now()))
        #expect((try? first.get()) != nil)
        #expect(harness.notices().last == .lock(s1, reason: .admin))
        let second = harness.engine.adminLock("s-1", at: harness.clock.now())
        #expect(second == .failure(.alreadyLocked(s1)))
        #expect(harness.engine.adminLock("nowhere", at: harness.clock.now()) == .failure(.notFound("nowhere")))
    }

    @Test("a session id open on two terminals is ambiguous until the terminal is named")
    func ambiguousSession() {
        var harness = EngineHarness(terminals: [TerminalProfile(name: "counter-1"), TerminalProfile(name: "counter-2")])
        for name in ["counter-1", "counter-2"] {
            _ = harness.connect(name)
            _ = harness.send(.sessionBegin(s1, subject: alice, auth: AuthMethod("card+pin")), from: name)
        }
        #expect(harness.engine.adminTerminate(s1, at: harness.clock.now()) == .failure(.ambiguous(s1, terminals: ["counter-1", "counter-2"])))
        #expect(harness.engine.adminLock("s-1", at: harness.clock.now()) == .failure(.ambiguous(s1, terminals: ["counter-1", "counter-2"])))
        #expect(harness.engine.adminTerminate(s1, on: "counter-3", at: harness.clock.now()) == .failure(.notFound("s-1")))
        let ended = harness.apply(harness.engine.adminTerminate(s1, on: "counter-2", at: harness.clock.now()))
        #expect((try? ended.get()) != nil)
        #expect(harness.engine.terminals(holding: s1) == [harness.engine.terminal(named: "counter-1")!])
        #expect((try? harness.apply(harness.engine.adminTerminate(s1, at: harness.clock.now())).get()) != nil)
    }
}
