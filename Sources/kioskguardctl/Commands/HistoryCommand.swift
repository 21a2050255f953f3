import ArgumentParser
import KioskGuardReview

/// `kioskguardctl history`: what happened, from the journal; no daemon needed.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show kioskguard's journal entries, filtered.",
        discussion: "Reads the journal directly; the daemon need not run. A subject is given as its pseudonym (see 'pseudonym')."
    )

    @OptionGroup var journal: JournalOptions
    @Option(name: .long, help: "Only this terminal.") var terminal: String?
    @Option(name: .long, help: "Only this session.") var session: String?
    @Option(name: .long, help: ArgumentHelp("Only this subject pseudonym (p:…).", valueName: "pseudonym")) var subject: String?
    @Flag(name: .long, help: "One JSON object per line.") var json = false

    func validate() throws {
        if let subject, !(subject.hasPrefix("p:") && subject.count == 34) {
            throw ValidationError("--subject takes a pseudonym (p: and 32 hex digits); 'kioskguardctl pseudonym' turns a number into one")
        }
    }

    func run() throws {
        var query = journal.query()
        query.terminal = terminal
        query.session = session
        query.subject = subject
        var rows: [[String]] = []
        try JournalOptions.stream(query) { entry in
            if json {
                Output.jsonLine(entry)
            } else {
                let detail = [entry.state, entry.reason, entry.anomaly, entry.step].compactMap { $0 }.joined(separator: " ")
                rows.append([ReviewText.localTime(entry.time), entry.host, entry.terminal ?? "-", entry.session ?? "-", entry.event,
                             detail.isEmpty ? "-" : detail, entry.subject ?? "-"])
            }
            return true
        }
        if !json {
            Output.table(["time", "host", "terminal", "session", "event", "detail", "subject"], rows, empty: "no kioskguard entries match")
        }
    }
}
