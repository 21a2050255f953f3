import FoundationEssentials
import KioskGuardCore

/// Builds the body of an Alertmanager `POST /api/v2/alerts` (contract section 11) from an alert
/// as the outbox holds it, so that one durable outbox serves both formats: a JSON array of one
/// alert whose labels name the anomaly, severity, host, site, terminal and alert id, whose
/// annotations carry the summary, the session and the subject and account pseudonyms, starting
/// at the detection time and ending `resolveAfter` later.
enum AlertmanagerBody {
    /// The `alertname` label of every alert the daemon posts.
    static let alertName = "kioskguard_anomaly"

    /// The body for `alert`, or nil if its stored body is not one the daemon wrote.
    static func encode(_ alert: Alert, resolveAfter: Duration) -> [UInt8]? {
        guard let event = try? JSONDecoder().decode(StoredEvent.self, from: Data(alert.body)) else { return nil }
        let data = event.data
        var labels = ["alertname": alertName, "anomaly": data.anomaly, "severity": data.severity, "host": data.host, "alert_id": alert.id]
        labels["site"] = data.site
        labels["terminal"] = data.terminal
        var annotations = ["summary": summary(data)]
        annotations["session"] = data.session
        annotations["subject"] = data.subject
        annotations["account"] = data.account
        let ends = alert.detectedAt + resolveAfter
        let posted = [PostableAlert(labels: labels, annotations: annotations, startsAt: RFC3339.format(alert.detectedAt), endsAt: RFC3339.format(ends))]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try? Array(encoder.encode(posted))
    }

    /// One line a person on call reads first: what, how bad, where.
    static func summary(_ data: AnomalyData) -> String {
        var text = "\(data.anomaly) (\(data.severity))"
        if let terminal = data.terminal { text += " on terminal \(terminal)" }
        text += " at \(data.host)"
        if let site = data.site { text += ", \(site)" }
        if let reason = data.reason { text += ": \(reason)" }
        return text
    }

    /// Alertmanager's `postableAlert`.
    struct PostableAlert: Encodable {
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String
    }

    /// The part of a stored CloudEvents body an Alertmanager alert is made of.
    struct StoredEvent: Decodable {
        var data: AnomalyData
    }
}
