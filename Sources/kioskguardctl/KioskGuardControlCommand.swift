import ArgumentParser
import KioskGuardProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `kioskguardctl`: inspect and act on kioskguardd, and review what it recorded.
///
/// Exit codes: 0 ok, 1 refused or failed, 2 usage.
@main
struct KioskGuardControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskguardctl",
        abstract: "Inspect and act on kioskguardd, and review what it recorded.",
        usage: "kioskguardctl [--socket <path>] [--json] <subcommand> [<options>]",
        discussion: "The global options --socket and --json may stand before or after the verb: 'kioskguardctl --json status' and "
            + "'kioskguardctl status --json' are the same command. Exit codes: 0 ok, 1 refused or failed, 2 usage.",
        version: KioskGuardVersion.current,
        subcommands: [
            StatusCommand.self, TerminalsCommand.self, SessionsCommand.self, ShowCommand.self, LockCommand.self,
            TerminateCommand.self, ReloadCommand.self, AlertsCommand.self, PseudonymCommand.self, HistoryCommand.self,
            MetricsCommand.self, ReportCommand.self, AuditCommand.self, IncidentCommand.self, CheckConfigCommand.self,
        ]
    )

    /// Runs the command, mapping argument-parser's usage exit (64) to the contract's 2.
    static func main() async {
        do {
            let arguments = GlobalArguments.normalized(Array(CommandLine.arguments.dropFirst()), verbPaths: verbPaths)
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CLIFailure {
            for line in failure.description.split(separator: "\n") { printToStandardError("kioskguardctl: \(line)") }
            Glibc.exit(failure.exitStatus)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                printToStandardError(fullMessage(for: error))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

extension KioskGuardControlCommand {
    /// Every verb and sub-verb, as the words that name it (`["alerts", "retry"]`).
    static var verbPaths: Set<[String]> {
        func paths(_ command: any ParsableCommand.Type, prefix: [String]) -> [[String]] {
            command.configuration.subcommands.flatMap { subcommand -> [[String]] in
                let path = prefix + [subcommand.configuration.commandName ?? ""]
                return [path] + paths(subcommand, prefix: path)
            }
        }
        return Set(paths(self, prefix: []))
    }
}

/// Writes one line to stderr.
func printToStandardError(_ message: String) {
    var line = Array((message.hasSuffix("\n") ? message : message + "\n").utf8)
    _ = line.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
