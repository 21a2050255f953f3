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
            if json {
                return Output.json(CheckResult(valid: true, files: configuration.sources, terminals: configuration.terminals.map(\.name), errors: []))
            }
            print("valid: \(configuration.isBuiltInDefault ? "built-in defaults (no file)" : configuration.sources.joined(separator: ", "))")
            print("terminals: \(configuration.terminals.map(\.name).joined(separator: ", "))")
        } catch {
            if json { Output.json(CheckResult(valid: false, files: [], terminals: [], errors: error.all.map(\.description))) }
            throw CLIFailure(error.all.map { "invalid configuration: \($0)" }.joined(separator: "\n"))
        }
    }
}

/// The JSON shape of `check-config --json`.
struct CheckResult: Encodable {
    /// Whether the configuration loads.
    let valid: Bool
    /// The files it was read from, main file first; empty for the built-in defaults.
    let files: [String]
    /// The names of its terminals.
    let terminals: [String]
    /// Every error found, `file:line: key: message`, in file order; empty when valid.
    let errors: [String]
}
