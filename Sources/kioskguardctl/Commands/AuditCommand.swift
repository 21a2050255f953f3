import ArgumentParser
import KioskGuardReview

/// `kioskguardctl audit`: re-runs the handover and account rules over the journal, across hosts.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Find handovers and accounts registered by two people, across the whole history.",
        discussion: "With --directory holding journals collected from many hosts, an account registered on two kiosks by two people is found however far apart the registrations were. Exit status 1 when something is found."
    )

    @OptionGroup var journal: JournalOptions
    @Flag(name: .long, help: "Print the findings as JSON.") var json = false

    func run() throws {
        var audit = Audit()
        try JournalOptions.stream(journal.query()) { entry in
            audit.add(entry)
            return true
        }
        let findings = audit.findings
        if json {
            Output.json(findings)
        } else {
            Output.table(["time", "rule", "hosts", "terminal", "session", "subject", "account", "other subjects"], findings.map {
                [ReviewText.localTime($0.time), $0.rule, $0.hosts.joined(separator: ","), $0.terminal ?? "-", $0.session ?? "-",
                 $0.subject ?? "-", $0.account ?? "-", $0.others.isEmpty ? "-" : $0.others.joined(separator: ",")]
            }, empty: "no findings")
        }
        if !findings.isEmpty { throw ExitCode.failure }
    }
}
