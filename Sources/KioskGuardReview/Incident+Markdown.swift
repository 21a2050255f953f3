extension Incident {
    /// The incidents as Markdown for people: each with its reporting clock and its timeline.
    public static func markdown(_ incidents: [Incident], asOf: CalendarDay) -> String {
        var text = "# kioskguard incidents\n\n"
        text += "As of \(asOf) (local time). "
        guard !incidents.isEmpty else { return text + "No incident: no anomaly that may expose personal data in this period.\n" }
        text += incidents.count == 1 ? "1 incident.\n" : "\(incidents.count) incidents.\n"
        for incident in incidents { text += "\n" + incident.markdown }
        return text
    }

    /// This incident as a Markdown section.
    public var markdown: String {
        var text = "## Incident \(number): \(kinds.joined(separator: ", "))\n\n"
        text += "- First detection: \(ReviewText.localTime(firstDetection)) on \(cell(firstHost))\n"
        text += "- Hosts: \(hosts.map(cell).joined(separator: ", "))\n"
        if !sites.isEmpty { text += "- Sites: \(sites.map(cell).joined(separator: ", "))\n" }
        text += "- Subjects affected: \(subjects.count) (\(subjects.map(cell).joined(separator: ", ")))\n"
        if !accounts.isEmpty { text += "- Accounts: \(accounts.map(cell).joined(separator: ", "))\n" }
        text += alertsQueued == 0
            ? "- Alerts: none queued (no hotline configured, below `min_severity`, or found only by this review)\n\n"
            : "- Alerts: \(alertsDelivered) of \(alertsQueued) delivered to the hotline\n\n"
        text += "| report | rule | due | status |\n|---|---|---|---|\n"
        for deadline in deadlines {
            let status = switch deadline.status {
            case .ahead: deadline.daysLeft == 0 ? "ahead (due today)" : "ahead (\(days(deadline.daysLeft)) left)"
            case .overdue: "**overdue** by \(days(-deadline.daysLeft))"
            }
            text += "| \(deadline.report) | \(deadline.rule) | \(deadline.due) | \(status) |\n"
        }
        text += "\n| time | host | terminal | what |\n|---|---|---|---|\n"
        for line in timeline {
            let host = line.site.map { "\(line.host) (\($0))" } ?? line.host
            text += "| \(ReviewText.localTime(line.time)) | \(cell(host)) | \(cell(line.terminal ?? "-")) | \(cell(line.sentence)) |\n"
        }
        if timelineOmitted > 0 { text += "\n\(timelineOmitted) later lines are left out: a narrower --since/--until shows them.\n" }
        return text
    }

    private func days(_ count: Int) -> String { count == 1 ? "1 day" : "\(count) days" }

    /// A table cell: printable, with the cell separator escaped.
    private func cell(_ text: String) -> String {
        ReviewText.printable(text).split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}

extension Incident.TimelineEntry {
    /// What happened, in words.
    public var sentence: String {
        let session = session.map { " in session \($0)" } ?? ""
        switch step {
        case .registration:
            return "account \(account ?? "?") registered by \(subject ?? "?")\(session)"
        case .detected:
            return "kioskguardd detected \(anomaly ?? "?")\(session)\(subject.map { " (subject \($0))" } ?? "")"
        case .foundByReview:
            return "review: account \(account ?? "?") now registered by another person, \(subject ?? "?")\(session)"
        case .alertDelivered:
            let seconds = Double(delay ?? 0) / 1_000_000
            return "alert (\(anomaly ?? "?")) delivered to hotline \(endpoint ?? "?"), \(Self.span(seconds)) after detection"
        case .alertUndelivered:
            return "alert (\(anomaly ?? "?")) queued and not delivered by the end of the period"
        }
    }

    /// `89.8 s`, `14 min`, `3.5 h`, `2.0 days`.
    static func span(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: "\((seconds * 10).rounded() / 10) s"
        case ..<7200: "\(Int((seconds / 60).rounded())) min"
        case ..<172_800: "\((seconds / 360).rounded() / 10) h"
        default: "\((seconds / 8640).rounded() / 10) days"
        }
    }
}
