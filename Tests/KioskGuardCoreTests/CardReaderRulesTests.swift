import KioskGuardCore
import KioskGuardTesting
import Testing

// Cards as the watched reader knows them: by the pseudonym of their identity, not the person's.
private let aliceCard = Pseudonym(high: 0xCA4D, low: 1)
private let bobCard = Pseudonym(high: 0xCA4D, low: 2)

@Suite("Card reader watched by the daemon: it outranks the app")
struct CardReaderRulesTests {
    /// A connected terminal whose reader the daemon watches, after the reader's `first` report.
    private func watchedTerminal(_ first: ReaderReport?) -> EngineHarness {
        var harness = EngineHarness(terminals: [TerminalProfile(name: "counter-1", watchesCardReader: true)])
        harness.connect()
        if let first { harness.reader(first) }
        return harness
    }

    /// Alice's card in the watched reader and her session begun.
    private func watchedSession() -> EngineHarness {
        var harness = watchedTerminal(.cardPresent(card: aliceCard))
        harness.send(.sessionBegin(s1, subject: alice, auth: AuthMethod("card+pin")))
        return harness
    }

    private func sensitiveStep(_ harness: inout EngineHarness) -> ClientNotice? {
        harness.send(.stepRequest(StepRequest(id: RequestID("r"), session: s1, step: StepName("bank-account"), sensitive: true,
                                             account: nil, subject: nil)))
        return harness.notices().last
    }

    @Test("the reader's removal locks the session; the session's own card allows sensitive steps before it")
    func removalLocks() {
        var harness = watchedSession()
        #expect(sensitiveStep(&harness) == .stepDecision(RequestID("r"), session: s1, step: StepName("bank-account"), denial: nil))
        let caused = harness.reader(.cardAbsent)
        #expect(caused.contains(.notify(harness.terminal(), .lock(s1, reason: .cardRemoved))))
        #expect(harness.state == .locked)
    }

    @Test("a session begun without a subject is the card's in the watched reader, and another card is a swap")
    func beginWithoutSubjectTakesTheCard() {
        var harness = watchedTerminal(.cardPresent(card: aliceCard))
        harness.send(.sessionBegin(s1, subject: nil, auth: nil))
        #expect(harness.openSession()?.subject == aliceCard)
        #expect(sensitiveStep(&harness) == .stepDecision(RequestID("r"), session: s1, step: StepName("bank-account"), denial: nil))
        harness.reader(.cardAbsent)
        harness.reader(.cardPresent(card: bobCard))
        #expect(harness.endReasons == ["card-swap"])
    }

    @Test("a session begun without a subject is refused with missing-field when no card is there to take",
          arguments: [ReaderReport?.some(.cardAbsent), nil])
    func beginWithoutSubjectNeedsACard(report: ReaderReport?) {
        var harness = watchedTerminal(report)
        harness.send(.sessionBegin(s1, subject: nil, auth: nil), id: "b")
        guard case .refusal(.missingField, let message, RequestID("b"))? = harness.notices().last else {
            Issue.record("not refused: \(harness.notices())")
            return
        }
        #expect(message.contains("no card is there"))
        #expect(harness.openSession() == nil)
    }

    @Test("another card in the reader ends the session as a card swap, naming the new card")
    func otherCardIsASwap() {
        var harness = watchedSession()
        harness.reader(.cardAbsent)
        harness.reader(.cardPresent(card: bobCard))
        #expect(harness.endReasons == ["card-swap"])
        #expect(harness.anomalies(.handoverCardSwap).count == 1)
    }

    @Test("a repeated report changes nothing: the watcher reports again after reconnecting to pcscd")
    func repeatedReportsAreIdempotent() {
        var harness = watchedSession()
        harness.clearActions()
        #expect(harness.reader(.cardPresent(card: aliceCard)).isEmpty)
        harness.reader(.cardAbsent)
        harness.clearActions()
        #expect(harness.reader(.cardAbsent).isEmpty)
        #expect(harness.reader(.cardPresent(card: aliceCard)).isEmpty)
        #expect(harness.state == .locked)  // the same card back does not unlock
    }

    @Test("the app claiming a removal the reader does not see raises card.state-mismatch and locks nothing")
    func appSaysAbsent() {
        var harness = watchedSession()
        harness.send(.cardRemoved)
        let mismatch = harness.anomalies(.cardStateMismatch)
        #expect(mismatch.count == 1 && mismatch.first?.reason == "app-reports-absent" && mismatch.first?.severity == .high)
        #expect(harness.state == .active)
        #expect(sensitiveStep(&harness) == .stepDecision(RequestID("r"), session: s1, step: StepName("bank-account"), denial: nil))
    }

    @Test("the app claiming a card the reader does not see raises card.state-mismatch and allows nothing")
    func appSaysPresent() {
        var harness = watchedTerminal(.cardAbsent)
        harness.send(.sessionBegin(s1, subject: alice, auth: AuthMethod("card+pin")))
        harness.send(.cardInserted(subject: alice))
        #expect(harness.anomalies(.cardStateMismatch).first?.reason == "app-reports-present")
        #expect(sensitiveStep(&harness) == .stepDecision(RequestID("r"), session: s1, step: StepName("bank-account"), denial: .cardAbsent))
    }

    @Test("before the reader's first report (pcscd down) the app's card events count")
    func unknownReaderDefersToTheApp() {
        var harness = watchedTerminal(nil)
        harness.send(.sessionBegin(s1, subject: alice, auth: AuthMethod("card+pin")))
        harness.send(.cardInserted(subject: alice))
        harness.send(.cardRemoved)
        #expect(harness.state == .locked)
        #expect(harness.anomalies(.cardStateMismatch).isEmpty)
    }

    @Test("a session begun without a card binds the first card the reader sees")
    func firstCardIsBound() {
        var harness = watchedTerminal(.cardAbsent)
        harness.send(.sessionBegin(s1, subject: alice, auth: AuthMethod("staff")))
        harness.reader(.cardPresent(card: aliceCard))
        #expect(harness.endReasons.isEmpty)
        #expect(sensitiveStep(&harness) == .stepDecision(RequestID("r"), session: s1, step: StepName("bank-account"), denial: nil))
    }
}
