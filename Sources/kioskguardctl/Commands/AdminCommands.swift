import ArgumentParser
import KioskGuardProtocol

/// `kioskguardctl lock TERMINAL|SESSION`.
struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lock", abstract: "Lock the open session of a terminal, or a session.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "A terminal name or a session id.") var target: String
    @Option(help: "The terminal the session is open on (needed when several have a session of that id).") var terminal: String?

    func run() throws { try act(options, ControlRequest(id: "lock", verb: .lock, target: target, terminal: terminal)) }
}

/// `kioskguardctl terminate SESSION`.
struct TerminateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "terminate", abstract: "End an open session (reason admin).")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The session id.") var session: String
    @Option(help: "The terminal the session is open on (needed when several have a session of that id).") var terminal: String?

    func run() throws { try act(options, ControlRequest(id: "terminate", verb: .terminate, target: session, terminal: terminal)) }
}

/// `kioskguardctl reload`.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reload", abstract: "Reload the daemon's configuration (a bad file is refused).")

    @OptionGroup var options: GlobalOptions

    func run() throws { try act(options, ControlRequest(id: "reload", verb: .reload)) }
}

/// `kioskguardctl pseudonym VALUE`: admin only, since it uses the host's pseudonym key.
struct PseudonymCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pseudonym", abstract: "Print the pseudonym of a card, ID or account number.",
        discussion: "Give '-' to read the value from standard input, so it does not appear in the process list or shell history."
    )

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The identifier, or - to read it from standard input.") var value: String

    func validate() throws {
        guard !value.isEmpty else { throw ValidationError("the value is empty") }
    }

    func run() throws {
        let identifier = value == "-" ? (readLine(strippingNewline: true) ?? "") : value
        guard !identifier.isEmpty else { throw CLIFailure("no value on standard input") }
        let result = try ControlConnection(path: options.socketPath).call(ControlRequest(id: "pseudonym", verb: .pseudonym, target: identifier),
                                                                       as: ActionResult.self)
        if options.json { return Output.json(["pseudonym": result.message]) }
        print(result.message)
    }
}
