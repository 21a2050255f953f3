// The load generator: drives the real kioskguardd (or the C line splitter, which answers hello
// and ping the same way) over its events socket and measures with HdrHistogram. Started by
// Benchmarks/daemon/daemon_load.py, which configures the server it points this at; each
// subcommand prints one JSON object.
import ArgumentParser
import Histogram

@main
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskguard-load",
        abstract: "Drives kioskguardd's events socket with N terminals and measures it.",
        subcommands: [ThroughputCommand.self, LockDelayCommand.self, StepRoundTripCommand.self]
    )
}

/// Where to connect and how many terminals (`t0`…) to open.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The events socket.")
    var socket: String

    @Option(help: "Terminal connections, one session each.")
    var terminals = 1000

    func validate() throws {
        guard terminals > 0 else { throw ValidationError("--terminals must be at least 1") }
    }

    /// Connects every terminal and begins session `s<index>` on each (queued, written as the
    /// scenario's loop runs).
    func connectWithSessions() throws -> Terminals {
        let connected = try Terminals(path: socket, count: terminals)
        for index in connected.sockets.indices { connected.queue(beginLine(index), to: index) }
        return connected
    }
}

/// The line that begins session `s<index>` on terminal `t<index>`.
func beginLine(_ index: Int) -> [UInt8] {
    Array("{\"type\":\"session.begin\",\"session\":\"s\(index)\",\"subject\":\"subject-\(index)\"}\n".utf8)
}

/// Latencies in microseconds, up to a minute, three significant digits.
func latencyHistogram() -> Histogram<UInt64> {
    Histogram(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
}

func microseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
}

/// p50, p99, p99.9 and max of `histogram`, in milliseconds, as JSON fields.
func percentileFields(_ histogram: Histogram<UInt64>) -> String {
    let milliseconds = { (value: UInt64) in String(Double(value) / 1000) }
    return "\"p50_ms\": \(milliseconds(histogram.valueAtPercentile(50))), \"p99_ms\": \(milliseconds(histogram.valueAtPercentile(99))), "
        + "\"p999_ms\": \(milliseconds(histogram.valueAtPercentile(99.9))), \"max_ms\": \(milliseconds(histogram.max))"
}
