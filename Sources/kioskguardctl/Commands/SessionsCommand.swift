import ArgumentParser
import KioskGuardProtocol

/// `kioskguardctl sessions`: every open session.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the open sessions.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let rows = try ControlConnection(path: options.socket).call(ControlRequest(id: "sessions", verb: .sessions), as: [SessionRow].self)
        if options.json { return Output.json(rows) }
        Output.table(["terminal", "session", "subject", "state", "idle for", "next in"], rows.map {
            [$0.terminal, $0.session, $0.subject, $0.state + ($0.lockReason.map { " (\($0))" } ?? ""), Output.seconds($0.idleSeconds),
             Output.seconds($0.nextTransitionSeconds)]
        }, empty: "no open sessions")
    }
}

/// `kioskguardctl show SESSION`: one open session.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one open session.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The session id.") var session: String

    func run() throws {
        let row = try ControlConnection(path: options.socket).call(ControlRequest(id: "show", verb: .show, target: session), as: SessionRow.self)
        if options.json { return Output.json(row) }
        print("session \(row.session) on \(row.terminal)")
        print("subject: \(row.subject)")
        print("state: \(row.state)\(row.lockReason.map { " (\($0))" } ?? "")")
        print("idle for: \(Output.seconds(row.idleSeconds)); next transition in: \(Output.seconds(row.nextTransitionSeconds))")
    }
}
