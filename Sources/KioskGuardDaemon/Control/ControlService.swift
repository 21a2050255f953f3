import KioskGuardConfiguration
import KioskGuardCore
import KioskGuardProtocol
import Logging
import NIOCore

/// Carries out control verbs against the engine host. Lives on the engine's event loop.
final class ControlService {
    private let host: EngineHost
    let pseudonymizer: Pseudonymizer
    private let startedAt = SystemClock().now()
    private let codec = ControlCodec()
    /// Reloads the configuration and calls back, on the event loop, with what happened.
    var reload: ((_ done: @escaping (Result<ActionResult, ControlError>) -> Void) -> Void)?
    /// The alert outbox and its delivery, when hotlines are configured.
    var alerts: AlertService?

    static let version = KioskGuardVersion.current

    init(host: EngineHost, pseudonymizer: Pseudonymizer) {
        self.host = host
        self.pseudonymizer = pseudonymizer
    }

    /// Who may use which verbs, under the control settings in force.
    func access(daemonUID: UInt32) -> ControlAccess {
        ControlAccess(settings: host.configuration.control, daemonUID: daemonUID)
    }

    /// The response line to `request` from the peer of `uid`, whose grant allows the verb.
    /// Reload completes asynchronously, so the answer comes through `respond`.
    func perform(_ request: ControlRequest, uid adminUID: UInt32, grant: ControlAccess.Grant, respond: @escaping ([UInt8]) -> Void) {
        let id = request.id
        switch request.verb {
        case .status: respond(codec.encode(.success(id: id, status(showingPaths: grant == .admin))))
        case .terminals: respond(codec.encode(.success(id: id, terminalRows())))
        case .metrics:
            host.metrics.update(metricsSnapshot())
            respond(codec.encode(.success(id: id, MetricsResult(text: String(decoding: host.metrics.exposition(), as: UTF8.self)))))
        case .sessions: respond(codec.encode(.success(id: id, sessionRows(showingPaths: grant == .admin))))
        case .show:
            if let row = sessionRows(showingPaths: grant == .admin).first(where: { $0.session == request.target }) {
                respond(codec.encode(.success(id: id, row)))
            } else {
                respond(codec.encode(ControlResponse<SessionRow>.failure(id: id, ControlError(.notFound, "no open session '\(request.target ?? "")'"))))
            }
        case .lock:
            respond(act(id, adminUID, verb: request.verb, target: request.target!) { host.adminLock(request.target!, on: request.terminal) })
        case .terminate:
            respond(act(id, adminUID, verb: request.verb, target: request.target!) { host.adminTerminate(SessionID(request.target!), on: request.terminal) })
        case .pseudonym:
            guard let pseudonym = pseudonymizer.pseudonym(ofIdentifier: request.target!) else {
                return respond(failure(id, ControlError(.badRequest, "the value holds nothing but separators (space, tab, - . /)")))
            }
            respond(codec.encode(.success(id: id, ActionResult(message: pseudonym.description))))
        case .reload:
            guard let reload else { return respond(failure(id, ControlError(.failed, "reload is not available"))) }
            recordAdminAction(adminUID, verb: request.verb, target: nil)
            reload { [codec] outcome in
                switch outcome {
                case .success(let result): respond(codec.encode(.success(id: id, result)))
                case .failure(let error): respond(codec.encode(ControlResponse<ActionResult>.failure(id: id, error)))
                }
            }
        case .alerts, .alertsRetry, .alertsTest:
            guard let alerts, !alerts.workers.isEmpty else {
                return respond(failure(id, ControlError(.failed, "no [[hotline]] endpoint is configured")))
            }
            performAlertVerb(request, alerts: alerts, adminUID: adminUID, respond: respond)
        }
    }

    /// The outbox is read and written off the event loop; the answer comes back on it.
    private func performAlertVerb(_ request: ControlRequest, alerts: AlertService, adminUID: UInt32, respond: @escaping ([UInt8]) -> Void) {
        let id = request.id, codec = codec, loop = host.eventLoop
        let reply = NIOLoopBound(respond, eventLoop: loop)
        if request.verb != .alerts { recordAdminAction(adminUID, verb: request.verb, target: nil) }
        Task {
            let line: [UInt8]
            do {
                switch request.verb {
                case .alertsRetry:
                    try await alerts.retryNow()
                    line = codec.encode(.success(id: id, ActionResult(message: "every pending alert is due now")))
                case .alertsTest:
                    if let alertID = alerts.queueTest() {
                        line = codec.encode(.success(id: id, ActionResult(message: "test alert \(alertID) queued")))
                    } else {
                        line = codec.encode(ControlResponse<ActionResult>.failure(id: id, ControlError(.failed, "the kernel gave no randomness for an alert id; try again")))
                    }
                default:
                    let now = SystemClock().now().wall
                    let rows = try alerts.rows(pendingOnly: request.pending ?? false).map {
                        AlertRow(id: $0.id, type: $0.type, endpoint: $0.endpoint, state: $0.delivered ? "delivered" : "pending", attempts: $0.attempts,
                                 lastError: $0.lastError, lastStatus: $0.lastStatus, ageSeconds: (now - $0.queuedAt).components.seconds)
                    }
                    line = codec.encode(.success(id: id, rows))
                }
            } catch {
                line = codec.encode(ControlResponse<ActionResult>.failure(id: id, ControlError(.failed, "the alert outbox: \(error)")))
            }
            loop.execute { reply.value(line) }
        }
    }

    private func act(_ id: String, _ adminUID: UInt32, verb: ControlVerb, target: String, _ action: () -> Result<String, AdminRefusal>) -> [UInt8] {
        switch action() {
        case .success(let terminal):
            recordAdminAction(adminUID, verb: verb, target: target, terminal: terminal)
            let on = target == terminal ? "" : " on \(terminal)"
            return codec.encode(.success(id: id, ActionResult(message: "\(verb.rawValue) \(target)\(on): done")))
        case .failure(.notFound(let name)) where host.terminalConfiguration(named: name) != nil:
            return failure(id, ControlError(.notFound, "terminal \(name) has no open session"))
        case .failure(.notFound(let name)):
            return failure(id, ControlError(.notFound, "no terminal or open session '\(name)'"))
        case .failure(.alreadyLocked(let session)):
            return failure(id, ControlError(.failed, "session \(session) is already locked"))
        case .failure(.ambiguous(let session, let terminals)):
            return failure(id, ControlError(.ambiguous, "session \(session) is open on \(terminals.joined(separator: ", ")); name one with --terminal"))
        }
    }

    private func recordAdminAction(_ uid: UInt32, verb: ControlVerb, target: String?, terminal: String? = nil) {
        var fields: Logger.Metadata = [JournalFields.adminUID: .string(String(uid)), JournalFields.reason: .string(verb.rawValue)]
        fields[JournalFields.session] = target.map { .string($0) }
        fields[JournalFields.terminal] = terminal.map { .string($0) }
        let on = terminal.flatMap { $0 == target ? nil : " on \($0)" } ?? ""
        host.audit.daemon(.adminAction, "admin uid \(uid): \(verb.rawValue)\(target.map { " \($0)" } ?? "")\(on)", fields: fields)
    }

    private func failure(_ id: String, _ error: ControlError) -> [UInt8] {
        codec.encode(ControlResponse<ActionResult>.failure(id: id, error))
    }

    /// The daemon's status; the configuration's paths only for whoever may act on it.
    func status(showingPaths: Bool = true) -> StatusResult {
        let census = host.census()
        let byState = Dictionary(uniqueKeysWithValues: census.sessions.map { ($0.key.rawValue, $0.value) })
        let backlog = alerts?.backlog ?? (pending: [:], oldestSeconds: [:])
        return StatusResult(
            version: Self.version, uptimeSeconds: (SystemClock().now().monotonic - startedAt.monotonic).components.seconds,
            configFiles: showingPaths ? host.configuration.sources : nil, terminalsConfigured: census.terminals, terminalsConnected: census.connected,
            sessions: byState, alertsPending: backlog.pending, oldestPendingSeconds: backlog.oldestSeconds,
            keyFingerprint: pseudonymizer.keyFingerprint, lastEnforcement: host.latestEnforcement.map { result($0, showingPaths: showingPaths) }
        )
    }

    private func result(_ ended: EndedEnforcement, showingPaths: Bool) -> EnforcementResult {
        let outcome = ended.outcome
        return EnforcementResult(
            terminal: outcome.enforcement.terminalName, session: outcome.enforcement.session.rawValue,
            command: outcome.enforcement.command.rawValue, action: outcome.action?.rawValue, detail: showingPaths ? outcome.message : nil,
            secondsAgo: (host.clock.now().monotonic - ended.endedAt).components.seconds)
    }

    /// What the metrics' gauges show now.
    func metricsSnapshot() -> MetricsSnapshot {
        let status = status()
        return MetricsSnapshot(terminalsConnected: status.terminalsConnected, sessionsOpen: status.sessions,
                               alertsPending: status.alertsPending, oldestPendingSeconds: status.oldestPendingSeconds)
    }

    private func terminalRows() -> [TerminalRow] {
        host.terminalSnapshots().map {
            TerminalRow(name: $0.name, connected: $0.connected, session: $0.openSession?.rawValue, cardPresent: $0.cardPresent,
                        idleTimeoutSeconds: $0.policy.idleTimeout.components.seconds)
        }
    }

    private func sessionRows(showingPaths: Bool) -> [SessionRow] {
        host.openSessions().map {
            SessionRow(terminal: $0.terminal, session: $0.session.rawValue, subject: $0.subject?.description, state: $0.state.rawValue,
                       lockReason: $0.lockReason?.rawValue, idleSeconds: $0.idleFor.components.seconds,
                       nextTransitionSeconds: $0.nextTransitionIn.map { $0.wholeSecondsRoundedUp },
                       lastEnforcement: lastEnforcement(of: $0.session, on: $0.terminal, showingPaths: showingPaths))
        }
    }

    private func lastEnforcement(of session: SessionID, on terminal: String, showingPaths: Bool) -> EnforcementResult? {
        guard let ended = host.lastEnforcement(onTerminal: terminal), ended.outcome.enforcement.session == session else { return nil }
        return result(ended, showingPaths: showingPaths)
    }
}
