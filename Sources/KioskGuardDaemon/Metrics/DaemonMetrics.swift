public import KioskGuardCore
import KioskGuardProtocol
import Prometheus
import Synchronization

/// The daemon's metrics (contract section 11): a Prometheus registry, and the per-terminal
/// session counters beside it. Counters move on the paths that produce records (an atomic add,
/// or a dictionary update per terminal under a lock); gauges are
/// set from a status snapshot just before the text is rendered. Every move counts as a change,
/// so the textfile is rewritten only when there is something new to say.
public final class DaemonMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let site: [(String, String)]
    private let changes = Atomic<UInt64>(0)
    private let sessions = Mutex(SessionCounters())
    private let anomalies: [AnomalyKind: Counter]
    private let lockActions: [String: Counter]
    private let terminalsConnected: Gauge
    private let sessionsOpen: [SessionState: Gauge]
    private let endpoints = Mutex<EndpointGauges>(EndpointGauges())
    /// Signalled at each reload, which may name a textfile where there was none.
    let reloaded = WakeSignal()

    /// The gauges of the configured hotline endpoints and the values last set.
    private struct EndpointGauges: @unchecked Sendable {
        var gauges: [String: (pending: Gauge, oldest: Gauge)] = [:]
        var last: MetricsSnapshot?
    }

    /// Metrics labelled with `site` (none when nil) for `terminals` and every anomaly kind,
    /// each at 0 until something happens.
    public init(site: String?, terminals names: [String]) {
        let labels = site.map { [("site", $0)] } ?? []
        let registry = PrometheusCollectorRegistry()
        self.site = labels
        self.registry = registry
        anomalies = Dictionary(uniqueKeysWithValues: AnomalyKind.allCases.map { kind in
            (kind, registry.makeCounter(descriptor: MetricName.anomalies.descriptor,
                                        labels: labels + [("anomaly", kind.rawValue), ("severity", kind.severity.rawValue)]))
        })
        var lockActions: [String: Counter] = [:]
        for action in SystemLockAction.allCases {
            for result in [LockActionResult.succeeded, .failed] {
                lockActions[Self.key(action.rawValue, result)] = registry.makeCounter(
                    descriptor: MetricName.lockActions.descriptor, labels: labels + [("action", action.rawValue), ("result", result.rawValue)])
            }
        }
        lockActions[Self.key("none", .unenforced)] = registry.makeCounter(
            descriptor: MetricName.lockActions.descriptor, labels: labels + [("action", "none"), ("result", LockActionResult.unenforced.rawValue)])
        self.lockActions = lockActions
        terminalsConnected = registry.makeGauge(descriptor: MetricName.terminalsConnected.descriptor, labels: labels)
        sessionsOpen = Dictionary(uniqueKeysWithValues: [SessionState.active, .warned, .locked].map { state in
            (state, registry.makeGauge(descriptor: MetricName.sessionsOpen.descriptor, labels: labels + [("state", state.rawValue)]))
        })
        registry.makeGauge(descriptor: MetricName.buildInfo.descriptor, labels: labels + [("version", KioskGuardVersion.current)]).set(Int64(1))
        declare(terminals: names)
    }

    /// A number that grows whenever a metric moves.
    public var generation: UInt64 { changes.load(ordering: .relaxed) }

    /// Makes the begun counter of every terminal in `names` that has none yet (a reload may add
    /// terminals; a removed terminal's counters stay, as counters do).
    public func declare(terminals names: [String]) {
        sessions.withLock { sessions in
            for name in names { sessions.declare(name) }
        }
        changed()
    }

    /// Counts a record: sessions begun and ended. Other records move no counter.
    public func record(_ record: AuditRecord) {
        switch record.event {
        case .sessionBegun:
            sessions.withLock { $0.begun(on: record.terminal) }
        case .sessionEnded:
            guard case .end(let reason)? = record.reason else { return }
            sessions.withLock { $0.ended(on: record.terminal, reason) }
        default:
            return
        }
        changed()
    }

    /// Counts an anomaly.
    public func anomaly(_ anomaly: Anomaly) {
        anomalies[anomaly.kind]?.increment()
        changed()
    }

    /// Counts one system lock action's result; `action` nil: no action could enforce.
    func lockAction(_ action: SystemLockAction?, _ result: LockActionResult) {
        lockActions[Self.key(action?.rawValue ?? "none", result)]?.increment()
        changed()
    }

    /// Sets the gauges to `snapshot`; endpoints it no longer names lose theirs.
    public func update(_ snapshot: MetricsSnapshot) {
        endpoints.withLock { endpoints in
            guard endpoints.last != snapshot else { return }
            terminalsConnected.set(Int64(snapshot.terminalsConnected))
            for (state, gauge) in sessionsOpen { gauge.set(Int64(snapshot.sessionsOpen[state.rawValue] ?? 0)) }
            for (name, gauges) in endpoints.gauges where snapshot.alertsPending[name] == nil {
                registry.unregisterGauge(gauges.pending)
                registry.unregisterGauge(gauges.oldest)
                endpoints.gauges[name] = nil
            }
            for (name, pending) in snapshot.alertsPending {
                let gauges = endpoints.gauges[name] ?? (
                    registry.makeGauge(descriptor: MetricName.alertsPending.descriptor, labels: site + [("endpoint", name)]),
                    registry.makeGauge(descriptor: MetricName.alertOldestPending.descriptor, labels: site + [("endpoint", name)])
                )
                endpoints.gauges[name] = gauges
                gauges.pending.set(Int64(pending))
                gauges.oldest.set(snapshot.oldestPendingSeconds[name] ?? 0)
            }
            endpoints.last = snapshot
            changed()
        }
    }

    /// The exposition text (Prometheus text format 0.0.4).
    public func exposition() -> [UInt8] {
        var text = registry.emitToBuffer()
        sessions.withLock { $0.render(site: site, into: &text) }
        return text
    }

    private func changed() {
        changes.add(1, ordering: .relaxed)
    }

    private static func key(_ action: String, _ result: LockActionResult) -> String { "\(action)/\(result.rawValue)" }
}

/// The values behind the gauges, taken from the daemon's status.
public struct MetricsSnapshot: Equatable, Sendable {
    /// Terminals connected now.
    public var terminalsConnected: Int
    /// Open sessions by state name.
    public var sessionsOpen: [String: Int]
    /// Undelivered alerts by endpoint name; every configured endpoint is named.
    public var alertsPending: [String: Int]
    /// The oldest undelivered alert's age in seconds, by endpoint name.
    public var oldestPendingSeconds: [String: Int64]

    /// A snapshot of these values.
    public init(terminalsConnected: Int, sessionsOpen: [String: Int], alertsPending: [String: Int], oldestPendingSeconds: [String: Int64]) {
        self.terminalsConnected = terminalsConnected
        self.sessionsOpen = sessionsOpen
        self.alertsPending = alertsPending
        self.oldestPendingSeconds = oldestPendingSeconds
    }
}
