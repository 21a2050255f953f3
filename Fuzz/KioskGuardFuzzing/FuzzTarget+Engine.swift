import KioskGuardCore
import KioskGuardTesting

extension FuzzTarget {
    /// The input is a program: each byte picks an operation on three terminals (connect,
    /// disconnect, any kiosk event, a reader report, time passing, a wall-clock step, an admin
    /// verb, a daemon restart) and the bytes after it pick its arguments. Checks after every step:
    /// the engine's invariants (`invariantViolations`: exactly one deadline per open session, none
    /// later than its transition, no session past its maximum duration), that a locked session
    /// becomes usable again only through re-verification of the same subject, and that a restart
    /// brings back every persisted session locked.
    static func engine(_ input: UnsafeRawBufferPointer) {
        var program = ByteStream(input)
        var run = EngineRun()
        var steps = 0
        // Bounded so one input cannot run for long, whatever its length.
        while !program.isAtEnd, steps < 512 {
            run.step(&program)
            steps += 1
        }
    }
}

/// The state of one fuzzed run: the harness, and what the daemon would have persisted.
private struct EngineRun {
    static let subjects = [Pseudonym(high: 0xA, low: 1), Pseudonym(high: 0xB, low: 2), Pseudonym(high: 0xC, low: 3)]
    static let accounts = [Pseudonym(high: 0xACC, low: 1), Pseudonym(high: 0xACC, low: 2)]
    static let sessions = ["s-1", "s-2", "s-3"].map(SessionID.init)
    static let steps = ["overview", "bank-account"].map(StepName.init)

    static let terminals: [TerminalProfile] = {
        var policy = SessionPolicy()
        policy.idleTimeout = .seconds(20)
        policy.warnBefore = .seconds(5)
        policy.sensitiveIdleTimeout = .seconds(10)
        policy.lockConfirmTimeout = .seconds(3)
        policy.terminateAfterLock = .seconds(30)
        policy.maxSession = .seconds(90)
        policy.presenceGrace = .seconds(4)
        policy.sensitiveAuthMaxAge = .seconds(25)
        var ending = policy
        ending.onCardRemoved = .terminate
        return [
            TerminalProfile(name: "t0", policy: policy),
            TerminalProfile(name: "t1", policy: policy, lockPlan: LockPlan(waitsForClient: false), watchesCardReader: true),
            TerminalProfile(name: "t2", policy: ending, lockPlan: LockPlan(systemActions: [])),
            TerminalProfile(name: "t3", policy: ending, lockPlan: LockPlan(waitsForClient: false, systemActions: [.exec]),
                            watchesCardReader: true, sessionSource: .card, warnsByCommand: true),
        ]
    }()

    var harness = EngineHarness(terminals: terminals)
    var persisted: [String: PersistedSession] = [:]
    var requests = 0

    mutating func step(_ program: inout ByteStream) {
        let operation = program.choice(16)
        let name = program.pick(Self.terminals).name
        let before = harness.openSession(name)
        var event: KioskEvent?
        switch operation {
        case 0: if case .success(let welcome) = harness.connect(name) { keep(welcome.actions) }
        case 1: keep(harness.disconnect(name))
        case 2...10: event = Self.event(operation, &program, requests: &requests)
        case 11: keep(harness.reader(program.choice(2) == 0 ? .cardAbsent : .cardPresent(card: program.pick(Self.subjects)), on: name))
        case 12: keep(harness.advance(by: .milliseconds(250 * Int(program.byte()))))
        case 13: harness.clock.stepWallClock(by: .seconds(program.choice(2) == 0 ? 3600 : -3600))
        case 14:
            let result = program.choice(2) == 0
                ? harness.engine.adminLock(program.choice(2) == 0 ? name : program.pick(Self.sessions).rawValue, at: harness.clock.now())
                : harness.engine.adminTerminate(program.pick(Self.sessions), at: harness.clock.now())
            if case .success(let actions) = harness.apply(result) { keep(actions) }
        default: restart()
        }
        if let event, harness.engine.terminalSnapshots.first(where: { $0.name == name })?.connected == true {
            // Events only ever arrive over the terminal's connection.
            keep(harness.send(event, id: "r-\(requests)", from: name))
        }
        checkUnlock(name, before: before, event: event)
    }

    private static func event(_ operation: Int, _ program: inout ByteStream, requests: inout Int) -> KioskEvent {
        let session = program.pick(sessions)
        switch operation {
        case 2: return .sessionBegin(session, subject: program.pick(subjects), auth: AuthMethod("card+pin"))
        case 3: return .activity(session)
        case 4: return .authVerified(session, subject: program.pick(subjects))
        case 5: return .cardInserted(subject: program.pick(subjects))
        case 6: return .cardRemoved
        case 7: return .presence(present: program.choice(2) == 0)
        case 8:
            requests += 1
            return .stepRequest(StepRequest(
                id: RequestID("r-\(requests)"), session: session, step: program.pick(steps), sensitive: program.choice(2) == 0,
                account: program.choice(3) == 0 ? nil : program.pick(accounts), subject: program.choice(2) == 0 ? nil : program.pick(subjects)))
        case 9: return .stepDone(session, step: program.pick(steps), account: program.choice(2) == 0 ? nil : program.pick(accounts))
        default: return program.choice(3) == 0
            ? .sessionEnd(session, reason: program.pick(EndReason.allCases))
            : .locked(session)
        }
    }

    /// Keeps what the daemon's state store would hold after `actions`.
    private mutating func keep(_ actions: [EngineAction]) {
        for action in actions {
            switch action {
            case .persist(let session): persisted[session.terminal] = session
            case .forget(let terminal, let session) where persisted[terminal]?.session == session: persisted[terminal] = nil
            default: break
            }
        }
    }

    /// A daemon restart on the same boot: a new engine from the persisted sessions, all locked.
    private mutating func restart() {
        let clock = harness.clock
        harness = EngineHarness(terminals: Self.terminals, clock: clock)
        let restored = Array(persisted.values)
        // The restored sessions persist themselves again through the actions `keep` sees.
        persisted = [:]
        keep(harness.restore(restored))
        for session in harness.engine.openSessions(at: clock.now()) {
            fuzzCheck(session.state == .locked, "session \(session.session) came back \(session.state) after a restart")
        }
    }

    /// A locked session becomes usable again only by re-verification of its own subject.
    private func checkUnlock(_ name: String, before: SessionSnapshot?, event: KioskEvent?) {
        guard let before, before.state == .locked, let after = harness.openSession(name),
              after.session == before.session, after.state != .locked
        else { return }
        guard case .authVerified(before.session, let subject) = event, subject == before.subject else {
            fuzzCheck(false, "session \(before.session) on \(name) left the lock through \(String(describing: event))")
            return
        }
    }
}
