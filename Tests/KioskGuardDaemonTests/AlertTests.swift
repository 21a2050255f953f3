import Foundation
@testable import KioskGuardDaemon
import KioskGuardConfiguration
import KioskGuardCore
import Testing

@Suite("Alerts: signing, body, retry policy, outbox")
struct AlertTests {
    @Test("signing reproduces the Standard Webhooks specification's published test vector")
    func standardWebhooksVector() throws {
        let signer = try WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("secrets that are not whsec_ and base64 are refused without echoing them", arguments: [
        "", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!", "whsec_c2hvcnQ=",
    ])
    func badSecrets(secret: String) {
        do {
            _ = try WebhookSigner(secret: secret)
            Issue.record("accepted \(secret)")
        } catch {
            #expect(!error.description.contains("MfKQ9r8"))
        }
    }

    @Test("an anomaly becomes a CloudEvents 1.0 structured body with pseudonyms only")
    func cloudEvent() throws {
        let detected = WallInstant(nanosecondsSinceEpoch: 1_795_748_967_123_000_000)
        let anomaly = Anomaly(kind: .accountMultipleSubjects, terminal: "counter-1", session: SessionID("s-1"), subject: Pseudonym(high: 1, low: 2),
                              account: Pseudonym(high: 3, low: 4), detectedAt: detected, details: [AnomalyDetail("other_subject", "p:x")])
        let alert = AlertBody.alert(for: anomaly, from: AlertOrigin(host: "kiosk-7", keyFingerprint: "k:0123456789abcdef"), id: "a-1")
        let json = try #require(JSONSerialization.jsonObject(with: Data(alert.body)) as? [String: Any])
        #expect(json["specversion"] as? String == "1.0")
        #expect(json["id"] as? String == "a-1")
        #expect(json["source"] as? String == "urn:kioskguard:kiosk-7")
        #expect(json["type"] as? String == "kioskguard.anomaly.account.multiple-subjects")
        // Python: datetime.fromtimestamp(1795748967.123, timezone.utc) is 2026-11-27T03:09:27.123Z.
        #expect(json["time"] as? String == "2026-11-27T03:09:27.123Z")
        #expect(json["datacontenttype"] as? String == "application/json")
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["severity"] as? String == "critical")
        #expect(data["subject"] as? String == Pseudonym(high: 1, low: 2).description)
        #expect(data["account"] as? String == Pseudonym(high: 3, low: 4).description)
        #expect(data["detected_at"] as? String == json["time"] as? String)
        #expect(data["key_fingerprint"] as? String == "k:0123456789abcdef")
        #expect((data["details"] as? [String: String]) == ["other_subject": "p:x"])
    }

    @Test("alert ids are random version-4 UUIDs, never the same twice")
    func alertIDs() throws {
        let ids = try (0..<1000).map { _ in try #require(AlertID.random()) }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect("89ab".utf8.contains(bytes[19]))
        }
        #expect(AlertID.format(Array(0..<16)) == "00010203-0405-0607-0809-0a0b0c0d0e0f")
    }

    @Test("a body over 64 KiB is impossible: details are dropped, identifiers kept")
    func bodyCap() throws {
        let huge = (0..<200).map { AnomalyDetail("session", String(repeating: "s", count: 500) + "\($0)") }
            + (0..<200).map { AnomalyDetail("other_\($0)", String(repeating: "x", count: 500)) }
        let anomaly = Anomaly(kind: .guardRestarted, subject: Pseudonym(high: 9, low: 9), detectedAt: WallInstant(nanosecondsSinceEpoch: 0), details: huge)
        let alert = AlertBody.alert(for: anomaly, from: AlertOrigin(host: "h", keyFingerprint: "k:0000000000000000"), id: AlertID.random()!)
        #expect(alert.body.count <= AlertBody.maxBodySize)
        let json = try #require(JSONSerialization.jsonObject(with: Data(alert.body)) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["details_truncated"] as? Bool == true)
        #expect(data["subject"] as? String == Pseudonym(high: 9, low: 9).description)
    }

    @Test("RFC 3339 in UTC, including before 1970 and leap days", arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"), (951_782_400_500_000_000, "2000-02-29T00:00:00.500Z"),
        (-1_000_000_000, "1969-12-31T23:59:59.000Z"), (4_102_444_799_999_000_000, "2099-12-31T23:59:59.999Z"),
    ])
    func rfc3339(nanoseconds: Int64, expected: String) {
        #expect(RFC3339.format(WallInstant(nanosecondsSinceEpoch: nanoseconds)) == expected)
    }

    @Test("backoff is full jitter under an exponential ceiling, capped")
    func backoff() {
        let policy = RetryPolicy(base: .seconds(1), cap: .seconds(300))
        var generator = SystemRandomNumberGenerator()
        for attempts in 1...30 {
            let ceiling = min(Duration.seconds(300), .seconds(1 << min(attempts - 1, 20)))
            for _ in 0..<50 {
                let delay = policy.backoff(afterAttempts: attempts, using: &generator)
                #expect(delay >= .zero && delay <= ceiling, "attempt \(attempts): \(delay)")
            }
        }
        let late = (0..<200).map { _ in policy.backoff(afterAttempts: 30, using: &generator) }
        #expect(late.contains { $0 > .seconds(150) } && late.contains { $0 < .seconds(150) }, "jitter spreads over the whole range")
    }

    @Test("Retry-After as seconds or an HTTP-date; unreadable values are ignored")
    func retryAfter() {
        let policy = RetryPolicy()
        let now = WallInstant(nanosecondsSinceEpoch: 784_111_777_000_000_000)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(policy.retryAfter("120", now: now) == .seconds(120))
        #expect(policy.retryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now: now) == .seconds(10))
        #expect(policy.retryAfter("Sun, 06 Nov 1994 08:49:27 GMT", now: now) == .zero)
        #expect(policy.retryAfter("999999999", now: now) == .seconds(3600))
        #expect(policy.retryAfter("soon", now: now) == nil)
        #expect(policy.retryAfter("-5", now: now) == nil)
    }

    @Test("the outbox keeps detection order per endpoint and tracks each endpoint apart")
    func outbox() async throws {
        let directory = NSTemporaryDirectory() + "kioskguard-outbox-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outbox = try AlertOutbox(directory: directory)
        let now = WallInstant(nanosecondsSinceEpoch: 1_000_000_000_000)
        let alerts = (1...3).map { Alert(id: "a\($0)", type: "t", detectedAt: now, body: Array("{\"n\":\($0)}".utf8)) }
        try await outbox.enqueue(alerts, endpoints: ["primary", "backup"], at: now)
        let first = try #require(try outbox.nextDelivery(for: "primary"))
        #expect(first.alert.id == "a1" && first.alert.body == Array("{\"n\":1}".utf8))
        try await outbox.markFailed(first.sequence, endpoint: "primary", error: "HTTP 500", status: 500, nextAttempt: now + .seconds(5))
        #expect(try outbox.nextDelivery(for: "primary")?.alert.id == "a1", "a failed head stays at the head: order is kept")
        try await outbox.markDelivered(first.sequence, endpoint: "primary", status: 200, at: now)
        #expect(try outbox.nextDelivery(for: "primary")?.alert.id == "a2")
        #expect(try outbox.nextDelivery(for: "backup")?.alert.id == "a1")
        let backlog = try outbox.backlog()
        #expect(backlog["primary"]?.count == 2 && backlog["backup"]?.count == 3)
        try await outbox.prune(deliveredBefore: now + .seconds(1))
        #expect(try outbox.nextDelivery(for: "backup")?.alert.id == "a1", "alerts pending anywhere are never pruned")
    }
}

@Suite("Alerts: the Alertmanager format")
struct AlertmanagerFormatTests {
    @Test("an anomaly becomes one Alertmanager alert: the contract's labels, pseudonyms in annotations, detection to detection + resolve_after")
    func alertmanagerBody() throws {
        let detected = WallInstant(nanosecondsSinceEpoch: 1_795_748_967_123_000_000)
        let anomaly = Anomaly(kind: .handoverUnclosedSession, terminal: "counter-1", session: SessionID("s-1"), subject: Pseudonym(high: 1, low: 2),
                              account: Pseudonym(high: 3, low: 4), reason: "a new session began while one was open", detectedAt: detected)
        let alert = AlertBody.alert(for: anomaly, from: AlertOrigin(host: "kiosk-7", keyFingerprint: "k:0123456789abcdef", site: "Kita ward"), id: "a-1")
        var endpoint = HotlineEndpoint(name: "am-1", url: "http://127.0.0.1:9093/")
        endpoint.format = .alertmanager
        endpoint.resolveAfter = .seconds(7200)
        let payload = try #require(HotlinePayload(alert, for: endpoint))
        #expect(payload.url == "http://127.0.0.1:9093/api/v2/alerts")
        #expect(payload.contentType == "application/json")
        #expect(payload.isDelivered(status: 200) && !payload.isDelivered(status: 202) && !payload.isDelivered(status: 500))
        let alerts = try #require(JSONSerialization.jsonObject(with: Data(payload.body)) as? [[String: Any]])
        #expect(alerts.count == 1)
        #expect(alerts[0]["labels"] as? [String: String] == [
            "alertname": "kioskguard_anomaly", "anomaly": "handover.unclosed-session", "severity": "high", "host": "kiosk-7",
            "site": "Kita ward", "terminal": "counter-1", "alert_id": "a-1",
        ])
        let annotations = try #require(alerts[0]["annotations"] as? [String: String])
        #expect(annotations["subject"] == Pseudonym(high: 1, low: 2).description)
        #expect(annotations["account"] == Pseudonym(high: 3, low: 4).description)
        #expect(annotations["session"] == "s-1")
        #expect(annotations["summary"] == "handover.unclosed-session (high) on terminal counter-1 at kiosk-7, Kita ward: a new session began while one was open")
        #expect(alerts[0]["startsAt"] as? String == "2026-11-27T03:09:27.123Z")
        #expect(alerts[0]["endsAt"] as? String == "2026-11-27T05:09:27.123Z")
    }

    @Test("a webhook endpoint gets the queued CloudEvents body unchanged, any 2xx delivers it; a body the daemon did not write is no payload")
    func cloudEventsPayload() throws {
        let alert = AlertBody.test(from: AlertOrigin(host: "kiosk-7", keyFingerprint: "k:0123456789abcdef"), at: WallInstant(nanosecondsSinceEpoch: 0), id: "t-1")
        let endpoint = HotlineEndpoint(name: "hotline", url: "https://hotline.example/in")
        let payload = try #require(HotlinePayload(alert, for: endpoint))
        #expect(payload.body == alert.body && payload.url == "https://hotline.example/in")
        #expect(payload.isDelivered(status: 202))
        var manager = endpoint
        manager.format = .alertmanager
        #expect(HotlinePayload(Alert(id: "x", type: "kioskguard.test", detectedAt: alert.detectedAt, body: Array("not json".utf8)), for: manager) == nil)
        #expect(HotlinePayload.alertsURL(base: "http://am:9093") == "http://am:9093/api/v2/alerts")
    }
}
