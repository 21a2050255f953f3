import ArgumentParser
import KioskGuardProtocol

/// `kioskguardctl status`: the daemon at a glance.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the daemon's version, uptime, terminals, sessions, alert backlog and how the last enforcement ended.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let status = try ControlConnection(path: options.socketPath).call(ControlRequest(id: "status", verb: .status), as: StatusResult.self)
        if options.json { return Output.json(status) }
        print("kioskguardd \(status.version), up \(Output.seconds(status.uptimeSeconds))")
        if let files = status.configFiles {
            print("configuration: \(files.isEmpty ? "built-in defaults" : files.joined(separator: ", "))")
        }
        print("pseudonym key: \(status.keyFingerprint)")
        print("terminals: \(status.terminalsConnected) of \(status.terminalsConfigured) connected")
        print("sessions: \(status.sessions["active", default: 0]) active, \(status.sessions["warned", default: 0]) warned, \(status.sessions["locked", default: 0]) locked")
        if status.alertsPending.isEmpty {
            print("alerts: no hotline endpoint configured")
        }
        for (endpoint, pending) in status.alertsPending.sorted(by: { $0.key < $1.key }) {
            let oldest = status.oldestPendingSeconds[endpoint].map { ", oldest \(Output.seconds($0))" } ?? ""
            print("alerts to \(endpoint): \(pending) pending\(oldest)")
        }
        print("last enforcement: \(status.lastEnforcement.map(Output.enforcement) ?? "none since start")")
    }
}
