import ArgumentParser
import KioskGuardProtocol
import KioskGuardReview
import KioskGuardVocabulary

/// `kioskguardctl sessions`: every open session.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the open sessions.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let rows = try ControlConnection(path: options.socketPath).call(ControlRequest(id: "sessions", verb: .sessions), as: [SessionRow].self)
        if options.json { return Output.json(rows) }
        Output.table(["terminal", "session", "subject", "state", "idle for", "next in"], rows.map {
            [$0.terminal, $0.session, $0.subject ?? "anonymous", $0.state + ($0.lockReason.map { " (\($0))" } ?? ""), Output.seconds($0.idleSeconds),
             Output.seconds($0.nextTransitionSeconds)]
        }, empty: "no open sessions")
    }
}

/// `kioskguardctl show SESSION`: one session's state (while open) and its timeline so far.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one session: its state while open, and its timeline from the journal.",
        discussion: """
            The timeline is read from this host's journal, so ended sessions can be shown too. When ended sessions of that id \
            are in the journal of several terminals, --terminal must name one (exit 2 until it does).
            """
    )

    @OptionGroup var options: GlobalOptions
    @Option(name: .long, help: "The session's terminal, when session ids repeat across terminals.") var terminal: String?
    @Argument(help: "The session id.") var session: String

    /// The JSON shape of `show --json`: `open` is null once the session has ended.
    struct Shown: Encodable {
        let open: SessionRow?
        let timeline: [ReviewEntry]

        enum CodingKeys: String, CodingKey { case open, timeline }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(open, forKey: .open)
            try container.encode(timeline, forKey: .timeline)
        }
    }

    func run() throws {
        // The daemon knows the live state of open sessions; an ended one is only in the journal.
        let open = try? ControlConnection(path: options.socketPath).call(ControlRequest(id: "show", verb: .show, target: session), as: SessionRow.self)
        var query = JournalQuery()
        query.session = session
        query.terminal = terminal ?? open?.terminal
        var timeline: [ReviewEntry] = []
        try JournalOptions.stream(query) { entry in
            timeline.append(entry)
            return timeline.count < 10_000
        }
        guard open != nil || !timeline.isEmpty else { throw CLIFailure("no session '\(session)' is open or in the journal") }
        // Apps choose session ids, so two terminals may use the same one: never merge their timelines.
        let terminals = Set(timeline.compactMap(\.terminal)).sorted().map(ReviewText.printable)
        guard terminals.count <= 1 else {
            throw ValidationError("session '\(session)' is in the journal of \(terminals.count) terminals (\(terminals.joined(separator: ", "))): name one with --terminal")
        }
        if options.json { return Output.json(Shown(open: open, timeline: timeline)) }
        if let row = open {
            print("session \(row.session) on \(row.terminal): \(row.state)\(row.lockReason.map { " (\($0))" } ?? "")")
            print("subject \(row.subject ?? "none (anonymous)"); idle for \(Output.seconds(row.idleSeconds)); next transition in \(Output.seconds(row.nextTransitionSeconds))")
            if let enforcement = row.lastEnforcement { print("last enforcement: \(Output.enforcement(enforcement))") }
        } else {
            print("session \(session)\(terminals.first.map { " on \($0)" } ?? "") is not open")
        }
        Output.table(["time", "event", "detail"], timeline.map { entry in
            // A lock action's entry says in words which action did what, and whether it was seen
            // to happen: how an enforcement of the session ended.
            let detail = entry.event == AuditEvent.lockAction.rawValue ? ReviewText.printable(entry.message)
                : [entry.state, entry.reason, entry.anomaly, entry.step, entry.account].compactMap { $0 }.joined(separator: " ")
            return [ReviewText.localTime(entry.time), entry.event, detail.isEmpty ? "-" : detail]
        }, empty: "no journal entries for this session")
    }
}
