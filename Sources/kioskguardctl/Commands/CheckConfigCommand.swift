import ArgumentParser
import KioskGuardConfiguration
import KioskGuardProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `kioskguardctl check-config [PATH]`: validate a configuration without a daemon.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file and its drop-ins.")

    @Flag(name: .long, help: "Print the result as JSON.") var json = false
    @Argument(help: ArgumentHelp("The file (default \(ConfigurationLoader.defaultPath)).", valueName: "path")) var path: String?

    func run() throws {
        var environment: [String: String] = [:]
        for name in ["RUNTIME_DIRECTORY", "STATE_DIRECTORY", "XDG_RUNTIME_DIR"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        do {
            let configuration = try ConfigurationLoader(environment: environment).load(path: path)
            if json { return Output.json(CheckResult(valid: true, files: configuration.sources, terminals: configuration.terminals.map(\.name), error: nil)) }
            print("valid: \(configuration.isBuiltInDefault ? "built-in defaults (no file)" : configuration.sources.joined(separator: ", "))")
            print("terminals: \(configuration.terminals.map(\.name).joined(separator: ", "))")
        } catch {
            if json { Output.json(CheckResult(valid: false, files: [], terminals: [], error: error.description)) }
            throw CLIFailure("invalid configuration: \(error)")
        }
    }
}

/// The JSON shape of `check-config --json`.
struct CheckResult: Encodable {
    let valid: Bool
    let files: [String]
    let terminals: [String]
    let error: String?
}
