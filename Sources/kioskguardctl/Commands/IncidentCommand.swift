import ArgumentParser
import KioskGuardReview

/// `kioskguardctl incident`: groups the anomalies that may expose personal data into incidents,
/// each with its timeline and reporting clock.
struct IncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident", abstract: "Group anomalies into incidents with their timeline and reporting deadlines.",
        discussion: """
            Anomalies that may expose one person's data to another (handovers, steps in inactive sessions, an account registered \
            by two people, also across hosts) are one incident when they share an account or a subject, or are of one kind \
            within 7 days. The reporting clock counts from the first detection: the preliminary report about 3 to 5 days later, \
            the final report 30 days later (60 for a suspected deliberate act), each ahead or overdue on the day of the run \
            (--as-of, default today). Exit status 1 when an incident is found.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case markdown, json
    }

    @OptionGroup var journal: JournalOptions
    @Option(name: .long, help: "markdown or json.") var format: Format = .markdown
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Read the reporting clock on this day instead of today (YYYY-MM-DD).", valueName: "day"))
    var asOf: String?

    func validate() throws {
        if let asOf, TimeExpression.parse(asOf, now: JournalOptions.now) == nil {
            throw ValidationError("--as-of '\(asOf)': use a day such as 2026-11-27, or today")
        }
    }

    func run() throws {
        var finder = IncidentFinder()
        try JournalOptions.stream(journal.query()) { entry in
            finder.add(entry)
            return true
        }
        let day = CalendarDay(localTimeOf: asOf.flatMap { TimeExpression.parse($0, now: JournalOptions.now) } ?? JournalOptions.now)
        let incidents = finder.incidents(asOf: day)
        switch format {
        case .json: Output.json(incidents)
        case .markdown: print(Incident.markdown(incidents, asOf: day), terminator: "")
        }
        if !incidents.isEmpty { throw ExitCode.failure }
    }
}
