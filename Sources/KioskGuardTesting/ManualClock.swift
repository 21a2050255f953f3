public import KioskGuardCore
import Synchronization

/// A clock that moves only when a test says so: both readings advance together, and the wall
/// clock can also be stepped on its own to prove timers ignore it.
public final class ManualClock: MomentSource {
    private let moment: Mutex<Moment>

    /// A clock at an arbitrary origin: monotonic 1000 s, wall 2026-01-01T00:00:00Z.
    public init(
        monotonic: MonotonicInstant = MonotonicInstant(nanoseconds: 1_000_000_000_000),
        wall: WallInstant = WallInstant(nanosecondsSinceEpoch: 1_767_225_600_000_000_000)
    ) {
        moment = Mutex(Moment(monotonic: monotonic, wall: wall))
    }

    /// The current reading.
    public func now() -> Moment { moment.withLock { $0 } }

    /// Moves both clocks forward by `duration` and returns the new reading.
    @discardableResult
    public func advance(by duration: Duration) -> Moment {
        moment.withLock {
            $0.monotonic = $0.monotonic + duration
            $0.wall = $0.wall + duration
            return $0
        }
    }

    /// Moves both clocks forward to the monotonic instant `instant` (never backwards).
    @discardableResult
    public func advance(to instant: MonotonicInstant) -> Moment {
        let current = now().monotonic
        return advance(by: instant > current ? instant - current : .zero)
    }

    /// Steps the wall clock alone (an NTP correction, an admin's `date -s`).
    public func stepWallClock(by duration: Duration) {
        moment.withLock { $0.wall = $0.wall + duration }
    }
}
