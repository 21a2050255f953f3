import AsyncHTTPClient
import FoundationEssentials
import KioskGuardConfiguration
import KioskGuardCore
import Logging
import NIOCore
import NIOHTTP1

/// Delivers one endpoint's alerts, oldest first, one at a time, until each is acknowledged.
///
/// 2xx is delivered; 3xx is a failure and is never followed; 429 and 503 wait for `Retry-After`;
/// anything else, a timeout or a connection error backs off with full jitter. It never gives up.
/// An alert undelivered for `stall_after` is reported once at CRIT. Each endpoint has its own
/// worker, so a dead endpoint delays no other, and none of this runs on the engine's event loop.
final class HotlineDelivery: Sendable {
    let endpoint: HotlineEndpoint
    let wake = WakeSignal()
    private let signer: WebhookSigner?
    private let outbox: AlertOutbox
    private let client: HTTPClient
    private let audit: AuditLog
    private let policy: RetryPolicy
    private let stallAfter: Duration
    private let backlog: BacklogCache
    private let retention: OutboxRetention

    init(endpoint: HotlineEndpoint, signer: WebhookSigner?, outbox: AlertOutbox, client: HTTPClient, audit: AuditLog,
         policy: RetryPolicy, stallAfter: Duration, backlog: BacklogCache, retention: OutboxRetention) {
        self.endpoint = endpoint
        self.signer = signer
        self.outbox = outbox
        self.client = client
        self.audit = audit
        self.policy = policy
        self.stallAfter = stallAfter
        self.backlog = backlog
        self.retention = retention
    }

    /// Shuts the endpoint's HTTP client down, once delivery has stopped.
    func shutdownClient() async throws {
        try await client.shutdown()
    }

    /// Delivers until cancelled.
    func deliver() async {
        var generator = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            let next: AlertOutbox.Delivery?
            do {
                next = try outbox.nextDelivery(for: endpoint.name)
            } catch {
                audit.logger.error("cannot read the alert outbox \(outbox.path): \(error)")
                await wake.wait(upTo: .seconds(5))
                continue
            }
            guard let delivery = next else {
                await wake.wait(upTo: .seconds(3600))
                continue
            }
            let now = SystemClock().now().wall
            let nextStall = await reportStalls(at: now)
            if delivery.nextAttemptAt > now {
                var wait = delivery.nextAttemptAt - now
                if let nextStall { wait = min(wait, nextStall - now) }
                await wake.wait(upTo: wait)
                continue
            }
            await attempt(delivery, using: &generator)
        }
    }

    private func attempt(_ delivery: AlertOutbox.Delivery, using generator: inout SystemRandomNumberGenerator) async {
        let attemptNumber = delivery.attempts + 1
        let now = SystemClock().now().wall
        guard let payload = HotlinePayload(delivery.alert, for: endpoint) else {
            // Only a body the daemon did not write could get here; it is kept and reported, never dropped.
            return await failed(delivery, attempt: attemptNumber, ("the stored alert body cannot be read", nil, nil), using: &generator)
        }
        var request = HTTPClientRequest(url: payload.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: payload.contentType)
        request.headers.add(name: "User-Agent", value: "kioskguardd/\(ControlService.version)")
        request.headers.add(name: "webhook-id", value: delivery.alert.id)
        let timestamp = now.secondsSinceEpoch
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        if let signer {
            request.headers.add(name: "webhook-signature", value: signer.signature(id: delivery.alert.id, timestamp: timestamp, body: payload.body))
        }
        request.body = .bytes(ByteBuffer(bytes: payload.body))
        let failure: (message: String, status: Int?, retryAfter: Duration?)
        do {
            let response = try await exchange(request)
            let status = Int(response.status.code)
            if payload.isDelivered(status: status) {
                do {
                    try await outbox.markDelivered(delivery.sequence, endpoint: endpoint.name, status: status, at: SystemClock().now().wall)
                } catch {
                    audit.logger.error("delivered alert \(delivery.alert.id) but cannot record it: \(error); it will be sent again")
                }
                record(.alertDelivered, delivery, level: .info, "alert \(delivery.alert.id) delivered to hotline \(endpoint.name)",
                       attempt: attemptNumber, status: status)
                backlog.refresh()
                await retention.pruneIfDue()
                return
            }
            let retryAfter = (status == 429 || status == 503)
                ? response.headers.first(name: "Retry-After").flatMap { policy.retryAfter($0, now: SystemClock().now().wall) } : nil
            let kind = (300..<400).contains(status) ? "redirect (not followed)" : "status"
            failure = ("HTTP \(status) \(kind)", status, retryAfter)
        } catch {
            failure = (Self.describe(error), nil, nil)
        }
        await failed(delivery, attempt: attemptNumber, failure, using: &generator)
    }

    private func failed(_ delivery: AlertOutbox.Delivery, attempt attemptNumber: Int, _ failure: (message: String, status: Int?, retryAfter: Duration?),
                        using generator: inout SystemRandomNumberGenerator) async {
        let delay = failure.retryAfter ?? policy.backoff(afterAttempts: attemptNumber, using: &generator)
        let nextAttempt = SystemClock().now().wall + delay
        do {
            try await outbox.markFailed(delivery.sequence, endpoint: endpoint.name, error: failure.message, status: failure.status,
                                        nextAttempt: nextAttempt)
        } catch {
            audit.logger.error("cannot record a failed delivery in \(outbox.path): \(error)")
            await wake.wait(upTo: delay)
        }
        record(.alertRetry, delivery, level: .warning,
               "alert \(delivery.alert.id) to hotline \(endpoint.name) failed (\(failure.message)); attempt \(attemptNumber + 1) in \(delay)",
               attempt: attemptNumber, status: failure.status)
    }

    private func record(_ event: AuditEvent, _ delivery: AlertOutbox.Delivery, level: Logger.Level, _ message: String,
                        attempt: Int? = nil, status: Int? = nil) {
        var fields: Logger.Metadata = [
            JournalFields.alertID: .string(delivery.alert.id), JournalFields.endpoint: .string(endpoint.name),
        ]
        fields[JournalFields.attempt] = attempt.map { .string(String($0)) }
        fields[JournalFields.httpStatus] = status.map { .string(String($0)) }
        audit.daemon(event, message, level: level, fields: fields)
    }

    /// Reports at CRIT, once each, every undelivered alert queued `stall_after` ago or longer,
    /// wherever it waits in the queue; returns when the next one will be due.
    private func reportStalls(at now: WallInstant) async -> WallInstant? {
        do {
            for delivery in try outbox.unreportedStalls(for: endpoint.name, queuedBefore: now - stallAfter) {
                record(.alertStalled, delivery, level: .critical,
                       "alert \(delivery.alert.id) has not reached hotline \(endpoint.name) for \(stallAfter); delivery goes on")
                try await outbox.markStalled(delivery.sequence, endpoint: endpoint.name)
            }
            return try outbox.oldestUnreportedStall(for: endpoint.name).map { $0 + stallAfter }
        } catch {
            audit.logger.error("cannot read or update stalled alerts in \(outbox.path): \(error)")
            return nil
        }
    }

    /// Sends `request` and reads the answer to its last byte, all within the endpoint's `timeout`:
    /// a hotline that answers at once and then trickles its body is given up on as surely as one
    /// that never answers. The body is not needed; reading a bounded prefix lets the connection
    /// be reused.
    private func exchange(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let timeout = endpoint.timeout
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { [client] group in
            group.addTask {
                let response = try await client.execute(request, deadline: deadline)
                _ = try await response.body.collect(upTo: 64 * 1024)
                return response
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else { throw HTTPClientError.deadlineExceeded }
            return response
        }
    }

    /// A connection or timeout error, named without echoing anything the peer sent.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout { return "timeout" }
            return "HTTP client error: \(error)"
        }
        return "connection error: \(String(describing: error).prefix(200))"
    }
}
