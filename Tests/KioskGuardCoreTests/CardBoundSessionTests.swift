import KioskGuardCore
import KioskGuardTesting
import Testing

private let aliceCard = Pseudonym(high: 0xCA4D, low: 1)
private let bobCard = Pseudonym(high: 0xCA4D, low: 2)

@Suite("Card-bound terminals: the card in the watched reader is the session")
struct CardBoundSessionTests {
    /// A card-bound terminal with no kiosk app, whose locks go to `exec`; a card takes it out
    /// with `onCardRemoved`.
    private func cardTerminal(onCardRemoved: CardRemovalAction = .terminate, warnsByCommand: Bool = false) -> EngineHarness {
        var policy = SessionPolicy()
        policy.onCardRemoved = onCardRemoved
        policy.idleTimeout = .seconds(60)
        policy.warnBefore = .seconds(10)
        return EngineHarness(terminals: [TerminalProfile(
            name: "counter-1", policy: policy, lockPlan: LockPlan(waitsForClient: false, systemActions: [.exec]),
            watchesCardReader: true, sessionSource: .card, warnsByCommand: warnsByCommand
        )])
    }

    @Test("a card entering the reader begins a session whose subject is the card, and a repeated report begins no second")
    func insertionBegins() throws {
        var harness = cardTerminal()
        harness.reader(.cardPresent(card: aliceCard))
        let session = try #require(harness.openSession())
        #expect(session.subject == aliceCard)
        #expect(session.session.rawValue.hasPrefix("card-"))
        #expect(harness.records(.sessionBegun).map(\.reason?.rawValue) == ["card"])
        harness.reader(.cardPresent(card: aliceCard))
        #expect(harness.records(.sessionBegun).count == 1)
    }

    @Test("removal terminates through the system actions, since no app is there to tell")
    func removalTerminates() {
        var harness = cardTerminal()
        harness.reader(.cardPresent(card: aliceCard))
        harness.reader(.cardAbsent)
        #expect(harness.endReasons == ["card-removed"])
        #expect(harness.enforcements.map(\.command) == [.terminate])
        #expect(harness.enforcements.map(\.actions) == [[.exec]])
        #expect(harness.openSession() == nil)
    }

    @Test("with on_card_removed = lock, removal locks through the system actions and the session stays open")
    func removalLocksWhenConfigured() {
        var harness = cardTerminal(onCardRemoved: .lock)
        harness.reader(.cardPresent(card: aliceCard))
        harness.reader(.cardAbsent)
        #expect(harness.openSession()?.state == .locked)
        #expect(harness.enforcements.map(\.command) == [.lock])
    }

    @Test("another card is a card swap: the session ends with an alert, and the newcomer's card begins its own")
    func anotherCardIsASwap() throws {
        var harness = cardTerminal()
        harness.reader(.cardPresent(card: aliceCard))
        let first = try #require(harness.openSession()).session
        _ = harness.clock.advance(by: .seconds(1))
        harness.reader(.cardPresent(card: bobCard))
        #expect(harness.endReasons == ["card-swap"])
        let swap = try #require(harness.anomalies(.handoverCardSwap).first)
        #expect(swap.subject == aliceCard && swap.session == first)
        let second = try #require(harness.openSession())
        #expect(second.subject == bobCard && second.session != first)
    }

    @Test("an idle card session warns through warn_command, then locks through the system actions")
    func idleWarnsByCommandThenLocks() throws {
        var harness = cardTerminal(warnsByCommand: true)
        harness.reader(.cardPresent(card: aliceCard))
        let session = try #require(harness.openSession()).session
        harness.advance(by: .seconds(50))
        let warnings = harness.actions.compactMap { if case .runWarnCommand(let run) = $0 { run } else { nil } }
        #expect(warnings == [WarnCommandRun(terminalName: "counter-1", session: session, reason: .idle, lockIn: .seconds(10))])
        #expect(harness.notices().isEmpty, "no app is connected to tell")
        harness.advance(by: .seconds(10))
        #expect(harness.openSession()?.state == .locked)
        #expect(harness.enforcements.map(\.command) == [.lock])
    }

    @Test("a terminal whose app begins sessions runs no warn_command unless it has one")
    func noWarnCommandByDefault() {
        var policy = SessionPolicy()
        policy.idleTimeout = .seconds(60)
        var harness = EngineHarness(policy: policy)
        harness.connect()
        harness.send(.sessionBegin(s1, subject: alice, auth: nil))
        harness.advance(by: .seconds(50))
        #expect(!harness.actions.contains { if case .runWarnCommand = $0 { true } else { false } })
        #expect(harness.notices().contains { if case .warn = $0 { true } else { false } })
    }

    @Test("input on the terminal's devices cancels an idle warning, but never unlocks a locked session")
    func inputActivity() throws {
        var harness = cardTerminal(onCardRemoved: .lock)
        harness.reader(.cardPresent(card: aliceCard))
        harness.advance(by: .seconds(50))
        #expect(harness.openSession()?.state == .warned)
        harness.input()
        #expect(harness.openSession()?.state == .active)
        #expect(harness.records(.sessionResumed).count == 1)
        harness.advance(by: .seconds(60))
        #expect(harness.openSession()?.state == .locked)
        harness.input()
        #expect(harness.openSession()?.state == .locked)
    }

    @Test("on an app terminal, a card in the watched reader begins nothing")
    func appTerminalIsUnchanged() {
        var harness = EngineHarness(terminals: [TerminalProfile(name: "counter-1", watchesCardReader: true)])
        harness.reader(.cardPresent(card: aliceCard))
        #expect(harness.openSession() == nil)
    }
}
