import KioskGuardCore
import KioskGuardTesting
import Testing

/// A session begun without a subject on a terminal that watches no reader (contract section 9):
/// idle, warn, lock, wipe and the step's freshness rule apply; the rules that compare identities
/// (card swap, subject mismatch, account links) cannot.
@Suite("Anonymous sessions")
struct AnonymousSessionTests {
    private func anonymousSession() -> EngineHarness {
        var harness = EngineHarness()
        harness.connect()
        harness.send(.sessionBegin(s1, subject: nil, auth: nil))
        return harness
    }

    private func sensitiveStep(_ harness: inout EngineHarness) -> StepDenial?? {
        harness.send(.stepRequest(StepRequest(id: RequestID("r"), session: s1, step: StepName("bank-account"), sensitive: true,
                                             account: nil, subject: nil)))
        for case .stepDecision(_, _, _, let denial) in harness.notices().reversed() { return .some(denial) }
        return .none
    }

    @Test("it begins without a person, and idles, warns and locks like any session")
    func idlesAndLocks() {
        var harness = anonymousSession()
        #expect(harness.openSession()?.subject == nil)
        #expect(harness.records(.sessionBegun).first?.subject == nil)
        harness.advance(by: SessionPolicy().idleTimeout)
        #expect(harness.state == .locked)
    }

    @Test("the freshness rule applies to its sensitive steps, and a verification refreshes it without a comparison")
    func freshness() {
        var harness = anonymousSession()
        // Kept in use past the verification's age, so only its staleness can refuse the step.
        harness.advance(by: .seconds(100))
        harness.send(.activity(s1))
        harness.advance(by: SessionPolicy().sensitiveAuthMaxAge - .seconds(99))
        #expect(sensitiveStep(&harness) == .some(.authStale))
        harness.send(.authVerified(s1, subject: alice))
        #expect(sensitiveStep(&harness) == .some(nil))
        #expect(harness.anomalies(.handoverSubjectMismatch).isEmpty && harness.endReasons.isEmpty)
    }

    @Test("cards and accounts are not compared: no card swap, no subject mismatch, no account link")
    func noIdentityRules() {
        var harness = anonymousSession()
        harness.send(.cardInserted(subject: bob))
        harness.send(.stepRequest(StepRequest(id: RequestID("c"), session: s1, step: StepName("a"), sensitive: false,
                                             account: nil, subject: alice)))
        harness.send(.stepDone(s1, step: StepName("a"), account: Pseudonym(high: 0xACC, low: 1)))
        #expect(harness.anomalies().isEmpty)
        #expect(harness.endReasons.isEmpty)
        #expect(!harness.actions.contains { if case .linkAccount = $0 { true } else { false } })
    }

    @Test("it is persisted, and locked after a restart like any other")
    func restored() {
        var harness = anonymousSession()
        #expect(harness.actions.contains { if case .persist(let persisted) = $0 { persisted.subject == nil } else { false } })
        var restarted = EngineHarness()
        restarted.restore([PersistedSession(terminal: "counter-1", session: s1, subject: nil, begunAt: WallInstant(nanosecondsSinceEpoch: 0))])
        #expect(restarted.openSession()?.state == .locked)
        #expect(restarted.anomalies(.guardRestarted).first?.details.contains(AnomalyDetail("session", "counter-1/s-1 anonymous")) == true)
    }
}
