import KioskGuardCore
import KioskGuardTesting
import Testing

@Suite("Connections, restarts and admin")
struct ConnectionRulesTests {
    @Test("a second connection for a connected terminal is refused")
    func busy() {
        var harness = EngineHarness()
        #expect((try? harness.connect().get()) != nil)
        #expect(harness.connect() == .failure(.terminalBusy))
    }

    @Test("welcome reports the terminal's effective policy")
    func welcomePolicy() throws {
        var policy = SessionPolicy()
        policy.idleTimeout = .seconds(60)
        var harness = EngineHarness(policy: policy)
        let welcome = try harness.connect().get()
        #expect(welcome.policy.idleTimeout == .seconds(60))
        #expect(welcome.policy.warnBefore == .seconds(20))
    }

    @Test("losing the app with a session open locks it at the system level and raises client.lost")
    func clientLost() {
        var harness = EngineHarness.withAliceSession()
        harness.disconnect()
        #expect(harness.state == .locked)
        #expect(harness.records(.sessionLocked).map(\.reason) == [.lock(.clientLost)])
        #expect(harness.enforcements.map(\.command) == [.lock])
        #expect(harness.anomalies(.clientLost).count == 1)
        #expect(harness.anomalies(.clientLost).first?.severity == .high)
    }

    @Test("a graceful stop locks the session at the system level without client.lost, and the restart accounts for it")
    func gracefulStop() {
        var harness = EngineHarness.withAliceSession()
        harness.stop()
        #expect(harness.records(.sessionLocked).map(\.reason) == [.lock(.guardStopping)])
        #expect(harness.enforcements.map(\.command) == [.lock])
        #expect(harness.anomalies().isEmpty)
        #expect(harness.disconnect().isEmpty)
    }

    @Test("losing the app with a locked session escalates the lock once")
    func clientLostWhileLocked() {
        var harness = EngineHarness.withAliceSession()
        harness.send(.locked(s1))
        harness.disconnect()
        #expect(harness.enforcements.map(\.command) == [.lock])
        #expect(harness.anomalies(.clientLost).count == 1)
    }

    @Test("a reconnecting app is told to lock, and about sessions ended while it was away")
    func reconnect() {
        var harness = EngineHarness.withAliceSession()
        harness.disconnect()
        harness.clearActions()
        _ = harness.connect()
        #expect(harness.notices() == [.lock(s1, reason: .clientLost)])
        harness.disconnect()
        harness.advance(by: .seconds(120))
        #expect(harness.endReasons == ["abandoned"])
        #expect(harness.enforcements.last?.command == .terminate)
        harness.clearActions()
        _ = harness.connect()
        #expect(harness.notices() == [.terminate(s1, reason: .abandoned)])
    }

    @Test("disconnecting with no session open is not an anomaly")
    func quietDisconnect() {
        var harness = EngineHarness()
        harness.connect()
        harness.disconnect()
        #expect(harness.anomalies().isEmpty)
        #expect(harness.records(.terminalDisconnected).count == 1)
    }

    @Test("a restart locks every persisted session and raises one guard.restarted listing them")
    func restart() {
        var harness = EngineHarness(terminals: [TerminalProfile(name: "counter-1"), TerminalProfile(name: "counter-2")])
        let begun = harness.clock.now().wall - .seconds(30)
        harness.restore([
            PersistedSession(terminal: "counter-1", session: s1, subject: alice, begunAt: begun),
            PersistedSession(terminal: "counter-2", session: s2, subject: bob, begunAt: begun),
            PersistedSession(terminal: "gone", session: SessionID("s-3"), subject: bob, begunAt: begun),
        ])
        let sessions = harness.engine.openSessions(at: harness.clock.now())
        #expect(sessions.map(\.state) == [.locked, .locked])
        #expect(sessions.map(\.lockReason) == [.guardRestarted, .guardRestarted])
        #expect(harness.enforcements.map(\.terminalName) == ["counter-1", "counter-2"])
        let restarted = harness.anomalies(.guardRestarted)
        #expect(restarted.count == 1)
        #expect(restarted.first?.details.first == AnomalyDetail("open_sessions", "3"))
        #expect(restarted.first?.details.contains(AnomalyDetail("session", "counter-1/s-1 \(alice)")) == true)
        #expect(restarted.first?.details.contains(AnomalyDetail("session", "counter-2/s-2 \(bob)")) == true)
        #expect(harness.actions.contains(.forget(terminal: "gone", session: SessionID("s-3"))))
        #expect(harness.engine.census == EngineCensus(terminals: 2, connected: 0, sessions: [.active: 0, .warned: 0, .locked: 2]))
        harness.clearActions()
        harness.connect("counter-1")
        #expect(harness.notices(to: "counter-1") == [.lock(s1, reason: .guardRestarted)])
        #expect(harness.engine.census.connected == 1)
        harness.send(.authVerified(s1, subject: alice), from: "counter-1")
        #expect(harness.openSession("counter-1")?.state == .active)
        harness.advance(by: .seconds(120))
        #expect(harness.endReasons == ["abandoned"])
    }

    @Test("restored sessions keep their original start for max_session")
    func restartKeepsMaxDuration() {
        var harness = EngineHarness()
        harness.restore([PersistedSession(terminal: "counter-1", session: s1, subject: alice,
                                          begunAt: harness.clock.now().wall - .seconds(14 * 60))])
        harness.advance(by: .seconds(60))
        #expect(harness.endReasons == ["max-duration"])
    }

    @Test("persist on begin, forget on end")
    func persistence() {
        var harness = EngineHarness.withAliceSession()
        #expect(harness.actions.contains { if case .persist(let session) = $0 { session.session == s1 && session.subject == alice } else { false } })
        harness.send(.sessionEnd(s1, reason: .logout))
        #expect(harness.actions.contains(.forget(terminal: "counter-1", session: s1)))
    }

    @Test("an admin terminate ends the session with reason admin")
    func adminTerminate() {
        var harness = EngineHarness.withAliceSession()
        harness.apply(harness.engine.adminTerminate(s1, at: harness.clock.now()))
        #expect(harness.endReasons == ["admin"])
        #expect(harness.notices().last == .terminate(s1, reason: .admin))
    }
}
