import KioskGuardCore
import KioskGuardTesting
import Testing

@Suite("Handover: cards, presence and unclosed sessions")
struct HandoverRulesTests {
    @Test("card removal locks at once")
    func cardRemovedLocks() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.cardInserted(subject: alice))
        harness.advance(by: .seconds(10))
        let caused = harness.send(.cardRemoved)
        #expect(caused.contains(.notify(harness.terminal(), .lock(s1, reason: .cardRemoved))))
        #expect(harness.state == .locked)
    }

    @Test("card removal ends the session when the terminal says terminate")
    func cardRemovedTerminates() {
        var policy = SessionPolicy()
        policy.onCardRemoved = .terminate
        var harness = EngineHarness.withAliceSession(policy: policy)
        harness.send(.cardInserted(subject: alice))
        harness.send(.cardRemoved)
        #expect(harness.endReasons == ["card-removed"])
    }

    @Test("a session begun for one person while another's card is in the reader is a subject mismatch, and its sensitive steps are refused")
    func beginUnderAnotherPersonsCard() {
        var harness = EngineHarness(terminals: [TerminalProfile(name: "counter-1")])
        harness.connect()
        harness.send(.cardInserted(subject: bob))
        harness.send(.sessionBegin(s1, subject: alice, auth: AuthMethod("card+pin")))
        let mismatch = harness.anomalies(.handoverSubjectMismatch)
        #expect(mismatch.count == 1 && mismatch.first?.subject == alice && mismatch.first?.session == s1)
        harness.send(.stepRequest(StepRequest(id: RequestID("r"), session: s1, step: StepName("bank-account"), sensitive: true,
                                             account: nil, subject: nil)))
        #expect(harness.notices().last == .stepDecision(RequestID("r"), session: s1, step: StepName("bank-account"), denial: .subjectMismatch))
        // The person's own card in the reader: the same session may go on.
        harness.send(.cardRemoved)
        harness.send(.cardInserted(subject: alice))
        #expect(harness.anomalies(.handoverSubjectMismatch).count == 1)
    }

    @Test("another person's card terminates the open session and raises handover.card-swap")
    func cardSwap() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.cardInserted(subject: alice))
        harness.send(.cardRemoved)
        harness.send(.cardInserted(subject: bob))
        #expect(harness.endReasons == ["card-swap"])
        #expect(harness.notices().last == .terminate(s1, reason: .cardSwap))
        let anomaly = harness.anomalies(.handoverCardSwap)
        #expect(anomaly.count == 1)
        #expect(anomaly.first?.subject == alice)
        #expect(anomaly.first?.severity == .high)
    }

    @Test("the same card back in the reader does not unlock")
    func sameCardBack() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.cardInserted(subject: alice))
        harness.send(.cardRemoved)
        harness.send(.cardInserted(subject: alice))
        #expect(harness.state == .locked)
        #expect(harness.anomalies().isEmpty)
    }

    @Test("presence lost for presence_grace locks; presence back within it does not")
    func presence() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.presence(present: false))
        harness.advance(by: .seconds(4))
        harness.send(.presence(present: true))
        harness.advance(by: .seconds(10))
        #expect(harness.state == .active)
        harness.send(.presence(present: false))
        harness.advance(by: .seconds(5))
        #expect(harness.state == .locked)
        #expect(harness.records(.sessionLocked).map(\.reason) == [.lock(.presenceLost)])
    }

    @Test("a new person's session.begin supersedes the open one and raises handover.unclosed-session")
    func unclosedSession() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.sessionBegin(s2, subject: bob, auth: nil))
        #expect(harness.endReasons == ["superseded"])
        #expect(harness.openSession()?.session == s2)
        #expect(harness.openSession()?.subject == bob)
        #expect(harness.notices().last == .terminate(s1, reason: .superseded))
        #expect(harness.anomalies(.handoverUnclosedSession).count == 1)
    }

    @Test("the same person beginning again supersedes quietly")
    func samePersonAgain() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.sessionBegin(s2, subject: alice, auth: nil))
        #expect(harness.endReasons == ["superseded"])
        #expect(harness.anomalies().isEmpty)
    }

    @Test("a session id cannot be reused on the terminal")
    func reusedSessionID() {
        var harness = EngineHarness.withAliceSession()
        let again = harness.send(.sessionBegin(s1, subject: alice, auth: nil))
        #expect(again.contains { if case .notify(_, .refusal(.badField, _, _)) = $0 { true } else { false } })
        harness.send(.sessionEnd(s1, reason: .logout))
        let reused = harness.send(.sessionBegin(s1, subject: bob, auth: nil))
        #expect(reused.contains { if case .notify(_, .refusal(.badField, _, _)) = $0 { true } else { false } })
        #expect(harness.openSession() == nil)
    }
}
