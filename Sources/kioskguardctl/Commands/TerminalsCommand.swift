import ArgumentParser
import KioskGuardProtocol

/// `kioskguardctl terminals`: every configured terminal.
struct TerminalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "terminals", abstract: "List the configured terminals and their kiosk apps.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let rows = try ControlConnection(path: options.socketPath).call(ControlRequest(id: "terminals", verb: .terminals), as: [TerminalRow].self)
        if options.json { return Output.json(rows) }
        Output.table(["terminal", "app", "session", "card", "idle timeout"], rows.map {
            [$0.name, $0.connected ? "connected" : "-", Output.cell($0.session),
             $0.cardPresent.map { $0 ? "present" : "absent" } ?? "-", Output.seconds($0.idleTimeoutSeconds)]
        }, empty: "no terminals are configured")
    }
}
