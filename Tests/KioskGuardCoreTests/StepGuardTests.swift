import KioskGuardCore
import KioskGuardTesting
import Testing

@Suite("Step guard and account rule")
struct StepGuardTests {
    let bankAccount = StepName("bank-account")

    func request(_ session: SessionID = s1, sensitive: Bool = true, subject: Pseudonym? = nil) -> KioskEvent {
        .stepRequest(StepRequest(id: RequestID("r1"), session: session, step: bankAccount, sensitive: sensitive,
                                 account: benefitAccount, subject: subject))
    }

    func decision(_ harness: EngineHarness) -> StepDenial?? {
        for case .stepDecision(_, _, _, let denial) in harness.notices().reversed() { return .some(denial) }
        return .none
    }

    @Test("allows a sensitive step with fresh identity and the session's card present")
    func allowed() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.cardInserted(subject: alice))
        harness.send(request())
        #expect(decision(harness) == .some(nil))
        let record = harness.records(.stepAllowed).first
        #expect(record?.decision == .allow)
        #expect(record?.account == benefitAccount)
    }

    @Test("verification exactly sensitive_auth_max_age old is fresh; a nanosecond more is stale")
    func authAgeEdge() {
        var policy = SessionPolicy()
        policy.idleTimeout = .seconds(600)
        policy.maxSession = .seconds(3600)
        var harness = EngineHarness.withAliceSession(policy: policy)
        harness.advance(by: .seconds(120))
        harness.send(request())
        #expect(decision(harness) == .some(nil))
        harness.send(.stepDone(s1, step: bankAccount, account: nil))
        harness.advance(by: .nanoseconds(1))
        harness.send(request())
        #expect(decision(harness) == .some(.authStale))
        #expect(harness.anomalies(.stepStaleAuth).count == 1)
        #expect(harness.anomalies(.stepStaleAuth).first?.severity == .medium)
        harness.send(.authVerified(s1, subject: alice))
        harness.send(request())
        #expect(decision(harness) == .some(nil))
    }

    @Test("denies card-absent when the terminal reports cards and the session's card is out")
    func cardAbsent() {
        var harness = EngineHarness()
        harness.connect()
        harness.send(.cardInserted(subject: alice))
        harness.send(.cardRemoved)  // The terminal reports cards, and hers is out.
        harness.send(.sessionBegin(s2, subject: alice, auth: nil))
        harness.send(request(s2))
        #expect(decision(harness) == .some(.cardAbsent))
    }

    @Test("denies subject-mismatch when another person's card is in the reader (the handover the guard exists for)")
    func anotherPersonsCard() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.cardInserted(subject: bob))  // Bob's card: Alice's session ends.
        harness.send(.sessionBegin(s2, subject: alice, auth: nil))
        harness.send(request(s2))
        #expect(decision(harness) == .some(.subjectMismatch))
        #expect(harness.anomalies(.handoverSubjectMismatch).count == 1)
    }

    @Test("a terminal that never reports cards is not asked for one")
    func noCardReader() {
        var harness = EngineHarness.withAliceSession()
        harness.send(request())
        #expect(decision(harness) == .some(nil))
    }

    @Test("denies on a locked session and raises step.on-inactive-session")
    func locked() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.locked(s1))
        harness.send(request())
        #expect(decision(harness) == .some(.sessionLocked))
        #expect(harness.anomalies(.stepOnInactiveSession).count == 1)
    }

    @Test("denies on an ended session and raises step.on-inactive-session")
    func ended() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.sessionEnd(s1, reason: .completed))
        harness.send(request())
        #expect(decision(harness) == .some(.sessionEnded))
        #expect(harness.anomalies(.stepOnInactiveSession).first?.subject == alice)
    }

    @Test("denies unknown sessions without an anomaly")
    func unknown() {
        var harness = EngineHarness.withAliceSession()
        harness.send(request(SessionID("nope")))
        #expect(decision(harness) == .some(.unknownSession))
        #expect(harness.anomalies().isEmpty)
    }

    @Test("denies a request naming another person, ends the session, raises the handover")
    func subjectMismatch() {
        var harness = EngineHarness.withAliceSession()
        harness.send(request(subject: bob))
        #expect(decision(harness) == .some(.subjectMismatch))
        #expect(harness.endReasons == ["subject-mismatch"])
        #expect(harness.anomalies(.handoverSubjectMismatch).count == 1)
    }

    @Test("non-sensitive steps need neither fresh identity nor the card")
    func nonSensitive() {
        var policy = SessionPolicy()
        policy.idleTimeout = .seconds(600)
        var harness = EngineHarness.withAliceSession(policy: policy)
        harness.send(.cardInserted(subject: alice))
        harness.send(.cardRemoved)
        harness.send(.authVerified(s1, subject: alice))
        harness.advance(by: .seconds(300))
        harness.send(request(sensitive: false))
        #expect(decision(harness) == .some(nil))
    }

    @Test("one account registered by two people raises account.multiple-subjects (critical)")
    func accountConflict() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.stepDone(s1, step: bankAccount, account: benefitAccount))
        harness.send(.stepDone(s1, step: bankAccount, account: benefitAccount))
        #expect(harness.anomalies().isEmpty)
        harness.send(.sessionBegin(s2, subject: bob, auth: nil))
        harness.send(.stepDone(s2, step: bankAccount, account: benefitAccount))
        let anomaly = harness.anomalies(.accountMultipleSubjects)
        #expect(anomaly.count == 1)
        #expect(anomaly.first?.severity == .critical)
        #expect(anomaly.first?.subject == bob)
        #expect(anomaly.first?.account == benefitAccount)
        #expect(anomaly.first?.details == [AnomalyDetail("other_subject", alice.description)])
    }

    @Test("links older than account_retention are forgotten")
    func accountRetention() {
        var rules = HostRules()
        rules.accountRetention = .seconds(3600)
        var harness = EngineHarness(terminals: [TerminalProfile(name: "counter-1")], rules: rules)
        harness.connect()
        harness.send(.sessionBegin(s1, subject: alice, auth: nil))
        harness.send(.stepDone(s1, step: bankAccount, account: benefitAccount))
        harness.send(.sessionEnd(s1, reason: .completed))
        harness.advance(by: .seconds(3600))
        harness.send(.sessionBegin(s2, subject: bob, auth: nil))
        harness.send(.stepDone(s2, step: bankAccount, account: benefitAccount))
        #expect(harness.anomalies().isEmpty)
        harness.engine.pruneAccountLinks(at: harness.clock.now().wall)
        #expect(harness.engine.accounts.links(of: benefitAccount, at: harness.clock.now().wall).map(\.subject) == [bob])
    }

    @Test("a step committed in a locked session is refused, raised, and its account still linked")
    func stepDoneOnLockedSession() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.locked(s1))
        let caused = harness.send(.stepDone(s1, step: bankAccount, account: benefitAccount))
        #expect(caused.contains { if case .notify(_, .refusal(.sessionNotActive, _, _)) = $0 { true } else { false } })
        #expect(harness.anomalies(.stepOnInactiveSession).count == 1)
        #expect(harness.engine.accounts.links(of: benefitAccount, at: harness.clock.now().wall).map(\.subject) == [alice])
    }
}
