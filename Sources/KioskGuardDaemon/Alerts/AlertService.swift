import AsyncHTTPClient
import FoundationEssentials
public import KioskGuardConfiguration
public import KioskGuardCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns anomalies into durable, signed alerts for every `[[hotline]]` endpoint.
///
/// Anomalies at or above `min_severity` are committed to the outbox (alerts arriving together in
/// one transaction) before anything else happens with them; only then is `alert-queued` recorded
/// and the endpoint workers woken. The engine's event loop only hands anomalies over.
public final class AlertService: Sendable {
    private let outbox: AlertOutbox
    private let audit: AuditLog
    private let origin: AlertOrigin
    private let environment: [String: String]
    /// The `[alerts]` settings and one delivery worker per `[[hotline]]` endpoint, as the last
    /// start or reload made them; `HotlineDeliveriesService` runs the workers.
    private let inForce: Mutex<(settings: AlertSettings, workers: [HotlineDelivery])>
    /// Each reload's replaced and new workers, for `HotlineDeliveriesService`.
    let changes: AsyncStream<DeliveryChange>
    private let changesContinuation: AsyncStream<DeliveryChange>.Continuation
    private let incoming = Mutex<(drafts: [AlertDraft], flushing: Bool)>(([], false))
    private let backlogCache: BacklogCache
    private let retention: OutboxRetention

    /// Opens the outbox in `configuration`'s state directory and prepares a worker per endpoint
    /// (none when no `[[hotline]]` is configured: a reload may add one).
    public init(
        configuration: DaemonConfiguration, environment: [String: String], keyFingerprint: String, audit: AuditLog,
        backlogChanged: @escaping @Sendable () -> Void
    ) throws {
        self.audit = audit
        self.environment = environment
        outbox = try AlertOutbox(directory: configuration.daemon.stateDirectory)
        backlogCache = BacklogCache(outbox: outbox, changed: backlogChanged)
        let retention = OutboxRetention(outbox: outbox, keep: configuration.alerts.retention, audit: audit)
        self.retention = retention
        origin = AlertOrigin(host: Self.hostname(), keyFingerprint: keyFingerprint, site: configuration.daemon.site)
        (changes, changesContinuation) = AsyncStream.makeStream(of: DeliveryChange.self)
        inForce = Mutex((configuration.alerts, []))
        let workers = try prepareWorkers(for: configuration)
        inForce.withLock { $0.workers = workers }
        backlogCache.refresh()
    }

    /// The delivery workers in force.
    var workers: [HotlineDelivery] { inForce.withLock { $0.workers } }

    /// New workers for `configuration`'s endpoints and `[alerts]` settings, made off the event
    /// loop before a reload is applied: a secret that cannot be read refuses the reload, and
    /// the workers in force go on. Every endpoint gets a new worker, so a changed secret file is
    /// read again.
    func prepareWorkers(for configuration: DaemonConfiguration) throws -> [HotlineDelivery] {
        var workers: [HotlineDelivery] = []
        do {
            for endpoint in configuration.hotlines {
                workers.append(try Self.worker(for: endpoint, settings: configuration.alerts, environment: environment, outbox: outbox,
                                               audit: audit, backlog: backlogCache, retention: retention))
            }
            return workers
        } catch {
            for worker in workers { Task { try? await worker.shutdownClient() } }
            throw error
        }
    }

    /// Puts `workers` (from `prepareWorkers`) and `settings` in force and has the deliveries
    /// service stop the old workers and start these. Alerts already queued for an endpoint that
    /// is gone stay in the outbox and go out if it is configured again; new alerts go to the
    /// endpoints now in force. Returns what changed, for the reload's reply.
    func apply(_ workers: [HotlineDelivery], settings: AlertSettings) -> [String] {
        let old = inForce.withLock { state in
            defer { state = (settings, workers) }
            return state.workers
        }
        changesContinuation.yield(DeliveryChange(stopped: old, started: workers))
        backlogCache.refresh()
        let before = Dictionary(old.map { ($0.endpoint.name, $0.endpoint) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(workers.map { ($0.endpoint.name, $0.endpoint) }, uniquingKeysWith: { first, _ in first })
        var changed: [String] = []
        for name in after.keys.sorted() where before[name] != after[name] { changed.append(before[name] == nil ? "hotline \(name) added" : "hotline \(name) changed") }
        for name in before.keys.sorted() where after[name] == nil { changed.append("hotline \(name) removed") }
        for message in changed { audit.logger.notice("\(message)") }
        return changed
    }

    /// The worker of one endpoint: its HTTP client, its signer, the retry policy of `settings`.
    private static func worker(
        for endpoint: HotlineEndpoint, settings: AlertSettings, environment: [String: String], outbox: AlertOutbox, audit: AuditLog,
        backlog: BacklogCache, retention: OutboxRetention
    ) throws -> HotlineDelivery {
        let signer = try Secrets.hotlineSigner(for: endpoint, environment: environment)
        if signer == nil {
            audit.logger.warning("hotline \(endpoint.name) has no secret (secret_file or the hotline-secret credential): its alerts are sent unsigned")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = endpoint.caFile { tls.trustRoots = .file(ca) }
        var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        clientConfiguration.timeout = .init(connect: .nanoseconds(endpoint.timeout.nanoseconds), read: .nanoseconds(endpoint.timeout.nanoseconds))
        // The worker retries with its own backoff and records each failure; a refused connection
        // must fail the attempt at once, not be retried inside it until the timeout.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        if let warning = HotlineURL.plainTextWarning(name: endpoint.name, url: endpoint.url) { audit.logger.warning("\(warning)") }
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
        return HotlineDelivery(endpoint: endpoint, signer: signer, outbox: outbox, client: client, audit: audit,
                               policy: RetryPolicy(base: settings.retryBase, cap: settings.retryCap),
                               stallAfter: settings.stallAfter, backlog: backlog, retention: retention)
    }

    /// Prunes delivered alerts past the retention once at start; the workers prune as they go.
    func pruneAtStart() async {
        await retention.pruneIfDue()
    }

    /// Queues the alert for `anomaly` if it is severe enough. Called on the engine's loop.
    public func accept(_ anomaly: Anomaly) {
        let (settings, workers) = inForce.withLock { $0 }
        guard anomaly.severity >= settings.minSeverity, !workers.isEmpty else { return }
        submit(AlertDraft(content: .anomaly(anomaly)))
    }

    /// Queues a test alert (`alerts test`) through the normal path; returns its id, or nil when
    /// the kernel gives no randomness for one.
    public func queueTest() -> String? {
        guard let id = AlertID.random() else { return nil }
        submit(AlertDraft(id: id, content: .test(SystemClock().now().wall)))
        return id
    }

    /// Makes every pending delivery due now and wakes the workers (`alerts retry`).
    public func retryNow() async throws {
        try await outbox.retryNow()
        for worker in workers { worker.wake.signal() }
    }

    /// Deliveries, newest first, for the `alerts` verb.
    public func rows(pendingOnly: Bool) throws -> [AlertOutbox.Row] {
        try outbox.rows(pendingOnly: pendingOnly)
    }

    /// Undelivered alerts per endpoint and the oldest one's age in seconds.
    public var backlog: (pending: [String: Int], oldestSeconds: [String: Int64]) {
        let now = SystemClock().now().wall
        let snapshot = backlogCache.snapshot
        var pending: [String: Int] = [:]
        var oldest: [String: Int64] = [:]
        for worker in workers {
            let entry = snapshot[worker.endpoint.name]
            pending[worker.endpoint.name] = entry?.count ?? 0
            if let entry { oldest[worker.endpoint.name] = (now - entry.oldest).components.seconds }
        }
        return (pending, oldest)
    }

    private func submit(_ draft: AlertDraft) {
        let startFlush = incoming.withLock { state -> Bool in
            state.drafts.append(draft)
            defer { state.flushing = true }
            return !state.flushing
        }
        if startFlush { Task { await flush() } }
    }

    /// Commits everything submitted so far in one transaction, repeatedly until nothing is left.
    /// What cannot be committed now stays in memory and is retried each second: a failing commit
    /// (a full disk), or alerts the kernel gave no random id for. Trouble is said once, loudly,
    /// and so is its end.
    private func flush() async {
        var troubleSince: MonotonicInstant?
        while true {
            let drafts = incoming.withLock { state -> [AlertDraft] in
                defer { state.drafts.removeAll() }
                if state.drafts.isEmpty { state.flushing = false }
                return state.drafts
            }
            guard !drafts.isEmpty else { return }
            let outcome = await commit(drafts)
            announce(outcome.committed)
            guard let trouble = outcome.trouble else {
                if let since = troubleSince {
                    troubleSince = nil
                    let seconds = (SystemClock().now().monotonic - since).components.seconds
                    audit.logger.notice("alerts committed again to \(outbox.path) after \(seconds) s of failures")
                }
                continue
            }
            if troubleSince == nil {
                troubleSince = SystemClock().now().monotonic
                audit.logger.critical("cannot commit \(outcome.retry.count) alerts to \(outbox.path): \(trouble); they are kept in memory and retried every second")
            }
            incoming.withLock { $0.drafts.insert(contentsOf: outcome.retry, at: 0) }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Gives each draft an id and commits them together. When one alert's id is already in the
    /// outbox the transaction fails as a whole, so each is then committed alone, and an alert
    /// whose id collides is re-issued under a new id rather than retried as it is forever.
    private func commit(_ drafts: [AlertDraft]) async -> (committed: [Alert], retry: [AlertDraft], trouble: String?) {
        var ready: [(draft: AlertDraft, alert: Alert)] = []
        var retry: [AlertDraft] = []
        var trouble: String?
        for var draft in drafts {
            draft.id = draft.id ?? AlertID.random()
            if let alert = draft.alert(from: origin) {
                ready.append((draft, alert))
            } else {
                trouble = "the kernel gave no randomness for alert ids (\(String(cString: strerror(errno))))"
                retry.append(draft)
            }
        }
        let workers = workers
        let endpoints = workers.map(\.endpoint.name)
        do {
            try await outbox.enqueue(ready.map(\.alert), endpoints: endpoints, at: SystemClock().now().wall)
            return (ready.map(\.alert), retry, trouble)
        } catch let error as SQLiteError where error.isConstraintViolation {
            var committed: [Alert] = []
            for (draft, alert) in ready {
                do {
                    try await outbox.enqueue([alert], endpoints: endpoints, at: SystemClock().now().wall)
                    committed.append(alert)
                } catch let error as SQLiteError where error.isConstraintViolation {
                    trouble = "alert id \(alert.id) (\(alert.type)) is already in the outbox; it is re-issued under a new id"
                    retry.append(AlertDraft(content: draft.content))
                } catch {
                    trouble = "\(error)"
                    retry.append(draft)
                }
            }
            return (committed, retry, trouble)
        } catch {
            return ([], retry + ready.map(\.draft), "\(error)")
        }
    }

    private func announce(_ committed: [Alert]) {
        guard !committed.isEmpty else { return }
        let workers = workers
        for alert in committed {
            var fields: Logger.Metadata = [
                JournalFields.alertID: .string(alert.id),
                JournalFields.detectedAt: .string(RFC3339.format(nanosecondsSinceEpoch: alert.detectedAt.nanosecondsSinceEpoch, fractionDigits: 6)),
            ]
            fields[JournalFields.anomaly] = alert.anomalyKind.map { .string($0.rawValue) }
            audit.daemon(.alertQueued, "alert \(alert.id) (\(alert.type)) queued for \(workers.count) hotline endpoint(s)",
                         level: .info, fields: fields)
        }
        for worker in workers { worker.wake.signal() }
        backlogCache.refresh()
    }

    private static func hostname() -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        _ = buffer.withUnsafeMutableBufferPointer { $0.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, $0.count) } }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The undelivered count and oldest age per endpoint, re-read after every commit and delivery so
/// `status` and `STATUS=` never query the database.
final class BacklogCache: Sendable {
    private let outbox: AlertOutbox
    private let changed: @Sendable () -> Void
    private let cache = Mutex<[String: (count: Int, oldest: WallInstant)]>([:])

    init(outbox: AlertOutbox, changed: @escaping @Sendable () -> Void) {
        self.outbox = outbox
        self.changed = changed
    }

    var snapshot: [String: (count: Int, oldest: WallInstant)] { cache.withLock { $0 } }

    func refresh() {
        if let backlog = try? outbox.backlog() { cache.withLock { $0 = backlog } }
        changed()
    }
}

/// Deletes alerts delivered longer than `retention` ago: at start, then at most hourly as
/// deliveries succeed, so the outbox stays bounded without a timer.
final class OutboxRetention: Sendable {
    private let outbox: AlertOutbox
    private let keep: Duration
    private let audit: AuditLog
    private let prunedAt = Mutex<MonotonicInstant?>(nil)

    init(outbox: AlertOutbox, keep: Duration, audit: AuditLog) {
        self.outbox = outbox
        self.keep = keep
        self.audit = audit
    }

    func pruneIfDue() async {
        let now = SystemClock().now()
        let due = prunedAt.withLock { last -> Bool in
            if let last, now.monotonic - last < .seconds(3600) { return false }
            last = now.monotonic
            return true
        }
        guard due else { return }
        do {
            try await outbox.prune(deliveredBefore: now.wall - keep)
        } catch {
            audit.logger.error("cannot prune delivered alerts in \(outbox.path): \(error)")
        }
    }
}

/// An alert not yet committed: what it reports, and its id once it has one.
struct AlertDraft: Sendable {
    enum Content: Sendable {
        case anomaly(Anomaly)
        case test(WallInstant)
    }

    var id: String?
    let content: Content

    init(id: String? = nil, content: Content) {
        self.id = id
        self.content = content
    }

    /// The alert with its body, once the draft has an id.
    func alert(from origin: AlertOrigin) -> Alert? {
        guard let id else { return nil }
        switch content {
        case .anomaly(let anomaly): return AlertBody.alert(for: anomaly, from: origin, id: id)
        case .test(let time): return AlertBody.test(from: origin, at: time, id: id)
        }
    }
}
