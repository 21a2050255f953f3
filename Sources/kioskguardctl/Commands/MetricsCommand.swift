import ArgumentParser
import KioskGuardProtocol

/// `kioskguardctl metrics`: the live Prometheus text, the same the textfile holds.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the daemon's metrics in the Prometheus text format, as its [metrics] textfile holds them.",
        discussion: "Counters start at 0 when the daemon starts. With --json the text is the value of a \"text\" field."
    )

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let result = try ControlConnection(path: options.socketPath).call(ControlRequest(id: "metrics", verb: .metrics), as: MetricsResult.self)
        if options.json { return Output.json(result) }
        print(result.text, terminator: "")
    }
}
