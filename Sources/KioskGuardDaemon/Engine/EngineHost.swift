public import KioskGuardConfiguration
public import KioskGuardCore
public import KioskGuardProtocol
import Logging
public import NIOCore
public import Systemd

/// Owns the `SessionEngine` on one event loop and carries out what it asks: replies to kiosk
/// apps, system lock actions, journal records, anomalies, persistence. It arms one timer for the
/// engine's next deadline. Every method must be called on `eventLoop`.
public final class EngineHost {
    /// The loop the engine, the event connections and the timer live on.
    public let eventLoop: any EventLoop
    private(set) var engine: SessionEngine
    /// The configuration in force: the one snapshot every part of the daemon reads, replaced as a
    /// whole by a reload, so a reload reaches everything at once.
    public private(set) var configuration: DaemonConfiguration
    /// Counts the configurations taken over, so what is derived from one knows when it is stale.
    public private(set) var configurationGeneration = 0
    /// Whether a kiosk app's login session is asked of logind when it connects: only when some
    /// terminal locks it through logind. Otherwise that is a D-Bus round trip and a lookup kept
    /// per connection for nothing. Kept, not derived per connection: deriving it reads every
    /// terminal.
    public private(set) var looksUpAppLoginSessions: Bool
    private var terminals: [String: TerminalConfiguration]
    let clock: any MomentSource
    let audit: AuditLog
    private let state: StateStore
    private let lockActions: LockActionRunner
    /// Counts sessions and anomalies for Prometheus.
    public let metrics: DaemonMetrics
    /// Called with each anomaly after it is recorded (the alert outbox subscribes here).
    public var anomalySink: ((Anomaly) -> Void)?
    /// Called when the summary `status` shows may have changed.
    public var statusChanged: (() -> Void)?
    /// How the latest enforcement on any terminal ended, if one has since the daemon started.
    public private(set) var latestEnforcement: EndedEnforcement?
    /// How the latest enforcement on each terminal ended; one per terminal ever configured.
    private var lastEnforcements: [String: EndedEnforcement] = [:]

    private var connections: [TerminalID: any Channel] = [:]
    private var peers: [TerminalID: PeerIdentity] = [:]
    private var channelsToFlush: [TerminalID] = []
    private var timer: (deadline: MonotonicInstant, task: Scheduled<Void>)?
    private var stateCommitScheduled = false
    private var persistenceFailing = false
    private let accountRetention: Duration
    private var accountLinksPrunedAt: MonotonicInstant?

    /// A host for `configuration`'s terminals.
    public init(
        eventLoop: any EventLoop, configuration: DaemonConfiguration, clock: any MomentSource, audit: AuditLog, state: StateStore,
        lockActions: LockActionRunner, metrics: DaemonMetrics
    ) {
        self.eventLoop = eventLoop
        self.metrics = metrics
        self.engine = SessionEngine(terminals: configuration.terminals.map(\.profile), rules: configuration.hostRules)
        self.configuration = configuration
        self.looksUpAppLoginSessions = configuration.locksAppLoginSessions
        self.terminals = Dictionary(configuration.terminals.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.clock = clock
        self.audit = audit
        self.state = state
        self.lockActions = lockActions
        self.accountRetention = configuration.hostRules.accountRetention
    }

    // MARK: Inputs

    /// Restores the persisted sessions and account links (fail closed: every session is locked).
    public func restore() throws {
        engine.restoreAccountLinks(try state.accountLinks())
        let now = clock.now()
        pruneAccountLinks(at: now)
        execute(engine.restore(try state.openSessions(), at: now))
    }

    /// The configuration of terminal `name`, if it is configured.
    public func terminalConfiguration(named name: String) -> TerminalConfiguration? { terminals[name] }

    /// The terminals that admit `peer`, in configuration order: what `"terminal": "auto"` chooses
    /// from (it takes the one, and refuses none or several).
    public func terminalsAdmitting(_ peer: PeerIdentity) -> [TerminalConfiguration] {
        configuration.terminals.filter { $0.admits(uid: peer.uid, gid: peer.gid, groups: peer.supplementaryGroups) }
    }

    /// Binds `channel` to terminal `name` after its hello. The welcome and any notices for
    /// sessions locked or ended while the app was away are written to the channel.
    public func connect(_ name: String, requestID: RequestID?, channel: any Channel, peer: PeerIdentity) -> Result<TerminalID, EventError> {
        guard let terminal = engine.terminal(named: name) else {
            return .failure(EventError(.terminalNotAllowed, "terminal \(name) is not configured"))
        }
        switch engine.connect(terminal, at: clock.now()) {
        case .failure(.terminalBusy):
            return .failure(EventError(.terminalBusy, "terminal \(name) is held by another connection"))
        case .success(let welcome):
            connections[terminal] = channel
            peers[terminal] = peer
            write(.welcome(terminal: name, policy: welcome.policy, sites: configuration.sites(guardedBy: name), id: requestID), to: terminal)
            execute(welcome.actions)
            return .success(terminal)
        }
    }

    /// The connection of `terminal` closed.
    public func disconnect(_ terminal: TerminalID, channel: any Channel) {
        guard connections[terminal] === channel else { return }
        connections[terminal] = nil
        execute(engine.disconnect(terminal, at: clock.now()))
    }

    /// The time now, from the host's clock.
    public func now() -> Moment { clock.now() }

    /// An event from `terminal`'s app that arrived at `moment` (events read together share one
    /// clock reading). Replies are written but not flushed: the connection flushes once per read.
    public func handle(_ event: KioskEvent, requestID: RequestID?, from terminal: TerminalID, at moment: Moment) {
        execute(engine.handle(event, requestID: requestID, from: terminal, at: moment), flush: false)
    }

    /// Someone used the input devices of terminal `name`: activity for its open session.
    public func inputActivity(terminal name: String) {
        guard let terminal = engine.terminal(named: name) else { return }
        execute(engine.inputActivity(on: terminal, at: clock.now()))
    }

    /// What the watched card reader of terminal `name` saw. Its card rules outrank the app's.
    public func readerReported(_ report: ReaderReport, terminal name: String) {
        guard let terminal = engine.terminal(named: name) else { return }
        var fields: Logger.Metadata = [JournalFields.terminal: .string(name)]
        switch report {
        case .cardPresent(let card):
            fields[JournalFields.state] = "present"
            fields[JournalFields.card] = .string(card.description)
            audit.daemon(.cardReader, "card \(card) is in the reader of terminal \(name)", level: .info, fields: fields)
        case .cardAbsent:
            fields[JournalFields.state] = "absent"
            audit.daemon(.cardReader, "no card is in the reader of terminal \(name)", level: .info, fields: fields)
        }
        execute(engine.readerReported(report, on: terminal, at: clock.now()))
    }

    /// Records that the connection limit turned a peer away (rate-limited to one record a minute).
    public func raiseConnectionLimit(socket: String, limit: Int) {
        let now = NIODeadline.now()
        if let last = lastConnectionLimitRecord, now - last < .seconds(60) { return }
        lastConnectionLimitRecord = now
        audit.logger.warning("the connection limit is reached on the \(socket) socket (\(limit)); new connections are closed at once")
    }

    private var lastConnectionLimitRecord: NIODeadline?

    /// What the lock actions call when logind accepted a lock that was not seen to happen: a
    /// `lock.unconfirmed` anomaly, raised on the loop.
    private func observer(of enforcement: Enforcement) -> EnforcementObserver {
        let host = NIOLoopBound(self, eventLoop: eventLoop)
        return EnforcementObserver(
            lockUnconfirmed: { reason in
                host.eventLoop.execute {
                    let host = host.value
                    host.raise(Anomaly(kind: .lockUnconfirmed, terminal: enforcement.terminalName, session: enforcement.session,
                                       subject: host.engine.subject(of: enforcement.session, on: enforcement.terminal),
                                       reason: reason, detectedAt: host.clock.now().wall))
                }
            },
            finished: { outcome in
                host.eventLoop.execute {
                    let host = host.value
                    let ended = EndedEnforcement(outcome: outcome, endedAt: host.clock.now().monotonic)
                    host.lastEnforcements[outcome.enforcement.terminalName] = ended
                    host.latestEnforcement = ended
                }
            }
        )
    }

    /// How the latest enforcement on terminal `name` ended, if one has since the daemon started.
    public func lastEnforcement(onTerminal name: String) -> EndedEnforcement? { lastEnforcements[name] }

    /// Records an anomaly found outside the engine (a refused peer), counting it for patterns.
    public func raise(_ anomaly: Anomaly) {
        execute(engine.raiseExternal(anomaly))
    }

    /// Every configured terminal, for the control socket.
    public func terminalSnapshots() -> [TerminalSnapshot] { engine.terminalSnapshots }

    /// Every open session, for the control socket.
    public func openSessions() -> [SessionSnapshot] { engine.openSessions(at: clock.now()) }

    /// The terminals and open sessions counted, for `status` and `STATUS=`.
    public func census() -> EngineCensus { engine.census }

    /// An admin locks the session of a terminal or session `target`.
    public func adminLock(_ target: String, on terminalName: String?) -> Result<String, AdminRefusal> {
        admin(target, byName: true, on: terminalName) { engine.adminLock(target, on: $0, at: clock.now()) }
    }

    /// An admin ends session `session` (on `terminalName`); returns the terminal it was on.
    public func adminTerminate(_ session: SessionID, on terminalName: String?) -> Result<String, AdminRefusal> {
        admin(session.rawValue, byName: false, on: terminalName) { engine.adminTerminate(session, on: $0, at: clock.now()) }
    }

    private func admin(_ target: String, byName: Bool, on terminalName: String?,
                       _ act: (String) -> Result<[EngineAction], AdminRefusal>) -> Result<String, AdminRefusal> {
        engine.adminTarget(target, byName: byName, on: terminalName).flatMap { terminal in
            let name = engine.name(of: terminal)
            return act(name).map { actions in
                execute(actions)
                return name
            }
        }
    }

    /// Applies a reloaded configuration: new terminals are added, existing ones take their new
    /// rules and access lists. Terminals removed from the file keep their open sessions until
    /// those end, and admit no new connection.
    public func reconfigure(_ configuration: DaemonConfiguration) {
        self.configuration = configuration
        configurationGeneration += 1
        looksUpAppLoginSessions = configuration.locksAppLoginSessions
        terminals = Dictionary(configuration.terminals.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        for terminal in configuration.terminals { engine.addTerminal(terminal.profile) }
        metrics.declare(terminals: configuration.terminals.map(\.name))
        metrics.reloaded.signal()
        rearmTimer()
    }

    /// Flushes the replies written during a read batch.
    public func flushWrites() {
        for terminal in channelsToFlush { connections[terminal]?.flush() }
        channelsToFlush.removeAll(keepingCapacity: true)
    }

    /// The guard is stopping: lets every connected terminal go and locks its open session, without
    /// `client.lost` (the apps did not leave). The connections close with the event loop.
    public func stopGuarding() {
        execute(engine.stop(at: clock.now()))
    }

    /// Commits queued persistence now (at shutdown).
    public func commitState() {
        commitStateChanges()
    }

    // MARK: Carrying out actions

    /// Carries out `actions` in two passes: first what protects the citizen (messages to the
    /// kiosk apps, flushed at once, and system lock actions), then the records and persistence.
    /// When thousands of deadlines fall together, no lock waits behind a journal write.
    private func execute(_ actions: [EngineAction], flush: Bool = true) {
        for action in actions {
            switch action {
            case .notify(let terminal, let notice):
                write(.notice(notice), to: terminal)
            case .enforce(let enforcement):
                lockActions.run(enforcement, terminal: terminals[enforcement.terminalName], peerSession: peers[enforcement.terminal]?.loginSession,
                                observer: observer(of: enforcement))
            case .runWarnCommand(let warning):
                lockActions.warn(warning, terminal: terminals[warning.terminalName])
            default:
                break
            }
        }
        if flush { flushWrites() }
        for action in actions {
            switch action {
            case .record(let record):
                audit.record(record, peer: record.event == .terminalConnected ? engine.terminal(named: record.terminal).flatMap { peers[$0]?.credentials } : nil)
                metrics.record(record)
            case .raise(let anomaly):
                audit.anomaly(anomaly)
                metrics.anomaly(anomaly)
                anomalySink?(anomaly)
            case .persist, .forget, .linkAccount:
                if case .linkAccount = action, let pruned = accountLinksPrunedAt, clock.now().monotonic - pruned >= .seconds(3600) {
                    pruneAccountLinks(at: clock.now())
                }
                if state.enqueue(action), !stateCommitScheduled {
                    stateCommitScheduled = true
                    eventLoop.assumeIsolated().execute { self.commitStateChanges() }
                }
            case .notify, .enforce, .runWarnCommand:
                break
            }
        }
        if !actions.isEmpty { statusChanged?() }
        rearmTimer()
    }

    private func write(_ message: OutboundMessage, to terminal: TerminalID) {
        guard let channel = connections[terminal] else { return }
        let bytes = message.encoded()
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.write(buffer, promise: nil)
        channelsToFlush.append(terminal)
    }

    /// Forgets account links past `account_retention`, in memory and on disk. Called at restore and
    /// then at most hourly as links are added, so the index stays bounded without a timer.
    private func pruneAccountLinks(at now: Moment) {
        accountLinksPrunedAt = now.monotonic
        engine.pruneAccountLinks(at: now.wall)
        do {
            try state.pruneAccountLinks(before: now.wall - accountRetention)
        } catch {
            audit.logger.error("cannot prune old account links in \(state.path): \(error)")
        }
    }

    private func commitStateChanges() {
        stateCommitScheduled = false
        do {
            try state.commit()
            if persistenceFailing {
                persistenceFailing = false
                audit.logger.notice("state directory writable again; open sessions are persisted")
            }
        } catch {
            // Locking goes on without persistence; the changes stay queued and are retried.
            if !persistenceFailing {
                persistenceFailing = true
                audit.logger.critical("cannot persist session state in \(state.path): \(error); sessions are still guarded, but a restart would not know them")
            }
            if !stateCommitScheduled {
                stateCommitScheduled = true
                eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { self.commitStateChanges() }
            }
        }
    }

    // MARK: The one timer

    private func rearmTimer() {
        guard let next = engine.nextDeadline else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let timer, timer.deadline == next { return }
        timer?.task.cancel()
        let task = eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(UInt64(max(0, next.nanoseconds)))) { [self] in
            timer = nil
            execute(engine.advance(to: clock.now()))
        }
        timer = (next, task)
    }
}

/// How an enforcement ended, and when.
public struct EndedEnforcement: Sendable {
    /// The action that carried it out, or that none could, and the journal entry's words.
    public var outcome: EnforcementOutcome
    /// When the runner said so.
    public var endedAt: MonotonicInstant
}
