import FoundationEssentials
import KioskGuardConfiguration
public import KioskGuardCore

/// When to try a failed delivery again: exponential backoff with full jitter (a uniformly random
/// delay up to `base · 2^(attempt−1)`, capped), or the server's `Retry-After` on 429 and 503.
/// Never gives up: the hotline is never given up on.
public struct RetryPolicy: Sendable {
    /// The first attempt's backoff ceiling.
    public var base: Duration
    /// The largest backoff.
    public var cap: Duration
    /// The longest `Retry-After` honoured; a server asking for more is asked again after this.
    public var maxRetryAfter: Duration = .seconds(3600)

    /// A policy with the given base and cap (the contract's defaults: 1 s and 5 min).
    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The delay before attempt `attempts + 1`, after `attempts` failures.
    public func backoff(afterAttempts attempts: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(attempts - 1, 0), 40)
        let ceiling = min(Double(cap.nanoseconds), Double(base.nanoseconds) * Double(Int64(1) << exponent))
        return .nanoseconds(Int64(Double.random(in: 0...ceiling, using: &generator)))
    }

    /// The delay a `Retry-After` header asks for: delta-seconds or an HTTP-date; nil if unreadable.
    public func retryAfter(_ header: String, now: WallInstant) -> Duration? {
        let trimmed = header.trimmingWhitespace()
        if let seconds = Int64(trimmed), seconds >= 0 { return min(.seconds(seconds), maxRetryAfter) }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        let delay = date - now
        return min(max(delay, .zero), maxRetryAfter)
    }
}

/// IMF-fixdate, the HTTP-date form servers send (`Sun, 06 Nov 1994 08:49:37 GMT`).
enum HTTPDate {
    static func parse(_ text: String) -> WallInstant? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
              let year = Int(parts[3]) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        let days = CivilDate.daysSinceEpoch(year: year, month: monthIndex + 1, day: day)
        let seconds = Int64(days) * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2])
        return WallInstant(nanosecondsSinceEpoch: seconds * 1_000_000_000)
    }
}
