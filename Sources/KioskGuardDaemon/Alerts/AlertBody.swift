import FoundationEssentials
public import KioskGuardCore

/// An alert as it is queued: a stable id and the exact body every delivery sends (and signs).
public struct Alert: Hashable, Sendable {
    /// Unique and stable for this alert forever; redeliveries carry it again.
    public var id: String
    /// The CloudEvents `type` (`kioskguard.anomaly.<name>`, or `kioskguard.test`).
    public var type: String
    /// When the anomaly was detected.
    public var detectedAt: WallInstant
    /// The CloudEvents structured-mode JSON body.
    public var body: [UInt8]

    /// The `type` prefix of anomaly alerts; the anomaly kind follows it.
    static let anomalyTypePrefix = "kioskguard.anomaly."

    /// The anomaly this alert reports; nil for a test alert.
    public var anomalyKind: AnomalyKind? {
        type.hasPrefix(Self.anomalyTypePrefix) ? AnomalyKind(rawValue: String(type.dropFirst(Self.anomalyTypePrefix.count))) : nil
    }
}

/// Where alerts come from: the host, and the fingerprint of the key their pseudonyms are made with.
public struct AlertOrigin: Hashable, Sendable {
    /// The host name (`source` is `urn:kioskguard:<host>`).
    public var host: String
    /// `Pseudonymizer.keyFingerprint` of the host's key.
    public var keyFingerprint: String
    /// `[daemon] site`, when set.
    public var site: String?

    /// An origin.
    public init(host: String, keyFingerprint: String, site: String? = nil) {
        self.host = host
        self.keyFingerprint = keyFingerprint
        self.site = site
    }
}

/// Builds CloudEvents 1.0 structured-mode bodies (docs/operations.md). Pseudonyms only: the
/// anomaly type has no room for anything else.
public enum AlertBody {
    /// The largest body sent; details are dropped (never identifiers) to stay under it.
    public static let maxBodySize = 64 * 1024

    /// The alert for `anomaly`, detected at `origin`.
    public static func alert(for anomaly: Anomaly, from origin: AlertOrigin, id: String) -> Alert {
        let type = Alert.anomalyTypePrefix + anomaly.kind.rawValue
        var data = AnomalyData(anomaly: anomaly, origin: origin)
        var body = encode(id: id, type: type, time: anomaly.detectedAt, host: origin.host, data: data)
        while body.count > maxBodySize, !data.details.isEmpty {
            data.details.removeValue(forKey: data.details.keys.max()!)
            data.detailsTruncated = true
            body = encode(id: id, type: type, time: anomaly.detectedAt, host: origin.host, data: data)
        }
        return Alert(id: id, type: type, detectedAt: anomaly.detectedAt, body: body)
    }

    /// A test alert an admin queues to prove the hotline path end to end.
    public static func test(from origin: AlertOrigin, at time: WallInstant, id: String) -> Alert {
        var data = AnomalyData(anomaly: Anomaly(kind: .patternRecurring, detectedAt: time), origin: origin)
        data.anomaly = "test"
        data.severity = "low"
        data.reason = "kioskguardctl alerts test"
        return Alert(id: id, type: "kioskguard.test", detectedAt: time,
                     body: encode(id: id, type: "kioskguard.test", time: time, host: origin.host, data: data))
    }

    private static func encode(id: String, type: String, time: WallInstant, host: String, data: AnomalyData) -> [UInt8] {
        let event = CloudEvent(id: id, source: "urn:kioskguard:\(host)", type: type, time: RFC3339.format(time), data: data)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Plain strings, integers and booleans only: encoding cannot fail.
        return Array((try? encoder.encode(event)) ?? Data())
    }
}

/// The CloudEvents 1.0 envelope.
struct CloudEvent: Encodable {
    let specversion = "1.0"
    let id: String
    let source: String
    let type: String
    let time: String
    let datacontenttype = "application/json"
    let data: AnomalyData
}

/// The `data` of an alert; decoded again to post the alert in another format.
struct AnomalyData: Codable {
    var anomaly: String
    var severity: String
    var host: String
    var site: String?
    var keyFingerprint: String
    var terminal: String?
    var session: String?
    var subject: String?
    var account: String?
    var reason: String?
    var detectedAt: String
    var details: [String: String]
    var detailsTruncated: Bool?

    init(anomaly: Anomaly, origin: AlertOrigin) {
        self.anomaly = anomaly.kind.rawValue
        severity = anomaly.severity.rawValue
        host = origin.host
        site = origin.site
        keyFingerprint = origin.keyFingerprint
        terminal = anomaly.terminal
        session = anomaly.session?.rawValue
        subject = anomaly.subject?.description
        account = anomaly.account?.description
        reason = anomaly.reason
        detectedAt = RFC3339.format(anomaly.detectedAt)
        var details: [String: [String]] = [:]
        for detail in anomaly.details { details[detail.name, default: []].append(detail.value) }
        self.details = details.mapValues { $0.joined(separator: ", ") }
    }

    enum CodingKeys: String, CodingKey {
        case anomaly, severity, host, site, terminal, session, subject, account, reason, details
        case detectedAt = "detected_at"
        case keyFingerprint = "key_fingerprint"
        case detailsTruncated = "details_truncated"
    }
}

extension RFC3339 {
    /// `2026-11-27T02:49:27.123Z`: an alert's `time`, to the millisecond.
    static func format(_ instant: WallInstant) -> String {
        format(nanosecondsSinceEpoch: instant.nanosecondsSinceEpoch, fractionDigits: 3)
    }
}
