import ArgumentParser

/// `kioskguardd`: the guard daemon of a kiosk host.
@main
struct KioskGuardDaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskguardd",
        abstract: "Guards shared registration kiosks: locks idle and handed-over sessions, alerts the incident hotline.",
        version: "0.1.0"
    )

    func run() throws {
        throw ValidationError("the daemon's service loop is not part of this build yet; only --version and --help work")
    }
}
