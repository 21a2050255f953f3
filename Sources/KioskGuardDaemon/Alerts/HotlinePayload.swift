import KioskGuardConfiguration

/// What one delivery attempt sends to an endpoint, in the endpoint's format: CloudEvents as
/// queued, to the endpoint's url; or an Alertmanager alert, to `{url}/api/v2/alerts`.
struct HotlinePayload {
    var url: String
    var contentType: String
    var body: [UInt8]
    var format: HotlineFormat

    /// The payload of `alert` for `endpoint`; nil when the stored body cannot be read back.
    init?(_ alert: Alert, for endpoint: HotlineEndpoint) {
        format = endpoint.format
        switch endpoint.format {
        case .cloudevents:
            url = endpoint.url
            contentType = "application/cloudevents+json"
            body = alert.body
        case .alertmanager:
            guard let body = AlertmanagerBody.encode(alert, resolveAfter: endpoint.resolveAfter) else { return nil }
            url = Self.alertsURL(base: endpoint.url)
            contentType = "application/json"
            self.body = body
        }
    }

    /// Whether the endpoint's answer `status` acknowledges the alert: any 2xx for a webhook,
    /// 200 for Alertmanager, which answers nothing else when it took the alert.
    func isDelivered(status: Int) -> Bool {
        format == .alertmanager ? status == 200 : (200..<300).contains(status)
    }

    /// `{base}/api/v2/alerts`, with one slash between.
    static func alertsURL(base: String) -> String {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/api/v2/alerts"
    }
}
