/// The recurring-pattern rule: `threshold` anomalies of one kind on this host within `window`
/// raise `pattern.recurring`, at most once per window and kind.
///
/// Counts run on the wall clock: the window (a day by default) is a civil period, and the state
/// holds only the last `threshold` times per kind, so memory stays fixed.
public struct PatternDetector: Sendable {
    /// How many anomalies of one kind make a pattern.
    public let threshold: Int
    /// The period they must fall in.
    public let window: Duration

    private var recent: [AnomalyKind: [WallInstant]] = [:]
    private var lastRaised: [AnomalyKind: WallInstant] = [:]

    /// A detector with the given rule (defaults: 3 within 24 h).
    public init(threshold: Int = 3, window: Duration = .seconds(24 * 3600)) {
        precondition(threshold >= 1, "a pattern needs at least one anomaly")
        self.threshold = threshold
        self.window = window
    }

    /// Counts `anomaly` and returns the `pattern.recurring` it completes, if any.
    public mutating func observe(_ anomaly: Anomaly) -> Anomaly? {
        guard anomaly.kind != .patternRecurring else { return nil }
        let now = anomaly.detectedAt
        var times = recent[anomaly.kind, default: []]
        times.removeAll { now - $0 >= window || $0 > now }
        times.append(now)
        if times.count > threshold { times.removeFirst(times.count - threshold) }
        recent[anomaly.kind] = times
        guard times.count >= threshold else { return nil }
        if let raised = lastRaised[anomaly.kind], now - raised < window { return nil }
        lastRaised[anomaly.kind] = now
        return Anomaly(
            kind: .patternRecurring, terminal: anomaly.terminal, reason: anomaly.kind.rawValue, detectedAt: now,
            details: [
                AnomalyDetail("recurring_anomaly", anomaly.kind.rawValue),
                AnomalyDetail("count", String(times.count)),
                AnomalyDetail("window_seconds", String(window.components.seconds)),
            ]
        )
    }
}
