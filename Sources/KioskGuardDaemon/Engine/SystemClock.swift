public import KioskGuardCore
#if canImport(Glibc)
import Glibc
#endif

/// The real clocks: `CLOCK_MONOTONIC` for timers (the clock NIO's deadlines use) and
/// `CLOCK_REALTIME` for records.
public struct SystemClock: MomentSource {
    /// The system clocks.
    public init() {}

    public func now() -> Moment {
        Moment(monotonic: MonotonicInstant(nanoseconds: Self.read(CLOCK_MONOTONIC)), wall: WallInstant(nanosecondsSinceEpoch: Self.read(CLOCK_REALTIME)))
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
