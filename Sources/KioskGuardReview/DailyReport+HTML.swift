import KioskGuardVocabulary

extension DailyReport {
    /// Terminals drawn and tabled one by one; the rest are summed as "others", so the report
    /// reads the same at 1 terminal and at 10,000.
    public static let terminalsShown = 15

    /// The report as one self-contained HTML document: inline CSS and SVG, no script and no
    /// resource from anywhere (its Content-Security-Policy forbids them too), so it opens offline
    /// and can be mailed. Every chart element carries its figures in `data-` attributes.
    public func html(generatedAt: UInt64) -> String {
        let days = days
        let (top, others) = busiestTerminals(limit: Self.terminalsShown)
        let perDay = sessionsPerDay
        let total = perDay.values.reduce(into: Sessions()) { $0.merge($1) }
        let anomalyCount = anomalies.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>kioskguard report</title>
            <style>\(Self.style)</style></head><body>
            <h1>kioskguard report</h1>

            """
        page += "<p class=\"period\" data-from=\"\(period.map { CalendarDay(localTimeOf: $0.lowerBound).description } ?? "")\" "
        page += "data-until=\"\(period.map { CalendarDay(localTimeOf: $0.upperBound).description } ?? "")\">"
        if let period {
            page += "From \(HTML.escape(ReviewText.localTime(period.lowerBound))) to \(HTML.escape(ReviewText.localTime(period.upperBound))) (local time), "
        } else {
            page += "No kioskguard entries in this period. "
        }
        page += "\(entries) entries, generated \(HTML.escape(ReviewText.localTime(generatedAt))).</p>\n"
        let hostList = hosts.sorted()
        page += "<p class=\"hosts\" data-hosts=\"\(hosts.count)\">Hosts (\(hosts.count)): \(HTML.escape(hostList.prefix(20).joined(separator: ", ")))"
        page += hostList.count > 20 ? " and \(hostList.count - 20) more</p>\n" : "</p>\n"
        let siteList = sites.sorted()
        page += "<p class=\"sites\" data-sites=\"\(sites.count)\">Sites (\(sites.count)): "
        page += siteList.isEmpty ? "none named (<code>[daemon] site</code> is not set on these hosts)</p>\n"
            : HTML.escape(siteList.prefix(20).joined(separator: ", ")) + (siteList.count > 20 ? " and \(siteList.count - 20) more</p>\n" : "</p>\n")
        page += """
            <table class="totals"><tr><th>sessions begun</th><th>sessions ended</th><th>forgotten logouts</th><th>anomalies</th>\
            <th>alerts delivered</th><th>alerts not delivered</th></tr>
            <tr><td data-figure="begun">\(total.begun)</td><td data-figure="ended">\(total.ended)</td>\
            <td data-figure="abandoned">\(total.abandoned) (\(Self.percent(total.forgottenLogoutRate)))</td>\
            <td data-figure="anomalies">\(anomalyCount)</td><td data-figure="delivered">\(deliveredAlerts)</td>\
            <td data-figure="undelivered">\(undeliveredAlerts)</td></tr></table>

            """
        page += "<h2>Sessions ended per day, and forgotten logouts</h2>\n" + sessionsChart(days: days, perDay: perDay)
        page += "<h2>Forgotten-logout rate by terminal</h2>\n" + terminalChart(top: top, others: others)
        page += "<h2>Anomalies per day, by severity</h2>\n" + anomalyChart(days: days) + anomalyTable()
        page += "<h2>Alert delivery delay (detection to delivery)</h2>\n" + delayChart()
        page += "<h2>Per terminal and day</h2>\n" + terminalDayTable(days: days, top: top, others: others)
        return page + "</body></html>\n"
    }

    private static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.6em}h2{font-size:1.15em;margin-top:2em}\
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}\
        th{background:#f3f3f3}td.name{text-align:left}svg{display:block;margin:.5em 0}svg text{font-size:11px;fill:#333}\
        .ended{fill:#8fb3d9}.abandoned{fill:#d9534f}.rate{stroke:#222;fill:none;stroke-width:1.5}\
        .low{fill:#9bc59d;color:#9bc59d}.medium{fill:#f0ad4e;color:#f0ad4e}.high{fill:#e06c4f;color:#e06c4f}\
        .critical{fill:#8b1a1a;color:#8b1a1a}.bar{fill:#6c8ebf}
        """

    private static let severities = Severity.allCases.sorted(by: >)

    private func sessionsChart(days: [CalendarDay], perDay: [CalendarDay: Sessions]) -> String {
        let highest = max(1, days.map { perDay[$0]?.ended ?? 0 }.max() ?? 0)
        let chart = SVGChart(columns: days.count, highest: highest)
        var svg = chart.open(label: "sessions ended per day")
        var ratePoints: [String] = []
        for (index, day) in days.enumerated() {
            let figures = perDay[day] ?? Sessions()
            svg += "<g class=\"day\" data-day=\"\(day)\" data-ended=\"\(figures.ended)\" data-abandoned=\"\(figures.abandoned)\" "
            svg += "data-rate=\"\(Self.ratio(figures.forgottenLogoutRate))\"><title>\(day): \(figures.ended) ended, \(figures.abandoned) forgotten</title>"
            svg += chart.bar(column: index, from: 0, to: figures.ended, className: "ended")
            svg += chart.bar(column: index, from: 0, to: figures.abandoned, className: "abandoned") + "</g>"
            if figures.ended > 0 { ratePoints.append("\(chart.center(column: index)),\(chart.y(fraction: figures.forgottenLogoutRate))") }
        }
        if ratePoints.count > 1 { svg += "<polyline class=\"rate\" points=\"\(ratePoints.joined(separator: " "))\"/>" }
        svg += chart.axis(days: days, highest: highest)
        return svg + "</svg>\n<p>Bars: sessions ended (blue), of them forgotten logouts, ended <code>abandoned</code> (red). "
            + "Line: the forgotten-logout rate, 0 at the bottom to 100% at the top.</p>\n"
    }

    private func terminalChart(top: [Terminal], others: [Terminal]) -> String {
        let perTerminal = sessionsPerTerminal
        var rows = top.map { (label: "\($0.host) / \($0.terminal)", host: $0.host, terminal: $0.terminal, figures: perTerminal[$0] ?? Sessions()) }
        if !others.isEmpty {
            let summed = others.reduce(into: Sessions()) { $0.merge(perTerminal[$1] ?? Sessions()) }
            rows.append((label: "others (\(others.count) terminals)", host: "", terminal: "", figures: summed))
        }
        let height = 22 * rows.count + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"\(height)\" role=\"img\" aria-label=\"forgotten-logout rate by terminal\">"
        for (index, row) in rows.enumerated() {
            let y = 5 + index * 22
            let width = Int((row.figures.forgottenLogoutRate * 400).rounded())
            svg += "<g class=\"terminal\" data-host=\"\(HTML.escape(row.host))\" data-terminal=\"\(HTML.escape(row.terminal))\" "
            svg += "data-others=\"\(row.host.isEmpty ? others.count : 0)\" data-ended=\"\(row.figures.ended)\" "
            svg += "data-abandoned=\"\(row.figures.abandoned)\" data-rate=\"\(Self.ratio(row.figures.forgottenLogoutRate))\">"
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(HTML.escape(String(row.label.prefix(40))))</text>"
            svg += "<rect class=\"abandoned\" x=\"260\" y=\"\(y + 3)\" width=\"\(width)\" height=\"14\"/>"
            svg += "<text x=\"\(266 + width)\" y=\"\(y + 14)\">\(Self.percent(row.figures.forgottenLogoutRate)) of \(row.figures.ended)</text></g>"
        }
        return svg + "</svg>\n"
    }

    private func anomalyChart(days: [CalendarDay]) -> String {
        func bySeverity(_ day: CalendarDay) -> [Severity: Int] {
            var counts: [Severity: Int] = [:]
            for (kind, count) in anomalies[day] ?? [:] {
                counts[AnomalyKind(rawValue: kind)?.severity ?? .low, default: 0] += count
            }
            return counts
        }
        let highest = max(1, days.map { bySeverity($0).values.reduce(0, +) }.max() ?? 0)
        let chart = SVGChart(columns: days.count, highest: highest)
        var svg = chart.open(label: "anomalies per day by severity")
        for (index, day) in days.enumerated() {
            var stacked = 0
            for (severity, count) in bySeverity(day).sorted(by: { $0.key > $1.key }) {
                svg += "<g class=\"anomalies\" data-day=\"\(day)\" data-severity=\"\(severity.rawValue)\" data-count=\"\(count)\">"
                svg += "<title>\(day): \(count) \(severity.rawValue)</title>"
                svg += chart.bar(column: index, from: stacked, to: stacked + count, className: severity.rawValue) + "</g>"
                stacked += count
            }
        }
        svg += chart.axis(days: days, highest: highest)
        let legend = Self.severities.map { "<span class=\"\($0.rawValue)\">■</span> \($0.rawValue)" }.joined(separator: " ")
        return svg + "</svg>\n<p>\(legend)</p>\n"
    }

    private func anomalyTable() -> String {
        var byKind: [String: Int] = [:]
        for perKind in anomalies.values { byKind.merge(perKind, uniquingKeysWith: +) }
        guard !byKind.isEmpty else { return "<p>No anomalies.</p>\n" }
        var table = "<table class=\"kinds\"><tr><th>anomaly</th><th>severity</th><th>count</th></tr>"
        for (kind, count) in byKind.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            let severity = AnomalyKind(rawValue: kind)?.severity.rawValue ?? "?"
            table += "<tr data-kind=\"\(HTML.escape(kind))\" data-count=\"\(count)\"><td class=\"name\">\(HTML.escape(kind))</td><td>\(severity)</td><td>\(count)</td></tr>"
        }
        return table + "</table>\n"
    }

    private func delayChart() -> String {
        let labels = Self.delayBuckets.map(\.label) + ["> 1 day"]
        let highest = max(1, delayHistogram.max() ?? 0)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"\(22 * labels.count + 10)\" role=\"img\" aria-label=\"alert delivery delay\">"
        for (index, label) in labels.enumerated() {
            let y = 5 + index * 22
            let count = delayHistogram[index]
            let width = count * 400 / highest
            svg += "<g class=\"delay\" data-bucket=\"\(HTML.escape(label))\" data-count=\"\(count)\">"
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(HTML.escape(label))</text>"
            svg += "<rect class=\"bar\" x=\"90\" y=\"\(y + 3)\" width=\"\(width)\" height=\"14\"/><text x=\"\(96 + width)\" y=\"\(y + 14)\">\(count)</text></g>"
        }
        let slowest = Incident.TimelineEntry.span(Double(slowestDelivery) / 1_000_000)
        return svg + "</svg>\n<p data-slowest-us=\"\(slowestDelivery)\">\(deliveredAlerts) alerts delivered, the slowest \(slowest) after detection; "
            + "\(undeliveredAlerts) queued and not delivered in the period.</p>\n"
    }

    private func terminalDayTable(days: [CalendarDay], top: [Terminal], others: [Terminal]) -> String {
        var table = "<table class=\"terminal-days\"><tr><th>host</th><th>terminal</th><th>day</th><th>begun</th><th>ended</th>"
        table += "<th>forgotten logouts</th><th>ended by</th></tr>"
        func row(host: String, terminal: String, day: CalendarDay, _ figures: Sessions) -> String {
            let endedBy = figures.endedBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "<tr data-host=\"\(HTML.escape(host))\" data-terminal=\"\(HTML.escape(terminal))\" data-day=\"\(day)\" data-begun=\"\(figures.begun)\" "
                + "data-ended=\"\(figures.ended)\" data-abandoned=\"\(figures.abandoned)\"><td class=\"name\">\(HTML.escape(host))</td>"
                + "<td class=\"name\">\(HTML.escape(terminal))</td><td>\(day)</td><td>\(figures.begun)</td><td>\(figures.ended)</td>"
                + "<td>\(figures.abandoned) (\(Self.percent(figures.forgottenLogoutRate)))</td><td class=\"name\">\(HTML.escape(endedBy))</td></tr>"
        }
        for day in days {
            for terminal in top {
                if let figures = sessions[terminal]?[day] { table += row(host: terminal.host, terminal: terminal.terminal, day: day, figures) }
            }
            let summed = others.reduce(into: Sessions()) { if let figures = sessions[$1]?[day] { $0.merge(figures) } }
            if summed.begun + summed.ended > 0 { table += row(host: "", terminal: "others (\(others.count) terminals)", day: day, summed) }
        }
        return table + "</table>\n"
    }

    private static func percent(_ rate: Double) -> String { "\((rate * 1000).rounded() / 10)%" }
    private static func ratio(_ rate: Double) -> String { "\((rate * 10_000).rounded() / 10_000)" }
}
