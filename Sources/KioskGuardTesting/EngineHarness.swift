public import KioskGuardCore

/// Drives a `SessionEngine` the way the daemon does: a timer fires exactly at each
/// `nextDeadline`, events carry the clock's current reading. Every action is kept for
/// inspection, and the engine's invariants are checked after every step.
public struct EngineHarness {
    /// The engine under test.
    public var engine: SessionEngine
    /// The clock every input is stamped with.
    public let clock: ManualClock
    /// Every action the engine returned, in order.
    public private(set) var actions: [EngineAction] = []
    /// Whether to check invariants after each step (O(terminals); off for very large runs).
    public var checksInvariants = true

    /// A harness over terminals with the given profiles.
    public init(terminals: [TerminalProfile], rules: HostRules = HostRules(), clock: ManualClock = ManualClock()) {
        self.engine = SessionEngine(terminals: terminals, rules: rules)
        self.clock = clock
    }

    /// A harness with one terminal `counter-1` using `policy` and `lockPlan`.
    public init(policy: SessionPolicy = SessionPolicy(), lockPlan: LockPlan = LockPlan()) {
        self.init(terminals: [TerminalProfile(name: "counter-1", policy: policy, lockPlan: lockPlan)])
    }

    /// The terminal named `name`.
    public func terminal(_ name: String = "counter-1") -> TerminalID {
        guard let id = engine.terminal(named: name) else { preconditionFailure("no terminal \(name)") }
        return id
    }

    /// Connects the kiosk app of `terminal`; returns the welcome or the refusal.
    @discardableResult
    public mutating func connect(_ name: String = "counter-1") -> Result<Welcome, ConnectRefusal> {
        let result = engine.connect(terminal(name), at: clock.now())
        if case .success(let welcome) = result { keep(welcome.actions) }
        return result
    }

    /// The guard stops (a graceful shutdown).
    @discardableResult
    public mutating func stop() -> [EngineAction] {
        keep(engine.stop(at: clock.now()))
    }

    /// Disconnects the kiosk app of `terminal`.
    @discardableResult
    public mutating func disconnect(_ name: String = "counter-1") -> [EngineAction] {
        keep(engine.disconnect(terminal(name), at: clock.now()))
    }

    /// Sends `event` from terminal `name` now; returns the actions it caused.
    @discardableResult
    public mutating func send(_ event: KioskEvent, id: String? = nil, from name: String = "counter-1") -> [EngineAction] {
        keep(engine.handle(event, requestID: id.map(RequestID.init), from: terminal(name), at: clock.now()))
    }

    /// Delivers what terminal `name`'s watched card reader reports now.
    @discardableResult
    public mutating func reader(_ report: ReaderReport, on name: String = "counter-1") -> [EngineAction] {
        keep(engine.readerReported(report, on: terminal(name), at: clock.now()))
    }

    /// Someone used the input devices of terminal `name` now.
    @discardableResult
    public mutating func input(on name: String = "counter-1") -> [EngineAction] {
        keep(engine.inputActivity(on: terminal(name), at: clock.now()))
    }

    /// Lets `duration` pass, firing every deadline at its exact instant on the way.
    @discardableResult
    public mutating func advance(by duration: Duration) -> [EngineAction] {
        let target = clock.now().monotonic + duration
        var caused: [EngineAction] = []
        while let next = engine.nextDeadline, next <= target {
            clock.advance(to: next)
            caused += keep(engine.advance(to: clock.now()))
        }
        clock.advance(to: target)
        return caused
    }

    /// Applies an admin action's result.
    @discardableResult
    public mutating func apply(_ result: Result<[EngineAction], AdminRefusal>) -> Result<[EngineAction], AdminRefusal> {
        if case .success(let caused) = result { keep(caused) }
        return result
    }

    /// Restores persisted sessions into the engine now.
    @discardableResult
    public mutating func restore(_ sessions: [PersistedSession]) -> [EngineAction] {
        keep(engine.restore(sessions, at: clock.now()))
    }

    /// Forgets the actions seen so far.
    public mutating func clearActions() { actions.removeAll() }

    @discardableResult
    private mutating func keep(_ caused: [EngineAction]) -> [EngineAction] {
        actions += caused
        if checksInvariants {
            let problems = engine.invariantViolations(at: clock.now())
            precondition(problems.isEmpty, "engine invariants broken: \(problems)")
        }
        return caused
    }
}

extension EngineHarness {
    /// The notices sent to terminal `name`'s app.
    public func notices(to name: String = "counter-1") -> [ClientNotice] {
        let id = terminal(name)
        return actions.compactMap { if case .notify(id, let notice) = $0 { notice } else { nil } }
    }

    /// The journal records, optionally only of one event class.
    public func records(_ event: AuditEvent? = nil) -> [AuditRecord] {
        actions.compactMap { if case .record(let record) = $0, event == nil || record.event == event { record } else { nil } }
    }

    /// The anomalies raised, optionally only of one kind.
    public func anomalies(_ kind: AnomalyKind? = nil) -> [Anomaly] {
        actions.compactMap { if case .raise(let anomaly) = $0, kind == nil || anomaly.kind == kind { anomaly } else { nil } }
    }

    /// The system-level enforcements requested.
    public var enforcements: [Enforcement] {
        actions.compactMap { if case .enforce(let enforcement) = $0 { enforcement } else { nil } }
    }

    /// The state of the open session of terminal `name`, or `ended` reason of its last session.
    public func openSession(_ name: String = "counter-1") -> SessionSnapshot? {
        engine.openSessions(at: clock.now()).first { $0.terminal == name }
    }

    /// The reasons sessions ended with, in order.
    public var endReasons: [String] {
        records(.sessionEnded).compactMap(\.reason?.rawValue)
    }
}
