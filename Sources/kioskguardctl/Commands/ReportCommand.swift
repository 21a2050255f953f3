import ArgumentParser
import KioskGuardReview

/// `kioskguardctl report`: per terminal, sessions, how they ended, forgotten logouts, anomalies;
/// or, as HTML, one self-contained document with charts per day.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Summarize sessions, forgotten logouts and anomalies per terminal.",
        discussion: "--format html writes one self-contained HTML file to standard output (no scripts, nothing loaded from elsewhere: it opens offline and can be mailed), with charts per day and terminal, and prints a summary line to standard error."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv, html
    }

    @OptionGroup var journal: JournalOptions
    @Option(name: .long, help: "table, json, csv or html.") var format: Format = .table

    func run() throws {
        switch format {
        case .html:
            try html()
        case .json:
            Output.json(try figures())
        case .csv:
            let terminals = try figures()
            print("host,terminal,sessions_begun,sessions_ended,abandoned,forgotten_logout_rate,anomalies,steps_denied")
            for figures in terminals {
                let anomalies = figures.anomalies.values.reduce(0, +)
                print([figures.host, figures.terminal, String(figures.sessionsBegun), String(figures.sessionsEnded),
                       String(figures.endedBy["abandoned", default: 0]), rate(figures.forgottenLogoutRate), String(anomalies),
                       String(figures.stepsDenied)].map(csvField).joined(separator: ","))
            }
        case .table:
            Output.table(["host", "terminal", "begun", "ended", "forgotten logouts", "ended by", "anomalies"], try figures().map { figures in
                [figures.host, figures.terminal, String(figures.sessionsBegun), String(figures.sessionsEnded),
                 "\(figures.endedBy["abandoned", default: 0]) (\(rate(figures.forgottenLogoutRate)))",
                 figures.endedBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                 figures.anomalies.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")]
            }, empty: "no kioskguard entries in this period")
        }
    }

    private func figures() throws -> [Report.TerminalFigures] {
        var report = Report()
        try JournalOptions.stream(journal.query()) { entry in
            report.add(entry)
            return true
        }
        return report.terminals
    }

    private func html() throws {
        var report = DailyReport()
        try JournalOptions.stream(journal.query()) { entry in
            report.add(entry)
            return true
        }
        print(report.html(generatedAt: JournalOptions.now), terminator: "")
        let terminals = report.sessions.count
        printToStandardError("kioskguardctl: report of \(report.entries) entries over \(report.days.count) days, \(report.hosts.count) hosts, \(terminals) terminals")
    }

    private func rate(_ value: Double) -> String {
        let percent = (value * 1000).rounded() / 10
        return "\(percent)%"
    }

    private func csvField(_ field: String) -> String {
        let value = ReviewText.printable(field)
        return value.contains(",") || value.contains("\"") ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
