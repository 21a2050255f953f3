import Prometheus

/// The metrics of contract section 11, by their exposition names. No metric has a subject,
/// account or session label: a label's values are terminals, reasons, kinds, states, endpoints.
enum MetricName: String, CaseIterable, Sendable {
    case sessionsBegun = "kioskguard_sessions_begun_total"
    case sessionsEnded = "kioskguard_sessions_ended_total"
    case anomalies = "kioskguard_anomalies_total"
    case alertsPending = "kioskguard_alerts_pending"
    case alertOldestPending = "kioskguard_alert_oldest_pending_seconds"
    case terminalsConnected = "kioskguard_terminals_connected"
    case sessionsOpen = "kioskguard_sessions_open"
    case lockActions = "kioskguard_lock_actions_total"
    case buildInfo = "kioskguard_build_info"

    /// The `# HELP` line's text.
    var help: String {
        switch self {
        case .sessionsBegun: "Sessions begun, by terminal."
        case .sessionsEnded: "Sessions ended, by terminal and reason; reason abandoned is a forgotten logout."
        case .anomalies: "Anomalies detected, by kind and severity."
        case .alertsPending: "Alerts not yet delivered, by hotline endpoint."
        case .alertOldestPending: "Age of the oldest undelivered alert, by hotline endpoint; 0 when none is pending."
        case .terminalsConnected: "Terminals whose kiosk app or extension is connected."
        case .sessionsOpen: "Open sessions, by state."
        case .lockActions: "System lock actions, by action and result; action none, result unenforced: no action could enforce."
        case .buildInfo: "The daemon's version; always 1."
        }
    }

    /// The name with its help, as the registry takes it.
    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(metricName: rawValue, unitName: "", helpText: help)
    }
}

/// How one system lock action ended, the `result` label of `kioskguard_lock_actions_total`.
enum LockActionResult: String, CaseIterable, Sendable {
    /// The action did what it was asked.
    case succeeded
    /// The action failed; the next one is tried.
    case failed
    /// Every configured action failed (`action="none"`).
    case unenforced
}
