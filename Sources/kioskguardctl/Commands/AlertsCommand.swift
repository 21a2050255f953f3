import ArgumentParser
import KioskGuardProtocol

/// `kioskguardctl alerts [--pending]`, `alerts retry`, `alerts test`.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Show alerts and their delivery to the hotline.",
        subcommands: [AlertsListCommand.self, AlertsRetryCommand.self, AlertsTestCommand.self], defaultSubcommand: AlertsListCommand.self
    )
}

/// The recent and pending alerts.
struct AlertsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List recent alerts, newest first.")

    @OptionGroup var options: GlobalOptions
    @Flag(name: .long, help: "Only alerts not yet delivered.") var pending = false

    func run() throws {
        let rows = try ControlConnection(path: options.socketPath).call(ControlRequest(id: "alerts", verb: .alerts, pending: pending), as: [AlertRow].self)
        if options.json { return Output.json(rows) }
        Output.table(["alert", "type", "endpoint", "state", "attempts", "age", "last error"], rows.map {
            [$0.id, $0.type, $0.endpoint, $0.state, String($0.attempts), Output.seconds($0.ageSeconds), Output.cell($0.lastError)]
        }, empty: pending ? "no alerts are pending" : "no alerts")
    }
}

/// Retry every pending alert now.
struct AlertsRetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Retry every pending alert now.")

    @OptionGroup var options: GlobalOptions

    func run() throws { try act(options, ControlRequest(id: "retry", verb: .alertsRetry)) }
}

/// Queue a signed test alert through the normal path.
struct AlertsTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Queue a signed test alert to prove the hotline path end to end.")

    @OptionGroup var options: GlobalOptions

    func run() throws { try act(options, ControlRequest(id: "test", verb: .alertsTest)) }
}
