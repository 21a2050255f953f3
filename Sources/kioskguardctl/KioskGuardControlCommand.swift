import ArgumentParser

/// `kioskguardctl`: inspect and act on kioskguardd, and review its journal.
@main
struct KioskGuardControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskguardctl",
        abstract: "Inspect and act on kioskguardd, and review what it recorded.",
        version: "0.1.0"
    )
}
