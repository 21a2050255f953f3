/// A point on the monotonic clock, in nanoseconds since an arbitrary origin.
///
/// Session timers run on this clock only, so a step of the wall clock can neither fire nor
/// skip a lock.
public struct MonotonicInstant: Comparable, Hashable, Sendable {
    /// Nanoseconds since the clock's origin (for the system clock, boot).
    public var nanoseconds: Int64

    /// Wraps a raw nanosecond count.
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: Self, rhs: Duration) -> Self {
        Self(nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds)
    }

    public static func - (lhs: Self, rhs: Duration) -> Self {
        Self(nanoseconds: lhs.nanoseconds &- rhs.nanoseconds)
    }

    public static func - (lhs: Self, rhs: Self) -> Duration {
        .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
    }
}

/// A point in civil time, in nanoseconds since the Unix epoch.
///
/// Used only for what must be meaningful to a person or survive a restart: the detection time of
/// an anomaly, the age of an account link, the recurring-pattern window.
public struct WallInstant: Comparable, Hashable, Sendable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    /// Wraps a raw nanosecond count since the epoch.
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Whole seconds since the epoch, rounded down.
    public var secondsSinceEpoch: Int64 {
        nanosecondsSinceEpoch >= 0
            ? nanosecondsSinceEpoch / 1_000_000_000
            : (nanosecondsSinceEpoch + 1) / 1_000_000_000 - 1
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    public static func + (lhs: Self, rhs: Duration) -> Self {
        Self(nanosecondsSinceEpoch: lhs.nanosecondsSinceEpoch &+ rhs.nanoseconds)
    }

    public static func - (lhs: Self, rhs: Duration) -> Self {
        Self(nanosecondsSinceEpoch: lhs.nanosecondsSinceEpoch &- rhs.nanoseconds)
    }

    public static func - (lhs: Self, rhs: Self) -> Duration {
        .nanoseconds(lhs.nanosecondsSinceEpoch &- rhs.nanosecondsSinceEpoch)
    }
}

/// The time an input is handled at, on both clocks: timers use `monotonic`, records use `wall`.
public struct Moment: Hashable, Sendable {
    /// Drives every session timer.
    public var monotonic: MonotonicInstant
    /// Stamps anomalies and account links.
    public var wall: WallInstant

    /// Pairs a monotonic and a wall reading taken together.
    public init(monotonic: MonotonicInstant, wall: WallInstant) {
        self.monotonic = monotonic
        self.wall = wall
    }
}

/// Where the engine's callers read the time from: the system clocks in the daemon, a manual
/// clock in tests and benchmarks.
public protocol MomentSource: Sendable {
    /// Both clocks, read now.
    func now() -> Moment
}

extension Duration {
    /// This duration in whole nanoseconds (saturating; durations here are minutes to days).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }

    /// This duration in whole seconds, rounded up, as the protocol reports timeouts.
    public var wholeSecondsRoundedUp: Int64 {
        let nanos = nanoseconds
        return nanos <= 0 ? 0 : (nanos + 999_999_999) / 1_000_000_000
    }
}
