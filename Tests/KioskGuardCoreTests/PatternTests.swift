import KioskGuardCore
import KioskGuardTesting
import Testing

@Suite("Recurring patterns")
struct PatternTests {
    /// Three terminals, each with a session that an idle app never confirms the lock of.
    func harness(rules: HostRules = HostRules()) -> EngineHarness {
        var harness = EngineHarness(terminals: (1...3).map { TerminalProfile(name: "counter-\($0)") }, rules: rules)
        for index in 1...3 {
            harness.connect("counter-\(index)")
            harness.send(.sessionBegin(SessionID("s-\(index)"), subject: alice, auth: nil), from: "counter-\(index)")
        }
        return harness
    }

    @Test("two anomalies of one kind on two terminals are not yet a pattern; the third is")
    func threshold() {
        var harness = harness()
        harness.disconnect("counter-1")
        harness.disconnect("counter-2")
        #expect(harness.anomalies(.clientLost).count == 2)
        #expect(harness.anomalies(.patternRecurring).isEmpty)
        harness.disconnect("counter-3")
        let pattern = harness.anomalies(.patternRecurring)
        #expect(pattern.count == 1)
        #expect(pattern.first?.severity == .critical)
        #expect(pattern.first?.reason == "client.lost")
    }

    @Test("raised once per window, again after it")
    func oncePerWindow() {
        var rules = HostRules()
        rules.patternWindow = .seconds(3600)
        var harness = harness(rules: rules)
        for index in 1...3 { harness.disconnect("counter-\(index)") }
        for index in 1...3 {
            harness.connect("counter-\(index)")
            harness.disconnect("counter-\(index)")
        }
        #expect(harness.anomalies(.patternRecurring).count == 1)
        harness.advance(by: .seconds(3600))
        for index in 1...3 {
            harness.connect("counter-\(index)")
            harness.send(.sessionBegin(SessionID("t-\(index)"), subject: bob, auth: nil), from: "counter-\(index)")
            harness.disconnect("counter-\(index)")
        }
        #expect(harness.anomalies(.patternRecurring).count == 2)
    }

    @Test("kinds are counted apart, and old anomalies fall out of the window")
    func separateKindsAndWindow() {
        var detector = PatternDetector(threshold: 3, window: .seconds(100))
        let start = WallInstant(nanosecondsSinceEpoch: 0)
        func anomaly(_ kind: AnomalyKind, _ second: Int64) -> Anomaly {
            Anomaly(kind: kind, detectedAt: start + .seconds(second))
        }
        #expect(detector.observe(anomaly(.clientLost, 0)) == nil)
        #expect(detector.observe(anomaly(.lockUnconfirmed, 1)) == nil)
        #expect(detector.observe(anomaly(.clientLost, 2)) == nil)
        #expect(detector.observe(anomaly(.clientLost, 100)) == nil)
        #expect(detector.observe(anomaly(.clientLost, 101))?.kind == .patternRecurring)
        #expect(detector.observe(Anomaly(kind: .patternRecurring, detectedAt: start)) == nil)
    }
}

@Suite("How sessions end")
struct EndReasonTests {
    @Test("every end reason of the contract is reachable and recorded")
    func everyReason() {
        var policy = SessionPolicy()
        var seen: Set<String> = []
        func run(_ policy: SessionPolicy = SessionPolicy(), _ script: (inout EngineHarness) -> Void) {
            var harness = EngineHarness.withAliceSession(policy: policy)
            script(&harness)
            seen.formUnion(harness.endReasons)
        }
        run { $0.send(.sessionEnd(s1, reason: .logout)) }
        run { $0.send(.sessionEnd(s1, reason: .completed)) }
        run { $0.send(.sessionEnd(s1, reason: .cancelled)) }
        run { $0.advance(by: .seconds(240)) }
        run { $0.send(.sessionBegin(s2, subject: bob, auth: nil)) }
        run { $0.send(.cardInserted(subject: bob)) }
        run { $0.send(.authVerified(s1, subject: bob)) }
        run { harness in
            for _ in 0..<100 {
                harness.advance(by: .seconds(10))
                harness.send(.activity(s1))
            }
        }
        run { harness in harness.apply(harness.engine.adminTerminate(s1, at: harness.clock.now())) }
        policy.onCardRemoved = .terminate
        run(policy) { $0.send(.cardRemoved) }
        #expect(seen == Set(EndReason.allCases.map(\.rawValue)))
    }
}
